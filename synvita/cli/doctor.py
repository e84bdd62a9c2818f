"""Contains `synvita doctor`: checks SQLite, the database location and filesystem, disk, ML packages and GPUs."""

from __future__ import annotations

import typer

from synvita.cli._utils import JsonOpt, get_api, out, print_json, use_color


def doctor(json_output: JsonOpt = False) -> None:
    """Check the environment; exits 1 when a required check fails (optional ones, like a GPU, only warn)."""
    checks = get_api().doctor()
    if json_output:
        print_json([c.__dict__ for c in checks])
    else:
        color = use_color()
        paint = {"ok": "\x1b[32m", "FAIL": "\x1b[31m", "--": "\x1b[33m"}
        for c in checks:
            mark = "ok" if c.ok else ("FAIL" if c.required else "--")
            text = f"{mark:<4}"
            out(f"{paint[mark] + text + chr(27) + '[0m' if color else text}  {c.name:<24} {c.detail}")
    if any(not c.ok and c.required for c in checks):
        raise typer.Exit(1)
