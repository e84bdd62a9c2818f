"""Where a worker-style poll's time goes: the diagnosis behind the row "polled every 50 as a worker does" of
`bench_ingest`, which compares polling with the bulk ingest of the same file.

A poll costs what bulk ingest pays per point plus a fixed cost per poll. This splits that fixed cost three ways:

* each SQL statement of a poll, timed around the store's bare connection, against the same statements in the bulk
  ingest of the same points (per 50 points), and Python outside SQL as the rest;
* the pages each poll's commit writes, by b-tree: the frames each commit appends to the WAL (autocheckpoint off
  while counting), each page named by `dbstat`. WITHOUT ROWID b-trees split with SQLite's 3-sibling rebalance,
  so appending to `metrics` and its seq index dirties several leaves per commit;
* SQLite's own price of committing that often: raw sqlite3 running exactly a poll's statements, rows already as
  tuples, on the store's schema, one transaction per 50 points against one transaction for all; and the same with
  automatic checkpoints off, which leaves the WAL appends of the commits and takes out the checkpoints (each copies
  the WAL's pages into the database file and syncs both to disk);
* other layouts of the points table, raw sqlite3 with the points and a run-row update per poll: the pages each
  commit writes and what a poll costs above the same points in one transaction, down to a table with no index at
  all (the floor of any layout: it cannot look a point up by name and step);
* how the ratio of the benchmark row moves with the poll's size: synvita polling every 50, 100, 200 and 400 points
  against its bulk ingest.

Not a row of `run_all` (its `main` prints a report): run it when the polled row moves.

    python -m benchmarks.poll_breakdown [--points 100000]
"""

from __future__ import annotations

import argparse
import collections
import math
import sqlite3
import struct
import tempfile
import time
from pathlib import Path
from typing import Any, Callable

from benchmarks.bench_ingest import POLL_POINTS, fresh_run, metric_lines
from synvita.runs.ingest import ingest_run_dir
from synvita.store import Store
from synvita.store.ingest import _INSERT_METRIC, _UPSERT_LATEST

WAL_HEADER, FRAME_HEADER = 32, 24


class TimedConnection:
    """A sqlite3 connection whose `execute` / `executemany` add their seconds to `spent`, by statement."""

    def __init__(self, conn: sqlite3.Connection, spent: collections.Counter[str]) -> None:
        self.conn, self.spent = conn, spent

    @property
    def in_transaction(self) -> bool:
        return self.conn.in_transaction

    def execute(self, sql: str, *args: Any) -> sqlite3.Cursor:
        return self._timed(self.conn.execute, sql, args)

    def executemany(self, sql: str, *args: Any) -> sqlite3.Cursor:
        return self._timed(self.conn.executemany, sql, args)

    def _timed(self, call: Callable[..., sqlite3.Cursor], sql: str, args: tuple) -> sqlite3.Cursor:
        t0 = time.perf_counter()
        try:
            return call(sql, *args)
        finally:
            self.spent[statement_name(sql)] += time.perf_counter() - t0


def statement_name(sql: str) -> str:
    """"INSERT INTO metrics", "SELECT … FROM latest_metrics", "COMMIT": a statement by its verb and table."""
    words = sql.replace("(", " ").split()
    verb = words[0].upper()
    if verb in ("INSERT", "UPDATE", "DELETE"):
        table = next(w for w in words[1:] if w.upper() not in ("OR", "IGNORE", "REPLACE", "INTO"))
        return f"{verb} {table}"
    if verb == "SELECT":
        return f"SELECT … FROM {words[[w.upper() for w in words].index('FROM') + 1]}"
    return " ".join(words)


def kept_connection(store: Store) -> sqlite3.Connection:
    """The bare connection the store keeps for its ingestion transactions (opened by an empty one)."""
    with store._raw_write():
        pass
    return store._kept_raw


def timed_ingest(root: Path, name: str, points: int, every: int) -> tuple[float, collections.Counter[str]]:
    """Seconds in `ingest_run_dir` and per-statement seconds, ingesting `points` lines `every` at a time."""
    store, run_id, path = fresh_run(root, name)
    spent: collections.Counter[str] = collections.Counter()
    store._kept_raw = TimedConnection(kept_connection(store), spent)
    total = ingest_in_polls(store, run_id, path, points, every)
    store._kept_raw = store._kept_raw.conn
    store.close()
    return total, spent


def ingest_in_polls(store: Store, run_id: str, path: Path, points: int, every: int) -> float:
    """Seconds in `ingest_run_dir` when `points` lines reach the run's events.jsonl `every` at a time, one poll each
    (appending not counted)."""
    chunks = [metric_lines(first, min(every, points - first)) for first in range(0, points, every)]
    total = 0.0
    with open(path, "a") as fh:
        for chunk in chunks:
            fh.write(chunk)
            fh.flush()
            t0 = time.perf_counter()
            ingest_run_dir(store, run_id, path.parent)
            total += time.perf_counter() - t0
    return total


def wal_frames(root: Path, name: str, points: int) -> tuple[int, collections.Counter[str]]:
    """(commits, pages written per b-tree) when `points` lines are polled POLL_POINTS at a time, read from the WAL
    with autocheckpoint off. Page 1 (the database header: its page count changes when the file grows) is named
    apart."""
    store, run_id, path = fresh_run(root, name)
    conn = kept_connection(store)
    conn.execute("PRAGMA wal_autocheckpoint = 0")
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    ingest_in_polls(store, run_id, path, points, POLL_POINTS)
    owner = dict(conn.execute("SELECT pageno, name FROM dbstat"))
    frames = wal_frame_pages(Path(f"{root / name}.db-wal"))
    store.close()
    pages = collections.Counter("database header (page 1)" if page == 1 else owner.get(page, "free pages")
                                for page, _ in frames)
    return sum(commit for _, commit in frames), pages


def wal_frame_pages(wal_path: Path) -> list[tuple[int, bool]]:
    """(page number, whether the frame ends a commit) of every frame in a WAL file."""
    wal = wal_path.read_bytes()
    page_size = struct.unpack(">I", wal[8:12])[0]
    frames = []
    for at in range(WAL_HEADER, len(wal) - FRAME_HEADER + 1, FRAME_HEADER + page_size):
        page, commit_size = struct.unpack(">II", wal[at : at + 8])
        frames.append((page, commit_size != 0))
    return frames


def raw_poll_statements(root: Path, name: str, points: int, every: int, *, checkpoints: bool = True) -> float:
    """Seconds for raw sqlite3 to run a poll's statements (the run row read, the highest steps, the metric rows,
    their latest values, the key metric's two reads, the run row update), rows ready as tuples, on the store's
    schema, one transaction per `every` points; `checkpoints=False`: with automatic checkpoints off."""
    store, run_id, _ = fresh_run(root, name)
    store.close()
    conn = sqlite3.connect(root / f"{name}.db", isolation_level=None)
    conn.execute("PRAGMA synchronous = NORMAL")
    conn.execute("PRAGMA foreign_keys = ON")
    if not checkpoints:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        conn.execute("PRAGMA wal_autocheckpoint = 0")
    ts = time.time()
    rows = [(run_id, "loss" if i % 2 else "lr", i // 2, 1.0 / (i + 1), ts, i) for i in range(points)]
    t0 = time.perf_counter()
    for first in range(0, points, every):
        batch = rows[first : first + every]
        conn.execute("BEGIN IMMEDIATE")
        conn.execute("SELECT status, events_cursor, events_offset, events_offset_seq, attempt_token FROM runs"
                     " WHERE id = ?", (run_id,)).fetchone()
        conn.execute("SELECT name, step FROM latest_metrics WHERE run_id = ?", (run_id,)).fetchall()
        conn.executemany(_INSERT_METRIC, batch)
        latest = {name: (step, value) for _, name, step, value, *_ in batch}
        conn.executemany(_UPSERT_LATEST, [(run_id, n, s, v) for n, (s, v) in latest.items()])
        conn.execute("SELECT benchmark, value FROM results WHERE run_id = ? AND subset = '' AND control = ''"
                     " ORDER BY benchmark, seq", (run_id,)).fetchall()
        conn.execute("SELECT name, value FROM latest_metrics WHERE run_id = ? AND name LIKE 'loss%' ORDER BY name",
                     (run_id,)).fetchall()
        end = first + len(batch)
        conn.execute("UPDATE runs SET key_metric = ?, events_cursor = ?, events_offset = ?, events_offset_seq = ?"
                     " WHERE id = ?", (latest.get("loss", (0, 0.0))[1], end, end * 80, end, run_id))
        conn.execute("COMMIT")
    elapsed = time.perf_counter() - t0
    conn.close()
    return elapsed


LAYOUTS: dict[str, list[str]] = {
    "as stored: WITHOUT ROWID (run, name, step), index (run, seq)": [
        ("CREATE TABLE points (run_id TEXT NOT NULL, name TEXT NOT NULL, step INTEGER NOT NULL, value REAL NOT NULL,"
         " ts REAL NOT NULL, seq INTEGER NOT NULL, PRIMARY KEY (run_id, name, step)) WITHOUT ROWID"),
        "CREATE INDEX ix_points_seq ON points (run_id, seq)",
    ],
    "rowid table, unique (run, name, step), index (run, seq)": [
        ("CREATE TABLE points (run_id TEXT NOT NULL, name TEXT NOT NULL, step INTEGER NOT NULL, value REAL NOT NULL,"
         " ts REAL NOT NULL, seq INTEGER NOT NULL)"),
        "CREATE UNIQUE INDEX ux_points ON points (run_id, name, step)",
        "CREATE INDEX ix_points_seq ON points (run_id, seq)",
    ],
    "WITHOUT ROWID (run, seq), unique (run, name, step)": [
        ("CREATE TABLE points (run_id TEXT NOT NULL, name TEXT NOT NULL, step INTEGER NOT NULL, value REAL NOT NULL,"
         " ts REAL NOT NULL, seq INTEGER NOT NULL, PRIMARY KEY (run_id, seq)) WITHOUT ROWID"),
        "CREATE UNIQUE INDEX ux_points ON points (run_id, name, step)",
    ],
    "one run only: rowid = seq, unique (run, name, step)": [
        ("CREATE TABLE points (seq INTEGER PRIMARY KEY, run_id TEXT NOT NULL, name TEXT NOT NULL,"
         " step INTEGER NOT NULL, value REAL NOT NULL, ts REAL NOT NULL)"),
        "CREATE UNIQUE INDEX ux_points ON points (run_id, name, step)",
    ],
    "floor, one run only: rowid = seq, no (name, step) lookup": [
        ("CREATE TABLE points (seq INTEGER PRIMARY KEY, run_id TEXT NOT NULL, name TEXT NOT NULL,"
         " step INTEGER NOT NULL, value REAL NOT NULL, ts REAL NOT NULL)"),
    ],
}
"""Layouts of the points table for `layout_cost`: the store's, the others a migration could choose, and two that
only one run's points could use (the rowid is the line's seq, so the table has no room for another run's; the
last, nothing but appends at the end, is no layout at all: it cannot look a point up)."""


def layout_cost(
    root: Path, name: str, schema: list[str], points: int, every: int, *, checkpoints: bool = True
) -> tuple[float, float]:
    """(seconds, WAL pages per commit) for raw sqlite3 to store `points` points in a table of `schema`, one
    transaction per `every` points, each also moving a run row's cursor. Pages per commit are counted only with
    `checkpoints=False` (automatic checkpoints off, so the WAL holds every page each commit wrote), else NaN."""
    con = sqlite3.connect(root / f"{name}.db", isolation_level=None)
    con.execute("PRAGMA journal_mode = WAL")
    con.execute("PRAGMA synchronous = NORMAL")
    if not checkpoints:
        con.execute("PRAGMA wal_autocheckpoint = 0")
    for statement in schema:
        con.execute(statement)
    con.execute("CREATE TABLE cursor (run_id TEXT PRIMARY KEY, next_seq INTEGER NOT NULL) WITHOUT ROWID")
    con.execute("INSERT INTO cursor VALUES ('r-bench1', 0)")
    con.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    ts = time.time()
    rows = [{"run_id": "r-bench1", "name": "loss" if i % 2 else "lr", "step": i // 2, "value": 1.0 / (i + 1),
             "ts": ts, "seq": i} for i in range(points)]
    insert = "INSERT INTO points (run_id, name, step, value, ts, seq) VALUES (:run_id, :name, :step, :value, :ts, :seq)"
    t0 = time.perf_counter()
    for first in range(0, points, every):
        con.execute("BEGIN IMMEDIATE")
        con.executemany(insert, rows[first : first + every])
        con.execute("UPDATE cursor SET next_seq = ? WHERE run_id = 'r-bench1'", (first + every,))
        con.execute("COMMIT")
    elapsed = time.perf_counter() - t0
    pages = math.nan
    if not checkpoints:
        frames = wal_frame_pages(Path(f"{root / name}.db-wal"))
        pages = len(frames) / max(1, sum(commit for _, commit in frames))
    con.close()
    return elapsed, pages


def ours(root: Path, name: str, points: int, every: int) -> float:
    """Seconds synvita spends in `ingest_run_dir` ingesting `points` lines `every` at a time, on the store's own
    connection (no statement timing around it)."""
    store, run_id, path = fresh_run(root, name)
    elapsed = ingest_in_polls(store, run_id, path, points, every)
    store.close()
    return elapsed


POLL_SIZES = (50, 100, 200, 400)
"""Points per poll for the sweep of the benchmark row's ratio."""


def report(points: int) -> str:
    polls = -(-points // POLL_POINTS)
    per_poll = 1e6 / polls
    lines = [f"{points:,} metric points, {polls:,} polls of {POLL_POINTS} (µs per poll; bulk: per {POLL_POINTS} points)"]
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        ours(root, "warm-up", 2_000, POLL_POINTS)  # the first ingest of a process pays for its warm-up: not bulk
        bulk_total, bulk_sql = timed_ingest(root, "bulk", points, points)
        polled_total, polled_sql = timed_ingest(root, "polled", points, POLL_POINTS)
        raw_one = raw_poll_statements(root, "raw-one", points, points)
        raw_polled = raw_poll_statements(root, "raw-polled", points, POLL_POINTS)
        raw_polled_quiet = raw_poll_statements(root, "raw-polled-no-ckpt", points, POLL_POINTS, checkpoints=False)
        commits, pages = wal_frames(root, "wal", points)
        layouts = {  # (one transaction, polled: the faster of two each; pages per commit)
            label: (min(layout_cost(root, f"layout{i}-one-{r}", schema, points, points)[0] for r in range(2)),
                    min(layout_cost(root, f"layout{i}-polled-{r}", schema, points, POLL_POINTS)[0] for r in range(2)),
                    layout_cost(root, f"layout{i}-pages", schema, points, POLL_POINTS, checkpoints=False)[1])
            for i, (label, schema) in enumerate(LAYOUTS.items())
        }
        sweep_bulk, sweep = math.inf, dict.fromkeys(POLL_SIZES, math.inf)
        for repeat in range(2):  # interleaved, the faster of two runs each
            sweep_bulk = min(sweep_bulk, ours(root, f"sweep-bulk-{repeat}", points, points))
            for every in POLL_SIZES:
                sweep[every] = min(sweep[every], ours(root, f"sweep-{every}-{repeat}", points, every))
    lines.append(f"  {'':34s} {'polled':>9s} {'bulk':>9s} {'extra':>9s}")

    def line(label: str, polled: float, bulk: float) -> None:
        lines.append(f"  {label:34s} {polled * per_poll:9.1f} {bulk * per_poll:9.1f} {(polled - bulk) * per_poll:9.1f}")

    for statement in sorted(set(polled_sql) | set(bulk_sql), key=lambda s: -polled_sql[s]):
        line(statement, polled_sql[statement], bulk_sql[statement])
    line("all SQL", sum(polled_sql.values()), sum(bulk_sql.values()))
    line("Python outside SQL", polled_total - sum(polled_sql.values()), bulk_total - sum(bulk_sql.values()))
    line("whole poll", polled_total, bulk_total)
    lines.append(f"  ratio polled / bulk rate: {bulk_total / polled_total:.2f}×")
    lines.append(f"SQLite alone, a poll's statements from raw sqlite3 (rows ready): {raw_polled * per_poll:.1f} µs per"
                 f" poll, {raw_one * per_poll:.1f} in one transaction: {(raw_polled - raw_one) * per_poll:.1f} extra")
    lines.append(f"  the same with automatic checkpoints off: {raw_polled_quiet * per_poll:.1f} µs per poll, so the"
                 f" checkpoints cost {(raw_polled - raw_polled_quiet) * per_poll:.1f} µs of it per poll")
    lines.append(f"WAL pages written per commit ({commits:,} commits, autocheckpoint off):"
                 f" {sum(pages.values()) / max(commits, 1):.2f}")
    lines += [f"  {tree:34s} {n / max(commits, 1):9.2f}" for tree, n in pages.most_common()]
    lines.append(f"Points table layouts, raw sqlite3 (the points and a cursor update per poll), polls of {POLL_POINTS}:")
    lines.append(f"  {'':62s} {'pages':>6s} {'extra µs':>9s}")
    for label, (one, polled, pages_per_commit) in layouts.items():
        lines.append(f"  {label:62s} {pages_per_commit:6.2f} {(polled - one) * per_poll:9.1f}")
    lines.append("  (pages: WAL pages per commit, counted with automatic checkpoints off; extra: µs per poll above the"
                 " same points in one transaction, checkpoints on, the faster of two runs each)")
    lines.append(f"synvita polled / bulk rate by points per poll (no statement timing; bulk"
                 f" {sweep_bulk * per_poll:.1f} µs per {POLL_POINTS} points, so 0.8× leaves a poll of {POLL_POINTS}"
                 f" {sweep_bulk * per_poll * (1 / 0.8 - 1):.1f} µs above bulk):")
    lines += [f"  every {every:4d} points: {sweep_bulk / seconds:.2f}×" for every, seconds in sweep.items()]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.poll_breakdown")
    parser.add_argument("--points", type=int, default=100_000)
    args = parser.parse_args(argv)
    print(report(args.points))


if __name__ == "__main__":
    main()
