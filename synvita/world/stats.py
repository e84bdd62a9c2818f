"""Counts that show how a world (and a synthetic set) was built: what `synvita world stats` prints and what the
world/generate stages save as `stats.json`."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np


def world_stats(world_dir: str | Path, synthetic_dir: str | Path | None = None) -> dict[str, Any]:
    """Counts that show the world's construction: per bank the scene kinds and held-out share, per pair split the
    misalignment types and where held-out concepts occur, per benchmark its shape; per type the synthetic set's
    failure and faithful rates."""
    from collections import Counter

    from synvita.data.manifest import as_bool
    from synvita.world import load_world
    from synvita.world.layout import BANKS, PAIR_SPLITS

    world = load_world(world_dir)
    out: dict[str, Any] = {"preset": world.config.name, "seed": world.seed, "held_out": sorted(world.config.held_out)}
    banks = {}
    for b in BANKS:
        scenes = world.scenes(b)
        kinds = Counter("relation" if s.relation is not None else s.link for s in scenes)
        held = sum(bool(s.concepts() & world.config.held_out) for s in scenes)
        banks[b] = {"videos": len(scenes), "kinds": dict(sorted(kinds.items())), "held_out_share": round(held / max(1, len(scenes)), 3)}
    out["banks"] = banks
    pairs = {}
    for name in (*PAIR_SPLITS, "human"):
        rows = world.rows(name)
        n = max(1, len(rows))
        pairs[name] = {
            "pairs": len(rows),
            "types": dict(sorted(Counter(r["misalignment"] for r in rows).items())),
            "held_out_in_video": round(sum(as_bool(r["held_out_video"]) for r in rows) / n, 3),
            "held_out_in_negative": round(sum(as_bool(r["held_out_neg"]) for r in rows) / n, 3),
            "hard": round(sum(as_bool(r["hard"]) for r in rows) / n, 3),
        }
    out["pairs"] = pairs
    benches = {}
    for name in world.benchmark_names():
        _, data = world.benchmark(name)
        if hasattr(data, "relevant"):
            benches[name] = {"queries": len(data.queries), "gallery": int(data.relevant.shape[1]),
                             "positives_per_query": sorted(set(data.relevant.sum(1).tolist())),
                             **retrieval_reference(world, name)}
        elif hasattr(data, "statements"):
            benches[name] = {"questions": len(data.statements), "options": 5}
        else:
            benches[name] = {"rows": len(data.caption), "positives": int(data.label.sum()),
                             "held_out_rows": int(data.held_out.sum()), "hard_rows": int(data.hard.sum())}
    out["benchmarks"] = benches
    if synthetic_dir is not None:
        out["synthetic"] = synthetic_stats(synthetic_dir)
    return out


def synthetic_stats(synthetic_dir: str | Path) -> dict[str, Any]:
    """Generator, profile, faithful rate, and per misalignment type: videos, failure rate, faithful rate."""
    from synvita.world.synthetic import load_synthetic

    syn = load_synthetic(synthetic_dir)
    known = np.ones(len(syn), dtype=bool) if syn.faithful_known is None else syn.faithful_known  # False: real generators

    def rate(flags: np.ndarray, sel: np.ndarray) -> float | None:  # None where no video's ground truth is known
        sel = sel & known
        return round(float(flags[sel].mean()), 3) if sel.any() else None

    per_type = {}
    for t in sorted(set(syn.misalignment)):
        sel = np.array([m == t for m in syn.misalignment])
        per_type[t] = {"videos": int(sel.sum()), "failed": rate(syn.failed, sel), "faithful": rate(syn.faithful, sel)}
    return {
        "generator": syn.generator,
        "profile": syn.profile,
        "videos": len(syn),
        "faithful": rate(syn.faithful, np.ones(len(syn), dtype=bool)),
        "per_type": per_type,
    }


def _average_precision(scores: np.ndarray, relevant: np.ndarray, rng: np.random.Generator) -> float:
    order = np.lexsort((rng.random(len(scores)), -scores))  # ties broken at random
    hits = relevant[order]
    precision = np.cumsum(hits) / np.arange(1, len(hits) + 1)
    return float((precision * hits).sum() / max(1, hits.sum()))


def retrieval_reference(world, name: str, draws: int = 20) -> dict[str, float]:
    """Reference mAP of a retrieval benchmark: random scores, and a perfect *content-only* scorer that is blind to
    what happens over time: the actions (retrieval-temporal) or the event order (retrieval-events). A model must
    beat the second to show it reads time."""
    from dataclasses import replace

    from synvita.world import parse
    from synvita.world.scene import Scene

    def blind(scene: Scene) -> Scene:
        if name == "retrieval-events":
            return Scene(groups=tuple(sorted(scene.groups, key=lambda g: (g.shape, g.colour))), link=scene.link)
        return Scene(groups=tuple(replace(g, action="") for g in scene.groups), link=scene.link)

    _, data = world.benchmark(name)
    videos = [blind(s) for s in world.scenes(name)]
    rng = np.random.default_rng(0)
    rand, content = [], []
    for q, caption in enumerate(data.queries):
        target = blind(parse(caption))
        same = np.array([float(v == target) for v in videos])
        for _ in range(draws):
            rand.append(_average_precision(np.zeros(len(videos)), data.relevant[q], rng))
            content.append(_average_precision(same, data.relevant[q], rng))
    return {"map_random": round(float(np.mean(rand)), 3), "map_content_only": round(float(np.mean(content)), 3)}
