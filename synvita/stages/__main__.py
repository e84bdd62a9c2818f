"""`python -m synvita.stages RUN_DIR`: execute one stage in this process (what a worker or a Slurm job runs).

The process is tied to the worker that started it first (`synvita.stages.lifeline`): on SIGTERM it ends its whole
process group, and it exits once its parent is gone, so no stage process outlives its worker."""

import sys

from synvita.stages import lifeline
from synvita.stages import execute

if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit("usage: python -m synvita.stages RUN_DIR")
    lifeline.install()
    execute(sys.argv[1])
