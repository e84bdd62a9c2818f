"""Contains `synvita tui`: starts the Textual app (imported only here, so no other command pays for Textual), in
the terminal or, with --web, served to a browser through textual-serve."""

from __future__ import annotations

import importlib
from typing import Annotated

import typer

from synvita.cli._utils import get_api
from synvita.errors import UserInputError


def tui(
    read_only: Annotated[bool, typer.Option("--read-only", help="Browse only: no queueing, cancelling or retrying.")] = False,
    web: Annotated[bool, typer.Option("--web", help="Serve the app to a browser (reach it through `ssh -L PORT:127.0.0.1:PORT`).")] = False,
    host: Annotated[str, typer.Option("--host", help="With --web: address to listen on (loopback unless --allow-remote).")] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", help="With --web: port to listen on.")] = 8000,
    allow_remote: Annotated[bool, typer.Option("--allow-remote", help="With --web: allow a non-loopback --host.")] = False,
) -> None:
    """Open the terminal UI on the database (runs, live logs, metrics, weights, compare)."""
    api = get_api(read_only=read_only)
    api.check_readable()  # a database the app cannot use: its one line and exit code, before the screen opens
    try:
        # a dynamic import: the engine never imports the front end statically (import-linter contract)
        front_end = importlib.import_module("tui.web" if web else "tui.app")
    except ModuleNotFoundError as exc:
        raise UserInputError(f"the TUI is not available: {exc}", hint="install synvita with its dependencies (textual, textual-serve)") from None
    if not web:
        front_end.run(db=str(api.db_path), read_only=read_only)
        return
    try:
        front_end.serve(api.db_path, read_only=read_only, host=host, port=port, allow_remote=allow_remote)
    except front_end.RemoteBindRefused as refused:
        raise UserInputError(str(refused)) from None
