"""Command startup: whole `synvita` processes on a 10-run database against `python -c pass`, in one run.

Times `synvita --help`, `runs ls`, `runs show` and `table` from process start to exit (median of `--repeats`, taken
in turns with the `python -c pass` reference), and with `--imports` lists where `runs ls` spends its import time
(`python -X importtime`, self time summed per top-level package). Goal (issue 16): each command ≤ 0.35 s.

    python -m benchmarks.bench_startup [--repeats 10] [--imports]
"""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
import tempfile
from collections import Counter
from functools import partial
from pathlib import Path

from benchmarks.databases import build_listing_db, build_table_db
from benchmarks.rows import Row, print_rows
from benchmarks.timing import SYNVITA, environment, row, time_in_turns, time_process

GOAL_S = 0.35
QUICK = ["--repeats", "3"]
"""The arguments of `run_all --quick`."""


def import_budget(argv: list[str], env: dict[str, str], top: int = 12) -> list[tuple[str, float]]:
    """(top-level package, seconds of import self time) of one process, the heaviest first."""
    result = subprocess.run([sys.executable, "-X", "importtime", *argv[1:]], env=env, capture_output=True, text=True,
                            check=True)
    spent: Counter[str] = Counter()
    for line in result.stderr.splitlines():
        match = re.match(r"import time:\s+(\d+) \|\s+\d+ \|\s*(\S+)", line)
        if match:
            spent[match.group(2).split(".")[0]] += int(match.group(1)) / 1e6
    return spent.most_common(top)


def main(argv: list[str] | None = None) -> list[Row]:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.bench_startup", description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=10)
    parser.add_argument("--imports", action="store_true", help="also list the import time of `runs ls` per package")
    args = parser.parse_args(argv)
    env = environment()
    with tempfile.TemporaryDirectory() as tmp:
        runs_db, table_db = Path(tmp) / "runs.db", Path(tmp) / "table.db"
        run_ids = build_listing_db(runs_db, 10)
        build_table_db(table_db, 10)
        commands = {
            "python -c pass": [sys.executable, "-c", "pass"],
            "synvita --help": [*SYNVITA, "--help"],
            "runs ls": [*SYNVITA, "--db", str(runs_db), "runs", "ls"],
            "runs show": [*SYNVITA, "--db", str(runs_db), "runs", "show", run_ids[0]],
            "table": [*SYNVITA, "--db", str(table_db), "table"],
        }
        times = time_in_turns({name: partial(time_process, cmd, env) for name, cmd in commands.items()}, args.repeats)
        base = times.pop("python -c pass")
        rows = [
            row(f"`{name}`, 10 runs (whole process)", samples, base, peer_name="python -c pass",
                goal=f"≤ {GOAL_S} s", met=lambda ours, _ratio: ours <= GOAL_S)
            for name, samples in times.items()
        ]
        if args.imports:
            print("import self time of `runs ls` per top-level package:")
            for package, seconds in import_budget(commands["runs ls"], env):
                print(f"  {package:<28} {seconds * 1e3:6.1f} ms")
    return rows


if __name__ == "__main__":
    print_rows(main())
