"""Listings and tables that scale: `runs ls --json -n 0` over 10,000 runs against MLflow's `search_runs` over as many,
and `synvita table` (and the TUI's compare screen) over 1,000 evaluate runs against 10, all in one run.

Every measurement is a whole process (interpreter start to exit), median of `--repeats` taken in turns. The MLflow
peer is a SQLite tracking store holding 10,000 runs with 20 params, 5 tags and a metric each (one run logged through
MLflow, copied row by row in SQL so the store builds in seconds), searched with `mlflow.search_runs` for all of them.
Goals (issue 16): the 10k listing ≤ 0.5 s; the table and the compare screen at 1,000 runs ≤ 1.5× their 10-run time.
MLflow is optional (the `bench` extra): without it the listing row has no peer.

    python -m benchmarks.bench_listing [--runs 10000] [--table-runs 1000] [--repeats 5] [--no-tui]
"""

from __future__ import annotations

import argparse
import importlib.util
import sqlite3
import sys
import tempfile
import uuid
from functools import partial
from pathlib import Path

from benchmarks.bench_tui import start as tui_start
from benchmarks.databases import build_listing_db, build_table_db
from benchmarks.rows import Row, print_rows
from benchmarks.timing import SYNVITA, environment, row, time_in_turns, time_process

LISTING_GOAL_S = 0.5
TABLE_GOAL_RATIO = 1.5
QUICK = ["--repeats", "2"]
"""The arguments of `run_all --quick`."""

MLFLOW_SEARCH = (
    "import sys, mlflow\n"
    "mlflow.set_tracking_uri(sys.argv[1])\n"
    "runs = mlflow.search_runs(experiment_ids=[sys.argv[2]], max_results=100000, output_format='list')\n"
    "assert len(runs) == int(sys.argv[3]), len(runs)\n"
)


def build_mlflow_store(folder: Path, n_runs: int) -> tuple[str, str]:
    """(tracking URI, experiment id) of a SQLite MLflow store with `n_runs` runs like a synvita run's record."""
    import mlflow
    from mlflow.tracking import MlflowClient

    uri = f"sqlite:///{folder / 'mlflow.db'}"
    mlflow.set_tracking_uri(uri)
    client = MlflowClient(uri)
    experiment_id = client.create_experiment("listing", artifact_location=str(folder / "artifacts"))
    with mlflow.start_run(experiment_id=experiment_id) as template:
        mlflow.log_params({f"train.param_{i}": i * 0.5 for i in range(20)})
        mlflow.set_tags({"stage": "train", "variant": "synvita", "generator": "procedural", "seed": "0",
                         "submission": "s-00000001"})
        mlflow.log_metric("key_metric", 51.2, step=0)
    template_id = template.info.run_id
    copies = [(uuid.uuid4().hex, template_id) for _ in range(n_runs - 1)]  # a run's rows in every table share its id
    with sqlite3.connect(folder / "mlflow.db") as conn:
        tables = [name for (name,) in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
                  if any(col[1] == "run_uuid" for col in conn.execute(f"PRAGMA table_info({name})"))]
        for table in tables:
            columns = [col[1] for col in conn.execute(f"PRAGMA table_info({table})")]
            select = ", ".join("?" if c == "run_uuid" else c for c in columns)
            sql = f"INSERT INTO {table} ({', '.join(columns)}) SELECT {select} FROM {table} WHERE run_uuid = ?"
            conn.executemany(sql, copies)
    conn.close()
    return uri, experiment_id


def main(argv: list[str] | None = None) -> list[Row]:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.bench_listing", description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=10_000)
    parser.add_argument("--table-runs", type=int, default=1000)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--no-tui", action="store_true", help="skip the compare screen")
    args = parser.parse_args(argv)
    env = environment()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        build_listing_db(folder / "runs.db", args.runs)
        build_table_db(folder / "table-small.db", 10)
        build_table_db(folder / "table-big.db", args.table_runs)
        listing = [*SYNVITA, "--db", str(folder / "runs.db"), "runs", "ls", "--json", "-n", "0"]
        commands = {
            "listing": partial(time_process, listing, env),
            "table small": partial(time_process, [*SYNVITA, "--db", str(folder / "table-small.db"), "table"], env),
            "table big": partial(time_process, [*SYNVITA, "--db", str(folder / "table-big.db"), "table"], env),
        }
        has_mlflow = importlib.util.find_spec("mlflow") is not None
        if has_mlflow:
            uri, experiment_id = build_mlflow_store(folder, args.runs)
            search = [sys.executable, "-c", MLFLOW_SEARCH, uri, experiment_id, str(args.runs)]
            commands["mlflow"] = partial(time_process, search, env)
        if not args.no_tui:
            commands["compare small"] = lambda: tui_start(folder / "table-small.db", compare="quickstart")[:2]
            commands["compare big"] = lambda: tui_start(folder / "table-big.db", compare="quickstart")[:2]
        times = time_in_turns(commands, args.repeats)
        size = f"{args.runs // 1000}k" if args.runs >= 1000 else str(args.runs)
        rows = [
            row(f"`runs ls --json -n 0`, {size} runs (whole process)", times["listing"], times.get("mlflow"),
                peer_name="MLflow search_runs" + ("" if has_mlflow else " (not installed)"),
                goal=f"≤ {LISTING_GOAL_S} s", met=lambda ours, _ratio: ours <= LISTING_GOAL_S),
            row(f"`synvita table`, {args.table_runs:,} evaluate runs (whole process)", times["table big"],
                times["table small"], peer_name="the same, 10 runs", goal=f"≤ {TABLE_GOAL_RATIO}×",
                met=lambda _ours, ratio: ratio <= TABLE_GOAL_RATIO),
        ]
        if not args.no_tui:
            rows.append(row(f"TUI compare screen, {args.table_runs:,} evaluate runs (whole process)",
                            times["compare big"], times["compare small"], peer_name="the same, 10 runs",
                            goal=f"≤ {TABLE_GOAL_RATIO}×", met=lambda _ours, ratio: ratio <= TABLE_GOAL_RATIO))
    return rows


if __name__ == "__main__":
    print_rows(main())
