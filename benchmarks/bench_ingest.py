"""Ingestion: metric points from a run's events.jsonl into the store, against MLflow and raw SQLite.

Measured in one process, interleaved, `--repeats` times, in wall time (`clock`; ratios only, absolute rates depend
on the machine):

* end to end: an events.jsonl of `--points` metric lines (as `EventWriter` writes them) → `ingest_run_dir` →
  store, against MLflow's `log_batch` of the same points into its SQLite backend (batches of 1,000, its limit;
  needs the `bench` extra: `pip install -e .[bench]`), and against raw `sqlite3` `executemany` of the same
  points, already as tuples, into a table of the same shape as ours (primary key (run, name, step) and the
  (run, seq) index), in one transaction;
* worker-style: the same file ingested as a worker does, polling after every 50 appended points, against the
  bulk ingest of the whole file; beside it, for reference, raw sqlite3 committing every 50 points against its own
  single transaction (what SQLite itself charges for committing often: no goal);
* one poll that picks up 50 new points when events.jsonl already holds 1,000,000 lines, against the same poll at
  10,000 lines (flat: the file is followed by byte offset).

    python -m benchmarks.bench_ingest [--points 100000] [--repeats 3] [--long 1000000] [--cpu]
"""

from __future__ import annotations

import argparse
import json
import logging
import sqlite3
import statistics
import tempfile
import time
import warnings
from pathlib import Path

from benchmarks.rows import Row, print_rows, ratio_row
from synvita.events import EVENTS_FILE
from synvita.runs.ingest import ingest_run_dir
from synvita.store import NewRun, Store

POLL_POINTS = 50
QUICK = ["--points", "20000", "--repeats", "3", "--long", "200000"]
"""The arguments of `run_all --quick`."""

clock = time.perf_counter
"""Wall seconds by default (what a user waits, disk syncs included); `--cpu` switches to the CPU seconds of this
process, steadier on a machine shared with other work but blind to the time a side waits for the disk."""


def metric_lines(first: int, count: int) -> str:
    """`count` metric lines from line `first` on, two series (loss, lr) as a training stage writes them."""
    ts = time.time()
    return "".join(
        json.dumps({"seq": i, "ts": ts, "kind": "metric", "name": "loss" if i % 2 else "lr", "value": 1.0 / (i + 1),
                    "step": i // 2}) + "\n"
        for i in range(first, first + count)
    )


def fresh_run(root: Path, name: str) -> tuple[Store, str, Path]:
    """A new database with one running run whose directory exists; (store, run id, events.jsonl path)."""
    store = Store.open(root / f"{name}.db")
    (run,) = store.create_runs([NewRun("bench", "s-bench", "train")])
    store.claim_next("w-bench")
    Path(run.run_dir).mkdir(parents=True, exist_ok=True)
    return store, run.id, Path(run.run_dir) / EVENTS_FILE


def ours_bulk(root: Path, name: str, text: str) -> float:
    """Seconds to ingest a whole events file in one poll."""
    store, run_id, path = fresh_run(root, name)
    path.write_text(text)
    t0 = clock()
    ingest_run_dir(store, run_id, path.parent)
    elapsed = clock() - t0
    store.close()
    return elapsed


def ours_polled(root: Path, name: str, points: int) -> float:
    """Seconds spent in polls when the file grows by POLL_POINTS lines between polls (appending not counted)."""
    store, run_id, path = fresh_run(root, name)
    elapsed = 0.0
    with open(path, "a") as fh:
        for first in range(0, points, POLL_POINTS):
            fh.write(metric_lines(first, POLL_POINTS))
            fh.flush()
            t0 = clock()
            ingest_run_dir(store, run_id, path.parent)
            elapsed += clock() - t0
    store.close()
    return elapsed


def raw_sqlite(root: Path, name: str, points: int, every: int | None = None) -> float:
    """Seconds for sqlite3 executemany of the points (tuples ready) into a table shaped like `metrics`: in one
    transaction, or with `every` one transaction per that many points (each also updating a run row, as a poll
    moves its cursor): SQLite's own cost of committing often, the floor under worker-style polling."""
    con = sqlite3.connect(root / f"{name}.db", isolation_level=None)
    con.execute("PRAGMA journal_mode = WAL")
    con.execute("PRAGMA synchronous = NORMAL")
    con.execute("CREATE TABLE points (run_id TEXT NOT NULL, name TEXT NOT NULL, step INTEGER NOT NULL,"
                " value REAL NOT NULL, ts REAL NOT NULL, seq INTEGER, PRIMARY KEY (run_id, name, step)) WITHOUT ROWID")
    con.execute("CREATE INDEX ix_points_seq ON points (run_id, seq)")
    con.execute("CREATE TABLE cursor (run_id TEXT PRIMARY KEY, next_seq INTEGER NOT NULL)")
    con.execute("INSERT INTO cursor VALUES ('r-bench1', 0)")
    ts = time.time()
    rows = [("r-bench1", "loss" if i % 2 else "lr", i // 2, 1.0 / (i + 1), ts, i) for i in range(points)]
    every = every or points
    t0 = clock()
    for first in range(0, points, every):
        con.execute("BEGIN IMMEDIATE")
        con.executemany("INSERT INTO points VALUES (?, ?, ?, ?, ?, ?)", rows[first : first + every])
        if every < points:
            con.execute("UPDATE cursor SET next_seq = ? WHERE run_id = 'r-bench1'", (first + every,))
        con.execute("COMMIT")
    elapsed = clock() - t0
    con.close()
    return elapsed


def mlflow_log_batch(root: Path, name: str, points: int) -> float:
    """Seconds for MLflow's log_batch of the points (batches of 1,000) into its SQLite backend."""
    from mlflow.entities import Metric
    from mlflow.tracking import MlflowClient

    client = MlflowClient(tracking_uri=f"sqlite:///{root / name}.db")
    experiment = client.create_experiment(name, artifact_location=str(root / f"{name}-artifacts"))
    run_id = client.create_run(experiment).info.run_id
    ts = int(time.time() * 1000)
    metrics = [Metric("loss" if i % 2 else "lr", 1.0 / (i + 1), ts, i // 2) for i in range(points)]
    t0 = clock()
    for i in range(0, points, 1000):
        client.log_batch(run_id, metrics=metrics[i : i + 1000])
    return clock() - t0


class Follower:
    """A running run whose events.jsonl already holds `lines` ingested lines; `poll()` times one poll of 50 more."""

    def __init__(self, root: Path, name: str, lines: int) -> None:
        self.store, self.run_id, self.path = fresh_run(root, name)
        with open(self.path, "w") as fh:
            for first in range(0, lines, 100_000):
                fh.write(metric_lines(first, min(100_000, lines - first)))
        ingest_run_dir(self.store, self.run_id, self.path.parent)
        self.lines = lines

    def poll(self) -> float:
        with open(self.path, "a") as fh:
            fh.write(metric_lines(self.lines, POLL_POINTS))
        self.lines += POLL_POINTS
        t0 = clock()
        ingest_run_dir(self.store, self.run_id, self.path.parent)
        return clock() - t0


def main(argv: list[str] | None = None) -> list[Row]:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.bench_ingest")
    parser.add_argument("--points", type=int, default=100_000)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--long", type=int, default=1_000_000,
                        help="lines already in events.jsonl for the flat-poll row")
    parser.add_argument("--cpu", action="store_true", help="measure CPU time instead of wall time (see `clock`)")
    args = parser.parse_args(argv)
    global clock
    clock = time.process_time if args.cpu else time.perf_counter
    logging.getLogger("mlflow").setLevel(logging.ERROR)
    logging.getLogger("alembic").setLevel(logging.ERROR)
    warnings.filterwarnings("ignore")
    n = args.points
    text = metric_lines(0, n)
    bulk, polled, raw, raw_polled, mlflow = [], [], [], [], []
    short, long = [], []
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        for r in range(args.repeats):
            bulk.append(ours_bulk(root, f"bulk-{r}", text))
            polled.append(ours_polled(root, f"polled-{r}", n))
            raw.append(raw_sqlite(root, f"raw-{r}", n))
            raw_polled.append(raw_sqlite(root, f"raw-polled-{r}", n, every=POLL_POINTS))
            mlflow.append(mlflow_log_batch(root, f"mlflow-{r}", n))
        followers = Follower(root, "short", 10_000), Follower(root, "long", args.long)
        for _ in range(args.repeats):  # each repeat: the median of 20 polls on each, interleaved
            polls = [(followers[0].poll(), followers[1].poll()) for _ in range(20)]
            short.append(statistics.median(s for s, _ in polls))
            long.append(statistics.median(lo for _, lo in polls))
        for follower in followers:
            follower.store.close()

    def rate(seconds: float) -> str:
        return f"{n / seconds:,.0f} points/s"

    def per_point(seconds: float) -> str:
        return f"{seconds / n * 1e6:.1f} µs/point"

    def ms(seconds: float) -> str:
        return f"{seconds * 1e3:.2f} ms"

    k = f"{n // 1000}k"
    return [
        ratio_row(f"Log {k} metric points, events.jsonl → ingest → store", [n / s for s in bulk],
                  [n / s for s in mlflow], describe=lambda v: f"{v:,.0f} points/s",
                  peer_name="MLflow log_batch (SQLite)", at_least=10),
        ratio_row(f"Log {k} metric points, cost per point", bulk, raw, describe=lambda s: per_point(s),
                  peer_name="raw sqlite3 executemany", at_most=5),
        ratio_row(f"Log {k} metric points, polled every {POLL_POINTS} as a worker does", [n / s for s in polled],
                  [n / s for s in bulk], describe=lambda v: f"{v:,.0f} points/s",
                  peer_name="bulk ingest of the same file", at_least=0.8),
        ratio_row(f"Reference: raw sqlite3, one transaction per {POLL_POINTS} points", [n / s for s in raw_polled],
                  [n / s for s in raw], describe=lambda v: f"{v:,.0f} points/s",
                  peer_name="the same in one transaction"),
        ratio_row(f"One poll picking up {POLL_POINTS} events, {args.long:,} lines in events.jsonl", long, short,
                  describe=ms, peer_name="the same at 10,000 lines", at_most=1.3),
    ]


if __name__ == "__main__":
    print_rows(main())
