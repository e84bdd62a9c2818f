"""The run lifecycle a worker drives: claim, adopt, heartbeat, finish; and what users do: cancel, retry.

Every transition is one guarded UPDATE inside a `BEGIN IMMEDIATE` transaction, so two workers never claim the
same run and a terminal run is never overwritten. Failed or cancelled runs block their queued dependants
(`RunRecords._block_dependants`); retry re-queues them.

Fencing: a claim or an adoption gives the run a fresh attempt token (`runs.attempt_token`, the caller's or a new
one); a re-queue (retry, the reaper's retry budget) clears it. A worker passes its token with every write for the
run (heartbeat, events, job id, completion), and the store refuses a write whose token is not the run's: a worker
that stalled past the heartbeat timeout while another attempt took the run over writes nothing into it.

Lost runs: the reaper marks a run lost only by the age of its heartbeat, never the runs of the worker calling it,
and not while writers may have been held up by a lock (see `reap_lost`).
"""

from __future__ import annotations

import secrets
import time
from typing import Any, Callable

from sqlalchemy import func, or_, select, text

from synvita.entities import RUN_STATUSES, TERMINAL_STATUSES, Run
from synvita.errors import NotFoundError, StoreError, UserInputError
from synvita.store.models import ATTEMPTS, RUNS
from synvita.store.runs import RunRecords
from synvita.store.sqlite_errors import DatabaseLocked

FAILED_LIKE = ("failed", "cancelled")
RETRYABLE = ("failed", "lost", "cancelled", "preempted")

LOCK_WAIT_SHARE = 0.5
"""A wait for the write lock longer than this share of the heartbeat timeout may have held heartbeats up as long,
enough to age a live run's heartbeat past the timeout (beats come at most half a timeout apart with the advised
interval): the reaper then reaps nothing until a whole timeout has passed without such a wait. Shorter waits,
like a busy machine's slow start of a transaction, change nothing."""


def new_attempt_token() -> str:
    """A fresh attempt token (what `claim_next` and `adopt` record when the caller brings none)."""
    return secrets.token_hex(8)


def _owned(current: str | None, token: str | None) -> bool:
    """Whether a write carrying `token` may change a run whose token is `current` (None: an unfenced caller)."""
    return token is None or token == current


class RunQueue(RunRecords):
    """Claiming and ending runs."""

    def claim_next(self, worker_id: str, *, submission: str | None = None, executor: str | None = None,
                   token: str | None = None) -> Run | None:
        """Atomically move the oldest claimable run (queued, all dependencies succeeded) to `running` for
        `worker_id` under the attempt token `token` (a new one when None); None when there is none. Exactly once:
        two workers never get the same run."""
        now = time.time()
        sub_clause = "AND r.submission = :submission" if submission else ""
        candidate_sql = (
            "SELECT r.id FROM runs AS r WHERE r.status = 'queued' " + sub_clause +
            " AND NOT EXISTS (SELECT 1 FROM run_deps AS d JOIN runs AS p ON p.id = d.depends_on"
            "                 WHERE d.run_id = r.id AND p.status != 'succeeded')"
            " ORDER BY r.created_at, r.id LIMIT 1"
        )
        # an idle worker polls often: look without the write lock first, take it only when there is work
        with self._read() as conn:
            if conn.execute(text(candidate_sql), {"submission": submission}).first() is None:
                return None
        with self._write() as conn:
            row = conn.execute(
                text(
                    "UPDATE runs SET status = 'running', worker = :worker, executor = :executor, started_at = :now,"
                    " heartbeat_at = :now, finished_at = NULL, error = NULL, blocked_by = NULL,"
                    " progress = NULL, progress_msg = '', job_id = NULL, attempt_token = :token"
                    " WHERE status = 'queued' AND id = (" + candidate_sql + ") RETURNING id"
                ),
                {"worker": worker_id, "executor": executor, "now": now, "submission": submission,
                 "token": token or new_attempt_token()},
            ).first()
            if row is None:
                return None
            return self._fetch_run(conn, row[0])

    def has_pending(self, *, submission: str | None = None) -> bool:
        """True while some run (of `submission`) is running or claimable. False means nothing will happen
        without someone's action (everything ended, or the rest waits on lost/preempted runs to be retried)."""
        sub_clause = "AND r.submission = :submission" if submission else ""
        with self._read() as conn:
            row = conn.execute(
                text(
                    "SELECT 1 FROM runs AS r WHERE r.status = 'running' " + sub_clause + " UNION ALL "
                    "SELECT 1 FROM runs AS r WHERE r.status = 'queued' " + sub_clause +
                    " AND NOT EXISTS (SELECT 1 FROM run_deps AS d JOIN runs AS p ON p.id = d.depends_on"
                    " WHERE d.run_id = r.id AND p.status != 'succeeded') LIMIT 1"
                ),
                {"submission": submission},
            ).first()
            return row is not None

    def orphaned_jobs(self, executor: str, stale_after_s: float) -> list[tuple[Run, str]]:
        """(run, job id) of `executor` runs whose worker went away while their job may still exist: `lost`, or
        `running` without a heartbeat for `stale_after_s`. A new worker can `adopt` them (Slurm jobs outlive
        the host process that submitted them)."""
        cutoff = time.time() - float(stale_after_s)
        with self._read() as conn:
            rows = conn.execute(
                select(RUNS).where(
                    RUNS.c.executor == executor,
                    RUNS.c.job_id.is_not(None),
                    or_(RUNS.c.status == "lost",
                        (RUNS.c.status == "running") & (func.coalesce(RUNS.c.heartbeat_at, 0) < cutoff)),
                )
            ).all()
            runs = self._to_runs(conn, rows)
            return [(run, row.job_id) for run, row in zip(runs, rows)]

    def adopt(self, run_id: str, worker_id: str, *, stale_after_s: float, token: str | None = None) -> Run | None:
        """Take over a run whose worker went away (see `orphaned_jobs`): it becomes `running` under `worker_id`
        with the attempt token `token` (a new one when None; the old worker's writes are refused from now on),
        error cleared. None when another worker was faster or the run moved on."""
        now = time.time()
        with self._write() as conn:
            row = conn.execute(
                text(
                    "UPDATE runs SET status = 'running', worker = :worker, heartbeat_at = :now, error = NULL,"
                    " finished_at = NULL, attempt_token = :token WHERE id = :rid AND (status = 'lost' OR"
                    " (status = 'running' AND coalesce(heartbeat_at, 0) < :cutoff)) RETURNING id"
                ),
                {"worker": worker_id, "now": now, "rid": run_id, "cutoff": now - float(stale_after_s),
                 "token": token or new_attempt_token()},
            ).first()
            return None if row is None else self._fetch_run(conn, run_id)

    def set_job(self, run_id: str, job_id: str | None, *, worker_id: str | None = None,
                token: str | None = None) -> None:
        """Record the executor's handle (pid or Slurm job id) of a running run (only while `worker_id` and
        `token`, where given, still own it)."""
        with self._write() as conn:
            conds = [RUNS.c.id == run_id]
            if worker_id is not None:
                conds.append(RUNS.c.worker == worker_id)
            if token is not None:
                conds.append(RUNS.c.attempt_token == token)
            conn.execute(RUNS.update().where(*conds).values(job_id=job_id))

    def job_id(self, run_id: str) -> str | None:
        with self._read() as conn:
            self._status_of(conn, run_id)
            return conn.execute(select(RUNS.c.job_id).where(RUNS.c.id == run_id)).scalar()

    def heartbeat(self, run_id: str, worker_id: str, *, progress_msg: str | None = None,
                  token: str | None = None) -> str:
        """Refresh a running run's heartbeat. Returns the run's status as this worker should see it: its status,
        or "lost" when another worker or another attempt (`token`) owns the run now, or it was re-queued. The
        worker stops the job unless it gets "running"."""
        with self._write() as conn:
            return self._beat(conn, run_id, worker_id, token, progress_msg)

    def while_owned(self, run_id: str, worker_id: str, token: str, action: Callable[[], None]) -> bool:
        """Call `action` only if the run is running under this worker's attempt `token`, inside the write
        transaction that checked it: no other worker can claim, adopt or re-queue the run between the check and the
        end of `action`. Returns whether it was called. For a short step on the run's files that must never touch
        another attempt's (the worker writing a new attempt's files); `action` writes nothing to the store. The
        check is a `heartbeat`."""
        with self._write() as conn:
            if self._beat(conn, run_id, worker_id, token, None) != "running":
                return False
            action()
            return True

    def _beat(self, conn, run_id: str, worker_id: str, token: str | None, progress_msg: str | None) -> str:
        """`heartbeat` inside the caller's write transaction."""
        status, owner, current = self._ownership(conn, run_id)
        if owner != worker_id or not _owned(current, token):
            return "lost"
        if status == "running":
            values: dict[str, Any] = {"heartbeat_at": time.time()}
            if progress_msg is not None:
                values["progress_msg"] = progress_msg
            conn.execute(RUNS.update().where(RUNS.c.id == run_id).values(**values))
        return status

    def _ownership(self, conn, run_id: str) -> tuple[str, str | None, str | None]:
        """(status, worker, attempt token) of a run, read in the caller's transaction."""
        row = conn.execute(
            select(RUNS.c.status, RUNS.c.worker, RUNS.c.attempt_token).where(RUNS.c.id == run_id)
        ).first()
        if row is None:
            raise NotFoundError(f"no run '{run_id}' in {self.path}", hint="see `synvita runs ls`")
        return tuple(row)

    def finish(self, run_id: str, status: str, error: str | None = None, *, worker_id: str | None = None,
               token: str | None = None) -> Run:
        """Guarded end of a run: running|lost|preempted → succeeded|failed|cancelled|lost|preempted.

        A terminal run (succeeded/failed/cancelled) is never overwritten: the call returns it unchanged. With
        `worker_id` or `token`, a run now owned by another worker or another attempt (or re-queued) is left alone
        too. `failed`/`cancelled` cancel the queued dependants ("dependency r-x failed").
        """
        if status not in RUN_STATUSES or status in ("queued", "running"):
            raise UserInputError(
                f"cannot finish run {run_id} as '{status}'",
                hint="one of: succeeded, failed, cancelled, lost, preempted",
            )
        now = time.time()
        with self._write() as conn:
            current, owner, current_token = self._ownership(conn, run_id)
            if current in TERMINAL_STATUSES or current == status:
                return self._fetch_run(conn, run_id)
            if (worker_id is not None and owner != worker_id) or not _owned(current_token, token):
                return self._fetch_run(conn, run_id)
            if current == "queued":
                raise StoreError(
                    f"run {run_id} is queued, not running; it cannot become {status}",
                    hint="use cancel for a queued run",
                )
            values: dict[str, Any] = {"status": status, "finished_at": now}
            if status == "succeeded":
                values["error"] = None
                values["progress"] = 1.0
            elif error is not None:
                values["error"] = error
            conn.execute(RUNS.update().where(RUNS.c.id == run_id, RUNS.c.status == current).values(**values))
            if status in FAILED_LIKE:
                self._block_dependants(conn, [run_id], now)
            return self._fetch_run(conn, run_id)

    def cancel(self, run_id: str, reason: str = "cancelled by user") -> Run:
        """queued|running|lost|preempted → cancelled (a worker running it sees this at its next heartbeat and
        kills the job); queued dependants are cancelled too. Cancelling a cancelled run is a no-op;
        a succeeded or failed run → UserInputError."""
        now = time.time()
        with self._write() as conn:
            current = self._status_of(conn, run_id)
            if current == "cancelled":
                return self._fetch_run(conn, run_id)
            if current in TERMINAL_STATUSES:
                raise UserInputError(f"run {run_id} already {current}; nothing to cancel", hint="see `synvita runs show`")
            conn.execute(
                RUNS.update()
                .where(RUNS.c.id == run_id, RUNS.c.status == current)
                .values(status="cancelled", error=reason, finished_at=now)
            )
            self._block_dependants(conn, [run_id], now)
            return self._fetch_run(conn, run_id)

    def retry(self, run_id: str) -> Run:
        """failed|lost|cancelled|preempted → queued under the same id (attempt += 1, error cleared). The runs that
        were cancelled because of this one are re-queued with it. UserInputError for queued/running/succeeded
        runs, or while one of its own dependencies is failed/cancelled (retry that one first)."""
        now = time.time()
        with self._write() as conn:
            current = self._status_of(conn, run_id)
            if current not in RETRYABLE:
                raise UserInputError(
                    f"run {run_id} is {current}; only failed, lost, cancelled or preempted runs can be retried",
                    hint="see `synvita runs show " + run_id + "`",
                )
            bad = conn.execute(
                text(
                    "SELECT p.id, p.status, p.blocked_by FROM run_deps AS d JOIN runs AS p ON p.id = d.depends_on"
                    " WHERE d.run_id = :rid AND p.status IN ('failed', 'cancelled', 'lost', 'preempted') LIMIT 1"
                ),
                {"rid": run_id},
            ).first()
            if bad is not None:
                root = bad.blocked_by or bad.id
                raise UserInputError(
                    f"run {run_id} depends on {bad.id}, which is {bad.status}",
                    hint=f"retry {root} first (`synvita runs retry {root}`); its dependants are re-queued with it",
                )
            conn.execute(
                RUNS.update()
                .where(RUNS.c.id == run_id)
                .values(
                    status="queued", attempt=RUNS.c.attempt + 1, error=None, blocked_by=None, worker=None,
                    started_at=None, finished_at=None, heartbeat_at=None, progress=None, progress_msg="", job_id=None,
                    attempt_token=None,
                )
            )
            # re-queue what this run's failure cancelled, then re-block anything with another failed dependency
            conn.execute(
                RUNS.update()
                .where(RUNS.c.blocked_by == run_id, RUNS.c.status == "cancelled")
                .values(status="queued", error=None, blocked_by=None, finished_at=None)
            )
            failed_deps = [
                r[0]
                for r in conn.execute(
                    text(
                        "SELECT DISTINCT d.depends_on FROM run_deps AS d JOIN runs AS p ON p.id = d.depends_on"
                        " WHERE p.status IN ('failed', 'cancelled')"
                        " AND d.run_id IN (SELECT id FROM runs WHERE status = 'queued')"
                    )
                )
            ]
            self._block_dependants(conn, failed_deps, now)
            return self._fetch_run(conn, run_id)

    def reap_lost(self, heartbeat_timeout_s: float, *, retry_budget: int = 0,
                  exclude_worker: str | None = None) -> list[Run]:
        """Running runs without a heartbeat for `heartbeat_timeout_s` become `lost` (their worker died), except
        the runs of `exclude_worker` (the calling worker's own: it is alive, whatever their heartbeat says).

        A lock held by another writer holds heartbeats up as well: nothing is reaped by a call that waited for
        the write lock longer than `LOCK_WAIT_SHARE` of the timeout, nor until a whole timeout has passed since
        this process last found the database locked (`DatabaseLocked`), so the owners of those runs get a full
        timeout to heartbeat once the database is writable again.

        `retry_budget` > 0: a lost run that has had at most that many retries (attempt <= retry_budget) is
        re-queued right away instead (attempt += 1; the error keeps why; its attempt token cleared) — except Slurm
        runs, whose job may still be running: a new Slurm worker adopts those (see `orphaned_jobs`)."""
        timeout = float(heartbeat_timeout_s)
        asked = time.monotonic()
        try:
            with self._write() as conn:
                if timeout > 0:  # (a timeout ≤ 0 declares every running run silent, lock or not)
                    if time.monotonic() - asked > LOCK_WAIT_SHARE * timeout:
                        self.locked_seen_at = time.monotonic()
                        return []
                    if time.monotonic() - self.locked_seen_at < timeout:
                        return []
                return self._reap(conn, timeout, retry_budget, exclude_worker)
        except DatabaseLocked:
            return []

    def _reap(self, conn: Any, timeout: float, retry_budget: int, exclude_worker: str | None) -> list[Run]:
        now = time.time()
        ids = [
            r[0]
            for r in conn.execute(
                text(
                    "UPDATE runs SET status = 'lost', finished_at = :now,"
                    " error = 'no heartbeat from worker ' || coalesce(worker, '?') || ' for "
                    + f"{timeout:g}"
                    + "s (worker died?)' WHERE status = 'running' AND coalesce(heartbeat_at, started_at, 0) < :cutoff"
                    " AND coalesce(worker, '') != :me RETURNING id"
                ),
                {"now": now, "cutoff": now - timeout, "me": exclude_worker or ""},
            )
        ]
        if not ids:
            return []
        # the attempt of a dead local worker ends here (no one else will end it); a Slurm job may still be running
        # and be adopted by a new worker, which ends its attempt when the job ends
        local = select(RUNS.c.id).where(RUNS.c.id.in_(ids), func.coalesce(RUNS.c.executor, "local") != "slurm")
        conn.execute(ATTEMPTS.update().where(ATTEMPTS.c.run_id.in_(local), ATTEMPTS.c.ended_at.is_(None))
                     .values(ended_at=now, end_reason="lost"))
        if retry_budget > 0:
            conn.execute(
                RUNS.update()
                .where(RUNS.c.id.in_(ids), RUNS.c.attempt <= int(retry_budget),
                       func.coalesce(RUNS.c.executor, "local") != "slurm")
                .values(status="queued", attempt=RUNS.c.attempt + 1, worker=None, started_at=None,
                        finished_at=None, heartbeat_at=None, job_id=None, progress=None, progress_msg="",
                        attempt_token=None, error="re-queued after: " + RUNS.c.error)
            )
        rows = conn.execute(select(RUNS).where(RUNS.c.id.in_(ids))).all()
        return self._to_runs(conn, rows)
