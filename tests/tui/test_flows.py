"""Pilot tests: each user flow of the TUI driven with keys against the real Api on a real SQLite file."""

from __future__ import annotations

import asyncio
import time

import pytest
from textual.widgets import DataTable, Input, Log, Static

from synvita.api import Api
from synvita.store import NewRun
from seed import MINI_EXPERIMENT
from tui.app import make_app
from tui.messages import RunsLoaded
from tui.screens.compare import CompareScreen, ExportModal
from tui.screens.confirm import ConfirmModal
from tui.screens.queue_form import QueueRunModal
from tui.screens.run_detail import RunDetailScreen
from tui.screens.runs import RunsScreen
from tui.screens.weights import WeightsScreen
from tui.widgets.runs_table import RunsTable


async def wait_until(pilot, predicate, timeout: float = 10.0) -> None:
    """Let the app run until `predicate()` holds (workers finish, polls arrive); fail after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {predicate.__doc__ or predicate}")
        await pilot.pause(0.05)


async def open_queue_form(app, pilot, tmp_path):
    """Press `n` and point the queue form at a fresh copy of MINI_EXPERIMENT; returns (form, experiment path)."""
    experiment = tmp_path / "mini.toml"
    experiment.write_text(MINI_EXPERIMENT)
    await pilot.press("n")
    form = app.screen
    form.query_one("#queue-experiment", Input).value = str(experiment)
    return form, experiment


async def open_compare_of_both(app, pilot) -> CompareScreen:
    """Open the compare screen on the demo's two experiments and wait for its table."""
    app.open_compare(experiments=["quickstart", "quickstart-lavie"])
    screen = app.screen
    assert isinstance(screen, CompareScreen)
    await wait_until(pilot, lambda: screen.table is not None)
    return screen


def table_ids(app) -> list[str]:
    return list(app.screen.query_one(RunsTable)._row_ids)


async def filter_runs(pilot, text: str) -> None:
    await pilot.press("slash")
    pilot.app.screen.query_one("#runs-filter", Input).value = text
    await pilot.press("enter")
    await pilot.pause(0.1)


class TestRuns:
    async def test_lists_the_visible_page_and_reports_through_messages(self, demo_api, frozen_clock):
        """The home screen reads one page (limit = visible rows) and the total, via RunsLoaded messages."""
        messages = []
        app = make_app(demo_api, clock=frozen_clock)
        async with app.run_test(size=(80, 20), message_hook=messages.append) as pilot:
            await wait_until(pilot, lambda: len(table_ids(app)) > 0)
            loaded = [m for m in messages if isinstance(m, RunsLoaded)]
            assert loaded and loaded[-1].total == 18
            assert len(loaded[-1].runs) == app.screen.page_size < 18
            assert table_ids(app)[0] == "r-000012"  # newest first
            await pilot.press("right_square_bracket")
            await wait_until(pilot, lambda: table_ids(app) and table_ids(app)[-1] == "r-000001")

    async def test_filter_by_status_and_text(self, demo_api, frozen_clock):
        """`/` filters by key:value words and free text; a bad status is reported, not applied."""
        app = make_app(demo_api, clock=frozen_clock)
        async with app.run_test(size=(80, 24)) as pilot:
            await filter_runs(pilot, "status:failed")
            await wait_until(pilot, lambda: table_ids(app) == ["r-000011"])
            await filter_runs(pilot, "exp:quickstart-lavie synvita")
            await wait_until(pilot, lambda: table_ids(app) == ["r-00000f"])
            await filter_runs(pilot, "status:runing")
            assert app.screen.filters == {"experiment": "quickstart-lavie", "text": "synvita"}
            await pilot.press("escape")
            await wait_until(pilot, lambda: len(table_ids(app)) > 1)

    async def test_sort_by_key_metric(self, demo_api, frozen_clock):
        app = make_app(demo_api, clock=frozen_clock)
        async with app.run_test(size=(80, 24)) as pilot:
            await filter_runs(pilot, "stage:evaluate")
            for _ in range(4):  # created_at → status → experiment → stage → key_metric
                await pilot.press("s")
            assert app.screen.sort_key == "key_metric"
            await pilot.pause(0.3)
            runs = {r.id: r for r in demo_api.list_runs(stage="evaluate")}
            metrics = [runs[i].key_metric for i in table_ids(app) if runs[i].key_metric is not None]
            assert metrics == sorted(metrics, reverse=True) and len(metrics) == 9

    async def test_cancel_asks_first(self, demo_api, demo_db, frozen_clock):
        """`c` opens a confirmation; `n` keeps the run, `y` cancels it through the API."""
        queued = demo_db[1]["queued"]
        app = make_app(demo_api, clock=frozen_clock)
        async with app.run_test(size=(80, 24)) as pilot:
            await filter_runs(pilot, "status:queued")
            await wait_until(pilot, lambda: table_ids(app) == [queued])
            await pilot.press("c")
            assert isinstance(app.screen, ConfirmModal)
            await pilot.press("n")
            assert demo_api.get_run(queued).status == "queued"
            await pilot.press("c", "y")
            await wait_until(pilot, lambda: demo_api.get_run(queued).status == "cancelled")
            await filter_runs(pilot, "status:cancelled")
            await wait_until(pilot, lambda: table_ids(app) == [queued])

    async def test_retry_a_failed_run(self, demo_api, demo_db, frozen_clock):
        failed = demo_db[1]["failed"]
        app = make_app(demo_api, clock=frozen_clock)
        async with app.run_test(size=(80, 24)) as pilot:
            await filter_runs(pilot, "status:failed")
            await wait_until(pilot, lambda: table_ids(app) == [failed])
            await pilot.press("r", "y")
            await wait_until(pilot, lambda: demo_api.get_run(failed).status == "queued")
            assert demo_api.get_run(failed).attempt == 2

    async def test_an_impossible_action_shows_the_api_error(self, demo_api, demo_db, frozen_clock):
        """Cancelling a finished run is refused by the store; the one-line message is shown as a notification."""
        app = make_app(demo_api, clock=frozen_clock)
        async with app.run_test(size=(80, 24)) as pilot:
            await filter_runs(pilot, "stage:world")
            await wait_until(pilot, lambda: table_ids(app) == [demo_db[1]["world"]])
            await pilot.press("c", "y")
            await wait_until(pilot, lambda: any("nothing to cancel" in n.message for n in app._notifications))

    async def test_empty_database_says_what_to_do(self, empty_api):
        app = make_app(empty_api)
        async with app.run_test(size=(80, 24)) as pilot:
            empty = app.screen.query_one("#runs-empty", Static)
            await wait_until(pilot, lambda: not empty.has_class("-hidden"))
            assert "synvita run quickstart" in str(empty.render())

    async def test_read_only_never_writes(self, demo_db, frozen_clock):
        """--read-only: no queue form, no cancel, no worker; the database is opened read-only."""
        api = Api(db=demo_db[0], read_only=True)
        app = make_app(api, read_only=True, clock=frozen_clock)
        async with app.run_test(size=(80, 24)) as pilot:
            await wait_until(pilot, lambda: len(table_ids(app)) > 0)
            await pilot.press("n", "c", "W")
            assert isinstance(app.screen, RunsScreen) and app.local_worker is None
            assert "read-only" in str(app.screen.query_one("#runs-summary", Static).render())
        api.close()




class TestQueueForm:
    async def test_invalid_input_is_shown_inline(self, empty_api):
        """Validation errors come from the same spec validation as the CLI and stay in the form."""
        app = make_app(empty_api)
        async with app.run_test(size=(80, 24)) as pilot:
            await pilot.press("n")
            form = app.screen
            assert isinstance(form, QueueRunModal)
            form.query_one("#queue-overrides", Input).value = "train.lamda_scr=2"
            await pilot.press("ctrl+t")
            error = form.query_one("#queue-error", Static)
            await wait_until(pilot, lambda: "lamda_scr" in str(error.render()))
            assert "lambda_scr" in str(error.render())  # the spec validator's suggestion
            form.query_one("#queue-overrides", Input).value = ""
            form.query_one("#queue-seeds", Input).value = "two"
            await pilot.press("ctrl+s")
            await wait_until(pilot, lambda: "seeds" in str(error.render()))
            assert app.screen is form and empty_api.count_runs() == 0

    async def test_queue_a_run(self, empty_api, tmp_path):
        """The form's fields become --seeds/--set; submitting enqueues the plan and closes the form."""
        app = make_app(empty_api)
        async with app.run_test(size=(80, 24)) as pilot:
            form, experiment = await open_queue_form(app, pilot, tmp_path)
            form.query_one("#queue-variants", Input).value = "none, synvita"
            form.query_one("#queue-seeds", Input).value = "2"
            form.query_one("#queue-lambda", Input).value = "0.5"
            form.query_one("#queue-margin", Input).value = "0.1"
            await pilot.press("ctrl+s")
            await wait_until(pilot, lambda: isinstance(app.screen, RunsScreen), timeout=20)
            spec = empty_api.load_experiment(experiment, seeds=2, overrides=[
                'train.variants=["none", "synvita"]', "train.lambda_scr=0.5", "train.margin=0.1"])
            assert empty_api.count_runs() == len(empty_api.plan(spec)) > 0
            train = empty_api.list_runs(stage="train")
            assert {r.variant for r in train} == {"none", "synvita"} and {r.seed for r in train} == {0, 1}
            assert all(r.config["train"]["lambda_scr"] == 0.5 and r.config["train"]["margin"] == 0.1 for r in train)
            await wait_until(pilot, lambda: len(table_ids(app)) > 0)


class TestWatchRun:
    async def test_summary_follows_the_newest_submission_until_nothing_is_left_to_run(self, empty_api):
        """Runs done of all while the newest submission has queued or running runs; nothing once it has none."""
        runs = empty_api.store.create_runs([NewRun("debug", "s-debug", "debug.sleep", config={"seconds": 1})
                                            for _ in range(2)])
        app = make_app(empty_api, poll_interval_s=60.0)
        async with app.run_test(size=(100, 24)) as pilot:
            summary = app.screen.query_one("#runs-summary", Static)
            await wait_until(pilot, lambda: "s-debug 0/2 runs done" in str(summary.render()))
            for run in runs:
                empty_api.cancel(run.id)
            app.screen.refresh_runs()
            await wait_until(pilot, lambda: "runs done" not in str(summary.render()))
            assert str(summary.render()).startswith("2 runs · sort: created")

    async def test_local_worker_runs_it_and_the_detail_follows(self, empty_api):
        """`W` starts a worker in the app; the runs table and the run's log/curves follow it to `succeeded`."""
        [run] = empty_api.store.create_runs([NewRun("debug", "s-debug", "debug.sleep", config={"seconds": 0.6})])
        app = make_app(empty_api, poll_interval_s=0.2)
        async with app.run_test(size=(100, 30)) as pilot:
            await wait_until(pilot, lambda: table_ids(app) == [run.id])
            await pilot.press("enter")
            assert isinstance(app.screen, RunDetailScreen)
            await pilot.press("W")
            assert app.local_worker is not None
            await wait_until(pilot, lambda: empty_api.get_run(run.id).status == "succeeded", timeout=60)
            await wait_until(pilot, lambda: app.screen.run is not None and app.screen.run.status == "succeeded")
            await wait_until(pilot, lambda: "slept_seconds" in app.screen.curves)
            await wait_until(pilot, lambda: any("6/6 100% sleeping" in line for line in app.screen.log_lines))
            progress_lines = [line for line in app.screen.log_lines if line.startswith("[progress]")]
            assert len(progress_lines) == 1  # six progress events, one collapsed line
            assert app.screen.query_one("#detail-log", Log).line_count == len(app.screen.log_lines)
            await pilot.press("W")
            assert app.local_worker is None
            await pilot.press("escape")
            await wait_until(pilot, lambda: "succeeded" in str(app.screen.query_one(RunsTable).get_row_at(0)))
            app._local_worker_done.wait(10)


    async def test_leaving_the_app_stops_its_local_worker(self, empty_api):
        """A worker that is still running when the app goes away (here: a test's teardown) must not hang the exit."""
        app = make_app(empty_api, poll_interval_s=0.2)

        async def session() -> None:
            async with app.run_test(size=(100, 30)) as pilot:
                await pilot.press("W")
                assert app.local_worker is not None

        await asyncio.wait_for(session(), timeout=30)
        assert app._local_worker_done.wait(10)


class TestWeights:
    async def test_histograms_per_type_generator_and_faithful(self, demo_api, demo_db, frozen_clock):
        """`w` on a score run shows the paper's per-type stats; `g` regroups by generator, then ground truth."""
        app = make_app(demo_api, clock=frozen_clock)
        async with app.run_test(size=(100, 40)) as pilot:
            await filter_runs(pilot, "stage:score")
            await wait_until(pilot, lambda: table_ids(app) == [demo_db[1]["score"]])
            await pilot.press("w")
            screen = app.screen
            assert isinstance(screen, WeightsScreen)
            await wait_until(pilot, lambda: screen.summary is not None)
            labels = [label for label, _, _ in screen.groups]
            assert labels == ["all", "action", "attribute", "count", "flip", "hallucination", "object", "relation"]
            flip = dict((label, stats) for label, stats, _ in screen.groups)["flip"]
            assert flip.diff_mean < 0 and flip.count == 200
            await pilot.press("g")
            assert [label for label, _, _ in screen.groups] == ["all", "lavie-like", "procedural"]
            await pilot.press("g")
            assert screen.groups[0][0] == "all · faithful" and screen.groups[0][2] is not None
            assert "AUROC" in [str(c.label) for c in screen.query_one("#weights-table", DataTable).columns.values()]

    async def test_weights_of_an_evaluate_run_come_from_its_score_run(self, demo_api, demo_db, frozen_clock):
        app = make_app(demo_api, clock=frozen_clock)
        async with app.run_test(size=(100, 40)) as pilot:
            app.open_weights(demo_db[1]["eval-synvita-0"])
            await wait_until(pilot, lambda: getattr(app.screen, "summary", None) is not None)
            assert app.screen.summary.count == 1400


class TestCompare:
    async def test_two_experiments_baseline_and_export(self, demo_api, frozen_clock, tmp_path):
        """Compare both experiments: rows per experiment × variant, deltas vs a baseline, export md and csv."""
        app = make_app(demo_api, clock=frozen_clock)
        async with app.run_test(size=(120, 30)) as pilot:
            screen = await open_compare_of_both(app, pilot)
            labels = [row.label for row in screen.table.rows]
            assert labels[0] == "quickstart · none · procedural" and len(labels) == 6
            assert "quickstart-lavie · synvita · lavie-like" in labels
            assert screen.table.baseline == labels[0]
            none_row = screen.table.rows[0]
            assert none_row.cells["entail-llm"].n == 2  # two seeds
            await pilot.press("b")
            await wait_until(pilot, lambda: screen.table.baseline == labels[1])
            await pilot.press("e")
            assert isinstance(app.screen, ExportModal)
            app.screen.query_one("#export-path", Input).value = str(tmp_path / "table.md")
            await pilot.press("enter")
            await wait_until(pilot, lambda: (tmp_path / "table.md").exists())
            assert "quickstart-lavie · synvita" in (tmp_path / "table.md").read_text()
            assert (tmp_path / "table.md").read_text() == demo_api.format_table(screen.table, "md")
            await pilot.press("e")
            app.screen.query_one("#export-path", Input).value = str(tmp_path / "table.csv")
            await pilot.press("enter")
            await wait_until(pilot, lambda: (tmp_path / "table.csv").exists())
            assert (tmp_path / "table.csv").read_text() == demo_api.format_table(screen.table, "csv")

    async def test_from_a_run_opens_its_experiment(self, demo_api, demo_db, frozen_clock):
        app = make_app(demo_api, clock=frozen_clock)
        async with app.run_test(size=(120, 30)) as pilot:
            await filter_runs(pilot, "exp:quickstart-lavie")
            await wait_until(pilot, lambda: len(table_ids(app)) == 3)
            await pilot.press("m")
            await wait_until(pilot, lambda: getattr(app.screen, "table", None) is not None)
            assert [r.label for r in app.screen.table.rows] == ["none", "naive", "synvita"]
            assert app.screen.table.rows[2].cells["mean"].delta == pytest.approx(
                app.screen.table.rows[2].cells["mean"].mean - app.screen.table.rows[0].cells["mean"].mean)


async def test_help_and_palette_open(demo_api, frozen_clock):
    app = make_app(demo_api, clock=frozen_clock)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("question_mark")
        assert type(app.screen).__name__ == "HelpScreen"
        await pilot.press("escape")
        await pilot.press("ctrl+p")
        await pilot.pause(0.2)
        assert type(app.screen).__name__ == "CommandPalette"


def test_no_color_keeps_every_signal_readable(monkeypatch, demo_api):
    """With NO_COLOR the app renders monochrome; deltas still carry ↑/↓ and the best value is bold."""
    from types import SimpleNamespace

    from tui.screens.compare import cell_text

    monkeypatch.setenv("NO_COLOR", "1")
    assert make_app(demo_api).no_color
    better = cell_text(SimpleNamespace(mean=85.8, std=0.28, n=2, delta=1.26, significant=True, best=True))
    worse = cell_text(SimpleNamespace(mean=83.93, std=None, n=1, delta=-4.46, significant=False, best=False))
    assert better.plain == "85.80 ↑1.26†\n±0.28" and worse.plain == "83.93 ↓4.46"
    assert better.style == "bold" and worse.style == ""


async def test_api_errors_become_one_line_notifications(demo_api, frozen_clock):
    """A worker that raises (here: an unknown run id) shows the SynvitaError's one line; the app keeps running."""
    app = make_app(demo_api, clock=frozen_clock)
    async with app.run_test(size=(80, 24)) as pilot:
        app.open_run("r-nope")
        await wait_until(pilot, lambda: any("no run 'r-nope'" in n.message for n in app._notifications))
        await pilot.press("escape")
        assert isinstance(app.screen, RunsScreen)


async def test_read_only_empty_database_points_elsewhere(tmp_path):
    api = Api(db=tmp_path / "missing.db", read_only=True)
    app = make_app(api, read_only=True)
    async with app.run_test(size=(80, 24)) as pilot:
        empty = app.screen.query_one("#runs-empty", Static)
        await wait_until(pilot, lambda: not empty.has_class("-hidden"))
        assert "--read-only" in str(empty.render())


async def test_enter_in_the_form_only_checks(empty_api, tmp_path):
    """Enter validates and shows the plan; nothing is queued until ctrl+s."""
    app = make_app(empty_api)
    async with app.run_test(size=(80, 24)) as pilot:
        form, experiment = await open_queue_form(app, pilot, tmp_path)
        await pilot.press("enter")
        ok = form.query_one("#queue-ok", Static)
        await wait_until(pilot, lambda: "mini is valid" in str(ok.render()))
        planned = empty_api.plan(empty_api.load_experiment(experiment))
        assert f"{len(planned)} runs" in str(ok.render()) and "ctrl+s" in str(ok.render())
        assert app.screen is form and empty_api.count_runs() == 0
