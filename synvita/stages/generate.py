"""Stage `generate`: one synthetic video G(t^s) per training pair, written to `<run_dir>/synthetic`.

Reads the world from the upstream run `ctx.inputs["world"]` (its run dir or the world dir itself), the generator
name from `ctx.config["generator"]` and its settings from the [generation] section.

* `procedural` renders whole batches in memory (`generate_for_split`; profile, failure, look).
* Real generators (cogvideox, diffusers, folder) are built from `model_path` / `videos_dir`, device, dtype,
  num_frames, height, width, steps, guidance, batch_size and `options`, and go through `generate_with_model`:
  one mp4 per video under `<run_dir>/synthetic/generated/` (skipped when already there, so a retried run resumes),
  then conformed to the world's clip shape. Their `faithful` is unknown (None), which score/train tolerate.
Missing weights surface as the generator's one-line `NotFoundError`, i.e. the run's error.
"""

from __future__ import annotations

import dataclasses
import json
import re
import time
from pathlib import Path
from typing import Any

from synvita.stages import StageContext

MODEL_OPTIONS = ("device", "dtype", "num_frames", "height", "width", "steps", "guidance", "batch_size")
"""[generation] keys passed to a real generator's constructor when set (None / "auto" / 1 keep its default)."""

_DEFAULTS = {"device": "auto", "dtype": "auto", "batch_size": 1}
_DEVICE = re.compile(r"^(auto|cpu|cuda(:\d+)?)$")
_DTYPES = ("auto", "fp32", "bf16", "fp16", "float32", "bfloat16", "float16")


def world_dir(path: Path) -> Path:
    """The world directory inside an upstream world run dir (or the path itself if it is a world dir)."""
    path = Path(path)
    return path if (path / "world.json").exists() else path / "world"


def generator_options(generator: str, section: dict[str, Any]) -> dict[str, Any]:
    """Constructor keyword arguments for `generator` from a [generation] section (only what the user set)."""
    from synvita.errors import UserInputError

    if generator == "procedural":
        return {k: section[k] for k in ("failure", "look") if section.get(k)}
    options: dict[str, Any] = {k: section[k] for k in ("model_path", "videos_dir") if section.get(k)}
    device, dtype = str(section.get("device") or "auto"), str(section.get("dtype") or "auto")
    if not _DEVICE.match(device):
        raise UserInputError(f"generation.device '{device}' is not auto, cpu, cuda or cuda:N", hint="e.g. --set generation.device=cuda")
    if dtype not in _DTYPES:
        raise UserInputError(f"generation.dtype '{dtype}' is not one of auto, fp32, bf16, fp16", hint="e.g. --set generation.dtype=bf16")
    for key in ("num_frames", "height", "width", "steps", "batch_size"):
        value = section.get(key)
        if value is not None and int(value) < 1:
            raise UserInputError(f"generation.{key} = {value} must be ≥ 1")
    if section.get("guidance") is not None and float(section["guidance"]) < 0:
        raise UserInputError(f"generation.guidance = {section['guidance']} must be ≥ 0")
    if device.startswith("cuda"):
        import torch

        if not torch.cuda.is_available():
            raise UserInputError(f"generation.device = {device} but no CUDA GPU is visible", hint="use device=auto or cpu, or run on a GPU node")
    for key in MODEL_OPTIONS:
        value = section.get(key)
        if value is not None and value != _DEFAULTS.get(key):
            options[key] = value
    options.update(section.get("options") or {})
    return options


def build_generator(generator: str, options: dict[str, Any]):
    """The registered generator with `options`; an option it does not take is a one-line UserInputError."""
    import inspect

    import synvita.generators  # noqa: F401  (registers the built-ins)
    from synvita.errors import UserInputError
    from synvita.registry import GENERATORS

    cls = GENERATORS.get(generator)
    accepted: set[str] = set()
    takes_any = False
    for klass in getattr(cls, "__mro__", (cls,)):  # CogVideoX forwards **options to DiffusersGenerator
        init = klass.__dict__.get("__init__")
        if init is None:
            continue
        params = inspect.signature(init).parameters
        accepted |= {n for n, p in params.items() if p.kind not in (p.VAR_KEYWORD, p.VAR_POSITIONAL)}
        if not any(p.kind is p.VAR_KEYWORD for p in params.values()):
            break
    else:
        takes_any = True
    unknown = sorted(set(options) - accepted - {"self"})
    if unknown and not takes_any:
        raise UserInputError(
            f"generator '{generator}' does not take {', '.join(unknown)}",
            hint=f"it takes: {', '.join(sorted(accepted - {'self'}))}; remove those [generation] keys",
        )
    return cls(**options)


def run(ctx: StageContext) -> None:
    from synvita.world import load_world
    from synvita.world.stats import synthetic_stats
    from synvita.world.synthetic import generate_for_split, generate_with_model

    world = load_world(world_dir(ctx.inputs["world"]))
    section = ctx.section("generation")
    generator = str(ctx.config.get("generator") or section.generators[0])
    profile = section.profile
    options = generator_options(generator, dataclasses.asdict(section))
    out = ctx.run_dir / "synthetic"
    n_pairs = len(world.split("train")[1])
    t0 = time.perf_counter()
    last = [0.0]

    def progress(done: int, total: int, msg: str) -> None:
        now = time.perf_counter()
        if done == total or now - last[0] > 1.0:
            last[0] = now
            ctx.events.progress(done, total, msg)

    if generator == "procedural":
        ctx.events.log(f"generating with {generator} (profile {profile}) for {n_pairs} train pairs")
        syn = generate_for_split(world, generator, profile, ctx.seed, out, progress=progress, options=options)
    else:
        shown = {k: v for k, v in options.items() if k != "call_kwargs"}
        ctx.events.log(f"loading generator {generator} ({', '.join(f'{k}={v}' for k, v in shown.items())})")
        model = build_generator(generator, options)
        before = len(list((out / "generated" / "videos").glob("*.mp4"))) if (out / "generated").is_dir() else 0
        ctx.events.log(f"generating with {generator} for {n_pairs} train pairs" + (f" ({before} already generated, skipped)" if before else ""))
        syn = generate_with_model(world, model, generator, ctx.seed, out, progress=progress,
                                  batch_size=int(options.get("batch_size", 1)))
    ctx.events.metric("generate_s", time.perf_counter() - t0, 0)
    if syn.knows_faithful and len(syn):
        known = syn.faithful if syn.faithful_known is None else syn.faithful[syn.faithful_known]
        ctx.events.metric("faithful_rate", float(known.mean()), 0)
    per_type = synthetic_stats(out)
    (out / "stats.json").write_text(json.dumps(per_type, indent=2))
    for etype, v in per_type["per_type"].items():
        if v["faithful"] is None:
            ctx.events.log(f"{etype}: {v['videos']} videos (faithfulness unknown for {generator})")
        else:
            ctx.events.log(f"{etype}: {v['videos']} videos, failed {v['failed']:.2f}, faithful {v['faithful']:.2f}")
    ctx.events.artifact("synthetic", "synthetic")
    ctx.events.artifact("stats", "synthetic/stats.json")
    ctx.events.artifact("manifest", "synthetic/manifest.csv")
    ctx.events.artifact("videocon_train", "synthetic/videocon_train.csv")
