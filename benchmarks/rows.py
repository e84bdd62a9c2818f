"""The row every benchmark reports to `benchmarks/run_all.py`: one measurement side by side with its peer.

A benchmark module takes part in `run_all` when it defines `main(argv: list[str] | None = None) -> list[Row]`
(annotated so: run_all reads the annotation to pick the modules whose `main` returns rows, without running the
others). `main` measures ours and the peer in the same process, interleaved, `repeats` times, and returns one `Row`
per comparison; called as a script it prints them (`print_rows`). It also defines `QUICK`, the arguments of a
quick check (`run_all --quick`): fewer repeats, and smaller sizes where one repeat takes long.

Fields of a row:

    name     what is measured ("Log 100k metric points, events.jsonl → store")
    ours     our median with its unit ("61,200 points/s")
    peer     the peer and its median ("MLflow 3.17 log_batch (SQLite) 2,900 points/s")
    ratio    the median over repeats of the per-repeat ratio ours / peer (peer / ours where the row says so),
             oriented as `goal` states it; NaN when the peer could not be measured (an optional peer not installed)
    repeats  how many times each side was measured
    low      the smallest per-repeat ratio
    high     the largest per-repeat ratio
    goal     the target, e.g. "≥ 10×" or "≤ 5×" (a ratio), or "< 50 ms" (then about `ours`)
    met      whether the goal holds for the median
"""

from __future__ import annotations

import math
import statistics
from dataclasses import dataclass
from typing import Callable, Sequence


@dataclass(frozen=True)
class Row:
    """One benchmark comparison (see the module docstring for the fields)."""

    name: str
    ours: str
    peer: str
    ratio: float
    repeats: int
    low: float
    high: float
    goal: str
    met: bool


def ratio_row(
    name: str,
    ours: Sequence[float],
    peer: Sequence[float],
    *,
    describe: Callable[[float], str],
    peer_name: str,
    at_least: float | None = None,
    at_most: float | None = None,
    peer_over_ours: bool = False,
) -> Row:
    """A row from paired samples (ours[i] and peer[i] measured in the same repeat), the ratio ours / peer (or
    peer / ours: how many times the peer's cost ours is).

    `describe` formats a median with its unit; the goal is `ratio >= at_least` or `ratio <= at_most`."""
    ratios = [p / o if peer_over_ours else o / p for o, p in zip(ours, peer)]
    ratio = statistics.median(ratios)
    if at_least is not None:
        goal, met = f"≥ {at_least:g}×", ratio >= at_least
    elif at_most is not None:
        goal, met = f"≤ {at_most:g}×", ratio <= at_most
    else:
        goal, met = "—", True
    return Row(
        name=name, ours=describe(statistics.median(ours)), peer=f"{peer_name} {describe(statistics.median(peer))}",
        ratio=ratio, repeats=len(ratios), low=min(ratios), high=max(ratios), goal=goal, met=met,
    )


def ratio_text(row: Row) -> str:
    """"2.35× (2.10–2.61)", or "—" without a peer."""
    if math.isnan(row.ratio):
        return "—"
    return f"{row.ratio:.2f}× ({row.low:.2f}–{row.high:.2f})"


def print_rows(rows: Sequence[Row]) -> None:
    for row in rows:
        print(f"{row.name}: {row.ours} vs {row.peer}: {ratio_text(row)}, {row.repeats} repeats; goal {row.goal}: "
              f"{'met' if row.met else 'NOT met'}")
