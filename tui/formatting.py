"""Pure text helpers for the TUI (no widgets, no API calls), so they are unit-tested without an app.

The filter syntax of the runs screen, durations, progress bars, sparklines and the log tail's collapsing of
carriage-return progress lines live here.
"""

from __future__ import annotations

import datetime as _dt
from typing import Iterable

from synvita.api import format_duration as _format_duration
from synvita.entities import RUN_STATUSES, RunEvent

FILTER_KEYS = ("status", "experiment", "generator", "stage", "variant")
"""`key:value` words the runs filter understands; every other word is free text."""

STATUS_STYLES = {
    "queued": "dim",
    "running": "bold cyan",
    "succeeded": "green",
    "failed": "bold red",
    "cancelled": "yellow",
    "lost": "magenta",
    "preempted": "magenta",
}

SPARK_BLOCKS = " ▁▂▃▄▅▆▇█"


class FilterSyntaxError(ValueError):
    """A runs filter that cannot be understood (unknown status, empty value)."""


def parse_filter(text: str) -> dict[str, str]:
    """`status:running exp:quickstart var:synvita gen:procedural lr` → store filters plus `text` for the free words.

    Keys may be abbreviated to a unique prefix (`stat`, `exp`, `gen`, `stag`, `var`). The free words are matched as
    one substring of a run's id, experiment, stage, variant, generator or status (the search by name). Raises FilterSyntaxError on a bad
    status, an empty value or an ambiguous key.
    """
    filters: dict[str, str] = {}
    free: list[str] = []
    for word in text.split():
        key, sep, value = word.partition(":")
        matches = [k for k in FILTER_KEYS if k.startswith(key.lower())] if sep and key else []
        if len(matches) > 1:
            raise FilterSyntaxError(f"'{key}:' is ambiguous ({', '.join(matches)}); type more letters")
        if not matches:
            free.append(word)
            continue
        if not value:
            raise FilterSyntaxError(f"'{word}' has no value; write e.g. {matches[0]}:…")
        if matches[0] == "status" and value not in RUN_STATUSES:
            raise FilterSyntaxError(f"unknown status '{value}'; one of {', '.join(RUN_STATUSES)}")
        filters[matches[0]] = value
    if free:
        filters["text"] = " ".join(free)
    return filters


def format_filter(filters: dict[str, str]) -> str:
    """The inverse of `parse_filter` (used to show the active filter)."""
    words = [f"{k}:{v}" for k, v in filters.items() if k != "text"]
    if filters.get("text"):
        words.append(filters["text"])
    return " ".join(words)


def format_duration(seconds: float | None) -> str:
    return _format_duration(seconds, missing="—")


def format_timestamp(ts: float | None) -> str:
    if ts is None:
        return "—"
    return _dt.datetime.fromtimestamp(ts, tz=_dt.timezone.utc).strftime("%Y-%m-%d %H:%M:%S UTC")


def progress_bar(progress: float | None, width: int = 8) -> str:
    """`▕████▌   ▏ 56%` style bar; blank for runs that never reported progress."""
    if progress is None:
        return ""
    progress = min(1.0, max(0.0, progress))
    eighths = round(progress * width * 8)
    full, part = divmod(eighths, 8)
    bar = "█" * full + ("▏▎▍▌▋▊▉"[part - 1] if part else "")
    return f"{bar:<{width}} {progress * 100:3.0f}%"


def format_number(value: float | None, digits: int = 2) -> str:
    return "—" if value is None else f"{value:.{digits}f}"


def sparkline(counts: Iterable[int]) -> str:
    """One character per histogram bin, height proportional to the count."""
    counts = list(counts)
    peak = max(counts, default=0)
    if peak <= 0:
        return " " * len(counts)
    top = len(SPARK_BLOCKS) - 1
    return "".join(SPARK_BLOCKS[0 if c <= 0 else max(1, round(c / peak * top))] for c in counts)


def _last_carriage_segment(line: str) -> str:
    """What a terminal shows for a line rewritten with carriage returns: the text after the last non-final CR."""
    segments = [s for s in line.split("\r") if s]
    return segments[-1] if segments else ""


def collapse_log(events: Iterable[RunEvent]) -> list[str]:
    """Log lines for the run detail tail.

    A run of consecutive progress events shows only its latest one (like a tqdm bar redrawn with `\\r`), and a
    log message containing carriage returns shows only what the terminal would finally display. Metric events
    are left to the curves panel.
    """
    lines: list[str] = []
    last_was_progress = False
    for event in events:
        if event.kind == "metric":
            continue
        data = event.data
        if event.kind == "progress":
            total = data.get("total") or 0
            done = data.get("done", 0)
            pct = f" {100 * done / total:3.0f}%" if total else ""
            text = f"[progress] {done}/{total}{pct} {data.get('msg', '')}".rstrip()
            if last_was_progress:
                lines[-1] = text
            else:
                lines.append(text)
            last_was_progress = True
            continue
        last_was_progress = False
        if event.kind == "log":
            level = data.get("level", "info")
            prefix = "" if level == "info" else f"[{level}] "
            for raw in str(data.get("msg", "")).split("\n"):
                lines.append(prefix + _last_carriage_segment(raw))
        elif event.kind == "result":
            extra = "".join(f" {k}={data[k]}" for k in ("subset", "control") if data.get(k))
            lines.append(f"[result] {data.get('benchmark')} {data.get('metric')} = {data.get('value'):.2f}{extra}")
        elif event.kind in ("artifact", "weights"):
            lines.append(f"[{event.kind}] {data.get('name', '')} {data.get('path', '')}".replace("  ", " "))
    return lines


def merge_collapsed(existing: list[str], existing_ends_in_progress: bool, new_events: list[RunEvent]) -> tuple[list[str], bool]:
    """Append newly tailed events to already rendered lines, keeping the progress collapse across batches."""
    new_events = [e for e in new_events if e.kind != "metric"]
    if not new_events:
        return existing, existing_ends_in_progress
    new_lines = collapse_log(new_events)
    if existing_ends_in_progress and new_events[0].kind == "progress" and existing:
        existing = existing[:-1]
    return existing + new_lines, new_events[-1].kind == "progress"
