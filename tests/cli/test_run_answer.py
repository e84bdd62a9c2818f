"""`synvita run` ends short: the main table, one line per finding, and the commands for the other views."""

from __future__ import annotations

import pytest
from cli_helpers import BENCHMARKS, finish_run
from test_cli import debug_plan, invoke

from synvita.api import Api
from synvita.api.tables import TablesApi
from synvita.runs import plan

PRIOR = "s-prior"


def result(benchmark, value, subset=None, control=None):
    return {"kind": "result", "benchmark": benchmark, "metric": "auc", "value": value, "subset": subset, "control": control}


@pytest.fixture
def recorded_results(db_path):
    """Evaluate runs of none/synvita × 2 seeds with headline, probe, per-type and control results (submission PRIOR)."""
    with Api(db=db_path) as api:
        for variant, gain_held, gain_id in (("none", 0.0, 0.0), ("synvita", 12.0, 2.0)):
            for seed in (0, 1):
                events = [result(b, 60.0 + (gain_held + gain_id) / 2 + seed) for b in BENCHMARKS]
                events += [
                    result("entail-human", 55.0 + gain_held + seed, subset="held-out=yes"),
                    result("entail-human", 65.0 + gain_id + seed, subset="held-out=no"),
                    result("entail-llm", 70.0, subset="type=flip"),
                    result("entail-llm", 71.0, subset="id-type=flip"),
                    result("qa-hard", 20.0, control="shuffled"),
                ]
                finish_run(api, PRIOR, "evaluate", events=events, variant=variant, seed=seed)


@pytest.fixture
def run_tables_prior(monkeypatch):
    """`synvita run` of debug stages (no ML) whose table is that of the recorded evaluate runs."""
    monkeypatch.setattr(plan, "plan_runs", debug_plan([("debug.noop", {}, [])] + [("debug.noop", {}, [0])] * 5))
    table = TablesApi.table
    monkeypatch.setattr(TablesApi, "table", lambda self, *a, submission=None, **kw: table(self, *a, submission=PRIOR, **kw))


def test_run_ends_with_the_main_table_findings_and_where_the_rest_is(db_path, experiment_file, recorded_results, run_tables_prior):
    result = invoke(db_path, "run", str(experiment_file))
    assert result.exit_code == 0, result.stderr
    lines = (result.stdout + result.stderr).splitlines()
    assert len(lines) <= 30, "\n".join(lines)
    assert "\x1b" not in result.stdout + result.stderr
    assert "control: shuffled" not in result.stdout and "held-out" not in result.stdout.split("synvita − none")[0]
    assert "synvita − none: +7.0 mean; on held-out-concept rows +12.0, on in-distribution rows +2.0 (n = 2 vs 2)" in result.stdout
    submission = Api(db=db_path).list_runs(stage="debug.noop")[0].submission
    assert f"synvita table --submission {submission} --view probe|types|controls" in result.stderr


def test_run_verbose_prints_every_table(db_path, experiment_file, recorded_results, run_tables_prior):
    result = invoke(db_path, "run", str(experiment_file), "--verbose")
    assert result.exit_code == 0, result.stderr
    assert "control: shuffled" in result.stdout and "entail-human by held-out" in result.stdout
    assert "--view" not in result.stderr


@pytest.mark.parametrize("view, shown, hidden", [
    ("probe", "entail-human by held-out", "control: shuffled"),
    ("types", "entail-llm by type", "by held-out"),
    ("controls", "control: shuffled", "by type"),
    ("main", "temporal", "control: shuffled"),
])
def test_table_view_prints_one_block(db_path, recorded_results, view, shown, hidden):
    result = invoke(db_path, "table", "--submission", PRIOR, "--view", view)
    assert result.exit_code == 0, result.stderr
    assert shown in result.stdout and hidden not in result.stdout


def test_table_unknown_view_is_a_usage_error(db_path, recorded_results):
    result = invoke(db_path, "table", "--submission", PRIOR, "--view", "nope")
    assert result.exit_code == 2 and "probe" in result.stderr
