"""The facade both front ends (CLI and TUI) call: specs, submission, runs, logs, tables, weights, diff, doctor.

A thin layer over `synvita.store` (the database) and `synvita.runs` (workers): everything a front end shows is
computed here or in `synvita.report`, so the CLI and the TUI print the same numbers. Torch-free: nothing here
imports torch, diffusers or transformers (doctor checks them with importlib.util.find_spec).
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterator

from synvita import report, specs
from synvita.entities import TERMINAL_STATUSES, Artifact, BenchmarkResult, MetricPoint, Run, RunEvent, SampleWeight
from synvita.errors import NotFoundError, StoreError, UserInputError
from synvita.paths import resolve_db_path

BUSY_TIMEOUT_ENV = "SYNVITA_BUSY_TIMEOUT"
"""Seconds a write waits for another writer before giving up (default 5)."""

LOST_AFTER_ENV = "SYNVITA_LOST_AFTER"
"""Seconds without a heartbeat after which `Api.reap_lost` marks a running run `lost` (default 30, as
`synvita worker --lost-after`; 0 turns reaping by readers off)."""
DEFAULT_LOST_AFTER_S = 30.0

HEAVY_PACKAGES = ("torch", "diffusers", "transformers", "peft", "av", "submitit")


@dataclass
class Submission:
    """The runs one `synvita run` created, in dependency order."""

    id: str
    experiment: str
    runs: list[Run]


@dataclass
class SubmissionProgress:
    """Where a submission stands: counts per status and the runs executing now."""

    submission: str
    total: int
    counts: dict[str, int]
    running: list[Run]
    failed: list[Run]
    """Runs that failed or were lost (not those cancelled because a dependency failed)."""

    @property
    def done(self) -> int:
        return sum(n for s, n in self.counts.items() if s in TERMINAL_STATUSES)

    @property
    def finished(self) -> bool:
        return self.counts.get("queued", 0) == 0 and self.counts.get("running", 0) == 0


@dataclass
class RunDiff:
    run_a: str
    run_b: str
    fields: list[tuple[str, Any, Any]]
    """Run attributes that differ (stage, variant, seed, generator, experiment, status)."""
    config: list[tuple[str, Any, Any]]
    """Dotted config keys whose values differ (a missing key shows as None)."""
    results: list[tuple[str, float | None, float | None, float | None]]
    """(benchmark[/subset][@control] metric, a, b, b − a)."""
    metrics: list[tuple[str, float | None, float | None, float | None]]
    """(metric name, latest a, latest b, b − a)."""

    def to_dict(self) -> dict[str, Any]:
        return {
            "run_a": self.run_a,
            "run_b": self.run_b,
            "fields": [dict(key=k, a=a, b=b) for k, a, b in self.fields],
            "config": [dict(key=k, a=a, b=b) for k, a, b in self.config],
            "results": [dict(key=k, a=a, b=b, delta=d) for k, a, b, d in self.results],
            "metrics": [dict(key=k, a=a, b=b, delta=d) for k, a, b, d in self.metrics],
        }


@dataclass
class DoctorCheck:
    name: str
    ok: bool
    detail: str
    required: bool = True
    """A failed optional check (e.g. no GPU) is reported but does not make `synvita doctor` fail."""


class Api:
    """One synvita database and the operations on it. Opens the store lazily (on first use).

    Safe to share between threads (the TUI calls it from thread workers): the store opens once under a lock,
    and the store itself gives each call its own pooled connection."""

    def __init__(
        self,
        db: str | Path | None = None,
        read_only: bool = False,
        busy_timeout_s: float | None = None,
        lost_after_s: float | None = None,
    ) -> None:
        self.db_path = resolve_db_path(db)
        self.read_only = read_only
        if busy_timeout_s is None:
            busy_timeout_s = _env_float(BUSY_TIMEOUT_ENV, 5.0)
        self.busy_timeout_s = busy_timeout_s
        if lost_after_s is None:
            lost_after_s = _env_float(LOST_AFTER_ENV, DEFAULT_LOST_AFTER_S)
        self.lost_after_s = lost_after_s
        """Heartbeat age (s) after which `reap_lost` marks a running run lost; ≤ 0: never."""
        self._store: Any = None
        self._store_lock = threading.Lock()

    @property
    def store(self) -> Any:
        """The open `synvita.store.Store` (created and migrated on first use unless read-only).

        Opened at most once even when several threads ask at the same time (double-checked under a lock)."""
        store = self._store
        if store is not None:
            return store
        with self._store_lock:
            if self._store is None:
                from synvita.store import Store

                read_only = self.read_only or _readable_only(self.db_path)  # e.g. a colleague's database: browse it
                self._store = Store.open(self.db_path, read_only=read_only, busy_timeout_s=self.busy_timeout_s)
            return self._store

    def close(self) -> None:
        with self._store_lock:
            store, self._store = self._store, None
        if store is not None:
            store.close()

    def __enter__(self) -> "Api":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _exists(self) -> bool:
        return self._store is not None or self.db_path.exists()

    #### experiments ####

    def load_experiment(
        self,
        path_or_name: str | Path = specs.DEFAULT_EXPERIMENT,
        *,
        generator: str | None = None,
        seeds: int | None = None,
        overrides: list[str] | tuple[str, ...] = (),
    ) -> specs.ExperimentSpec:
        """Read and validate an experiment (by path or by name in experiments/); UserInputError on any problem."""
        return specs.load_spec(path_or_name, generator=generator, seeds=seeds, overrides=overrides)

    validate_experiment = load_experiment

    def plan(self, spec: specs.ExperimentSpec) -> list[specs.PlannedRun]:
        """The runs `submit` would create, without touching the database."""
        return specs.plan_runs(spec)

    def submit(self, spec: specs.ExperimentSpec) -> Submission:
        """Enqueue every run of the experiment (one transaction: all or nothing)."""
        from synvita.store import NewRun, new_submission_id

        submission = new_submission_id()
        new_runs = [
            NewRun(
                experiment=spec.name,
                submission=submission,
                stage=p.stage,
                variant=p.variant,
                generator=p.generator,
                seed=p.seed,
                depends_on=list(p.depends_on),
                config=p.config,
            )
            for p in specs.plan_runs(spec)
        ]
        return Submission(submission, spec.name, self.store.create_runs(new_runs))

    def experiment_names(self) -> list[str]:
        return specs.experiment_names()

    def generator_names(self) -> list[str]:
        from synvita.registry import GENERATORS

        specs.load_component_registries()
        return GENERATORS.names()

    def variant_names(self) -> list[str]:
        from synvita.config import VARIANTS

        return list(VARIANTS)

    def benchmark_names(self) -> list[str]:
        from synvita.registry import BENCHMARKS

        specs.load_component_registries()
        return BENCHMARKS.names() or report.default_benchmarks()

    #### runs ####

    def list_runs(self, **filters: Any) -> list[Run]:
        """Runs matching the store's filters (status, experiment, stage, generator, submission, variant, text,
        order_by, descending, limit, offset); an empty list when there is no database yet."""
        if not self._exists():
            return []
        return self.store.list_runs(**filters)

    def count_runs(self, **filters: Any) -> int:
        if not self._exists():
            return 0
        return self.store.count_runs(**filters)

    def get_run(self, run_id: str) -> Run:
        if not self._exists():
            raise NotFoundError(f"no run '{run_id}': there is no database at {self.db_path} yet", hint="see `synvita doctor`")
        return self.store.get_run(run_id)

    def reap_lost(self) -> list[Run]:
        """Mark running runs whose heartbeat is older than `lost_after_s` as `lost` (their worker died), so that
        `synvita runs ls`, `runs show` and the TUI show it without a worker running. Returns the runs marked.

        Best effort and only where it may write: nothing happens (an empty list) when reaping is off
        (`lost_after_s` ≤ 0), there is no database yet, it is open read-only, or another writer holds it past
        the busy timeout. A read finds candidates first, so the usual case (nothing stale) takes no write lock."""
        if self.lost_after_s <= 0 or not self._exists() or self.read_only or self.store.read_only:
            return []
        cutoff = time.time() - self.lost_after_s
        stale = [
            r for r in self.store.list_runs(status="running")
            if (r.heartbeat_at if r.heartbeat_at is not None else (r.started_at or 0.0)) < cutoff
        ]
        if not stale:
            return []
        try:
            return self.store.reap_lost(self.lost_after_s)
        except StoreError:  # locked by a busy writer (a worker will reap), or the file turned read-only
            return []

    def cancel(self, run_id: str) -> Run:
        return self.store.cancel(run_id)

    def retry(self, run_id: str) -> Run:
        return self.store.retry(run_id)

    def progress(self, submission: str) -> SubmissionProgress:
        runs = self.store.list_runs(submission=submission, order_by="created_at", descending=False)
        counts: dict[str, int] = {}
        for run in runs:
            counts[run.status] = counts.get(run.status, 0) + 1
        blocked = [r for r in runs if r.status == "cancelled" and (r.error or "").startswith("dependency ")]
        failed = [r for r in runs if r.status in ("failed", "lost") or (r.status == "cancelled" and r not in blocked)]
        return SubmissionProgress(submission, len(runs), counts, [r for r in runs if r.status == "running"], failed)

    def latest_submission(self, experiment: str | None = None) -> str | None:
        runs = self.list_runs(experiment=experiment, limit=1)
        return runs[0].submission if runs else None

    #### logs, metrics, results ####

    def logs(self, run_id: str, since_seq: int = 0, tail: int | None = None, kinds: list[str] | None = None) -> list[RunEvent]:
        return self.store.events(run_id, kinds=kinds, since_seq=since_seq, tail=tail)

    def follow_logs(
        self, run_id: str, *, since_seq: int = 0, tail: int | None = None, kinds: list[str] | None = None, poll_s: float = 0.5
    ) -> Iterator[RunEvent]:
        """Events as they are ingested, until the run has stopped and no more events arrive."""
        events = self.logs(run_id, since_seq=since_seq, tail=tail, kinds=kinds)
        while True:
            for event in events:
                since_seq = event.seq + 1
                yield event
            run = self.get_run(run_id)
            stopped = run.status not in ("queued", "running")
            events = self.store.events(run_id, kinds=kinds, since_seq=since_seq)
            if stopped and not events:
                return
            if not events:
                time.sleep(poll_s)

    def metrics(self, run_id: str, name: str | None = None) -> list[MetricPoint]:
        return self.store.metrics(run_id, name)

    def metric_names(self, run_id: str) -> list[str]:
        return self.store.metric_names(run_id)

    def results(self, run_id: str | list[str]) -> list[BenchmarkResult]:
        return self.store.results(run_id)

    def artifacts(self, run_id: str) -> list[Artifact]:
        """Files a run recorded (`artifact` events: name and path, one per name, by name); NotFoundError for an
        unknown run."""
        return self.store.artifacts(self.get_run(run_id).id)

    def weights(self, run_id: str) -> list[SampleWeight]:
        """Per-sample weights of a score run (for a train or evaluate run: of the score run it depends on)."""
        run = self.get_run(run_id)
        samples = self.store.weights(run.id)
        seen = {run.id}
        frontier = list(run.depends_on)
        while not samples and frontier:  # follow dependencies up to the score run
            dep = self.store.get_run(frontier.pop(0))
            if dep.id in seen:
                continue
            seen.add(dep.id)
            if dep.stage == "score":
                return self.store.weights(dep.id)
            frontier.extend(dep.depends_on)
        return samples

    def weights_summary(self, run_id: str, bins: int = 20, diff_range: float | None = 1.0) -> report.WeightsSummary:
        """Per misalignment type, per generator and (in the world) per ground-truth `faithful`: count, mean, std,
        fraction at zero, quantiles and histograms of ω (over 0..1) and of Δ = f̄(Vˢ,tˢ) − f̄(Vˢ,tʳ) (over
        ±diff_range; None picks the smallest range holding the data)."""
        if bins < 1:
            raise UserInputError(f"--bins {bins}: must be ≥ 1")
        return report.summarize_weights(run_id, self.weights(run_id), bins=bins, diff_range=diff_range)

    #### tables ####

    def table_runs(
        self,
        run_ids: list[str] | None = None,
        experiment: str | None = None,
        submission: str | None = None,
        experiments: list[str] | None = None,
    ) -> list[Run]:
        """The evaluate runs a table is built from: given ids (a train run brings its evaluate run) plus the
        succeeded evaluate runs of each named experiment (`experiment` and `experiments`, within `submission`
        if given); else those of a submission; else of the latest submission. Each run once, in that order.
        An experiment without any run in the database → NotFoundError (a typo would otherwise vanish)."""
        names = list(dict.fromkeys(([experiment] if experiment else []) + list(experiments or [])))
        runs: list[Run] = []
        if run_ids:
            for run in self.store.get_runs(run_ids):
                if run.stage == "evaluate":
                    runs.append(run)
                else:
                    evaluations = [r for r in self.store.get_runs(self.store.dependants(run.id)) if r.stage == "evaluate"]
                    runs.extend(evaluations or [run])
        for name in names:
            if not self.count_runs(experiment=name):
                raise NotFoundError(
                    f"no runs of experiment '{name}' in {self.db_path}", hint="see `synvita runs ls` for the experiments"
                )
            runs.extend(self.list_runs(
                experiment=name, submission=submission, stage="evaluate", status="succeeded",
                order_by="created_at", descending=False,
            ))
        if run_ids or names:
            return list({run.id: run for run in runs}.values())
        if submission is None:
            latest = self.list_runs(stage="evaluate", limit=1)
            if not latest:
                return []
            submission = latest[0].submission
        return self.list_runs(
            submission=submission, stage="evaluate", status="succeeded", order_by="created_at", descending=False
        )

    def table(
        self,
        run_ids: list[str] | None = None,
        experiment: str | None = None,
        submission: str | None = None,
        baseline: str | None = "none",
        include_controls: bool = False,
        benchmarks: list[str] | None = None,
        include_other_metrics: bool = False,
        experiments: list[str] | None = None,
    ) -> report.BenchmarkTable:
        """Paper-style table: rows = variants (mean ± std over seeds, n), columns = benchmarks + mean, deltas vs
        `baseline` (a variant or row label), best per column marked; controls and per-type subsets on request
        (`include_controls`), and the benchmarks' secondary metrics such as R@k (`include_other_metrics`).
        Runs as in `table_runs`: run ids and several experiments (`experiments`) add up."""
        runs = self.table_runs(run_ids, experiment, submission, experiments=experiments)
        results = self.store.results([r.id for r in runs]) if runs else []
        return report.build_table(
            runs, results, benchmarks=benchmarks, baseline=baseline,
            include_controls=include_controls or include_other_metrics, include_other_metrics=include_other_metrics,
            variant_order=self.variant_names(),
        )

    def format_table(self, table: report.BenchmarkTable, fmt: str = "text", *, color: bool = False) -> str:
        return report.format_table(table, fmt, color=color)

    #### diff ####

    def diff(self, run_a: str, run_b: str) -> RunDiff:
        """What differs between two runs: attributes, config keys, benchmark results and latest metrics."""
        a, b = self.get_run(run_a), self.get_run(run_b)
        fields = [
            (name, getattr(a, name), getattr(b, name))
            for name in ("experiment", "stage", "variant", "generator", "seed", "status", "submission")
            if getattr(a, name) != getattr(b, name)
        ]
        flat_a, flat_b = report.flatten(a.config), report.flatten(b.config)
        config = [(k, flat_a.get(k), flat_b.get(k)) for k in sorted(set(flat_a) | set(flat_b)) if flat_a.get(k) != flat_b.get(k)]

        def by_key(results: list[BenchmarkResult]) -> dict[str, float]:
            out = {}
            for r in results:
                key = r.benchmark + (f"[{r.subset}]" if r.subset else "") + (f"@{r.control}" if r.control else "") + f" {r.metric}"
                out[key] = r.value
            return out

        res_a, res_b = by_key(self.store.results(a.id)), by_key(self.store.results(b.id))
        results = [
            (k, res_a.get(k), res_b.get(k), _delta(res_a.get(k), res_b.get(k)))
            for k in list(dict.fromkeys([*res_a, *res_b]))
        ]
        latest = self.store.latest_metrics([a.id, b.id])
        met_a = {n: p.value for n, p in latest.get(a.id, {}).items()}
        met_b = {n: p.value for n, p in latest.get(b.id, {}).items()}
        metrics = [(k, met_a.get(k), met_b.get(k), _delta(met_a.get(k), met_b.get(k))) for k in sorted(set(met_a) | set(met_b))]
        return RunDiff(a.id, b.id, fields, config, results, metrics)

    #### workers ####

    def start_worker(
        self,
        *,
        submission: str | None = None,
        executor: str = "local",
        worker_id: str | None = None,
        on_event: Any = None,
        **options: Any,
    ) -> Any:
        """A `synvita.runs.worker.Worker` on this database; call `.run(until_idle=...)` on it."""
        from synvita.runs.worker import Worker

        if executor not in ("local", "slurm"):
            raise UserInputError(f"unknown executor '{executor}'", hint="executors: local, slurm")
        self.store  # fail early (one clear line) if the database cannot be opened for writing
        return Worker(self.db_path, worker_id=worker_id, executor=executor, submission=submission, on_event=on_event, **options)

    def upgrade_db(self) -> tuple[int, int]:
        """Create the database or apply its pending schema migrations; returns (version before, version after)."""
        before = _schema_version_of(self.db_path)
        self.close()
        self.read_only = False
        return before, self.store.schema_version()

    #### doctor ####

    def doctor(self) -> list[DoctorCheck]:
        """Environment checks: SQLite version and features, database location, filesystem, disk, ML packages, GPUs."""
        checks: list[DoctorCheck] = []
        version = sqlite3.sqlite_version
        version_tuple = tuple(int(x) for x in version.split("."))
        checks.append(DoctorCheck("sqlite", version_tuple >= (3, 35), f"SQLite {version} (RETURNING needs ≥ 3.35)"))
        checks.append(_feature("sqlite RETURNING", "CREATE TABLE t(x); INSERT INTO t VALUES (1) RETURNING x"))
        checks.append(_feature("sqlite JSON", "SELECT json_extract('{\"a\": 1}', '$.a')"))
        checks.append(_feature("sqlite CHECK constraints", "CREATE TABLE t(x CHECK (x IN (1)))"))

        path = self.db_path
        existing = path if path.exists() else next((p for p in path.parents if p.exists()), Path("/"))
        folder = existing if existing.is_dir() else existing.parent
        checks.append(
            DoctorCheck(
                "database",
                os.access(folder, os.W_OK),
                f"{path} ({'exists' if path.exists() else 'not created yet'}; "
                f"{'writable' if os.access(folder, os.W_OK) else 'NOT writable: pass --db or set SYNVITA_DB'}) "
                f"[from {_db_source()}]",
            )
        )
        fstype, mount = _filesystem(folder)
        network = fstype in ("nfs", "nfs4", "lustre", "gpfs", "cifs", "smbfs", "fuse.sshfs", "beegfs", "ceph")
        checks.append(
            DoctorCheck(
                "filesystem",
                not network,
                f"{fstype} at {mount}"
                + (" — SQLite WAL is unsafe on network filesystems; put the database on local disk" if network else ""),
            )
        )
        checks.append(_wal_check(folder))
        usage = shutil.disk_usage(folder)
        free_gb = usage.free / 1e9
        checks.append(DoctorCheck("disk", free_gb >= 1.0, f"{free_gb:.1f} GB free of {usage.total / 1e9:.1f} GB at {folder}"))
        if path.exists():
            checks.append(self._schema_check())
        import importlib.metadata
        import importlib.util

        for package in HEAVY_PACKAGES:
            found = importlib.util.find_spec(package) is not None
            try:
                detail = f"{package} {importlib.metadata.version(package)}" if found else f"{package} not installed"
            except importlib.metadata.PackageNotFoundError:
                detail = f"{package} (version unknown)"
            required = package in ("torch", "av")
            checks.append(DoctorCheck(package, found, detail, required=required))
        checks.append(_gpu_check())
        return checks

    def _schema_check(self) -> DoctorCheck:
        from synvita.store import LATEST_VERSION, Store

        try:
            with Store.open(self.db_path, read_only=True, busy_timeout_s=self.busy_timeout_s) as store:
                version = store.schema_version()
                n_runs = store.count_runs()
        except StoreError as exc:
            return DoctorCheck("schema", False, exc.one_line())
        return DoctorCheck("schema", True, f"version {version} (latest {LATEST_VERSION}); {n_runs} runs")


#### helpers ####


def _env_float(name: str, default: float) -> float:
    value = os.environ.get(name)
    if not value:
        return default
    try:
        return float(value)
    except ValueError:
        raise UserInputError(f"${name}={value!r} is not a number of seconds") from None


def _readable_only(path: Path) -> bool:
    """True for an existing database we may read but not write (the store then opens it read-only)."""
    return path.exists() and os.access(path, os.R_OK) and not (os.access(path, os.W_OK) and os.access(path.parent, os.W_OK))


def _schema_version_of(path: Path) -> int:
    """Schema version recorded in a database file without opening it through the store (0: none yet)."""
    if not path.exists():
        return 0
    try:
        conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        try:
            row = conn.execute("SELECT max(version) FROM schema_migrations").fetchone()
        finally:
            conn.close()
    except sqlite3.Error:
        return 0
    return int(row[0] or 0)


def _delta(a: float | None, b: float | None) -> float | None:
    return None if a is None or b is None else b - a


def _feature(name: str, sql: str) -> DoctorCheck:
    try:
        with sqlite3.connect(":memory:") as conn:
            for statement in sql.split(";"):
                conn.execute(statement).fetchall()
        return DoctorCheck(name, True, "supported")
    except sqlite3.Error as exc:
        return DoctorCheck(name, False, f"not supported ({exc})")


def _wal_check(folder: Path) -> DoctorCheck:
    """WAL needs shared memory on the database's filesystem: try it in a scratch file next to the database."""
    if not os.access(folder, os.W_OK):
        return DoctorCheck("sqlite WAL", False, f"cannot test: {folder} is not writable")
    try:
        with tempfile.TemporaryDirectory(dir=folder, prefix=".synvita-doctor-") as tmp:
            conn = sqlite3.connect(Path(tmp) / "probe.db")
            try:
                mode = conn.execute("PRAGMA journal_mode = WAL").fetchone()[0]
                conn.execute("CREATE TABLE t(x)")
                conn.execute("INSERT INTO t VALUES (1)")
                conn.commit()
            finally:
                conn.close()
        return DoctorCheck("sqlite WAL", mode == "wal", f"journal_mode={mode} in {folder}")
    except (sqlite3.Error, OSError) as exc:
        return DoctorCheck("sqlite WAL", False, f"failed in {folder}: {exc}")


def _filesystem(folder: Path) -> tuple[str, str]:
    """(fstype, mount point) of the filesystem holding `folder`, from /proc/mounts (Linux)."""
    best = ("unknown", "/")
    try:
        lines = Path("/proc/mounts").read_text().splitlines()
    except OSError:
        return best
    resolved = str(folder.resolve())
    best_len = -1
    for line in lines:
        parts = line.split()
        if len(parts) < 3:
            continue
        mount = parts[1].replace("\\040", " ")
        if (resolved == mount or resolved.startswith(mount.rstrip("/") + "/")) and len(mount) > best_len:
            best, best_len = (parts[2], mount), len(mount)
    return best


def _db_source() -> str:
    if os.environ.get("SYNVITA_DB"):
        return "SYNVITA_DB"
    if os.environ.get("SYNVITA_HOME"):
        return "SYNVITA_HOME"
    return "--db or project-local .synvita/"


def _gpu_check() -> DoctorCheck:
    smi = shutil.which("nvidia-smi")
    if smi is None:
        return DoctorCheck("gpu", False, "no nvidia-smi on PATH (CPU only)", required=False)
    try:
        out = subprocess.run(
            [smi, "--query-gpu=name,memory.total", "--format=csv,noheader"],
            capture_output=True, text=True, timeout=15, check=True,
        ).stdout.strip()
    except (subprocess.SubprocessError, OSError) as exc:
        return DoctorCheck("gpu", False, f"nvidia-smi failed: {exc}", required=False)
    gpus = [line.strip() for line in out.splitlines() if line.strip()]
    return DoctorCheck("gpu", bool(gpus), "; ".join(gpus) or "nvidia-smi lists no GPU", required=False)
