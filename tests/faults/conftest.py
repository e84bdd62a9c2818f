"""Fixtures of the fault suite: a fresh database per test."""

import pytest

from synvita.store import Store


@pytest.fixture
def db_path(tmp_path):
    return tmp_path / "db" / "synvita.db"


@pytest.fixture
def store(db_path):
    s = Store.open(db_path)
    yield s
    s.close()
