"""Training on several GPUs and nodes under Slurm: `[train] processes` and `nodes` become `--nodes`,
`--ntasks-per-node` and an `srun` line whose rendezvous comes from the job's nodes; checked at submission."""

import os
import re
import subprocess
import sys

import pytest

from synvita.entities import Run
from synvita.errors import UserInputError
from synvita.runs.executors import SlurmExecutor
from synvita.runs.plan import plan_runs
from synvita.specs import spec_from_dict

BASE = {"name": "ranks", "world": {"preset": "tiny"}, "train": {"variants": ["none"]}, "evaluate": {"benchmarks": []}}


def _scripts(train=None, slurm=None, executor=None):
    spec = spec_from_dict({**BASE, "train": {**BASE["train"], **(train or {})}, **({"slurm": slurm} if slurm else {})})
    out = {}
    for planned in plan_runs(spec):
        run = Run(id="r-ranks1", experiment="ranks", submission="s", stage=planned.stage, status="running",
                  config=planned.config)
        out[planned.stage] = (executor or SlurmExecutor()).script(run, "/tmp/runs/r-ranks1")
    return out


def test_two_nodes_of_two_processes_start_four_ranks_with_srun():
    scripts = _scripts({"processes": 2, "nodes": 2}, {"train": {"gres": "gpu:2"}})
    for stage in ("pretrain", "train"):
        script = scripts[stage]
        assert "#SBATCH --nodes=2\n" in script and "#SBATCH --ntasks-per-node=2\n" in script
        srun = next(line for line in script.splitlines() if line.startswith("srun "))
        assert srun.startswith("srun --nodes=2 --ntasks-per-node=2 --kill-on-bad-exit=1 ")
        assert srun.endswith(" -m synvita.stages /tmp/runs/r-ranks1 2>&1 &")
        assert "--error=/tmp/runs/r-ranks1/stderr.log --open-mode=append" in srun  # the ranks' errors, not srun's
        assert 'export MASTER_ADDR="$(scontrol show hostnames "$SLURM_JOB_NODELIST" | head -n 1)"' in script
        assert "export MASTER_PORT=$((20000 + SLURM_JOB_ID % 20000))" in script
        assert script.index("srun ") < script.index("child=$!")  # the warning signal reaches srun, which passes it on
    assert "#SBATCH --gres=gpu:2" in scripts["train"]
    for stage in ("world", "evaluate"):
        assert "srun" not in scripts[stage] and "--ntasks-per-node" not in scripts[stage]


def test_one_process_runs_the_stage_without_srun():
    script = _scripts()["train"]
    assert "srun" not in script and "--nodes" not in script and "MASTER_ADDR" not in script


def test_one_node_of_eight_processes():
    script = _scripts({"processes": 8, "batch_size": 64})["train"]
    assert "#SBATCH --nodes=1\n" in script and "#SBATCH --ntasks-per-node=8\n" in script
    assert "srun --nodes=1 --ntasks-per-node=8 " in script


@pytest.mark.parametrize("train, says", [
    ({"processes": 0}, "train.processes = 0 must be ≥ 1"),
    ({"nodes": 0}, "train.nodes = 0 must be ≥ 1"),
    ({"processes": 1.5}, "train.processes must be"),
    ({"processes": 2, "device": "cuda:1"}, "train.device = cuda:1 names one GPU but train.processes × train.nodes = 2"),
    ({"processes": 4, "nodes": 2, "batch_size": 4}, "train.grad_accum = 1 × 8 processes is larger than train.batch_size = 4"),
    ({"processes": 2, "batch_size": 8, "micro_batch": 2, "grad_accum": 3}, "is not train.batch_size = 8"),
])
def test_bad_process_counts_are_refused_at_submission(train, says):
    with pytest.raises(UserInputError, match=re.escape(says)):
        spec_from_dict({**BASE, "train": {**BASE["train"], **train}})


def test_a_slurm_nodes_that_disagrees_with_train_nodes_is_refused():
    with pytest.raises(UserInputError, match="slurm option 'nodes' = 3 for the pretrain jobs but train.nodes = 2"):
        spec_from_dict({**BASE, "train": {**BASE["train"], "processes": 2, "nodes": 2}, "slurm": {"nodes": 3}})
    with pytest.raises(UserInputError, match="slurm option 'nodes' = 3 but train.nodes = 2"):
        _scripts({"processes": 2, "nodes": 2}, executor=SlurmExecutor(nodes=3))  # `synvita worker --slurm nodes=3`


def test_dry_run_prints_the_srun_line(tmp_path):
    experiment = tmp_path / "ranks.toml"
    experiment.write_text('name = "ranks"\n[world]\npreset = "tiny"\n[train]\nvariants = ["none"]\nprocesses = 2\n'
                          'nodes = 2\n[evaluate]\nbenchmarks = []\n[slurm.train]\ngres = "gpu:2"\n')
    env = dict(os.environ, SYNVITA_HOME=str(tmp_path / "home"))
    proc = subprocess.run([sys.executable, "-m", "synvita.cli.app", "run", str(experiment), "--dry-run", "--executor",
                           "slurm"], capture_output=True, text=True, env=env, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.count("srun --nodes=2 --ntasks-per-node=2 --kill-on-bad-exit=1 ") == 2  # pretrain and train
    assert proc.stdout.count("#SBATCH --ntasks-per-node=2") == 2


def test_the_failing_ranks_line_is_the_error_not_slurmstepds_note_after_it(tmp_path):
    from synvita.runs.rundir import error_from_stderr

    stderr = tmp_path / "stderr.log"
    stderr.write_text("[rank1]: synvita.stages.ranks.RankFailed: rank 1 of 2 failed: ValueError: bad\n"
                      "slurmstepd-vm: error: *** STEP 125.0 ON vm CANCELLED AT 2026-12-04T08:40:33 ***\n")
    assert error_from_stderr(stderr) == "RankFailed: rank 1 of 2 failed: ValueError: bad"
    stderr.write_text("slurmstepd-vm: error: *** JOB 7 ON vm CANCELLED AT 2026-12-04T08:40:33 DUE TO TIME LIMIT ***\n")
    assert "DUE TO TIME LIMIT" in error_from_stderr(stderr)  # a job's end is news, kept
