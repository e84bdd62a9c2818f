"""Contains `synvita tui`: starts the Textual app (imported only here, so no other command pays for Textual)."""

from __future__ import annotations

import importlib
from typing import Annotated

import typer

from synvita.cli._utils import get_api
from synvita.errors import UserInputError


def tui(
    read_only: Annotated[bool, typer.Option("--read-only", help="Browse only: no queueing, cancelling or retrying.")] = False,
) -> None:
    """Open the terminal UI on the database (runs, live logs, metrics, weights, compare)."""
    api = get_api(read_only=read_only)
    try:
        # a dynamic import: the engine never imports the front end statically (import-linter contract)
        tui_app = importlib.import_module("tui.app")
    except ModuleNotFoundError as exc:
        raise UserInputError(f"the TUI is not available: {exc}", hint="install synvita with its `textual` dependency") from None
    tui_app.run(db=str(api.db_path), read_only=read_only)
