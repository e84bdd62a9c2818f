"""`synvita doctor`: checks of the environment a database and its workers need (SQLite version and features,
the database's folder, filesystem and disk, the ML packages, GPUs). Torch-free: packages are looked up with
importlib.util.find_spec, never imported."""

from __future__ import annotations

import importlib.util
import os
import shutil
import sqlite3
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

from synvita.api.database import Database
from synvita.errors import StoreError

HEAVY_PACKAGES = ("torch", "diffusers", "transformers", "peft", "av")


@dataclass
class DoctorCheck:
    name: str
    ok: bool
    detail: str
    required: bool = True
    """A failed optional check (e.g. no GPU) is reported but does not make `synvita doctor` fail."""


REQUIRED_PACKAGES = ("torch", "av")
"""Of HEAVY_PACKAGES, those a worker cannot run stages without; the others only warn."""


class DoctorApi(Database):
    def doctor(self) -> list[DoctorCheck]:
        """Environment checks: SQLite version and features, database location, filesystem, disk, ML packages, GPUs."""
        checks = _sqlite_checks() + self._database_checks()
        checks += [_package_check(package) for package in HEAVY_PACKAGES]
        checks.append(_gpu_check())
        return checks

    def _database_checks(self) -> list[DoctorCheck]:
        """The database's folder (writable), its filesystem (local: WAL; network: journal_mode=DELETE), free disk,
        and its schema."""
        path = self.db_path
        existing = path if path.exists() else next((p for p in path.parents if p.exists()), Path("/"))
        folder = existing if existing.is_dir() else existing.parent
        writable = os.access(folder, os.W_OK)
        checks = [
            DoctorCheck(
                "database",
                writable,
                f"{path} ({'exists' if path.exists() else 'not created yet'}; "
                f"{'writable' if writable else 'NOT writable: pass --db or set SYNVITA_DB'}) "
                f"[from {_db_source()}]",
            )
        ]
        checks.append(_filesystem_check(path))
        checks.append(_wal_check(folder))
        usage = shutil.disk_usage(folder)
        free_gb = usage.free / 1e9
        checks.append(DoctorCheck("disk", free_gb >= 1.0, f"{free_gb:.1f} GB free of {usage.total / 1e9:.1f} GB at {folder}"))
        if path.exists():
            checks.append(self._schema_check())
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


def _sqlite_checks() -> list[DoctorCheck]:
    """The SQLite library Python links against: its version and the features the store uses."""
    version = sqlite3.sqlite_version
    version_tuple = tuple(int(x) for x in version.split("."))
    return [
        DoctorCheck("sqlite", version_tuple >= (3, 35), f"SQLite {version} (RETURNING needs ≥ 3.35)"),
        _feature("sqlite RETURNING", "CREATE TABLE t(x); INSERT INTO t VALUES (1) RETURNING x"),
        _feature("sqlite JSON", "SELECT json_extract('{\"a\": 1}', '$.a')"),
        _feature("sqlite CHECK constraints", "CREATE TABLE t(x CHECK (x IN (1)))"),
    ]


def _package_check(package: str) -> DoctorCheck:
    """Whether an ML package is installed, and its version (found without importing it)."""
    # only doctor reads package metadata: the other commands do not pay for importing it
    from importlib import metadata

    found = importlib.util.find_spec(package) is not None
    try:
        detail = f"{package} {metadata.version(package)}" if found else f"{package} not installed"
    except metadata.PackageNotFoundError:
        detail = f"{package} (version unknown)"
    return DoctorCheck(package, found, detail, required=package in REQUIRED_PACKAGES)


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


def _filesystem_check(db_path: Path) -> DoctorCheck:
    """The filesystem holding the database and the journal mode the store uses on it (the store's own verdict,
    `synvita.store.filesystems`). A network filesystem is reported, not failed: the store is safe there in
    journal_mode=DELETE, only slower when several processes use the database at once."""
    from synvita.store.filesystems import database_mount, is_network_filesystem

    mount = database_mount(db_path)
    if mount is None:
        return DoctorCheck("filesystem", True, "unknown (no /proc/self/mountinfo): the store uses WAL", required=False)
    if is_network_filesystem(mount.fstype):
        return DoctorCheck(
            "filesystem", False,
            f"{mount.fstype} at {mount.point}: a network filesystem, where SQLite's WAL is unsafe; the store uses "
            "journal_mode=DELETE there (readers and writers take turns); a local disk is faster",
            required=False,
        )
    return DoctorCheck("filesystem", True, f"{mount.fstype} at {mount.point}: local, the store uses WAL")


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
