"""Benchmarks: metrics (ROC-AUC, mAP/R@k, QA accuracy), real-format importers/exporters and the six world benchmarks.

Benchmarks are registered in `synvita.registry.BENCHMARKS` (entry-point group `synvita.benchmarks`) as
`synvita.benchmarks.base.Benchmark` classes, each with its `BenchmarkInfo` (name, task, metric, chance level,
analogue); the six of the embedded world are in `synvita.benchmarks.world` (torch-free, so spec validation and
the CLI can list them without importing a model), the evaluation loop in `synvita.benchmarks.world_eval`.
"""

from synvita.benchmarks.base import BenchmarkInfo

__all__ = ["BenchmarkInfo"]
