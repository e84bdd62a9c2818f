"""The two ends a benchmark's number is read between: chance (random scorers) and the oracle (a perfect scorer).

Both go through the benchmark's own `results`, i.e. the same metric code as a model's scores:

* chance: the headline metric of `draws` scorers that give every (video, caption) an independent uniform random
  score (a fixed generator, so the numbers repeat). Its mean is the chance level (for retrieval mAP it depends on
  the set: positives per query and gallery size), and the central 95% of the draws is the **chance band**: the
  spread a scorer that knows nothing shows on this set through the set's finite size alone. A model whose number
  lies in the band cannot be told from chance on this set, however many seeds agree.
* oracle: the scorer that knows the truth, as a function of (video, caption): the share of the set's rows with that
  video and caption that are true (1 or 0 where the pair occurs once). It reaches 100 unless the set repeats a pair
  with different truths (a caption text asked twice of one video, once right and once wrong; two identical options
  of a question), which no model can tell apart; where two options tie, the metric's own tie rule decides.

The evaluate stage stores both per benchmark as metrics `reference/<benchmark>/{chance,chance-low,chance-high,
oracle}` of the run (`REFERENCE_METRIC`), and the benchmark table prints them in its footer.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from synvita.benchmarks.base import Benchmark

REFERENCE_METRIC = "reference/{benchmark}/{key}"
"""Name of a reference number among an evaluate run's metrics; key is a field of `Reference`."""

REFERENCE_KEYS = ("chance", "chance_low", "chance_high", "oracle")

CHANCE_DRAWS = 200
"""Random scorers behind the chance level and band."""


@dataclass(frozen=True)
class Reference:
    chance: float
    """Mean headline metric of the random scorers (×100)."""
    chance_low: float
    chance_high: float
    """Central 95% of the random scorers' headline metric: the chance band."""
    oracle: float
    """Headline metric of the scorer that knows the truth (×100)."""

    def as_metrics(self, benchmark: str) -> dict[str, float]:
        """{metric name: value} as the evaluate stage records them."""
        return {REFERENCE_METRIC.format(benchmark=benchmark, key=k.replace("_", "-")): v for k, v in asdict(self).items()}


def parse_metric(name: str) -> tuple[str, str] | None:
    """(benchmark, Reference field) of a reference metric name; None for any other metric."""
    prefix, sep, rest = name.partition("/")
    benchmark, sep2, key = rest.rpartition("/")
    field = key.replace("-", "_")
    if prefix != "reference" or not sep or not sep2 or field not in REFERENCE_KEYS:
        return None
    return benchmark, field


def reference(bench: Benchmark, items: Any, draws: int = CHANCE_DRAWS, seed: int = 0) -> Reference | None:
    """Chance level, chance band and oracle of `bench` on its items; None for a benchmark without `oracle_scores`."""
    import numpy as np

    try:
        truth = np.asarray(bench.oracle_scores(items), dtype=np.float64)
    except NotImplementedError:
        return None
    rng = np.random.default_rng(seed)
    values = np.array([headline(bench, rng.random(truth.shape), items) for _ in range(draws)])
    low, high = np.quantile(values, [0.025, 0.975])
    return Reference(chance=float(values.mean()), chance_low=float(low), chance_high=float(high),
                     oracle=headline(bench, truth, items))


def headline(bench: Benchmark, scores: Any, items: Any) -> float:
    """The benchmark's headline number (its first result) for these scores."""
    return float(bench.results(scores, items, None)[0].value)


def truth_by_pair(keys: list[tuple[Any, str]], truth: Any) -> Any:
    """float [R]: for each row, the mean truth over the rows with the same (video, caption) key."""
    import numpy as np

    truth = np.asarray(truth, dtype=np.float64).reshape(-1)
    index: dict[tuple[Any, str], int] = {}
    ids = np.array([index.setdefault(k, len(index)) for k in keys], dtype=np.int64)
    sums = np.bincount(ids, weights=truth, minlength=len(index))
    counts = np.bincount(ids, minlength=len(index))
    return (sums / counts)[ids]


def references_from_metrics(runs_metrics: list[dict[str, float]]) -> dict[str, dict[str, float]]:
    """{benchmark: {Reference field: value}} from evaluate runs' metrics ({name: value} per run, in order); the first
    run that recorded a number gives it (runs on one set record the same numbers)."""
    out: dict[str, dict[str, float]] = {}
    for metrics in runs_metrics:
        for name, value in metrics.items():
            parsed = parse_metric(name)
            if parsed is not None:
                out.setdefault(parsed[0], {}).setdefault(parsed[1], value)
    return out
