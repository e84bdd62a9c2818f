"""Shared pieces of the CLI: the Typer factory with house defaults, option aliases, output helpers, error mapping.

Data goes to stdout (tables, JSON, ids), messages to stderr. Commands raise `SynvitaError`; the root group turns it
into one stderr line and the error's exit code (`synvita.errors`), or shows the traceback when SYNVITA_DEBUG=1.
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Sequence
from typing import Annotated, Any, NoReturn, Optional

import typer
from typer.core import TyperGroup

from synvita.api import Api, format_duration, sanitize_terminal_text
from synvita.cli import _json
from synvita.errors import SynvitaError, UserInputError

DEBUG_ENV = "SYNVITA_DEBUG"
EXIT_INTERRUPTED = 130


#### Errors → one line and an exit code ####


def debug_enabled() -> bool:
    return os.environ.get(DEBUG_ENV, "") not in ("", "0", "false", "no")


try:  # newer typer carries its own copy of click, whose exceptions are not click's
    from typer._click import exceptions as _click_exceptions
except ImportError:
    from click import exceptions as _click_exceptions
_USAGE_ERROR = _click_exceptions.UsageError
_NO_ARGS_IS_HELP = getattr(_click_exceptions, "NoArgsIsHelpError", ())
"""Usage errors (unknown command or option, a value of the wrong type); `no_args_is_help`'s is one too, and shows help."""


class SynvitaGroup(TyperGroup):
    """Root command group: maps SynvitaError to one stderr line + exit code, a usage error (an unknown command or
    option, a value of the wrong type) to one line + exit 2, Ctrl-C to exit 130."""

    def make_context(self, info_name: str | None, args: list[str], parent: Any = None, **extra: Any) -> Any:
        try:
            return super().make_context(info_name, args, parent=parent, **extra)
        except _USAGE_ERROR as exc:
            _usage_error_line(exc, info_name or "synvita")

    def invoke(self, ctx: typer.Context) -> Any:
        try:
            return super().invoke(ctx)
        except _USAGE_ERROR as exc:
            _usage_error_line(exc, ctx.command_path)
        except SynvitaError as exc:
            if debug_enabled():
                raise
            error(exc.one_line())
            raise typer.Exit(exc.exit_code) from None
        except KeyboardInterrupt:
            if debug_enabled():
                raise
            error("interrupted")
            raise typer.Exit(EXIT_INTERRUPTED) from None


def _usage_error_line(exc: Exception, command: str) -> NoReturn:
    """One stderr line and exit 2 for a usage error (re-raised as it is for `no_args_is_help` and SYNVITA_DEBUG)."""
    if debug_enabled() or isinstance(exc, _NO_ARGS_IS_HELP):
        raise exc
    ctx = getattr(exc, "ctx", None)
    command = ctx.command_path if ctx is not None else command
    error(f"{sanitize_terminal_text(exc.format_message())} (`{command} -h` lists what it takes)")
    raise typer.Exit(UserInputError.exit_code) from None


def typer_factory(help: str, **kwargs: Any) -> typer.Typer:
    """A Typer app with the house defaults (so every command group behaves the same)."""
    kwargs.setdefault("no_args_is_help", True)
    return typer.Typer(
        help=help,
        pretty_exceptions_enable=False,
        context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100},
        **kwargs,
    )


#### Output ####


def use_color(stream: Any = None) -> bool:
    """Colour only on a terminal, and never with NO_COLOR set (https://no-color.org) or TERM=dumb."""
    stream = stream or sys.stdout
    if os.environ.get("NO_COLOR") or os.environ.get("TERM") == "dumb":
        return False
    return bool(getattr(stream, "isatty", lambda: False)())


def out(text: str = "") -> None:
    """Data for stdout."""
    typer.echo(text)


def lines_out(lines: list[str]) -> None:
    """Lines of text for stdout, each stripped of escape sequences and control characters: what `runs show`,
    `runs logs` and `diff` print quotes run names, errors, log messages and config values."""
    typer.echo("\n".join(sanitize_terminal_text(line) for line in lines))


def print_json(data: Any) -> None:
    """`json.dumps(data, indent=2, default=str, ensure_ascii=False)` on stdout."""
    _json_out(_json.dumps(data))


def print_records(keys: Sequence[str], rows: Sequence[Sequence[Any]]) -> None:
    """`print_json([dict(zip(keys, row)) for row in rows])`, without a dict per row, written as it is encoded."""
    for text in _json.iter_records(keys, rows):
        _json_out(text, nl=False)
    _json_out("")


def _json_out(text: str, nl: bool = True) -> None:
    # JSON escapes every control character, so it holds no escape sequence to strip off when stdout is no terminal:
    # `color=True` spares echo that scan of the text
    typer.echo(text, nl=nl, color=True)


def info(message: str) -> None:
    """A message for stderr (control characters stripped: messages quote run names and errors)."""
    typer.echo(sanitize_terminal_text(message, multiline=True), err=True)


def error(message: str) -> None:
    prefix = "\x1b[31merror:\x1b[0m" if use_color(sys.stderr) else "error:"
    typer.echo(f"{prefix} {message}", err=True)


def columns(headers: list[str], rows: list[list[Any]], right: set[int] | None = None) -> str:
    """Plain aligned columns (no box drawing), friendly to grep/awk. Cells hold names and errors users chose, so
    they are stripped of escape sequences and control characters (`sanitize_terminal_text`)."""
    right = right or set()
    texts = [[("" if v is None else sanitize_terminal_text(str(v))) for v in row] for row in rows]
    widths = [max(len(h), *(len(r[i]) for r in texts)) if texts else len(h) for i, h in enumerate(headers)]

    def line(cells: list[str]) -> str:
        return "  ".join(c.rjust(w) if i in right else c.ljust(w) for i, (c, w) in enumerate(zip(cells, widths))).rstrip()

    return "\n".join([line(headers), *(line(r) for r in texts)])


def ago(ts: float | None) -> str:
    if not ts:
        return ""
    return duration(time.time() - ts) + " ago"


def duration(seconds: float | None) -> str:
    return format_duration(seconds)


def describe_run(run: Any) -> str:
    """'train synvita seed 0 (procedural)': what a run is, in a few words."""
    parts = [run.stage]
    if run.variant:
        parts.append(run.variant)
    if run.seed is not None:
        parts.append(f"seed {run.seed}")
    if run.generator:
        parts.append(f"({run.generator})")
    return " ".join(parts)


#### The API, with the global --db ####


_GLOBAL_OPTIONS: dict[str, Any] = {"db": None}
"""Options of the root callback (--db), set once per invocation before any command runs."""


def set_global_options(*, db: str | None) -> None:
    _GLOBAL_OPTIONS["db"] = db


def get_api(read_only: bool = False) -> Api:
    """A `synvita.api.Api` on the database chosen by the global --db (else SYNVITA_DB, SYNVITA_HOME, ./.synvita/).
    On a network filesystem a note on stderr says which journal mode the store uses there."""
    api = Api(db=_GLOBAL_OPTIONS["db"], read_only=read_only)
    note = api.filesystem_note()
    if note is not None:
        info(f"note: {note}")
    return api


def _complete_run_id(incomplete: str) -> list[str]:
    try:
        return [r.id for r in Api().list_runs(limit=200) if r.id.startswith(incomplete)]
    except Exception:  # completion must never fail loudly
        return []


#### Shared option aliases ####

RunIdArg = Annotated[str, typer.Argument(help="Run id, e.g. r-1a2b3c (see `synvita runs ls`).", autocompletion=_complete_run_id)]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON to stdout instead of text.")]
ExperimentOpt = Annotated[Optional[str], typer.Option("--experiment", "-e", help="Only runs of this experiment (its `name`).")]
SubmissionOpt = Annotated[Optional[str], typer.Option("--submission", help="Only runs of this submission (s-…).")]
