"""TUI time to first paint: a database with 10,000 runs and 1,000,000 metric points against one with 10 runs.

The runs screen reads only the visible page (`list_runs(limit, offset)` + `count_runs`), so opening the app
should cost about the same whatever the database holds (target: ratio ≤ 1.3×). Measured headless with
`App.run_test`: from building the Api and the app to the first page of runs painted in the table, median of
`--repeats` cold starts (a fresh Api each time). Also times opening the detail screen of a train run (its curve
has 100 of the 1,000,000 points). Ratios are within one run of this script; no absolute claims.

    .venv/bin/python benchmarks/bench_tui.py [--runs 10000] [--points 1000000] [--repeats 5]
"""

from __future__ import annotations

import argparse
import asyncio
import random
import sqlite3
import statistics
import tempfile
import time
from pathlib import Path

from synvita.api import Api
from synvita.store import NewRun, Store
from tui.app import make_app

STATUSES = ("succeeded", "succeeded", "succeeded", "failed", "running", "queued", "cancelled")


def build_db(path: Path, n_runs: int, n_points: int) -> list[str]:
    """Runs through the store (its ids, run dirs, schema); statuses and metric points bulk-written with SQL."""
    store = Store.open(path)
    ids: list[str] = []
    for start in range(0, n_runs, 1000):
        chunk = [NewRun(f"exp{i % 7}", f"s-{i // 50:05d}", ("train", "evaluate", "score")[i % 3],
                        variant=("none", "naive", "synvita")[i % 3], generator="procedural", seed=i % 5,
                        config={"train": {"lambda_scr": 1.0}})
                 for i in range(start, min(n_runs, start + 1000))]
        ids += [run.id for run in store.create_runs(chunk)]
    store.close()
    rng = random.Random(0)
    per_run = n_points // max(1, len(ids))
    with sqlite3.connect(path) as conn:
        conn.executemany(
            "UPDATE runs SET status=?, started_at=created_at, finished_at=created_at+60, progress=1.0, key_metric=? "
            "WHERE id=?", [(STATUSES[i % len(STATUSES)], rng.uniform(40, 60), rid) for i, rid in enumerate(ids)])
        conn.execute("UPDATE runs SET finished_at=NULL WHERE status IN ('running', 'queued')")
        rows = ((rid, "loss", step, 2.0 * 0.97 ** step, 0.0) for rid in ids for step in range(per_run))
        conn.executemany("INSERT INTO metrics (run_id, name, step, value, ts) VALUES (?, ?, ?, ?, ?)", rows)
        conn.executemany("INSERT INTO latest_metrics (run_id, name, step, value) VALUES (?, 'loss', ?, ?)",
                         [(rid, per_run - 1, 2.0 * 0.97 ** (per_run - 1)) for rid in ids])
    return ids


async def first_paint(db: Path, open_run: str | None = None) -> float:
    """Seconds from Api() to the runs table (or the run's curve) showing data."""
    t0 = time.perf_counter()
    api = Api(db=db)
    app = make_app(api, poll_interval_s=60.0)
    async with app.run_test(size=(100, 30)) as pilot:
        if open_run is None:
            while not app.screen.query_one("#runs-table")._row_ids:
                await asyncio.sleep(0.002)
        else:
            app.open_run(open_run)
            await pilot.pause(0)
            while not getattr(app.screen, "curves", None):
                await asyncio.sleep(0.002)
        elapsed = time.perf_counter() - t0
    api.close()
    return elapsed


def paired_medians(repeats: int, small: Path, big: Path, small_run: str | None = None,
                   big_run: str | None = None) -> tuple[float, float]:
    """Alternate small and big cold starts so that load from other processes hits both alike."""
    small_s, big_s = [], []
    for _ in range(repeats):
        small_s.append(asyncio.run(first_paint(small, small_run)))
        big_s.append(asyncio.run(first_paint(big, big_run)))
    return statistics.median(small_s), statistics.median(big_s)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=10_000)
    parser.add_argument("--points", type=int, default=1_000_000)
    parser.add_argument("--repeats", type=int, default=9)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        t0 = time.perf_counter()
        small_ids = build_db(Path(tmp) / "small.db", 10, 1000)
        big_ids = build_db(Path(tmp) / "big.db", args.runs, args.points)
        print(f"built databases in {time.perf_counter() - t0:.1f} s: 10 runs / 1,000 points and "
              f"{args.runs:,} runs / {args.points:,} metric points")
        asyncio.run(first_paint(Path(tmp) / "small.db"))  # warm imports and the page cache for both
        asyncio.run(first_paint(Path(tmp) / "big.db"))
        small, big = paired_medians(args.repeats, Path(tmp) / "small.db", Path(tmp) / "big.db")
        print(f"runs screen, first paint (median of {args.repeats}): 10 runs {small * 1e3:.0f} ms, "
              f"{args.runs:,} runs {big * 1e3:.0f} ms, ratio {big / small:.2f} (target ≤ 1.30)")
        small_detail, big_detail = paired_medians(args.repeats, Path(tmp) / "small.db", Path(tmp) / "big.db",
                                                  small_ids[0], big_ids[len(big_ids) // 2])
        print(f"run detail with its curve, first paint: small db {small_detail * 1e3:.0f} ms, "
              f"big db {big_detail * 1e3:.0f} ms, ratio {big_detail / small_detail:.2f}")


if __name__ == "__main__":
    main()
