"""`python -m benchmarks.run_all` covers every row of the performance table (issue 16): each module that measures
one takes part, has arguments for a quick check that its parser accepts, and a row whose optional peer is missing
prints as such. No timing is asserted here: the benchmarks themselves are run by hand (see docs/benchmarks.md)."""

from __future__ import annotations

import argparse
import importlib
import math

import pytest

from benchmarks import run_all
from benchmarks.rows import Row

MEASURES_THE_ISSUE_TABLE = ("bench_ingest", "bench_listing", "bench_run_detail", "bench_startup", "bench_train_step",
                            "bench_tui")
"""Ingestion, listing/table/compare, run detail, command start-up, training step and frame cache, TUI first paint
and memory."""


def test_every_module_of_the_table_takes_part():
    assert set(MEASURES_THE_ISSUE_TABLE) <= set(run_all.row_modules())


@pytest.mark.parametrize("name", MEASURES_THE_ISSUE_TABLE)
def test_quick_arguments_are_ones_the_module_accepts(name, monkeypatch):
    module = importlib.import_module(f"benchmarks.{name}")
    parse_args = argparse.ArgumentParser.parse_args

    def stop_after_parsing(parser, args=None, namespace=None):
        parse_args(parser, args, namespace)  # SystemExit on an argument the module does not know
        raise _Parsed

    monkeypatch.setattr(argparse.ArgumentParser, "parse_args", stop_after_parsing)
    with pytest.raises(_Parsed):
        module.main(list(module.QUICK))


def test_a_row_without_its_peer_shows_no_ratio():
    row = Row(name="x", ours="1 ms", peer="MLflow not measured", ratio=math.nan, repeats=3, low=math.nan,
              high=math.nan, goal="≤ 0.5 s", met=True)
    assert "| 1 ms | MLflow not measured | — | — | 3 | ≤ 0.5 s | yes |" in run_all.markdown({"bench_x": [row]})


def test_the_quickstart_runs_only_on_request():
    assert "bench_quickstart" not in run_all.row_modules()
    assert "bench_quickstart" in run_all.row_modules(requested=["bench_quickstart"])
    assert run_all.row_modules(only=["bench_quickstart"]) == ["bench_quickstart"]


def test_only_names_existing_modules():
    with pytest.raises(SystemExit):
        run_all.main(["--only", "bench_nothing"])


class _Parsed(Exception):
    """Raised once a benchmark's arguments are parsed, before it measures anything."""

