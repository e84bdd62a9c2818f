"""The TUI's pure text helpers: filter syntax, durations, progress bars, log collapsing."""

import pytest

from synvita.entities import RunEvent
from tui.formatting import (
    FILTER_KEYS,
    FilterSyntaxError,
    collapse_log,
    format_duration,
    format_filter,
    merge_collapsed,
    parse_filter,
    progress_bar,
    sparkline,
)


def ev(seq, kind, **data):
    return RunEvent("r-1", seq, 0.0, kind, data)


class TestFilter:
    def test_keys_prefixes_and_free_text(self):
        """Known keys (or a unique prefix) become store filters; everything else is free text."""
        assert parse_filter("stat:running exp:quickstart gen:procedural lr 0.1") == {
            "status": "running", "experiment": "quickstart", "generator": "procedural", "text": "lr 0.1",
        }

    def test_variant_key(self):
        """`variant:` (or `var:`, `v:`) filters by training variant, next to the other keys."""
        assert parse_filter("v:synvita stag:train") == {"variant": "synvita", "stage": "train"}
        assert parse_filter("variant:none r-00") == {"variant": "none", "text": "r-00"}

    def test_every_key_is_in_the_help(self):
        from tui.screens.help import HELP_TEXT

        assert all(f"`{key}:" in HELP_TEXT for key in FILTER_KEYS)

    def test_round_trip(self):
        filters = {"status": "failed", "stage": "train", "variant": "naive", "text": "synvita"}
        assert parse_filter(format_filter(filters)) == filters

    def test_unknown_status_is_an_error(self):
        with pytest.raises(FilterSyntaxError, match="unknown status 'runing'"):
            parse_filter("status:runing")

    def test_ambiguous_key_is_an_error(self):
        with pytest.raises(FilterSyntaxError, match="ambiguous"):
            parse_filter("st:train")

    def test_empty_value_is_an_error(self):
        with pytest.raises(FilterSyntaxError, match="has no value"):
            parse_filter("experiment:")


def test_durations_and_bars():
    assert [format_duration(s) for s in (None, 5, 65, 3720)] == ["—", "5s", "1m05s", "1h02m"]
    assert progress_bar(None) == ""
    assert progress_bar(0.5, width=4) == "██    50%"
    assert progress_bar(1.0, width=3) == "███ 100%"
    assert sparkline([0, 1, 2, 4]) == " ▂▄█"


class TestLogCollapse:
    def test_progress_runs_collapse_to_the_latest(self):
        events = [ev(0, "log", msg="start")] + [ev(i, "progress", done=i, total=4, msg="x") for i in range(1, 5)]
        events.append(ev(5, "log", msg="done"))
        assert collapse_log(events) == ["start", "[progress] 4/4 100% x", "done"]

    def test_carriage_returns_show_what_the_terminal_shows(self):
        assert collapse_log([ev(0, "log", msg="10%\r50%\r100%\nnext")]) == ["100%", "next"]

    def test_metrics_are_left_to_the_curves(self):
        events = [ev(0, "progress", done=1, total=2), ev(1, "metric", name="loss", value=1.0, step=0),
                  ev(2, "progress", done=2, total=2)]
        assert collapse_log(events) == ["[progress] 2/2 100%"]

    def test_collapse_continues_across_polls(self):
        lines, in_progress = merge_collapsed([], False, [ev(0, "log", msg="a"), ev(1, "progress", done=1, total=3)])
        lines, in_progress = merge_collapsed(lines, in_progress, [ev(2, "progress", done=2, total=3)])
        assert lines == ["a", "[progress] 2/3  67%"]
        lines, in_progress = merge_collapsed(lines, in_progress, [ev(3, "log", level="error", msg="boom")])
        assert lines == ["a", "[progress] 2/3  67%", "[error] boom"] and not in_progress
