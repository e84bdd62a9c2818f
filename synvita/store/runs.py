"""Runs and the graph between them: create, get, list, count and filter runs; dependencies and dependants.

The reads are the plain SQL of `run_queries`, shared with the `RunReader` that serves read-only commands.

`RunRecords` also holds the lookups the queue, ingestion and reads share (`_status_of`, `_fetch_run`,
`_to_runs`) and the dependency policy's one write (`_block_dependants`, see `sqlite_store`).
"""

from __future__ import annotations

import secrets
import time
from dataclasses import dataclass, field
from typing import Any, Iterable, Sequence

from sqlalchemy import Connection, select, text

from synvita.entities import Run
from synvita.errors import NotFoundError, UserInputError
from synvita.paths import runs_root
from synvita.store import run_queries
from synvita.store.models import DEPS, RUNS, RunRow, dump_json
from synvita.store.session import Session
from synvita.text import run_name_problem


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

    def _to_runs(self, conn: Connection, rows: Iterable[Any]) -> list[Run]:
        """Core rows of `runs` → entities (`RunRow.to_entity` reads attributes only: building an ORM object per
        row would dominate the cost of a listing page)."""
        rows = list(rows)
        deps = run_queries.deps_of(self._execute(conn), [r.id for r in rows])
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
        """Enqueue runs (one transaction; all or nothing). Each is `queued` with a fresh id like "r-1a2b3c".
        A run (experiment) name that `synvita.text.run_name_problem` refuses is refused here too, whichever front
        end it came from."""
        new_runs = list(new_runs)
        for i, nr in enumerate(new_runs):
            problem = run_name_problem(nr.experiment)
            if problem is not None:
                raise UserInputError(f"run #{i} ({nr.stage}): {problem[0]}", hint=problem[1])
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

    def _execute(self, conn: Connection) -> run_queries.Execute:
        """`run_queries`' way to run plain SQL on this connection."""
        return lambda sql, params: conn.exec_driver_sql(sql, tuple(params))

    def get_run(self, run_id: str) -> Run:
        """The run; NotFoundError for an unknown id."""
        with self._read() as conn:
            return self._fetch_run(conn, run_id)

    def get_runs(self, run_ids: Sequence[str]) -> list[Run]:
        """Several runs in the given order; NotFoundError names the first unknown id."""
        with self._read() as conn:
            runs = run_queries.get_runs(self._execute(conn), run_ids)
        missing = [r for r in run_ids if r not in runs]
        if missing:
            raise NotFoundError(f"no run '{missing[0]}' in {self.path}", hint="see `synvita runs ls`")
        return [runs[r] for r in run_ids]

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
        filters = {"status": status, "experiment": experiment, "stage": stage, "generator": generator,
                   "submission": submission, "variant": variant, "text": text}
        with self._read() as conn:
            return run_queries.list_runs(
                self._execute(conn), filters, order_by=order_by, descending=descending, limit=limit, offset=offset
            )

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
        filters = {"status": status, "experiment": experiment, "stage": stage, "generator": generator,
                   "submission": submission, "variant": variant, "text": text}
        with self._read() as conn:
            return run_queries.count_runs(self._execute(conn), filters)

    def status_counts(self, **filters: Any) -> dict[str, int]:
        """{status: count} for the runs matching `filters` (same keywords as count_runs)."""
        with self._read() as conn:
            return run_queries.status_counts(self._execute(conn), filters)

    def dependants(self, run_id: str) -> list[str]:
        """Ids of runs that depend directly on `run_id`."""
        with self._read() as conn:
            self._status_of(conn, run_id)
            return run_queries.dependants(self._execute(conn), run_id)
