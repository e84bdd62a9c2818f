"""Debug stages: check that workers, executors and event ingestion work without any ML."""

from __future__ import annotations

import time

from synvita.errors import StageError
from synvita.stages import StageContext


def noop(ctx: StageContext) -> None:
    ctx.events.log("noop stage ran")


def sleep(ctx: StageContext) -> None:
    seconds = float(ctx.config.get("seconds", 1.0))
    steps = max(1, int(seconds * 10))
    for i in range(steps):
        time.sleep(seconds / steps)
        ctx.events.progress(i + 1, steps, "sleeping")
    ctx.events.metric("slept_seconds", seconds, steps)


def fail(ctx: StageContext) -> None:
    raise StageError(str(ctx.config.get("message", "debug.fail stage failed on purpose")))
