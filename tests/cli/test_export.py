"""`synvita export`: the files it writes are scored by the official scripts' rules (re-implemented in
official_scripts.py: the `videopath.split(data_dir)[1]`, the inner merge on (videopath, caption), the groupings)
to `synvita table`'s numbers; export.json has the documented shape; bad inputs are one line with their exit code
and leave the database as it was.

Two tiny experiments run for real (world → pretrain → train `none` → evaluate, a few steps): one on the embedded
world, one on that world exported and read through the `videocon` source."""

from __future__ import annotations

import csv
import json
import subprocess
import sys
from pathlib import Path

import pytest
from cli_helpers import snapshot

pd = pytest.importorskip("pandas")
pytest.importorskip("sklearn")

import official_scripts  # noqa: E402  (needs pandas and scikit-learn)

from synvita.api import Api  # noqa: E402

SETTINGS = """
[scorers]
members = 1
steps = 4
batch_size = 8
[train]
variants = ["none"]
steps = 6
batch_size = 8
extra_negatives = false
[evaluate]
controls = []
"""
SCRIPT_NAMES = {"eval_videocon_llm.py", "eval_videocon_human.py", "calc_ssv2.py", "eval_atphard.py"}


def synvita(*args: str, db: Path, cwd: Path | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "synvita.cli.app", "--db", str(db), *args], capture_output=True, text=True,
                          timeout=600, cwd=cwd)


def _run_experiment(api: Api, spec_path: Path) -> None:
    api.submit(api.load_experiment(spec_path))
    summary = api.run_worker(until_idle=True, parallel=1)
    assert summary.statuses == {"succeeded": 4}, [(r.stage, r.status, r.error) for r in api.list_runs()]


@pytest.fixture(scope="module")
def experiments(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("export")
    db = tmp / "db" / "synvita.db"
    embedded = tmp / "export-world.toml"
    embedded.write_text('name = "export-world"\nseeds = [0]\n[world]\npreset = "tiny"\n' + SETTINGS)
    with Api(db=db) as api:
        _run_experiment(api, embedded)
        [world] = api.list_runs(experiment="export-world", stage="world")
    from synvita.api import world as world_api

    world_api.export(world.run_dir, tmp / "data")
    real = tmp / "export-videocon.toml"
    real.write_text(f'name = "export-videocon"\nseeds = [0]\n[data]\nsource = "videocon"\n[videocon]\nroot = "{tmp / "data"}"\n'
                    'frames = 8\nheight = 32\nwidth = 32\n' + SETTINGS)
    with Api(db=db) as api:
        _run_experiment(api, real)
    return {"db": db, "tmp": tmp}


def _table_numbers(db: Path, run_id: str) -> dict[tuple[str, str], float]:
    with Api(db=db) as api:
        table = api.table(run_ids=[run_id], include_other_metrics=True)
    [row] = table.rows
    columns = {c.key: c for c in table.columns}
    return {(columns[k].benchmark, columns[k].metric): cell.mean for k, cell in row.cells.items()
            if columns[k].subset is None and columns[k].control is None and columns[k].metric}


TABLE_NAME = {"AUC-ROC": "auc", "mAP": "mAP", "R@1": "R@1", "R@5": "R@5", "R@10": "R@10", "Accuracy": "accuracy"}


@pytest.mark.parametrize("experiment", ["export-world", "export-videocon"])
@pytest.mark.parametrize("bare", [False, True])
def test_the_official_scripts_score_the_export_as_synvita_table(experiments, tmp_path, experiment, bare):
    out = tmp_path / "out"
    result = synvita("export", "--experiment", experiment, "--out", str(out), *(["--bare"] if bare else []),
                     db=experiments["db"])
    assert result.returncode == 0, result.stderr
    payload = json.loads((out / "export.json").read_text())
    [entry] = payload["runs"]
    assert set(entry) == {"run", "variant", "seed", "benchmarks"} and entry["variant"] == "none" and entry["seed"] == 0
    assert set(entry["benchmarks"]) == {"entail-llm", "entail-human", "entail-human-hard", "retrieval-temporal",
                                        "retrieval-events", "qa-hard"}
    table = _table_numbers(experiments["db"], entry["run"])
    for name, bench in entry["benchmarks"].items():
        assert set(bench) == {"script", "args", "synvita"} and bench["script"] in SCRIPT_NAMES
        assert "--output_file" not in bench["args"] and ("--extract_caption" in bench["args"]) == bare
        assert bench["args"][:2] == ["--data_dir", "data/"]
        printed = official_scripts.run(bench["script"], bench["args"], out)
        for metric, value in bench["synvita"].items():
            assert round(printed[metric], 2) == round(value, 2), (name, metric, printed, bench["synvita"])
            if metric in TABLE_NAME and not (name == "entail-human-hard" and metric == "AUC-ROC"):
                assert round(table[(name, TABLE_NAME[metric])], 2) == round(value, 2), (name, metric)
        if name == "entail-human-hard":
            assert round(printed["AUC-ROC-Hard"], 2) == round(table[(name, "auc")], 2)
    gallery = {n: int(b["args"][b["args"].index("--vid_per_caption") + 1])
               for n, b in entry["benchmarks"].items() if b["script"] == "calc_ssv2.py"}
    assert gallery == {"retrieval-temporal": 18, "retrieval-events": 12}  # the tiny preset's galleries
    assert "gallery" in result.stdout and "18" in result.stdout


def test_the_exported_files_have_the_scripts_layout(experiments, tmp_path):
    out = tmp_path / "out"
    assert synvita("export", "--experiment", "export-world", "--out", str(out), db=experiments["db"]).returncode == 0
    entry = json.loads((out / "export.json").read_text())["runs"][0]
    qa = entry["benchmarks"]["qa-hard"]["args"]
    predictions = out / qa[qa.index("--input_csv_2") + 1]
    rows = list(csv.reader(predictions.open(newline="")))
    assert {len(r) for r in rows} == {3}  # no header: the first row is data
    assert all(r[0].startswith("data/videos/qa-hard/qa-hard_") and r[0].endswith(".mp4") for r in rows)
    assert rows[0][1].startswith("The following is a conversation") and rows[0][1].endswith("AI: ")
    truth = list(csv.DictReader((out / qa[qa.index("--input_csv_1") + 1]).open(newline="")))
    assert [int(r["option"]) for r in truth] == [0, 1, 2, 3, 4] * (len(truth) // 5)
    assert [r["videopath"] for r in truth] == [r[0].split("data/")[1] for r in rows]
    types = list(csv.DictReader((out / qa[qa.index("--input_csv_3") + 1]).open(newline="")))
    assert {t["type"][0] for t in types} == {"C", "T"}


def test_bad_inputs_are_one_line_and_change_nothing(experiments, tmp_path):
    db = experiments["db"]
    before = snapshot(db)
    blocked = tmp_path / "file"
    blocked.write_text("")
    cases = [
        (["export", "--experiment", "export-world", "--out", str(tmp_path / "a"), "--data-dir", ""], 2, "--data-dir"),
        (["export", "--experiment", "export-world", "--out", str(tmp_path / "b"), "--data-dir", "videos/"], 2, "occurs inside"),
        (["export", "r-nosuch", "--out", str(tmp_path / "c")], 3, "r-nosuch"),
        (["export", "--experiment", "no-such-experiment", "--out", str(tmp_path / "d")], 3, "no-such-experiment"),
        (["export", "--experiment", "export-world", "--out", str(blocked / "sub")], 2, "cannot write"),
        (["export", "--out", str(tmp_path / "e")], 2, "name the runs"),
    ]
    for args, code, words in cases:
        result = synvita(*args, db=db)
        assert result.returncode == code, (args, result.stderr)
        lines = result.stderr.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("error:") and words in lines[0], (args, result.stderr)
    assert snapshot(db) == before
