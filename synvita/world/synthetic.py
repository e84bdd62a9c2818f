"""Synthetic videos V^s = G(t^s) for every pair of a split, stored like a bank, plus the VideoCon-layout training CSV.

Directory written by `generate_for_split`:
    synthetic.json          generator, profile, seed, split, counts, faithful rate, sha256
    frames.npy, videos.csv  the bank of synthetic clips (mp4 shards or one file per clip next to them)
    manifest.csv            one row per pair: pair_index, video, videopath, prompt (t^s), reference (t^r),
                            rendered_caption, faithful, failed, misalignment, generator, profile
    videocon_train.csv      SynViTA's training layout: videopath, caption, label, misalignment, domain, syn_video
"""

from __future__ import annotations

import inspect
import json
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

import numpy as np

from synvita.data.cache import FRAMES_FILE, bank_prefix, encode_clips, load_bank, write_bank
from synvita.data.manifest import as_bool, file_sha256, read_csv, write_csv
from synvita.data.types import VideoBank
from synvita.data.video_io import fit_clip
from synvita.errors import NotFoundError
from synvita.registry import GENERATORS

SYNTHETIC_FILE = "synthetic.json"


@dataclass
class SyntheticSet:
    bank: VideoBank
    pair_index: np.ndarray
    """int64 [P]: index into `bank` of the synthetic video for train pair p, -1 where none."""
    faithful: np.ndarray
    """bool [P]: ground truth, did the video follow its prompt t^s (False where none)."""
    rendered_caption: list[str]
    """[P] canonical caption of what was actually rendered ("" where none)."""
    generator: str
    profile: str
    failed: np.ndarray | None = None
    """bool [P]: a semantic failure was drawn."""
    misalignment: list[str] | None = None

    def __len__(self) -> int:
        return len(self.pair_index)


def make_generator(name: str, profile: str, config: Any = None, options: dict[str, Any] | None = None):
    """Instantiate a registered generator (the procedural one gets the world's geometry and a noise profile)."""
    import synvita.generators  # noqa: F401  (registers the built-in generators)

    cls = GENERATORS.get(name)
    if name == "procedural":
        return cls(profile=profile, config=config, **(options or {}))
    return cls(**(options or {}))


def _index_kwargs(gen, start: int, n: int) -> dict[str, Any]:
    """Global video indices for a batch, in whichever form the generator takes them (seeds follow the index)."""
    params = inspect.signature(gen.generate).parameters
    if "start_index" in params:
        return {"start_index": start}
    if "indices" in params:
        return {"indices": list(range(start, start + n))}
    return {}


def generate_for_split(
    world,
    generator_name: str = "procedural",
    profile: str = "default",
    seed: int = 0,
    out_dir: str | Path = "synthetic",
    split: str = "train",
    progress: Callable[[int, int, str], None] | None = None,
    options: dict[str, Any] | None = None,
    batch: int = 1024,
) -> SyntheticSet:
    """Render G(t^s) for every pair of `split` (t^r passed as reference) and write them under out_dir.

    Videos from real generators (other sizes and lengths) are fitted to the world's clip geometry (`fit_clip`)."""
    from synvita.world.build import check_writable

    out = Path(out_dir)
    check_writable(out)
    if (out / SYNTHETIC_FILE).exists():  # regenerating: drop the old set's files first
        (out / SYNTHETIC_FILE).unlink()
        for old in [*out.glob("*.mp4"), *(out / n for n in (FRAMES_FILE, "videos.csv", "manifest.csv", "videocon_train.csv"))]:
            old.unlink(missing_ok=True)
    say = progress or (lambda d, t, m: None)
    cfg = world.config
    gen = make_generator(generator_name, profile, cfg, options)
    real_bank, pairs = world.split(split)
    n = len(pairs)
    frames = np.lib.format.open_memmap(
        out / FRAMES_FILE, mode="w+", dtype=np.uint8, shape=(n, cfg.frames, cfg.height, cfg.width, 3)
    )
    rows: list[dict[str, Any]] = []
    ids = [f"syn_{generator_name}_{i:06d}" for i in range(n)]
    batch = cfg.shard_size if cfg.video_layout == "shards" else batch  # whole shards, so each can be encoded at once
    prefix = bank_prefix(out, out)
    encoded: list[Future] = []
    # each finished batch is encoded in a thread (PyAV releases the GIL) while the next one is generated
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="synthetic-encode") as pool:
        for s in range(0, n, batch):
            prompts = pairs.caption_neg[s : s + batch]
            refs = pairs.caption_pos[s : s + batch]
            videos = gen.generate(prompts, seed, references=refs, **_index_kwargs(gen, s, len(prompts)))
            for k, v in enumerate(videos):
                p = s + k
                clip = np.asarray(v.frames)
                frames[p] = clip if clip.shape == frames.shape[1:] else fit_clip(clip, *frames.shape[1:4])
                rows.append(
                    {
                        "pair_index": p,
                        "video": p,
                        "videopath": "",
                        "prompt": v.prompt,
                        "reference": refs[k],
                        "rendered_caption": v.rendered_caption or "",
                        "faithful": bool(v.faithful),
                        "failed": bool(v.meta.get("failed", False)),
                        "misalignment": pairs.misalignment[p],
                        "generator": generator_name,
                        "profile": profile,
                    }
                )
            stop = min(s + batch, n)
            encoded.append(
                pool.submit(encode_clips, out, prefix, ids, frames, s, stop, cfg.video_layout, cfg.shard_size, cfg.codec, cfg.fps)
            )
            say(stop, n, f"generate {split} ({generator_name}/{profile})")
        done = [f.result() for f in encoded]
    frames.flush()
    paths = write_bank(
        out,
        out,
        ids,
        frames,
        [{"prompt": r["prompt"], "rendered_caption": r["rendered_caption"], "faithful": r["faithful"]} for r in rows],
        encoded=([p for d in done for p in d[0]], [t for d in done for t in d[1]]),
    )
    del frames
    for r in rows:
        r["videopath"] = paths[r["video"]]
    write_csv(out / "manifest.csv", rows)
    _write_videocon_training(out, world, split, pairs, rows)
    faithful = np.array([r["faithful"] for r in rows], dtype=bool)
    meta = {
        "generator": generator_name,
        "profile": profile,
        "seed": int(seed),
        "split": split,
        "world": str(Path(world.root).resolve()),
        "count": n,
        "faithful_rate": float(faithful.mean()) if n else None,
        "failure_rates": getattr(getattr(gen, "profile", None), "failure", None),
        "sha256": {
            "frames.npy": file_sha256(out / FRAMES_FILE),
            "manifest.csv": file_sha256(out / "manifest.csv"),
        },
    }
    (out / SYNTHETIC_FILE).write_text(json.dumps(meta, indent=2, sort_keys=True))
    return load_synthetic(out)


def _write_videocon_training(out: Path, world, split: str, pairs, rows) -> None:
    """SynViTA's training CSV: 2 real rows and 2 synthetic rows per pair (absolute mp4 paths; with the shard layout
    several rows share a file, see frame_start in the banks' videos.csv)."""
    real_rows = world.rows(split)
    real_root, syn_root = Path(world.root).resolve(), out.resolve()
    table = []
    for p, r in enumerate(rows):
        real_path = str(real_root / real_rows[p]["videopath"])
        syn_path = str(syn_root / r["videopath"])
        common = {"misalignment": pairs.misalignment[p], "syn_video": syn_path}
        table += [
            {"videopath": real_path, "caption": pairs.caption_pos[p], "label": 1, "domain": "real", **common},
            {"videopath": real_path, "caption": pairs.caption_neg[p], "label": 0, "domain": "real", **common},
            {"videopath": syn_path, "caption": pairs.caption_neg[p], "label": 1, "domain": "synthetic", **common},
            {"videopath": syn_path, "caption": pairs.caption_pos[p], "label": 0, "domain": "synthetic", **common},
        ]
    write_csv(out / "videocon_train.csv", table)


def load_synthetic(out_dir: str | Path) -> SyntheticSet:
    out = Path(out_dir)
    if not (out / SYNTHETIC_FILE).exists():
        raise NotFoundError(f"no synthetic set at {out} ({SYNTHETIC_FILE} missing)", hint="run the generate stage first")
    meta = json.loads((out / SYNTHETIC_FILE).read_text())
    rows = read_csv(out / "manifest.csv")
    n = len(rows)
    pair_index = np.full(n, -1, dtype=np.int64)
    faithful = np.zeros(n, dtype=bool)
    failed = np.zeros(n, dtype=bool)
    rendered = [""] * n
    mis = [""] * n
    for r in rows:
        p = int(r["pair_index"])
        pair_index[p] = int(r["video"])
        faithful[p] = as_bool(r["faithful"])
        failed[p] = as_bool(r["failed"])
        rendered[p] = r["rendered_caption"]
        mis[p] = r["misalignment"]
    return SyntheticSet(
        bank=load_bank(out),
        pair_index=pair_index,
        faithful=faithful,
        rendered_caption=rendered,
        generator=meta["generator"],
        profile=meta["profile"],
        failed=failed,
        misalignment=mis,
    )
