"""SVG snapshots of every screen at 80×24 and 100×30 on the deterministic demo database (ids, timestamps and the
clock are fixed).

Update after an intended change with `pytest tests/tui/test_snapshots.py --snapshot-update` and look at the
report. These SVGs are also the screenshots of docs/tui.md and the README, which link to `__snapshots__/`.
"""

from __future__ import annotations

import pytest
from textual.widgets import Input

from seed import MINI_EXPERIMENT
from tui.app import make_app


SIZES = [(80, 24), (100, 30)]
"""The smallest terminal the TUI promises to be usable in, and a common larger one."""
SIZE_IDS = ["80x24", "100x30"]
SIZE = (100, 30)
"""For a screen shown at one size only (the confirmation modal)."""


def at_both_sizes(test):
    """Run a snapshot test once per terminal size in SIZES (it takes a `size` argument)."""
    return pytest.mark.parametrize("size", SIZES, ids=SIZE_IDS)(test)


async def settle(pilot) -> None:
    """Wait for the thread workers that load data, then for the screen to repaint; hide the tmp database path."""
    for _ in range(3):
        await pilot.app.workers.wait_for_complete()
        await pilot.pause(0.1)
    pilot.app.sub_title = "demo.db"
    await pilot.pause(0.05)


@pytest.fixture
def demo_app(demo_api, frozen_clock):
    return make_app(demo_api, clock=frozen_clock, poll_interval_s=60.0)


class TestRunsScreen:
    @at_both_sizes
    def test_runs_list(self, snap_compare, demo_app, size):
        """The home screen: newest runs first, live status and progress, durations against the frozen clock."""
        assert snap_compare(demo_app, terminal_size=size, run_before=settle)

    @at_both_sizes
    def test_filtered(self, snap_compare, demo_app, size):
        """`/` with a stage and an experiment filter."""

        async def run_before(pilot):
            await pilot.press("slash")
            pilot.app.screen.query_one("#runs-filter", Input).value = "stage:evaluate exp:quickstart"
            await pilot.press("enter")
            await settle(pilot)

        assert snap_compare(demo_app, terminal_size=size, run_before=run_before)

    def test_empty_database(self, snap_compare, empty_api):
        """An empty database says what to do next."""
        assert snap_compare(make_app(empty_api), terminal_size=(80, 24), run_before=settle)

    def test_confirm_cancel(self, snap_compare, demo_app):
        """`c` asks before cancelling."""

        async def run_before(pilot):
            await settle(pilot)
            await pilot.press("down", "c")
            await pilot.pause(0.1)

        assert snap_compare(demo_app, terminal_size=SIZE, run_before=run_before)


class TestQueueForm:
    @at_both_sizes
    def test_form_with_an_error(self, snap_compare, demo_app, tmp_path, monkeypatch, size):
        """The queue form shows the spec validator's one-line error inline."""
        (tmp_path / "mini.toml").write_text(MINI_EXPERIMENT)
        monkeypatch.chdir(tmp_path)  # a test-owned experiment, named by a path that is the same in every run

        async def run_before(pilot):
            await settle(pilot)
            await pilot.press("n")
            await pilot.pause(0.1)
            pilot.app.screen.query_one("#queue-experiment", Input).value = "mini.toml"
            pilot.app.screen.query_one("#queue-experiment", Input).cursor_blink = False
            pilot.app.screen.query_one("#queue-overrides", Input).value = "train.lamda_scr=2"
            pilot.app.screen.query_one("#queue-overrides", Input).cursor_blink = False
            await pilot.press("ctrl+t")
            await settle(pilot)

        assert snap_compare(demo_app, terminal_size=size, run_before=run_before)


class TestRunDetail:
    @at_both_sizes
    @pytest.mark.parametrize("tab", ["1", "2", "3", "4", "5"])
    def test_tabs(self, snap_compare, demo_app, demo_db, tab, size):
        """Run detail of the running train run: overview, log tail, curves, artifacts, results (keys 1–5)."""
        run_id = demo_db[1]["running"] if tab != "5" else demo_db[1]["eval-synvita-1"]

        async def run_before(pilot):
            pilot.app.open_run(run_id)
            await settle(pilot)
            await pilot.press(tab)
            await settle(pilot)

        assert snap_compare(demo_app, terminal_size=size, run_before=run_before)


class TestWeights:
    @at_both_sizes
    @pytest.mark.parametrize("groupings", [0, 1, 2])
    def test_groupings(self, snap_compare, demo_app, demo_db, groupings, size):
        """ω of the score run by misalignment type (the paper figure), by generator, by ground-truth faithful."""

        async def run_before(pilot):
            pilot.app.open_weights(demo_db[1]["score"])
            await settle(pilot)
            for _ in range(groupings):
                await pilot.press("g")
            await pilot.press("down", "down", "down", "down")
            await settle(pilot)

        assert snap_compare(demo_app, terminal_size=size, run_before=run_before)

    @at_both_sizes
    def test_of_a_train_run(self, snap_compare, demo_app, demo_db, size):
        """`w` on a train run: the weights of the score run it used, named in the headline."""

        async def run_before(pilot):
            pilot.app.open_run(demo_db[1]["train-synvita"])
            await settle(pilot)
            await pilot.press("w")
            await settle(pilot)

        assert snap_compare(demo_app, terminal_size=size, run_before=run_before)


class TestCompare:
    @at_both_sizes
    def test_one_experiment(self, snap_compare, demo_app, size):
        """Paper-style table of one experiment: mean ± std over two seeds, deltas vs none, best in bold."""

        async def run_before(pilot):
            pilot.app.open_compare(experiments=["quickstart"])
            await settle(pilot)

        assert snap_compare(demo_app, terminal_size=size, run_before=run_before)

    @at_both_sizes
    def test_two_experiments(self, snap_compare, demo_app, size):
        """Two experiments, with the shuffled-video control columns scrolled into view past the fixed variant and
        mean columns."""

        async def run_before(pilot):
            pilot.app.open_compare(experiments=["quickstart", "quickstart-lavie"])
            await settle(pilot)
            await pilot.press("x")
            await settle(pilot)
            await pilot.press("right", "right", "right")
            await settle(pilot)

        assert snap_compare(demo_app, terminal_size=size, run_before=run_before)


@at_both_sizes
def test_help(snap_compare, demo_app, size):
    """`?` lists the keys of every screen."""

    async def run_before(pilot):
        await settle(pilot)
        await pilot.press("question_mark")
        await pilot.pause(0.2)

    assert snap_compare(demo_app, terminal_size=size, run_before=run_before)
