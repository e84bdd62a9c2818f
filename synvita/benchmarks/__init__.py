"""Benchmarks: metrics (ROC-AUC, mAP/R@k, QA accuracy), real-format importers/exporters and the six world benchmarks.

The six embedded-world benchmarks are registered in `synvita.registry.BENCHMARKS` as `BenchmarkInfo` records
(torch-free, so spec validation and the CLI can list them without importing a model); the evaluation itself lives
in `synvita.benchmarks.world_eval`.
"""

from __future__ import annotations

from dataclasses import dataclass

from synvita.registry import BENCHMARKS


@dataclass(frozen=True)
class BenchmarkInfo:
    name: str
    task: str
    """entailment | retrieval | qa"""
    metric: str
    """The headline metric (reported ×100): auc | mAP | accuracy."""
    analogue: str
    """The paper's benchmark this one stands in for."""


_WORLD = (
    BenchmarkInfo("entail-llm", "entailment", "auc", "VideoCon LLM test (in-distribution)"),
    BenchmarkInfo("entail-human", "entailment", "auc", "VideoCon Human (paraphrased, held-out concepts)"),
    BenchmarkInfo("entail-human-hard", "entailment", "auc", "VideoCon Human-Hard (temporal subset)"),
    BenchmarkInfo("retrieval-temporal", "retrieval", "mAP", "SSv2-Temporal (direction decides)"),
    BenchmarkInfo("retrieval-events", "retrieval", "mAP", "SSv2-Events (event order decides)"),
    BenchmarkInfo("qa-hard", "qa", "accuracy", "ATP-Hard (5-way temporal QA)"),
)
for _info in _WORLD:
    BENCHMARKS.register(_info.name, _info, _info.analogue)
