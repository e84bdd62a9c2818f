"""Fixtures for worker tests: a real second process writing to the same database, and polling."""

import os
import subprocess
import sys
import time

import pytest


def _start_worker_process(db_path, *args, stdout=subprocess.PIPE, preexec_fn=None):
    """`python -m synvita.runs.worker` as a separate process (a real second writer)."""
    return subprocess.Popen(
        [sys.executable, "-m", "synvita.runs.worker", "--db", str(db_path), *args],
        stdout=stdout, stderr=subprocess.PIPE, text=True, env=dict(os.environ), preexec_fn=preexec_fn,
    )


def _wait_for(predicate, timeout=20.0, every=0.05):
    deadline = time.time() + timeout
    while time.time() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(every)
    raise AssertionError(f"condition not met within {timeout}s")


@pytest.fixture
def start_worker_process():
    return _start_worker_process


@pytest.fixture
def wait_for():
    return _wait_for
