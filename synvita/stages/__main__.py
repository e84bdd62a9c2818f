"""`python -m synvita.stages RUN_DIR`: execute one stage in this process (what a worker or a Slurm job runs)."""

import sys

from synvita.stages import execute

if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit("usage: python -m synvita.stages RUN_DIR")
    execute(sys.argv[1])
