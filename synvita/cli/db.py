"""Contains the `synvita db` command group: where the database is and upgrading its schema."""

from __future__ import annotations

from synvita.cli._utils import get_api, info, out, typer_factory

db_cli = typer_factory(help="The run database: location and schema migrations.")


@db_cli.command("path")
def path() -> None:
    """Print the database file in use (--db > SYNVITA_DB > SYNVITA_HOME > project-local .synvita/)."""
    out(str(get_api().db_path))


@db_cli.command("upgrade")
def upgrade() -> None:
    """Create the database or apply its pending schema migrations (never edits applied ones)."""
    api = get_api()
    before, after = api.upgrade_db()
    if before == after:
        info(f"{api.db_path}: schema version {after}, up to date")
    else:
        info(f"{api.db_path}: schema version {before} → {after}")
    out(str(after))
