"""Helpers of the fault suite: the `synvita` console script, one-line errors, process checks."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

SYNVITA = Path(sys.executable).parent / "synvita"


def synvita_cli(*args, timeout=60, env_extra=None) -> subprocess.CompletedProcess:
    """The installed console script as a subprocess (it runs this checkout: PYTHONPATH comes first)."""
    if not SYNVITA.exists():
        pytest.skip("console script not installed in this environment")
    env = {**os.environ, "NO_COLOR": "1", **(env_extra or {})}
    return subprocess.run([str(SYNVITA), *map(str, args)], capture_output=True, text=True, env=env, timeout=timeout,
                          check=False)


def assert_one_line_error(result: subprocess.CompletedProcess, code: int, *fragments: str) -> str:
    assert result.returncode == code, (result.returncode, result.stderr)
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), result.stderr
    for fragment in fragments:
        assert fragment in lines[0], lines[0]
    return lines[0]


def pid_alive(pid: int) -> bool:
    """True while `pid` exists and is not a zombie."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    try:
        return Path(f"/proc/{pid}/stat").read_text().split()[2] != "Z"
    except OSError:
        return False


def wait_for(predicate, timeout=20.0, every=0.05):
    deadline = time.time() + timeout
    while time.time() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(every)
    raise AssertionError(f"condition not met within {timeout}s")
