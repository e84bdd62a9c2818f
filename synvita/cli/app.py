"""The `synvita` command: the root Typer app that assembles one module per noun, and `main()`.

Exit codes (from `synvita.errors`): 0 ok · 1 a run failed or an internal error · 2 bad input · 3 not found ·
4 database problem · 130 interrupted. Errors are one line on stderr; SYNVITA_DEBUG=1 shows the traceback.
Global option: `--db PATH` (else SYNVITA_DB > SYNVITA_HOME > project-local .synvita/).
"""

from __future__ import annotations

import sys
from typing import Annotated, Optional

import typer

from synvita.cli import db as db_module
from synvita.cli import diff as diff_module
from synvita.cli import doctor as doctor_module
from synvita.cli import export as export_module
from synvita.cli import models as models_module
from synvita.cli import report as report_module
from synvita.cli import run as run_module
from synvita.cli import runs as runs_module
from synvita.cli import table as table_module
from synvita.cli import tui as tui_module
from synvita.cli import weights as weights_module
from synvita.cli import world as world_module
from synvita.cli._utils import SynvitaGroup, debug_enabled, error, set_global_options, typer_factory

app = typer_factory(
    help="synvita: run SynViTA experiments (synthetic videos for video-language alignment) and inspect their results.",
    cls=SynvitaGroup,
    epilog="Exit codes: 0 ok, 1 run failed/internal error, 2 bad input, 3 not found, 4 database problem, 130 interrupted.",
)


def _print_version(value: bool) -> None:
    if value:
        from synvita.api import __version__

        typer.echo(__version__)
        raise typer.Exit()


@app.callback()
def _root(
    db: Annotated[
        Optional[str],
        typer.Option("--db", help="Database file or folder (default: $SYNVITA_DB, $SYNVITA_HOME, ./.synvita/)."),
    ] = None,
    version: Annotated[
        bool, typer.Option("--version", help="Print the version and exit.", is_eager=True, callback=_print_version)
    ] = False,
) -> None:
    set_global_options(db=db)


app.command("run")(run_module.run)
app.command("worker")(run_module.worker)
app.add_typer(runs_module.runs_cli, name="runs")
app.command("weights")(weights_module.weights)
app.command("table")(table_module.table)
app.command("report")(report_module.report)
app.command("diff")(diff_module.diff)
app.command("export")(export_module.export)
app.command("doctor")(doctor_module.doctor)
app.add_typer(db_module.db_cli, name="db")
app.command("tui")(tui_module.tui)
app.add_typer(world_module.app, name="world", help="The embedded procedural world: presets, samples, statistics.")
app.add_typer(models_module.app, name="models")


def main(argv: list[str] | None = None) -> None:
    """Console entry point (`synvita = synvita.cli.app:main`)."""
    try:
        app(args=argv, prog_name="synvita")
    except KeyboardInterrupt:  # raised outside a command (e.g. during startup)
        if debug_enabled():
            raise
        error("interrupted")
        sys.exit(130)


if __name__ == "__main__":
    main()
