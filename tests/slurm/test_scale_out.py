"""Scaling out on a real Slurm (start one with `scripts/slurm-up.sh`): resources from the spec reach the job,
a bad value never reaches sbatch, a sharded generate run is one array job whose videos equal one process's, and a
requeued train job resumes its run from the checkpoint with the same results."""

import hashlib
import json
import subprocess
import threading
from pathlib import Path

import pytest
from test_real_slurm import _slurm_answers, _wait

from synvita.entities import Run
from synvita.errors import UserInputError
from synvita.resources import parse_slurm_overrides
from synvita.runs.executors import SlurmExecutor
from synvita.runs.plan import plan_runs
from synvita.runs.worker import Worker
from synvita.specs import spec_from_dict
from synvita.store import NewRun, Store

pytestmark = [
    pytest.mark.slurm,
    pytest.mark.skipif(not _slurm_answers(), reason="needs a running Slurm (sinfo on PATH); see scripts/slurm-up.sh"),
]

TINY = {"name": "scale", "world": {"preset": "tiny"}, "evaluate": {"benchmarks": []},
        "scorers": {"members": 1, "steps": 20, "batch_size": 8}, "train": {"variants": ["naive"], "steps": 40, "batch_size": 8}}


@pytest.fixture
def store(tmp_path):
    s = Store.open(tmp_path / "db" / "synvita.db")
    yield s
    s.close()


def _planned(spec, stage):
    return next(p for p in plan_runs(spec) if p.stage == stage)


def test_spec_resources_reach_the_job(tmp_path):
    spec = spec_from_dict({**TINY, "slurm": {"train": {"time": "00:10:00"}}}, slurm=["partition=high"])
    planned = _planned(spec, "train")
    run = Run(id="r-res001", experiment="scale", submission="s", stage="train", status="running", config=planned.config)
    run_dir = tmp_path / "r-res001"
    run_dir.mkdir()
    # the job runs a short debug stage; the resources are the train run's
    (run_dir / "config.json").write_text(json.dumps({"run_id": run.id, "stage": "debug.sleep", "config": {"seconds": 30},
                                                     "inputs": {}}))
    job = SlurmExecutor().start(run, run_dir)
    try:
        shown = subprocess.run(["scontrol", "show", "job", job.job_id], capture_output=True, text=True).stdout
        assert "TimeLimit=00:10:00" in shown and "Partition=high" in shown
    finally:
        subprocess.run(["scancel", job.job_id])


def test_a_bad_partition_is_refused_before_sbatch(store):
    with pytest.raises(UserInputError, match="'partition'"):
        spec_from_dict({**TINY, "slurm": {"partition": "a\n#SBATCH --uid=0"}})
    with pytest.raises(UserInputError, match="'partition'"):
        parse_slurm_overrides(["partition=a\n#SBATCH --uid=0"])
    assert store.list_runs() == []


def _checksums(folder: Path) -> dict[str, str]:
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file() and p.name not in ("synthetic.json", "videocon_train.csv")}


def _worker(store, **options):
    return Worker(store.path, executor=SlurmExecutor(max_parallel=4, partition="debug", **options),
                  poll_s=0.2, heartbeat_s=0.5, lost_after_s=300)


def _drain_while(store, fault, timeout=900):
    """A Slurm worker drains the queue in a thread while `fault()` strikes; the queue must drain within `timeout`."""
    worker = _worker(store)
    thread = threading.Thread(target=worker.run, kwargs={"until_idle": True})
    thread.start()
    try:
        fault()
        thread.join(timeout=timeout)
        assert not thread.is_alive(), "the worker did not drain the queue after the fault"
    finally:
        worker.stop()
        thread.join(timeout=60)
    worker.close()


@pytest.mark.slow
def test_sharded_generation_is_one_array_job_with_the_same_videos(store):
    one = spec_from_dict({**TINY, "generation": {"shards": 1}})
    four = spec_from_dict({**TINY, "generation": {"shards": 4, "shard_parallel": 2}})
    world, gen1, gen4 = store.create_runs([
        NewRun("scale", "s", "world", config=_planned(one, "world").config),
        NewRun("scale", "s", "generate", generator="procedural", config=_planned(one, "generate").config, depends_on=[0]),
        NewRun("scale", "s", "generate", generator="procedural", config=_planned(four, "generate").config, depends_on=[0]),
    ])
    worker = _worker(store)
    worker.run(until_idle=True)
    worker.close()
    for run in (world, gen1, gen4):
        assert store.get_run(run.id).status == "succeeded", store.get_run(run.id).error
    assert "#SBATCH --array=0-3%2" in (Path(gen4.run_dir) / "slurm.sh").read_text()
    assert len(list(Path(gen4.run_dir).glob("exitcode.*_*"))) == 4  # four tasks of one array
    one_set, four_set = Path(gen1.run_dir) / "synthetic", Path(gen4.run_dir) / "synthetic"
    assert _checksums(one_set) == _checksums(four_set)  # every video and manifest, byte for byte
    # SynViTA's training CSV names the videos by absolute path, so it differs by the run directory only
    csv = (four_set / "videocon_train.csv").read_text().replace(str(gen4.run_dir), str(gen1.run_dir))
    assert csv == (one_set / "videocon_train.csv").read_text()
    assert not (Path(gen4.run_dir) / "generate-parts").exists()


@pytest.mark.slow
def test_a_requeued_train_job_resumes_its_run_with_the_same_results(store, monkeypatch):
    for var in ("OMP_NUM_THREADS", "MKL_NUM_THREADS"):  # the jobs inherit it: one thread, deterministic reductions
        monkeypatch.setenv(var, "1")
    spec = spec_from_dict({**TINY, "train": {**TINY["train"], "variants": ["none"], "steps": 150}})
    _, _, train_a, train_b = store.create_runs([
        NewRun("scale", "s", "world", config=_planned(spec, "world").config),
        NewRun("scale", "s", "pretrain", config=_planned(spec, "pretrain").config, depends_on=[0]),
        NewRun("scale", "s", "train", variant="none", seed=0, config=_planned(spec, "train").config, depends_on=[0, 1]),
        NewRun("scale", "s", "train", variant="none", seed=0, config={**_planned(spec, "train").config, "copy": 1},
               depends_on=[0, 1]),
    ])
    def requeue():
        _wait(lambda: (store.get_run(train_a.id).progress or 0) > 0.2, 600)
        subprocess.run(["scontrol", "requeue", store.job_id(train_a.id)], check=True)

    _drain_while(store, requeue)
    a, b = store.get_run(train_a.id), store.get_run(train_b.id)
    assert a.status == b.status == "succeeded", (a.error, b.error)
    attempts = store.attempts(a.id)
    assert len(attempts) == 2 and attempts[0].end_reason == "requeued by Slurm" and attempts[1].end_reason == "succeeded"
    assert attempts[0].job_id == attempts[1].job_id and attempts[0].node
    log = (Path(a.run_dir) / "stderr.log").read_text() + (Path(a.run_dir) / "stdout.log").read_text()
    assert "restart 1" in log
    last_a = json.loads((Path(a.run_dir) / "train.json").read_text())["last"]
    last_b = json.loads((Path(b.run_dir) / "train.json").read_text())["last"]
    assert last_a == last_b  # bit for bit on CPU (one thread per job)
    curve_a = [(p.step, p.value) for p in store.metrics(a.id, "loss_real")]
    curve_b = [(p.step, p.value) for p in store.metrics(b.id, "loss_real")]
    assert curve_a == curve_b


@pytest.mark.slow
def test_a_two_process_train_job_starts_its_ranks_with_srun_and_trains_like_one(store, monkeypatch):
    """`[train] processes = 2` on the real Slurm: one job, two srun tasks, the loss curve of one process."""
    monkeypatch.setenv("OMP_NUM_THREADS", "1")
    base = {**TINY, "train": {**TINY["train"], "variants": ["none"], "steps": 12}}
    one = spec_from_dict(base)
    two = spec_from_dict({**base, "train": {**base["train"], "processes": 2}})
    _, _, train_1, train_2 = store.create_runs([
        NewRun("scale", "s", "world", config=_planned(one, "world").config),
        NewRun("scale", "s", "pretrain", config=_planned(one, "pretrain").config, depends_on=[0]),
        NewRun("scale", "s", "train", variant="none", seed=0, config=_planned(one, "train").config, depends_on=[0, 1]),
        NewRun("scale", "s", "train", variant="none", seed=0, config=_planned(two, "train").config, depends_on=[0, 1]),
    ])
    worker = _worker(store)
    worker.run(until_idle=True)
    worker.close()
    a, b = store.get_run(train_1.id), store.get_run(train_2.id)
    assert a.status == b.status == "succeeded", (a.error, b.error)
    script = (Path(b.run_dir) / "slurm.sh").read_text()
    assert "--ntasks-per-node=2" in script and "srun" in script
    for name in ("loss_real",):
        curve_1 = [(p.step, p.value) for p in store.metrics(a.id, name)]
        curve_2 = [(p.step, p.value) for p in store.metrics(b.id, name)]
        assert [s for s, _ in curve_1] == [s for s, _ in curve_2] and curve_1
        assert [v for _, v in curve_2] == pytest.approx([v for _, v in curve_1], abs=1e-5, rel=1e-5)


def _rank_pids(run_dir: Path) -> dict[int, int]:
    """The srun tasks of a run's stage, by SLURM_PROCID: processes running `synvita.stages RUN_DIR` with a task rank."""
    ranks = {}
    for proc in Path("/proc").iterdir():
        try:
            cmd = (proc / "cmdline").read_bytes().split(b"\0")
            env = dict(v.split(b"=", 1) for v in (proc / "environ").read_bytes().split(b"\0") if b"=" in v)
        except (OSError, ValueError):
            continue
        if b"synvita.stages" in cmd and str(run_dir).encode() in cmd and b"SLURM_PROCID" in env:
            ranks[int(env[b"SLURM_PROCID"])] = int(proc.name)
    return ranks


@pytest.mark.slow
def test_a_rank_killed_under_srun_fails_the_run_without_a_hang(store, monkeypatch):
    """kill -9 of rank 1 mid-run: srun ends the step (--kill-on-bad-exit), the run fails with a reason, no hang."""
    import os
    import signal

    monkeypatch.setenv("OMP_NUM_THREADS", "1")
    spec = spec_from_dict({**TINY, "train": {**TINY["train"], "variants": ["none"], "steps": 3000, "processes": 2}})
    _, _, train = store.create_runs([
        NewRun("scale", "s", "world", config=_planned(spec, "world").config),
        NewRun("scale", "s", "pretrain", config=_planned(spec, "pretrain").config, depends_on=[0]),
        NewRun("scale", "s", "train", variant="none", seed=0, config=_planned(spec, "train").config, depends_on=[0, 1]),
    ])
    def kill_rank_1():
        _wait(lambda: (store.get_run(train.id).progress or 0) > 0.01, 600)
        ranks = _rank_pids(Path(store.get_run(train.id).run_dir))
        assert sorted(ranks) == [0, 1], ranks
        os.kill(ranks[1], signal.SIGKILL)

    _drain_while(store, kill_rank_1, timeout=300)  # no hang after a rank died
    failed = store.get_run(train.id)
    assert failed.status == "failed" and failed.error == "RankFailed: rank 1 of 2 failed: Killed", failed.error
    assert not _rank_pids(Path(failed.run_dir))  # no rank outlives the run


def _batch_shell(job_id: str) -> int:
    """The pid of a running job's batch shell (slurmstepd runs it as `/bin/bash .../slurm_script`)."""
    for proc in Path("/proc").iterdir():
        try:
            cmd = (proc / "cmdline").read_bytes()
            env = (proc / "environ").read_bytes().split(b"\0")
        except OSError:
            continue
        if b"slurm_script" in cmd and f"SLURM_JOB_ID={job_id}".encode() in env:
            return int(proc.name)
    raise AssertionError(f"no batch shell of job {job_id}")


@pytest.mark.slow
@pytest.mark.parametrize("stage", ["train", "pretrain"])
def test_the_warning_signal_checkpoints_requeues_and_resumes_to_the_same_results(store, monkeypatch, stage):
    """Slurm's warning before the time limit (`--signal=B:USR1@T`: to the batch shell only, sent here by pid):
    the batch script passes it to the stage, which writes its checkpoint and exits 75; the script requeues the
    job, and the requeued job resumes the same run to the results of an uninterrupted one."""
    import os
    import signal

    for var in ("OMP_NUM_THREADS", "MKL_NUM_THREADS"):
        monkeypatch.setenv(var, "1")
    spec = spec_from_dict({**TINY, "scorers": {**TINY["scorers"], "steps": 600},
                           "train": {**TINY["train"], "variants": ["none"], "steps": 600}})
    runs = [NewRun("scale", "s", "world", config=_planned(spec, "world").config)]
    if stage == "train":
        runs.append(NewRun("scale", "s", "pretrain", config={**_planned(spec, "pretrain").config,
                                                             "scorers": {**TINY["scorers"]}}, depends_on=[0]))
        config = _planned(spec, "train").config
        runs += [NewRun("scale", "s", "train", variant="none", seed=0, config=config, depends_on=[0, 1]),
                 NewRun("scale", "s", "train", variant="none", seed=0, config={**config, "copy": 1}, depends_on=[0, 1])]
    else:
        config = _planned(spec, "pretrain").config
        runs += [NewRun("scale", "s", "pretrain", config=config, depends_on=[0]),
                 NewRun("scale", "s", "pretrain", config={**config, "copy": 1}, depends_on=[0])]
    created = store.create_runs(runs)
    signalled, uninterrupted = created[-2], created[-1]
    def warn():
        if stage == "train":
            _wait(lambda: (store.get_run(signalled.id).progress or 0) > 0.2, 600)
        else:  # a scorer reports when it is trained; its first periodic checkpoint says it is midway
            _wait(lambda: store.get_run(signalled.id).run_dir
                  and any((Path(store.get_run(signalled.id).run_dir) / "scorers").rglob("*.pt")), 600)
        os.kill(_batch_shell(store.job_id(signalled.id)), signal.SIGUSR1)  # what --signal=B:USR1 does

    _drain_while(store, warn)
    a, b = store.get_run(signalled.id), store.get_run(uninterrupted.id)
    assert a.status == b.status == "succeeded", (a.error, b.error)
    attempts = store.attempts(a.id)
    assert len(attempts) == 2 and attempts[1].end_reason == "succeeded", attempts
    log = (Path(a.run_dir) / "stdout.log").read_text()
    assert "checkpoint written; requeueing job" in log and "restart 1" in log
    if stage == "train":
        assert (json.loads((Path(a.run_dir) / "train.json").read_text())["last"]
                == json.loads((Path(b.run_dir) / "train.json").read_text())["last"])
    else:
        weights = lambda run: {k: v for k, v in _checksums(Path(run.run_dir) / "scorers").items() if "/ckpt/" not in k}
        assert weights(a) == weights(b) and weights(a)  # the trained scorers, byte for byte
