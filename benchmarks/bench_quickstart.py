"""The wall time of the quickstart (`synvita run` of experiments/quickstart.toml) in a fresh home, with the machine's
CPU model: the figure the README quotes. About ten minutes on 2 cores, so `run_all` runs it only with
`--quickstart`.

    python -m benchmarks.bench_quickstart [--repeats 1]
    python -m benchmarks.run_all --quickstart

The row's ratio is the wall time over the 10-minute budget (goal ≤ 1.0×). Run it on a quiet machine: the stages
run one process per core, so any other load lengthens it.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import tempfile
import time
from pathlib import Path

from benchmarks.rows import Row, print_rows, ratio_row
from benchmarks.timing import SYNVITA

ROOT = Path(__file__).resolve().parents[1]
BUDGET_S = 600.0


def run_quickstart() -> float:
    """Seconds of one `synvita run experiments/quickstart.toml` in a temporary SYNVITA_HOME."""
    with tempfile.TemporaryDirectory() as home:
        env = dict(os.environ, SYNVITA_HOME=home)
        t0 = time.perf_counter()
        subprocess.run([*SYNVITA, "run", str(ROOT / "experiments" / "quickstart.toml")],
                       cwd=home, env=env, check=True, stdout=subprocess.DEVNULL)
        return time.perf_counter() - t0


QUICK: list[str] = []
"""The quickstart has no smaller form: it is the measurement."""


def main(argv: list[str] | None = None) -> list[Row]:
    from benchmarks.run_all import machine

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=1)
    args = parser.parse_args(argv)
    seconds = [run_quickstart() for _ in range(args.repeats)]
    return [ratio_row(f"`synvita run` quickstart, wall time ({machine()})", seconds, [BUDGET_S] * len(seconds),
                      describe=lambda s: f"{s / 60:.1f} min", peer_name="budget", at_most=1.0)]


if __name__ == "__main__":
    print_rows(main())
