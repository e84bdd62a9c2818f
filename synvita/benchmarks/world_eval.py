"""Alignment models evaluated on registered benchmarks (`synvita.benchmarks.base.Benchmark`), plain and under the
time controls, plus the headline numbers. The six world benchmarks themselves are in `synvita.benchmarks.world`
(their scoring helpers are re-exported here for the callers that score a set directly).

Controls re-run everything on transformed videos (control "shuffled" / "single-frame"): a fixed random
non-identity permutation of the frames of each video, and one frame repeated T times (the frame showing the most
objects, nearest the middle on ties). A benchmark that
measures time must fall towards chance under both; object/attribute AUC should barely move.
"""

from __future__ import annotations

from typing import Any, Callable, Sequence

import numpy as np

from synvita.benchmarks.base import Benchmark, Result
from synvita.benchmarks.world import (WORLD, WORLD_BENCHMARKS, entailment_results, in_distribution_rows, score_entailment,
                                      score_qa, score_retrieval)
from synvita.errors import UserInputError

__all__ = [
    "CONTROLS", "PRIMARY_METRIC", "WORLD_BENCHMARKS", "Result", "apply_control", "entailment_results", "evaluate_all",
    "evaluate_benchmark", "headline", "in_distribution_rows", "run_benchmarks", "score_entailment", "score_qa",
    "score_retrieval", "shuffle_frames", "single_frame", "visible_objects",
]

CONTROLS = ("shuffled", "single-frame")
PRIMARY_METRIC = {b.info.name: b.info.metric for b in WORLD}
"""World benchmark → its headline metric."""


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


def evaluate_benchmark(model, name: str, frames: np.ndarray, data: Any, control: str | None = None,
                       seed: int = 0) -> tuple[list[Result], np.ndarray]:
    """Results and raw scores of the registered benchmark `name` on (optionally controlled) frames and its set."""
    from synvita.registry import BENCHMARKS

    bench = BENCHMARKS.get(name)()
    return _evaluate(bench, model, frames, bench.prepare(data), control, seed)


def _evaluate(bench: Benchmark, model, frames: np.ndarray, items: Any, control: str | None,
              seed: int) -> tuple[list[Result], np.ndarray]:
    scores = bench.score(model, apply_control(frames, control, seed), items)
    return bench.results(scores, items, control), scores


def run_benchmarks(
    model,
    benchmarks: Sequence[tuple[Benchmark, np.ndarray, Any]],
    controls: Sequence[str] = CONTROLS,
    seed: int = 0,
    on_result: Callable[[Result], None] | None = None,
) -> tuple[list[Result], dict[str, np.ndarray]]:
    """Every benchmark (with its frames and items, from `Benchmark.inputs`), plain and under each control.

    Returns the results and the plain (uncontrolled) score arrays by benchmark name (for exporting predictions).
    """
    results: list[Result] = []
    raw: dict[str, np.ndarray] = {}
    for bench, frames, items in benchmarks:
        for control in (None, *controls):
            res, scores = _evaluate(bench, model, frames, items, control, seed)
            if control is None:
                raw[bench.name] = scores
            for r in res:
                results.append(r)
                if on_result is not None:
                    on_result(r)
    return results, raw


def evaluate_all(
    model,
    benchmarks: dict[str, tuple[np.ndarray, Any]],
    names: Sequence[str] = WORLD_BENCHMARKS,
    controls: Sequence[str] = CONTROLS,
    seed: int = 0,
    on_result: Callable[[Result], None] | None = None,
) -> tuple[list[Result], dict[str, np.ndarray]]:
    """`run_benchmarks` over the registered benchmarks `names`, with `benchmarks[name] = (frames, set)`."""
    from synvita.registry import BENCHMARKS

    runs = []
    for name in names:
        if name not in benchmarks:
            raise UserInputError(f"benchmark '{name}' is not in this world", hint=f"available: {', '.join(benchmarks)}")
        bench = BENCHMARKS.get(name)()
        frames, data = benchmarks[name]
        runs.append((bench, frames, bench.prepare(data)))
    return run_benchmarks(model, runs, controls, seed, on_result)


def headline(results: Sequence[Result], control: str | None = None) -> dict[str, float]:
    """benchmark → its headline metric (×100) for the given control, plus "mean" over the six world benchmarks."""
    from synvita.registry import BENCHMARKS

    out = {}
    for r in results:
        if r.subset is None and r.control == control and r.benchmark in BENCHMARKS:
            if BENCHMARKS.get(r.benchmark).info.metric == r.metric:
                out[r.benchmark] = r.value
    if all(b in out for b in WORLD_BENCHMARKS):
        out["mean"] = float(np.mean([out[b] for b in WORLD_BENCHMARKS]))
    return out
