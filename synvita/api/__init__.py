"""synvita.api: the facade both front ends call (see `synvita.api.core.Api`). Torch-free, textual-free.

The CLI and the TUI import the engine only from here (plus `synvita.entities` and `synvita.errors`); what they
need besides `Api` is re-exported below.
"""

from synvita import __version__
from synvita.api.core import Api
from synvita.api.diff import RunDiff
from synvita.api.doctor import DoctorCheck
from synvita.api.experiments import Submission
from synvita.api.runs import SubmissionProgress
from synvita.api.worker import WorkerSummary, default_local_parallel
from synvita.report import BenchmarkTable, WeightsSummary, format_duration
from synvita.specs import DEFAULT_EXPERIMENT, ExperimentSpec

__all__ = [
    "Api",
    "BenchmarkTable",
    "DEFAULT_EXPERIMENT",
    "DoctorCheck",
    "ExperimentSpec",
    "RunDiff",
    "Submission",
    "SubmissionProgress",
    "WeightsSummary",
    "WorkerSummary",
    "__version__",
    "default_local_parallel",
    "format_duration",
]
