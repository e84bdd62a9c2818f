"""Shared test setup: never touch the network, never touch the user's database."""

import os

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("HF_DATASETS_OFFLINE", "1")

import pytest


@pytest.fixture(autouse=True)
def _isolated_synvita_home(tmp_path, monkeypatch):
    """Every test gets a fresh SYNVITA_HOME (and no SYNVITA_DB), so a real database file lives under tmp_path."""
    monkeypatch.setenv("SYNVITA_HOME", str(tmp_path / "synvita-home"))
    monkeypatch.delenv("SYNVITA_DB", raising=False)
    yield
