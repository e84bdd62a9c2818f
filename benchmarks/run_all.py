"""Run every benchmark that reports rows and write them as one markdown table: the record of how fast synvita is.

Takes part: each `benchmarks/bench_*.py` whose `main` is annotated `-> list[Row]` (see `benchmarks/rows.py` for
the row format and the contract); the others are plain scripts and are skipped without being run. Each module's
`main([])` runs with its own defaults, so a row is measured as its module documents. The table names the machine
(CPU model from /proc/cpuinfo, cores) and the date; every row carries its ratio, repeats and min–max.

`--only NAME ...` runs some of the modules; `--quick` runs each with its `QUICK` arguments (fewer repeats, smaller
sizes where a repeat takes long), to check that the goals hold, not to record them. Either one prints the rows and
writes a file only when `--out` names one, so that the record in docs/ only ever comes from a full run.
`--quickstart` adds the quickstart's wall time (benchmarks/bench_quickstart.py, about ten minutes).

    python -m benchmarks.run_all [--out docs/benchmarks.md] [--only bench_ingest bench_run_detail] [--quick] [--quickstart]
"""

from __future__ import annotations

import argparse
import ast
import datetime
import importlib
import math
import os
import platform
import sys
from pathlib import Path
from typing import Sequence

from benchmarks.rows import Row, print_rows

HERE = Path(__file__).resolve().parent


ON_REQUEST = {"bench_quickstart": "--quickstart"}
"""Modules that take minutes, run only with their flag (or when named in --only)."""


def row_modules(only: Sequence[str] = (), requested: Sequence[str] = ()) -> list[str]:
    """Names of the benchmark modules whose `main` returns rows (by its annotation, read from the source: the
    others are neither run nor imported), in file order; a module of `ON_REQUEST` only when named in `only` or
    `requested`."""
    names = []
    for path in sorted(HERE.glob("bench_*.py")):
        if only and path.stem not in only:
            continue
        if path.stem in ON_REQUEST and path.stem not in (*only, *requested):
            continue
        for node in ast.parse(path.read_text()).body:
            if (isinstance(node, ast.FunctionDef) and node.name == "main" and node.returns is not None
                    and ast.unparse(node.returns) == "list[Row]"):
                names.append(path.stem)
    return names


def machine() -> str:
    """CPU model and core count, Python version."""
    model = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return f"{model}, {cores} cores, Python {platform.python_version()}, {platform.system()}"


def markdown(results: dict[str, list[Row]]) -> str:
    """The table, one row per comparison, grouped by module."""
    lines = [
        "| Benchmark | What | synvita | Peer / reference | Ratio | Min–max | Repeats | Goal | Met |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for module, rows in results.items():
        for row in rows:
            if math.isnan(row.ratio):  # the peer was not measured
                ratio, spread = "—", "—"
            else:
                ratio, spread = f"{row.ratio:.2f}×", f"{row.low:.2f}–{row.high:.2f}"
            lines.append(
                f"| `{module}` | {row.name} | {row.ours} | {row.peer} | {ratio} | {spread} | {row.repeats} "
                f"| {row.goal} | {'yes' if row.met else '**no**'} |"
            )
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.run_all", description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, help="the markdown file to write (default: docs/benchmarks.md for a "
                                                  "full run, none with --only or --quick)")
    parser.add_argument("--only", nargs="+", default=(), metavar="NAME", help="module names (bench_ingest ...) to run")
    parser.add_argument("--quick", action="store_true", help="each module with its QUICK arguments")
    parser.add_argument("--quickstart", action="store_true",
                        help="also time `synvita run` of the quickstart (about ten minutes; bench_quickstart)")
    args = parser.parse_args(argv)
    unknown = set(args.only) - {path.stem for path in HERE.glob("bench_*.py")}
    if unknown:
        parser.error(f"no benchmark module {', '.join(sorted(unknown))} in {HERE}")
    out = args.out or (None if args.only or args.quick else Path("docs/benchmarks.md"))
    results: dict[str, list[Row]] = {}
    for name in row_modules(args.only, ["bench_quickstart"] if args.quickstart else []):
        print(f"== {name}", file=sys.stderr)
        module = importlib.import_module(f"benchmarks.{name}")
        rows = module.main(list(module.QUICK) if args.quick else [])
        print_rows(rows)
        results[name] = rows
    if out is not None:
        write_table(out, results)
        print(f"wrote {out}", file=sys.stderr)
    return 0 if all(row.met for rows in results.values() for row in rows) else 1


def write_table(out: Path, results: dict[str, list[Row]]) -> None:
    when = datetime.date.today().isoformat()
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(
        "# Benchmarks\n\n"
        f"Written by `python -m benchmarks.run_all` on {when}, on {machine()}.\n"
        "Each row compares synvita with its peer measured in the same run, interleaved (in-process timings, or whole\n"
        "processes taken in turns); the ratio is the median of the per-repeat ratios, min–max their range. Absolute\n"
        "figures depend on the machine and its load; the goals are about the ratios (or, where the goal names a time,\n"
        "about synvita's median).\n\n"
        + markdown(results)
    )


if __name__ == "__main__":
    raise SystemExit(main())
