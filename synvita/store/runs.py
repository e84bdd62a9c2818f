"""Runs and the graph between them: create, get, list, count and filter runs; dependencies and dependants.

`RunRecords` also holds the lookups the queue, ingestion and reads share (`_status_of`, `_fetch_run`,
`_to_runs`) and the dependency policy's one write (`_block_dependants`, see `sqlite_store`).
"""

from __future__ import annotations

import secrets
import time
from dataclasses import dataclass, field
from typing import Any, Iterable, Sequence

from sqlalchemy import Connection, func, or_, select, text

from synvita.entities import RUN_STATUSES, Run
from synvita.errors import NotFoundError, UserInputError
from synvita.paths import runs_root
from synvita.store.models import DEPS, RUNS, STATUS_COUNTS, RunRow, dump_json
from synvita.store.session import Session

ORDERABLE = ("created_at", "started_at", "finished_at", "status", "stage", "experiment", "id", "key_metric", "progress")


@dataclass
class NewRun:
    """A run to enqueue. `depends_on`: an int is an index into the same `create_runs` list, a str an existing run id."""

    experiment: str
    submission: str
    stage: str
    variant: str | None = None
    generator: str | None = None
    seed: int | None = None
    depends_on: list[int | str] = field(default_factory=list)
    config: dict[str, Any] = field(default_factory=dict)


def new_submission_id() -> str:
    """A fresh submission id, e.g. "s-3f9a1c0d"."""
    return "s-" + secrets.token_hex(4)


def _new_run_id() -> str:
    return "r-" + secrets.token_hex(3)


class RunRecords(Session):
    """Run rows and their dependency graph."""

    # ------------------------------------------------------------------ lookups and the dependency graph

    def _deps_of(self, conn: Connection, run_ids: Sequence[str]) -> dict[str, list[str]]:
        out: dict[str, list[str]] = {rid: [] for rid in run_ids}
        ids = list(run_ids)
        for i in range(0, len(ids), 500):
            chunk = ids[i : i + 500]
            rows = conn.execute(
                select(DEPS.c.run_id, DEPS.c.depends_on).where(DEPS.c.run_id.in_(chunk)).order_by(DEPS.c.run_id)
            )
            for rid, dep in rows:
                out[rid].append(dep)
        return out

    def _to_runs(self, conn: Connection, rows: Iterable[Any]) -> list[Run]:
        """Core rows of `runs` → entities (`RunRow.to_entity` reads attributes only: building an ORM object per
        row would dominate the cost of a listing page)."""
        rows = list(rows)
        deps = self._deps_of(conn, [r.id for r in rows])
        return [RunRow.to_entity(r, deps.get(r.id)) for r in rows]

    def _fetch_run(self, conn: Connection, run_id: str) -> Run:
        row = conn.execute(select(RUNS).where(RUNS.c.id == run_id)).first()
        if row is None:
            raise NotFoundError(f"no run '{run_id}' in {self.path}", hint="see `synvita runs ls`")
        return self._to_runs(conn, [row])[0]

    def _status_of(self, conn: Connection, run_id: str) -> str:
        status = conn.execute(select(RUNS.c.status).where(RUNS.c.id == run_id)).scalar()
        if status is None:
            raise NotFoundError(f"no run '{run_id}' in {self.path}", hint="see `synvita runs ls`")
        return status

    def _descendants(self, conn: Connection, roots: Sequence[str]) -> list[str]:
        if not roots:
            return []
        placeholders = ", ".join(f":r{i}" for i in range(len(roots)))
        rows = conn.execute(
            text(
                f"WITH RECURSIVE down(id) AS ("
                f" SELECT run_id FROM run_deps WHERE depends_on IN ({placeholders})"
                f" UNION SELECT d.run_id FROM run_deps AS d JOIN down ON d.depends_on = down.id)"
                f" SELECT id FROM down"
            ),
            {f"r{i}": r for i, r in enumerate(roots)},
        )
        return [r[0] for r in rows]

    def _block_dependants(self, conn: Connection, roots: Sequence[str], now: float) -> None:
        """Cancel queued (transitive) dependants of failed/cancelled runs, recording the root in blocked_by."""
        candidates = self._descendants(conn, roots)
        if not candidates:
            return
        changed = True
        while changed:
            changed = False
            for i in range(0, len(candidates), 500):
                chunk = candidates[i : i + 500]
                rows = conn.execute(
                    text(
                        "SELECT r.id, p.id, p.status, p.blocked_by FROM runs AS r"
                        " JOIN run_deps AS d ON d.run_id = r.id JOIN runs AS p ON p.id = d.depends_on"
                        f" WHERE r.status = 'queued' AND p.status IN ('failed', 'cancelled')"
                        f" AND r.id IN ({', '.join(f':c{j}' for j in range(len(chunk)))})"
                    ),
                    {f"c{j}": c for j, c in enumerate(chunk)},
                ).all()
                seen: set[str] = set()
                for run_id, dep_id, dep_status, dep_blocked_by in rows:
                    if run_id in seen:
                        continue
                    seen.add(run_id)
                    root = dep_blocked_by or dep_id
                    root_status = dep_status if root == dep_id else self._status_of(conn, root)
                    conn.execute(
                        RUNS.update()
                        .where(RUNS.c.id == run_id, RUNS.c.status == "queued")
                        .values(
                            status="cancelled",
                            error=f"dependency {root} {root_status}",
                            blocked_by=root,
                            finished_at=now,
                        )
                    )
                    changed = True

    # ------------------------------------------------------------------ creating and reading runs

    def create_runs(self, new_runs: Sequence[NewRun]) -> list[Run]:
        """Enqueue runs (one transaction; all or nothing). Each is `queued` with a fresh id like "r-1a2b3c"."""
        new_runs = list(new_runs)
        for i, nr in enumerate(new_runs):
            for dep in nr.depends_on:
                if isinstance(dep, int) and not 0 <= dep < i:
                    raise UserInputError(
                        f"run #{i} ({nr.stage}) depends on #{dep}",
                        hint="an int dependency must be the index of an earlier run in the same list",
                    )
        now = time.time()
        root = runs_root(self.path)
        with self._write() as conn:
            ids: list[str] = []
            taken: set[str] = set()
            for _ in new_runs:
                while True:
                    rid = _new_run_id()
                    if rid in taken:
                        continue
                    if conn.execute(select(RUNS.c.id).where(RUNS.c.id == rid)).first() is None:
                        break
                ids.append(rid)
                taken.add(rid)
            existing_deps = {d for nr in new_runs for d in nr.depends_on if isinstance(d, str)}
            if existing_deps:
                found = {r[0] for r in conn.execute(select(RUNS.c.id).where(RUNS.c.id.in_(existing_deps)))}
                missing = sorted(existing_deps - found)
                if missing:
                    raise NotFoundError(f"no run '{missing[0]}' to depend on", hint="see `synvita runs ls`")
            run_rows = []
            dep_rows = []
            for i, (rid, nr) in enumerate(zip(ids, new_runs)):
                run_rows.append(
                    dict(
                        id=rid,
                        experiment=nr.experiment,
                        submission=nr.submission,
                        stage=nr.stage,
                        status="queued",
                        variant=nr.variant,
                        generator=nr.generator,
                        seed=nr.seed,
                        config_json=dump_json(nr.config),
                        run_dir=str(root / rid),
                        progress_msg="",
                        attempt=1,
                        created_at=now + i * 1e-6,  # keeps creation order stable within one submission
                        events_cursor=0,
                    )
                )
                for dep in dict.fromkeys(nr.depends_on):
                    dep_rows.append(dict(run_id=rid, depends_on=ids[dep] if isinstance(dep, int) else dep))
            if run_rows:
                conn.execute(RUNS.insert(), run_rows)
            if dep_rows:
                conn.execute(DEPS.insert(), dep_rows)
            # a new run depending on an already failed/cancelled one is cancelled right away
            if existing_deps:
                self._block_dependants(conn, list(existing_deps), now)
            rows = conn.execute(select(RUNS).where(RUNS.c.id.in_(ids))).all()
            by_id = {r.id: r for r in rows}
            return self._to_runs(conn, [by_id[i] for i in ids])

    def get_run(self, run_id: str) -> Run:
        """The run; NotFoundError for an unknown id."""
        with self._read() as conn:
            return self._fetch_run(conn, run_id)

    def get_runs(self, run_ids: Sequence[str]) -> list[Run]:
        """Several runs in the given order; NotFoundError names the first unknown id."""
        with self._read() as conn:
            rows = {r.id: r for r in conn.execute(select(RUNS).where(RUNS.c.id.in_(list(run_ids))))}
            missing = [r for r in run_ids if r not in rows]
            if missing:
                raise NotFoundError(f"no run '{missing[0]}' in {self.path}", hint="see `synvita runs ls`")
            return self._to_runs(conn, [rows[r] for r in run_ids])

    def _filters(
        self,
        *,
        status: str | Sequence[str] | None = None,
        experiment: str | None = None,
        stage: str | None = None,
        generator: str | None = None,
        submission: str | None = None,
        variant: str | None = None,
        text: str | None = None,
    ) -> list[Any]:
        conds: list[Any] = []
        if status:
            statuses = [status] if isinstance(status, str) else list(status)
            unknown = [s for s in statuses if s not in RUN_STATUSES]
            if unknown:
                raise UserInputError(f"unknown run status '{unknown[0]}'", hint=f"one of: {', '.join(RUN_STATUSES)}")
            conds.append(RUNS.c.status == statuses[0] if len(statuses) == 1 else RUNS.c.status.in_(statuses))
        equal = {"experiment": experiment, "stage": stage, "generator": generator, "submission": submission,
                 "variant": variant}
        conds.extend(RUNS.c[column] == value for column, value in equal.items() if value)
        if text:
            pattern = f"%{text}%"
            conds.append(
                or_(
                    RUNS.c.id.like(pattern),
                    RUNS.c.experiment.like(pattern),
                    RUNS.c.stage.like(pattern),
                    RUNS.c.variant.like(pattern),
                    RUNS.c.generator.like(pattern),
                    RUNS.c.submission.like(pattern),
                    RUNS.c.status.like(pattern),
                )
            )
        return conds

    def list_runs(
        self,
        *,
        status: str | Sequence[str] | None = None,
        experiment: str | None = None,
        stage: str | None = None,
        generator: str | None = None,
        submission: str | None = None,
        variant: str | None = None,
        text: str | None = None,
        order_by: str = "created_at",
        descending: bool = True,
        limit: int | None = None,
        offset: int = 0,
    ) -> list[Run]:
        """Runs matching all given filters (`text`: substring of id/experiment/stage/variant/generator/status).

        Ordered by `order_by` (ties broken by id); paginate with `limit`/`offset` (index-backed for created_at).
        """
        if order_by not in ORDERABLE:
            raise UserInputError(f"cannot order runs by '{order_by}'", hint=f"one of: {', '.join(ORDERABLE)}")
        conds = self._filters(
            status=status, experiment=experiment, stage=stage, generator=generator,
            submission=submission, variant=variant, text=text,
        )
        col, tie = RUNS.c[order_by], RUNS.c.id
        query = select(RUNS).where(*conds).order_by(col.desc() if descending else col.asc(), tie.desc() if descending else tie.asc())
        if limit is not None:
            query = query.limit(int(limit))
        if offset:
            query = query.offset(int(offset)) if limit is not None else query.limit(-1).offset(int(offset))
        with self._read() as conn:
            return self._to_runs(conn, conn.execute(query))

    def count_runs(
        self,
        *,
        status: str | Sequence[str] | None = None,
        experiment: str | None = None,
        stage: str | None = None,
        generator: str | None = None,
        submission: str | None = None,
        variant: str | None = None,
        text: str | None = None,
    ) -> int:
        conds = self._filters(
            status=status, experiment=experiment, stage=stage, generator=generator,
            submission=submission, variant=variant, text=text,
        )
        with self._read() as conn:
            if not conds:  # O(1): the trigger-maintained counts
                return int(conn.execute(select(func.coalesce(func.sum(STATUS_COUNTS.c.n), 0))).scalar() or 0)
            if len(conds) == 1 and status:  # only the status filter: still O(1)
                statuses = [status] if isinstance(status, str) else list(status)
                return int(conn.execute(
                    select(func.coalesce(func.sum(STATUS_COUNTS.c.n), 0)).where(STATUS_COUNTS.c.status.in_(statuses))
                ).scalar() or 0)
            return int(conn.execute(select(func.count()).select_from(RUNS).where(*conds)).scalar() or 0)

    def status_counts(self, **filters: Any) -> dict[str, int]:
        """{status: count} for the runs matching `filters` (same keywords as count_runs)."""
        conds = self._filters(**filters)
        with self._read() as conn:
            if not conds:  # O(1): the trigger-maintained counts
                rows = conn.execute(select(STATUS_COUNTS.c.status, STATUS_COUNTS.c.n).where(STATUS_COUNTS.c.n > 0))
            else:
                rows = conn.execute(select(RUNS.c.status, func.count()).where(*conds).group_by(RUNS.c.status))
            return {s: int(n) for s, n in rows}

    def dependants(self, run_id: str) -> list[str]:
        """Ids of runs that depend directly on `run_id`."""
        with self._read() as conn:
            self._status_of(conn, run_id)
            return [r[0] for r in conn.execute(select(DEPS.c.run_id).where(DEPS.c.depends_on == run_id))]
