"""The contract every registered benchmark passes: it is registered under its `BenchmarkInfo` name, builds from the
[evaluate] section, and scores a model on a tiny world into results whose first is its headline metric."""

from __future__ import annotations

import numpy as np
import pytest

from synvita.benchmarks.base import Benchmark
from synvita.config import EvaluateSection
from synvita.registry import BENCHMARKS


class ConstantModel:
    """f = 0.5 everywhere: every benchmark must still report a number (its chance level where it has one)."""

    def predict(self, frames, video_index, captions):
        return np.full(len(captions), 0.5)


@pytest.fixture(scope="module")
def tiny_world(tmp_path_factory):
    from synvita.world import build_world

    overrides = {"n_pretrain": 10, "n_train": 14, "n_val": 7, "n_test": 28, "n_human": 28}
    return build_world("tiny", 0, tmp_path_factory.mktemp("world"), overrides=overrides)


@pytest.mark.parametrize("name", BENCHMARKS.names())
def test_benchmark_contract(name, tiny_world):
    cls = BENCHMARKS.get(name)
    assert issubclass(cls, Benchmark) and cls.name == cls.info.name == name
    assert cls.info.metric and cls.info.task
    section = EvaluateSection(benchmarks=[name])
    cls.validate_section(section)
    bench = cls.from_section(section, ctx=None)
    frames, items = bench.inputs(tiny_world)
    scores = bench.score(ConstantModel(), frames, items)
    results = bench.results(scores, items, None)
    assert results and results[0].benchmark == name and results[0].metric == cls.info.metric
    assert results[0].subset is None and results[0].control is None and 0.0 <= results[0].value <= 100.0
    if cls.info.chance is not None and cls.info.task == "entailment":
        assert results[0].value == pytest.approx(cls.info.chance)
