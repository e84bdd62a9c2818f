"""Pilot tests at the two terminal sizes the TUI promises, 80×24 and 100×30: what must stay on screen, `w`'s
lineage to the score run, and the runs table's in-place refresh (no full redraw per poll)."""

from __future__ import annotations

import pytest
from test_flows import filter_runs, table_ids, wait_until
from textual.widgets import Log

from tui.app import make_app
from tui.screens.compare import CompareScreen
from tui.screens.run_detail import RunDetailScreen
from tui.screens.weights import WeightsScreen
from tui.widgets.compare_grid import CompareGrid
from tui.widgets.runs_table import RunsTable

SIZES = [(80, 24), (100, 30)]


def screen_lines(app) -> list[str]:
    """The screen as the terminal shows it, one string per row (from the compositor's last frame)."""
    return ["".join(segment.text for segment in strip) for strip in app.screen._compositor.render_strips()]


async def settle(pilot) -> None:
    for _ in range(3):
        await pilot.app.workers.wait_for_complete()
        await pilot.pause(0.05)


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
class TestCompareColumns:
    async def test_variant_and_mean_stay_while_benchmarks_scroll(self, size, demo_api, frozen_clock, monkeypatch):
        """Two experiments (long row names) with NO_COLOR: the variant and mean columns are on screen at every
        scroll position, and a plain-text cue says how many benchmark columns are out of view on each side."""
        monkeypatch.setenv("NO_COLOR", "1")
        app = make_app(demo_api, clock=frozen_clock, poll_interval_s=60.0)
        async with app.run_test(size=size) as pilot:
            app.open_compare(experiments=["quickstart", "quickstart-lavie"])
            screen = app.screen
            assert isinstance(screen, CompareScreen)
            await wait_until(pilot, lambda: screen.table is not None)
            grid = screen.query_one(CompareGrid)
            await wait_until(pilot, lambda: "more ▶" in grid.cue)
            lavie_synvita = next(r for r in screen.table.rows if r.label == "quickstart-lavie · synvita · lavie-like")
            mean_text = f"{lavie_synvita.cells['mean'].mean:.2f}"
            for presses in range(8):
                await settle(pilot)
                lines = screen_lines(app)
                header = next(line for line in lines if line.lstrip().startswith("variant "))
                assert "mean" in header, f"after {presses} × →: {header!r}"
                assert any("quickstart-lavie" in line and mean_text in line for line in lines)
                assert any(grid.cue in line for line in lines) and grid.cue
                await pilot.press("right")
            assert grid.cue.startswith("◀ ") and "more ▶" not in grid.cue  # scrolled to the last column
            assert grid.hidden_columns()[1] == 0
            await pilot.press("left")
            await settle(pilot)
            assert "more ▶" in grid.cue


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
class TestWeightsLineage:
    async def test_w_on_a_train_run_shows_its_score_runs_weights(self, size, demo_api, demo_db, frozen_clock):
        app = make_app(demo_api, clock=frozen_clock, poll_interval_s=60.0)
        ids = demo_db[1]
        async with app.run_test(size=size) as pilot:
            await filter_runs(pilot, "stag:train var:naive")
            await wait_until(pilot, lambda: table_ids(app) == [ids["train-naive"]])
            await pilot.press("w")
            screen = app.screen
            assert isinstance(screen, WeightsScreen)
            await wait_until(pilot, lambda: screen.summary is not None)
            assert screen.source.id == ids["score"] and screen.summary.count == 1400
            await settle(pilot)
            text = "\n".join(screen_lines(app))
            assert f"score run {ids['score']}" in text and f"train run {ids['train-naive']}" in text
            assert "hallucination" in text  # the per-type table is on screen

    async def test_w_on_a_none_variant_run_says_why_in_one_line(self, size, demo_api, demo_db, frozen_clock):
        app = make_app(demo_api, clock=frozen_clock, poll_interval_s=60.0)
        async with app.run_test(size=size) as pilot:
            app.open_run(demo_db[1]["train-none"])
            await settle(pilot)
            await pilot.press("w")
            screen = app.screen
            await wait_until(pilot, lambda: screen.run is not None)
            assert screen.source is None and screen.summary is None
            text = " ".join(line.strip() for line in screen_lines(app))
            assert "variant none" in text and "no synthetic data" in text


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
class TestEveryScreenFits:
    async def test_runs_detail_and_help(self, size, demo_api, demo_db, frozen_clock):
        """Runs: the status, progress and metric columns show; run detail: the curves and the log share the
        height; help opens and closes."""
        app = make_app(demo_api, clock=frozen_clock, poll_interval_s=60.0)
        async with app.run_test(size=size) as pilot:
            await settle(pilot)
            header = next(line for line in screen_lines(app) if line.startswith("id "))
            assert all(column in header for column in ("status", "progress", "metric"))
            app.open_run(demo_db[1]["running"])
            await settle(pilot)
            assert isinstance(app.screen, RunDetailScreen)
            await pilot.press("3")
            await settle(pilot)
            plot, log = app.screen.query_one("#curves-plot"), app.screen.query_one("#curves-log", Log)
            assert plot.region.height >= 8 and log.region.height >= 3
            assert plot.region.bottom <= log.region.y and log.region.bottom <= size[1] - 1  # above the footer
            assert log.line_count > 0
            text = "\n".join(screen_lines(app))
            assert "[progress] 16/40" in text and "loss_real" in text
            await pilot.press("question_mark")
            await pilot.pause(0.1)
            assert type(app.screen).__name__ == "HelpScreen" and "synvita TUI" in "\n".join(screen_lines(app))
            await pilot.press("escape")
            assert isinstance(app.screen, RunDetailScreen)


class TestRunsTableRefresh:
    async def test_a_poll_repaints_only_the_cells_that_changed(self, demo_api, frozen_clock):
        """The same page again repaints nothing; a ticking duration repaints that one cell; a new run on top
        rewrites the rows in place (no clear, no rebuild) and the cursor stays on the run it was on."""
        now = [frozen_clock()]
        app = make_app(demo_api, clock=lambda: now[0], poll_interval_s=60.0)
        async with app.run_test(size=(80, 24)) as pilot:
            await settle(pilot)
            table = app.screen.query_one(RunsTable)
            newest_first = demo_api.list_runs(limit=11)
            runs = newest_first[1:]
            table.show_runs(runs)
            await settle(pilot)
            table.move_cursor(row=3)
            on_cursor = table.selected_run_id
            repaints: list[tuple] = []
            cleared: list[bool] = []
            original_refresh, original_clear = table.refresh, table.clear
            table.refresh = lambda *regions, **kw: (repaints.append(regions), original_refresh(*regions, **kw))[1]
            table.clear = lambda *a, **kw: (cleared.append(True), original_clear(*a, **kw))[1]

            table.show_runs(runs)
            assert repaints == []

            now[0] += 1  # one second later: only the running run's duration changes
            table.show_runs(runs)
            assert len(repaints) == 1 and len(repaints[0]) == 1  # one region: one cell
            assert repaints[0][0].height == 1 and repaints[0][0].width == 7  # the `time` column

            repaints.clear()
            table.show_runs(newest_first[:10])  # a run newer than the page arrives on top
            assert not cleared and all(len(regions) == 1 for regions in repaints)
            assert table.selected_run_id == on_cursor and table.cursor_row == 4
            assert table.row_count == 10

    async def test_a_detail_poll_leaves_unchanged_parts_alone(self, demo_api, demo_db, frozen_clock):
        """Polling a running run rewrites its fields, but not the config, artifacts, results or curves it
        already shows."""
        app = make_app(demo_api, clock=frozen_clock, poll_interval_s=60.0)
        async with app.run_test(size=(80, 24)) as pilot:
            app.open_run(demo_db[1]["running"])
            await settle(pilot)
            screen = app.screen
            rewritten: list[str] = []
            rewrites = {"#detail-config": "update", "#detail-artifacts": "clear", "#detail-results": "clear",
                        "#curves-plot": "refresh"}
            for selector, method in rewrites.items():
                widget = screen.query_one(selector)
                original = getattr(widget, method)

                def spy(*args, _selector=selector, _original=original, **kwargs):
                    rewritten.append(_selector)
                    return _original(*args, **kwargs)

                setattr(widget, method, spy)
            screen.refresh_all()
            await settle(pilot)
            assert rewritten == []
