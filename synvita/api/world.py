"""World operations for the front ends (CLI, TUI): presets, build, samples and the contact sheet. Torch-free."""

from __future__ import annotations

import json
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

import numpy as np

from synvita.errors import UserInputError


@dataclass
class Sample:
    """One training pair next to its synthetic video: what `synvita world show` prints and draws."""

    index: int
    misalignment: str
    caption: str
    """t^r, the real video's caption."""
    contrast: str
    """t^s, the contrast caption (the generator's prompt)."""
    rendered_caption: str
    """What the generator actually rendered."""
    faithful: bool | None
    """None where unknown (videos from a real generator)."""
    real: np.ndarray
    """uint8 [T, H, W, 3]."""
    synthetic: np.ndarray
    """uint8 [T, H, W, 3]."""


def presets() -> list[dict[str, Any]]:
    """Registered world presets with their split sizes and clip geometry."""
    import synvita.world  # noqa: F401  (registers the presets)
    from synvita.registry import WORLD_PRESETS

    out = []
    for entry in WORLD_PRESETS.entries():
        cfg = WORLD_PRESETS.get(entry.name)
        out.append(
            {
                "name": entry.name,
                "summary": entry.summary,
                "clip": f"{cfg.frames}x{cfg.height}x{cfg.width}",
                "layout": cfg.video_layout,
                **cfg.split_sizes(),
            }
        )
    return out


def parse_overrides(items: list[str] | None) -> dict[str, Any]:
    """["frames=16", "held_out_colours=[\"red\"]"] → {"frames": 16, ...}; values are JSON, else strings."""
    out: dict[str, Any] = {}
    for item in items or []:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise UserInputError(f"bad setting '{item}'", hint="use KEY=VALUE, e.g. --set frames=16")
        try:
            out[key.strip()] = json.loads(value)
        except json.JSONDecodeError:
            out[key.strip()] = value
    return out


def build(
    preset: str = "quickstart",
    seed: int = 0,
    out: str | Path = "world",
    overrides: dict[str, Any] | None = None,
    progress: Callable[[int, int, str], None] | None = None,
):
    """Build a world directory (see `synvita.world.build_world`) and return the `World`."""
    from synvita.world import build_world

    return build_world(preset, seed, out, progress=progress, overrides=overrides)


def samples(
    world_dir: str | Path | None = None,
    synthetic_dir: str | Path | None = None,
    n: int = 7,
    profile: str = "default",
    seed: int = 0,
) -> list[Sample]:
    """The first n training pairs (one per misalignment type first) with their real and synthetic clips.

    Without `world_dir` a `tiny` world is built in a temporary directory; without `synthetic_dir` the synthetic
    clips are generated on the fly with the procedural generator and `profile`.
    """
    from synvita.world import build_world, load_world

    if world_dir is None:
        with tempfile.TemporaryDirectory(prefix="synvita-world-") as tmp:
            return samples(build_world("tiny", seed, tmp).root, synthetic_dir, n, profile, seed)
    world = load_world(world_dir)
    bank, pairs = world.split("train")
    n = max(1, min(n, len(pairs)))
    idx = list(range(n))
    if synthetic_dir is not None:
        from synvita.world.synthetic import load_synthetic

        syn = load_synthetic(synthetic_dir)
        syn_frames = [np.array(syn.bank.frames[syn.pair_index[i]]) for i in idx]
        rendered = [syn.rendered_caption[i] for i in idx]
        faithful = [syn.faithful_or_none(i) for i in idx]  # None for a real generator's videos
    else:
        from synvita.generators.procedural import ProceduralGenerator

        gen = ProceduralGenerator(profile=profile, config=world.config)
        videos = gen.generate([pairs.caption_neg[i] for i in idx], seed, references=[pairs.caption_pos[i] for i in idx])
        syn_frames = [v.frames for v in videos]
        rendered = [v.rendered_caption or "" for v in videos]
        faithful = [bool(v.faithful) for v in videos]
    return [
        Sample(
            index=i,
            misalignment=pairs.misalignment[i],
            caption=pairs.caption_pos[i],
            contrast=pairs.caption_neg[i],
            rendered_caption=rendered[k],
            faithful=faithful[k],
            real=np.array(bank.frames[pairs.video[i]]),  # a copy: the world may be a temporary directory
            synthetic=syn_frames[k],
        )
        for k, i in enumerate(idx)
    ]


def stats(world_dir: str | Path, synthetic_dir: str | Path | None = None) -> dict[str, Any]:
    """Counts that show the world's construction (see `synvita.world.stats.world_stats`)."""
    from synvita.world.stats import world_stats

    return world_stats(world_dir, synthetic_dir)


def render_prompt(
    prompt: str, out: str | Path, profile: str = "default", seed: int = 0, preset: str = "quickstart", real: bool = False
) -> dict[str, Any]:
    """Render one caption with the procedural generator (or in the real look) to an mp4; returns what was rendered."""
    from synvita.data.video_io import write_mp4
    from synvita.generators.procedural import ProceduralGenerator
    from synvita.world import canonical, parse, resolve_config
    from synvita.world.render import render

    cfg = resolve_config(preset)
    out = Path(out)
    if real:
        scene = parse(prompt)
        frames = render(scene, cfg, np.random.default_rng(seed), relax_on_failure=True)
        info = {"prompt": prompt, "rendered_caption": canonical(scene), "faithful": True, "look": "real"}
    else:
        (video,) = ProceduralGenerator(profile, cfg).generate([prompt], seed)
        frames = video.frames
        info = {"prompt": prompt, "rendered_caption": video.rendered_caption, "faithful": video.faithful, "look": profile}
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        write_mp4(out, frames, fps=cfg.fps, codec=cfg.codec)
    except OSError as exc:
        raise UserInputError(f"cannot write {out}: {exc.strerror or exc}", hint="choose a writable --out path") from None
    return {**info, "path": str(out), "frames": frames}


def export(
    world_dir: str | Path,
    out_dir: str | Path,
    synthetic_dir: str | Path | None = None,
    *,
    include_train: bool = True,
    prompt: bool = True,
    codec: str = "h264-rgb",
    progress: Callable[[int, int, str], None] | None = None,
) -> dict[str, Path]:
    """Write a built world in the original datasets' layouts (see `synvita.world.export.export_original`); returns
    the file written per set. `world_dir`: a world folder or a world run's directory."""
    from synvita.errors import UserInputError
    from synvita.world import load_world
    from synvita.world.export import export_original
    from synvita.world.source import world_dir as find_world

    codecs = ("h264-rgb", "h264-444", "h264-420")
    if codec not in codecs:
        raise UserInputError(f"unknown codec '{codec}'", hint=f"codecs: {', '.join(codecs)} (h264-rgb is lossless)")
    return export_original(load_world(find_world(world_dir)), out_dir, synthetic_dir, include_train=include_train,
                           codec=codec, prompt=prompt, progress=progress)


def contact_sheet(items: list[Sample], path: str | Path, scale: int = 2) -> Path:
    """PNG: one row per sample, real frames then synthetic frames left to right, captions above each row."""
    from PIL import Image, ImageDraw, ImageFont

    path = Path(path)
    T, H, W, _ = items[0].real.shape
    fw, fh, gap, text_h, pad, sep = W * scale, H * scale, 14, 30, 6, 2
    width = pad * 2 + 2 * T * (fw + sep) + gap
    height = pad + len(items) * (text_h + fh + pad)
    sheet = Image.new("RGB", (width, height), (250, 250, 250))
    draw = ImageDraw.Draw(sheet)
    try:
        font = ImageFont.load_default(size=11)
    except TypeError:  # older Pillow
        font = ImageFont.load_default()
    y = pad
    for s in items:
        verdict = "faithfulness unknown" if s.faithful is None else "faithful" if s.faithful else f"UNFAITHFUL (rendered: {s.rendered_caption})"
        draw.text((pad, y), f"real  t^r: {s.caption}", fill=(20, 20, 20), font=font)
        draw.text((pad, y + 14), f"synthetic [{s.misalignment}] t^s: {s.contrast}  -> {verdict}", fill=(170, 20, 20) if s.faithful is False else (20, 20, 20), font=font)
        y += text_h
        for k, clip in enumerate((s.real, s.synthetic)):
            x0 = pad + k * (T * (fw + sep) + gap)
            for t in range(T):
                frame = Image.fromarray(np.asarray(clip[t])).resize((fw, fh), Image.NEAREST)
                sheet.paste(frame, (x0 + t * (fw + sep), y))
        y += fh + pad
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        sheet.save(path)
    except OSError as exc:
        raise UserInputError(f"cannot write contact sheet {path}: {exc.strerror or exc}", hint="choose a writable --sheet path") from None
    return path
