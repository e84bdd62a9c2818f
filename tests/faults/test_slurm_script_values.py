"""Every value that goes into a Slurm batch script is checked: a newline, a '#' or a shell metacharacter in an
option (from the executor or a run's [slurm] config) is refused with one line naming the key, nothing is
submitted, and what reaches the shell is quoted."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from synvita.errors import UserInputError
from synvita.runs.executors import SlurmExecutor
from synvita.runs.worker import Worker
from synvita.store import NewRun

FAKE = Path(__file__).parents[1] / "runs" / "fake_slurm.py"


@pytest.fixture
def fake_slurm(tmp_path, monkeypatch):
    bin_dir = tmp_path / "fake-bin"
    bin_dir.mkdir()
    for name in ("sbatch", "squeue", "sacct", "scontrol", "scancel"):
        (bin_dir / name).symlink_to(FAKE)
    monkeypatch.setenv("PATH", f"{bin_dir}:{os.environ['PATH']}")
    monkeypatch.setenv("FAKE_SLURM_DIR", str(tmp_path / "fake-slurm-state"))
    return tmp_path / "fake-slurm-state"


@pytest.mark.parametrize("key, value", [
    ("partition", "debug\n#SBATCH --wrap=evil"),
    ("partition", "gpu #comment"),
    ("time", "01:00:00;touch /tmp/x"),
    ("account", "$(id)"),
    ("mem", "16G`id`"),
    ("cpus", "4\n"),
])
def test_an_option_with_a_newline_hash_or_metacharacter_is_refused(key, value):
    with pytest.raises(UserInputError) as caught:
        SlurmExecutor(**{key: value})
    line = caught.value.one_line()
    assert f"'{key}'" in line and "\n" not in line


@pytest.mark.parametrize("raw", ["--constraint=a100\n#SBATCH --wrap=evil", "--comment=a b", "#SBATCH --x", "--x=$(id)"])
def test_a_raw_extra_option_is_one_sbatch_option(raw):
    with pytest.raises(UserInputError, match="'extra'"):
        SlurmExecutor(extra=[raw])


def test_ordinary_values_pass_and_reach_the_script(tmp_path, store):
    (run,) = store.create_runs([NewRun("exp", "s", "debug.noop")])
    executor = SlurmExecutor(partition="gpu,debug", time="1-02:00:00", gres="gpu:a100:2", cpus=8, mem="64G",
                             account="proj_x-1", qos="high", extra=["--exclusive", "--constraint=a100|h100"])
    script = executor.script(run, Path(run.run_dir))
    for line in ("#SBATCH --partition=gpu,debug", "#SBATCH --time=1-02:00:00", "#SBATCH --gres=gpu:a100:2",
                 "#SBATCH --cpus-per-task=8", "#SBATCH --mem=64G", "#SBATCH --exclusive", "#SBATCH --constraint=a100|h100"):
        assert line in script.splitlines()


def test_a_runs_slurm_config_with_a_newline_fails_the_run_and_submits_nothing(store, db_path, fake_slurm):
    bad, good = store.create_runs([
        NewRun("exp", "s", "debug.noop", config={"slurm": {"partition": "debug\n#SBATCH --wrap=touch /tmp/pwned"}}),
        NewRun("exp", "s", "debug.noop"),
    ])
    worker = Worker(db_path, executor=SlurmExecutor(max_parallel=4), poll_s=0.05, heartbeat_s=0.1, lost_after_s=10)
    worker.run(until_idle=True)
    worker.close()
    failed = store.get_run(bad.id)
    assert failed.status == "failed" and "'partition'" in failed.error and "\n" not in failed.error
    assert store.get_run(good.id).status == "succeeded"
    scripts = sorted(fake_slurm.glob("*.script"))
    assert len(scripts) == 1 and "--wrap" not in scripts[0].read_text()
    assert not (Path(bad.run_dir) / "slurm.sh").exists()


def test_a_run_directory_that_sbatch_cannot_take_is_refused(tmp_path):
    from synvita.store import Store

    store = Store.open(tmp_path / "my\ndb" / "synvita.db")
    try:
        (run,) = store.create_runs([NewRun("exp", "s", "debug.noop")])
        with pytest.raises(UserInputError, match="run directory"):
            SlurmExecutor().script(run, Path(run.run_dir))
    finally:
        store.close()
