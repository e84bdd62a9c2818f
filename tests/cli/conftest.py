"""Fixtures for CLI tests: a real database under tmp_path filled through the store (no ML, no worker)."""

from __future__ import annotations

from pathlib import Path

import pytest
from cli_helpers import BENCHMARKS, TINY_EXPERIMENT, finish_run

from synvita.api import Api
from synvita.store import NewRun


@pytest.fixture
def experiment_file(tmp_path) -> Path:
    path = tmp_path / "tiny-cli.toml"
    path.write_text(TINY_EXPERIMENT)
    return path


@pytest.fixture
def populated(db_path) -> dict[str, str]:
    """A score run with weights, evaluate runs for none/synvita × 2 seeds with results, and one queued run."""
    ids: dict[str, str] = {}
    with Api(db=db_path) as api:
        weights = [
            {"sample_id": f"s{i}", "generator": "procedural", "misalignment": kind, "f_target": ft, "f_other": fo,
             "weight": max(0.0, ft - fo), "faithful": ft > fo}
            for i, (kind, ft, fo) in enumerate([("flip", 0.2, 0.5), ("flip", 0.6, 0.4), ("count", 0.9, 0.1)] * 5)
        ]
        ids["score"] = finish_run(api, "s-cli", "score", weights=weights, generator="procedural")
        for variant, offset in (("none", 0.0), ("synvita", 1.5)):
            for seed in (0, 1):
                events = [{"kind": "log", "level": "info", "msg": f"evaluating {variant} {seed}"}]
                events += [
                    {"kind": "result", "benchmark": b, "metric": "auc", "value": 60.0 + offset + seed, "subset": None, "control": None}
                    for b in BENCHMARKS
                ]
                events.append({"kind": "result", "benchmark": "qa-hard", "metric": "auc", "value": 20.0, "subset": None, "control": "shuffled"})
                events.append({"kind": "metric", "name": "loss", "value": 0.5 - 0.1 * seed, "step": 10})
                ids[f"{variant}-{seed}"] = finish_run(
                    api, "s-cli", "evaluate", events=events, variant=variant, seed=seed,
                    generator=None if variant == "none" else "procedural",
                    config={"train": {"lambda_scr": 1.0 if variant == "none" else 0.5}},
                )
        [queued] = api.store.create_runs([NewRun(experiment="exp", submission="s-q", stage="debug.noop")])
        ids["queued"] = queued.id
    return ids
