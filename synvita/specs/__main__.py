"""`python -m synvita.specs --write-readme [README]` regenerates the key reference in experiments/README.md."""

import sys
from pathlib import Path

from synvita.specs.docs import write_readme


def main(args: list[str]) -> None:
    if args[:1] != ["--write-readme"]:
        sys.exit("usage: python -m synvita.specs --write-readme [README]  (to see an experiment's runs: synvita run NAME --dry-run)")
    print(f"wrote {write_readme(Path(args[1]) if len(args) > 1 else None)}")


if __name__ == "__main__":
    main(sys.argv[1:])
