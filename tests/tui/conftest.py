"""Fixtures for the TUI tests: a real SQLite database (demo data or empty) behind the real `synvita.api.Api`."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from seed import NOW, seed_demo  # noqa: E402

from synvita.api import Api  # noqa: E402
from synvita.store import Store  # noqa: E402


@pytest.fixture(scope="session")
def demo_template(tmp_path_factory) -> tuple[Path, dict[str, str]]:
    """The demo database, seeded once per session through the real store."""
    path = tmp_path_factory.mktemp("demo-template") / "demo.db"
    store = Store.open(path)
    try:
        ids = seed_demo(store)
    finally:
        store.close()
    return path, ids


@pytest.fixture
def demo_db(demo_template, tmp_path) -> tuple[Path, dict[str, str]]:
    """A private copy of the demo database (ids r-000001…); returns (path, {role: run id})."""
    template, ids = demo_template
    path = tmp_path / "demo.db"
    for suffix in ("", "-wal", "-shm"):
        if Path(str(template) + suffix).exists():
            shutil.copyfile(str(template) + suffix, str(path) + suffix)
    return path, ids


@pytest.fixture
def demo_api(demo_db):
    """The API on the demo copy, with reaping off: the demo is a frozen moment whose `running` run last beat in
    2025, so the real clock would mark it lost (tests of reaping build their own Api)."""
    api = Api(db=demo_db[0], lost_after_s=0)
    yield api
    api.close()


@pytest.fixture
def empty_api(tmp_path):
    api = Api(db=tmp_path / "empty.db")
    yield api
    api.close()


@pytest.fixture
def frozen_clock():
    """The demo database's "now", so durations of running runs are the same in every snapshot."""
    return lambda: NOW
