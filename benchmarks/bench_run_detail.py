"""The TUI run detail's curves at 1,000,000 points: what one refresh reads from the store.

A running run with `--points` metric points (two series, as a training stage logs them). Each repeat measures,
through the API the screen uses:

* the first paint of a curve: `metrics(run, name, max_points=500)` (thinned in SQL by seeks in the primary key),
  against reading the whole series as the screen did before (`metrics(run, name)`);
* a refresh after 50 new points: `latest_metrics` + `metrics(run, name, after_step=last drawn)` per series,
  against the same whole-series reload.

The goal is about ours: under 50 ms per refresh at 1M points. The ratio (reload / ours) shows how many times more
reloading every point costs.

    python -m benchmarks.bench_run_detail [--points 1000000] [--repeats 5]
"""

from __future__ import annotations

import argparse
import dataclasses
import tempfile
import time
from pathlib import Path

from benchmarks.bench_ingest import POLL_POINTS, fresh_run, metric_lines
from benchmarks.rows import Row, print_rows, ratio_row
from synvita.api import Api
from synvita.runs.ingest import ingest_run_dir

CURVE_POINTS = 500
GOAL_MS = 50.0
QUICK = ["--repeats", "2"]
"""The arguments of `run_all --quick`."""


def refresh(api: Api, run_id: str, drawn: dict[str, int]) -> None:
    """What the run detail screen reads on a refresh: the latest values, then the points past each last step."""
    for name, latest in api.latest_metrics(run_id).items():
        if latest.step > drawn[name]:
            points = api.metrics(run_id, name, after_step=drawn[name])
            drawn[name] = points[-1].step


def main(argv: list[str] | None = None) -> list[Row]:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.bench_run_detail")
    parser.add_argument("--points", type=int, default=1_000_000)
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args(argv)
    first_ours, first_peer, refresh_ours, refresh_peer = [], [], [], []
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        store, run_id, path = fresh_run(root, "detail")
        with open(path, "w") as fh:
            for first in range(0, args.points, 100_000):
                fh.write(metric_lines(first, min(100_000, args.points - first)))
        ingest_run_dir(store, run_id, path.parent)
        api = Api(db=root / "detail.db")
        written = args.points
        for _ in range(args.repeats):
            t0 = time.perf_counter()
            drawn = {name: api.metrics(run_id, name, max_points=CURVE_POINTS)[-1].step for name in ("loss", "lr")}
            t1 = time.perf_counter()
            api.metrics(run_id, "loss"), api.metrics(run_id, "lr")
            t2 = time.perf_counter()
            first_ours.append(t1 - t0)
            first_peer.append(t2 - t1)
            with open(path, "a") as fh:
                fh.write(metric_lines(written, POLL_POINTS))
            written += POLL_POINTS
            ingest_run_dir(store, run_id, path.parent)
            t0 = time.perf_counter()
            refresh(api, run_id, drawn)
            t1 = time.perf_counter()
            api.metrics(run_id, "loss"), api.metrics(run_id, "lr")
            t2 = time.perf_counter()
            refresh_ours.append(t1 - t0)
            refresh_peer.append(t2 - t1)
        store.close()

    def ms(seconds: float) -> str:
        return f"{seconds * 1e3:.1f} ms"

    rows = []
    for name, ours, peer in [
        (f"Run detail, first paint of 2 curves at {args.points:,} points (thinned to {CURVE_POINTS})", first_ours,
         first_peer),
        (f"Run detail, refresh after {POLL_POINTS} new points at {args.points:,} points", refresh_ours, refresh_peer),
    ]:
        row = ratio_row(name, ours, peer, describe=ms, peer_name="reloading every point", peer_over_ours=True)
        median = sorted(ours)[len(ours) // 2]
        rows.append(dataclasses.replace(row, goal=f"< {GOAL_MS:g} ms", met=median * 1e3 < GOAL_MS))
    return rows


if __name__ == "__main__":
    print_rows(main())
