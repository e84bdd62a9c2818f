"""A model's parameter-free video inputs (the `tiny` model's object tracks) of a whole bank, kept on disk beside its
decoded frames and read through a memmap.

The tracker has no parameters, so a clip's tracks are a function of its frames alone. Pretrain, score, the train runs
and evaluate read the same banks, and each would otherwise track the same clips again (the in-memory
`VideoInputCache` lives as long as one run). The first run that reads a bank computes the inputs of every clip
once, and every later one reads them back:

    <bank>/frames.npy                        uint8 [N, T, H, W, 3], the decoded-frame cache
    <bank>/frames.inputs-<digest>.npy        one record per clip: a field per input (trajectory, appearance, ...)
    <bank>/frames.inputs-<digest>.json       what the records were computed from (written last: its presence
                                             means the records are complete)
    <bank>/frames.inputs-<digest>.lock       held while one process opens or builds the store

`<digest>` names the model's `video_inputs_key` (tracker version and settings), so two trackers keep two stores.
The header records the key, the store's format and the frames file's shape, size and modification time; a store
whose header does not match, whose records have another layout, or whose first or last clip differs from that clip's
inputs computed now is rebuilt, never trusted. Records are computed in fixed chunks on the CPU; the tracker's output does
not depend on how clips are batched (tests/models/test_stored_inputs.py), so they equal the inputs a run would
compute on the fly, bit for bit.

Served only for what is exactly a bank's frames: the whole memmap `np.load` returns for a frames file. A slice, a
copy or a transformed clip (shuffled or single-frame controls, broken-time clips, fewer frames) is not a memmap of
the whole file, and its inputs are computed as before. A model on another device keeps computing its own (the GPU
tracker's sums are not deterministic). A bank folder that cannot be written is read if a valid store is there, and
otherwise left alone.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import mmap
import os
from pathlib import Path
from typing import Callable, Iterator

import numpy as np
import torch

VideoInputs = Callable[[np.ndarray], dict[str, torch.Tensor]]
"""A model's `video_inputs`: uint8 clips [V, T, H, W, 3] → tensors with a leading V dimension."""

STORE_FORMAT = 1
"""The layout of the files above; a header of another format is rebuilt."""
CHUNK = 64
"""Clips per call of the model's `video_inputs` while building."""


def bank_frames_file(frames) -> Path | None:
    """The .npy file `frames` is the whole memmap of (as `np.load(path, mmap_mode="r")` returns it), else None."""
    if not isinstance(frames, np.memmap) or not isinstance(frames.base, mmap.mmap) or not frames.filename:
        return None  # a slice or fancy index of a memmap has the memmap, not the mmap, as its base
    path = Path(frames.filename)
    try:
        with open(path, "rb") as fh:
            version = np.lib.format.read_magic(fh)
            read_header = np.lib.format.read_array_header_1_0 if version == (1, 0) else np.lib.format.read_array_header_2_0
            shape, fortran, dtype = read_header(fh)
            data_offset = fh.tell()
    except (OSError, ValueError):
        return None
    if (tuple(shape), fortran, dtype) != (frames.shape, False, frames.dtype) or frames.offset != data_offset:
        return None
    return path


class StoredVideoInputs:
    """The video inputs of every clip of one bank, on disk: `get` reads the records asked for."""

    def __init__(self, records: np.ndarray) -> None:
        self.records = records
        """One record per clip (a read-only memmap): field name → that clip's input, as `video_inputs` gives it."""

    def __len__(self) -> int:
        return len(self.records)

    def get(self, index: np.ndarray) -> dict[str, torch.Tensor]:
        """The inputs of clips `index` (int [V], any order, repeats allowed), each [V, ...] on the CPU."""
        rows = self.records[np.asarray(index, dtype=np.int64)]
        return {name: torch.from_numpy(np.ascontiguousarray(rows[name])) for name in rows.dtype.names}


def stored_video_inputs(frames, key: tuple, compute: VideoInputs) -> StoredVideoInputs | None:
    """The inputs `compute` gives for every clip of the bank `frames`, kept on disk under `key` (the model's
    `video_inputs_key`: plain values) and built on first use; None where `frames` is not a whole bank file or the
    store can be neither read nor written. `AlignmentModel.stored_video_inputs` decides which models have one."""
    path = bank_frames_file(frames)
    if path is None or not len(frames):
        return None
    key = json.loads(json.dumps(list(key)))  # as the header holds it
    stem = path.parent / f"{path.stem}.inputs-{hashlib.sha256(json.dumps(key).encode()).hexdigest()[:16]}"
    store = _Store(stem, key, path, frames)
    try:
        with store.locked():
            return store.open(compute) or store.build(compute)
    except OSError:  # a folder this process cannot write: a valid store someone else left, or none
        return store.open(compute)


class _Store:
    """The files of one bank's store for one video-inputs key (see the module docstring)."""

    def __init__(self, stem: Path, key: list, frames_path: Path, frames: np.ndarray) -> None:
        self.records_path = stem.with_name(stem.name + ".npy")
        self.header_path = stem.with_name(stem.name + ".json")
        self.lock_path = stem.with_name(stem.name + ".lock")
        self.key, self.frames_path, self.frames = key, frames_path, frames

    def header(self) -> dict:
        stat = self.frames_path.stat()
        return {"format": STORE_FORMAT, "key": self.key, "frames": {
            "file": self.frames_path.name, "shape": list(self.frames.shape), "size": stat.st_size,
            "mtime_ns": stat.st_mtime_ns}}

    @contextlib.contextmanager
    def locked(self) -> Iterator[None]:
        import fcntl

        with open(self.lock_path, "a") as lock:
            fcntl.flock(lock.fileno(), fcntl.LOCK_EX)  # one process builds; the others wait, then read its store
            yield

    def open(self, compute: VideoInputs) -> StoredVideoInputs | None:
        """The store if its header, its layout and its first and last clips match what `compute` gives now, else
        None."""
        try:
            if json.loads(self.header_path.read_text()) != self.header():
                return None
            records = np.load(self.records_path, mmap_mode="r", allow_pickle=False)
        except (OSError, ValueError):
            return None
        ends = np.array([0, len(self.frames) - 1])
        now = compute(np.array(self.frames[ends]))
        if records.shape != (len(self.frames),) or records.dtype != _record_dtype(now):
            return None
        stored = StoredVideoInputs(records)
        if not all(torch.equal(value, now[key].cpu()) for key, value in stored.get(ends).items()):
            return None
        return stored

    def build(self, compute: VideoInputs) -> StoredVideoInputs:
        """Compute the inputs of every clip and write them; the header last, so that it vouches for whole records."""
        self.header_path.unlink(missing_ok=True)
        for left in self.records_path.parent.glob(f"{self.records_path.stem}.*.tmp-*"):
            left.unlink(missing_ok=True)  # from a process killed while building (this one holds the lock)
        n = len(self.frames)
        tmp = self.records_path.with_name(f"{self.records_path.name}.tmp-{os.getpid()}")
        try:
            out = None
            for start in range(0, n, CHUNK):
                inputs = compute(np.array(self.frames[start : start + CHUNK]))
                if out is None:
                    out = np.lib.format.open_memmap(tmp, mode="w+", dtype=_record_dtype(inputs), shape=(n,))
                for name, value in inputs.items():
                    out[name][start : start + len(value)] = value.cpu().numpy()
            out.flush()
            del out
            os.replace(tmp, self.records_path)
        finally:
            tmp.unlink(missing_ok=True)
        header_tmp = self.header_path.with_name(f"{self.header_path.name}.tmp-{os.getpid()}")
        header_tmp.write_text(json.dumps(self.header(), indent=1))
        os.replace(header_tmp, self.header_path)
        return StoredVideoInputs(np.load(self.records_path, mmap_mode="r", allow_pickle=False))


def _record_dtype(inputs: dict[str, torch.Tensor]) -> np.dtype:
    """One clip's record: a field per input, with that input's per-clip shape and dtype."""
    return np.dtype([(name, value.cpu().numpy().dtype, tuple(value.shape[1:])) for name, value in inputs.items()])
