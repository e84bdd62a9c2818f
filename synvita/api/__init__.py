"""synvita.api: the facade both front ends call (see `synvita.api.core.Api`). Torch-free, textual-free."""

from synvita.api.core import Api, DoctorCheck, RunDiff, Submission, SubmissionProgress
from synvita.report import BenchmarkTable, WeightsSummary, format_duration
from synvita.specs import ExperimentSpec

__all__ = [
    "Api",
    "BenchmarkTable",
    "DoctorCheck",
    "ExperimentSpec",
    "RunDiff",
    "Submission",
    "SubmissionProgress",
    "WeightsSummary",
    "format_duration",
]
