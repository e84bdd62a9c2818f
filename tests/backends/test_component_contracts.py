"""The contract every registered generator and data source passes: it is registered under its own name, builds
from a spec section through `from_section`, and behaves as its kind promises on tiny inputs."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pytest

from synvita.config import GenerationSection, WorldSection
from synvita.registry import DATA_SOURCES, GENERATORS, Component

PROMPTS = ["one big red circle moves left", "two small blue squares grow then one big green triangle moves up"]


@pytest.fixture(scope="module")
def tiny_world(tmp_path_factory):
    source = DATA_SOURCES.get("world").from_section(WorldSection(preset="tiny", overrides={"n_pretrain": 10, "n_train": 14,
                                                                                          "n_val": 7, "n_test": 14,
                                                                                          "n_human": 14}), ctx=None)
    return source.build(tmp_path_factory.mktemp("world") / "world")


@pytest.fixture(scope="module")
def video_folder(tmp_path_factory):
    from synvita.data.video_io import write_mp4

    folder = tmp_path_factory.mktemp("videos")
    rows = ["prompt,videopath"]
    for i, prompt in enumerate(PROMPTS):
        write_mp4(folder / f"v{i}.mp4", np.full((6, 16, 16, 3), 30 * (i + 1), np.uint8), fps=8)
        rows.append(f"{prompt},v{i}.mp4")
    (folder / "manifest.csv").write_text("\n".join(rows) + "\n")
    return folder


@pytest.fixture
def default_section(cogvideox_dir, wan_dir, video_folder):
    """The smallest [generation] section each built-in needs (a key it does not take would be refused)."""
    sections = {
        "procedural": GenerationSection(),
        "cogvideox": GenerationSection(model_path=str(cogvideox_dir), num_frames=9, height=16, width=16, steps=2, device="cpu"),
        "diffusers": GenerationSection(model_path=str(wan_dir), num_frames=9, height=16, width=16, steps=2, device="cpu",
                                       options={"call_kwargs": {"max_sequence_length": 16}}),
        "folder": GenerationSection(videos_dir=str(video_folder)),
    }
    return sections


@pytest.mark.parametrize("name", GENERATORS.names())
def test_generator_contract(name, default_section, tiny_world):
    cls = GENERATORS.get(name)
    assert issubclass(cls, Component) and cls.name == name
    if name not in default_section:
        pytest.skip(f"no default section for the plugin generator '{name}'")
    section = default_section[name]
    cls.validate_section(section)
    generator = cls.from_section(section, SimpleNamespace(data=tiny_world, inputs={}, seed=0))
    videos = generator.generate(PROMPTS, 3, references=PROMPTS)
    again = generator.generate(PROMPTS, 3, references=PROMPTS)
    assert [v.prompt for v in videos] == PROMPTS
    for v, w in zip(videos, again):
        frames = np.asarray(v.frames)
        assert frames.dtype == np.uint8 and frames.ndim == 4 and frames.shape[-1] == 3
        assert np.array_equal(frames, w.frames)  # deterministic under the seed
        assert v.faithful in (None, True, False)


def _data_section(name, tiny_world, tmp_path):
    """A small section each built-in data source builds from: the world's tiny preset, and the same world written
    in the real datasets' layout (`synvita world export`) for the videocon source."""
    if name == "world":
        return WorldSection(preset="tiny", overrides={"n_pretrain": 10, "n_train": 14, "n_val": 7, "n_test": 14, "n_human": 14})
    if name == "videocon":
        from synvita.config import VideoconSection
        from synvita.world.export import export_original

        root = tmp_path / "data"
        export_original(tiny_world, root)
        cfg = tiny_world.config
        return VideoconSection(root=str(root), frames=cfg.frames, height=cfg.height, width=cfg.width)
    pytest.skip(f"no default section for the plugin data source '{name}'")


@pytest.mark.parametrize("name", DATA_SOURCES.names())
def test_data_source_contract(name, tiny_world, tmp_path):
    """Every data source validates and builds from its section, and its dataset gives the stages what they read:
    the train split, a pretrain corpus, and registered benchmarks."""
    cls = DATA_SOURCES.get(name)
    assert cls.name == name
    section = _data_section(name, tiny_world, tmp_path)
    cls.validate_section(section)
    source = cls.from_section(section, ctx=None)
    source.build(tmp_path / "run" / "world")
    data = source.load(tmp_path / "run")
    bank, pairs = data.split("train")
    assert len(pairs) == 14 and bank.frames.shape[1:] == (tiny_world.config.frames, tiny_world.config.height,
                                                         tiny_world.config.width, 3)
    frames, rows = data.pretrain
    assert len(rows.caption) > 0
    from synvita.registry import BENCHMARKS

    for bench in data.benchmark_names():
        assert bench in BENCHMARKS
