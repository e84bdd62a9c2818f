"""Shared test setup: never touch the network, never touch the user's database."""

import os

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("HF_DATASETS_OFFLINE", "1")

import pytest

from synvita.store import Store


@pytest.fixture(autouse=True)
def _isolated_synvita_home(tmp_path, monkeypatch):
    """Every test gets a fresh SYNVITA_HOME (and no SYNVITA_DB), so a real database file lives under tmp_path."""
    monkeypatch.setenv("SYNVITA_HOME", str(tmp_path / "synvita-home"))
    monkeypatch.delenv("SYNVITA_DB", raising=False)
    yield


@pytest.fixture
def db_path(tmp_path):
    """Where a test's real SQLite database lives (created on first open)."""
    return tmp_path / "db" / "synvita.db"


@pytest.fixture
def store(db_path):
    """The store on `db_path`, closed after the test."""
    s = Store.open(db_path)
    yield s
    s.close()
