"""Generation drivers: a generator's videos for every train pair of a world, written as a synthetic set.

`generate_for_split` renders whole batches in memory (the procedural generator, or any generator given as an
instance) and stores them in the layout `synvita.world.synthetic.load_synthetic` reads. Real generators go through
`generate_with_model`: the videos are first written at the model's own size by
`synvita.generators.sharded.generate_to_dir` into `generated/` (one mp4 per video, small batches, tmp + rename,
finished videos skipped, so a retried run resumes), then conformed to the world's clip shape (`fit_clip`) and
stored exactly as above, so score and train read them like procedural ones.
"""

from __future__ import annotations

import inspect
import json
import os
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import Any, Callable

import numpy as np

from synvita.data.cache import FRAMES_FILE, bank_prefix, encode_clips, write_bank
from synvita.data.manifest import file_sha256, read_csv, write_csv
from synvita.data.video_io import fit_clip
from synvita.errors import UserInputError
from synvita.generators.video import GeneratedVideo
from synvita.paths import confine
from synvita.world.synthetic import GENERATED_DIR, GENERATED_OPTIONS, SYNTHETIC_FILE, SyntheticSet, load_synthetic


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
    generator: Any,
    seed: int = 0,
    out_dir: str | Path = "synthetic",
    split: str = "train",
    progress: Callable[[int, int, str], None] | None = None,
    batch: int = 1024,
    name: str | None = None,
    profile: str | None = None,
    extra_meta: dict[str, Any] | None = None,
) -> SyntheticSet:
    """Render G(t^s) with `generator` (an instance) for every pair of `split` (t^r passed as reference) and write
    them under out_dir, labelled `name` (default: the generator's) and `profile` (default: its noise profile's
    name, "none" without one).

    Videos from real generators (other sizes and lengths) are fitted to the world's clip geometry (`fit_clip`).
    For a real T2V model use `generate_with_model`, which keeps memory to one video and resumes."""
    generator_name = name or generator.name
    if profile is None:
        profile = getattr(getattr(generator, "profile", None), "name", "none")
    from synvita.world.build import check_writable

    out = Path(out_dir)
    check_writable(out)
    if (out / SYNTHETIC_FILE).exists():  # regenerating: drop the old set's files first
        (out / SYNTHETIC_FILE).unlink()
        for old in [*out.glob("*.mp4"), *(out / n for n in (FRAMES_FILE, "videos.csv", "manifest.csv", "videocon_train.csv"))]:
            old.unlink(missing_ok=True)
    say = progress or (lambda d, t, m: None)
    cfg = world.config
    gen = generator
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
                        "faithful": "" if v.faithful is None else bool(v.faithful),  # "": unknown
                        "failed": bool(v.meta["failed"]) if "failed" in v.meta else ("" if v.faithful is None else False),
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
    known = np.array([r["faithful"] != "" for r in rows], dtype=bool)
    faithful = np.array([r["faithful"] is True for r in rows], dtype=bool)
    meta = {
        "generator": generator_name,
        "profile": profile,
        "seed": int(seed),
        "split": split,
        "world": str(Path(world.root).resolve()),
        "count": n,
        "faithful_rate": float(faithful[known].mean()) if known.any() else None,
        "faithful_known": bool(known.any()),
        "failure_rates": getattr(getattr(gen, "profile", None), "failure", None),
        "sha256": {
            "frames.npy": file_sha256(out / FRAMES_FILE),
            "manifest.csv": file_sha256(out / "manifest.csv"),
        },
        **(extra_meta or {}),
    }
    (out / SYNTHETIC_FILE).write_text(json.dumps(meta, indent=2, sort_keys=True, default=str))
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


class ConformedVideos:
    """Existing full-size videos served by global pair index, each conformed to the world's clip shape
    [frames, height, width] as soon as it is decoded (linspace frame sampling, PIL area resize: `fit_clip`), so at
    most one full-size video is in memory. `read(j, prompt)` returns video j as uint8 [T, H, W, 3].

    Behaves as a generator for `generate_for_split`, which then stores them like any synthetic set; `faithful` is
    None (nobody knows whether a real model followed its prompt)."""

    def __init__(self, name: str, read: Callable[[int, str], np.ndarray], shape: tuple[int, int, int]) -> None:
        self.name, self.read, self.shape = name, read, shape

    def generate(self, prompts, seed, references=None, indices=None):
        indices = range(len(prompts)) if indices is None else indices
        out = []
        for prompt, j in zip(prompts, indices):
            clip = np.asarray(self.read(int(j), prompt))  # uint8 [T, H, W, 3] at the model's size
            out.append(GeneratedVideo(frames=fit_clip(clip, *self.shape), prompt=prompt,
                                      meta={"index": int(j), "source_shape": list(clip.shape[:3])}))
        return out


def _folder_paths_by_index(folder_gen) -> dict[int, tuple[str, Path]]:
    """Global index → (prompt, video path) from a folder generator's manifest when it has an `index` column
    (`generate_to_dir` writes one: a Slurm array's output fed with `write_prompts_csv`)."""
    path = getattr(folder_gen, "manifest_path", None)
    if path is None or not Path(path).is_file():
        return {}
    rows = read_csv(path)
    if not rows or "index" not in rows[0]:
        return {}
    root = Path(folder_gen.folder)
    out = {}
    for line, r in enumerate(rows, start=2):
        if (r.get("index") or "").isdigit():
            video = confine(root, r["videopath"], where=f"manifest {path} line {line}")
            out[int(r["index"])] = (" ".join(r["prompt"].split()), video)
    return out


def _generator_record(gen, generator_name: str, seed: int) -> dict[str, Any]:
    """What determines the pixels of `generated/` (a resumed run must agree, or old and new videos would mix)."""
    if hasattr(gen, "describe"):
        described = gen.describe()
    else:  # e.g. the folder generator: where the videos come from and how they are resampled
        described = {k: getattr(gen, k) for k in ("folder", "model_path", "num_frames", "height", "width", "fps") if hasattr(gen, k)}
    described = {k: v for k, v in described.items() if k not in ("model_dir",)}
    return {"generator": generator_name, "seed": int(seed), "settings": json.loads(json.dumps(described, default=str))}


def generate_with_model(
    world,
    generator,
    generator_name: str,
    seed: int = 0,
    out_dir: str | Path = "synthetic",
    split: str = "train",
    progress: Callable[[int, int, str], None] | None = None,
    batch_size: int = 1,
) -> SyntheticSet:
    """G(t^s) for every pair of `split` from a real text-to-video `generator` (an instance), resumably.

    1. `generate_to_dir` writes video j (seeded by its global index) to `out_dir/generated/videos/<id>.mp4` at the
       model's own size, one video in memory at a time, each through a temporary file + rename; videos already
       there are skipped, so rerunning after a crash or preemption continues where it stopped. With
       `batch_size` > 1 the missing videos are first generated `batch_size` prompts per call (same seeds).
    2. The videos are conformed to the world's [frames, height, width] and written as a synthetic set
       (`generate_for_split`'s format, read by `load_synthetic`), with `faithful` unknown.
    A `generated/` folder made with other settings or another seed is refused (one line), never mixed in."""
    from synvita.generators.sharded import generate_to_dir, merge_manifests, read_mp4, write_mp4
    from synvita.world.build import check_writable

    out = Path(out_dir)
    check_writable(out)
    say = progress or (lambda d, t, m: None)
    _, pairs = world.split(split)
    prompts = list(pairs.caption_neg)
    ids = [f"syn_{generator_name}_{i:06d}" for i in range(len(prompts))]
    cfg = world.config
    shape = (cfg.frames, cfg.height, cfg.width)
    raw = out / GENERATED_DIR
    raw.mkdir(parents=True, exist_ok=True)

    record = _generator_record(generator, generator_name, seed)
    record_path = raw / GENERATED_OPTIONS
    if record_path.exists():
        before = json.loads(record_path.read_text())
        if before != record:
            changed = sorted(k for k in set(before["settings"]) | set(record["settings"])
                             if before["settings"].get(k) != record["settings"].get(k))
            changed += [k for k in ("generator", "seed") if before.get(k) != record.get(k)]
            raise UserInputError(
                f"{raw} holds videos made with other generator settings ({', '.join(changed)} differ)",
                hint="delete that folder to regenerate, or rerun with the same settings to resume",
            )
    else:
        record_path.write_text(json.dumps(record, indent=2, sort_keys=True))

    task = f"generate {split} ({generator_name})"
    fps = int(getattr(generator, "fps", 8))
    if batch_size > 1 and "indices" in inspect.signature(generator.generate).parameters:
        missing = [j for j in range(len(prompts)) if not (raw / "videos" / f"{ids[j]}.mp4").exists()]
        done = len(prompts) - len(missing)
        for s in range(0, len(missing), batch_size):
            chunk = missing[s : s + batch_size]
            videos = generator.generate([prompts[j] for j in chunk], seed, indices=chunk)
            for j, video in zip(chunk, videos):
                write_mp4(raw / "videos" / f"{ids[j]}.mp4", video.frames, fps=fps)
            done += len(chunk)
            say(done, len(prompts), task)
    generate_to_dir(generator, prompts, ids, raw, seed, shard=(0, 1), fps=fps,
                    progress=lambda done, total: say(done, total, task))
    merge_manifests(raw, expected=len(prompts))

    reader = ConformedVideos(generator_name, lambda j, prompt: read_mp4(raw / "videos" / f"{ids[j]}.mp4"), shape)
    return generate_for_split(
        world, reader, seed, out, split, progress=progress, name=generator_name, profile="none",
        extra_meta={"generated_dir": GENERATED_DIR, "generator_settings": record["settings"]},
    )


def conform_folder(
    world,
    generator,
    generator_name: str,
    seed: int = 0,
    out_dir: str | Path = "synthetic",
    split: str = "train",
    progress: Callable[[int, int, str], None] | None = None,
) -> SyntheticSet:
    """The synthetic set of a folder generator, whose videos exist already: each is conformed straight from its
    folder to the world's clip shape (no copy, no second lossy encode)."""
    from synvita.generators.sharded import read_mp4
    from synvita.world.build import check_writable

    out = Path(out_dir)
    check_writable(out)
    cfg = world.config
    shape = (cfg.frames, cfg.height, cfg.width)
    by_index = _folder_paths_by_index(generator)  # exact even when two pairs share a prompt

    def read(j: int, prompt: str) -> np.ndarray:
        listed = by_index.get(j)
        if listed is not None and listed[0] == " ".join(prompt.split()):
            return read_mp4(listed[1])
        return generator.generate([prompt], seed, indices=[j])[0].frames  # the first video listed for this prompt

    reader = ConformedVideos(generator_name, read, shape)
    return generate_for_split(world, reader, seed, out, split, progress=progress, name=generator_name, profile="none",
                              extra_meta={"generator_settings": _generator_record(generator, generator_name, seed)["settings"]})


def write_prompts_csv(world, path: str | Path, generator_name: str = "cogvideox", split: str = "train") -> Path:
    """`id,prompt` for every pair of `split` (prompt = t^s), the input of `python -m synvita.generators.sharded`.

    The ids are the ones `generate_with_model` uses, so a Slurm array's output folder can be read back with the
    `folder` generator (`generation.videos_dir`) or placed as `<generate run>/synthetic/generated`."""
    _, pairs = world.split(split)
    rows = [{"id": f"syn_{generator_name}_{i:06d}", "prompt": p} for i, p in enumerate(pairs.caption_neg)]
    write_csv(Path(path), rows)
    return Path(path)


# ---- shards: one generate run rendered by several processes (Slurm array tasks, or local processes) ----------

PART_VIDEOS = 64
"""Videos per part file: the unit a shard renders, writes atomically and skips on a restart."""


def part_starts(n: int, shard: int = 0, shards: int = 1, per_part: int = PART_VIDEOS) -> list[int]:
    """First global video index of each part of shard `shard` of `shards` (parts are dealt round robin)."""
    return list(range(0, n, per_part))[shard::shards]


def _plain(value: Any) -> Any:
    return value.item() if hasattr(value, "item") else str(value)


def render_parts(world, generator: Any, parts_dir: str | Path, seed: int, shard: int = 0, shards: int = 1,
                 split: str = "train", progress: Callable[[int, int, str], None] | None = None,
                 stop: Callable[[], bool] | None = None) -> bool:
    """Render shard `shard` of `shards` of G(t^s) for every pair of `split` into `parts_dir/<start>.npz` (the
    frames and what `generate` said of each video). A part already there is skipped, so a restarted shard resumes
    at its first unfinished part. Video j is rendered from (seed, j) whatever the shard, so any number of shards
    gives the same videos. `stop()` is asked after each part; returns False when it stopped early."""
    parts = Path(parts_dir)
    parts.mkdir(parents=True, exist_ok=True)
    _, pairs = world.split(split)
    n = len(pairs)
    total = len(part_starts(n))
    for s in part_starts(n, shard, shards):
        path = parts / f"{s:08d}.npz"
        if not path.exists():
            prompts, refs = pairs.caption_neg[s : s + PART_VIDEOS], pairs.caption_pos[s : s + PART_VIDEOS]
            videos = generator.generate(prompts, seed, references=refs, **_index_kwargs(generator, s, len(prompts)))
            said = [{"prompt": v.prompt, "rendered_caption": v.rendered_caption,
                     "faithful": None if v.faithful is None else bool(v.faithful), "meta": v.meta} for v in videos]
            tmp = parts / f".{s:08d}.tmp-{os.getpid()}.npz"
            np.savez(tmp, frames=np.stack([np.asarray(v.frames) for v in videos]),
                     said=np.array(json.dumps(said, default=_plain)))
            os.replace(tmp, path)
        if progress is not None:
            progress(len(list(parts.glob("[0-9]*.npz"))), total, f"generate {split} (shard {shard + 1}/{shards})")
        if stop is not None and stop():
            return False
    return True


def parts_complete(world, parts_dir: str | Path, split: str = "train") -> bool:
    _, pairs = world.split(split)
    return all((Path(parts_dir) / f"{s:08d}.npz").exists() for s in part_starts(len(pairs)))


class RenderedParts:
    """A generator that hands back the videos `render_parts` wrote (same name and noise profile as the one that
    rendered them), so that `generate_for_split` stores them exactly as if it had rendered them itself."""

    def __init__(self, generator: Any, parts_dir: str | Path) -> None:
        self.name = generator.name
        self.profile = getattr(generator, "profile", None)
        self.parts = Path(parts_dir)
        self._loaded: dict[int, tuple[np.ndarray, list[dict]]] = {}

    def _part(self, start: int) -> tuple[np.ndarray, list[dict]]:
        if start not in self._loaded:
            self._loaded = {}  # keep one part in memory
            with np.load(self.parts / f"{start:08d}.npz") as z:
                self._loaded[start] = (z["frames"], json.loads(str(z["said"])))
        return self._loaded[start]

    def generate(self, prompts, seed, references=None, start_index: int = 0) -> list[GeneratedVideo]:
        out = []
        for k in range(len(prompts)):
            j = start_index + k
            frames, said = self._part(j - j % PART_VIDEOS)
            item = said[j % PART_VIDEOS]
            out.append(GeneratedVideo(frames=frames[j % PART_VIDEOS], prompt=item["prompt"],
                                      rendered_caption=item["rendered_caption"], faithful=item["faithful"],
                                      meta=item["meta"]))
        return out
