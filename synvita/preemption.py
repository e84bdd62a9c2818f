"""Preemption of a stage: Slurm's warning signal, a checkpoint at the next safe point, and an exit that requeues.

A Slurm job asks for `--signal=B:USR1@T`: T seconds before its time limit the batch script gets SIGUSR1 and passes
it to the stage. A stage that checkpoints (train, pretrain, generate) runs its loop inside `checkpointing()`; the
signal then only sets a flag, the loop finishes the step it is in, writes its checkpoint atomically and raises
`Preempted`, and the stage process exits with PREEMPTED_EXIT, which makes the batch script requeue the job: the
same run starts again from the checkpoint. Outside `checkpointing()` (a stage without a loop to stop) SIGUSR1
raises `Preempted` at once, and the requeued job starts the stage again.

In a Slurm job (a process that does not lead its own process group) SIGTERM, which Slurm sends when it preempts
or requeues a job, also asks for a checkpoint, with the exit status of SIGTERM (Slurm requeues or ends the job
itself). Locally SIGTERM keeps its meaning (synvita.stages.lifeline: the group ends at once).

Torch-free and below every component: the training loop asks `requested()` after each step.
"""

from __future__ import annotations

import contextlib
import os
import signal
import threading
from typing import Iterator

PREEMPTED_EXIT = 75
"""Exit status of a stage that wrote its checkpoint on Slurm's warning signal (EX_TEMPFAIL): requeue me."""

_requested: int | None = None
"""The exit status the stage should end with once its checkpoint is written (None: no request)."""
_depth = 0


class Preempted(BaseException):
    """Raised where a stage stops for preemption after writing its checkpoint; the stage process exits with
    `exit_code`. A BaseException, so that `except Exception` in a stage does not swallow it."""

    def __init__(self, message: str = "preempted", exit_code: int = PREEMPTED_EXIT) -> None:
        super().__init__(message)
        self.exit_code = exit_code


def requested() -> bool:
    """True once a warning signal asked this process to checkpoint and stop."""
    return _requested is not None


def stop(where: str) -> Preempted:
    """The exception to raise after the checkpoint at `where` is written."""
    return Preempted(f"preempted: checkpoint written at {where}", _requested or PREEMPTED_EXIT)


@contextlib.contextmanager
def checkpointing() -> Iterator[None]:
    """Within the block a warning signal only sets the flag `requested()` reads (the loop stops at a safe point)."""
    global _depth
    _depth += 1
    try:
        yield
    finally:
        _depth -= 1


def _forward_to_children(signum: int) -> None:
    """Pass the warning on to this stage's worker processes (the pretrain stage's pool), which checkpoint too."""
    try:
        import multiprocessing

        children = multiprocessing.active_children()
    except Exception:
        return
    for child in children:
        try:
            os.kill(child.pid, signum)
        except (ProcessLookupError, PermissionError, TypeError):
            pass


def _on_signal(signum: int, frame: object) -> None:
    global _requested
    code = PREEMPTED_EXIT if signum == signal.SIGUSR1 else 128 + signum
    _forward_to_children(signum)
    if _depth > 0:
        _requested = code
        return
    if signum == signal.SIGUSR1:
        raise Preempted("preempted before a checkpointing loop started", code)
    signal.signal(signum, signal.SIG_DFL)  # SIGTERM outside a loop: end as without a handler
    os.kill(os.getpid(), signum)


def install() -> None:
    """SIGUSR1 (and SIGTERM in a process that does not lead its group, i.e. inside a Slurm job) ask for a
    checkpoint and a stop. Call once per process, from its main thread."""
    if threading.current_thread() is not threading.main_thread() or not hasattr(signal, "SIGUSR1"):
        return
    signal.signal(signal.SIGUSR1, _on_signal)
    if os.getpgrp() != os.getpid():
        signal.signal(signal.SIGTERM, _on_signal)
