"""Chance level, chance band and oracle of a benchmark, through its own metric code: the oracle is the best any
function of (video, caption) can score, below 100 only where the set repeats a pair with different truths."""

from __future__ import annotations

import numpy as np
import pytest

from synvita.benchmarks.reference import Reference, parse_metric, reference, references_from_metrics
from synvita.benchmarks.world import EntailLLM, QAHard, RetrievalTemporal
from synvita.data.types import EntailmentSet, QASet, RetrievalSet


def entailment_set(videos, captions, labels) -> EntailmentSet:
    n = len(labels)
    return EntailmentSet(video=np.asarray(videos), caption=list(captions), label=np.asarray(labels),
                         misalignment=["object"] * n, hard=np.zeros(n, bool), held_out=np.zeros(n, bool))


def test_the_entailment_oracle_is_perfect_unless_a_pair_repeats_with_both_labels():
    rows = entailment_set([0, 0, 1, 1], ["a", "b", "a", "b"], [1, 0, 0, 1])
    assert reference(EntailLLM(), rows).oracle == 100.0
    # video 0 with caption "a" is asked twice, once true and once false: the oracle scores both 0.5. Positives
    # score (0.5, 1), negatives (0.5, 0, 0): of the 6 (positive, negative) pairs one ties (½), five are won
    rows = entailment_set([0, 0, 0, 1, 1], ["a", "a", "b", "a", "b"], [1, 0, 0, 0, 1])
    assert reference(EntailLLM(), rows).oracle == pytest.approx(100 * 5.5 / 6)


def test_the_qa_oracle_loses_a_question_whose_answer_repeats_an_earlier_option():
    qa = QASet(video=np.array([0, 1]), statements=[["a", "b", "c", "d", "e"], ["x", "y", "x", "v", "w"]],
               answer=np.array([2, 2]))
    # question 1's answer "x" (option 2) is also option 0: both score 0.5, the first maximum (option 0) wins
    assert reference(QAHard(), qa).oracle == pytest.approx(50.0)


def test_the_retrieval_chance_level_is_the_expected_average_precision_of_a_random_ranking():
    q, k = 4, 3
    n = q * k
    relevant = np.zeros((q, n), dtype=bool)
    for i in range(q):
        relevant[i, i * k:(i + 1) * k] = True
    rs = RetrievalSet(queries=[f"query {i}" for i in range(q)], gallery=np.arange(n), relevant=relevant)
    ref = reference(RetrievalTemporal(), rs, draws=2000)
    harmonic = sum(1 / i for i in range(1, n + 1))
    # E[AP] of R positives among N randomly ranked videos: H_N/N + (R−1)(N−H_N)/(N(N−1))
    expected = 100 * (harmonic / n + (k - 1) * (n - harmonic) / (n * (n - 1)))
    assert ref.oracle == 100.0
    assert ref.chance == pytest.approx(expected, abs=1.0)
    assert ref.chance_low < ref.chance < ref.chance_high


def test_the_auc_chance_band_is_about_the_mann_whitney_null_spread():
    n = 200
    rows = entailment_set(np.arange(2 * n) // 2, [f"c{i}" for i in range(2 * n)], [1, 0] * n)
    ref = reference(EntailLLM(), rows, draws=400)
    half = 1.96 * 100 * np.sqrt((2 * n + 1) / (12 * n * n))  # the null sd of the AUC, ×1.96
    assert ref.chance == pytest.approx(50.0, abs=0.5)
    assert (ref.chance_high - ref.chance_low) / 2 == pytest.approx(half, rel=0.2)


def test_reference_metrics_round_trip_and_the_first_run_gives_each_number():
    ref = Reference(chance=50.0, chance_low=47.0, chance_high=53.0, oracle=100.0)
    metrics = ref.as_metrics("entail-human-hard")
    assert metrics["reference/entail-human-hard/chance-low"] == 47.0
    assert parse_metric("reference/entail-human-hard/oracle") == ("entail-human-hard", "oracle")
    assert parse_metric("loss_real") is None and parse_metric("reference/x/other") is None
    later = Reference(chance=51.0, chance_low=48.0, chance_high=54.0, oracle=99.0).as_metrics("entail-human-hard")
    assert references_from_metrics([{**metrics, "evaluate_s": 3.0}, later]) == {
        "entail-human-hard": {"chance": 50.0, "chance_low": 47.0, "chance_high": 53.0, "oracle": 100.0}
    }
