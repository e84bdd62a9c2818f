"""Listings never send a stored run's escape bytes to the terminal: a run name and an error recorded by an older
synvita (before names were checked at submission) print without them in `runs ls`, `runs show`, `runs logs` and the
TUI's runs table and run screen."""

from __future__ import annotations

import sqlite3
import time

from typer.testing import CliRunner

from synvita.api import Api
from synvita.cli.app import app as cli_app
from synvita.store import NewRun, Store

HOSTILE_NAME = "exp\x1b]0;owned\x07\x1b[2J\x9b31m-x"
HOSTILE_ERROR = "boom\x1b[8m hidden\rover\x00written"
CONTROLS = ("\x1b", "\x07", "\x9b", "\x00", "\r")


def hostile_run(db) -> str:
    """A failed run whose experiment name and error hold escape sequences, written as an older version could."""
    with Store.open(db) as store:
        [run] = store.create_runs([NewRun(experiment="placeholder", submission="s-1", stage="debug.noop")])
    conn = sqlite3.connect(db)
    with conn:
        conn.execute("UPDATE runs SET experiment = ?, status = 'failed', error = ?, finished_at = ? WHERE id = ?",
                     (HOSTILE_NAME, HOSTILE_ERROR, time.time(), run.id))
        conn.execute("INSERT INTO run_events (run_id, seq, ts, kind, data_json) VALUES (?, 0, 0, 'log', ?)",
                     (run.id, '{"level": "info", "msg": "log \\u001b]0;title\\u0007line"}'))
    conn.close()
    return run.id


def assert_clean(text: str) -> None:
    assert not any(c in text for c in CONTROLS), repr(text)


def test_cli_listings_print_a_stored_hostile_name_and_error_without_escapes(db_path):
    run_id = hostile_run(db_path)
    runner = CliRunner()
    listing = runner.invoke(cli_app, ["--db", str(db_path), "runs", "ls"])
    assert listing.exit_code == 0, listing.output
    assert "exp]0;owned-x" not in listing.stdout and "exp31m-x" in listing.stdout  # the 8-bit CSI's text stays
    assert_clean(listing.stdout)
    show = runner.invoke(cli_app, ["--db", str(db_path), "runs", "show", run_id])
    assert show.exit_code == 0, show.output
    assert "boom hidden overwritten" in show.stdout
    assert_clean(show.stdout)
    logs = runner.invoke(cli_app, ["--db", str(db_path), "runs", "logs", run_id])
    assert "log line" in logs.stdout
    assert_clean(logs.stdout)


async def test_the_tui_shows_a_stored_hostile_name_and_error_without_escapes(db_path):
    from tui.app import make_app
    from tui.screens.run_detail import RunDetailScreen, overview_table
    from tui.widgets.runs_table import RunsTable

    run_id = hostile_run(db_path)
    api = Api(db=db_path, lost_after_s=0)
    app = make_app(api)
    try:
        async with app.run_test(size=(100, 30)) as pilot:
            table = None
            for _ in range(200):
                table = app.screen.query_one(RunsTable)
                if table._row_ids:
                    break
                await pilot.pause(0.05)
            assert table._row_ids == [run_id]
            cells = [cell.plain for cell in table._row_cells[0]]
            assert cells[1].startswith("exp31m")
            for cell in cells:
                assert_clean(cell)
            app.open_run(run_id)
            await pilot.pause(0.3)
            assert isinstance(app.screen, RunDetailScreen)
        grid = overview_table(api.get_run(run_id), time.time())
        rendered = "".join(str(cell) for column in grid.columns for cell in column._cells)
        assert "boom hidden overwritten" in rendered and "exp31m-x" in rendered
        assert_clean(rendered)
    finally:
        api.close()
