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
    ours_cpu, peer_cpu, ratio_cpu
             the same from the processes' CPU time (user + system), which load from other processes inflates
             less than wall time: on a busy machine it shows what a quiet one would measure
"""

from __future__ import annotations

import os
import resource
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

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
    name: str, ours: list[Sample], peer: list[Sample] | None, goal: str, met: Callable[[float, float | None], bool],
    unit: str = "s",
) -> dict[str, Any]:
    """A result row from paired samples (see the module docstring); `met(ours median, ratio)` judges the goal.
    For a unit other than seconds the samples' second element is unused (no CPU columns)."""
    walls = [w for w, _ in ours]
    ours_median = statistics.median(walls)
    result: dict[str, Any] = {"name": name, "unit": unit, "ours": ours_median, "peer": None, "ratio": None}
    spread = walls
    if peer is not None:
        peer_walls = [w for w, _ in peer]
        result["peer"] = statistics.median(peer_walls)
        result["ratio"] = ours_median / result["peer"]
        spread = [a / b for a, b in zip(walls, peer_walls)]
    result.update({"repeats": len(ours), "min": min(spread), "max": max(spread), "goal": goal,
                   "met": bool(met(ours_median, result["ratio"]))})
    if unit == "s":
        result["ours_cpu"] = statistics.median(c for _, c in ours)
        result["peer_cpu"] = None if peer is None else statistics.median(c for _, c in peer)
        result["ratio_cpu"] = None if peer is None else result["ours_cpu"] / result["peer_cpu"]
    return result


def _show(value: float, unit: str) -> str:
    return f"{value * 1e3:.0f} ms" if unit == "s" else f"{value:.1f} {unit}"


def print_rows(rows: list[dict[str, Any]]) -> None:
    for r in rows:
        def show(value: float, unit: str = r["unit"]) -> str:
            return _show(value, unit)

        peer = "" if r["peer"] is None else f" | peer {show(r['peer'])}"
        ratio = "" if r["ratio"] is None else f" | ratio {r['ratio']:.2f} ({r['min']:.2f}–{r['max']:.2f})"
        spread = "" if r["ratio"] is not None else f" ({show(r['min'])}–{show(r['max'])})"
        cpu = ""
        if r.get("ours_cpu") is not None:
            cpu = f" | CPU {show(r['ours_cpu'])}" + ("" if r["peer_cpu"] is None else
                                                      f" vs {show(r['peer_cpu'])}, ratio {r['ratio_cpu']:.2f}")
        print(f"{r['name']}: {show(r['ours'])}{spread}{peer}{ratio}{cpu} | n={r['repeats']} | goal {r['goal']}: "
              f"{'met' if r['met'] else 'NOT met'}")
