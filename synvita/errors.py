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


def storage_failure(exc: OSError, run_id: str | None = None, folder: object = None) -> str | None:
    """What a failed file operation means for a run, as one line with its cause and the fix: a full disk, a folder
    or file that cannot be written, a read-only filesystem, missing data. None for other errors (the caller keeps
    its own words). `run_id` names the run in the `synvita runs retry` command of the fix; `folder` is where the
    run was writing, named when the error has no file name (a failed write() has none, only a failed open())."""
    import errno

    if exc.filename is not None:
        where = str(exc.filename)
    else:
        where = f"a file in {folder}" if folder is not None else "a file"
    reason = exc.strerror or str(exc)
    retry = f"`synvita runs retry {run_id}`" if run_id else "retry the run"
    if exc.errno in (errno.ENOSPC, getattr(errno, "EDQUOT", errno.ENOSPC)):
        return f"disk full writing {where} ({reason}): free space there, then {retry}"
    if exc.errno in (errno.EACCES, errno.EPERM, errno.ENOTDIR):
        return f"cannot write {where} ({reason}): make its folder a writable directory (or move the database), then {retry}"
    if exc.errno == errno.EROFS:
        return f"cannot write {where}: the file system is read-only: remount it writable or move the database, then {retry}"
    if exc.errno == errno.ENOENT:
        return f"missing {where} ({reason}): restore it, or retry the run that writes it, then {retry}"
    return None


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
