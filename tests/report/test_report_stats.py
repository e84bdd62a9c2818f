"""synvita.report's statistics and text helpers: AUROC as the benchmarks compute it, ddof-1 std, quantiles, bars."""

from __future__ import annotations

import json
import math
import subprocess
import sys

import pytest

from synvita import report
from synvita.benchmarks.metrics import roc_auc


def test_auroc_matches_sklearn_and_the_benchmark_metric_with_ties():
    from sklearn.metrics import roc_auc_score

    pos = [0.9, 0.5, 0.5, 0.1, 0.7]
    neg = [0.5, 0.2, 0.0, 0.5]
    labels = [1] * len(pos) + [0] * len(neg)
    assert report.auroc(pos, neg) == pytest.approx(roc_auc_score(labels, pos + neg))
    assert report.auroc(pos, neg) == roc_auc(labels, pos + neg)
    assert report.auroc([0.3, 0.3], [0.3]) == 0.5


def test_auroc_is_none_when_a_class_is_empty():
    assert report.auroc([], [0.5]) is None
    assert report.auroc([0.5], []) is None


def test_sample_std_uses_ddof_1():
    assert report.sample_std([]) is None and report.sample_std([1.0]) is None
    assert report.sample_std([1.0, 3.0]) == pytest.approx(math.sqrt(2))
    assert report.sample_std([2.0, 4.0, 4.0, 4.0, 5.0, 5.0, 7.0, 9.0]) == pytest.approx(math.sqrt(32 / 7))


def test_quantile_interpolates_linearly():
    assert report.quantile([0.0, 1.0, 2.0, 3.0], 0.5) == pytest.approx(1.5)
    assert report.quantile([0.0, 1.0, 2.0, 3.0], 0.9) == pytest.approx(2.7)
    assert report.quantile([], 0.5) is None


def test_sparkline_in_eighth_blocks():
    assert report.sparkline([0, 4, 8]) == [" " + report.BLOCKS[4] + report.BLOCKS[8]]
    tall = report.sparkline([1, 8], height=2)
    assert len(tall) == 2 and tall[0][1] == report.BLOCKS[8] and tall[1][0] == report.BLOCKS[2]  # 1/8 of two rows = 2 eighths


def test_a_faithfulness_summary_loads_no_ml_package():
    """The AUROC comes from synvita.benchmarks.metrics: importing it must not pull torch into `synvita weights`."""
    code = (
        "import sys, json\n"
        "from synvita import report\n"
        "from synvita.entities import SampleWeight\n"
        "samples = [SampleWeight('r', 'a', 'g', 'flip', 0.6, 0.5, 0.1, True), SampleWeight('r', 'b', 'g', 'flip', 0.5, 0.6, 0.0, False)]\n"
        "assert report.summarize_weights('r', samples).faithful_auroc['all'] == 1.0\n"
        "print(json.dumps(sorted(m for m in ('torch', 'diffusers', 'transformers', 'textual') if m in sys.modules)))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert json.loads(out) == []
