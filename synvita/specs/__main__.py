"""`python -m synvita.specs --write-readme [README]` regenerates the key reference in experiments/README.md;
`python -m synvita.specs [NAME_OR_PATH]` validates an experiment and prints its planned runs."""

import sys
from pathlib import Path

from synvita.runs.plan import plan_runs
from synvita.specs.docs import write_readme
from synvita.specs.load import DEFAULT_EXPERIMENT, load_spec


def main(args: list[str]) -> None:
    if args[:1] == ["--write-readme"]:
        print(f"wrote {write_readme(Path(args[1]) if len(args) > 1 else None)}")
        return
    spec = load_spec(args[0] if args else DEFAULT_EXPERIMENT)
    for i, planned in enumerate(plan_runs(spec)):
        print(i, planned.stage, planned.variant or "", planned.generator or "", planned.seed, planned.depends_on)


if __name__ == "__main__":
    main(sys.argv[1:])
