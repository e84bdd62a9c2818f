"""Deterministic demo data for the TUI tests and screenshots, written through the real store.

Runs are created with `Store.create_runs` and filled by `Store.ingest_events` with parsed event lines (progress,
metrics, results, a weights JSONL file); only what a worker would set over time — status, timestamps, worker
name — is written with plain SQL afterwards, so that snapshots never depend on the clock. Run ids are r-000001,
r-000002, … .
"""

from __future__ import annotations

import itertools
import json
import random
import sqlite3
from contextlib import contextmanager
from pathlib import Path
from unittest import mock

from synvita.runs.ingest import parse_events
from synvita.store import NewRun, Store
from synvita.store import runs as store_runs

T0 = 1_764_000_000.0
"""Fixed "now" of the demo database (2025-11-24 16:00 UTC); the app under test gets `clock=lambda: NOW`."""
NOW = T0 + 3600.0
BENCHMARKS = ("entail-llm", "entail-human", "entail-human-hard", "retrieval-temporal", "retrieval-events", "qa-hard")
PAPER_MEANS = {  # the shape of the paper's Table 1, so the screenshots look like what users expect
    "none": (88.4, 77.2, 74.8, 13.0, 10.4, 35.5),
    "naive": (84.0, 76.9, 75.1, 11.8, 8.8, 35.3),
    "synvita": (85.8, 77.3, 75.2, 13.8, 10.3, 35.8),
}
MISALIGNMENT = {  # (mean, std) of Δ per type, as in the paper's weight-distribution figure
    "action": (0.09, 0.19), "attribute": (0.15, 0.19), "count": (0.05, 0.14), "flip": (-0.03, 0.08),
    "hallucination": (-0.05, 0.13), "object": (0.15, 0.20), "relation": (0.03, 0.12),
}


@contextmanager
def sequential_run_ids(start: int = 1):
    """Patch the store's id generator so that runs get r-000001, r-000002, … (test data only)."""
    counter = itertools.count(start)
    with mock.patch.object(store_runs, "_new_run_id", lambda: f"r-{next(counter):06x}"):
        yield


def _events(kinds: list[tuple[str, dict]], t: float) -> list[dict]:
    return [{"seq": i, "ts": t + i, "kind": kind, **data} for i, (kind, data) in enumerate(kinds)]


def set_state(db_path: Path, run_id: str, status: str, *, created: float, started: float | None = None,
              finished: float | None = None, error: str | None = None, worker: str | None = "host-1") -> None:
    """What a worker would have recorded over time, written directly (fixed timestamps for snapshots)."""
    with sqlite3.connect(db_path) as conn:
        conn.execute(
            "UPDATE runs SET status=?, created_at=?, started_at=?, finished_at=?, error=?, worker=?, "
            "run_dir='runs/' || id WHERE id=?",
            (status, created, started, finished, error, worker if started else None, run_id),
        )


def write_weights(run_dir: Path, rng: random.Random, n_per_type: int = 200) -> str:
    """A weights JSONL like the score stage writes: Δ per misalignment type, ω = max(0, Δ), ground-truth flags."""
    run_dir.mkdir(parents=True, exist_ok=True)
    lines = []
    for kind, (mu, sd) in MISALIGNMENT.items():
        for i in range(n_per_type):
            diff = max(-0.95, min(0.95, rng.gauss(mu, sd)))
            f_other = rng.uniform(0.2, 0.6)
            faithful = diff > 0.05 if rng.random() < 0.85 else diff <= 0.05
            generator = "procedural" if i % 2 else "lavie-like"
            lines.append(json.dumps({
                "sample_id": f"{kind}-{i}", "generator": generator, "misalignment": kind,
                "f_target": f_other + diff, "f_other": f_other, "weight": max(0.0, diff), "faithful": faithful,
            }))
    (run_dir / "weights.jsonl").write_text("\n".join(lines) + "\n")
    return "weights.jsonl"


def seed_demo(store: Store) -> dict[str, str]:
    """Two experiments with every kind of run; returns {role: run id} for the tests."""
    rng = random.Random(0)
    ids: dict[str, str] = {}
    sub = "s-0000demo"
    plan = [
        ("world", NewRun("quickstart", sub, "world", seed=0, config={"world": {"preset": "quickstart", "seed": 0}})),
        ("generate", NewRun("quickstart", sub, "generate", generator="procedural", seed=0, depends_on=[0])),
        ("score", NewRun("quickstart", sub, "score", generator="procedural", seed=0, depends_on=[1],
                         config={"scorers": {"name": "ensemble", "members": 2}})),
    ]
    for variant in PAPER_MEANS:  # as the engine plans them: `none` trains on real data, with no score run upstream
        plan.append((f"train-{variant}", NewRun("quickstart", sub, "train", variant=variant, generator="procedural",
                                                seed=0, depends_on=[0] if variant == "none" else [2],
                                                config={"train": {"lambda_scr": 1.0, "margin": 0.2}})))
    for variant in PAPER_MEANS:
        for seed in (0, 1):
            train_index = 3 + list(PAPER_MEANS).index(variant)
            plan.append((f"eval-{variant}-{seed}", NewRun("quickstart", sub, "evaluate", variant=variant,
                                                           generator="procedural", seed=seed,
                                                           depends_on=[train_index])))
    for variant in PAPER_MEANS:
        plan.append((f"lavie-{variant}", NewRun("quickstart-lavie", "s-0000lav1", "evaluate", variant=variant,
                                                generator="lavie-like", seed=0)))
    plan.append(("running", NewRun("quickstart", sub, "train", variant="consistency", generator="procedural", seed=1)))
    plan.append(("failed", NewRun("quickstart", sub, "train", variant="weighting", generator="procedural", seed=1)))
    plan.append(("queued", NewRun("quickstart", sub, "evaluate", variant="consistency", generator="procedural", seed=1)))
    with sequential_run_ids():
        runs = store.create_runs([new for _, new in plan])
    for (role, _), run in zip(plan, runs):
        ids[role] = run.id

    t = T0
    for role, run in zip((role for role, _ in plan), runs):
        events: list[tuple[str, dict]] = [("log", {"level": "info", "msg": f"{run.stage} started"})]
        if run.stage == "score":
            rel = write_weights(Path(run.run_dir), rng)
            events += [("progress", {"done": i, "total": 4, "msg": "scoring"}) for i in range(1, 5)]
            events.append(("weights", {"path": rel}))
        if run.stage == "train" and role != "queued":
            steps = {"running": 16, "failed": 12}.get(role, 40)
            for step in range(steps):
                loss = 2.0 * 0.93 ** step + 0.05 * rng.random()
                events.append(("metric", {"name": "loss_real", "value": loss, "step": step}))
                events.append(("metric", {"name": "loss_scr", "value": 0.3 * 0.95 ** step, "step": step}))
                events.append(("progress", {"done": step + 1, "total": 40, "msg": "training"}))
            events.append(("artifact", {"name": "checkpoint", "path": "model.pt"}))
        if run.stage == "evaluate" and role != "queued":
            offset = -1.5 if run.experiment == "quickstart-lavie" else 0.0
            for bench, base in zip(BENCHMARKS, PAPER_MEANS[run.variant]):
                value = base + offset + (run.seed or 0) * 0.4 - 0.2
                events.append(("result", {"benchmark": bench, "metric": "score", "value": round(value, 2),
                                          "subset": None, "control": None}))
                events.append(("result", {"benchmark": bench, "metric": "score", "value": round(value - 9, 2),
                                          "subset": None, "control": "shuffled"}))
        if role == "failed":
            events.append(("log", {"level": "error", "msg": "loss is NaN at step 12\nTraceback (most recent call last)"}))
        if role == "queued":
            events = []
        if events:
            store.ingest_events(run.id, parse_events(_events(events, t), run.run_dir))
        if role == "running":
            set_state(store.path, run.id, "running", created=t, started=t + 5)
        elif role == "failed":
            set_state(store.path, run.id, "failed", created=t, started=t + 5, finished=t + 40,
                      error="StageError: loss is NaN at step 12")
        elif role == "queued":
            set_state(store.path, run.id, "queued", created=t)
        else:
            set_state(store.path, run.id, "succeeded", created=t, started=t + 5, finished=t + 5 + 60 + 7 * len(events))
        t += 60
    return ids


MINI_EXPERIMENT = """\
name = "mini"
seeds = [0]
[train]
variants = ["none", "naive", "synvita"]
[evaluate]
benchmarks = []
controls = []
"""
"""A three-variant experiment with no benchmarks, for the queue form (spec validation only, nothing runs)."""
