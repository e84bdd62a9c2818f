"""Timing shared by the benchmarks of whole processes (startup, listing, TUI): processes timed in turns, and the
`Row` (`benchmarks/rows.py`) each comparison makes.

A sample is (wall seconds, CPU seconds) of one process. A row's ratio is ours / peer per repeat (its median, min and
max); `ours` and `peer` show the wall-time medians with the CPU-time medians beside them (user + system of the
process, which load from other processes inflates less than wall time: on a busy machine it shows what a quiet one
would measure).
"""

from __future__ import annotations

import math
import os
import resource
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path

from benchmarks.rows import Row

REPO = Path(__file__).resolve().parents[1]

SYNVITA = [sys.executable, "-c", "from synvita.cli.app import main; main()"]
"""The console script `synvita` (`synvita.cli.app:main`), run with this interpreter and this checkout."""


def environment() -> dict[str, str]:
    """The environment the timed processes get: this checkout first on the path, no colour, and bytecode caches
    allowed (as after an install: the untimed first round writes them), so that no timed start compiles sources."""
    env = dict(os.environ)
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(REPO), env.get("PYTHONPATH", "")) if p)
    env["NO_COLOR"] = "1"
    return env


def run_process(argv: Sequence[str], env: dict[str, str]) -> tuple[float, float, str]:
    """(wall seconds from start to exit, CPU seconds, stdout) of one process; a failure is an error."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    out = subprocess.run(list(argv), env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, check=True,
                         cwd=REPO).stdout
    wall = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime), out


def time_process(argv: Sequence[str], env: dict[str, str]) -> tuple[float, float]:
    """(wall, CPU) seconds of one process (see `run_process`)."""
    wall, cpu, _ = run_process(argv, env)
    return wall, cpu


Sample = tuple[float, float]
"""(wall seconds, CPU seconds) of one measurement."""


def time_in_turns(commands: dict[str, Callable[[], Sample]], repeats: int) -> dict[str, list[Sample]]:
    """Each measurement `repeats` times, taking turns, so that load from other processes falls on all alike.
    One untimed round first warms the page cache and the bytecode caches."""
    for measure in commands.values():
        measure()
    times: dict[str, list[Sample]] = {name: [] for name in commands}
    for _ in range(repeats):
        for name, measure in commands.items():
            times[name].append(measure())
    return times


def row(
    name: str, ours: list[Sample], peer: list[Sample] | None, *, peer_name: str, goal: str,
    met: Callable[[float, float], bool], unit: str = "s",
) -> Row:
    """A row from paired samples (ours[i] and peer[i] from the same turn); `met(ours median, ratio)` judges the
    goal. Without a peer (not installed) the ratio is NaN. For a unit other than seconds the samples' second
    element is unused (no CPU time shown)."""
    ours_median = statistics.median(w for w, _ in ours)
    ratios = [] if peer is None else [o / p for (o, _), (p, _) in zip(ours, peer)]
    ratio = statistics.median(ratios) if ratios else math.nan
    return Row(
        name=name, ours=_describe(ours, unit),
        peer=f"{peer_name} " + ("not measured" if peer is None else _describe(peer, unit)),
        ratio=ratio, repeats=len(ours), low=min(ratios, default=math.nan), high=max(ratios, default=math.nan),
        goal=goal, met=bool(met(ours_median, ratio)),
    )


def _describe(samples: list[Sample], unit: str) -> str:
    wall = statistics.median(w for w, _ in samples)
    if unit != "s":
        return f"{wall:.1f} {unit}"
    return f"{wall * 1e3:.0f} ms (CPU {statistics.median(c for _, c in samples) * 1e3:.0f} ms)"
