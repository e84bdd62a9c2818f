"""Sharded, resumable text-to-video generation into a directory of mp4 files plus a manifest.

One call handles one shard of a prompt list, so the `generate` stage runs it with shard=(0, 1) and a Slurm job
array runs task i with shard=(i, n). Prompt j belongs to shard j % n. Video j is seeded by `video_seed(seed, j)`
from its *global* index, so the result does not depend on the number of shards, the batch or a restart.
Each mp4 is written to a temporary file and renamed into place, so an existing `videos/<id>.mp4` is always
complete: a rerun skips it. Each shard writes `manifest.shard-<i>-of-<n>.csv` (atomically, at the end);
`merge_manifests` joins them into `manifest.csv` (columns `prompt,videopath,...`, the layout `FolderGenerator`
reads). Torch-free: mp4 I/O is PyAV (libx264, yuv420p, lossy).
"""

from __future__ import annotations

import csv
import inspect
import os
import re
from pathlib import Path
from typing import Callable, Sequence

import numpy as np

from synvita.errors import NotFoundError, UserInputError

MANIFEST = "manifest.csv"
MANIFEST_FIELDS = ("prompt", "videopath", "id", "index", "seed", "frames", "height", "width", "fps", "generator")
_SAFE_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")


def video_seed(seed: int, index: int) -> int:
    """The 63-bit seed of video `index` under run seed `seed` (independent streams, stable across machines)."""
    state = np.random.SeedSequence([int(seed) & 0xFFFFFFFFFFFFFFFF, int(index)]).generate_state(2, dtype=np.uint32)
    return int((int(state[0]) << 31) ^ int(state[1]))


# ---- mp4 I/O (PyAV) ----------------------------------------------------------------------------------------


def write_mp4(path: str | os.PathLike[str], frames: np.ndarray, fps: int = 8, codec: str = "h264-420") -> Path:
    """Write uint8 [T, H, W, 3] as H.264 mp4 via a temporary file + rename.

    `codec` names one of `synvita.data.video_io.CODECS`; the default, yuv420p at crf 18, is what T2V tools ship
    and keeps real-size videos small; "h264-rgb" (lossless) is exact but far larger."""
    try:  # prefer the project's writer when it exists (same PyAV settings everywhere)
        from synvita.data.video_io import write_mp4 as project_write_mp4  # type: ignore[attr-defined]
    except ImportError:
        project_write_mp4 = None
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    frames = np.asarray(frames)
    if frames.ndim != 4 or frames.shape[-1] != 3 or frames.dtype != np.uint8:
        raise UserInputError(f"video frames must be uint8 [T, H, W, 3], got {frames.dtype} {frames.shape}")
    tmp = path.with_name(f".{path.stem}.tmp-{os.getpid()}.mp4")
    if project_write_mp4 is not None:
        if codec == "h264-420" and (frames.shape[1] % 2 or frames.shape[2] % 2):  # yuv420p needs even sizes
            frames = np.pad(frames, ((0, 0), (0, frames.shape[1] % 2), (0, frames.shape[2] % 2), (0, 0)), mode="edge")
        project_write_mp4(tmp, frames, fps=fps, codec=codec)
    else:
        _write_mp4_pyav(tmp, frames, fps)
    os.replace(tmp, path)
    return path


def _write_mp4_pyav(path: Path, frames: np.ndarray, fps: int) -> None:
    import av

    t, h, w, _ = frames.shape
    if h % 2 or w % 2:  # yuv420p needs even sizes
        frames = np.pad(frames, ((0, 0), (0, h % 2), (0, w % 2), (0, 0)), mode="edge")
    with av.open(str(path), "w") as container:
        stream = container.add_stream("libx264", rate=int(fps))
        stream.width, stream.height, stream.pix_fmt = frames.shape[2], frames.shape[1], "yuv420p"
        stream.options = {"crf": "18"}
        for frame in frames:
            container.mux(stream.encode(av.VideoFrame.from_ndarray(np.ascontiguousarray(frame), format="rgb24")))
        container.mux(stream.encode())


def read_mp4(path: str | os.PathLike[str]) -> np.ndarray:
    """All frames of a video file as uint8 [T, H, W, 3] (any container/codec PyAV reads)."""
    import av

    path = Path(path)
    if not path.is_file():
        raise NotFoundError(f"video file {path} does not exist", hint="check the manifest's videopath column")
    try:
        with av.open(str(path)) as container:
            frames = [f.to_ndarray(format="rgb24") for f in container.decode(video=0)]
    except av.error.FFmpegError as exc:
        raise UserInputError(f"cannot decode video {path}: {exc}", hint="re-encode it as H.264 mp4") from exc
    if not frames:
        raise UserInputError(f"video {path} has no frames", hint="re-generate or re-encode it")
    return np.stack(frames)


def _probe(path: Path) -> tuple[int, int, int]:
    import av

    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        frames = stream.frames or sum(1 for _ in container.decode(video=0))
        return int(frames), int(stream.height), int(stream.width)


# ---- sharded generation ------------------------------------------------------------------------------------


def shard_indices(total: int, shard: tuple[int, int]) -> list[int]:
    """Global indices of shard i of n (round robin: j % n == i)."""
    i, n = int(shard[0]), int(shard[1])
    if n < 1 or not 0 <= i < n:
        raise UserInputError(f"bad shard {shard}", hint="shard=(i, n) with 0 ≤ i < n, e.g. (SLURM_ARRAY_TASK_ID, SLURM_ARRAY_TASK_COUNT)")
    return list(range(i, total, n))


def _accepts_indices(generator) -> bool:
    try:
        return "indices" in inspect.signature(generator.generate).parameters
    except (TypeError, ValueError):
        return False


def generate_to_dir(
    generator,
    prompts: Sequence[str],
    ids: Sequence[str],
    out_dir: str | os.PathLike[str],
    seed: int,
    shard: tuple[int, int] = (0, 1),
    fps: int | None = None,
    progress: Callable[[int, int], None] | None = None,
    codec: str = "h264-420",
) -> Path:
    """Generate this shard's videos into `out_dir/videos/<id>.mp4`, skipping finished ones; return its manifest.

    `generator` is any `synvita.generators.base.Generator`. If its `generate` takes `indices`, video j is
    generated as `generate([prompt_j], seed, indices=[j])`; otherwise as `generate([prompt_j], video_seed(seed, j))`.
    `progress(done, total)` is called after each video of the shard (skipped ones count as done).
    """
    prompts, ids = list(prompts), [str(x) for x in ids]
    if len(prompts) != len(ids):
        raise UserInputError(f"{len(prompts)} prompts but {len(ids)} ids", hint="one video id per prompt")
    if len(set(ids)) != len(ids):
        raise UserInputError("video ids are not unique", hint="ids name the mp4 files and must differ")
    for vid in ids:
        if not _SAFE_ID.match(vid):
            raise UserInputError(f"video id '{vid}' is not a safe file name", hint="use letters, digits, '.', '_' and '-'")
    out_dir = Path(out_dir)
    video_dir = out_dir / "videos"
    video_dir.mkdir(parents=True, exist_ok=True)
    fps = int(fps or getattr(generator, "fps", 8))
    gen_name = str(getattr(generator, "name", type(generator).__name__))
    with_indices = _accepts_indices(generator)
    mine = shard_indices(len(prompts), shard)
    rows = []
    for done, j in enumerate(mine, start=1):
        path = video_dir / f"{ids[j]}.mp4"
        vseed = video_seed(seed, j)
        if path.exists():
            n_frames, height, width = _probe(path)
        else:
            if with_indices:
                video = generator.generate([prompts[j]], seed, indices=[j])[0]
            else:
                video = generator.generate([prompts[j]], vseed)[0]
            write_mp4(path, video.frames, fps=fps, codec=codec)
            n_frames, height, width = video.frames.shape[:3]
        rows.append(
            {"prompt": prompts[j], "videopath": f"videos/{path.name}", "id": ids[j], "index": j, "seed": vseed,
             "frames": n_frames, "height": height, "width": width, "fps": fps, "generator": gen_name}
        )
        if progress is not None:
            progress(done, len(mine))
    i, n = shard
    return _write_manifest(out_dir / f"manifest.shard-{i}-of-{n}.csv", rows)


def _write_manifest(path: Path, rows: list[dict]) -> Path:
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    with open(tmp, "w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, fieldnames=MANIFEST_FIELDS)
        writer.writeheader()
        writer.writerows(rows)
    os.replace(tmp, path)
    return path


def merge_manifests(out_dir: str | os.PathLike[str], expected: int | None = None) -> Path:
    """Join every `manifest.shard-*-of-n.csv` in `out_dir` into `manifest.csv`, ordered by global index.

    With `expected`, raises `UserInputError` unless exactly that many videos are present (a shard is missing).
    """
    out_dir = Path(out_dir)
    rows: dict[int, dict] = {}
    for shard_file in sorted(out_dir.glob("manifest.shard-*-of-*.csv")):
        with open(shard_file, newline="", encoding="utf-8") as fh:
            for row in csv.DictReader(fh):
                rows[int(row["index"])] = row
    if expected is not None and len(rows) != expected:
        raise UserInputError(
            f"{out_dir} holds {len(rows)} of {expected} videos",
            hint="rerun the missing shards (finished videos are skipped)",
        )
    return _write_manifest(out_dir / MANIFEST, [rows[k] for k in sorted(rows)])


# ---- command line: one shard per Slurm array task -------------------------------------------------------------


def shard_from_env(default: tuple[int, int] = (0, 1)) -> tuple[int, int]:
    """(SLURM_ARRAY_TASK_ID − SLURM_ARRAY_TASK_MIN, SLURM_ARRAY_TASK_COUNT) inside a Slurm job array, else `default`."""
    if "SLURM_ARRAY_TASK_ID" not in os.environ or "SLURM_ARRAY_TASK_COUNT" not in os.environ:
        return default
    first = int(os.environ.get("SLURM_ARRAY_TASK_MIN", "0"))
    return int(os.environ["SLURM_ARRAY_TASK_ID"]) - first, int(os.environ["SLURM_ARRAY_TASK_COUNT"])


def _option(text: str) -> tuple[str, object]:
    import json

    key, sep, raw = text.partition("=")
    if not sep or not key:
        raise UserInputError(f"bad --set '{text}'", hint="use KEY=VALUE, e.g. --set num_frames=49")
    try:
        return key, json.loads(raw)
    except ValueError:
        return key, raw


def main(argv: Sequence[str] | None = None) -> int:
    """`python -m synvita.generators.sharded --generator cogvideox --model-path DIR --prompts prompts.csv --out OUT`

    prompts.csv has the columns `id,prompt`. Inside a Slurm job array the shard comes from SLURM_ARRAY_TASK_ID /
    SLURM_ARRAY_TASK_COUNT (or --shard i/n). Prints the shard's manifest path; `--merge N` instead joins the shard
    manifests of a finished array (N videos expected)."""
    import argparse
    import sys

    from synvita.errors import SynvitaError

    parser = argparse.ArgumentParser(prog="python -m synvita.generators.sharded", description=main.__doc__.splitlines()[0])
    parser.add_argument("--generator", default="cogvideox", help="registered generator name")
    parser.add_argument("--model-path", help="weights directory or cached HF repo id (folder: the video folder)")
    parser.add_argument("--prompts", help="CSV with columns id,prompt")
    parser.add_argument("--out", required=True, help="output directory (videos/ and manifests)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--shard", help="i/n; default: from the Slurm array environment, else 0/1")
    parser.add_argument("--set", action="append", default=[], metavar="KEY=VALUE", help="generator option (JSON value)")
    parser.add_argument("--merge", type=int, metavar="N", help="merge the shard manifests (expecting N videos) and exit")
    args = parser.parse_args(argv)
    try:
        if args.merge is not None:
            print(merge_manifests(args.out, expected=args.merge))
            return 0
        if not args.prompts:
            raise UserInputError("--prompts is required", hint="a CSV with columns id,prompt")
        if args.shard:
            i, _, n = args.shard.partition("/")
            shard = (int(i), int(n or 0))
        else:
            shard = shard_from_env()
        path = Path(args.prompts)
        if not path.is_file():
            raise NotFoundError(f"prompts file {path} does not exist", hint="a CSV with columns id,prompt")
        with open(path, newline="", encoding="utf-8") as fh:
            reader = csv.DictReader(fh)
            if not {"id", "prompt"} <= set(reader.fieldnames or []):
                raise UserInputError(f"{path} needs the columns id,prompt", hint=f"found {reader.fieldnames}")
            rows = list(reader)
        from synvita.registry import GENERATORS
        import synvita.generators  # noqa: F401  (registers the built-ins)

        options = dict(_option(s) for s in args.set)
        if args.model_path:
            options["model_path"] = args.model_path
        generator = GENERATORS.get(args.generator)(**options)
        manifest = generate_to_dir(generator, [r["prompt"] for r in rows], [r["id"] for r in rows], args.out, args.seed, shard,
                                   progress=lambda d, t: print(f"{d}/{t}", file=sys.stderr, flush=True))
        print(manifest)
        return 0
    except SynvitaError as exc:
        print(f"error: {exc.one_line()}", file=sys.stderr)
        return exc.exit_code


if __name__ == "__main__":
    raise SystemExit(main())
