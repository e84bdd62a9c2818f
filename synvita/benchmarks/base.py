"""The benchmark component: what it measures (`BenchmarkInfo`), the items it scores and the numbers it reports.

A benchmark is registered in `synvita.registry.BENCHMARKS` (entry-point group `synvita.benchmarks`) and chosen by
`[evaluate] benchmarks`. The evaluate stage builds each with `from_section(section, ctx)` and runs
`synvita.benchmarks.world_eval.run_benchmarks`: `inputs(data)` once, then for the plain videos and under each time
control `score(model, frames, items)` and `results(scores, items, control)`. `oracle_scores(items)` gives the truth
the chance level, chance band and oracle ceiling are computed from (`synvita.benchmarks.reference`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar

from synvita.registry import Component

if TYPE_CHECKING:  # annotations only: importing this module does not load numpy
    import numpy as np


@dataclass(frozen=True)
class BenchmarkInfo:
    name: str
    task: str
    """entailment | retrieval | qa (or a plugin's own)."""
    metric: str
    """The headline metric (reported ×100): auc | mAP | accuracy."""
    chance: float | None
    """The headline metric of a random scorer (×100); None where it depends on the set (retrieval mAP: see
    `synvita.world.stats.retrieval_reference`)."""
    analogue: str = ""
    """The paper's benchmark this one stands in for."""


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


class Benchmark(Component):
    """Base class of benchmarks; a subclass sets `info` (its registry name is `info.name`)."""

    info: ClassVar[BenchmarkInfo]

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if "info" in cls.__dict__:
            cls.name = cls.info.name

    @classmethod
    def from_section(cls, section: Any, ctx: Any) -> Benchmark:
        """The benchmark for one evaluate run ([evaluate] section; the data source's sets come through `inputs`)."""
        return cls()

    def inputs(self, data: Any) -> tuple[np.ndarray, Any]:
        """(frames uint8 [N, T, H, W, 3], items) from the loaded data source; default: its set named `info.name`."""
        bank, items = data.benchmark(self.info.name)
        return bank.frames, self.prepare(items)

    def prepare(self, items: Any) -> Any:
        """The items this benchmark scores, from the data source's set (default: all of them)."""
        return items

    def score(self, model: Any, frames: np.ndarray, items: Any) -> np.ndarray:
        """Raw scores f of `model` (an AlignmentModel) on the items (the shape the benchmark's results expect)."""
        raise NotImplementedError

    def results(self, scores: np.ndarray, items: Any, control: str | None) -> list[Result]:
        """The reported numbers (×100); the first is the headline (`info.metric`, subset None)."""
        raise NotImplementedError

    def oracle_scores(self, items: Any) -> np.ndarray:
        """The scores of a scorer that knows the truth, in the shape `score` returns: for each (video, caption), the
        share of the set's rows with that pair that are true (`synvita.benchmarks.reference`); a benchmark without
        one raises NotImplementedError and reports no oracle or chance band."""
        raise NotImplementedError

    def prediction_rows(self, items: Any, video_paths: list[str], scores: np.ndarray) -> tuple[list[str], list[str], np.ndarray]:
        """(videopath, caption, score) rows of the SynViTA inference CSV; benchmarks without one raise."""
        raise NotImplementedError(f"benchmark '{self.name}' has no prediction CSV")
