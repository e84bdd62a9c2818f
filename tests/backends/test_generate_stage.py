"""The generate stage with a real (tiny, random) CogVideoX loaded from `model_path`: videos go through the sharded,
resumable writer, are conformed to the world's clip shape and stored as a synthetic set that score/train read;
faithfulness is unknown; a retried run skips finished videos; missing weights fail in one line."""

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from synvita.data.video_io import fit_clip
from synvita.errors import NotFoundError, UserInputError
from synvita.events import EventWriter, read_events
from synvita.generators.sharded import read_mp4
from synvita.stages import StageContext
from synvita.world.synthetic import load_synthetic

N_TRAIN = 10
GEN = {"generators": ["cogvideox"], "num_frames": 9, "height": 16, "width": 16, "steps": 2, "device": "cpu"}


@pytest.fixture(scope="module")
def world_run(tmp_path_factory):
    """A world run dir of the tiny preset (fewer train pairs: each costs one CogVideoX call)."""
    from synvita.stages.world import run as world_run_stage

    config = {"world": {"preset": "tiny", "seed": 0, "overrides": {"n_pretrain": 10, "n_train": N_TRAIN, "n_val": 7}}}
    ctx = _ctx(tmp_path_factory.mktemp("world-run"), "world", config)
    with EventWriter(ctx.run_dir) as ev:
        ctx.events = ev
        world_run_stage(ctx)
    return ctx.run_dir


def _ctx(root: Path, stage: str, config: dict, inputs=None, name: str | None = None) -> StageContext:
    run_dir = root / (name or stage)
    run_dir.mkdir(exist_ok=True)
    return StageContext(run_id=f"r-{stage}", stage=stage, run_dir=run_dir, config=config, inputs=inputs or {})


def _generate(root: Path, world_run: Path, model_path, name="generate", **generation):
    from synvita.stages.generate import run

    config = {"generation": {**GEN, "model_path": str(model_path), **generation}, "generator": "cogvideox", "seed": 3}
    ctx = _ctx(root, "generate", config, {"world": world_run}, name)
    with EventWriter(ctx.run_dir) as ev:
        ctx.events = ev
        run(ctx)
    return ctx.run_dir


def test_generate_stage_writes_a_synthetic_set_in_the_worlds_shape(tmp_path, world_run, cogvideox_dir):
    from synvita.world import load_world

    run_dir = _generate(tmp_path, world_run, cogvideox_dir)
    world = load_world(world_run / "world")
    cfg = world.config
    syn = load_synthetic(run_dir / "synthetic")
    assert syn.generator == "cogvideox" and len(syn) == N_TRAIN
    assert syn.bank.frames.shape == (N_TRAIN, cfg.frames, cfg.height, cfg.width, 3) and syn.bank.frames.dtype == np.uint8
    assert (syn.pair_index == np.arange(N_TRAIN)).all()
    # the model's own output (9 frames of 16×16) is kept under generated/ and conformed to 8×32×32 in the bank
    raw = run_dir / "synthetic" / "generated" / "videos"
    mp4s = sorted(raw.glob("*.mp4"))
    assert len(mp4s) == N_TRAIN and not list(raw.glob(".*tmp*"))
    first = read_mp4(mp4s[0])
    assert first.shape == (9, 16, 16, 3)
    np.testing.assert_array_equal(syn.bank.frames[0], fit_clip(first, cfg.frames, cfg.height, cfg.width))
    assert syn.bank.frames.std() > 0  # not blank
    # prompts are the contrast captions t^s; faithfulness is unknown for a real model
    _, pairs = world.split("train")
    manifest = (run_dir / "synthetic" / "manifest.csv").read_text().splitlines()
    assert len(manifest) == 1 + N_TRAIN and pairs.caption_neg[0] in manifest[1]
    assert syn.faithful_known is not None and not syn.faithful_known.any() and not syn.knows_faithful
    assert all(syn.faithful_or_none(p) is None for p in range(N_TRAIN))
    stats = json.loads((run_dir / "synthetic" / "stats.json").read_text())
    assert stats["faithful"] is None and all(v["faithful"] is None and v["failed"] is None for v in stats["per_type"].values())
    meta = json.loads((run_dir / "synthetic" / "synthetic.json").read_text())
    assert meta["faithful_rate"] is None and meta["generator_settings"]["num_inference_steps"] == 2
    events = read_events(run_dir)
    assert any(e["kind"] == "progress" and e["done"] == e["total"] == N_TRAIN for e in events)
    assert not any(e["kind"] == "metric" and e["name"] == "faithful_rate" for e in events)
    # the train stage's weight rows carry faithful=None (the weights summary then has no faithful split)
    from synvita.training.pipeline import weight_rows_for

    rows = weight_rows_for(syn, pairs, np.full((2, N_TRAIN), 0.7), np.full((2, N_TRAIN), 0.2), "cogvideox")
    assert len(rows) == N_TRAIN and all(r.faithful is None for r in rows) and rows[0].weight == pytest.approx(0.5)
    from synvita.report import summarize_weights

    assert summarize_weights("r-score", rows).by_faithful == {}  # same fields as the store's SampleWeight
    # `synvita world show --synthetic` says "unknown" instead of calling every video unfaithful
    from synvita.api import world as world_api

    samples = world_api.samples(world_run / "world", run_dir / "synthetic", n=2)
    assert [s.faithful for s in samples] == [None, None] and samples[0].synthetic.shape == (cfg.frames, cfg.height, cfg.width, 3)
    assert world_api.contact_sheet(samples, tmp_path / "sheet.png").stat().st_size > 0


def test_a_second_run_on_the_same_dir_skips_finished_videos(tmp_path, world_run, cogvideox_dir, monkeypatch):
    from synvita.generators.cogvideox import CogVideoXGenerator

    calls: list[str] = []
    made: dict[int, list[np.ndarray]] = {}  # global index → the frames each `generate` call returned for it
    original = CogVideoXGenerator.generate

    def recording(self, prompts, seed, indices=None, references=None):  # same signature: indices pick the seeds
        calls.extend(prompts)
        videos = original(self, prompts, seed, indices=indices, references=references)
        for video in videos:
            made.setdefault(video.meta["index"], []).append(video.frames)
        return videos

    monkeypatch.setattr(CogVideoXGenerator, "generate", recording)
    run_dir = _generate(tmp_path, world_run, cogvideox_dir)
    first = np.array(load_synthetic(run_dir / "synthetic").bank.frames)
    raw = run_dir / "synthetic" / "generated" / "videos"
    missing = [3, 4]  # as if the job was preempted before writing these two
    gone = [sorted(raw.glob("*.mp4"))[j] for j in missing]
    for path in gone:
        path.unlink()
    kept = {p.name: p.stat().st_mtime_ns for p in raw.glob("*.mp4")}
    calls.clear()
    _generate(tmp_path, world_run, cogvideox_dir)  # same run dir: resumes
    assert len(calls) == 2
    assert {p.name: p.stat().st_mtime_ns for p in raw.glob("*.mp4") if p.name in kept} == kept
    assert all(p.exists() for p in gone)
    again = load_synthetic(run_dir / "synthetic")
    diff = np.abs(again.bank.frames.astype(int) - first).reshape(N_TRAIN, -1).max(1)
    assert list(diff) == [0] * N_TRAIN, diff  # video j depends on (seed, j) only
    # batch_size > 1: the missing videos are made several per pipeline call, then resumed as before. Batched model
    # calls round differently, so the generator's frames match batch-1 frames to ±1 (GenerationSection.batch_size).
    # The stored mp4 is a lossy encode of those frames (yuv420p, crf 18) that can turn a ±1 into tens of levels,
    # so the promise is checked on the generator's frames and the stored videos only where none was regenerated.
    for path in gone:
        path.unlink()
    calls.clear()
    _generate(tmp_path, world_run, cogvideox_dir, batch_size=2)
    assert len(calls) == 2
    for j in missing:
        batch_one, batched = made[j][0], made[j][-1]
        assert len(made[j]) == 3 and np.abs(batched.astype(int) - batch_one).max() <= 1, j
    stored = load_synthetic(run_dir / "synthetic").bank.frames
    untouched = [j for j in range(N_TRAIN) if j not in missing]
    np.testing.assert_array_equal(stored[untouched], first[untouched])
    # other settings on the same folder are refused, never mixed with the old videos
    with pytest.raises(UserInputError, match="other generator settings.*num_inference_steps"):
        _generate(tmp_path, world_run, cogvideox_dir, steps=3)


def test_a_slurm_array_output_is_read_back_with_the_folder_generator(tmp_path, world_run, cogvideox_dir, monkeypatch):
    """prompts.csv → `python -m synvita.generators.sharded` in 2 shards → merge → the stage with generator folder."""
    from synvita.generators.folder import FolderGenerator
    from synvita.generators.sharded import main as sharded_main
    from synvita.stages.generate import run
    from synvita.world import load_world
    from synvita.generators.synthesize import write_prompts_csv

    prompts = write_prompts_csv(load_world(world_run / "world"), tmp_path / "prompts.csv")
    array = tmp_path / "array-out"
    opts = ["--set", "num_frames=9", "--set", "height=16", "--set", "width=16", "--set", "steps=2", "--set", "device=\"cpu\""]
    for shard in ("0/2", "1/2"):
        assert sharded_main(["--model-path", str(cogvideox_dir), "--prompts", str(prompts), "--out", str(array),
                             "--seed", "3", "--shard", shard, *opts]) == 0
    assert sharded_main(["--out", str(array), "--merge", str(N_TRAIN)]) == 0
    # the manifest's index column is used (exact even when two pairs share a prompt), not prompt look-up
    monkeypatch.setattr(FolderGenerator, "generate", lambda *a, **k: pytest.fail("looked up by prompt"))
    config = {"generation": {"generators": ["folder"], "videos_dir": str(array)}, "generator": "folder", "seed": 3}
    ctx = _ctx(tmp_path, "generate", config, {"world": world_run}, "from-folder")
    with EventWriter(ctx.run_dir) as ev:
        ctx.events = ev
        run(ctx)
    from_folder = load_synthetic(ctx.run_dir / "synthetic")
    direct = load_synthetic(_generate(tmp_path, world_run, cogvideox_dir) / "synthetic")
    assert from_folder.generator == "folder" and from_folder.bank.frames.shape == direct.bank.frames.shape
    # the same videos: the array used the same seed and global indices, and folder videos are not re-encoded
    np.testing.assert_array_equal(from_folder.bank.frames, direct.bank.frames)
    assert not (ctx.run_dir / "synthetic" / "generated").exists()


def test_missing_weights_are_the_runs_one_line_error(tmp_path, world_run, monkeypatch):
    monkeypatch.setenv("HF_HUB_CACHE", str(tmp_path / "hf-cache"))
    import huggingface_hub.constants as hc

    monkeypatch.setattr(hc, "HF_HUB_CACHE", str(tmp_path / "hf-cache"))
    with pytest.raises(NotFoundError) as err:
        _generate(tmp_path, world_run, tmp_path / "no-weights-here")
    line = err.value.one_line()
    assert "\n" not in line and "no-weights-here" in line and "huggingface-cli download" in line
    assert not (tmp_path / "generate" / "synthetic" / "synthetic.json").exists()


def test_generator_sections_are_checked(tmp_path, world_run, cogvideox_dir):
    from dataclasses import replace

    from synvita.config import GenerationSection
    from synvita.generators.base import model_options
    from synvita.registry import GENERATORS

    cogvideox = GENERATORS.get("cogvideox")
    section = GenerationSection(**{**GEN, "model_path": "m", "guidance": 4.5, "options": {"fps": 12}})
    assert model_options(section, ("model_path", "device", "dtype", "num_frames", "height", "width", "steps",
                                   "guidance", "batch_size")) == {
        "model_path": "m", "device": "cpu", "num_frames": 9, "height": 16, "width": 16, "steps": 2, "guidance": 4.5, "fps": 12}
    assert "device" not in model_options(GenerationSection(), ("device", "dtype", "batch_size"))
    with pytest.raises(UserInputError, match="generation.model_path .*/m is not a directory"):
        cogvideox.validate_section(section)  # the weights are checked at submission
    section = replace(section, model_path=str(cogvideox_dir))
    cogvideox.validate_section(section)
    for change, message in (({"device": "gpu"}, "generation.device 'gpu'"), ({"dtype": "int8"}, "generation.dtype 'int8'"),
                            ({"num_frames": 0}, "num_frames = 0"), ({"profile": "clean"}, "does not take generation.profile"),
                            ({"options": {"fps": 8, "nope": 1}}, "does not take generation.options nope")):
        with pytest.raises(UserInputError, match=message):
            cogvideox.validate_section(replace(section, **change))
    with pytest.raises(UserInputError, match="does not take generation.device"):
        GENERATORS.get("folder").validate_section(GenerationSection(videos_dir=str(tmp_path), device="cpu"))
    with pytest.raises(UserInputError, match="4k\\+1"):  # the generator's own checks reach the run
        _generate(tmp_path, world_run, cogvideox_dir, num_frames=10)


def test_oracle_scorer_refuses_a_set_without_ground_truth(tmp_path, world_run, cogvideox_dir):
    from synvita.stages.score import run as score_run

    gen_dir = _generate(tmp_path, world_run, cogvideox_dir)
    config = {"scorers": {"name": "oracle"}, "generator": "cogvideox", "seed": 0}
    ctx = _ctx(tmp_path, "score", config, {"world": world_run, "generate": gen_dir})
    with EventWriter(ctx.run_dir) as ev:
        ctx.events = ev
        with pytest.raises(UserInputError, match="oracle scorer needs ground-truth"):
            score_run(ctx)


@pytest.mark.slow
def test_synvita_run_with_cogvideox_end_to_end(tmp_path, cogvideox_dir):
    """`synvita run --generator cogvideox --set generation.model_path=DIR` on the tiny world through the CLI."""
    env = {**os.environ, "SYNVITA_HOME": str(tmp_path / "home"), "HF_HUB_OFFLINE": "1", "OMP_NUM_THREADS": "1"}
    sets = ["generation.model_path=" + str(cogvideox_dir), "world.preset=tiny", "scorers.steps=5", "train.steps=5",
            "world.overrides={n_pretrain=20, n_train=24, n_val=8}",  # fewer clips than tiny's 140 pairs: a faster test
            'train.variants=["naive"]', "generation.num_frames=9", "generation.height=16", "generation.width=16",
            "generation.steps=2", "generation.device=cpu"]
    cmd = [str(Path(sys.executable).with_name("synvita")), "run", "--generator", "cogvideox"] + [a for s in sets for a in ("--set", s)]
    done = subprocess.run(cmd, env=env, cwd=tmp_path, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    syn_dirs = list((tmp_path / "home").rglob("synthetic/synthetic.json"))
    assert len(syn_dirs) == 1 and json.loads(syn_dirs[0].read_text())["generator"] == "cogvideox"
    weights = [json.loads(line) for path in (tmp_path / "home").rglob("weights.jsonl") for line in path.read_text().splitlines()]
    assert len(weights) == 24 and all(w["faithful"] is None and w["generator"] == "cogvideox" for w in weights)
    # missing weights: non-zero exit naming the path
    bad = [a if not a.startswith("generation.model_path=") else "generation.model_path=" + str(tmp_path / "nope") for a in cmd]
    env["SYNVITA_HOME"] = str(tmp_path / "home2")
    failed = subprocess.run(bad, env=env, cwd=tmp_path, capture_output=True, text=True, timeout=600)
    assert failed.returncode != 0 and "nope" in failed.stdout + failed.stderr
