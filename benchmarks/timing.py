"""Timing shared by the startup and listing benchmarks: whole processes timed in turns, and their result rows.

A row is a plain dict, the format `benchmarks/run_all.py` prints:
    name     what was measured
    unit     of `ours` and `peer`: "s" (seconds) or "MiB"
    ours     synvita's median
    peer     the reference's median in the same run (None when there is none)
    ratio    ours / peer (None without a peer)
    repeats  how many times each side ran
    min, max the range over the repeats of the paired ratio ours_i / peer_i, or of `ours` without a peer
    goal     the target, in words
    met      whether the median meets it
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any, Callable, Sequence

REPO = Path(__file__).resolve().parents[1]

SYNVITA = [sys.executable, "-c", "from synvita.cli.app import main; main()"]
"""The console script `synvita` (`synvita.cli.app:main`), run with this interpreter and this checkout."""


def environment() -> dict[str, str]:
    """The environment the timed processes get: this checkout first on the path, no colour."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(REPO), env.get("PYTHONPATH", "")) if p)
    env["NO_COLOR"] = "1"
    return env


def time_process(argv: Sequence[str], env: dict[str, str]) -> float:
    """Seconds from starting the process to its exit (its output goes to /dev/null; a failure is an error)."""
    t0 = time.perf_counter()
    subprocess.run(list(argv), env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True, cwd=REPO)
    return time.perf_counter() - t0


def time_in_turns(commands: dict[str, Callable[[], float]], repeats: int) -> dict[str, list[float]]:
    """Each measurement `repeats` times, taking turns, so that load from other processes falls on all alike.
    One untimed round first warms the page cache and the bytecode caches."""
    for measure in commands.values():
        measure()
    times: dict[str, list[float]] = {name: [] for name in commands}
    for _ in range(repeats):
        for name, measure in commands.items():
            times[name].append(measure())
    return times


def row(
    name: str, ours: list[float], peer: list[float] | None, goal: str, met: Callable[[float, float | None], bool],
    unit: str = "s",
) -> dict[str, Any]:
    """A result row from paired samples (see the module docstring); `met(ours median, ratio)` judges the goal."""
    ours_median = statistics.median(ours)
    if peer is None:
        ratio, spread = None, ours
        peer_median = None
    else:
        peer_median = statistics.median(peer)
        ratio = ours_median / peer_median
        spread = [a / b for a, b in zip(ours, peer)]
    return {
        "name": name, "unit": unit, "ours": ours_median, "peer": peer_median, "ratio": ratio, "repeats": len(ours),
        "min": min(spread), "max": max(spread), "goal": goal, "met": bool(met(ours_median, ratio)),
    }


def print_rows(rows: list[dict[str, Any]]) -> None:
    for r in rows:
        show = (lambda v: f"{v * 1e3:.0f} ms") if r["unit"] == "s" else (lambda v: f"{v:.1f} {r['unit']}")
        peer = "" if r["peer"] is None else f" | peer {show(r['peer'])}"
        ratio = "" if r["ratio"] is None else f" | ratio {r['ratio']:.2f} ({r['min']:.2f}–{r['max']:.2f})"
        spread = "" if r["ratio"] is not None else f" ({show(r['min'])}–{show(r['max'])})"
        print(f"{r['name']}: {show(r['ours'])}{spread}{peer}{ratio} | n={r['repeats']} | goal {r['goal']}: "
              f"{'met' if r['met'] else 'NOT met'}")
