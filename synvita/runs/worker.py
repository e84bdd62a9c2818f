"""The worker: claims queued runs and executes them, keeping the store honest about what happens.

For each claimed run it writes the run directory (`config.json`, `env.json`), starts the stage through an
executor (`local` subprocess or `slurm` job), tails `events.jsonl` into the store, heartbeats, stops the job
when the run gets cancelled, and records succeeded / failed (with the stage's exception line) / cancelled.
Ctrl-C or SIGTERM stops the running jobs and marks their runs `cancelled` ("interrupted"); a run is never
left `running` by a worker that exits. A worker that dies (kill -9) leaves its runs to the reaper, which any
other worker runs: without heartbeats for `lost_after_s` they become `lost`, and `retry` re-queues them.

Each execution is fenced: claiming a run gives it a fresh attempt token, and every write of the worker for that run
(events, job id, heartbeat, completion) carries it, so a worker that stalled past `lost_after_s` while another
attempt took its run over writes nothing into that run; at its next heartbeat it stops the job. A database locked
by another writer is waited out with backoff (`synvita.runs.lock_waits`), never a reason to exit.

`python -m synvita.runs.worker --db PATH [--until-idle] ...` runs one (the CLI's `synvita worker` does the same).
"""

from __future__ import annotations

import argparse
import contextlib
import faulthandler
import functools
import logging
import math
import os
import signal
import socket
import sys
import threading
import time
from pathlib import Path
from typing import Any, Callable

from synvita.entities import Run
from synvita.errors import SynvitaError, UserInputError, storage_failure
from synvita.events import EVENTS_FILE, EventWriter
from synvita.runs.executors import Executor, Job, make_executor
from synvita.runs.ingest import ingest_run_dir, start_attempt_events
from synvita.runs.lock_waits import PatientStore
from synvita.runs.rundir import prepare_run_dir
from synvita.store import Store
from synvita.store.queue import new_attempt_token

log = logging.getLogger(__name__)

OnEvent = Callable[[Run, dict[str, Any]], None]
"""Called with the run and each event: the stage's events as read from events.jsonl, plus the worker's own
`{"kind": "status", "status": ..., "error": ..., "seq": None}` when a run starts and ends."""


@contextlib.contextmanager
def _signals_deferred() -> Any:
    """Ignore SIGINT/SIGTERM inside the block (main thread only); the previous handlers come back afterwards."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = {sig: signal.signal(sig, signal.SIG_IGN) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


class WorkerInterrupted(KeyboardInterrupt):
    """Raised in the worker loop by SIGTERM (Ctrl-C raises plain KeyboardInterrupt); front ends treat both alike."""


def dump_stacks_on_sigusr1() -> None:
    """`kill -USR1 <pid>` prints every thread's stack on stderr (where is a worker stuck?)."""
    if hasattr(signal, "SIGUSR1") and threading.current_thread() is threading.main_thread():
        try:
            faulthandler.register(signal.SIGUSR1, all_threads=True)
        except (AttributeError, ValueError, OSError):  # stderr is not a real file (captured output): no dumps
            pass


def check_heartbeat_timing(heartbeat_s: float, lost_after_s: float) -> None:
    """The heartbeat timeout must be a finite number of seconds > 0 and longer than the heartbeat interval: with 0
    every running run (this worker's own included) would count as lost at once, and with less than the interval
    the other workers would mark this worker's live runs lost between two beats."""
    if not (isinstance(lost_after_s, (int, float)) and math.isfinite(lost_after_s) and lost_after_s > 0):
        raise UserInputError(f"--lost-after {lost_after_s!r}: the heartbeat timeout must be a number of seconds > 0",
                             hint="e.g. --lost-after 30 (the default)")
    if not (isinstance(heartbeat_s, (int, float)) and math.isfinite(heartbeat_s) and heartbeat_s > 0):
        raise UserInputError(f"--heartbeat {heartbeat_s!r}: the heartbeat interval must be a number of seconds > 0")
    if lost_after_s <= heartbeat_s:
        raise UserInputError(
            f"--lost-after {lost_after_s:g}: the heartbeat timeout must be longer than the heartbeat interval "
            f"({heartbeat_s:g} s), or live runs would be marked lost between two beats",
            hint=f"use at least {3 * heartbeat_s:g} s",
        )


def default_worker_id() -> str:
    return f"w-{socket.gethostname().split('.')[0]}-{os.getpid()}"


class Worker:
    def __init__(
        self,
        store_path: str | Path | None = None,
        *,
        worker_id: str | None = None,
        executor: str | Executor = "local",
        poll_s: float = 0.5,
        heartbeat_s: float = 2.0,
        lost_after_s: float = 30.0,
        submission: str | None = None,
        on_event: OnEvent | None = None,
        busy_timeout_s: float = 10.0,
        executor_options: dict[str, Any] | None = None,
        retry_lost: int = 0,
        stop: threading.Event | None = None,
    ) -> None:
        check_heartbeat_timing(heartbeat_s, lost_after_s)
        self._stop = stop if stop is not None else threading.Event()
        """Set (by `stop()` or by whoever passed it in) to make `run` stop its jobs and return."""
        self.store = PatientStore(Store.open(store_path, busy_timeout_s=busy_timeout_s), stop=self._stop,
                                  max_pause_s=min(1.0, heartbeat_s))
        """The store; a call that finds the database locked waits and tries again."""
        self.worker_id = worker_id or default_worker_id()
        self.executor = executor if isinstance(executor, Executor) else make_executor(executor, **(executor_options or {}))
        self.poll_s = poll_s
        self.heartbeat_s = heartbeat_s
        self.lost_after_s = lost_after_s
        self.submission = submission
        self.retry_lost = retry_lost
        """Reaper's retry budget: a lost local run is re-queued while attempt <= retry_lost (0: stays lost)."""
        self.on_event = on_event
        self.executed: list[str] = []
        """Ids of the runs this worker started, in order."""
        self._active: dict[str, tuple[Run, Job, float]] = {}  # run id → (run, job, last heartbeat time)
        self._tokens: dict[str, str] = {}
        """The attempt token of each active run (what this worker's writes for it carry)."""
        self._ingest_warned: set[str] = set()
        self._events_size: dict[str, int] = {}

    # ------------------------------------------------------------------ public

    def stop(self) -> None:
        """Ask the loop to stop (from another thread): running jobs are stopped and marked cancelled."""
        self._stop.set()

    def run(self, until_idle: bool = False, max_runs: int | None = None) -> list[str]:
        """Claim and execute runs until stopped; `until_idle`: return once nothing is running or claimable (for
        this worker's submission); `max_runs`: return after starting that many and finishing them.
        Returns the ids of the runs this call started."""
        started: list[str] = []
        previous = self._install_signals()
        last_reap = 0.0
        try:
            self._adopt_orphans()
            while not self._stop.is_set():
                now = time.time()
                if now - last_reap >= min(self.lost_after_s / 3, 5.0):
                    self._beat_all()  # after a stall of this process, its own runs must not look dead to itself
                    for lost in self.store.reap_lost(self.lost_after_s, retry_budget=self.retry_lost,
                                                     exclude_worker=self.worker_id):
                        self._emit(lost, {"kind": "status", "status": lost.status, "error": lost.error, "seq": None})
                    last_reap = now
                while len(self._active) < self.executor.max_parallel and (max_runs is None or len(started) < max_runs):
                    token = new_attempt_token()
                    run = self.store.claim_next(self.worker_id, submission=self.submission, executor=self.executor.name,
                                                token=token)
                    if run is None:
                        break
                    if self._start(run, token):
                        started.append(run.id)
                        self.executed.append(run.id)
                self._service()
                if not self._active:
                    if max_runs is not None and len(started) >= max_runs:
                        break
                    if until_idle and not self.store.has_pending(submission=self.submission):
                        break
                self._stop.wait(self.poll_s)
            self._abandon("stopped (worker shut down)")
        except WorkerInterrupted:
            self._abandon("interrupted (SIGTERM)")
            raise
        except KeyboardInterrupt:
            self._abandon("interrupted (Ctrl-C)")
            raise
        except BaseException as exc:
            self._abandon(f"worker crashed: {type(exc).__name__}: {exc}")
            raise
        finally:
            self._restore_signals(previous)
        return started

    def close(self) -> None:
        self.store.store.close()

    # ------------------------------------------------------------------ internals

    def _emit(self, run: Run, event: dict[str, Any]) -> None:
        if self.on_event is not None:
            try:
                self.on_event(run, event)
            except Exception:  # a front end's display bug must not kill runs
                pass

    def _ancestors(self, deps: list[Run]) -> list[Run]:
        """Indirect upstream runs, breadth-first (nearest first), excluding the direct dependencies."""
        seen = {d.id for d in deps}
        frontier, found = list(deps), []
        while frontier:
            parent_ids = [i for d in frontier for i in d.depends_on if i not in seen]
            seen.update(parent_ids)
            frontier = self.store.get_runs(list(dict.fromkeys(parent_ids))) if parent_ids else []
            found.extend(frontier)
        return found

    def _start(self, run: Run, token: str) -> bool:
        """Start the job of a run this worker claimed under `token`; returns whether it did (a job that could not
        start fails its run, and counts as started).

        A worker that stalled past the heartbeat timeout after its claim, while the run was re-queued and taken by
        another worker, leaves the run and its directory to that worker: ownership is checked first, then each
        write to the run directory (config.json and env.json, then the swap of the events file for the new attempt,
        which ends the stage writing the old file) happens in the store transaction that checks it again
        (`Store.while_owned`), and recording the attempt checks it once more and kills a job started too late."""
        if run.id in self._active:  # this worker's earlier attempt, stalled and re-queued meanwhile: stop it first
            self._stop_job(run.id, "lost")
        if not self._owns(run.id, token):
            return False
        self._tokens[run.id] = token
        try:
            deps = self.store.get_runs(run.depends_on) if run.depends_on else []
            owned = functools.partial(self.store.while_owned, run.id, self.worker_id, token)
            run_dir = prepare_run_dir(run, deps, worker_id=self.worker_id, executor=self.executor.name,
                                      ancestors=self._ancestors(deps), while_owned=owned)
            if run_dir is None or not start_attempt_events(self.store, run.id, run_dir, run.attempt,
                                                           while_owned=owned):
                del self._tokens[run.id]
                return False
            with EventWriter(run_dir) as ev:
                ev.log(f"attempt {run.attempt} on {socket.gethostname()} by worker {self.worker_id} ({self.executor.name})")
            job = self.executor.start(run, run_dir)
        except Exception as exc:  # could not even start: the run fails with the reason, others go on
            self._ingest(run)
            cause = storage_failure(exc, run.id, run.run_dir) if isinstance(exc, OSError) else None
            finished = self.store.finish(run.id, "failed", f"could not start: {cause or f'{type(exc).__name__}: {exc}'}",
                                         worker_id=self.worker_id, token=token)
            del self._tokens[run.id]
            self._emit(finished, {"kind": "status", "status": finished.status, "error": finished.error, "seq": None})
            return True
        local = self.executor.name == "local"
        number = self.store.start_attempt(run.id, self.executor.name, job.job_id, resources=job.resources,
                                          node=socket.gethostname() if local else None, started=local, token=token)
        if number is None:  # the run was taken over while its job started: that job is no attempt of it
            del self._tokens[run.id]
            self.executor.kill(job)
            return False
        job.extra["attempt"] = number
        self.store.set_job(run.id, job.job_id, worker_id=self.worker_id, token=token)
        self._active[run.id] = (run, job, time.time())
        self._emit(run, {"kind": "status", "status": "running", "error": None, "seq": None})
        return True

    def _owns(self, run_id: str, token: str) -> bool:
        """Whether the run is still running under this worker's attempt `token` (a heartbeat that says so)."""
        return self.store.heartbeat(run_id, self.worker_id, token=token) == "running"

    def _adopt_orphans(self) -> None:
        """Follow jobs (Slurm) whose submitting worker went away, instead of leaving them lost while they run."""
        for run, job_id in self.store.orphaned_jobs(self.executor.name, self.lost_after_s):
            job = self.executor.reattach(run, job_id)
            if job is None:
                continue
            token = new_attempt_token()
            adopted = self.store.adopt(run.id, self.worker_id, stale_after_s=self.lost_after_s, token=token)
            if adopted is None:
                continue
            self._tokens[run.id] = token
            last = (self.store.attempts(run.id) or [None])[-1]
            if last is not None and last.job_id == job_id and last.ended_at is None:
                job.extra["attempt"] = last.number
            else:
                job.extra["attempt"] = self.store.start_attempt(run.id, self.executor.name, job_id, resources=job.resources,
                                                                token=token)
            self._active[run.id] = (adopted, job, time.time())
            self._emit(adopted, {"kind": "status", "status": "running", "error": None, "seq": None,
                                 "adopted_job": job_id})

    def _ingest(self, run: Run, *, force: bool = False) -> None:
        """Ingest new complete lines of the run's events.jsonl (skipped while the file has not grown)."""
        try:
            size = os.stat(Path(run.run_dir) / EVENTS_FILE).st_size
        except OSError:
            size = -1
        if not force and size == self._events_size.get(run.id):
            return
        try:
            new = ingest_run_dir(self.store, run.id, run.run_dir, token=self._tokens.get(run.id))
            self._events_size[run.id] = size
        except SynvitaError:
            raise
        except Exception as exc:  # e.g. an unreadable run dir: report once per run, try again next cycle
            new = []
            if run.id not in self._ingest_warned:
                self._ingest_warned.add(run.id)
                log.warning("worker %s cannot ingest events of %s: %s: %s", self.worker_id, run.id,
                            type(exc).__name__, exc)
        for event in new:
            self._emit(run, event)

    def _service(self) -> None:
        jobs = [job for _, job, _ in self._active.values()]
        self.executor.refresh(jobs)
        for run_id, (run, job, last_hb) in list(self._active.items()):
            self._ingest(run)
            if time.time() - last_hb >= self.heartbeat_s and not self._beat(run_id):
                continue
            outcome = self.executor.poll(job)
            self._record_transitions(run_id, job)
            if outcome is None:
                continue
            self._ingest(run, force=True)
            self._end_attempt(run_id, job, outcome.status)
            final = self.store.finish(run_id, outcome.status, outcome.error, worker_id=self.worker_id,
                                      token=self._tokens[run_id])
            del self._active[run_id], self._tokens[run_id]
            self._emit(final, {"kind": "status", "status": final.status, "error": final.error, "seq": None})

    def _record_transitions(self, run_id: str, job: Job) -> None:
        """Record on the run's attempts what the executor saw happen to its job: a start on a node, a requeue
        (the attempt ends, a new one of the same job begins)."""
        number = job.extra.get("attempt")
        for change in job.transitions:
            if number is None:
                break
            if change["kind"] == "started":
                self.store.update_attempt(run_id, number, started_at=time.time(), node=change.get("node"))
            elif change["kind"] == "requeued":
                self.store.end_attempt(run_id, number, change.get("reason") or "requeued")
                number = self.store.start_attempt(run_id, self.executor.name, job.job_id, resources=job.resources,
                                                  token=self._tokens.get(run_id))
                job.extra["attempt"] = number
        job.transitions.clear()

    def _end_attempt(self, run_id: str, job: Job, why: str) -> None:
        if job.extra.get("attempt") is not None:
            self.store.end_attempt(run_id, job.extra["attempt"], why)

    def _beat(self, run_id: str) -> bool:
        """Heartbeat one active run. A run that is no longer `running` for this attempt (cancelled, lost to another
        worker's reaper, re-queued, or owned by another attempt) has its job stopped and leaves the active set
        without anything more written for it. Returns whether the run is still active."""
        run, job, _ = self._active[run_id]
        status = self.store.heartbeat(run_id, self.worker_id, progress_msg=job.note or None,
                                      token=self._tokens[run_id])
        self._active[run_id] = (run, job, time.time())
        if status == "running":
            return True
        self._stop_job(run_id, status)
        final = self.store.get_run(run_id)
        self._emit(final, {"kind": "status", "status": final.status, "error": final.error, "seq": None})
        return False

    def _stop_job(self, run_id: str, why: str) -> None:
        """Kill the job of an active run this attempt no longer owns, end its attempt with `why`, forget it."""
        _, job, _ = self._active.pop(run_id)
        del self._tokens[run_id]
        self.executor.kill(job)
        self._end_attempt(run_id, job, why)

    def _beat_all(self) -> None:
        for run_id in list(self._active):
            self._beat(run_id)

    def _abandon(self, why: str) -> None:
        """Stop every active job and mark its run cancelled: never leave a run `running` behind.
        A second Ctrl-C / SIGTERM during this cleanup is ignored, so it cannot leave runs half-abandoned."""
        with _signals_deferred():
            self._abandon_active(why)

    def _abandon_active(self, why: str) -> None:
        for run_id, (run, job, _) in list(self._active.items()):
            try:
                self.executor.kill(job)
            except Exception:
                pass
            try:
                self._end_attempt(run_id, job, "cancelled")
                self._ingest(run, force=True)
                final = self.store.finish(run_id, "cancelled", f"{why} on worker {self.worker_id}",
                                          worker_id=self.worker_id, token=self._tokens.get(run_id))
                self._emit(final, {"kind": "status", "status": final.status, "error": final.error, "seq": None})
            except Exception:
                pass  # the reaper will mark it lost
            del self._active[run_id]
            self._tokens.pop(run_id, None)

    def _install_signals(self) -> Any:
        """SIGTERM raises WorkerInterrupted; SIGINT raises KeyboardInterrupt even when the worker was started with
        SIGINT ignored (a script's background job: the shell hands it ignored and Python keeps it so), or Ctrl-C /
        kill -INT would never cancel its runs. Returns the previous handlers."""
        if threading.current_thread() is not threading.main_thread():
            return None

        def _raise(signum: int, frame: Any) -> None:
            raise WorkerInterrupted()

        return signal.signal(signal.SIGTERM, _raise), signal.signal(signal.SIGINT, signal.default_int_handler)

    def _restore_signals(self, previous: Any) -> None:
        if previous is not None and threading.current_thread() is threading.main_thread():
            signal.signal(signal.SIGTERM, previous[0])
            signal.signal(signal.SIGINT, previous[1])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m synvita.runs.worker", description="Run a synvita worker.")
    parser.add_argument("--db", default=None, help="database (default: SYNVITA_DB > SYNVITA_HOME > ./.synvita)")
    parser.add_argument("--worker-id", default=None)
    parser.add_argument("--executor", default="local", choices=["local", "slurm"])
    parser.add_argument("--parallel", type=int, default=None, help="jobs at once (local 1, slurm 64)")
    parser.add_argument("--poll", type=float, default=0.5)
    parser.add_argument("--heartbeat", type=float, default=2.0)
    parser.add_argument("--lost-after", type=float, default=30.0)
    parser.add_argument("--submission", default=None)
    parser.add_argument("--retry-lost", type=int, default=0, help="re-queue a lost run up to N times")
    parser.add_argument("--until-idle", action="store_true")
    parser.add_argument("--max-runs", type=int, default=None)
    parser.add_argument("--print-claims", action="store_true", help="print each started run id on stdout")
    args = parser.parse_args(argv)
    dump_stacks_on_sigusr1()
    options = {"max_parallel": args.parallel} if args.parallel else {}
    try:
        worker = Worker(
            args.db, worker_id=args.worker_id, executor=args.executor, poll_s=args.poll, heartbeat_s=args.heartbeat,
            lost_after_s=args.lost_after, submission=args.submission, executor_options=options,
            retry_lost=args.retry_lost,
            on_event=(lambda run, ev: print(run.id, flush=True) if ev.get("kind") == "status" and ev.get("status") == "running" else None)
            if args.print_claims else None,
        )
        try:
            worker.run(until_idle=args.until_idle, max_runs=args.max_runs)
        finally:
            worker.close()
    except SynvitaError as exc:
        print(f"error: {exc.one_line()}", file=sys.stderr)
        return exc.exit_code
    except (KeyboardInterrupt, WorkerInterrupted):
        return 130
    return 0


if __name__ == "__main__":
    sys.exit(main())
