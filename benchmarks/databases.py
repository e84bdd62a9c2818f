"""Databases the listing and startup benchmarks run against: N runs like a real sweep's, written through the store.

Runs are created with `Store.create_runs` (their ids, run dirs and schema are the store's own); what a worker records
over time (statuses, timestamps, key metrics, benchmark results) is bulk-written with SQL, which is what lets a
10,000-run database build in seconds. Each builder is deterministic apart from the random run ids.
"""

from __future__ import annotations

import random
import sqlite3
import time
from pathlib import Path

from synvita.store import NewRun, Store

BENCHMARKS = ("entail-llm", "entail-human", "entail-human-hard", "retrieval-temporal", "retrieval-events", "qa-hard")
VARIANTS = ("none", "naive", "synvita")
STATUSES = ("succeeded", "succeeded", "succeeded", "failed", "running", "queued", "cancelled")
MISALIGNMENT_TYPES = ("action", "attribute", "count", "flip", "hallucination", "object", "relation")


def run_config(stage: str, variant: str | None, seed: int) -> dict:
    """A config shaped like the one `synvita run` plans for the quickstart (about 1 KB of JSON)."""
    return {
        "experiment": "quickstart", "stage": stage, "variant": variant, "seed": seed, "generator": "procedural",
        "world": {"preset": "quickstart", "seed": 0, "overrides": {}},
        "generation": {"generators": ["procedural"], "profile": "default", "model_path": None, "videos_dir": None,
                       "shards": 1, "failure": {}, "look": {}, "device": "auto", "dtype": "auto", "num_frames": None,
                       "height": None, "width": None, "steps": None, "guidance": None, "batch_size": 1, "options": {}},
        "scorers": {"name": "ensemble", "members": 2, "paths": [], "steps": 1000, "lr": 0.001, "batch_size": 32,
                    "extra_negatives": True, "broken_time": 0.5},
        "model": {"name": "tiny", "path": None, "config": {}},
        "train": {"variants": list(VARIANTS), "lambda_scr": 1.0, "margin": 0.2, "lr": 0.001, "steps": 1000,
                  "epochs": None, "batch_size": 32, "extra_negatives": True, "broken_time": 0.25},
        "evaluate": {"benchmarks": list(BENCHMARKS), "controls": ["shuffled", "single-frame"]},
    }


def build_listing_db(path: Path, n_runs: int) -> list[str]:
    """`n_runs` runs of every stage and status across experiments and submissions; returns their ids."""
    store = Store.open(path)
    ids: list[str] = []
    for start in range(0, n_runs, 1000):
        chunk = []
        for i in range(start, min(n_runs, start + 1000)):
            stage, variant = ("train", "evaluate", "score")[i % 3], VARIANTS[i % 3]
            chunk.append(NewRun(f"exp{i % 7}", f"s-{i // 50:05d}", stage, variant=variant, generator="procedural",
                                seed=i % 5, config=run_config(stage, variant, i % 5)))
        ids += [run.id for run in store.create_runs(chunk)]
    store.close()
    rng = random.Random(0)
    with sqlite3.connect(path) as conn:
        conn.executemany(
            "UPDATE runs SET status=?, started_at=created_at, finished_at=created_at+60, progress=1.0, key_metric=?, "
            "worker='host-1' WHERE id=?",
            [(STATUSES[i % len(STATUSES)], rng.uniform(40, 60), rid) for i, rid in enumerate(ids)])
        conn.execute("UPDATE runs SET finished_at=NULL WHERE status IN ('running', 'queued')")
        # a running run's worker is alive for as long as a benchmark runs (else listing it would mark it lost)
        conn.execute("UPDATE runs SET heartbeat_at=? WHERE status = 'running'", (time.time() + 86400,))
        conn.execute("UPDATE runs SET error='loss is NaN at step 12' WHERE status = 'failed'")
    conn.close()
    return ids


def build_table_db(path: Path, n_runs: int) -> list[str]:
    """`n_runs` succeeded evaluate runs of one submission (variants × seeds), each with the 66 results an evaluate
    run reports: six headline scores, R@1/5/10 of the two retrieval benchmarks, the two controls and per-type AUCs."""
    store = Store.open(path)
    ids: list[str] = []
    for start in range(0, n_runs, 1000):
        chunk = [NewRun("quickstart", "s-00table", "evaluate", variant=VARIANTS[i % 3], generator="procedural",
                        seed=i // 3, config=run_config("evaluate", VARIANTS[i % 3], i // 3))
                 for i in range(start, min(n_runs, start + 1000))]
        ids += [run.id for run in store.create_runs(chunk)]
    store.close()
    rng = random.Random(0)
    rows = []
    for rid in ids:
        seq = 0
        for bench in BENCHMARKS:
            rows.append((rid, bench, "score", "", "", rng.uniform(10, 90), seq))
            seq += 1
            if bench.startswith("retrieval"):
                for k in (1, 5, 10):
                    rows.append((rid, bench, f"R@{k}", "", "", rng.uniform(0, 100), seq))
                    seq += 1
            for control in ("shuffled", "single-frame"):
                rows.append((rid, bench, "score", "", control, rng.uniform(10, 90), seq))
                seq += 1
            for kind in MISALIGNMENT_TYPES:
                rows.append((rid, bench, "auc", f"type={kind}", "", rng.uniform(0.4, 0.9), seq))
                seq += 1
    with sqlite3.connect(path) as conn:
        conn.executemany(
            "UPDATE runs SET status='succeeded', started_at=created_at, finished_at=created_at+60 WHERE id=?",
            [(rid,) for rid in ids])
        conn.executemany(
            "INSERT INTO results (run_id, benchmark, metric, subset, control, value, seq) VALUES (?, ?, ?, ?, ?, ?, ?)",
            rows)
    conn.close()
    return ids
