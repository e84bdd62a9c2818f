"""Plain-text helpers shared by the report renderers, the CLI and the TUI: durations, unicode bars, ANSI colour."""

from __future__ import annotations

BLOCKS = " ▁▂▃▄▅▆▇█"
"""Eighth blocks for unicode histograms (index 0 = empty)."""

GREEN, RED, BOLD, DIM, RESET = "\x1b[32m", "\x1b[31m", "\x1b[1m", "\x1b[2m", "\x1b[0m"
"""ANSI escape codes the text renderers colour with."""


def paint(text: str, code: str, enabled: bool) -> str:
    """`text` wrapped in the ANSI `code` when colour is `enabled` (an empty text stays empty)."""
    return f"{code}{text}{RESET}" if enabled and text else text


def format_duration(seconds: float | None, missing: str = "") -> str:
    """A compact duration for listings (45s, 3m07s, 2h05m, 1d03h); `missing` when unknown. Shared by CLI and TUI."""
    if seconds is None:
        return missing
    seconds = max(0, int(seconds))
    if seconds < 60:
        return f"{seconds}s"
    if seconds < 3600:
        return f"{seconds // 60}m{seconds % 60:02d}s"
    if seconds < 86400:
        return f"{seconds // 3600}h{(seconds % 3600) // 60:02d}m"
    return f"{seconds // 86400}d{(seconds % 86400) // 3600:02d}h"


def sparkline(counts: list[int], height: int = 1) -> list[str]:
    """Unicode bar chart of histogram counts, `height` text rows tall (top row first), one column per bin."""
    top = max(counts) if counts else 0
    rows = []
    for level in range(height, 0, -1):
        chars = []
        for c in counts:
            filled = (c / top * height * 8) if top else 0  # in eighths of a row
            part = filled - (level - 1) * 8
            chars.append(BLOCKS[8] if part >= 8 else BLOCKS[max(0, int(round(part)))] if part > 0 else " ")
            if c > 0 and level == 1 and chars[-1] == " ":
                chars[-1] = BLOCKS[1]  # a non-empty bin is always visible
        rows.append("".join(chars))
    return rows
