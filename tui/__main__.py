"""`python -m tui [--db PATH] [--read-only]`: the same app as `synvita tui`, without the CLI."""

import argparse
import sys

from synvita.errors import run_script
from tui.app import run


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tui", description="synvita experiment manager (Textual)")
    parser.add_argument("--db", default=None, help="database file (default: SYNVITA_DB, SYNVITA_HOME, ./.synvita)")
    parser.add_argument("--read-only", action="store_true", help="browse only: never queue, cancel or retry")
    args = parser.parse_args(argv)
    run(db=args.db, read_only=args.read_only)
    return 0


if __name__ == "__main__":
    sys.exit(run_script(main))
