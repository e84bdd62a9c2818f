"""`synvita world`: build the embedded procedural world, look at samples, list presets (logic in synvita.api.world)."""

from __future__ import annotations

import sys
import time
from pathlib import Path
from typing import Annotated, Optional

import typer

from synvita.cli._utils import SynvitaGroup, columns, info, out, print_json, typer_factory

app = typer_factory(
    help="The embedded procedural world: build it, look at samples, list presets.",
    cls=SynvitaGroup,
)


class _StderrProgress:
    """Plain progress lines on stderr: one per phase change, at most one per `every_s` within a phase."""

    def __init__(self, every_s: float = 2.0) -> None:
        self.every_s = every_s
        self.last_msg = ""
        self.last_t = 0.0

    def __call__(self, done: int, total: int, msg: str) -> None:
        now = time.monotonic()
        if msg == self.last_msg and done != total and now - self.last_t < self.every_s:
            return
        self.last_msg, self.last_t = msg, now
        print(f"{time.strftime('%H:%M:%S')} {msg}: {done}/{total}", file=sys.stderr, flush=True)


@app.command()
def build(
    preset: Annotated[str, typer.Option("--preset", "-p", help="World preset (see `synvita world presets`).")] = "quickstart",
    seed: Annotated[int, typer.Option("--seed", "-s", help="World seed: same preset + seed → identical data.")] = 0,
    out_dir: Annotated[Path, typer.Option("--out", "-o", help="Output directory.")] = Path("world"),
    settings: Annotated[
        Optional[list[str]], typer.Option("--set", help="Override a preset field, KEY=VALUE (JSON value), repeatable.")
    ] = None,
) -> None:
    """Render every split and benchmark (mp4 + frame cache + manifests) into --out."""
    from synvita.api import world as world_api

    t0 = time.perf_counter()
    world = world_api.build(preset, seed, out_dir, world_api.parse_overrides(settings), progress=_StderrProgress())
    info(f"built world '{world.config.name}' seed {seed} in {time.perf_counter() - t0:.1f}s → {out_dir}")
    out(columns(["set", "rows"], [[k, v] for k, v in world.meta["sets"].items()], right={1}))


@app.command()
def show(
    world_dir: Annotated[Optional[Path], typer.Option("--world", "-w", help="A built world (default: a tiny one in a temp dir).")] = None,
    synthetic_dir: Annotated[
        Optional[Path], typer.Option("--synthetic", help="A generated synthetic set (default: generate on the fly).")
    ] = None,
    n: Annotated[int, typer.Option("--n", "-n", help="Number of samples (the first 7 cover every type).")] = 7,
    profile: Annotated[str, typer.Option("--profile", help="Noise profile when generating on the fly.")] = "default",
    sheet: Annotated[Path, typer.Option("--sheet", help="Contact-sheet PNG to write.")] = Path("contact-sheet.png"),
    seed: Annotated[int, typer.Option("--seed", "-s")] = 0,
) -> None:
    """Print a few training pairs with their synthetic video's fate, and write a contact sheet (real | synthetic)."""
    from synvita.api import world as world_api

    items = world_api.samples(world_dir, synthetic_dir, n=n, profile=profile, seed=seed)
    for s in items:
        out(f"[{s.index}] {s.misalignment}")
        out(f"    caption   t^r: {s.caption}")
        out(f"    contrast  t^s: {s.contrast}")
        out(f"    faithful: {'unknown' if s.faithful is None else 'yes' if s.faithful else 'no, rendered: ' + s.rendered_caption}")
    path = world_api.contact_sheet(items, sheet)
    info(f"contact sheet → {path}")


@app.command()
def render(
    prompt: Annotated[str, typer.Argument(help="A caption, e.g. 'one big red circle moves left then two small blue squares grow'.")],
    out_path: Annotated[Path, typer.Option("--out", "-o", help="mp4 to write.")] = Path("clip.mp4"),
    profile: Annotated[str, typer.Option("--profile", help="Noise profile of the procedural generator.")] = "default",
    real: Annotated[bool, typer.Option("--real", help="Render in the real look, never failing.")] = False,
    seed: Annotated[int, typer.Option("--seed", "-s")] = 0,
) -> None:
    """Render one prompt with the procedural generator (as a text-to-video model would) to an mp4."""
    from synvita.api import world as world_api

    result = world_api.render_prompt(prompt, out_path, profile=profile, seed=seed, real=real)
    out(f"rendered: {result['rendered_caption']}")
    out(f"faithful: {'yes' if result['faithful'] else 'no'}")
    info(f"wrote {result['path']}")


@app.command()
def stats(
    world_dir: Annotated[Path, typer.Option("--world", "-w", help="A built world.")] = Path("world"),
    synthetic_dir: Annotated[Optional[Path], typer.Option("--synthetic", help="A generated synthetic set.")] = None,
    json_: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """How the world is built: scene kinds, types, held-out shares, benchmark shapes, generator failures per type."""
    from synvita.api import world as world_api

    st = world_api.stats(world_dir, synthetic_dir)
    if json_:
        print_json(st)
        return
    out(f"world '{st['preset']}' seed {st['seed']}; held-out concepts: {', '.join(st['held_out'])}")
    out("")
    rows = [[b, v["videos"], *(v["kinds"].get(k, 0) for k in ("single", "and", "then", "relation")), v["held_out_share"]]
            for b, v in st["banks"].items()]
    out(columns(["bank", "videos", "single", "and", "then", "relation", "held-out"], rows, right=set(range(1, 7))))
    out("")
    rows = [[n, v["pairs"], v["held_out_in_video"], v["held_out_in_negative"], v["hard"],
             " ".join(f"{t}={c}" for t, c in v["types"].items())] for n, v in st["pairs"].items()]
    out(columns(["pairs", "n", "held-out video", "held-out neg", "hard", "types"], rows, right={1, 2, 3, 4}))
    out("")
    for name, v in st["benchmarks"].items():
        out(f"{name}: " + ", ".join(f"{k} {val}" for k, val in v.items()))
    if "synthetic" in st:
        syn = st["synthetic"]
        out("")
        out(f"synthetic ({syn['generator']}/{syn['profile']}): {syn['videos']} videos, faithful {syn['faithful']}")
        rows = [[t, v["videos"], v["failed"], v["faithful"]] for t, v in syn["per_type"].items()]
        out(columns(["type", "videos", "failed", "faithful"], rows, right={1, 2, 3}))


@app.command()
def export(
    world_dir: Annotated[Path, typer.Option("--world", "-w", help="A built world.")] = Path("world"),
    out_dir: Annotated[Path, typer.Option("--out", "-o", help="Output directory.")] = Path("world-export"),
    synthetic_dir: Annotated[Optional[Path], typer.Option("--synthetic", help="Add SynViTA's training CSV for this synthetic set (with --train).")] = None,
    train: Annotated[bool, typer.Option("--train/--no-train", help="Also export the train/val/test pairs and their videos (20k+ mp4 files for quickstart).")] = True,
    bare: Annotated[bool, typer.Option("--bare", help="Bare captions instead of the mPLUG-Owl prompt.")] = False,
    codec: Annotated[str, typer.Option("--codec", help="h264-rgb (lossless: the `videocon` source reads back the world's exact frames), h264-444, or h264-420 (yuv420p, for decord).")] = "h264-rgb",
) -> None:
    """Write the world in the original layouts (VideoCon, SSv2, ATP-Hard CSVs; one mp4 per clip): the `videocon`
    data source, with its `root` set to OUT, reads the folder as it is, and so do the original scripts."""
    from synvita.api import world as world_api

    written = world_api.export(
        world_dir, out_dir, synthetic_dir, include_train=train, prompt=not bare, codec=codec, progress=_StderrProgress()
    )
    out(columns(["set", "file"], [[k, str(v)] for k, v in written.items()]))


@app.command()
def presets(json_: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False) -> None:
    """List the registered world presets and their sizes."""
    from synvita.api import world as world_api

    rows = world_api.presets()
    if json_:
        print_json(rows)
        return
    keys = ["name", "clip", "pretrain", "train", "val", "test", "human", "retrieval-temporal", "retrieval-events", "qa-hard", "layout"]
    out(columns(keys, [[r[k] for k in keys] for r in rows], right=set(range(2, 10))))
