"""The SQL of reading runs (filter, order, paginate, count, dependencies) and the rows it turns into entities.

Plain SQL text over any DB-API style `execute(sql, params)`: the store runs it on its SQLAlchemy connection, the
`RunReader` on a standard-library `sqlite3` connection, so a command that only reads runs does not have to import
SQLAlchemy. Nothing here imports it.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from synvita.entities import RUN_STATUSES, RUN_SUMMARY_KEYS, Attempt, Run, RunEvent, RunSummaries
from synvita.errors import UserInputError

Execute = Callable[[str, Sequence[Any]], Iterable[Sequence[Any]]]
"""Runs one statement with positional (`?`) parameters and yields its rows as tuples."""

ORDERABLE = ("created_at", "started_at", "finished_at", "status", "stage", "experiment", "id", "key_metric", "progress")

SUMMARY_COLUMNS = (
    "id", "experiment", "submission", "stage", "status", "variant", "generator", "seed", "run_dir", "progress",
    "progress_msg", "error", "worker", "attempt", "created_at", "started_at", "finished_at", "heartbeat_at",
    "key_metric",
)
"""The columns of `runs` that a `Run` carries, except its config."""

RUN_COLUMNS = SUMMARY_COLUMNS + ("config_json",)

SUMMARY_EXPRESSIONS = {
    "depends_on": "NULL",
    "progress_msg": "coalesce(progress_msg, '')",
    "duration": "CASE WHEN started_at IS NULL THEN NULL ELSE coalesce(nullif(finished_at, 0), ?) - started_at END",
}
"""The SQL of a listing's values that are no plain column, as `to_run` and `Run.duration` compute them: the
dependencies are set after the query, the duration of an unfinished run counts to now (the `?`)."""

DEPENDS_ON = RUN_SUMMARY_KEYS.index("depends_on")

TEXT_COLUMNS = ("id", "experiment", "stage", "variant", "generator", "submission", "status")
"""The columns `text` searches (a substring of any)."""

CHUNK = 500
"""Ids per `IN (...)` list, under SQLite's limit on bound parameters."""


def where_clause(
    *,
    status: str | Sequence[str] | None = None,
    experiment: str | None = None,
    stage: str | None = None,
    generator: str | None = None,
    submission: str | None = None,
    variant: str | None = None,
    text: str | None = None,
) -> tuple[str, list[Any]]:
    """(" WHERE ...", params) for the runs matching all given filters, or ("", []) for none; an unknown status is
    a UserInputError."""
    conds: list[str] = []
    params: list[Any] = []
    if status:
        statuses = [status] if isinstance(status, str) else list(status)
        unknown = [s for s in statuses if s not in RUN_STATUSES]
        if unknown:
            raise UserInputError(f"unknown run status '{unknown[0]}'", hint=f"one of: {', '.join(RUN_STATUSES)}")
        conds.append("status = ?" if len(statuses) == 1 else f"status IN ({_marks(statuses)})")
        params += statuses
    equal = {"experiment": experiment, "stage": stage, "generator": generator, "submission": submission,
             "variant": variant}
    for column, value in equal.items():
        if value:
            conds.append(f"{column} = ?")
            params.append(value)
    if text:
        conds.append("(" + " OR ".join(f"{column} LIKE ?" for column in TEXT_COLUMNS) + ")")
        params += [f"%{text}%"] * len(TEXT_COLUMNS)
    return (" WHERE " + " AND ".join(conds) if conds else ""), params


def select_runs(
    columns: Sequence[str],
    filters: dict[str, Any],
    *,
    order_by: str = "created_at",
    descending: bool = True,
    limit: int | None = None,
    offset: int = 0,
) -> tuple[str, list[Any]]:
    """The query of one page of runs: filtered, ordered by `order_by` (ties broken by id), LIMIT/OFFSET in SQL."""
    if order_by not in ORDERABLE:
        raise UserInputError(f"cannot order runs by '{order_by}'", hint=f"one of: {', '.join(ORDERABLE)}")
    where, params = where_clause(**filters)
    direction = "DESC" if descending else "ASC"
    sql = f"SELECT {', '.join(columns)} FROM runs{where} ORDER BY {order_by} {direction}, id {direction}"
    if limit is not None or offset:
        sql += " LIMIT ? OFFSET ?"
        params += [-1 if limit is None else int(limit), int(offset)]
    return sql, params


def list_runs(
    execute: Execute, filters: dict[str, Any], *, config_without: Sequence[str] = (), **page: Any
) -> list[Run]:
    """Runs matching `filters` (see `where_clause`), one page of them (see `select_runs`); `config_without`: as
    `config_column`, their configs without those top-level keys."""
    config, config_params = config_column(config_without)
    sql, params = select_runs((*SUMMARY_COLUMNS, config), filters, **page)
    rows = list(execute(sql, [*config_params, *params]))
    return to_runs(execute, rows, share_configs=bool(config_without))


def run_summaries(execute: Execute, filters: dict[str, Any], **page: Any) -> RunSummaries:
    """Like `list_runs`, as the rows a listing prints: each run's `Run.to_dict()` values but its config (never read),
    computed in SQL where they differ from the columns, so that a row is the cursor's row with its dependencies set."""
    columns = [SUMMARY_EXPRESSIONS.get(key, key) for key in RUN_SUMMARY_KEYS]
    sql, params = select_runs(columns, filters, **page)
    rows = [list(row) for row in execute(sql, [time.time(), *params])]  # `now`, the first `?`: that of "duration"
    deps = deps_of(execute, [row[0] for row in rows])
    for row in rows:
        row[DEPENDS_ON] = deps[row[0]]
    return RunSummaries(rows)


def get_runs(execute: Execute, run_ids: Sequence[str], *, config_without: Sequence[str] = ()) -> dict[str, Run]:
    """{id: run} for those of `run_ids` that exist; `config_without` as in `list_runs`."""
    ids = list(dict.fromkeys(run_ids))
    config, config_params = config_column(config_without)
    rows: list[Sequence[Any]] = []
    for i in range(0, len(ids), CHUNK):
        chunk = ids[i : i + CHUNK]
        sql = f"SELECT {', '.join(SUMMARY_COLUMNS)}, {config} FROM runs WHERE id IN ({_marks(chunk)})"
        rows += execute(sql, [*config_params, *chunk])
    return {run.id: run for run in to_runs(execute, rows, share_configs=bool(config_without))}


def config_column(without: Sequence[str]) -> tuple[str, list[Any]]:
    """(SQL, its parameters) of a run's config text without the top-level keys `without`, for a reader that needs
    runs' configs only where they differ in other keys (a benchmark table: `synvita.report.table`). Those keys go
    where they hold a plain value, not a table (a table's keys may matter to that reader as `key.sub`); a text that
    is not plain RFC 8259 JSON (Python writes NaN as `NaN`) is returned whole, so that equal texts out of it always
    mean equal configs: SQLite only drops the keys and the white space, keeping every other token as written."""
    if not without:
        return "config_json", []
    if any('"' in key for key in without):
        raise ValueError(f"config keys to leave out must not hold a quote: {list(without)}")
    paths = [f'$."{key}"' for key in without]
    plain = " AND ".join(["json_type(config_json, ?) IS NOT 'object'"] * len(paths))
    return (f"CASE WHEN json_valid(config_json) AND {plain} THEN json_remove(config_json, {_marks(paths)})"
            " ELSE config_json END"), [*paths, *paths]


def count_runs(execute: Execute, filters: dict[str, Any]) -> int:
    where, params = where_clause(**filters)
    if not where:  # O(1): the trigger-maintained counts
        return _scalar(execute, "SELECT coalesce(sum(n), 0) FROM run_status_counts", [])
    statuses = filters.get("status")
    if statuses and not any(v for k, v in filters.items() if k != "status"):  # only the status filter: still O(1)
        statuses = [statuses] if isinstance(statuses, str) else list(statuses)
        return _scalar(
            execute, f"SELECT coalesce(sum(n), 0) FROM run_status_counts WHERE status IN ({_marks(statuses)})", statuses
        )
    return _scalar(execute, f"SELECT count(*) FROM runs{where}", params)


def status_counts(execute: Execute, filters: dict[str, Any]) -> dict[str, int]:
    """{status: count} for the runs matching `filters`."""
    where, params = where_clause(**filters)
    if not where:  # O(1): the trigger-maintained counts
        rows = execute("SELECT status, n FROM run_status_counts WHERE n > 0", [])
    else:
        rows = execute(f"SELECT status, count(*) FROM runs{where} GROUP BY status", params)
    return {status: int(n) for status, n in rows}


def deps_of(execute: Execute, run_ids: Sequence[str]) -> dict[str, list[str]]:
    """{run id: ids of the runs it depends on} (each list in id order)."""
    out: dict[str, list[str]] = {rid: [] for rid in run_ids}
    if len(out) > CHUNK and 2 * len(out) >= count_runs(execute, {}):
        # most of the runs (a long listing): one pass over the table costs less than a lookup per id
        for rid, dep in execute("SELECT run_id, depends_on FROM run_deps ORDER BY run_id, depends_on", []):
            deps = out.get(rid)
            if deps is not None:
                deps.append(dep)
        return out
    ids = list(out)
    for i in range(0, len(ids), CHUNK):
        chunk = ids[i : i + CHUNK]
        sql = f"SELECT run_id, depends_on FROM run_deps WHERE run_id IN ({_marks(chunk)}) ORDER BY run_id"
        for rid, dep in execute(sql, chunk):
            out[rid].append(dep)
    return out


def dependants(execute: Execute, run_id: str) -> list[str]:
    """Ids of the runs that depend directly on `run_id`."""
    return [row[0] for row in execute("SELECT run_id FROM run_deps WHERE depends_on = ?", [run_id])]


def to_runs(execute: Execute, rows: Sequence[Sequence[Any]], *, share_configs: bool = False) -> list[Run]:
    """Rows of `RUN_COLUMNS` → entities, with their dependencies. `share_configs`: runs whose config texts are the
    same get one config dict, parsed once (for readers that do not change configs: see `config_column`)."""
    deps = deps_of(execute, [row[0] for row in rows])
    if not share_configs:
        return [to_run(row, deps[row[0]]) for row in rows]
    configs: dict[str, dict[str, Any]] = {}
    runs = []
    for row in rows:
        text = row[-1] or "{}"
        config = configs.get(text)
        if config is None:
            config = configs[text] = json.loads(text)
        runs.append(to_run(row, deps[row[0]], config))
    return runs


def to_run(row: Sequence[Any], depends_on: list[str], config: dict[str, Any] | None = None) -> Run:
    """A row of `RUN_COLUMNS` → its entity; `config`: its config already parsed (else its text is)."""
    (rid, experiment, submission, stage, status, variant, generator, seed, run_dir, progress, progress_msg, error,
     worker, attempt, created_at, started_at, finished_at, heartbeat_at, key_metric, config_json) = row
    return Run(
        id=rid, experiment=experiment, submission=submission, stage=stage, status=status, variant=variant,
        generator=generator, seed=seed, depends_on=list(depends_on),
        config=json.loads(config_json or "{}") if config is None else config,
        run_dir=run_dir, progress=progress, progress_msg=progress_msg or "", error=error, worker=worker,
        attempt=attempt, created_at=created_at, started_at=started_at, finished_at=finished_at,
        heartbeat_at=heartbeat_at, key_metric=key_metric,
    )


def events(
    execute: Execute, run_id: str, *, kinds: Sequence[str] | None = None, since_seq: int = 0,
    limit: int | None = None, tail: int | None = None,
) -> list[RunEvent]:
    """A run's ingested events in seq order: those with seq >= since_seq, of `kinds`; `tail`: only the last N.

    Metric lines live in `metrics` (stored once, see migration m004) and the other lines in `run_events`; both
    are read through their (run_id, seq) indexes and merged in seq order, so a tail costs the same at any length of
    the run."""
    kind_clause, kind_params = "", []
    if kinds:
        kind_clause, kind_params = f" AND kind IN ({_marks(kinds)})", list(kinds)
    arms = ["SELECT seq, ts, kind, data_json, NULL AS name, NULL AS step, NULL AS value FROM run_events"
            " WHERE run_id = ? AND seq >= ?" + kind_clause]
    params: list[Any] = [run_id, int(since_seq), *kind_params]
    if not kinds or "metric" in kinds:
        arms.append("SELECT seq, ts, 'metric', data_json, name, step, value FROM metrics WHERE run_id = ? AND seq >= ?")
        params += [run_id, int(since_seq)]
    sql = " UNION ALL ".join(arms) + " ORDER BY seq" + (" DESC" if tail is not None else "")
    count = tail if tail is not None else limit
    if count is not None:
        sql += " LIMIT ?"
        params.append(int(count))
    rows = list(execute(sql, params))
    if tail is not None:
        rows = rows[::-1][: None if limit is None else int(limit)]
    return [
        RunEvent(run_id=run_id, seq=seq, ts=ts, kind=kind,
                 data=json.loads(data) if data is not None else {"name": name, "step": step, "value": value})
        for seq, ts, kind, data, name, step, value in rows
    ]


def attempts(execute: Execute, run_id: str) -> list[Attempt]:
    """A run's attempts (migration m005), first first."""
    rows = execute(
        "SELECT run_id, number, executor, job_id, node, submitted_at, started_at, ended_at, end_reason, resources_json"
        " FROM run_attempts WHERE run_id = ? ORDER BY number", [run_id],
    )
    return [
        Attempt(run_id=r, number=number, executor=executor, job_id=job_id, node=node, submitted_at=submitted,
                started_at=started, ended_at=ended, end_reason=reason, resources=json.loads(resources or "{}"))
        for r, number, executor, job_id, node, submitted, started, ended, reason, resources in rows
    ]


def _marks(values: Sequence[Any]) -> str:
    return ", ".join("?" * len(values))


def _scalar(execute: Execute, sql: str, params: Sequence[Any]) -> int:
    for row in execute(sql, params):
        return int(row[0] or 0)
    return 0
