"""The TUI on the API's reader features: artifacts from `api.artifacts`, one `api.table` call for several
experiments, polls that mark a dead worker's runs `lost` (never in a read-only app), and a log tail of log lines
only."""

from __future__ import annotations

import sqlite3
import time

from textual.widgets import DataTable, Static

from synvita.api import Api
from synvita.runs.ingest import parse_events
from synvita.store import ArtifactEvent, NewRun
from tui.app import make_app
from tui.screens.run_detail import LOG_TAIL_LINES, RunDetailScreen
from tui.widgets.runs_table import RunsTable

from test_flows import open_compare_of_both, table_ids, wait_until


def claim_for_a_dead_worker(api: Api, submission: str = "s-dead") -> str:
    """A run claimed by worker w-dead (it never beats: the worker was killed)."""
    [run] = api.store.create_runs([NewRun("exp", submission, "train", variant="naive")])
    assert api.store.claim_next("w-dead", submission=submission).id == run.id
    return run.id


def age_heartbeat(api: Api, run_id: str, seconds: float = 300.0) -> None:
    with sqlite3.connect(api.db_path) as conn:
        conn.execute("UPDATE runs SET heartbeat_at = ?, started_at = ? WHERE id = ?",
                     (time.time() - seconds, time.time() - seconds, run_id))


async def test_the_runs_screen_shows_a_dead_workers_run_as_lost(empty_api):
    rid = claim_for_a_dead_worker(empty_api)
    alive = claim_for_a_dead_worker(empty_api, "s-alive")  # claimed just now: its worker may still be starting
    age_heartbeat(empty_api, rid)
    app = make_app(empty_api, poll_interval_s=60.0)
    async with app.run_test(size=(100, 24)) as pilot:
        await wait_until(pilot, lambda: rid in table_ids(app))
        table = app.screen.query_one(RunsTable)
        row = table._row_ids.index(rid)
        assert "lost" in str(table.get_row_at(row))
        assert empty_api.get_run(rid).status == "lost" and empty_api.get_run(alive).status == "running"


async def test_a_read_only_app_never_reaps(tmp_path):
    db = tmp_path / "shared.db"
    with Api(db=db) as writer:
        rid = claim_for_a_dead_worker(writer)
        age_heartbeat(writer, rid)
    api = Api(db=db, read_only=True)
    app = make_app(api, read_only=True, poll_interval_s=0.1)
    async with app.run_test(size=(100, 24)) as pilot:
        await wait_until(pilot, lambda: rid in table_ids(app))
        await pilot.pause(0.3)  # a few polls
        assert "running" in str(app.screen.query_one(RunsTable).get_row_at(0))
        app.open_run(rid)
        await wait_until(pilot, lambda: getattr(app.screen, "run", None) is not None)
        assert app.screen.run.status == "running"
    api.close()
    with Api(db=db) as check:
        assert check.get_run(rid).status == "running"


async def test_the_detail_poll_reaps_and_lists_artifacts_from_the_store(empty_api):
    rid = claim_for_a_dead_worker(empty_api)
    empty_api.store.ingest_events(rid, [
        ArtifactEvent(seq=0, ts=1.0, data={"name": "checkpoint", "path": "model-1.pt"}, name="checkpoint", path="model-1.pt"),
        ArtifactEvent(seq=1, ts=2.0, data={"name": "samples", "path": "samples.mp4"}, name="samples", path="samples.mp4"),
        ArtifactEvent(seq=2, ts=3.0, data={"name": "checkpoint", "path": "model-2.pt"}, name="checkpoint", path="model-2.pt"),
    ])
    app = make_app(empty_api, poll_interval_s=60.0)
    async with app.run_test(size=(100, 30)) as pilot:
        await wait_until(pilot, lambda: rid in table_ids(app))
        age_heartbeat(empty_api, rid)  # the worker dies after the runs screen read the page
        app.open_run(rid)
        screen = app.screen
        assert isinstance(screen, RunDetailScreen)
        await wait_until(pilot, lambda: screen.run is not None)
        assert screen.run.status == "lost" and "no heartbeat from worker w-dead" in (screen.run.error or "")
        artifacts = screen.query_one("#detail-artifacts", DataTable)
        rows = [tuple(str(c) for c in artifacts.get_row_at(i)) for i in range(artifacts.row_count)]
        assert rows == [("checkpoint", "model-2.pt"), ("samples", "samples.mp4")]  # one per name, the latest


async def test_compare_asks_for_several_experiments_in_one_call(demo_api, frozen_clock, monkeypatch):
    calls = []
    real_table = demo_api.table

    def spy(**kwargs):
        calls.append(kwargs)
        return real_table(**kwargs)

    monkeypatch.setattr(demo_api, "table", spy)
    app = make_app(demo_api, clock=frozen_clock)
    async with app.run_test(size=(120, 30)) as pilot:
        screen = await open_compare_of_both(app, pilot)
        assert len(calls) == 1 and calls[0]["experiments"] == ["quickstart", "quickstart-lavie"]
        assert calls[0]["run_ids"] is None
        assert {row.experiment for row in screen.table.rows} == {"quickstart", "quickstart-lavie"}
        screen.source = "quickstart quickstart-lavee"
        screen.reload()
        summary = screen.query_one("#compare-summary", Static)
        await wait_until(pilot, lambda: "no runs of experiment 'quickstart-lavee'" in str(summary.render()))


async def test_the_log_tail_holds_log_lines_when_metrics_came_after_them(empty_api):
    """A training run logs far more metric points than lines: the detail's tail is the last LOG_TAIL_LINES log
    lines, not the last events of any kind (metrics are drawn as curves)."""
    rid = claim_for_a_dead_worker(empty_api)
    logs = [{"seq": s, "ts": 1.0, "kind": "log", "level": "info", "msg": f"line {s}"} for s in range(LOG_TAIL_LINES + 100)]
    metrics = [{"seq": len(logs) + k, "ts": 2.0, "kind": "metric", "name": "loss", "value": 1.0 / (k + 1), "step": k}
               for k in range(2 * LOG_TAIL_LINES)]
    empty_api.store.ingest_events(rid, parse_events(logs + metrics, empty_api.get_run(rid).run_dir))
    app = make_app(empty_api, poll_interval_s=60.0)
    async with app.run_test(size=(100, 30)) as pilot:
        await wait_until(pilot, lambda: rid in table_ids(app))
        app.open_run(rid)
        screen = app.screen
        await wait_until(pilot, lambda: screen.log_lines)
        assert len(screen.log_lines) == LOG_TAIL_LINES
        assert screen.log_lines[-1].endswith(f"line {len(logs) - 1}")
        assert screen.log_lines[0].endswith(f"line {len(logs) - LOG_TAIL_LINES}")
