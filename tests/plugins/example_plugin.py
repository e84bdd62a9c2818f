"""A third-party plugin as docs/plugins.md shows it: one generator, one scorer and one benchmark.

The test copies this file into a throwaway distribution (a `*.dist-info` with `entry_points.txt`), so synvita finds
the three components exactly as it would find them in an installed package.
"""

from __future__ import annotations

import numpy as np

from synvita.benchmarks.base import Benchmark, BenchmarkInfo, Result
from synvita.generators.base import GeneratedVideo, Generator
from synvita.scorers.base import Scorer


class FlatGenerator(Generator):
    """Every prompt becomes a clip of one flat grey (the world's clip shape), a different grey per video."""

    name = "flat"
    section_keys = ()  # reads no [generation] key: setting e.g. generation.guidance is refused at submission

    def __init__(self, frames: int, height: int, width: int) -> None:
        self.shape = (frames, height, width, 3)

    @classmethod
    def from_section(cls, section, ctx):
        cfg = ctx.data.config  # the loaded data source (the embedded world): its clip geometry
        return cls(cfg.frames, cfg.height, cfg.width)

    def generate(self, prompts, seed, references=None, indices=None):
        indices = range(len(prompts)) if indices is None else indices
        return [GeneratedVideo(frames=np.full(self.shape, 40 + 7 * (i % 20), np.uint8), prompt=p)
                for i, p in zip(indices, prompts)]


class HalfScorer(Scorer):
    """f(Vˢ, tˢ) = 0.75 and f(Vˢ, tʳ) = 0.25 for every video, so ω = 0.5 throughout."""

    name = "half"

    @classmethod
    def from_section(cls, section, ctx):
        return cls()

    def score(self, frames, video_index, target_captions, other_captions):
        n = len(video_index)
        return np.full((1, n), 0.75), np.full((1, n), 0.25)


class MeanScore(Benchmark):
    """The mean f of the model over the world's entail-llm rows (×100)."""

    info = BenchmarkInfo("mean-f", "entailment", "mean_f", None, "none: a plugin example")

    def inputs(self, data):
        bank, rows = data.benchmark("entail-llm")
        return bank.frames, rows

    def score(self, model, frames, items):
        return model.predict(frames, items.video, items.caption)

    def results(self, scores, items, control):
        return [Result(self.name, "mean_f", 100.0 * float(np.mean(scores)), None, control)]
