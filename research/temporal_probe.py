"""Research script, not part of the product: can the real-only `tiny` model learn time? Train it on fresh world
pairs and report per-type AUC with controls.

    python research/temporal_probe.py --steps 3000 --train-pairs 20000 --seed 0 [--set motion_px=14]

Renders balanced training/test pairs straight from the world's scene sampler, contrast edits and renderer (no
mp4, no store), trains the real-only variant (with the caption-derived flip / relation / direction / appearance
negatives of training, and optionally "relation-noun" ones: a relation clause naming an absent shape), and prints
AUC per misalignment type, the direction-reversal subset ("act_opp"), and the same model on time-shuffled and
single-frame test videos. docs/temporal.md reports its probes. `benchmarks/bench_training.py` renders its pairs
with `render_pairs`.
"""

from __future__ import annotations

import argparse
import json
import time

import numpy as np

from synvita.data.types import MISALIGNMENT_TYPES, PairSet

RESEARCH_KINDS = ("relation-noun",)
"""Extra-negative kinds only this probe offers, next to the training's (`synvita.training.pipeline`)."""


def probe_negatives(captions_pos, kinds, exclude=()) -> list[list[str]]:
    """The training's caption-derived negatives of `kinds`, plus "relation-noun": the relation clause renamed to a
    shape the clip does not show (never a value in `exclude`). With it relation was learned once from relation
    pairs alone, never in the full mix (docs/temporal.md)."""
    from synvita.errors import UserInputError
    from synvita.training.pipeline import EXTRA_NEGATIVE_KINDS, extra_negatives
    from synvita.world.edits import relation_noun_caption

    unknown = sorted(set(kinds) - set(EXTRA_NEGATIVE_KINDS) - set(RESEARCH_KINDS))
    if unknown:
        raise UserInputError(f"unknown extra-negative kind(s) {unknown}",
                             hint=f"kinds: {', '.join(EXTRA_NEGATIVE_KINDS + RESEARCH_KINDS)}")
    out = extra_negatives(captions_pos, [k for k in kinds if k not in RESEARCH_KINDS], exclude=exclude)
    if "relation-noun" not in kinds:
        return out
    with_nouns = []
    for caption, negatives in zip(captions_pos, out):
        try:
            renamed = relation_noun_caption(caption, exclude)
        except Exception:  # a paraphrase the canonical parser does not cover: none, as for the other kinds
            renamed = None
        with_nouns.append(negatives + ([renamed] if renamed is not None and renamed != caption else []))
    return with_nouns


def render_pairs(cfg, n: int, seed: int, allow_held_out: bool = False, etypes: tuple[str, ...] = MISALIGNMENT_TYPES):
    """n pairs, types balanced: (frames uint8 [n,T,H,W,3], PairSet, is_opposite_action bool [n]).

    The PairSet's `detail` list records each edit's changed field (e.g. "colour" or "size" for attribute edits)."""
    from synvita.world import captions
    from synvita.world.edits import KIND_FOR_TYPE, make_edit
    from synvita.world.render import LayoutError, render
    from synvita.world.sampling import sample_scene
    from synvita.world.scene import OPPOSITE_ACTION

    rng = np.random.default_rng(seed)
    frames = np.empty((n, cfg.frames, cfg.height, cfg.width, 3), np.uint8)
    pos, neg, types, opp, fields, n_groups = [], [], [], [], [], []
    i = 0
    while i < n:
        etype = etypes[i % len(etypes)]
        kind = KIND_FOR_TYPE[etype][int(rng.integers(len(KIND_FOR_TYPE[etype])))]
        scene = sample_scene(rng, cfg, kind=kind, allow_held_out=allow_held_out)
        edit = make_edit(scene, etype, rng, cfg)
        if edit is None:
            continue
        try:
            frames[i] = render(scene, cfg, rng)
        except LayoutError:
            continue
        pos.append(captions.canonical(scene))
        neg.append(edit.caption)
        types.append(etype)
        opp.append(etype == "action" and OPPOSITE_ACTION.get(edit.detail.get("old")) == edit.detail.get("new"))
        fields.append(str(edit.detail.get("field", "")))
        n_groups.append(len(scene.groups))
        i += 1
    pairs = PairSet(video=np.arange(n), caption_pos=pos, caption_neg=neg, misalignment=types)
    pairs.detail, pairs.groups = fields, n_groups
    return frames, pairs, np.array(opp)


def per_type_auc(model, frames, pairs: PairSet, opp: np.ndarray) -> dict[str, float]:
    from synvita.benchmarks.metrics import roc_auc

    n = len(pairs)
    f = model.predict(frames, np.concatenate([pairs.video, pairs.video]), pairs.caption_pos + pairs.caption_neg)
    labels = np.concatenate([np.ones(n), np.zeros(n)])
    types = np.array(pairs.misalignment * 2)
    out = {"all": roc_auc(labels, f)}
    for t in MISALIGNMENT_TYPES:
        sel = types == t
        out[t] = roc_auc(labels[sel], f[sel])
    sel = np.concatenate([opp, opp])
    if sel.any():
        out["act_opp"] = roc_auc(labels[sel], f[sel])
    fields = np.array(list(getattr(pairs, "detail", [""] * n)) * 2)
    groups = np.array(list(getattr(pairs, "groups", [0] * n)) * 2)
    for field in ("colour", "size"):
        sel = (types == "attribute") & (fields == field)
        if sel.any():
            out[f"attr_{field}"] = roc_auc(labels[sel], f[sel])
        for g in (1, 2):
            sub = sel & (groups == g)
            if sub.sum() > 20:
                out[f"attr_{field}_{g}g"] = roc_auc(labels[sub], f[sub])
    return out


def main(argv=None) -> dict:
    import torch

    from synvita.benchmarks.world_eval import shuffle_frames, single_frame
    from synvita.models.base import build_model
    from synvita.training.loop import TrainConfig, TrainData, train
    from synvita.training.pipeline import EXTRA_NEGATIVE_KINDS
    from synvita.world import captions
    from synvita.world.config import resolve_config

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--preset", default="quickstart")
    ap.add_argument("--set", action="append", default=[], help="world override key=value (JSON value)")
    ap.add_argument("--model", default="{}", help="tiny model config overrides as JSON")
    ap.add_argument("--steps", type=int, default=3000)
    ap.add_argument("--batch-size", type=int, default=32)
    ap.add_argument("--lr", type=float, default=1e-3)
    ap.add_argument("--train-pairs", type=int, default=20000)
    ap.add_argument("--test-pairs", type=int, default=1400)
    ap.add_argument("--xneg", default=",".join(EXTRA_NEGATIVE_KINDS),
                    help=f"comma list of extra-negative kinds ('' = none; {', '.join(RESEARCH_KINDS)} also)")
    ap.add_argument("--extra-per-pair", type=int, default=1, help="extra negatives drawn per pair and step (0 = all)")
    ap.add_argument("--broken-time", type=float, default=0.0,
                    help="share of pairs per step also shown with time broken, as a No (train.broken_time)")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--device", default="cpu")
    ap.add_argument("--eval-every", type=int, default=0)
    ap.add_argument("--train-types", default="", help="comma list: train only on these misalignment types")
    args = ap.parse_args(argv)
    torch.set_num_threads(args.threads)
    overrides = {k: json.loads(v) for k, v in (s.split("=", 1) for s in args.set)}
    cfg = resolve_config(args.preset, overrides)
    t0 = time.perf_counter()
    train_types = tuple(t for t in args.train_types.split(",") if t) or MISALIGNMENT_TYPES
    frames, pairs, _ = render_pairs(cfg, args.train_pairs, seed=1000 + args.seed, etypes=train_types)
    test_frames, test_pairs, test_opp = render_pairs(cfg, args.test_pairs, seed=999_000 + args.seed)
    kinds = tuple(k for k in args.xneg.split(",") if k)
    extra = probe_negatives(pairs.caption_pos, kinds, exclude=cfg.held_out) if kinds else None
    t_data = time.perf_counter() - t0
    model_cfg = {"vocab": ["<pad>", "<unk>", "<cls>"] + captions.vocabulary(), **json.loads(args.model)}
    model = build_model("tiny", model_cfg, seed=args.seed).to(args.device)
    tc = TrainConfig(variant="none", steps=args.steps, batch_size=args.batch_size, lr=args.lr, seed=args.seed,
                     extra_negatives=bool(kinds), extra_per_pair=args.extra_per_pair, broken_time=args.broken_time,
                     log_every=max(1, args.steps // 10))
    curve = []

    def on_step(step, m):
        entry = {"step": step, "loss": round(m["loss"], 4), "t": round(time.perf_counter() - t1, 1)}
        if args.eval_every and step % args.eval_every == 0 and step < args.steps:
            r = per_type_auc(model, test_frames, test_pairs, test_opp)
            model.train()
            entry.update({k: round(r[k], 3) for k in ("flip", "relation", "action", "act_opp") if k in r})
        curve.append(entry)
        print(json.dumps(entry), flush=True)

    t1 = time.perf_counter()
    res = train(model, TrainData(frames, pairs, extra_negatives=extra), tc, callback=on_step)
    report = {
        "args": vars(args), "world_overrides": overrides, "data_s": round(t_data, 1), "train_s": round(res.seconds, 1),
        "s_per_step": round(res.seconds / max(1, args.steps), 4),
        "params": sum(p.numel() for p in model.parameters()),
        "auc": per_type_auc(model, test_frames, test_pairs, test_opp),
        "auc_shuffled": per_type_auc(model, shuffle_frames(test_frames, seed=1), test_pairs, test_opp),
        "auc_single_frame": per_type_auc(model, single_frame(test_frames), test_pairs, test_opp),
        "curve": curve,
    }
    for key in ("auc", "auc_shuffled", "auc_single_frame"):
        print(key, " ".join(f"{k}={v:.3f}" for k, v in report[key].items()), flush=True)
    print(json.dumps({k: v for k, v in report.items() if k != "curve"}), flush=True)
    return report


if __name__ == "__main__":
    import sys

    from synvita.errors import run_script

    sys.exit(run_script(main))
