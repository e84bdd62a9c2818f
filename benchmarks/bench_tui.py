"""TUI first paint and memory: a database with 100,000 runs and 1,000,000 metric points against one with 10 runs.

The runs screen reads only the visible page (`list_runs(limit, offset)` + `count_runs`), so opening the app
should cost about the same time and memory whatever the database holds (goal: ratios ≤ 1.3×). Each start is a
whole process, headless with `App.run_test`: from interpreter start to the first page of runs painted in the
table, then exit; its peak RSS is read from the kernel. Medians of `--repeats` starts taken in turns. Also times
opening the detail screen of a train run (its curve holds 1/N of the points). Ten runs are running, one per live
worker, in both databases: opening the app checks the running runs for dead workers, and how many run at once
depends on the workers, not on the database's size. Ratios are within one run of this script; no absolute claims.

    python -m benchmarks.bench_tui [--runs 100000] [--points 1000000] [--repeats 5]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import resource
import sqlite3
import sys
import tempfile
import time
from pathlib import Path

from benchmarks.rows import Row, print_rows
from benchmarks.timing import environment, row, run_process

STATUSES = ("succeeded", "succeeded", "succeeded", "failed", "queued", "queued", "cancelled")
RUNNING = 10
"""Runs running at once: one per live worker, however many runs the database holds (the newest queued ones)."""
QUICK = ["--repeats", "2"]
"""The arguments of `run_all --quick`."""


def build_db(path: Path, n_runs: int, n_points: int) -> list[str]:
    """Runs through the store (its ids, run dirs, schema); statuses and metric points bulk-written with SQL."""
    from synvita.store import NewRun, Store

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
        conn.execute("UPDATE runs SET finished_at=NULL WHERE status = 'queued'")
        # each running run's worker is alive for as long as the benchmark runs (else opening the app marks it lost)
        conn.execute("UPDATE runs SET status='running', heartbeat_at=? WHERE id IN "
                     "(SELECT id FROM runs WHERE status = 'queued' ORDER BY created_at DESC LIMIT ?)",
                     (time.time() + 86400, RUNNING))
        rows = ((rid, "loss", step, 2.0 * 0.97 ** step, 0.0) for rid in ids for step in range(per_run))
        conn.executemany("INSERT INTO metrics (run_id, name, step, value, ts) VALUES (?, ?, ?, ?, ?)", rows)
        conn.executemany("INSERT INTO latest_metrics (run_id, name, step, value) VALUES (?, 'loss', ?, ?)",
                         [(rid, per_run - 1, 2.0 * 0.97 ** (per_run - 1)) for rid in ids])
    return ids


async def first_paint(db: Path, open_run: str | None = None, compare: str | None = None) -> None:
    """Open the app on `db` headless and wait until the runs table shows data (or the run's curve, or the compare
    screen's table of an experiment)."""
    from synvita.api import Api
    from tui.app import make_app

    api = Api(db=db)
    app = make_app(api, poll_interval_s=60.0)
    async with app.run_test(size=(100, 30)) as pilot:
        if compare is not None:
            app.open_compare(experiments=[compare])
            await pilot.pause(0)
            while getattr(app.screen, "table", None) is None:
                await asyncio.sleep(0.002)
        elif open_run is None:
            while not app.screen.query_one("#runs-table")._row_ids:
                await asyncio.sleep(0.002)
        else:
            app.open_run(open_run)
            await pilot.pause(0)
            while not getattr(app.screen, "curves", None):
                await asyncio.sleep(0.002)
    api.close()


def peak_rss_mib() -> float:
    """This process's peak resident memory. Linux's VmHWM belongs to the process image, whereas `ru_maxrss` keeps
    the parent's peak across fork and exec (a benchmark parent that built a big database would show through)."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def child(db: Path, open_run: str | None, compare: str | None) -> None:
    """One measured start (run as its own process): print the peak RSS in MiB once the data is painted."""
    asyncio.run(first_paint(db, open_run, compare))
    print(json.dumps({"rss_mib": peak_rss_mib()}))


def start(db: Path, open_run: str | None = None, compare: str | None = None) -> tuple[float, float, float]:
    """(wall seconds from process start to exit, CPU seconds, peak RSS in MiB) of one whole TUI start on `db`
    (see `first_paint`)."""
    argv = [sys.executable, "-m", "benchmarks.bench_tui", "--child", str(db)]
    argv += ["--open", open_run] if open_run else []
    argv += ["--compare", compare] if compare else []
    wall, cpu, out = run_process(argv, environment())
    return wall, cpu, json.loads(out.strip().splitlines()[-1])["rss_mib"]


def paired_starts(repeats: int, small: Path, big: Path, small_run: str | None = None,
                  big_run: str | None = None) -> dict[str, list[tuple[float, float, float]]]:
    """Alternate small and big cold starts so that load from other processes hits both alike (one warm-up each)."""
    start(small, small_run), start(big, big_run)
    samples: dict[str, list[tuple[float, float, float]]] = {"small": [], "big": []}
    for _ in range(repeats):
        samples["small"].append(start(small, small_run))
        samples["big"].append(start(big, big_run))
    return samples


def main(argv: list[str] | None = None) -> list[Row]:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.bench_tui", description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=100_000)
    parser.add_argument("--points", type=int, default=1_000_000)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--child", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--open", help=argparse.SUPPRESS)
    parser.add_argument("--compare", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        child(args.child, args.open, args.compare)
        return []
    with tempfile.TemporaryDirectory() as tmp:
        small_db, big_db = Path(tmp) / "small.db", Path(tmp) / "big.db"
        t0 = time.perf_counter()
        small_ids = build_db(small_db, 10, 1000)
        big_ids = build_db(big_db, args.runs, args.points)
        print(f"built databases in {time.perf_counter() - t0:.1f} s: 10 runs / 1,000 points and "
              f"{args.runs:,} runs / {args.points:,} metric points")
        runs = paired_starts(args.repeats, small_db, big_db)
        detail = paired_starts(args.repeats, small_db, big_db, small_ids[0], big_ids[len(big_ids) // 2])
        size = f"{args.runs // 1000}k" if args.runs >= 1000 else str(args.runs)
        same = "the same, 10 runs"
        rows = [
            row(f"TUI runs screen, first paint (whole process), {size} runs", [s[:2] for s in runs["big"]],
                [s[:2] for s in runs["small"]], peer_name=same, goal="≤ 1.3×",
                met=lambda _ours, ratio: ratio <= 1.3),
            row(f"TUI runs screen, peak RSS, {size} runs", [(s[2], 0.0) for s in runs["big"]],
                [(s[2], 0.0) for s in runs["small"]], peer_name=same, goal="≤ 1.3×",
                met=lambda _ours, ratio: ratio <= 1.3, unit="MiB"),
            row(f"TUI run detail with its curve, first paint (whole process), {size} runs",
                [s[:2] for s in detail["big"]], [s[:2] for s in detail["small"]], peer_name=same, goal="≤ 1.3×",
                met=lambda _ours, ratio: ratio <= 1.3),
        ]
    return rows


if __name__ == "__main__":
    print_rows(main())
