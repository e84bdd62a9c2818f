"""The steps the pretrain / score / train / evaluate stages are made of.

Each function takes loaded objects (a `World`, a `SyntheticSet`, a model) and returns loaded objects; the stages
only add file I/O and events around them.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Callable, Collection, Sequence

import numpy as np

from synvita.config import ScorersSection
from synvita.data.types import PairSet
from synvita.errors import NotFoundError, UserInputError
from synvita.world.source import world_dir  # noqa: F401  (the stages and research scripts read it here)

INIT_DIR = "init"
"""Under a pretrain run dir: the fine-tuning initialisation (a save_pretrained directory)."""
MODEL_DIR = "model"
"""Under a train run dir: the fine-tuned model."""
WEIGHTS_FILE = "weights.jsonl"
SCORES_FILE = "scores.npz"
"""Under a score run dir: per-member f_target / f_other [K, P] per training pair (NaN where no V^s)."""


def synthetic_dir(path: str | Path) -> Path:
    path = Path(path)
    return path if (path / "synthetic.json").exists() else path / "synthetic"


def model_vocab(world) -> list[str]:
    from synvita.models.tiny.text import SPECIALS

    return list(SPECIALS) + [w for w in world.vocabulary() if w not in SPECIALS]


EXTRA_NEGATIVE_KINDS = ("flip", "relation", "direction", "appearance")
"""The caption-derived negatives training adds (all of them, unless a caller names fewer)."""


def extra_negatives(
    captions_pos: Sequence[str], kinds: Sequence[str] = EXTRA_NEGATIVE_KINDS, exclude: Collection[str] = ()
) -> list[list[str]]:
    """Caption-derived hard negatives per positive caption (no new videos): the flipped event order ("flip"), the
    opposite relation ("relation"), each group's action reversed ("direction"), and one group's colour, shape or
    size swapped ("appearance", one per caption; never to a value in `exclude`, the held-out concepts). The world's
    parser reads both caption families; a paraphrase's flip, relation and direction negatives keep its words
    (synvita.world.edits), its appearance swap is canonical; text it cannot read gets none."""
    from synvita.world.edits import (appearance_swap_caption, flipped_caption, opposite_direction_captions,
                                     opposite_relation_caption)

    unknown = sorted(set(kinds) - set(EXTRA_NEGATIVE_KINDS))
    if unknown:
        raise UserInputError(f"unknown extra-negative kind(s) {unknown}", hint=f"kinds: {', '.join(EXTRA_NEGATIVE_KINDS)}")
    cache: dict[str, list[str]] = {}
    out = []
    for c in captions_pos:
        if c not in cache:
            xs: list[str] = []
            try:
                if "flip" in kinds:
                    xs.append(flipped_caption(c))
                if "relation" in kinds:
                    xs.append(opposite_relation_caption(c))
                if "direction" in kinds:
                    xs.extend(opposite_direction_captions(c))
                if "appearance" in kinds:
                    xs.append(appearance_swap_caption(c, exclude))
            except Exception:  # a paraphrase the canonical parser does not cover: no extra negatives
                xs = []
            cache[c] = [x for x in xs if x is not None and x != c]
        out.append(cache[c])
    return out


def pretrain_pairs(world) -> tuple[np.ndarray, PairSet]:
    """The pretrain corpus as (video, positive, negative) pairs: one pair per negative row of each video."""
    bank, rows = world.pretrain
    positive: dict[int, str] = {}
    for v, c, y in zip(rows.video, rows.caption, rows.label):
        if int(y) == 1:
            positive.setdefault(int(v), c)
    video, pos, neg, types = [], [], [], []
    for v, c, y, t in zip(rows.video, rows.caption, rows.label, rows.misalignment):
        if int(y) == 0 and int(v) in positive:
            video.append(int(v))
            pos.append(positive[int(v)])
            neg.append(c)
            types.append(t)
    return bank.frames, PairSet(video=np.asarray(video, np.int64), caption_pos=pos, caption_neg=neg, misalignment=types)


def new_model(world, name: str = "tiny", overrides: dict | None = None, seed: int = 0):
    from synvita.models.base import build_model

    if name == "tiny":
        config = {"vocab": model_vocab(world), "frames": world.config.frames, **(overrides or {})}
    else:
        config = dict(overrides or {})
    return build_model(name, config, seed=seed)


def pretrain_scorer(world, seed: int, steps: int = ScorersSection.steps, lr: float = ScorersSection.lr,
                    batch_size: int = ScorersSection.batch_size, use_extra: bool = ScorersSection.extra_negatives,
                    model_name: str = "tiny", model_overrides: dict | None = None, run_dir: Path | None = None,
                    callback: Callable | None = None, broken_time: float = ScorersSection.broken_time):
    """One scorer (and potential init): a fresh model trained real-only on the pretrain corpus."""
    from synvita.training.loop import TrainConfig, TrainData, train

    frames, pairs = pretrain_pairs(world)
    model = new_model(world, model_name, model_overrides, seed=seed)
    data = TrainData(frames, pairs, extra_negatives=extra_negatives(pairs.caption_pos, exclude=world.config.held_out) if use_extra else None)
    # [scorers] has no device: the scorers train on the CPU, in fp32, in parallel processes (synvita.stages.pretrain)
    cfg = TrainConfig(variant="none", steps=steps, lr=lr, batch_size=batch_size, seed=seed, extra_negatives=use_extra,
                      broken_time=broken_time, log_every=max(1, steps // 20), device="cpu", precision="fp32")
    result = train(model, data, cfg, run_dir=run_dir, callback=callback)
    return model, result


def score_pairs(scorer, syn, pairs: PairSet) -> tuple[np.ndarray, np.ndarray]:
    """Per-member (f_target, f_other) [K, P] for every training pair (NaN where the pair has no V^s)."""
    has = np.flatnonzero(syn.pair_index >= 0)
    ft_has, fo_has = scorer.score(
        syn.bank.frames, syn.pair_index[has], [pairs.caption_neg[p] for p in has], [pairs.caption_pos[p] for p in has]
    )
    k = ft_has.shape[0]
    ft = np.full((k, len(pairs)), np.nan)
    fo = np.full((k, len(pairs)), np.nan)
    ft[:, has] = ft_has
    fo[:, has] = fo_has
    return ft, fo


def weight_rows_for(syn, pairs: PairSet, f_target: np.ndarray, f_other: np.ndarray, generator: str):
    from synvita.scorers.base import weight_rows

    has = np.flatnonzero(syn.pair_index >= 0)
    ids = [syn.bank.ids[int(syn.pair_index[p])] for p in has]
    return weight_rows(ids, generator, [pairs.misalignment[p] for p in has], f_target[:, has], f_other[:, has],
                       [syn.faithful_or_none(int(p)) for p in has])  # None: a real generator's (unknown)


def save_scores(path: Path, f_target: np.ndarray, f_other: np.ndarray, scorer: str) -> None:
    import os

    tmp = path.with_suffix(".tmp.npz")
    np.savez(tmp, f_target=f_target, f_other=f_other, scorer=np.array(scorer))
    os.replace(tmp, path)


def load_scores(score_run_dir: Path) -> tuple[np.ndarray, np.ndarray]:
    path = Path(score_run_dir) / SCORES_FILE
    if not path.exists():
        raise NotFoundError(f"no scores at {path}", hint="run the score stage first")
    z = np.load(path)
    return z["f_target"], z["f_other"]


def training_data(world, variant: str, syn=None, f_target=None, f_other=None, use_extra: bool = True,
                  max_pairs: int | None = None, synthetic_types: Sequence[str] = ()):
    """TrainData for a variant: the train split, its synthetic partners and ω by the variant's weight rule; with
    `synthetic_types`, only the pairs of those misalignment types keep their synthetic partner."""
    from synvita.training.loop import TrainData
    from synvita.training.variants import compute_weights, get_variant

    spec = get_variant(variant)
    bank, pairs = world.split("train")
    syn_frames = None
    if spec.synthetic:
        if syn is None:
            raise NotFoundError(f"variant '{variant}' needs the generate stage's synthetic videos", hint="add a generate run")
        pairs.syn_video = syn.pair_index.copy()
        if synthetic_types:
            pairs.syn_video[~np.isin(np.asarray(pairs.misalignment), list(synthetic_types))] = -1
        syn_frames = syn.bank.frames
        if spec.weight_rule == "one" or f_target is None:
            pairs.weight = np.ones(len(pairs), np.float32)
        else:
            pairs.weight = compute_weights(spec.weight_rule, f_target, f_other)
    if max_pairs is not None and max_pairs < len(pairs):
        keep = np.arange(max_pairs)
        pairs = PairSet(pairs.video[keep], pairs.caption_pos[:max_pairs], pairs.caption_neg[:max_pairs],
                        pairs.misalignment[:max_pairs],
                        None if pairs.syn_video is None else pairs.syn_video[keep],
                        None if pairs.weight is None else pairs.weight[keep])
    extra = extra_negatives(pairs.caption_pos, exclude=world.config.held_out) if use_extra else None
    return TrainData(bank.frames, pairs, syn_frames, extra_negatives=extra)


def export_predictions(data, out_dir: Path, benchmarks: Sequence[tuple[Any, np.ndarray, Any]],
                       raw: dict[str, np.ndarray]) -> list[Path]:
    """Write each benchmark's plain scores as a SynViTA inference CSV (videopath, prompt, entailment) under out_dir.

    `benchmarks`: (Benchmark, frames, items) as evaluated. Video paths are the ground-truth files' (the data's
    `benchmark_video_paths`: the world's exported layout, one mp4 per clip, or the `videocon` CSVs' own paths).
    A benchmark that is not one of the data's sets writes no CSV."""
    from synvita.benchmarks import formats

    out_dir.mkdir(parents=True, exist_ok=True)
    available = set(data.benchmark_names())
    written = []
    for bench, _, items in benchmarks:
        if bench.name not in raw or bench.name not in available:
            continue
        paths = data.benchmark_video_paths(bench.name)
        videos, caps, scores = bench.prediction_rows(items, paths, raw[bench.name])
        written.append(formats.write_predictions_csv(out_dir / f"{bench.name}.csv", videos, caps, scores))
    return written


def write_json(path: Path, payload: Any) -> None:
    import os

    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.write_text(json.dumps(payload, indent=2, sort_keys=True, default=float))
    os.replace(tmp, path)
