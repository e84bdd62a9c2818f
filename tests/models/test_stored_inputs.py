"""A bank's video inputs kept on disk (`synvita.models.stored_inputs`) equal those computed on the fly, bit for bit;
a later reader tracks two clips to check it; a stale or mismatched store is rebuilt; only a whole bank's frames are served."""

import json
from pathlib import Path

import numpy as np
import pytest
import torch

from synvita.data.cache import load_bank, write_bank
from synvita.models import stored_inputs
from synvita.models.base import VideoInputCache, build_model
from synvita.models.stored_inputs import CHUNK
from synvita.models.tiny import TinyAlignmentModel
from synvita.world.config import resolve_config
from synvita.world.render import LayoutError, render
from synvita.world.sampling import sample_scene

CFG = resolve_config("quickstart")
CAPTIONS = ["one big red circle moves left", "one small blue square grows", "one big green ring appears"]


def rendered(n: int, seed: int = 0) -> np.ndarray:
    """n world clips uint8 [n, T, H, W, 3]."""
    rng = np.random.default_rng(seed)
    clips = []
    while len(clips) < n:
        try:
            clips.append(render(sample_scene(rng, CFG), CFG, rng))
        except LayoutError:
            continue
    return np.stack(clips)


def tiny(**config):
    return build_model("tiny", {**TinyAlignmentModel.example_config(CAPTIONS, frames=CFG.frames), **config}, seed=0)


@pytest.fixture(scope="module")
def clips():
    return rendered(CHUNK + 9)  # two chunks when built


def write(bank_dir, clips):
    write_bank(bank_dir, bank_dir.parent, [f"v{i}" for i in range(len(clips))], clips, shard_size=128)


@pytest.fixture
def bank_dir(tmp_path, clips):
    write(tmp_path / "bank", clips)
    return tmp_path / "bank"


@pytest.fixture
def bank(bank_dir):
    return load_bank(bank_dir)


def store_files(bank_dir):
    return sorted(p.name.split(".", 2)[-1] for p in bank_dir.glob("frames.inputs-*"))


class Spy:
    """Counts the clips a model's `video_inputs` computes."""

    def __init__(self, model):
        self.clips, compute = [], model.video_inputs
        model.video_inputs = lambda videos: self.clips.append(len(videos)) or compute(videos)


def test_stored_inputs_equal_the_inputs_computed_on_the_fly(bank, bank_dir):
    model = tiny()
    stored = model.stored_video_inputs(bank.frames)
    assert store_files(bank_dir) == ["json", "lock", "npy"]
    whole = model.video_inputs(np.array(bank.frames))  # one call over every clip
    index = np.array([70, 3, 3, 64, 0, 41])
    picked = model.video_inputs(np.array(bank.frames)[index])  # a step's clips, in its order
    for key, value in stored.get(np.arange(len(bank.frames))).items():
        assert value.dtype == whole[key].dtype and torch.equal(value, whole[key]), key
    for key, value in stored.get(index).items():
        assert torch.equal(value, picked[key]), key


def test_a_later_reader_computes_only_two_clips_to_check_the_store(bank, bank_dir):
    tiny().stored_video_inputs(bank.frames)
    reader = tiny()
    spy = Spy(reader)
    again = load_bank(bank_dir)  # another run
    assert reader.stored_video_inputs(again.frames) is not None
    assert spy.clips == [2]  # the first and the last clip, to check the store
    assert VideoInputCache(reader, again.frames).get(np.arange(5))["present"].shape[0] == 5
    assert spy.clips == [2, 2]


def edit_header(path, change):
    header = json.loads(path.read_text())
    change(header)
    path.write_text(json.dumps(header))


SPOILERS = {
    "frames rewritten": lambda bank_dir, clips, header, records: write(bank_dir, clips[::-1].copy()),
    "another format": lambda bank_dir, clips, header, records: edit_header(header, lambda h: h.update(format=0)),
    "another tracker": lambda bank_dir, clips, header, records: edit_header(header, lambda h: h["key"].__setitem__(1, 0)),
    "header missing": lambda bank_dir, clips, header, records: header.unlink(),
    "records of fewer clips": lambda bank_dir, clips, header, records: np.save(records, np.load(records)[:-1]),
    "records of another layout": lambda bank_dir, clips, header, records: np.save(
        records, np.zeros(len(clips), dtype=[("trajectory", "<f4", (4, 8, 6))])),
    "records not what the tracker gives": lambda bank_dir, clips, header, records: np.save(
        records, _bumped(np.load(records))),
}


def _bumped(records):
    records["trajectory"][-1] += 1.0
    return records


@pytest.mark.parametrize("spoil", SPOILERS)
def test_a_stale_or_mismatched_store_is_rebuilt(bank, bank_dir, clips, spoil):
    tiny().stored_video_inputs(bank.frames)
    header, records = (next(bank_dir.glob(f"frames.inputs-*.{ext}")) for ext in ("json", "npy"))
    SPOILERS[spoil](bank_dir, clips, header, records)
    fresh = load_bank(bank_dir)
    model = tiny()
    spy = Spy(model)
    rebuilt = model.stored_video_inputs(fresh.frames)
    assert sum(spy.clips) >= len(clips)  # every clip computed again
    expected = model.video_inputs(np.array(fresh.frames))
    for key, value in rebuilt.get(np.arange(len(clips))).items():
        assert torch.equal(value, expected[key]), key
    assert tiny().stored_video_inputs(fresh.frames) is not None and store_files(bank_dir) == ["json", "lock", "npy"]


def test_only_a_whole_bank_is_served(bank):
    model = tiny()
    frames = bank.frames
    for not_a_bank in (frames[1:], frames[[0, 2]], np.array(frames), frames[:, ::-1], torch.from_numpy(np.array(frames))):
        assert model.stored_video_inputs(not_a_bank) is None
    assert tiny(encoder="conv").stored_video_inputs(frames) is None  # pixels in: nothing to keep
    assert model.stored_video_inputs(frames) is not None


def test_a_folder_that_cannot_be_written_reads_a_valid_store_or_none(bank, monkeypatch):
    def refused(self):
        raise PermissionError("read-only")

    monkeypatch.setattr(stored_inputs._Store, "locked", refused)
    assert tiny().stored_video_inputs(bank.frames) is None
    monkeypatch.undo()
    tiny().stored_video_inputs(bank.frames)
    monkeypatch.setattr(stored_inputs._Store, "locked", refused)
    assert tiny().stored_video_inputs(bank.frames) is not None


def test_predict_reads_a_stored_bank_and_scores_as_from_pixels(bank):
    model = tiny()
    video, caps = np.array([3, 0, 70, 0, 2]), [CAPTIONS[i % 3] for i in range(5)]
    from_pixels = model.predict(np.array(bank.frames), video, caps)
    model.stored_video_inputs(bank.frames)
    spy = Spy(model)
    assert np.array_equal(model.predict(bank.frames, video, caps), from_pixels)
    assert spy.clips == [2]  # the store's check, nothing else


READER = """
import sys
import numpy as np
from synvita.data.cache import load_bank
from tests.models.test_stored_inputs import Spy, tiny
model = tiny()
spy = Spy(model)
stored = model.stored_video_inputs(load_bank(sys.argv[1]).frames)
np.save(sys.argv[2], stored.records["trajectory"])
print(sum(spy.clips))
"""


def test_runs_that_open_a_bank_together_build_it_once(bank_dir, clips, tmp_path):
    import os
    import subprocess
    import sys

    root = Path(__file__).resolve().parents[2]  # the subprocesses import this module
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(root), os.environ.get("PYTHONPATH", "")])}
    runs = [subprocess.Popen([sys.executable, "-c", READER, str(bank_dir), str(tmp_path / f"{i}.npy")], env=env,
                             stdout=subprocess.PIPE, text=True) for i in range(2)]
    tracked = sorted(int(run.communicate(timeout=300)[0]) for run in runs)
    assert all(run.returncode == 0 for run in runs)
    assert tracked == [2, len(clips)]  # one built the store; the other waited, then checked two clips
    assert np.array_equal(np.load(tmp_path / "0.npy"), np.load(tmp_path / "1.npy"))
