"""Domain errors with one clear line for the user and a documented exit code.

Every error a user can cause (bad spec, unknown name, missing file, locked database) raises a subclass of
`SynvitaError`. The CLI turns it into one line on stderr (`what` + `hint`) and exits with `exit_code`;
set `SYNVITA_DEBUG=1` to see the traceback instead.

Exit codes (documented in the README):
    0  success
    1  a run failed, or an unexpected internal error
    2  bad input: spec, option, prompt, preset, path
    3  not found: run id, experiment, model weights
    4  database problem: locked past the timeout, schema too new/old, unwritable location, not a synvita
       database, corrupt
  130  interrupted (Ctrl-C)
"""

from __future__ import annotations

from synvita.text import sanitize_terminal_text


class SynvitaError(Exception):
    """Base class: a failure the user can understand and fix."""

    exit_code = 1

    def __init__(self, what: str, hint: str | None = None) -> None:
        super().__init__(what)
        self.what = what
        self.hint = hint

    def one_line(self) -> str:
        """The message shown to the user: what went wrong, and how to fix it. It quotes user input (names, paths,
        values), so escape sequences and control characters are stripped and it stays one line."""
        text = f"{self.what} ({self.hint})" if self.hint else self.what
        return sanitize_terminal_text(text)


class UserInputError(SynvitaError):
    """Bad input: a spec, an option, a prompt, a preset name or a path."""

    exit_code = 2


class UnknownNameError(UserInputError):
    """A registry lookup for a name that is not registered; the message lists the registered names."""


class NotFoundError(SynvitaError):
    """Something named by the user does not exist (run id, file, model weights)."""

    exit_code = 3


class StoreError(SynvitaError):
    """The database cannot be used: locked past the timeout, wrong schema version, unwritable location, not a synvita
    database, corrupt."""

    exit_code = 4


class StageError(SynvitaError):
    """A stage failed for a reason worth recording on the run (kept as the run's error)."""

    exit_code = 1


def run_script(main, argv=None) -> int:
    """Entry point of the `python -m synvita...` research scripts: a SynvitaError becomes one stderr line and its
    exit code instead of a traceback (what the Typer CLI does for `synvita ...`)."""
    import sys

    try:
        result = main(argv)
    except SynvitaError as err:
        print(f"error: {err.one_line()}", file=sys.stderr)
        return err.exit_code
    return result if isinstance(result, int) else 0
