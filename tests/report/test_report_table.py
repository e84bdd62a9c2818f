"""The benchmark table's statistics: the t-interval of each mean, the difference to the baseline paired by seed with
its own t-interval (checked against numbers worked out by hand), the significance mark, one-seed tables, benchmarks
at chance, and the exports carrying the same columns."""

from __future__ import annotations

import csv
import io
import json

import pytest

from synvita.entities import BenchmarkResult, Run
from synvita.report.formats import CSV_FIELDS, SIGNIFICANT, format_table
from synvita.report.stats import t_interval, t_quantile_975
from synvita.report.table import build_table


def make_run(run_id: str, variant: str, seed: int) -> Run:
    return Run(id=run_id, experiment="exp", submission="s-1", stage="evaluate", variant=variant, seed=seed,
               status="succeeded", config={"seed": seed})


def table_of(values: dict[str, list[float]], benchmark: str = "qa-hard", chance: dict | None = None, **kwargs):
    """A table of one benchmark: `values[variant][i]` is the result of that variant's run with seed i."""
    runs, results = [], []
    for variant, per_seed in values.items():
        for seed, value in enumerate(per_seed):
            run = make_run(f"r-{variant}-{seed}", variant, seed)
            runs.append(run)
            results.append(BenchmarkResult(run_id=run.id, benchmark=benchmark, metric="accuracy", value=value))
    return build_table(runs, results, benchmarks=[benchmark], chance=chance, **kwargs)


def test_the_t_quantile_table():
    assert t_quantile_975(1) == 12.706 and t_quantile_975(2) == 4.303 and t_quantile_975(30) == 2.042
    assert t_quantile_975(35) == 2.042  # between tabulated values: the next smaller df's (wider) quantile
    assert t_quantile_975(1000) == 1.960
    assert t_interval([1.0]) is None


def test_the_paired_difference_and_its_interval_match_a_hand_computation():
    # seeds 0, 1, 2: baseline 60, 62, 61; synvita 63, 66, 62 → per-seed differences 3, 4, 1
    # mean 8/3 = 2.6667; sample variance ((1/3)² + (4/3)² + (5/3)²) / 2 = (42/9) / 2 = 7/3, s = 1.5275
    # half-width t(0.975, 2) · s / √3 = 4.303 · 0.8819 = 3.7949 → interval [−1.1282, 6.4616]: contains 0
    table = table_of({"none": [60.0, 62.0, 61.0], "synvita": [63.0, 66.0, 62.0]}, baseline="none")
    cell = table.rows[1].cells["qa-hard"]
    assert cell.delta == pytest.approx(8 / 3)
    assert cell.delta_n == 3
    assert cell.delta_low == pytest.approx(-1.1282, abs=1e-4) and cell.delta_high == pytest.approx(6.4616, abs=1e-4)
    assert not cell.significant
    # the mean's own interval: s of (63, 66, 62) = √(26/3 / 2) = 2.0817, 63.6667 ± 4.303 · 2.0817 / √3 = 63.6667 ± 5.1716
    assert cell.low == pytest.approx(58.4951, abs=1e-4) and cell.high == pytest.approx(68.8382, abs=1e-4)
    difference_line = next(line for line in format_table(table).splitlines() if "↑2.67" in line)
    assert difference_line.split() == ["↑2.67±3.79", "↑2.67±3.79"]  # qa-hard and the mean: no mark


def test_a_difference_whose_interval_excludes_zero_is_marked():
    # differences 3, 4, 2: mean 3, s = 1, half-width 4.303 / √3 = 2.4843 → [0.5157, 5.4843]: excludes 0
    table = table_of({"none": [60.0, 62.0, 61.0], "synvita": [63.0, 66.0, 63.0]}, baseline="none")
    cell = table.rows[1].cells["qa-hard"]
    assert cell.delta_low == pytest.approx(0.5157, abs=1e-4) and cell.significant
    assert "↑3.00±2.48" + SIGNIFICANT in format_table(table)


def test_pairing_is_by_seed_not_by_position():
    # the baseline's seed 1 is missing: synvita's seeds 0 and 2 pair with the baseline's 0 and 2 only
    runs = [make_run("r-b0", "none", 0), make_run("r-b2", "none", 2),
            make_run("r-s0", "synvita", 0), make_run("r-s1", "synvita", 1), make_run("r-s2", "synvita", 2)]
    values = {"r-b0": 50.0, "r-b2": 54.0, "r-s0": 51.0, "r-s1": 90.0, "r-s2": 57.0}
    results = [BenchmarkResult(run_id=k, benchmark="qa-hard", metric="accuracy", value=v) for k, v in values.items()]
    cell = build_table(runs, results, benchmarks=["qa-hard"]).rows[1].cells["qa-hard"]
    assert cell.delta_n == 2 and cell.delta == pytest.approx(2.0)  # (51 − 50 + 57 − 54) / 2


def test_a_one_seed_table_says_so_and_marks_nothing():
    table = table_of({"none": [60.0], "synvita": [70.0]}, baseline="none", chance={"qa-hard": 20.0})
    assert table.one_seed
    cell = table.rows[1].cells["qa-hard"]
    assert cell.delta == pytest.approx(10.0) and cell.delta_low is None and not cell.significant
    for fmt in ("text", "md", "latex"):
        out = format_table(table, fmt)
        assert "one seed: no intervals, differences are not tested" in out
        assert SIGNIFICANT not in out and "dagger" not in out
    assert table.at_chance == []  # without intervals nothing can be told to be at chance


def test_a_benchmark_at_chance_is_named_and_left_out_of_the_mean():
    runs, results = [], []
    for variant, base in (("none", 0.0), ("synvita", 1.0)):
        for seed in range(3):
            run = make_run(f"r-{variant}-{seed}", variant, seed)
            runs.append(run)
            results += [
                BenchmarkResult(run_id=run.id, benchmark="entail-human-hard", metric="auc", value=49.0 + seed + base),
                BenchmarkResult(run_id=run.id, benchmark="qa-hard", metric="accuracy", value=70.0 + seed + base),
            ]
    table = build_table(runs, results, benchmarks=["entail-human-hard", "qa-hard"],
                        chance={"entail-human-hard": 50.0, "qa-hard": 20.0})
    assert table.at_chance == ["entail-human-hard"]
    assert table.rows[0].cells["mean"].values == [70.0, 71.0, 72.0]  # qa-hard alone
    text = format_table(table)
    assert "chance: entail-human-hard 50.00, qa-hard 20.00" in text
    assert "at chance (every row's interval contains chance): entail-human-hard; left out of mean" in text


def test_every_export_carries_the_interval_and_paired_difference_columns():
    table = table_of({"none": [60.0, 62.0, 61.0], "synvita": [63.0, 66.0, 63.0]}, baseline="none",
                     chance={"qa-hard": 20.0})
    rows = list(csv.DictReader(io.StringIO(format_table(table, "csv"))))
    assert {f"qa-hard:{field}" for field in CSV_FIELDS} <= set(rows[0])
    assert rows[1]["qa-hard:delta_low"] == "0.5157" and rows[1]["qa-hard:significant"] == "1"
    assert rows[1]["qa-hard:delta_n"] == "3" and rows[0]["qa-hard:low"] != ""
    data = json.loads(format_table(table, "json"))
    cell = data["rows"][1]["cells"]["qa-hard"]
    assert cell["significant"] and cell["delta_low"] == pytest.approx(0.5157, abs=1e-4)
    assert data["chance"] == {"qa-hard": 20.0} and data["at_chance"] == [] and not data["one_seed"]
    assert "t(0.975, n−1)" in data["interval_rule"]
    md, latex = format_table(table, "md"), format_table(table, "latex")
    # synvita's mean: 64 ± 4.303 · √3 / √3 → [59.70, 68.30]
    assert "(↑3.00±2.48†)" in md and "[59.70,68.30]" in md
    assert r"$\uparrow$3.00$\pm$2.48$^\dagger$" in latex and "[59.70,68.30]" in latex


HUMAN_HARD_REFERENCE = {"entail-human-hard": {"chance": 50.0, "chance_low": 46.8, "chance_high": 53.8, "oracle": 100.0}}


def test_with_a_chance_band_one_seed_inside_it_is_at_chance_and_every_format_shows_chance_band_and_oracle():
    table = table_of({"none": [50.2], "naive": [48.9], "synvita": [49.5]}, benchmark="entail-human-hard",
                     baseline="none", chance={"entail-human-hard": 50.0}, references=HUMAN_HARD_REFERENCE)
    assert table.at_chance == ["entail-human-hard"]
    assert "mean" not in table.rows[0].cells  # its only benchmark is at chance: nothing left to average
    assert table.chance_band == {"entail-human-hard": (46.8, 53.8)} and table.oracle == {"entail-human-hard": 100.0}
    reference = "entail-human-hard 50.00 [46.80,53.80] / 100.00"
    for fmt in ("text", "md", "latex"):
        out = format_table(table, fmt).replace("\n  ", " ")  # the text footer wraps
        assert reference in out
        assert "at chance (every row within the chance band" in out and "entail-human-hard; left out of mean" in out
    rows = {r["row"]: r for r in csv.DictReader(io.StringIO(format_table(table, "csv")))}
    assert rows["(chance)"]["entail-human-hard:mean"] == "50.0000" and rows["(chance)"]["entail-human-hard:low"] == "46.8000"
    assert rows["(oracle)"]["entail-human-hard:mean"] == "100.0000"
    data = json.loads(format_table(table, "json"))
    assert data["chance_band"] == {"entail-human-hard": [46.8, 53.8]} and data["oracle"] == {"entail-human-hard": 100.0}


def test_a_row_outside_the_chance_band_keeps_the_benchmark_in_the_mean():
    table = table_of({"none": [50.2, 49.8], "synvita": [56.0, 57.0]}, benchmark="entail-human-hard",
                     chance={"entail-human-hard": 50.0}, references=HUMAN_HARD_REFERENCE)
    assert table.at_chance == ["entail-human-hard"]  # synvita's interval 56.5 ± 6.35 still reaches into the band
    table = table_of({"none": [50.2, 49.8], "synvita": [56.0, 56.2]}, benchmark="entail-human-hard",
                     chance={"entail-human-hard": 50.0}, references=HUMAN_HARD_REFERENCE)
    assert table.at_chance == [] and table.rows[1].cells["mean"].mean == pytest.approx(56.1)
