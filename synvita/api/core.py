"""`Api`: one synvita database and every operation the front ends (CLI and TUI) perform on it.

A thin class composed of one part per noun, each in its own module: the database itself (`database`),
experiments and submission (`experiments`), runs and the queue (`runs`), benchmark tables (`tables`), results in
the official scripts' layout (`export`), a study's results document (`study`), alignment weights (`weights`), run comparison (`diff`), executing runs
(`worker`) and environment checks (`doctor`).
"""

from __future__ import annotations

from synvita.api.diff import DiffApi
from synvita.api.doctor import DoctorApi
from synvita.api.export import ExportApi
from synvita.api.study import StudyApi
from synvita.api.weights import WeightsApi
from synvita.api.worker import WorkerApi


class Api(ExportApi, StudyApi, WeightsApi, DiffApi, WorkerApi, DoctorApi):
    """One synvita database and the operations on it. Opens the store lazily (on first use).

    Safe to share between threads (the TUI calls it from thread workers): the store opens once under a lock,
    and the store itself gives each call its own pooled connection."""
