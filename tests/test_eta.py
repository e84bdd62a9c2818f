"""The ETA rule shared by `synvita run`'s progress bar and the TUI's runs screen (synvita.progress)."""

import pytest

from synvita.api.runs import SubmissionProgress
from synvita.entities import Run
from synvita.progress import remaining_seconds


def test_waiting_runs_cost_their_stage_mean_running_ones_what_is_left_shared_by_the_lanes():
    costs = {"train": [100.0, 200.0], "evaluate": [10.0]}
    # 2 trains waiting (150 each) + 1 evaluate waiting (10) + a train 60 s in (90 left) + a world run, a stage that
    # never finished, at the mean of every finished run (310 / 3) minus 20 s; two lanes
    left = remaining_seconds(costs, {"train": 2, "evaluate": 1}, [("train", 60.0), ("world", 20.0)], lanes=2)
    assert left == pytest.approx((2 * 150 + 10 + 90 + (310 / 3 - 20)) / 2)


def test_no_estimate_before_a_run_finished_and_never_negative():
    assert remaining_seconds({}, {"train": 3}, [], 1) is None
    assert remaining_seconds({"train": [10.0]}, {}, [("train", 50.0)], 1) == 0.0


def _run(i, stage, status, started=None, finished=None):
    return Run(id=f"r-{i}", experiment="e", submission="s", stage=stage, status=status, started_at=started,
               finished_at=finished)


def test_a_submission_s_eta_comes_from_its_recorded_run_times():
    runs = [_run(1, "world", "succeeded", 0.0, 30.0), _run(2, "train", "succeeded", 30.0, 130.0),
            _run(3, "train", "running", 130.0), _run(4, "evaluate", "queued")]
    progress = SubmissionProgress("s", 4, {"succeeded": 2, "running": 1, "queued": 1}, [runs[2]], [], runs)
    # the running train has 100 − 40 s left; the evaluate has no finished run of its stage: the mean of all, 65 s
    assert progress.eta_s(now=170.0) == pytest.approx(60.0 + 65.0)
    assert progress.done == 2
