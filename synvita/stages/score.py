"""Stage `score`: the alignment weights ω for every synthetic video (inputs: world, generate, pretrain).

Writes `<run_dir>/weights.jsonl` (one row per synthetic video: sample_id, generator, misalignment, f_target =
f̄(Vˢ,tˢ), f_other = f̄(Vˢ,tʳ), weight = ω, faithful) and `<run_dir>/scores.npz` (per-member [K, P] scores by
training pair, which the train stage turns into ω by its variant's rule), then emits the `weights` event.
"""

from __future__ import annotations

import time

import numpy as np

from synvita.stages import StageContext


def run(ctx: StageContext) -> None:
    from synvita.registry import SCORERS
    from synvita.scorers.base import write_weights
    from synvita.training.pipeline import SCORES_FILE, WEIGHTS_FILE, save_scores, score_pairs, weight_rows_for

    syn = ctx.synthetic
    _, pairs = ctx.data.split("train")
    sc = ctx.section("scorers")
    scorer = SCORERS.get(sc.name).from_section(sc, ctx)
    t0 = time.perf_counter()
    f_target, f_other = score_pairs(scorer, syn, pairs)
    ctx.events.metric("score_s", time.perf_counter() - t0, 0)
    generator = str(ctx.config.get("generator") or syn.generator)
    rows = weight_rows_for(syn, pairs, f_target, f_other, generator)
    write_weights(ctx.run_dir / WEIGHTS_FILE, rows)
    save_scores(ctx.run_dir / SCORES_FILE, f_target, f_other, sc.name)
    w = np.array([r.weight for r in rows])
    known = [r for r in rows if r.faithful is not None]  # real generators: faithfulness unknown, no AUROC
    faithful = np.array([bool(r.faithful) for r in known], dtype=bool)
    ctx.events.metric("mean_weight", float(w.mean()) if len(w) else 0.0, 0)
    if faithful.any() and (~faithful).any():
        from synvita.benchmarks.metrics import roc_auc

        diff = np.array([r.f_target - r.f_other for r in known])
        ctx.events.metric("weight_faithful_auroc", roc_auc(faithful.astype(int), diff), 0)
    ctx.events.weights(WEIGHTS_FILE)
    ctx.events.artifact("scores", SCORES_FILE)
    ctx.events.log(f"scored {len(rows)} synthetic videos with {sc.name}; mean ω {w.mean() if len(w) else 0:.3f}")
