"""Slurm resources from the spec: [slurm] + [slurm.<stage>] + --slurm, checked at submission, written into each job's
batch script; `--dry-run --executor slurm` prints the scripts. The real-cluster checks are in tests/slurm/."""

import os
import subprocess
import sys

import pytest

from synvita.api import Api
from synvita.entities import Run
from synvita.errors import UserInputError
from synvita.resources import parse_slurm_overrides, resolve, time_seconds
from synvita.runs.executors import SlurmExecutor
from synvita.runs.plan import plan_runs
from synvita.specs import spec_from_dict

BASE = {"name": "res", "world": {"preset": "tiny"}, "train": {"variants": ["none"]}, "evaluate": {"benchmarks": []}}


def _spec(slurm=None, cli=(), **sections):
    raw = {**BASE, **sections}
    if slurm is not None:
        raw["slurm"] = slurm
    return spec_from_dict(raw, slurm=list(cli))


def _script(spec, stage, executor=None):
    planned = next(p for p in plan_runs(spec) if p.stage == stage)
    run = Run(id="r-test01", experiment="res", submission="s", stage=stage, status="running", config=planned.config)
    return (executor or SlurmExecutor()).script(run, "/tmp/runs/r-test01")


def test_stage_tables_override_the_section_and_cli_overrides_both():
    spec = _spec({"partition": "cpu", "time": "01:00:00", "train": {"time": "00:10:00", "gres": "gpu:1"},
                  "evaluate": {"partition": "short"}}, cli=["partition=debug"])
    train = _script(spec, "train")
    assert "#SBATCH --time=00:10:00" in train and "#SBATCH --gres=gpu:1" in train
    assert "#SBATCH --partition=debug" in train  # --slurm wins over the section
    evaluate = _script(spec, "evaluate")
    assert "#SBATCH --partition=debug" in evaluate and "#SBATCH --time=01:00:00" in evaluate
    assert "--gres" not in evaluate
    assert "#SBATCH --signal=B:USR1@120" in train and "scontrol requeue" in train


def test_a_worker_s_slurm_options_win_over_the_run_s():
    spec = _spec({"partition": "cpu", "train": {"partition": "gpu"}})
    script = _script(spec, "train", SlurmExecutor(**parse_slurm_overrides(["partition=debug", "mem=4G"])))
    assert "#SBATCH --partition=debug" in script and "#SBATCH --mem=4G" in script and "gpu" not in script


@pytest.mark.parametrize("slurm, named", [
    ({"partition": "a\n#SBATCH --uid=0"}, "partition"),
    ({"account": "me;rm -rf ~"}, "account"),
    ({"train": {"gres": "gpu:1 #x"}}, "train.gres"),
    ({"extra": ["--exclusive --uid=0"]}, "extra"),
    ({"extra": ["exclusive"]}, "extra"),
    ({"time": "10:00:00:00"}, "time"),
    ({"evaluate": {"time": "soon"}}, "evaluate.time"),
    ({"mem": "$(id)"}, "mem"),
])
def test_bad_values_are_refused_at_submission_with_one_line_naming_the_key(slurm, named):
    with pytest.raises(UserInputError) as err:
        _spec(slurm)
    assert f"'{named}'" in err.value.what and "\n" not in err.value.one_line()


def test_cli_overrides_are_checked_too():
    with pytest.raises(UserInputError, match="'partition'"):
        _spec(cli=["partition=a;b"])
    with pytest.raises(UserInputError, match="unknown slurm option 'gpus'"):
        _spec(cli=["gpus=1"])
    with pytest.raises(UserInputError, match="KEY=VALUE"):
        _spec(cli=["partition"])


def test_good_values_pass():
    spec = _spec({"extra": ["--exclusive", "--constraint=a100|h100"], "constraint": "a100&ib", "cpus": 8, "nodes": 1,
                  "time": "1-00:00:00", "generate": {"gres": "gpu:a100:1"}})
    assert resolve(spec.resolved()["slurm"], "generate")["gres"] == "gpu:a100:1"


@pytest.mark.parametrize("text, seconds", [
    ("30", 1800), ("30:15", 1815), ("02:00:00", 7200), ("1-0", 86400), ("1-02:03", 93780), ("2-00:00:01", 172801),
    ("infinite", None), ("UNLIMITED", None),
])
def test_time_is_parsed_as_slurm_does(text, seconds):
    assert time_seconds(text) == seconds


def test_generate_with_shards_is_one_array_job():
    spec = _spec({}, generation={"shards": 4, "shard_parallel": 2}, train={"variants": ["naive"]})
    assert "#SBATCH --array=0-3%2" in _script(spec, "generate")
    assert "--array" not in _script(spec, "train")


def test_dry_run_prints_each_batch_script(tmp_path):
    experiment = tmp_path / "res.toml"
    experiment.write_text('name = "res"\n[world]\npreset = "tiny"\n[train]\nvariants = ["none"]\n[evaluate]\n'
                          'benchmarks = []\n[slurm.train]\ntime = "00:10:00"\n')
    env = dict(os.environ, SYNVITA_HOME=str(tmp_path / "home"))
    proc = subprocess.run([sys.executable, "-m", "synvita.cli.app", "run", str(experiment), "--dry-run", "--executor",
                           "slurm", "--slurm", "partition=debug"], capture_output=True, text=True, env=env, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.count("#!/bin/bash") == len(plan_runs(_spec()))
    assert "#SBATCH --time=00:10:00" in proc.stdout and "#SBATCH --partition=debug" in proc.stdout
    assert not (tmp_path / "home" / "synvita.db").exists()


def test_a_refused_value_enqueues_nothing(tmp_path):
    experiment = tmp_path / "res.toml"
    experiment.write_text('name = "res"\n[world]\npreset = "tiny"\n[slurm]\npartition = "a\\n#SBATCH --uid=0"\n')
    with Api(db=tmp_path / "db" / "synvita.db") as api:
        with pytest.raises(UserInputError, match="'partition'"):
            api.submit(api.load_experiment(str(experiment)))
        assert api.list_runs() == []
