"""The wall time of the quickstart (`synvita run` of experiments/quickstart.toml) in a fresh home, with the machine's
CPU model: the figure the README quotes. About ten minutes on 2 cores, so `run_all` runs it only with
`--quickstart`.

    python -m benchmarks.bench_quickstart [--repeats 1] [--keep DIR]
    python -m benchmarks.run_all --quickstart

`--keep DIR` runs in DIR/home-N instead of a temporary home and keeps what the run printed (DIR/quickstart-N.txt)
and its database, so the table the README quotes comes from the timed run itself (`SYNVITA_HOME=DIR/home-1
synvita table`).

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


def run_quickstart(keep: Path | None = None, number: int = 1) -> float:
    """Seconds of one `synvita run experiments/quickstart.toml` in a fresh SYNVITA_HOME (a temporary one, or `keep`,
    where the printed table stays as quickstart-<number>.txt)."""
    with tempfile.TemporaryDirectory() as scratch:
        home = Path(keep) / f"home-{number}" if keep else Path(scratch)
        home.mkdir(parents=True, exist_ok=True)
        env = dict(os.environ, SYNVITA_HOME=str(home))
        out = open(home.parent / f"quickstart-{number}.txt", "w") if keep else subprocess.DEVNULL
        try:
            t0 = time.perf_counter()
            subprocess.run([*SYNVITA, "run", str(ROOT / "experiments" / "quickstart.toml")],
                           cwd=home, env=env, check=True, stdout=out)
            return time.perf_counter() - t0
        finally:
            if keep:
                out.close()


QUICK: list[str] = []
"""The quickstart has no smaller form: it is the measurement."""


def main(argv: list[str] | None = None) -> list[Row]:
    from benchmarks.run_all import machine

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=1)
    parser.add_argument("--keep", type=Path, help="run in this folder and keep each run's output and database")
    args = parser.parse_args(argv)
    seconds = [run_quickstart(args.keep, k + 1) for k in range(args.repeats)]
    return [ratio_row(f"`synvita run` quickstart, wall time ({machine()})", seconds, [BUDGET_S] * len(seconds),
                      describe=lambda s: f"{s / 60:.1f} min", peer_name="budget", at_most=1.0)]


if __name__ == "__main__":
    print_rows(main())
