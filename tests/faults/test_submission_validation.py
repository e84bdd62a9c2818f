"""Everything a spec or a flag sets is checked at submission, one line per problem, nothing enqueued: learning
rates finite and in (0, 1], step counts and sizes ≥ 1, no NaN or infinity anywhere, world overrides known and of
the right type, and a worker's parallelism ≥ 1."""

from __future__ import annotations

import pytest
from faults_helpers import assert_one_line_error, synvita_cli

from synvita.errors import UserInputError
from synvita.runs.executors import LocalExecutor, SlurmExecutor
from synvita.specs import spec_from_dict


def _spec(**sections):
    return spec_from_dict({"name": "t", "world": {"preset": "tiny"}, **sections})


@pytest.mark.parametrize("section", ["train", "scorers"])
@pytest.mark.parametrize("lr", [float("nan"), float("inf"), -1e-3, 0.0, 1e9, 1.5])
def test_a_learning_rate_outside_0_1_or_not_finite_is_refused(section, lr):
    with pytest.raises(UserInputError, match=rf"{section}\.lr"):
        _spec(**{section: {"lr": lr}})


def test_learning_rates_up_to_1_are_accepted():
    spec = _spec(train={"lr": 1.0}, scorers={"lr": 1e-5})
    assert spec.section("train").lr == 1.0


@pytest.mark.parametrize("key, value", [
    ("train.steps", 0), ("train.steps", -3), ("scorers.steps", 0), ("scorers.batch_size", 0),
    ("train.batch_size", -1), ("generation.num_frames", 0), ("generation.height", -16), ("train.epochs", 0.0),
    ("train.margin", float("nan")), ("train.lambda_scr", float("inf")), ("generation.guidance", float("nan")),
    ("train.broken_time", float("nan")),
])
def test_counts_below_1_and_non_finite_numbers_are_refused(key, value):
    section, attr = key.split(".")
    with pytest.raises(UserInputError, match=key.replace(".", r"\.")):
        _spec(**{section: {attr: value}})


def test_unknown_world_overrides_are_refused_at_submission():
    with pytest.raises(UserInputError, match="bogus"):
        _spec(world={"preset": "tiny", "overrides": {"bogus": 1}})


@pytest.mark.parametrize("overrides", [{"frames": "eight"}, {"frames": 7}, {"motion_px": float("nan")},
                                       {"held_out_colours": "purple"}])
def test_world_overrides_of_the_wrong_type_or_value_are_refused(overrides):
    with pytest.raises(UserInputError, match="world.overrides"):
        _spec(world={"preset": "tiny", "overrides": overrides})


def test_a_swept_world_override_is_checked_too():
    with pytest.raises(UserInputError, match="bogus"):
        spec_from_dict({"name": "t", "world": {"preset": "tiny"}, "sweep": {"world.overrides": [{"frames": 8}, {"bogus": 1}]}})


def test_valid_world_overrides_pass():
    spec = _spec(world={"preset": "tiny", "overrides": {"frames": 8, "held_out_colours": ["purple"], "motion_px": 10}})
    assert spec.section("world").overrides["frames"] == 8


@pytest.mark.parametrize("parallel", [0, -1, 2.5, "4"])
@pytest.mark.parametrize("executor", [LocalExecutor, SlurmExecutor])
def test_parallelism_below_1_is_refused(executor, parallel):
    with pytest.raises(UserInputError, match="parallel"):
        executor(max_parallel=parallel)


def test_synvita_run_refuses_lr_1e9_and_enqueues_nothing(tmp_path):
    db = tmp_path / "x.db"
    result = synvita_cli("--db", db, "run", "quickstart", "--detach", "--set", "train.lr=1e9")
    assert_one_line_error(result, 2, "train.lr")
    assert not db.exists()


@pytest.mark.parametrize("parallel", ["-1", "0"])
def test_synvita_worker_refuses_a_parallelism_below_1(tmp_path, parallel):
    result = synvita_cli("--db", tmp_path / "x.db", "worker", "--until-idle", "--parallel", parallel)
    assert_one_line_error(result, 2, "parallel")


@pytest.mark.parametrize("args", [["runs", "ls", "-n", "-1"], ["runs", "ls", "--json", "-n", "-5"]])
def test_a_negative_listing_limit_is_refused(tmp_path, args):
    result = synvita_cli("--db", tmp_path / "x.db", *args)
    assert_one_line_error(result, 2, "--limit")
