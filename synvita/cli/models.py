"""`synvita models`: model weights for trying the recipe (logic in synvita.api.models)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from synvita.cli._utils import SynvitaGroup, columns, info, out, typer_factory

app = typer_factory(help="Model weights: tiny random checkpoints for trying the paper recipe without downloads.",
                    cls=SynvitaGroup)


@app.command("tiny-checkpoints")
def tiny_checkpoints(
    out_dir: Annotated[Path, typer.Option("--out", "-o", help="Folder to write the checkpoints into.")],
    force: Annotated[bool, typer.Option("--force", help="Rewrite checkpoint folders that already exist.")] = False,
) -> None:
    """Write tiny, randomly initialised CogVideoX, Video-LLaVA and LLaVA-NeXT-Video checkpoints in the released
    models' directory layouts, and print the --set options that run experiments/paper-videollava.toml on them."""
    from synvita.api import models as models_api

    written = models_api.tiny_checkpoints(out_dir, force=force)
    out(columns(["checkpoint", "layout of", "used as"], [[str(c.path), c.stands_for, c.role] for c in written]))
    sets = " ".join(f"--set '{s}'" for s in models_api.paper_overrides(written))
    info("run the paper recipe on them (with a small world): synvita run experiments/paper-videollava.toml "
         f"{sets} --set world.preset=tiny")
