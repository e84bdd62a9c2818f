"""Video banks on disk: the decoded-frame cache (`frames.npy`, uint8 [N, T, H, W, 3], memmap-able), the mp4 files,
and `videos.csv` (one row per clip: id, videopath, frame_start, frame_count, plus dataset metadata).

Training reads `frames.npy` through a memmap and never decodes mp4 per epoch; the mp4 files are the portable
copy (the VideoCon layout points at them). Layout "shards" concatenates `shard_size` clips per mp4 (fast to
write: ~0.3 ms per clip against ~5 ms for one file per clip); "per-video" writes one mp4 per clip.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Sequence

import numpy as np

from synvita.data.manifest import read_csv, write_csv
from synvita.data.types import VideoBank
from synvita.data.video_io import write_mp4

FRAMES_FILE = "frames.npy"
VIDEOS_FILE = "videos.csv"


def save_frames(path: str | Path, frames: np.ndarray) -> None:
    np.save(Path(path), np.ascontiguousarray(frames, dtype=np.uint8), allow_pickle=False)


def load_frames(path: str | Path, mmap: bool = True) -> np.ndarray:
    """uint8 [N, T, H, W, 3]; a read-only memmap unless mmap=False."""
    return np.load(Path(path), mmap_mode="r" if mmap else None, allow_pickle=False)


def bank_prefix(bank_dir: str | Path, root: str | Path) -> str:
    """The root-relative folder of a bank, as a videopath prefix ("" when the bank is the root)."""
    try:
        rel = Path(bank_dir).resolve().relative_to(Path(root).resolve()).as_posix()
    except ValueError:
        rel = Path(bank_dir).name
    return "" if rel in ("", ".") else rel + "/"


def encode_clips(
    bank_dir: str | Path,
    prefix: str,
    ids: Sequence[str],
    frames: np.ndarray,
    start: int,
    stop: int,
    layout: str = "shards",
    shard_size: int = 1024,
    codec: str = "h264-rgb",
    fps: int = 8,
) -> tuple[list[str], list[int]]:
    """Encode clips [start, stop) to mp4 (shards must start on a multiple of shard_size); returns per clip the
    videopath and its first frame inside that file."""
    bank_dir = Path(bank_dir)
    T = int(frames.shape[1])
    paths: list[str] = []
    starts: list[int] = []
    if layout == "per-video":
        for i in range(start, stop):
            write_mp4(bank_dir / f"{ids[i]}.mp4", frames[i], fps=fps, codec=codec)
            paths.append(f"{prefix}{ids[i]}.mp4")
            starts.append(0)
        return paths, starts
    if start % shard_size:
        raise ValueError(f"shard ranges must start on a multiple of {shard_size}, got {start}")
    for s in range(start, stop, shard_size):
        name = f"shard-{s // shard_size:05d}.mp4"
        chunk = frames[s : min(s + shard_size, stop)]
        write_mp4(bank_dir / name, chunk.reshape(-1, *chunk.shape[2:]), fps=fps, codec=codec)
        paths += [f"{prefix}{name}"] * len(chunk)
        starts += [k * T for k in range(len(chunk))]
    return paths, starts


def write_bank(
    bank_dir: str | Path,
    root: str | Path,
    ids: Sequence[str],
    frames: np.ndarray,
    meta: Sequence[dict[str, Any]] | None = None,
    layout: str = "shards",
    shard_size: int = 1024,
    codec: str = "h264-rgb",
    fps: int = 8,
    encoded: tuple[list[str], list[int]] | None = None,
) -> list[str]:
    """Write frames.npy, the mp4 files and videos.csv into bank_dir; returns root-relative mp4 paths per clip.

    `frames` may be a memmap of `bank_dir/frames.npy` itself (written in place by the caller); `encoded` = the
    (paths, starts) of mp4 files the caller already wrote with `encode_clips`."""
    bank_dir = Path(bank_dir)
    bank_dir.mkdir(parents=True, exist_ok=True)
    n, T = int(frames.shape[0]), int(frames.shape[1])
    cache = bank_dir / FRAMES_FILE
    if not (isinstance(frames, np.memmap) and Path(frames.filename).resolve() == cache.resolve()):
        save_frames(cache, frames)  # (a memmap already at the cache path was written in place)
    if encoded is None:
        encoded = encode_clips(bank_dir, bank_prefix(bank_dir, root), ids, frames, 0, n, layout, shard_size, codec, fps)
    paths, starts = encoded
    rows = []
    for i, vid in enumerate(ids):
        row = {"index": i, "id": vid, "videopath": paths[i], "frame_start": starts[i], "frame_count": T}
        if meta is not None:
            row.update(meta[i])
        rows.append(row)
    write_csv(bank_dir / VIDEOS_FILE, rows)
    return paths


def load_bank(bank_dir: str | Path, mmap: bool = True) -> VideoBank:
    bank_dir = Path(bank_dir)
    rows = read_csv(bank_dir / VIDEOS_FILE)
    return VideoBank(
        frames=load_frames(bank_dir / FRAMES_FILE, mmap=mmap),
        ids=[r["id"] for r in rows],
        paths=[r["videopath"] for r in rows],
    )


def bank_rows(bank_dir: str | Path) -> list[dict[str, str]]:
    """videos.csv of a bank (all values as strings)."""
    return read_csv(Path(bank_dir) / VIDEOS_FILE)
