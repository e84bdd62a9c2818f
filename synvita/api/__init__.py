"""synvita.api: the facade both front ends call (see `synvita.api.core.Api`). Torch-free, textual-free.

The CLI and the TUI import the engine only from here (plus `synvita.entities` and `synvita.errors`); what they
need besides `Api` is re-exported below, loaded on first use so that a command pays only for what it touches.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from synvita import __version__
from synvita.api.core import Api
from synvita.lazy import lazy_getattr

if TYPE_CHECKING:
    from synvita.api.diff import RunDiff
    from synvita.api.doctor import DoctorCheck
    from synvita.api.experiments import Submission
    from synvita.api.runs import SubmissionProgress
    from synvita.api.worker import WorkerSummary, default_local_parallel
    from synvita.events import LOG_KINDS
    from synvita.progress import remaining_seconds
    from synvita.report import BenchmarkTable, WeightsSummary, format_duration
    from synvita.specs import DEFAULT_EXPERIMENT, ExperimentSpec
    from synvita.text import sanitize_terminal_text

_HOMES = {
    "synvita.api.diff": ("RunDiff",),
    "synvita.api.doctor": ("DoctorCheck",),
    "synvita.api.experiments": ("Submission",),
    "synvita.api.runs": ("SubmissionProgress",),
    "synvita.api.worker": ("WorkerSummary", "default_local_parallel"),
    "synvita.events": ("LOG_KINDS",),
    "synvita.progress": ("remaining_seconds",),
    "synvita.report": ("BenchmarkTable", "WeightsSummary", "format_duration"),
    "synvita.specs": ("DEFAULT_EXPERIMENT", "ExperimentSpec"),
    "synvita.text": ("sanitize_terminal_text",),
}

__all__ = [
    "DEFAULT_EXPERIMENT",
    "Api",
    "BenchmarkTable",
    "DoctorCheck",
    "ExperimentSpec",
    "LOG_KINDS",
    "RunDiff",
    "Submission",
    "SubmissionProgress",
    "WeightsSummary",
    "WorkerSummary",
    "__version__",
    "default_local_parallel",
    "format_duration",
    "remaining_seconds",
    "sanitize_terminal_text",
]

__getattr__ = lazy_getattr(__name__, _HOMES, globals())
"""A name above, or a submodule, loaded on first use."""
