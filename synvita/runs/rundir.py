"""Self-describing run directories: `config.json` (what to run) and `env.json` (where and with what it ran)."""

from __future__ import annotations

import getpass
import json
import os
import platform
import re
import socket
import subprocess
import sys
import time
from functools import lru_cache
from importlib import metadata
from pathlib import Path
from typing import Any, Callable

from synvita.entities import Run
from synvita.stages import StageContext
from synvita.stages.hardware import cpu_info, gpu_info
from synvita.text import sanitize_terminal_text

ENV_FILE = "env.json"
STDERR_FILE = "stderr.log"
STDOUT_FILE = "stdout.log"
VERSIONED_PACKAGES = (
    "synvita", "numpy", "torch", "diffusers", "transformers", "peft", "accelerate",
    "av", "sqlmodel", "sqlalchemy", "textual",
)


def stage_config(run: Run) -> dict[str, Any]:
    """The resolved spec stored on the run plus the run's own keys (variant, seed, generator)."""
    config = dict(run.config)
    for key in ("variant", "seed", "generator"):
        value = getattr(run, key)
        if value is not None:
            config[key] = value
    return config


def stage_inputs(deps: list[Run], ancestors: list[Run] = ()) -> dict[str, Path]:
    """Upstream run directories by role (= the dependency's stage); a second dependency of the same stage is
    keyed `<stage>:<run id>`. Indirect ancestors (nearest first) fill in roles no direct dependency has, so a
    score run that depends on generate and pretrain still finds the world they were built from."""
    inputs: dict[str, Path] = {}
    for dep in deps:
        key = dep.stage if dep.stage not in inputs else f"{dep.stage}:{dep.id}"
        inputs[key] = Path(dep.run_dir)
    for anc in ancestors:
        inputs.setdefault(anc.stage, Path(anc.run_dir))
    return inputs


@lru_cache(maxsize=1)
def git_info() -> dict[str, Any]:
    """Commit of the synvita source checkout (or of the current directory), and whether it had local changes.
    Cached for the worker's lifetime."""
    import synvita

    for where in (Path(synvita.__file__).resolve().parent.parent, Path.cwd()):
        try:
            commit = subprocess.run(
                ["git", "-C", str(where), "rev-parse", "HEAD"], capture_output=True, text=True, timeout=10
            )
            if commit.returncode != 0:
                continue
            dirty = subprocess.run(
                ["git", "-C", str(where), "status", "--porcelain", "--untracked-files=no"],
                capture_output=True, text=True, timeout=10,
            )
            return {"commit": commit.stdout.strip(), "dirty": bool(dirty.stdout.strip()), "root": str(where)}
        except (OSError, subprocess.SubprocessError):
            continue
    return {"commit": None, "dirty": None, "root": None}


@lru_cache(maxsize=1)
def package_versions() -> dict[str, str | None]:
    """Installed versions from package metadata (nothing is imported, torch included)."""
    out: dict[str, str | None] = {}
    for name in VERSIONED_PACKAGES:
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            out[name] = None
    return out


@lru_cache(maxsize=1)
def installed_packages() -> dict[str, str]:
    """Every installed distribution and its exact version (from metadata; nothing is imported)."""
    found = {}
    for dist in metadata.distributions():
        name = dist.metadata["Name"]
        if name:
            found.setdefault(name.lower(), dist.version)
    return dict(sorted(found.items()))


def environment(run: Run, *, worker_id: str, executor: str) -> dict[str, Any]:
    return {
        "run_id": run.id,
        "attempt": run.attempt,
        "seed": run.seed if run.seed is not None else run.config.get("seed"),
        "git": git_info(),
        "python": sys.version.split()[0],
        "executable": sys.executable,
        "platform": platform.platform(),
        "host": socket.gethostname(),
        "user": _user(),
        "argv": list(sys.argv),
        "cwd": os.getcwd(),
        "worker": worker_id,
        "executor": executor,
        "packages": package_versions(),
        "installed": installed_packages(),
        "cpu": cpu_info(),
        "gpu": gpu_info(),
        "prepared_at": time.time(),
    }


def _user() -> str | None:
    try:
        return getpass.getuser()
    except Exception:  # no passwd entry in some containers
        return None


Fence = Callable[[Callable[[], None]], bool]
"""Makes a write to a run's directory only while the caller owns the run and says whether it did (the worker's
`Store.while_owned` bound to the run, itself and its attempt token)."""


def unfenced(write: Callable[[], None]) -> bool:
    """The `Fence` of a caller that owns the run directory outright (a test, a one-off tool): just writes."""
    write()
    return True


def prepare_run_dir(
    run: Run, deps: list[Run], *, worker_id: str, executor: str, ancestors: list[Run] = (),
    while_owned: Fence = unfenced,
) -> Path | None:
    """Create the run directory and write `config.json` (StageContext) and `env.json`; returns the directory.
    An existing directory (a retry) is reused; the worker then gives the new attempt an events.jsonl of its own
    that continues the ingested lines, so seq stays monotonic (`synvita.runs.ingest.start_attempt_events`).

    Both files are composed first; `while_owned(write)` writes them only while the caller still owns the run
    (`Store.while_owned`), so a worker that stalled while another took the run over leaves that attempt's files
    alone. Returns None when it did not write them."""
    run_dir = Path(run.run_dir)
    context = StageContext(
        run_id=run.id, stage=run.stage, run_dir=run_dir, config=stage_config(run), inputs=stage_inputs(deps, ancestors)
    )
    env = json.dumps(environment(run, worker_id=worker_id, executor=executor), indent=2, sort_keys=True)

    def write() -> None:
        run_dir.mkdir(parents=True, exist_ok=True)
        context.write_config()
        tmp = run_dir / (ENV_FILE + ".tmp")
        tmp.write_text(env)
        tmp.replace(run_dir / ENV_FILE)

    return run_dir if while_owned(write) else None


_STEP_CANCELLED = re.compile(r"^slurmstepd(-\S+)?: error: \*\*\* STEP \S+ ON \S+ CANCELLED")


def error_from_stderr(path: str | Path, max_bytes: int = 65536) -> str | None:
    """The exception line of a failed stage: the last non-empty line of stderr, with the module path of a
    qualified exception name dropped ("synvita.errors.StageError: x" → "StageError: x") and control characters
    stripped."""
    try:
        with open(path, "rb") as fh:
            fh.seek(0, os.SEEK_END)
            size = fh.tell()
            fh.seek(max(0, size - max_bytes))
            tail = fh.read().decode("utf-8", errors="replace")
    except OSError:
        return None
    lines = [ln.strip() for ln in tail.splitlines() if ln.strip()]
    # slurmstepd's note that it cancelled a step of several ranks follows the failing rank's own line
    lines = [ln for ln in lines if not _STEP_CANCELLED.match(ln)] or lines
    if not lines:
        return None
    last = re.sub(r"^\[rank\d+\]:\s*", "", lines[-1])  # torch's prefix on a distributed rank's lines
    head, sep, rest = last.partition(":")
    if sep and " " not in head and "." in head and head.rsplit(".", 1)[-1][:1].isupper():
        last = head.rsplit(".", 1)[-1] + ":" + rest
    return sanitize_terminal_text(last)[:2000]  # recorded on the run and shown in listings and the TUI
