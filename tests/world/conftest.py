"""Fixtures for the world tests: one tiny world per session (built once, ~1 s)."""

import pytest

from synvita.world import build_world

TINY_OVERRIDES = {"n_pretrain": 40, "n_train": 112, "n_val": 14, "n_test": 70, "n_human": 70}


@pytest.fixture(scope="session")
def tiny_world(tmp_path_factory):
    return build_world("tiny", 0, tmp_path_factory.mktemp("world"), overrides=TINY_OVERRIDES)


@pytest.fixture
def tiny_world_builder():
    """Builds the tiny test world of `tiny_world` with further overrides: `builder(out_dir, **overrides)`."""
    return lambda out_dir, **overrides: build_world("tiny", 0, out_dir, overrides={**TINY_OVERRIDES, **overrides})
