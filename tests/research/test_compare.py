"""research/compare.py: the report that docs/temporal.md reads prints the same mean ± std as `synvita table`."""

import ast
import subprocess
import sys
from pathlib import Path

import pytest

from synvita.api import Api
from synvita.runs.ingest import parse_events
from synvita.store import NewRun

import compare

REPO = Path(__file__).resolve().parents[2]
BENCHMARKS = ["entail-llm", "entail-human", "entail-human-hard", "retrieval-temporal", "retrieval-events", "qa-hard"]


def finished_evaluate_run(api, submission, variant, seed, results):
    """One succeeded evaluate run whose events report `results` [(benchmark, subset, control, value)]."""
    [run] = api.store.create_runs([NewRun(experiment="exp", submission=submission, stage="evaluate", variant=variant,
                                          seed=seed)])
    assert api.store.claim_next("w-test", submission=submission).id == run.id
    events = [{"kind": "result", "benchmark": b, "metric": "auc", "subset": subset, "control": control, "value": value}
              for b, subset, control, value in results]
    api.store.ingest_events(run.id, parse_events([{"seq": i, "ts": 1.0e9 + i, **e} for i, e in enumerate(events)],
                                                 run.run_dir))
    api.store.finish(run.id, "succeeded")


@pytest.fixture
def database(tmp_path):
    """Three seeds of `none` and of `synvita`, with headline, control, per-type and held-out results."""
    db = tmp_path / "synvita.db"
    with Api(db=db) as api:
        for variant, offset in (("none", 0.0), ("synvita", 2.5)):
            for seed in (0, 1, 2):
                value = lambda i: 60.0 + offset + i + 1.37 * seed * (i % 3 + 1) - 0.41 * seed ** 2  # noqa: E731
                results = [(b, None, control, value(i) - 9 * k) for i, b in enumerate(BENCHMARKS)
                           for k, control in enumerate(compare.CONTROLS)]
                results += [("entail-llm", f"id-type={t}", None, value(i + 2)) for i, t in enumerate(("flip", "object"))]
                results += [("entail-human", "held-out=yes", None, value(1)), ("entail-human", "held-out=no", None, value(4))]
                finished_evaluate_run(api, "s-1", variant, seed, results)
    return db


def _row(report: str, block: str, label: str) -> list[str]:
    lines = report.splitlines()
    start = lines.index(block)
    return next(line for line in lines[start:] if line.startswith(label + " ")).split()[1:]


def test_the_report_prints_the_same_mean_and_std_as_synvita_table(database):
    with Api(db=database) as api:
        report = compare.submission_report(api, "s-1")
        table = api.table(submission="s-1", include_controls=True)
        printed = api.format_table(table)
    for row in table.rows:
        for control, block in compare.CONTROL_TITLES.items():
            keys = [c.key for c in table.columns if c.control == control and c.subset is None
                    and (c.benchmark in BENCHMARKS or (control is None and c.key == "mean"))]
            expected = [f"{row.cells[k].mean:.2f}±{row.cells[k].std:.2f}" for k in keys]
            assert len(expected) == (7 if control is None else 6)
            assert _row(report, block, row.label)[: len(expected)] == expected
            assert all(text in printed for text in expected)
        flip = next(c.key for c in table.columns if c.subset == "id-type=flip" and c.control is None)
        assert f"{row.cells[flip].mean:.2f}±{row.cells[flip].std:.2f}" in report
    assert "±" in _row(report, "Linguistic-bias probe on entail-human: AUC of rows with held-out concepts vs the rest "
                               "(x100)", "none")[2]  # the gap, over seeds


def test_the_research_scripts_run_by_path_and_stay_off_the_stages():
    for script in sorted((REPO / "research").glob("*.py")):
        tree = ast.parse(script.read_text())
        assert "not part of the product" in ast.get_docstring(tree).splitlines()[0], script.name
        imported = [a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names]
        imported += [n.module for n in ast.walk(tree) if isinstance(n, ast.ImportFrom) and n.module]
        assert not [m for m in imported if m.startswith("synvita.stages")], script.name
        done = subprocess.run([sys.executable, str(script), "--help"], capture_output=True, text=True, timeout=120)
        assert done.returncode == 0 and "usage:" in done.stdout, (script.name, done.stderr)


@pytest.mark.slow
def test_it_runs_an_experiment_through_synvita_run_and_reports_it(tmp_path):
    spec = tmp_path / "probe.toml"
    spec.write_text('name = "probe"\nseeds = 2\n[world]\npreset = "tiny"\n[scorers]\nmembers = 1\nsteps = 2\n'
                    'batch_size = 4\n[train]\nvariants = ["none"]\nsteps = 2\nbatch_size = 4\n')
    done = subprocess.run([sys.executable, str(REPO / "research" / "compare.py"), str(spec), "--db", str(tmp_path / "db")],
                          capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr
    with Api(db=tmp_path / "db") as api:
        table = api.table(include_controls=True)
    [row] = table.rows
    # the benchmark cells agree; the table's mean leaves out benchmarks at chance, the report's averages all six
    shared = [c.key for c in table.columns if c.group == "benchmarks" and (c.key != "mean" or not table.at_chance)]
    assert row.n == 2 and all(f"{row.cells[k].mean:.2f}±{row.cells[k].std:.2f}" in done.stdout for k in shared)
    assert "AUC per misalignment type on entail-llm" in done.stdout and "scorer 0" in done.stdout
