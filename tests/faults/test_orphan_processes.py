"""A stage's processes never outlive their worker: each stage runs in its own process group, which the worker
ends on cancel, loss or its own exit, and a stage whose worker was killed (kill -9) ends its group itself."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

from faults_helpers import pid_alive, wait_for

from synvita.runs.rundir import prepare_run_dir
from synvita.store import NewRun

TINY_WORLD = {"preset": "tiny", "overrides": {"n_pretrain": 40, "n_train": 112, "n_val": 14, "n_test": 70, "n_human": 70}}


def _group_members(pgid: int) -> set[int]:
    """Live (non-zombie) processes whose process group is `pgid`."""
    members = set()
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if fields[0] != "Z" and int(fields[2]) == pgid:  # fields after the name: state, ppid, pgrp, ...
            members.add(int(entry.name))
    return members


def _children(pid: int) -> set[int]:
    return {p for p in _group_members(pid) if p != pid}


def test_kill_9_of_a_worker_ends_the_pretrain_stage_and_its_pool_processes(store, db_path):
    world, pretrain = store.create_runs([
        NewRun("exp", "s", "world", config={"world": TINY_WORLD}),
        NewRun("exp", "s", "pretrain", config={"world": TINY_WORLD, "scorers": {"members": 2, "steps": 100000}},
               depends_on=[0]),
    ])
    worker = subprocess.Popen(
        [sys.executable, "-m", "synvita.runs.worker", "--db", str(db_path), "--poll", "0.05", "--heartbeat", "0.2",
         "--until-idle"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env={**os.environ, "OMP_NUM_THREADS": "1"},
    )
    stage_pid = None
    try:
        wait_for(lambda: store.get_run(pretrain.id).status == "running" and store.job_id(pretrain.id), timeout=120)
        stage_pid = int(store.job_id(pretrain.id))
        wait_for(lambda: len(_children(stage_pid)) >= 2, timeout=120)  # the stage started its pool processes
        pool = _children(stage_pid)
        worker.send_signal(signal.SIGKILL)
        worker.wait(timeout=10)
        wait_for(lambda: not _group_members(stage_pid), timeout=20)
        assert not any(pid_alive(p) for p in pool | {stage_pid})
    finally:
        if worker.poll() is None:
            worker.kill()
            worker.wait(timeout=10)
        if stage_pid is not None and _group_members(stage_pid):
            os.killpg(stage_pid, signal.SIGKILL)
    assert store.get_run(world.id).status == "succeeded"


def test_a_stage_whose_parent_died_without_a_signal_exits(store, tmp_path):
    """No parent death signal (not Linux, or the starting thread ended): the stage's parent watch notices."""
    (run,) = store.create_runs([NewRun("exp", "s", "debug.sleep", config={"seconds": 60})])
    run_dir = prepare_run_dir(run, [], worker_id="w-test", executor="local")
    starter = subprocess.Popen(
        [sys.executable, "-c", (
            "import subprocess, sys\n"
            f"p = subprocess.Popen([sys.executable, '-m', 'synvita.stages', {str(run_dir)!r}], start_new_session=True)\n"
            "print(p.pid, flush=True)\n"
            "p.wait()\n"
        )],
        stdout=subprocess.PIPE, text=True,
    )
    stage_pid = int(starter.stdout.readline())
    try:
        wait_for(lambda: (Path(run_dir) / "events.jsonl").exists(), timeout=30)  # the stage is running
        starter.send_signal(signal.SIGKILL)
        starter.wait(timeout=10)
        wait_for(lambda: not pid_alive(stage_pid), timeout=15)
    finally:
        if pid_alive(stage_pid):
            os.killpg(stage_pid, signal.SIGKILL)
