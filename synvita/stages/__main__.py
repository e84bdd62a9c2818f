"""`python -m synvita.stages RUN_DIR`: execute one stage in this process (what a worker or a Slurm job runs).

The process is tied to the worker that started it first (`synvita.stages.lifeline`): on SIGTERM it ends its whole
process group, and it exits once its parent is gone or a newer attempt of the run took its run directory over, so
no stage process outlives its worker or works beside another attempt. Slurm's warning
signal makes a checkpointing stage write its checkpoint and exit with `PREEMPTED_EXIT` (synvita.preemption), which
the batch script turns into a requeue."""

import sys
from pathlib import Path

from synvita import preemption
from synvita.events import EVENTS_FILE
from synvita.stages import execute, lifeline

if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit("usage: python -m synvita.stages RUN_DIR")
    lifeline.install(events_path=Path(sys.argv[1]) / EVENTS_FILE)
    preemption.install()
    try:
        execute(sys.argv[1])
    except preemption.Preempted as stopped:
        print(f"synvita: {stopped}", file=sys.stderr, flush=True)
        sys.exit(stopped.exit_code)
