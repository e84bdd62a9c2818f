"""The study as one command, in miniature: experiments/study.toml on the tiny world with 2 seeds and a few steps
(every variant, and the per-type run of flip), run through the CLI, then `synvita report` writes every table, figure
and finding line from the database; rerunning the experiment reuses the succeeded runs."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]

MINIATURE = [
    "--seeds", "2", "--set", "world.preset=tiny", "--set", "scorers.members=1", "--set", "scorers.steps=4",
    "--set", "scorers.batch_size=8", "--set", "train.steps=4", "--set", "train.batch_size=8",
    "--set", "train.per_type=flip", "--set", "evaluate.controls=[]",
]
"""The smallest study that exercises every variant and the per-type runs the findings read."""


def synvita(*args: str, db: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "synvita.cli.app", "--db", str(db), *args], capture_output=True,
                          text=True, timeout=900, cwd=REPO)


@pytest.fixture(scope="module")
def study(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("study")
    db = tmp / "db" / "synvita.db"
    run = synvita("run", "experiments/study.toml", *MINIATURE, "--parallel", "2", db=db)
    assert run.returncode == 0, run.stderr[-3000:]
    return {"db": db, "tmp": tmp, "run": run}


def test_the_report_writes_every_table_figure_and_finding(study):
    out = study["tmp"] / "docs" / "results"
    result = synvita("report", "study", "--out", str(out), db=study["db"])
    assert result.returncode == 0, result.stderr[-3000:]
    doc = (out.parent / "results.md").read_text()
    for heading in ("## Main table: every variant", "## Table 1 analogue", "## Table 2 analogue",
                    "## Main-table analogue", "## Ablation analogue", "## Held-out concepts versus in-distribution rows",
                    "## Mean Δ per misalignment type", "## Findings of the paper on the embedded world"):
        assert heading in doc
    for png in ("main.png", "per-type.png", "ablation.png", "delta-by-type.png"):
        path = out / png
        assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and f"results/{png}" in doc
    findings = [line for line in doc.splitlines() if line.startswith("- **")]
    assert len(findings) == 5
    assert all(line.split("**")[1] in ("reproduced", "not reproduced", "reversed") for line in findings)
    for needle in ("naive − none on entail-llm", "mean Δ of flip", "naive+hallucination − none on entail-human-hard",
                   "synvita − omega-target", "synvita − none on qa-hard"):
        assert needle in doc
    assert "naive+flip" in doc and "(n = 2)" in doc  # the per-type rows, paired over both seeds
    assert "/ 100.00" in doc  # every table's footer: chance, its band and the oracle


def test_rerunning_the_study_reuses_its_succeeded_runs(study):
    again = synvita("run", "experiments/study.toml", *MINIATURE, db=study["db"])
    assert again.returncode == 0, again.stderr[-3000:]
    assert "enqueued 0 runs" in again.stderr and "succeeded runs of earlier submissions reused" in again.stderr
