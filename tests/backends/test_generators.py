"""Real generator backends on tiny random pipelines: CogVideoX, a generic diffusers pipeline (Wan), a folder of
mp4s made elsewhere, and sharded resumable generation into mp4 + manifest."""

import csv

import numpy as np
import pytest

from synvita.errors import NotFoundError, UserInputError
from synvita.registry import GENERATORS
import synvita.generators  # noqa: F401  (registers the built-ins)
from synvita.generators.sharded import generate_to_dir, merge_manifests, read_mp4, video_seed, write_mp4

PROMPTS = ["a cat plays with a red ball", "a dog runs in the park", "a man jumps on the table"]


def test_cogvideox_generates_uint8_videos_deterministically(cogvideox):
    assert GENERATORS.get("cogvideox") is type(cogvideox)
    assert all(not m.training for m in cogvideox.pipe.components.values() if hasattr(m, "training"))
    first = cogvideox.generate(PROMPTS[:2], seed=7)
    again = cogvideox.generate(PROMPTS[:2], seed=7)
    other = cogvideox.generate(PROMPTS[:2], seed=8)
    assert [v.frames.shape for v in first] == [(9, 16, 16, 3)] * 2
    assert all(v.frames.dtype == np.uint8 for v in first)
    assert [v.prompt for v in first] == PROMPTS[:2]
    for a, b in zip(first, again):
        np.testing.assert_array_equal(a.frames, b.frames)
    assert not np.array_equal(first[0].frames, other[0].frames)
    # video i depends on (seed, i) only: generating prompt 1 alone with its global index reproduces it
    alone = cogvideox.generate([PROMPTS[1]], seed=7, indices=[1], references=["ignored"])[0]
    np.testing.assert_array_equal(alone.frames, first[1].frames)
    assert first[1].meta["seed"] == video_seed(7, 1)
    # several prompts per pipeline call: the same noise per video; pixels agree to ±1 (float rounding of the batched
    # model calls, far below one level, can flip a rounding to uint8)
    from synvita.generators.cogvideox import CogVideoXGenerator

    batched = CogVideoXGenerator(cogvideox.model_dir, num_frames=9, height=16, width=16, steps=2, batch_size=2).generate(PROMPTS[:2], seed=7)
    for a, b in zip(first, batched):
        assert np.abs(a.frames.astype(int) - b.frames).max() <= 1


def test_cogvideox_rejects_sizes_the_model_cannot_make(cogvideox_dir):
    from synvita.generators.cogvideox import CogVideoXGenerator

    with pytest.raises(UserInputError, match="multiple of 16"):
        CogVideoXGenerator(cogvideox_dir, num_frames=9, height=24, width=16, steps=2)
    with pytest.raises(UserInputError, match="4k\\+1"):
        CogVideoXGenerator(cogvideox_dir, num_frames=10, height=16, width=16, steps=2)


def test_generic_diffusers_generator_loads_any_t2v_pipeline(wan_dir):
    cls = GENERATORS.get("diffusers")
    gen = cls(wan_dir, num_frames=9, height=16, width=16, steps=2, call_kwargs={"max_sequence_length": 16})
    assert type(gen.pipe).__name__ == "WanPipeline"
    videos = gen.generate(PROMPTS[:2], seed=1)
    assert [v.frames.shape for v in videos] == [(9, 16, 16, 3)] * 2 and videos[0].frames.dtype == np.uint8
    np.testing.assert_array_equal(videos[0].frames, gen.generate(PROMPTS[:1], seed=1)[0].frames)
    assert gen.describe()["pipeline"] == "WanPipeline"


@pytest.mark.parametrize("name", ["cogvideox", "diffusers"])
def test_missing_weights_give_one_line_not_found(name, tmp_path, monkeypatch):
    monkeypatch.setenv("HF_HUB_CACHE", str(tmp_path / "hf-cache"))
    import huggingface_hub.constants as hc

    monkeypatch.setattr(hc, "HF_HUB_CACHE", str(tmp_path / "hf-cache"))
    cls = GENERATORS.get(name)
    with pytest.raises(NotFoundError) as local:
        cls(tmp_path / "no-such-dir")
    line = local.value.one_line()
    assert "\n" not in line and "no-such-dir" in line and "does not exist" in line and "huggingface-cli download" in line
    with pytest.raises(NotFoundError) as repo:
        cls("THUDM/CogVideoX-2b")  # a hub id: looked up in the local HF cache only
    line = repo.value.one_line()
    assert "THUDM/CogVideoX-2b" in line and "hf-cache" in line and "\n" not in line
    (tmp_path / "not-a-pipeline").mkdir()
    (tmp_path / "not-a-pipeline" / "x.txt").write_text("x")
    with pytest.raises(NotFoundError, match="model_index.json"):
        cls(tmp_path / "not-a-pipeline")


def _video(seed, t=6, h=16, w=24):
    rng = np.random.default_rng(seed)
    return np.repeat(np.repeat(rng.integers(0, 256, (t, h // 8, w // 8, 3), dtype=np.uint8), 8, 1), 8, 2)


def test_folder_generator_round_trip_with_real_mp4(tmp_path):
    folder = tmp_path / "lavie"
    clips = {p: _video(i) for i, p in enumerate(PROMPTS[:2])}
    with open(folder.mkdir() or folder / "manifest.csv", "w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["prompt", "videopath"])
        for i, (prompt, frames) in enumerate(clips.items()):
            write_mp4(folder / f"clips/{i}.mp4", frames, fps=8)
            w.writerow([prompt, f"clips/{i}.mp4"])
    gen = GENERATORS.get("folder")(folder)
    videos = gen.generate([PROMPTS[1], "  " + PROMPTS[0]], seed=0)
    assert [v.frames.shape for v in videos] == [(6, 16, 24, 3)] * 2
    # lossy codec: blocky clips come back close to what was written
    assert np.abs(videos[0].frames.astype(int) - clips[PROMPTS[1]]).mean() < 12
    small = GENERATORS.get("folder")(folder, num_frames=4, height=8, width=8).generate([PROMPTS[0]])[0]
    assert small.frames.shape == (4, 8, 8, 3) and small.frames.dtype == np.uint8
    # the world's generate stage passes videos_dir= and references= (ignored by real generators)
    alias = GENERATORS.get("folder")(videos_dir=folder).generate([PROMPTS[0]], 3, references=["x"])[0]
    np.testing.assert_array_equal(alias.frames, videos[1].frames)
    with pytest.raises(UserInputError, match="no video for prompt 'a man jumps"):
        gen.generate([PROMPTS[2]])
    with pytest.raises(NotFoundError, match="manifest"):
        GENERATORS.get("folder")(tmp_path)
    (tmp_path / "bad").mkdir()
    (tmp_path / "bad" / "manifest.csv").write_text("caption,path\nx,y\n")
    with pytest.raises(UserInputError, match="videopath"):
        GENERATORS.get("folder")(tmp_path / "bad")


class CountingGenerator:
    """Wraps a generator and counts the videos it was asked for."""

    def __init__(self, inner):
        self.inner, self.calls, self.name, self.fps = inner, 0, inner.name, inner.fps

    def generate(self, prompts, seed, indices=None):
        self.calls += len(prompts)
        return self.inner.generate(prompts, seed, indices=indices)


def test_sharded_generation_is_resumable_and_skips_finished_videos(cogvideox, tmp_path):
    ids = [f"syn_{i:03d}" for i in range(len(PROMPTS))]
    gen = CountingGenerator(cogvideox)
    m0 = generate_to_dir(gen, PROMPTS, ids, tmp_path, seed=5, shard=(0, 2))
    assert gen.calls == 2 and sorted(p.name for p in (tmp_path / "videos").iterdir()) == ["syn_000.mp4", "syn_002.mp4"]
    with pytest.raises(UserInputError, match="2 of 3"):  # shard 1 has not run yet
        merge_manifests(tmp_path, expected=3)
    generate_to_dir(gen, PROMPTS, ids, tmp_path, seed=5, shard=(1, 2))
    assert gen.calls == 3
    manifest = merge_manifests(tmp_path, expected=3)
    rows = list(csv.DictReader(open(manifest)))
    assert [r["id"] for r in rows] == ids and [r["prompt"] for r in rows] == PROMPTS
    assert [int(r["seed"]) for r in rows] == [video_seed(5, i) for i in range(3)]
    # rerun: nothing is generated again; a deleted video is regenerated alone
    before = (tmp_path / "videos/syn_000.mp4").stat().st_mtime_ns
    generate_to_dir(gen, PROMPTS, ids, tmp_path, seed=5, shard=(0, 2))
    assert gen.calls == 3 and (tmp_path / "videos/syn_000.mp4").stat().st_mtime_ns == before
    (tmp_path / "videos/syn_002.mp4").unlink()
    assert generate_to_dir(gen, PROMPTS, ids, tmp_path, seed=5, shard=(0, 2)) == m0
    assert gen.calls == 4
    assert not list(tmp_path.glob("**/.*tmp*"))
    frames = read_mp4(tmp_path / "videos/syn_001.mp4")
    assert frames.shape == (9, 16, 16, 3)
    # the output folder is itself importable by the folder generator
    back = GENERATORS.get("folder")(tmp_path).generate([PROMPTS[2]])[0]
    assert back.frames.shape == (9, 16, 16, 3)
    with pytest.raises(UserInputError, match="not unique"):
        generate_to_dir(gen, PROMPTS[:2], ["a", "a"], tmp_path, seed=5)
    with pytest.raises(UserInputError, match="bad shard"):
        generate_to_dir(gen, PROMPTS, ids, tmp_path, seed=5, shard=(2, 2))


def test_command_line_shard_from_slurm_array(cogvideox_dir, tmp_path, monkeypatch, capsys):
    from synvita.generators.sharded import main

    prompts = tmp_path / "prompts.csv"
    prompts.write_text("id,prompt\n" + "".join(f"v{i},{p}\n" for i, p in enumerate(PROMPTS)))
    out = tmp_path / "out"
    common = ["--generator", "cogvideox", "--model-path", str(cogvideox_dir), "--prompts", str(prompts), "--out", str(out),
              "--seed", "2", "--set", "num_frames=9", "--set", "height=16", "--set", "width=16", "--set", "steps=2"]
    monkeypatch.setenv("SLURM_ARRAY_TASK_ID", "11")
    monkeypatch.setenv("SLURM_ARRAY_TASK_MIN", "10")
    monkeypatch.setenv("SLURM_ARRAY_TASK_COUNT", "2")
    assert main(common) == 0
    assert sorted(p.name for p in (out / "videos").iterdir()) == ["v1.mp4"]
    assert main(["--out", str(out), "--merge", "3"]) == 2  # shard 0 missing: a one-line error, exit code 2
    assert "1 of 3 videos" in capsys.readouterr().err
    assert main(common + ["--shard", "0/2"]) == 0
    assert main(["--out", str(out), "--merge", "3"]) == 0
    assert [r["id"] for r in csv.DictReader(open(out / "manifest.csv"))] == ["v0", "v1", "v2"]
    assert main(common[:-2] + ["--set", "height=24"]) == 2
