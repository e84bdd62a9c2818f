"""synvita.report's weight summaries: groups, the adaptive Δ range and the text rendering."""

from __future__ import annotations

import pytest

from synvita import report
from synvita.entities import SampleWeight


def test_a_summary_without_ground_truth_has_no_faithfulness_split():
    summary = report.summarize_weights("r", [SampleWeight("r", "s", "g", "count", 0.5, 0.4, 0.1)])
    assert summary.by_faithful == {} and summary.faithful_auroc == {}
    assert summary.overall.count == 1 and summary.overall.std is None


def test_diff_histogram_range_adapts_to_the_data():
    narrow = [SampleWeight("r", f"s{i}", "g", "flip", 0.5 + d, 0.5, max(0.0, d)) for i, d in enumerate([-0.04, 0.0, 0.03])]
    assert report.summarize_weights("r", narrow, bins=4).overall.diff_hist.edges[-1] == 1.0  # the API default
    summary = report.summarize_weights("r", narrow, bins=4, diff_range=None)
    assert summary.overall.diff_hist.edges == pytest.approx([-0.05, -0.025, 0.0, 0.025, 0.05])
    assert summary.by_type["flip"].diff_hist.counts == [1, 0, 1, 1]
    assert "−0.05 … 0.05" in report.format_weights(summary)
    wide = narrow + [SampleWeight("r", "w", "g", "count", 0.9, 0.1, 0.8)]
    assert report.summarize_weights("r", wide, diff_range=None).overall.diff_hist.edges[-1] == 1.0


def test_negative_mean_difference_is_red_only_with_colour():
    samples = [SampleWeight("r", f"s{i}", "g", "flip", 0.4, 0.5, 0.0) for i in range(3)]
    summary = report.summarize_weights("r", samples)
    assert "\x1b[31m" in report.format_weights(summary, color=True)
    assert "\x1b[" not in report.format_weights(summary)
