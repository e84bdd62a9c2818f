"""Session fixtures: tiny real-architecture models built once, saved with save_pretrained, loaded back by path."""

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))  # tiny_pipelines.py


@pytest.fixture(scope="session")
def cogvideox_dir(tmp_path_factory) -> Path:
    from tiny_pipelines import tiny_cogvideox

    path = tmp_path_factory.mktemp("cogvideox-tiny")
    tiny_cogvideox().save_pretrained(path)
    return path


@pytest.fixture(scope="session")
def wan_dir(tmp_path_factory) -> Path:
    from tiny_pipelines import tiny_wan

    path = tmp_path_factory.mktemp("wan-tiny")
    tiny_wan().save_pretrained(path)
    return path


@pytest.fixture(scope="session")
def cogvideox(cogvideox_dir):
    from synvita.generators.cogvideox import CogVideoXGenerator

    return CogVideoXGenerator(cogvideox_dir, num_frames=9, height=16, width=16, steps=2, device="cpu")


@pytest.fixture(scope="session")
def videollm_dir(tmp_path_factory) -> Path:
    from synvita.models.videollm import build_tiny_videollm

    return build_tiny_videollm(tmp_path_factory.mktemp("videollava-tiny"))
