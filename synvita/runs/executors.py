"""Executors: how a worker runs `python -m synvita.stages RUN_DIR` — a local subprocess or a Slurm job.

An executor starts a job for a prepared run directory, reports whether it has ended (and how), and kills it.
The worker does everything else (claiming, heartbeats, ingestion, recording the outcome), so both executors
share the same guarantees. Jobs only write into their run directory; they never open the database.
"""

from __future__ import annotations

import os
import re
import shlex
import shutil
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from synvita.entities import Run
from synvita.errors import UnknownNameError, UserInputError
from synvita.resources import SBATCH_VALUE, check_resources, check_sbatch_value, resolve, sbatch_lines
from synvita.stages.lifeline import signal_group
from synvita.stages.ranks import stage_world
from synvita.preemption import PREEMPTED_EXIT
from synvita.runs.rundir import STDERR_FILE, STDOUT_FILE, error_from_stderr

EXECUTORS = ("local", "slurm")


@dataclass
class Job:
    run_id: str
    run_dir: Path
    job_id: str
    handle: Any = None
    note: str = ""
    """Executor-specific state shown to the user (e.g. "PENDING (Resources)")."""
    extra: dict[str, Any] = field(default_factory=dict)
    transitions: list[dict[str, Any]] = field(default_factory=list)
    """What happened to the job since the worker last looked ({"kind": "started", "node": ...},
    {"kind": "requeued", "reason": ...}, {"kind": "shard_retried", ...}); the worker records and clears them."""
    resources: dict[str, Any] = field(default_factory=dict)
    """What the job was submitted with (recorded on its attempt)."""


@dataclass
class Outcome:
    status: str
    """succeeded | failed | cancelled | preempted | lost"""
    error: str | None = None


def stage_command(run_dir: Path) -> list[str]:
    return [sys.executable, "-m", "synvita.stages", str(run_dir)]


class Executor:
    name = "base"
    max_parallel = 1

    def start(self, run: Run, run_dir: Path) -> Job:
        raise NotImplementedError

    def refresh(self, jobs: list[Job]) -> None:
        """Called once per worker cycle before `poll`s (lets Slurm query all jobs at once)."""

    def poll(self, job: Job) -> Outcome | None:
        """None while the job is running; its outcome once it has ended."""
        raise NotImplementedError

    def kill(self, job: Job) -> None:
        raise NotImplementedError

    def reattach(self, run: Run, job_id: str) -> Job | None:
        """A Job for a job started by a worker that went away, if this executor can still follow it."""
        return None


def _die_with_parent() -> None:  # pragma: no cover - runs in the child between fork and exec
    """Linux: the stage gets SIGTERM if the worker dies (kill -9), so no orphan keeps writing its run dir."""
    try:
        import ctypes

        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGTERM)  # 1 = PR_SET_PDEATHSIG
    except Exception:
        pass


def check_parallel(max_parallel: Any) -> int:
    """Runs executed at once: an integer ≥ 1 (0 or a negative count would claim nothing, or everything)."""
    if isinstance(max_parallel, bool) or not isinstance(max_parallel, int) or max_parallel < 1:
        raise UserInputError(f"--parallel {max_parallel!r}: runs executed at once must be an integer ≥ 1",
                             hint="omit it for the default (local: 1 per worker, `synvita run`: one per core up to 4; slurm: 64)")
    return max_parallel


FULL_DISK_BYTES = 1 << 20
"""Free space below which a stage that died without an error line is taken to have died of a full disk."""


def _failure_error(run_dir: Path, fallback: str) -> str:
    return error_from_stderr(run_dir / STDERR_FILE) or _full_disk(run_dir) or fallback


def _full_disk(run_dir: Path) -> str | None:
    """The cause of a stage that died without a readable error line when the disk holding its run directory is
    full: its traceback could not be written either."""
    try:
        free = shutil.disk_usage(run_dir).free
    except OSError:
        return None
    if free >= FULL_DISK_BYTES:
        return None
    return (f"disk full at {run_dir} ({free} bytes free, so the stage's error could not be written either): free "
            f"space there, then `synvita runs retry {run_dir.name}`")


def default_local_parallel() -> int:
    """Runs a foreground `synvita run` executes at once on this machine: one per core, at most 4."""
    return max(1, min(os.cpu_count() or 1, 4))


def threads_per_run(max_parallel: int) -> int:
    """Compute threads for each of `max_parallel` concurrent local runs."""
    return max(1, (os.cpu_count() or 1) // max(1, max_parallel))


class LocalExecutor(Executor):
    """One subprocess per run, leading its own session and process group: Ctrl-C reaches the worker only (which
    then stops the job), and stopping the group stops everything the stage started (synvita.stages.lifeline)."""

    name = "local"

    def __init__(self, *, max_parallel: int = 1, kill_grace_s: float = 5.0) -> None:
        self.max_parallel = check_parallel(max_parallel)
        self.kill_grace_s = kill_grace_s

    def _spawn(self, run: Run, run_dir: Path, **env_extra: str) -> subprocess.Popen:
        env = dict(os.environ, SYNVITA_RUN_ID=run.id, PYTHONUNBUFFERED="1", **env_extra)
        # Share the cores between the runs executed at once (N one-thread processes beat one N-thread process on
        # CPU); a thread count the user set explicitly wins.
        threads = str(threads_per_run(self.max_parallel))
        for var in ("OMP_NUM_THREADS", "MKL_NUM_THREADS"):
            env.setdefault(var, threads)
        with open(run_dir / STDOUT_FILE, "ab") as out, open(run_dir / STDERR_FILE, "ab") as err:
            return subprocess.Popen(
                stage_command(run_dir), stdout=out, stderr=err, stdin=subprocess.DEVNULL,
                env=env, start_new_session=True,
                preexec_fn=_die_with_parent if sys.platform.startswith("linux") else None,
            )

    def start(self, run: Run, run_dir: Path) -> Job:
        shards, at_once, retries = shard_plan(run)
        if shards == 1:
            proc = self._spawn(run, run_dir)
            return Job(run_id=run.id, run_dir=run_dir, job_id=str(proc.pid), handle=proc)
        # a sharded generate run: one process per shard, `at_once` at a time, a failed shard started again alone
        job = Job(run_id=run.id, run_dir=run_dir, job_id="", handle={}, resources={"shards": shards, "at_once": at_once},
                  extra={"run": run, "pending": list(range(shards)), "done": set(), "shards": shards,
                         "at_once": at_once, "retries_left": {i: retries for i in range(shards)}})
        self._launch_shards(job)
        job.job_id = ",".join(str(p.pid) for p in job.handle.values())
        return job

    def _launch_shards(self, job: Job) -> None:
        while job.extra["pending"] and len(job.handle) < job.extra["at_once"]:
            shard = job.extra["pending"].pop(0)
            job.handle[shard] = self._spawn(job.extra["run"], job.run_dir, SYNVITA_SHARD=f"{shard}/{job.extra['shards']}")

    def _poll_shards(self, job: Job) -> Outcome | None:
        for shard, proc in list(job.handle.items()):
            rc = proc.poll()
            if rc is None:
                continue
            signal_group(proc.pid, signal.SIGKILL)
            del job.handle[shard]
            if rc == 0:
                job.extra["done"].add(shard)
            elif job.extra["retries_left"][shard] > 0:
                job.extra["retries_left"][shard] -= 1
                job.extra["pending"].append(shard)
                job.transitions.append({"kind": "shard_retried", "shard": shard, "error": f"exit code {rc}"})
            else:
                self.kill(job)
                why = f"stage exited with code {rc}" if rc > 0 else f"stage killed by signal {-rc}"
                return Outcome("failed", f"shard {shard} of {job.extra['shards']}: {_failure_error(job.run_dir, why)}")
        self._launch_shards(job)
        job.note = f"{len(job.extra['done'])}/{job.extra['shards']} shards done, {len(job.handle)} running"
        return Outcome("succeeded") if len(job.extra["done"]) == job.extra["shards"] else None

    def poll(self, job: Job) -> Outcome | None:
        if isinstance(job.handle, dict):
            return self._poll_shards(job)
        rc = job.handle.poll()
        if rc is None:
            return None
        signal_group(job.handle.pid, signal.SIGKILL)  # whatever the stage started and left behind
        if rc == 0:
            return Outcome("succeeded")
        if rc == PREEMPTED_EXIT:
            return Outcome("preempted", _failure_error(job.run_dir, "stage stopped for preemption after its checkpoint"))
        if rc < 0:
            return Outcome("failed", _failure_error(job.run_dir, f"stage killed by signal {-rc}"))
        return Outcome("failed", _failure_error(job.run_dir, f"stage exited with code {rc}"))

    def kill(self, job: Job) -> None:
        """SIGTERM the stage's process group (the stage passes it on to what it started), SIGKILL the group if the
        stage has not exited after the grace period, and SIGKILL whatever of the group is left once it has."""
        if isinstance(job.handle, dict):
            job.extra["pending"] = []
            for proc in list(job.handle.values()):
                self._kill_proc(proc)
            return
        self._kill_proc(job.handle)

    def _kill_proc(self, proc: subprocess.Popen) -> None:
        if proc.poll() is None and signal_group(proc.pid, signal.SIGTERM):
            try:
                proc.wait(timeout=self.kill_grace_s)
            except subprocess.TimeoutExpired:
                signal_group(proc.pid, signal.SIGKILL)
                proc.wait()
        signal_group(proc.pid, signal.SIGKILL)


# ---------------------------------------------------------------------------------------------------- Slurm

ACTIVE_SLURM_STATES = {
    "PENDING", "RUNNING", "CONFIGURING", "COMPLETING", "REQUEUED", "REQUEUE_FED", "REQUEUE_HOLD",
    "RESIZING", "SUSPENDED", "STAGE_OUT", "SIGNALING", "STOPPED", "RESV_DEL_HOLD", "SPECIAL_EXIT",
}
FAILED_SLURM_STATES = {"FAILED", "NODE_FAIL", "OUT_OF_MEMORY", "TIMEOUT", "BOOT_FAIL", "DEADLINE"}


def check_sbatch_path(what: str, path: str) -> None:
    """A path written into an `#SBATCH` line: no whitespace, control character, '#', quote or backslash."""
    bad = next((c for c in path if c.isspace() or not c.isprintable() or c in "#'\"\\"), None)
    if bad is not None:
        raise UserInputError(
            f"the {what} {path!r} has the character {bad!r}, which an #SBATCH line cannot hold",
            hint="keep the database (--db / SYNVITA_HOME) and the working directory in folders whose paths have none",
        )


def _run_cmd(argv: list[str], timeout: float = 30.0) -> subprocess.CompletedProcess:
    return subprocess.run(argv, capture_output=True, text=True, timeout=timeout)


def shard_plan(run: Run) -> tuple[int, int, int]:
    """(shards, shards at once, retries per shard) of a generate run; (1, 1, 0) for every other run."""
    if run.stage != "generate":
        return 1, 1, 0
    generation = dict(run.config.get("generation") or {})
    shards = max(1, int(generation.get("shards") or 1))
    at_once = int(generation.get("shard_parallel") or shards)
    return shards, max(1, min(at_once, shards)), max(0, int(generation.get("shard_retries", 1) or 0))


class SlurmExecutor(Executor):
    """One sbatch job per run, from a generated batch script in the run directory (`slurm.sh`); a generate run
    with `generation.shards = N` is one job array of N tasks.

    Resources come from the run's [slurm] section, its [slurm.<stage>] table and this executor's options
    (`--slurm KEY=VALUE` of `synvita worker`), each over the one before (synvita.resources). Jobs ask for a warning
    signal before their time limit (`--signal=B:USR1@T`, T = slurm.signal_s): the batch script passes it to the
    stage, which writes its checkpoint and exits with PREEMPTED_EXIT, and the script requeues the job; the same run
    continues from the checkpoint. Jobs are submitted with `--requeue`, so a job Slurm preempts or an admin requeues
    also returns to the queue; the run stays `running` and each start is recorded as an attempt. A job that ends
    PREEMPTED without requeue makes the run `preempted` (retry re-queues it). State comes from one `squeue` call per
    cycle and, once a job has left the queue, from `sacct`, else `scontrol show job`, else the exit-code file the
    script writes. A failed array task is submitted again on its own (up to generation.shard_retries).
    """

    name = "slurm"

    def __init__(self, *, max_parallel: int = 64, python: str | None = None, **options: Any) -> None:
        check_resources(options)
        self.max_parallel = check_parallel(max_parallel)
        self.python = python or sys.executable
        self.options = options
        """Resources over every run's own (`--slurm KEY=VALUE` of `synvita worker`)."""
        self._squeue: dict[str, tuple[str, str, str]] = {}

    def resources(self, run: Run) -> dict[str, Any]:
        """The resolved sbatch resources of `run`'s job."""
        return resolve(run.config.get("slurm"), run.stage, self.options)

    def script(self, run: Run, run_dir: Path) -> str:
        """The batch script of one run; every value in an `#SBATCH` line is checked (synvita.resources,
        `check_sbatch_path`) and everything the shell runs is quoted."""
        opts = self.resources(run)
        check_sbatch_path("run directory", str(run_dir))
        check_sbatch_path("working directory", os.getcwd())
        check_sbatch_value("run id", run.id, SBATCH_VALUE)
        signal_s = int(dict(run.config.get("slurm") or {}).get("signal_s") or 120)
        shards, at_once, _ = shard_plan(run)
        processes, nodes = stage_world(run.stage, run.config)
        ranks = processes * nodes > 1
        if ranks:
            if int(opts.get("nodes") or nodes) != nodes:
                raise UserInputError(f"slurm option 'nodes' = {opts['nodes']} but train.nodes = {nodes}",
                                     hint="a train or pretrain job spans train.nodes nodes; set only that one")
            opts["nodes"] = nodes
        task = "${SLURM_ARRAY_JOB_ID:+${SLURM_ARRAY_JOB_ID}_${SLURM_ARRAY_TASK_ID}}"
        lines = [
            "#!/bin/bash",
            f"#SBATCH --job-name=synvita-{run.id}",
            f"#SBATCH --output={run_dir}/{STDOUT_FILE}",
            f"#SBATCH --error={run_dir}/{STDERR_FILE}",
            "#SBATCH --open-mode=append",
            "#SBATCH --requeue",
            f"#SBATCH --signal=B:USR1@{signal_s}",
            f"#SBATCH --chdir={os.getcwd()}",
            *sbatch_lines(opts),
        ]
        if shards > 1:
            lines.append(f"#SBATCH --array=0-{shards - 1}%{at_once}")
        stage = [self.python, "-m", "synvita.stages", str(run_dir)]
        start = " ".join(shlex.quote(a) for a in stage) + " &"
        if ranks:
            lines.append(f"#SBATCH --ntasks-per-node={processes}")
            start = self._srun_lines(run_dir, stage, processes, nodes)
        quoted_dir = shlex.quote(str(run_dir))
        lines += [
            f"export SYNVITA_RUN_ID={shlex.quote(run.id)} PYTHONUNBUFFERED=1",
            f"task={task}",
            'task=${task:-$SLURM_JOB_ID}',
            f"echo {shlex.quote(f'synvita {run.id}:')} \"job $task on $(hostname), restart ${{SLURM_RESTART_COUNT:-0}}\"",
            *([start] if isinstance(start, str) else start),
            "child=$!",
            "# Slurm's warning before the time limit (--signal=B:USR1): the stage checkpoints and exits "
            f"{PREEMPTED_EXIT}",
            'trap \'warned=1; kill -USR1 "$child" 2>/dev/null\' USR1',
            "# a wait the trap interrupted returns >128; wait again for the stage's own status (bash keeps it even",
            "# when the stage has already exited)",
            'while :; do warned=; wait "$child"; rc=$?; if [ -n "$warned" ]; then continue; fi; break; done',
            f'if [ "$rc" = {PREEMPTED_EXIT} ]; then',
            f"  echo {shlex.quote(f'synvita {run.id}:')} \"checkpoint written; requeueing job $task\"",
            '  scontrol requeue "$task" && exit 0',
            "fi",
            *(self._failed_rank_lines(run_dir, processes * nodes) if ranks else []),
            f'echo "$rc" > {quoted_dir}/exitcode.$task',
            "exit $rc",
            "",
        ]
        return "\n".join(lines)

    @staticmethod
    def _srun_lines(run_dir: Path, stage: list[str], processes: int, nodes: int) -> list[str]:
        """The lines that start a training stage's `nodes × processes` ranks with srun (synvita.stages.ranks):
        the rendezvous on the first node of the job, a port from the job id; the tasks' stderr straight into the
        run's stderr.log and srun's own messages into stdout.log, so that the run's error is the line of the rank
        that failed; a task that fails ends the step (`--kill-on-bad-exit`)."""
        srun = ["srun", f"--nodes={nodes}", f"--ntasks-per-node={processes}", "--kill-on-bad-exit=1",
                f"--error={run_dir}/{STDERR_FILE}", "--open-mode=append", *stage]
        return [
            "# ranks of the distributed training (synvita.stages.ranks): rank 0 writes the run's files",
            'export MASTER_ADDR="$(scontrol show hostnames "$SLURM_JOB_NODELIST" | head -n 1)"',
            "export MASTER_PORT=$((20000 + SLURM_JOB_ID % 20000))",
            " ".join(shlex.quote(a) for a in srun) + " 2>&1 &",
        ]

    @staticmethod
    def _failed_rank_lines(run_dir: Path, world: int) -> list[str]:
        """After a failed srun step: a rank killed by a signal, or one that exited with a code of its own, wrote no
        error line; srun's first report of a task ("srun: error: NODE: task 1: Killed", in stdout.log) becomes the
        run's error. A rank that raised (exit code 1) has already written its own line."""
        out, err = (shlex.quote(str(Path(run_dir) / name)) for name in (STDOUT_FILE, STDERR_FILE))
        return [
            f'if [ "$rc" != 0 ] && [ "$rc" != {PREEMPTED_EXIT} ]; then',
            f"  grep -a '^srun: error: .*: task [0-9]*: ' {out} | grep -v 'Exited with exit code 1$' | head -n 1 |"
            f" sed -E 's/^srun: error: [^:]*: task ([0-9]+): (.*)$/RankFailed: rank \\1 of {world} failed: \\2/'"
            f" >> {err}",
            "fi",
        ]

    def _submit(self, path: Path, *extra: str) -> str:
        proc = _run_cmd(["sbatch", "--parsable", *extra, str(path)])
        if proc.returncode != 0:
            raise RuntimeError(f"sbatch failed: {(proc.stderr or proc.stdout).strip().splitlines()[-1:]}")
        job_id = proc.stdout.strip().split(";")[0]
        if not re.fullmatch(r"\d+(_\d+)?", job_id):
            raise RuntimeError(f"sbatch printed no job id: {proc.stdout.strip()!r}")
        return job_id

    def start(self, run: Run, run_dir: Path) -> Job:
        path = run_dir / "slurm.sh"
        path.write_text(self.script(run, run_dir))
        job_id = self._submit(path)
        return self._job(run, run_dir, job_id)

    def _job(self, run: Run, run_dir: Path, job_id: str) -> Job:
        shards, _, retries = shard_plan(run)
        extra: dict[str, Any] = {"seen_running": False, "requeues": 0}
        if shards > 1:
            extra["tasks"] = {i: f"{job_id}_{i}" for i in range(shards)}
            extra["retries_left"] = {i: retries for i in range(shards)}
            extra["done"] = set()
        return Job(run_id=run.id, run_dir=run_dir, job_id=job_id, extra=extra, resources=self.resources(run))

    def _queried_ids(self, job: Job) -> list[str]:
        if "tasks" not in job.extra:
            return [job.job_id]
        return sorted({task.split("_")[0] for i, task in job.extra["tasks"].items() if i not in job.extra["done"]})

    def refresh(self, jobs: list[Job]) -> None:
        self._squeue = {}
        ids = [i for j in jobs for i in self._queried_ids(j)]
        if not ids:
            return
        proc = _run_cmd(["squeue", "-h", "-r", "-o", "%i|%T|%r|%N", "-j", ",".join(ids)])
        if proc.returncode != 0 and "Invalid job id" not in proc.stderr:
            # transient controller trouble: treat every job as still there, try again next cycle
            self._squeue = {i: ("UNKNOWN", proc.stderr.strip(), "") for i in ids}
            return
        for line in proc.stdout.splitlines():
            parts = line.strip().split("|")
            if len(parts) >= 2:
                self._squeue[parts[0]] = (parts[1], parts[2] if len(parts) > 2 else "", parts[3] if len(parts) > 3 else "")

    def poll(self, job: Job) -> Outcome | None:
        if "tasks" in job.extra:
            return self._poll_array(job)
        state, reason, node = self._squeue.get(job.job_id, ("", "", ""))
        if state in ACTIVE_SLURM_STATES or state == "UNKNOWN":
            self._note_state(job, state, reason, node)
            return None
        return self._final_state(job, job.job_id)

    def _note_state(self, job: Job, state: str, reason: str, node: str) -> None:
        """Follow one job through the queue: its start on a node, and a return to the queue (requeue)."""
        if state == "RUNNING" and not job.extra.get("seen_running"):
            job.extra["seen_running"] = True
            job.transitions.append({"kind": "started", "node": node or None})
        elif state in ("PENDING", "REQUEUED", "REQUEUE_HOLD", "REQUEUE_FED") and job.extra.get("seen_running"):
            job.extra["seen_running"] = False
            job.extra["requeues"] += 1
            job.transitions.append({"kind": "requeued", "reason": "requeued by Slurm"})
        job.note = f"{state} ({reason})" if reason and reason != "None" else state
        if job.extra.get("requeues"):
            job.note += f", requeued by Slurm x{job.extra['requeues']}"

    def _poll_array(self, job: Job) -> Outcome | None:
        tasks, done = job.extra["tasks"], job.extra["done"]
        running = 0
        for i, task in sorted(tasks.items()):
            if i in done:
                continue
            state, reason, node = self._squeue.get(task, ("", "", ""))
            if not state and any(k.startswith(task.split("_")[0] + "_[") for k in self._squeue):
                state = "PENDING"  # the array's not-yet-started tasks are listed as one line, BASE_[i-j%k]
            if state in ACTIVE_SLURM_STATES or state == "UNKNOWN":
                running += state == "RUNNING"
                if state == "RUNNING" and not job.extra["seen_running"]:
                    self._note_state(job, state, reason, node)
                continue
            outcome = self._final_state(job, task)
            if outcome is None:
                continue
            if outcome.status == "succeeded":
                done.add(i)
            elif outcome.status == "failed" and job.extra["retries_left"][i] > 0:
                job.extra["retries_left"][i] -= 1
                base = self._submit(job.run_dir / "slurm.sh", f"--array={i}")
                tasks[i] = f"{base}_{i}"
                job.transitions.append({"kind": "shard_retried", "shard": i, "job_id": tasks[i], "error": outcome.error})
            else:
                self.kill(job)
                return Outcome(outcome.status, f"shard {i} of {len(tasks)}: {outcome.error}")
        job.note = f"{len(done)}/{len(tasks)} shards done, {running} running"
        if len(done) == len(tasks):
            return Outcome("succeeded")
        return None

    def _final_state(self, job: Job, job_id: str) -> Outcome | None:
        state, exit_code = "", ""
        proc = _run_cmd(["sacct", "-X", "-n", "-P", "-j", job_id, "-o", "State,ExitCode"])
        if proc.returncode == 0 and proc.stdout.strip():
            state, _, exit_code = proc.stdout.strip().splitlines()[-1].partition("|")
        else:
            proc = _run_cmd(["scontrol", "show", "job", "-o", job_id])
            m = re.search(r"JobState=(\S+)", proc.stdout or "")
            if proc.returncode == 0 and m:
                state = m.group(1)
                ec = re.search(r"ExitCode=(\S+)", proc.stdout)
                exit_code = ec.group(1) if ec else ""
        state = state.split()[0] if state else ""
        if state in ACTIVE_SLURM_STATES:
            return None
        exit_file = job.run_dir / f"exitcode.{job_id}"
        if not state and exit_file.exists():
            rc = exit_file.read_text().strip()
            state = "COMPLETED" if rc == "0" else "FAILED"
            exit_code = f"{rc}:0"
        if state == "COMPLETED":
            return Outcome("succeeded")
        if state.startswith("CANCELLED"):
            return Outcome("cancelled", f"Slurm job {job_id} cancelled outside synvita (scancel)")
        if state == "PREEMPTED":
            return Outcome("preempted", f"Slurm job {job_id} preempted and not requeued")
        if state in FAILED_SLURM_STATES:
            fallback = f"Slurm job {job_id} {state} (exit {exit_code})"
            if state in ("FAILED",):
                return Outcome("failed", _failure_error(job.run_dir, fallback))
            return Outcome("failed", fallback)
        if not state:
            waited = job.extra.setdefault(f"vanished_at_{job_id}", time.time())
            if time.time() - waited < 30:
                return None
            return Outcome("lost", f"Slurm job {job_id} left the queue and no accounting knows it")
        return Outcome("failed", f"Slurm job {job_id} ended {state} (exit {exit_code})")

    def kill(self, job: Job) -> None:
        ids = self._queried_ids(job) if "tasks" in job.extra else [job.job_id]
        _run_cmd(["scancel", *ids])

    def reattach(self, run: Run, job_id: str) -> Job | None:
        # any Slurm job can be followed by id: squeue while queued/running, then sacct/scontrol/exit-code file
        return self._job(run, Path(run.run_dir), job_id)


def make_executor(name: str, **options: Any) -> Executor:
    if name == "local":
        return LocalExecutor(**options)
    if name == "slurm":
        return SlurmExecutor(**options)
    raise UnknownNameError(f"unknown executor '{name}'", hint=f"registered executors: {', '.join(EXECUTORS)}")
