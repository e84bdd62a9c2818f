"""The six world benchmarks, per-type AUC, the linguistic-bias probe and the time controls, for any alignment model.

Benchmarks (values ×100 like the paper):
    entail-llm, entail-human, entail-human-hard   ROC-AUC over (video, caption, label) rows
    retrieval-temporal, retrieval-events          text→video mAP (+ R@1/5/10) over a [Q, N] score matrix
    qa-hard                                       5-way accuracy (argmax of f over the options)
Extras on the test rows (entail-llm): AUC per misalignment type (subset "type=<t>"; "id-type=<t>" on the
in-distribution rows alone: videos and captions without held-out concepts), and on
entail-human the bias probe (subset "held-out=yes" / "held-out=no": rows with / without a held-out concept).

Controls re-run everything on transformed videos (control "shuffled" / "single-frame"): a fixed random
non-identity permutation of the frames of each video, and one frame repeated T times (the frame showing the most
objects, nearest the middle on ties). A benchmark that
measures time must fall towards chance under both; object/attribute AUC should barely move.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Sequence

import numpy as np

from synvita.data.types import MISALIGNMENT_TYPES, EntailmentSet, QASet, RetrievalSet
from synvita.errors import UserInputError

ENTAILMENT = ("entail-llm", "entail-human", "entail-human-hard")
RETRIEVAL = ("retrieval-temporal", "retrieval-events")
QA = ("qa-hard",)
WORLD_BENCHMARKS = ENTAILMENT + RETRIEVAL + QA
PRIMARY_METRIC = {
    "entail-llm": "auc", "entail-human": "auc", "entail-human-hard": "auc",
    "retrieval-temporal": "mAP", "retrieval-events": "mAP", "qa-hard": "accuracy",
}
CONTROLS = ("shuffled", "single-frame")


@dataclass
class Result:
    benchmark: str
    metric: str
    value: float
    """As reported: ×100."""
    subset: str | None = None
    control: str | None = None

    def as_event(self) -> dict[str, Any]:
        return {"benchmark": self.benchmark, "metric": self.metric, "value": self.value, "subset": self.subset, "control": self.control}


# ---- controls ---------------------------------------------------------------------------------------------


def shuffle_frames(frames: np.ndarray, seed: int = 0) -> np.ndarray:
    """uint8 [N, T, H, W, 3] → same videos with time permuted per video (a fixed, never-identity permutation)."""
    frames = np.asarray(frames)
    n, t = frames.shape[:2]
    if t < 2:
        raise UserInputError(f"cannot shuffle videos with {t} frame(s)", hint="the shuffled control needs T ≥ 2")
    rng = np.random.default_rng(seed)
    out = np.empty_like(frames)
    identity = np.arange(t)
    for i in range(n):
        perm = rng.permutation(t)
        while np.array_equal(perm, identity):
            perm = rng.permutation(t)
        out[i] = frames[i, perm]
    return out


def visible_objects(frames: np.ndarray, chunk: int = 256) -> np.ndarray:
    """int [N, T]: objects visible in each frame of uint8 [N, T, H, W, 3] videos (the parameter-free detector of
    `synvita.models.tracks`: flat-coloured shapes on a darker background)."""
    import torch

    from synvita.models.tracks import count_objects

    frames = np.asarray(frames)
    counts = []
    for start in range(0, len(frames), chunk):
        part = torch.from_numpy(np.array(frames[start : start + chunk]))  # a writable copy (frames may be a memmap)
        counts.append(count_objects(part).numpy())  # [n, T]
    return np.concatenate(counts) if counts else np.zeros(frames.shape[:2], dtype=np.int64)


def single_frame(frames: np.ndarray, frame: str = "most-objects") -> np.ndarray:
    """uint8 [N, T, H, W, 3] → each video's one frame repeated T times (a static video).

    frame "most-objects" (the control): the frame showing the most objects, the one nearest the middle on ties, so
    the static clip keeps the content (an object that appears or disappears is missing from the middle frame of
    about one video in six in the quickstart world) and loses only time; "middle": the middle frame."""
    frames = np.asarray(frames)
    n, t = frames.shape[:2]
    if frame == "middle":
        pick = np.full(n, t // 2)
    elif frame == "most-objects":
        distance = np.abs(np.arange(t) - t // 2)  # [T] ties: nearest the middle, then the earlier
        pick = (visible_objects(frames) * (t + 1) - distance[None]).argmax(1)  # [N]
    else:
        raise UserInputError(f"unknown single-frame choice '{frame}'", hint="'most-objects' or 'middle'")
    return np.repeat(frames[np.arange(n), pick][:, None], t, axis=1)


def apply_control(frames: np.ndarray, control: str | None, seed: int = 0) -> np.ndarray:
    if control is None:
        return frames
    if control == "shuffled":
        return shuffle_frames(frames, seed)
    if control == "single-frame":
        return single_frame(frames)
    raise UserInputError(f"unknown control '{control}'", hint=f"one of: {', '.join(CONTROLS)}")


# ---- scoring ----------------------------------------------------------------------------------------------


def score_entailment(model, frames: np.ndarray, rows: EntailmentSet) -> np.ndarray:
    """f per row [R]."""
    return model.predict(frames, rows.video, rows.caption)


def score_retrieval(model, frames: np.ndarray, rs: RetrievalSet) -> np.ndarray:
    """f for every (query, gallery video) [Q, N]; each gallery video is encoded once per chunk."""
    q, n = len(rs.queries), len(rs.gallery)
    video_index = np.repeat(np.asarray(rs.gallery), q)  # video-major so chunks of videos cover all queries
    captions = [rs.queries[j] for _ in range(n) for j in range(q)]
    f = model.predict(frames, video_index, captions)
    return f.reshape(n, q).T


def score_qa(model, frames: np.ndarray, qa: QASet) -> np.ndarray:
    """f for every (question, option) [Q, 5]."""
    k = len(qa.statements[0]) if len(qa.statements) else 5
    video_index = np.repeat(np.asarray(qa.video), k)
    captions = [s for opts in qa.statements for s in opts]
    return model.predict(frames, video_index, captions).reshape(-1, k)


# ---- one benchmark ----------------------------------------------------------------------------------------


def entailment_results(name: str, labels: np.ndarray, scores: np.ndarray, rows: EntailmentSet, control: str | None,
                       per_type: bool, bias_probe: bool) -> list[Result]:
    from synvita.benchmarks.metrics import roc_auc

    out = [Result(name, "auc", 100.0 * roc_auc(labels, scores), None, control)]
    if per_type:
        types = np.asarray(rows.misalignment)
        in_dist = in_distribution_rows(rows)
        for t in MISALIGNMENT_TYPES:
            for prefix, rows_sel in (("type", types == t), ("id-type", (types == t) & in_dist)):
                if rows_sel.any() and len(np.unique(labels[rows_sel])) == 2:
                    auc = 100.0 * roc_auc(labels[rows_sel], scores[rows_sel])
                    out.append(Result(name, "auc", auc, f"{prefix}={t}", control))
    if bias_probe:
        held = np.asarray(rows.held_out, dtype=bool)
        for flag, sel in (("yes", held), ("no", ~held)):
            if sel.any() and len(np.unique(labels[sel])) == 2:
                out.append(Result(name, "auc", 100.0 * roc_auc(labels[sel], scores[sel]), f"held-out={flag}", control))
    return out


def in_distribution_rows(rows: EntailmentSet) -> np.ndarray:
    """bool [R]: rows of videos none of whose rows involves a held-out concept (neither the video nor any of its
    captions). The test split mixes these with held-out videos on purpose (the linguistic-bias probe, where a model
    has never seen the concept in a positive caption and cannot ground it); per-type AUC on these rows alone is
    what the model has learned to see."""
    video = np.asarray(rows.video)
    held = np.asarray(rows.held_out, dtype=bool)
    return ~np.isin(video, np.unique(video[held]))


def evaluate_benchmark(model, name: str, frames: np.ndarray, data: Any, control: str | None = None,
                       seed: int = 0) -> tuple[list[Result], np.ndarray]:
    """Results and raw scores of one benchmark on (optionally controlled) frames."""
    from synvita.benchmarks.metrics import qa_accuracy, retrieval_metrics

    frames = apply_control(frames, control, seed)
    if name in ENTAILMENT:
        rows: EntailmentSet = data
        if name == "entail-human-hard":
            rows = _subset_rows(rows, np.asarray(rows.hard, dtype=bool))
        scores = score_entailment(model, frames, rows)
        labels = np.asarray(rows.label)
        return entailment_results(name, labels, scores, rows, control, per_type=(name == "entail-llm"),
                                  bias_probe=(name == "entail-human")), scores
    if name in RETRIEVAL:
        scores = score_retrieval(model, frames, data)
        m = retrieval_metrics(scores, np.asarray(data.relevant, dtype=bool))
        return [Result(name, k, 100.0 * float(v), None, control) for k, v in m.items()], scores
    if name in QA:
        scores = score_qa(model, frames, data)
        return [Result(name, "accuracy", 100.0 * qa_accuracy(scores, np.asarray(data.answer)), None, control)], scores
    raise UserInputError(f"unknown world benchmark '{name}'", hint=f"one of: {', '.join(WORLD_BENCHMARKS)}")


def _subset_rows(rows: EntailmentSet, sel: np.ndarray) -> EntailmentSet:
    idx = np.flatnonzero(sel)
    return EntailmentSet(
        video=np.asarray(rows.video)[idx], caption=[rows.caption[i] for i in idx], label=np.asarray(rows.label)[idx],
        misalignment=[rows.misalignment[i] for i in idx], hard=np.asarray(rows.hard)[idx],
        held_out=np.asarray(rows.held_out)[idx],
    )


def evaluate_all(
    model,
    benchmarks: dict[str, tuple[np.ndarray, Any]],
    names: Sequence[str] = WORLD_BENCHMARKS,
    controls: Sequence[str] = CONTROLS,
    seed: int = 0,
    on_result: Callable[[Result], None] | None = None,
) -> tuple[list[Result], dict[str, np.ndarray]]:
    """Every named benchmark, plain and under each control. `benchmarks[name] = (frames, data)`.

    Returns the results and the plain (uncontrolled) score arrays by benchmark name (for exporting predictions).
    """
    results: list[Result] = []
    raw: dict[str, np.ndarray] = {}
    for name in names:
        if name not in benchmarks:
            raise UserInputError(f"benchmark '{name}' is not in this world", hint=f"available: {', '.join(benchmarks)}")
        frames, data = benchmarks[name]
        for control in (None, *controls):
            res, scores = evaluate_benchmark(model, name, frames, data, control, seed)
            if control is None:
                raw[name] = scores
            for r in res:
                results.append(r)
                if on_result is not None:
                    on_result(r)
    return results, raw


def headline(results: Sequence[Result], control: str | None = None) -> dict[str, float]:
    """benchmark → its primary metric (×100) for the given control, plus "mean" over the six."""
    out = {}
    for r in results:
        if r.subset is None and r.control == control and PRIMARY_METRIC.get(r.benchmark) == r.metric:
            out[r.benchmark] = r.value
    if all(b in out for b in WORLD_BENCHMARKS):
        out["mean"] = float(np.mean([out[b] for b in WORLD_BENCHMARKS]))
    return out
