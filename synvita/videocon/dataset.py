"""The `videocon` source once built: its CSVs copied into the world run directory and every video decoded once into
a frame-cache bank, read back as the interface the stages use (`split`, `pretrain`, `benchmark`, `config`).

    <run_dir>/world/dataset.json              root, geometry, the copied CSVs by [videocon] key, set sizes
    <run_dir>/world/csv/<key>.csv             the CSVs as read (later edits under the data root change nothing)
    <run_dir>/world/<bank>/frames.npy         uint8 [N, frames, height, width, 3] (memory-mapped by the stages)
    <run_dir>/world/<bank>/videos.csv         index, id, videopath (relative to the data root), ...

Banks: `train`, `pretrain` (only with pretrain_csv), and one per evaluation file (`entail-llm`, `entail-human`,
`retrieval-temporal`, `retrieval-events`, `qa-hard`), each in the order its set indexes it (first appearance;
the SSv2 galleries in sorted-path order, as `calc_ssv2.py` ranks them). A video named by two files is decoded once.
"""

from __future__ import annotations

import json
import shutil
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any, Callable

import numpy as np

from synvita.data.cache import FRAMES_FILE, bank_rows, load_bank, write_bank
from synvita.data.types import EntailmentSet, PairSet, VideoBank
from synvita.errors import NotFoundError, UnknownNameError, UserInputError

DATASET_FILE = "dataset.json"
SUBDIR = "world"
"""The folder inside the world run directory (the same name the embedded world uses)."""
CSV_DIR = "csv"
FORMAT = 1


@dataclass(frozen=True)
class ClipConfig:
    """The clip geometry of the cache (what stages and generators read as `data.config`)."""

    frames: int
    height: int
    width: int
    name: str = "videocon"
    fps: int = 8
    video_layout: str = "per-video"
    shard_size: int = 1024
    codec: str = "h264-rgb"
    held_out: frozenset = field(default_factory=frozenset)
    """Held-out concepts are a property of the embedded world; real data has none."""


def dataset_dir(path: str | Path) -> Path:
    path = Path(path)
    return path if (path / DATASET_FILE).exists() else path / SUBDIR


def decode_clip(path: Path, frames: int, height: int, width: int) -> np.ndarray:
    """uint8 [frames, height, width, 3]: `frames` frames evenly spaced over the whole clip (np.linspace, rounded),
    each area-resized (PIL box filter). Every frame is decoded once; only the kept ones are converted and held (all
    of them when the container does not state its frame count)."""
    import av
    from PIL import Image

    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        stated = int(stream.frames or 0)
        wanted = set(np.linspace(0, stated - 1, frames).round().astype(int).tolist()) if stated else None
        kept: dict[int, Any] = {}
        count = 0
        for i, frame in enumerate(container.decode(stream)):
            if wanted is None or i in wanted:
                kept[i] = frame.to_image()
            count = i + 1
    if not count:
        raise ValueError("no video frames")
    pick = np.linspace(0, count - 1, frames).round().astype(int)
    if any(int(i) not in kept for i in pick):  # the stated frame count was wrong: decode again, keeping every frame
        with av.open(str(path)) as container:
            kept = {i: f.to_image() for i, f in enumerate(container.decode(video=0))}
        pick = np.linspace(0, len(kept) - 1, frames).round().astype(int)
    out = np.empty((frames, height, width, 3), dtype=np.uint8)
    for k, i in enumerate(pick):
        img = kept[int(i)]
        if img.size != (width, height):
            img = img.resize((width, height), Image.BOX)
        out[k] = np.asarray(img.convert("RGB"))
    return out


def _bank_paths(sets: dict[str, Any]) -> dict[str, list[str]]:
    """Bank → the videopaths its set indexes, in index order."""
    banks: dict[str, list[str]] = {"train": list(dict.fromkeys(sets["train"].videopath))}
    for name, table in sets.items():
        if name != "train":
            banks[name] = list(table.video_paths)
    return banks


def build_dataset(section: Any, out_dir: str | Path, progress: Callable[[int, int, str], None] | None = None) -> "VideoconData":
    """Check and copy the CSVs, decode every video once into the banks; returns the loaded dataset."""
    from synvita.videocon.files import EVAL_KEYS, csv_path, data_root, read_sets
    from synvita.world.build import check_writable

    out = Path(out_dir)
    check_writable(out)
    say = progress or (lambda d, t, m: None)
    root = data_root(section)
    sets = read_sets(section)
    keys = ["train_csv", "pretrain_csv", "atp_types_csv", *dict.fromkeys(EVAL_KEYS.values())]
    files = {}
    (out / CSV_DIR).mkdir(parents=True, exist_ok=True)
    for key in keys:
        path = csv_path(section, key)
        if path is not None:
            shutil.copyfile(path, out / CSV_DIR / f"{key}.csv")
            files[key] = str(path.relative_to(root))
    origin = _first_rows(section, sets)
    shape = (section.frames, section.height, section.width)
    decoded: dict[str, tuple[np.ndarray, int]] = {}
    banks = _bank_paths(sets)
    total, done = sum(len(p) for p in banks.values()), 0
    for bank, paths in banks.items():
        folder = out / bank
        folder.mkdir(parents=True, exist_ok=True)
        frames = np.lib.format.open_memmap(folder / FRAMES_FILE, mode="w+", dtype=np.uint8, shape=(len(paths), *shape, 3))
        for i, rel in enumerate(paths):
            if rel in decoded:
                src, j = decoded[rel]
                frames[i] = src[j]
            else:
                frames[i] = _decode_or_fail(root / rel, rel, origin.get(rel), shape)
                decoded[rel] = (frames, i)
            done += 1
            if done % 200 == 0 or done == total:
                say(done, total, f"decode {bank}")
        frames.flush()
        ids = [str(Path(p).with_suffix("")) for p in paths]
        write_bank(folder, root, ids, frames, encoded=(list(paths), [0] * len(paths)))
    meta = {
        "format": FORMAT,
        "source": "videocon",
        "root": str(root),
        "files": files,
        "geometry": {"frames": shape[0], "height": shape[1], "width": shape[2]},
        "vid_per_caption": {k: getattr(section, k) for k in ("ssv2_temporal_videos", "ssv2_events_videos")},
        "sets": _set_sizes(sets),
        "unpaired_train_rows": sets["train"].unpaired,
        "videos_decoded": len(decoded),
    }
    (out / DATASET_FILE).write_text(json.dumps(meta, indent=2, sort_keys=True))
    return VideoconData(out)


def _first_rows(section: Any, sets: dict[str, Any]) -> dict[str, str]:
    """videopath → "<file> row <n>" where it is first named (for decoding errors)."""
    from synvita.videocon.files import EVAL_KEYS, _video_paths, csv_path

    where: dict[str, str] = {}
    for key in ["train_csv", "pretrain_csv", *dict.fromkeys(EVAL_KEYS.values())]:
        path = csv_path(section, key)
        if path is not None:
            for v in _video_paths(path):
                where.setdefault(v.path, v.where())
    return where


def _decode_or_fail(path: Path, rel: str, where: str | None, shape: tuple[int, int, int]) -> np.ndarray:
    """The clip, or one line naming the CSV row, the video and the fix (the run records only the message)."""
    try:
        return decode_clip(path, *shape)
    except Exception as exc:  # PyAV raises its own error classes (InvalidDataError, FileNotFoundError, ...)
        reason = " ".join(str(exc).replace(f"'{path}'", "").replace(str(path), rel).split()).rstrip(":")[:120]
        raise UserInputError(
            f"{where or rel}: cannot decode video {rel} ({reason or type(exc).__name__}); re-encode it as H.264 mp4 "
            "(e.g. ffmpeg -i IN -c:v libx264 -pix_fmt yuv420p OUT.mp4) or remove its rows, then retry this run"
        ) from None


def _set_sizes(sets: dict[str, Any]) -> dict[str, int]:
    sizes = {"train": len(sets["train"].videopath)}
    for name, table in sets.items():
        if name == "train":
            continue
        data = table.data
        sizes[name] = len(data.queries) * len(data.gallery) if hasattr(data, "queries") else (
            len(data.statements) * 5 if hasattr(data, "statements") else len(data.caption))
        if name == "entail-human":
            sizes["entail-human-hard"] = int(np.asarray(data.hard).sum())
    return sizes


class VideoconData:
    """A built `videocon` source: the banks are memory-mapped, the sets parsed from the copied CSVs on first use."""

    def __init__(self, path: str | Path) -> None:
        self.path = dataset_dir(path)
        meta_path = self.path / DATASET_FILE
        if not meta_path.exists():
            raise NotFoundError(f"no videocon data at {path} ({DATASET_FILE} missing)",
                                hint="the world run of a [data] source = \"videocon\" experiment writes it")
        self.meta: dict[str, Any] = json.loads(meta_path.read_text())
        self.root = Path(self.meta["root"])
        g = self.meta["geometry"]
        self.config = ClipConfig(frames=int(g["frames"]), height=int(g["height"]), width=int(g["width"]))
        self._banks: dict[str, VideoBank] = {}

    def __repr__(self) -> str:
        return f"VideoconData({self.path}, root={self.root})"

    def _csv(self, key: str) -> Path | None:
        return self.path / CSV_DIR / f"{key}.csv" if key in self.meta["files"] else None

    def bank(self, name: str) -> VideoBank:
        if name not in self._banks:
            if not (self.path / name / FRAMES_FILE).exists():
                raise UnknownNameError(f"no video bank '{name}' in {self.path}")
            self._banks[name] = load_bank(self.path / name)
        return self._banks[name]

    def video_meta(self, bank: str) -> list[dict[str, str]]:
        return bank_rows(self.path / bank)

    def vocabulary(self) -> list[str]:
        """Every word of every caption (the embedded `tiny` model's word vocabulary), sorted."""
        from synvita.models.tiny.text import tokenize_words

        captions: list[str] = []
        pairs = self._sets["train"]
        captions += pairs.caption_pos + pairs.caption_neg
        for name, table in self._sets.items():
            if name == "train":
                continue
            data = table.data
            captions += list(getattr(data, "caption", None) or getattr(data, "queries", None)
                             or [s for opts in data.statements for s in opts])
        return sorted({w for c in captions for w in tokenize_words(c)})

    @cached_property
    def _sets(self) -> dict[str, Any]:
        from synvita.benchmarks import formats
        from synvita.videocon.files import EVAL_KEYS, read_train_pairs

        sets: dict[str, Any] = {"train": read_train_pairs(self._csv("train_csv"))}
        if self._csv("pretrain_csv") is not None:
            sets["pretrain"] = formats.read_entailment_csv(self._csv("pretrain_csv"))
        vpc = self.meta["vid_per_caption"]
        for name, key in EVAL_KEYS.items():
            path = self._csv(key)
            if path is None or name == "entail-human-hard":
                continue
            if name.startswith("entail"):
                sets[name] = formats.read_entailment_csv(path)
            elif name == "retrieval-temporal":
                sets[name] = formats.read_ssv2_csv(path, vpc["ssv2_temporal_videos"])
            elif name == "retrieval-events":
                sets[name] = formats.read_ssv2_csv(path, vpc["ssv2_events_videos"])
            else:
                sets[name] = formats.read_atp_hard_csv(path, self._csv("atp_types_csv"))
        return sets

    # what the stages ask -------------------------------------------------------------------------------------------
    def split(self, name: str) -> tuple[VideoBank, PairSet]:
        if name != "train":
            raise UnknownNameError(f"the videocon source has no split '{name}'", hint="it trains on the train split of videocon.train_csv")
        pairs = self._sets["train"]
        bank = self.bank("train")
        index = {p: i for i, p in enumerate(bank.paths)}
        return bank, PairSet(
            video=np.array([index[p] for p in pairs.videopath], dtype=np.int64),
            caption_pos=list(pairs.caption_pos), caption_neg=list(pairs.caption_neg),
            misalignment=list(pairs.misalignment),
        )

    def rows(self, split: str) -> list[dict[str, str]]:
        """One row per pair of `split` with its videopath (relative to the data root)."""
        self.split(split)
        return [{"videopath": p} for p in self._sets["train"].videopath]

    @cached_property
    def pretrain(self) -> tuple[VideoBank, EntailmentSet]:
        """pretrain_csv's rows, else the training pairs as (video, t^r, 1) and (video, t^s, 0) rows."""
        if "pretrain" in self._sets:
            return self.bank("pretrain"), self._sets["pretrain"].data
        bank, pairs = self.split("train")
        n = len(pairs)
        return bank, EntailmentSet(
            video=np.repeat(pairs.video, 2),
            caption=[c for pos, neg in zip(pairs.caption_pos, pairs.caption_neg) for c in (pos, neg)],
            label=np.tile(np.array([1, 0], dtype=np.int64), n),
            misalignment=[m for m in pairs.misalignment for _ in range(2)],
            hard=np.zeros(2 * n, dtype=bool), held_out=np.zeros(2 * n, dtype=bool),
        )

    def benchmark_names(self) -> list[str]:
        from synvita.videocon.files import BANK_OF

        return [name for name, bank in BANK_OF.items() if bank in self._sets]

    def benchmark(self, name: str) -> tuple[VideoBank, Any]:
        from synvita.videocon.files import BANK_OF, EVAL_KEYS

        if name not in EVAL_KEYS:
            raise UnknownNameError(f"unknown benchmark '{name}'", hint=f"benchmarks: {', '.join(EVAL_KEYS)}")
        if BANK_OF[name] not in self._sets:
            raise UserInputError(f"benchmark '{name}' has no data: videocon.{EVAL_KEYS[name]} was not set",
                                 hint=f"set [videocon] {EVAL_KEYS[name]}, or drop '{name}' from [evaluate] benchmarks")
        return self.bank(BANK_OF[name]), self._sets[BANK_OF[name]].data

    def benchmark_video_paths(self, name: str) -> list[str]:
        """Per bank index of benchmark `name`: the video's path relative to the data root (as its CSV names it)."""
        return list(self.benchmark(name)[0].paths)

    def benchmark_questions(self, name: str) -> list[str]:
        """qa-hard: the question text per QASet row."""
        self.benchmark(name)
        return list(self._sets[name].questions)

    def benchmark_types(self, name: str) -> list[str]:
        """qa-hard: the type letter per QASet row from atp_types_csv (empty without one)."""
        return list(self.benchmark(name)[1].qtype)


def load_dataset(path: str | Path) -> VideoconData:
    return VideoconData(path)
