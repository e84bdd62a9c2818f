"""Executors: how a worker runs `python -m synvita.stages RUN_DIR` — a local subprocess or a Slurm job.

An executor starts a job for a prepared run directory, reports whether it has ended (and how), and kills it.
The worker does everything else (claiming, heartbeats, ingestion, recording the outcome), so both executors
share the same guarantees. Jobs only write into their run directory; they never open the database.
"""

from __future__ import annotations

import os
import re
import shlex
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from synvita.entities import Run
from synvita.errors import UnknownNameError, UserInputError
from synvita.stages.lifeline import signal_group
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


def _failure_error(run_dir: Path, fallback: str) -> str:
    return error_from_stderr(run_dir / STDERR_FILE) or fallback


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

    def start(self, run: Run, run_dir: Path) -> Job:
        env = dict(os.environ, SYNVITA_RUN_ID=run.id, PYTHONUNBUFFERED="1")
        # Share the cores between the runs executed at once (N one-thread processes beat one N-thread process on
        # CPU); a thread count the user set explicitly wins.
        threads = str(threads_per_run(self.max_parallel))
        for var in ("OMP_NUM_THREADS", "MKL_NUM_THREADS"):
            env.setdefault(var, threads)
        with open(run_dir / STDOUT_FILE, "ab") as out, open(run_dir / STDERR_FILE, "ab") as err:
            proc = subprocess.Popen(
                stage_command(run_dir), stdout=out, stderr=err, stdin=subprocess.DEVNULL,
                env=env, start_new_session=True,
                preexec_fn=_die_with_parent if sys.platform.startswith("linux") else None,
            )
        return Job(run_id=run.id, run_dir=run_dir, job_id=str(proc.pid), handle=proc)

    def poll(self, job: Job) -> Outcome | None:
        rc = job.handle.poll()
        if rc is None:
            return None
        signal_group(job.handle.pid, signal.SIGKILL)  # whatever the stage started and left behind
        if rc == 0:
            return Outcome("succeeded")
        if rc < 0:
            return Outcome("failed", _failure_error(job.run_dir, f"stage killed by signal {-rc}"))
        return Outcome("failed", _failure_error(job.run_dir, f"stage exited with code {rc}"))

    def kill(self, job: Job) -> None:
        """SIGTERM the stage's process group (the stage passes it on to what it started), SIGKILL the group if the
        stage has not exited after the grace period, and SIGKILL whatever of the group is left once it has."""
        proc: subprocess.Popen = job.handle
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


SBATCH_VALUE = re.compile(r"[A-Za-z0-9_.:,=+/@%-]+")
"""What an option value in an `#SBATCH` line may hold (partition lists, times, gres, memory, accounts): no
whitespace, newline, '#' (sbatch would read the rest as a comment or a new option), quote or shell metacharacter."""

SBATCH_EXTRA = re.compile(r"--?[A-Za-z][A-Za-z0-9-]*(=[A-Za-z0-9_.:,=+/@%|&*\[\]()!-]+)?")
"""A raw sbatch option (`extra`): one `--name` or `--name=value`; a value may also hold the operators of
`--constraint` (| & * [ ] ( ) !), which sbatch reads itself (an `#SBATCH` line never reaches a shell)."""


def check_sbatch_value(key: str, value: Any, pattern: re.Pattern[str]) -> None:
    """One line naming `key` when `value` does not fit in an `#SBATCH` line."""
    text = str(value)
    if pattern.fullmatch(text):
        return
    bad = next((c for c in text if not pattern.fullmatch(c)), None) if pattern is SBATCH_VALUE else None
    because = f"the character {bad!r} is not allowed" if bad is not None else "it is not one sbatch option"
    allowed = ("letters, digits and _ . : , = + / @ % -" if pattern is SBATCH_VALUE
               else "one option per entry, e.g. '--exclusive' or '--constraint=a100|h100'")
    raise UserInputError(f"slurm option '{key}' = {text!r}: {because} in a batch script", hint=f"allowed: {allowed}")


def check_slurm_options(options: dict[str, Any]) -> None:
    """Every Slurm option value that goes into a batch script: one line naming the first bad key."""
    for key, value in options.items():
        if value in (None, ""):
            continue
        if key == "extra":
            if isinstance(value, str) or not isinstance(value, (list, tuple)):
                raise UserInputError(f"slurm option 'extra' must be a list of sbatch options, got {value!r}")
            for raw in value:
                check_sbatch_value("extra", raw, SBATCH_EXTRA)
        else:
            check_sbatch_value(key, value, SBATCH_VALUE)


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


class SlurmExecutor(Executor):
    """One sbatch job per run, from a generated batch script in the run directory (`slurm.sh`).

    Jobs are submitted with `--requeue`: when Slurm preempts a job it puts it back in the queue and the run stays
    `running` (noted "requeued by Slurm"); a job that ends PREEMPTED without requeue makes the run `preempted`
    (retry re-queues it). State comes from one `squeue` call per cycle and, once a job has left the queue,
    from `sacct`, else `scontrol show job`, else the exit-code file the script writes.
    Options: `partition`, `time` (e.g. "02:00:00"), `gres` (e.g. "gpu:1"), `cpus`, `mem`, `extra` (list of
    raw sbatch options); a run's `config["slurm"]` section overrides the executor's defaults per run.
    """

    name = "slurm"
    OPTION_KEYS = ("partition", "time", "gres", "cpus", "mem", "extra", "account", "qos")

    def __init__(self, *, max_parallel: int = 64, python: str | None = None, **options: Any) -> None:
        unknown = sorted(set(options) - set(self.OPTION_KEYS))
        if unknown:
            raise UserInputError(f"unknown slurm option '{unknown[0]}'", hint=f"one of: {', '.join(self.OPTION_KEYS)}")
        check_slurm_options(options)
        self.max_parallel = check_parallel(max_parallel)
        self.python = python or sys.executable
        self.options = options
        self._squeue: dict[str, tuple[str, str]] = {}

    def script(self, run: Run, run_dir: Path) -> str:
        """The batch script of one run; every value in an `#SBATCH` line is checked (`check_slurm_options`,
        `check_sbatch_path`) and everything the shell runs is quoted."""
        opts = {**self.options, **{k: v for k, v in dict(run.config.get("slurm", {})).items() if k in self.OPTION_KEYS}}
        check_slurm_options(opts)
        check_sbatch_path("run directory", str(run_dir))
        check_sbatch_path("working directory", os.getcwd())
        check_sbatch_value("run id", run.id, SBATCH_VALUE)
        lines = [
            "#!/bin/bash",
            f"#SBATCH --job-name=synvita-{run.id}",
            f"#SBATCH --output={run_dir}/{STDOUT_FILE}",
            f"#SBATCH --error={run_dir}/{STDERR_FILE}",
            "#SBATCH --open-mode=append",
            "#SBATCH --requeue",
            f"#SBATCH --chdir={os.getcwd()}",
        ]
        for key, flag in (("partition", "partition"), ("time", "time"), ("gres", "gres"), ("cpus", "cpus-per-task"),
                          ("mem", "mem"), ("account", "account"), ("qos", "qos")):
            if opts.get(key) not in (None, ""):
                lines.append(f"#SBATCH --{flag}={opts[key]}")
        for raw in opts.get("extra", []) or []:
            lines.append(f"#SBATCH {raw}")
        cmd = " ".join(shlex.quote(a) for a in [self.python, "-m", "synvita.stages", str(run_dir)])
        lines += [
            f"export SYNVITA_RUN_ID={shlex.quote(run.id)} PYTHONUNBUFFERED=1",
            f"echo {shlex.quote(f'synvita {run.id}:')} \"job $SLURM_JOB_ID on $(hostname), restart ${{SLURM_RESTART_COUNT:-0}}\"",
            cmd,
            "rc=$?",
            f"echo \"$rc\" > {shlex.quote(str(run_dir))}/exitcode.$SLURM_JOB_ID",
            "exit $rc",
            "",
        ]
        return "\n".join(lines)

    def start(self, run: Run, run_dir: Path) -> Job:
        path = run_dir / "slurm.sh"
        path.write_text(self.script(run, run_dir))
        proc = _run_cmd(["sbatch", "--parsable", str(path)])
        if proc.returncode != 0:
            raise RuntimeError(f"sbatch failed: {(proc.stderr or proc.stdout).strip().splitlines()[-1:]}")
        job_id = proc.stdout.strip().split(";")[0]
        if not re.fullmatch(r"\d+(_\d+)?", job_id):
            raise RuntimeError(f"sbatch printed no job id: {proc.stdout.strip()!r}")
        return Job(run_id=run.id, run_dir=run_dir, job_id=job_id, extra={"seen_running": False, "requeues": 0})

    def refresh(self, jobs: list[Job]) -> None:
        self._squeue = {}
        if not jobs:
            return
        proc = _run_cmd(["squeue", "-h", "-o", "%i|%T|%r", "-j", ",".join(j.job_id for j in jobs)])
        if proc.returncode != 0 and "Invalid job id" not in proc.stderr:
            # transient controller trouble: treat every job as still there, try again next cycle
            self._squeue = {j.job_id: ("UNKNOWN", proc.stderr.strip()) for j in jobs}
            return
        for line in proc.stdout.splitlines():
            parts = line.strip().split("|")
            if len(parts) >= 2:
                self._squeue[parts[0]] = (parts[1], parts[2] if len(parts) > 2 else "")

    def poll(self, job: Job) -> Outcome | None:
        state, reason = self._squeue.get(job.job_id, ("", ""))
        if state in ACTIVE_SLURM_STATES or state == "UNKNOWN":
            if state == "RUNNING":
                job.extra["seen_running"] = True
            elif state in ("PENDING", "REQUEUED") and job.extra.get("seen_running"):
                job.extra["seen_running"] = False
                job.extra["requeues"] += 1
            job.note = f"{state} ({reason})" if reason and reason != "None" else state
            if job.extra.get("requeues"):
                job.note += f", requeued by Slurm x{job.extra['requeues']}"
            return None
        final = self._final_state(job)
        if final is None:
            return None  # accounting lags right after the job leaves the queue; ask again next cycle
        return final

    def _final_state(self, job: Job) -> Outcome | None:
        state, exit_code = "", ""
        proc = _run_cmd(["sacct", "-X", "-n", "-P", "-j", job.job_id, "-o", "State,ExitCode"])
        if proc.returncode == 0 and proc.stdout.strip():
            state, _, exit_code = proc.stdout.strip().splitlines()[-1].partition("|")
        else:
            proc = _run_cmd(["scontrol", "show", "job", "-o", job.job_id])
            m = re.search(r"JobState=(\S+)", proc.stdout or "")
            if proc.returncode == 0 and m:
                state = m.group(1)
                ec = re.search(r"ExitCode=(\S+)", proc.stdout)
                exit_code = ec.group(1) if ec else ""
        state = state.split()[0] if state else ""
        if state in ACTIVE_SLURM_STATES:
            return None
        exit_file = job.run_dir / f"exitcode.{job.job_id}"
        if not state and exit_file.exists():
            rc = exit_file.read_text().strip()
            state = "COMPLETED" if rc == "0" else "FAILED"
            exit_code = f"{rc}:0"
        if state == "COMPLETED":
            return Outcome("succeeded")
        if state.startswith("CANCELLED"):
            return Outcome("cancelled", f"Slurm job {job.job_id} cancelled outside synvita (scancel)")
        if state == "PREEMPTED":
            return Outcome("preempted", f"Slurm job {job.job_id} preempted and not requeued")
        if state in FAILED_SLURM_STATES:
            fallback = f"Slurm job {job.job_id} {state} (exit {exit_code})"
            if state in ("FAILED",):
                return Outcome("failed", _failure_error(job.run_dir, fallback))
            return Outcome("failed", fallback)
        if not state:
            waited = job.extra.setdefault("vanished_at", time.time())
            if time.time() - waited < 30:
                return None
            return Outcome("lost", f"Slurm job {job.job_id} left the queue and no accounting knows it")
        return Outcome("failed", f"Slurm job {job.job_id} ended {state} (exit {exit_code})")

    def kill(self, job: Job) -> None:
        _run_cmd(["scancel", job.job_id])

    def reattach(self, run: Run, job_id: str) -> Job | None:
        # any Slurm job can be followed by id: squeue while queued/running, then sacct/scontrol/exit-code file
        return Job(run_id=run.id, run_dir=Path(run.run_dir), job_id=job_id,
                   extra={"seen_running": False, "requeues": 0})


def make_executor(name: str, **options: Any) -> Executor:
    if name == "local":
        return LocalExecutor(**options)
    if name == "slurm":
        return SlurmExecutor(**options)
    raise UnknownNameError(f"unknown executor '{name}'", hint=f"registered executors: {', '.join(EXECUTORS)}")
