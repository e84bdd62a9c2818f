"""The paper's recipe through the CLI on tiny random checkpoints, as a newcomer without weights runs it:
`synvita models tiny-checkpoints`, then `synvita run experiments/paper-videollava.toml` pointed at them and at a
small world exported in the real datasets' layout (`synvita world export`, read by the `videocon` source): generate with CogVideoX, ω from a VQAScore ensemble of two video-LLMs, LoRA fine-tuning of Video-LLaVA
for none / naive / synvita (no pretrain run), the six benchmarks, the table."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from synvita.api import Api
from synvita.api.models import TINY_CHECKPOINTS, TinyCheckpoint, paper_overrides
from synvita.events import read_events

pytestmark = pytest.mark.slow

REPO = Path(__file__).resolve().parents[2]
SIX = {"entail-llm", "entail-human", "entail-human-hard", "retrieval-temporal", "retrieval-events", "qa-hard"}
SMALL_WORLD = ["--preset", "tiny", "--set", "n_pretrain=8", "--set", "n_train=16", "--set", "n_val=4",
               "--set", "n_test=16", "--set", "n_human=16"]
SMALL_RUN = ["train.epochs=0.5", "train.batch_size=4", "train.micro_batch=2", "train.warmup_steps=1"]
"""A data set and a training budget a CPU does in about a minute (2 steps of 2 micro-batches per variant)."""


def synvita(*args: str, env: dict) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "synvita.cli.app", *args], env=env, cwd=REPO, capture_output=True,
                          text=True, timeout=900, check=False)


@pytest.fixture(scope="module")
def recipe(tmp_path_factory):
    root = tmp_path_factory.mktemp("paper-recipe")
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1", "OMP_NUM_THREADS": "1",
           "HF_HUB_CACHE": str(root / "empty-hf-cache")}
    made = synvita("models", "tiny-checkpoints", "--out", str(root / "weights"), env=env)
    assert made.returncode == 0, made.stderr
    # the --set options the command prints for the paper experiment
    written = [TinyCheckpoint(name, repo, role, root / "weights" / name) for name, repo, role in TINY_CHECKPOINTS]
    overrides = paper_overrides(written)
    assert all(f"--set '{s}'" in made.stderr for s in overrides)
    # the data: a tiny world written as VideoCon / SSv2 / ATP-Hard CSVs and one mp4 per clip
    built = synvita("world", "build", *SMALL_WORLD, "--out", str(root / "world"), env=env)
    assert built.returncode == 0, built.stderr
    exported = synvita("world", "export", "--world", str(root / "world"), "--out", str(root / "data"), env=env)
    assert exported.returncode == 0, exported.stderr
    data = [f"data.source=videocon", f"videocon.root={root / 'data'}", "videocon.frames=8", "videocon.height=32",
            "videocon.width=32"]
    db = root / "synvita.db"
    done = synvita("--db", str(db), "run", "experiments/paper-videollava.toml",
                   *[a for s in overrides + data + SMALL_RUN for a in ("--set", s)], env=env)
    return root, made, done, db


def test_the_command_writes_checkpoints_in_the_released_layouts(recipe):
    root, made, _, _ = recipe
    weights = root / "weights"
    assert {p.name for p in weights.iterdir()} == {"CogVideoX-2b", "Video-LLaVA-7B-hf", "LLaVA-NeXT-Video-7B-hf"}
    assert {p.name for p in (weights / "CogVideoX-2b").iterdir()} >= {"model_index.json", "scheduler", "text_encoder",
                                                                      "tokenizer", "transformer", "vae"}
    for name, model_type in (("Video-LLaVA-7B-hf", "video_llava"), ("LLaVA-NeXT-Video-7B-hf", "llava_next_video")):
        files = {p.name for p in (weights / name).iterdir()}
        assert {"config.json", "model.safetensors", "preprocessor_config.json", "tokenizer.json"} <= files
        assert json.loads((weights / name / "config.json").read_text())["model_type"] == model_type
    assert "Writing model shards" not in made.stderr
    again = synvita("models", "tiny-checkpoints", "--out", str(weights), env={**os.environ, "HF_HUB_OFFLINE": "1"})
    assert again.returncode == 2 and "already exists" in again.stderr and len(again.stderr.strip().splitlines()) == 1


def test_the_paper_recipe_runs_end_to_end_on_them(recipe):
    _, _, done, db = recipe
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert "variant" in done.stdout and all(v in done.stdout for v in ("none", "naive", "synvita"))
    with Api(db=db) as api:
        runs = api.list_runs()
    stages = sorted(r.stage for r in runs)
    assert stages == ["evaluate"] * 3 + ["generate", "score"] + ["train"] * 3 + ["world"]  # no pretrain run
    by = {(r.stage, r.variant): Path(r.run_dir) for r in runs}
    syn = json.loads((by[("generate", None)] / "synthetic" / "synthetic.json").read_text())
    assert syn["generator"] == "cogvideox" and len(list((by[("generate", None)] / "synthetic" / "generated" / "videos").glob("*.mp4"))) == 16
    import numpy as np

    scores = np.load(by[("score", None)] / "scores.npz")
    assert str(scores["scorer"]) == "vqascore" and scores["f_target"].shape == (2, 16)  # two video-LLMs
    for variant in ("none", "naive", "synvita"):
        train_dir = by[("train", variant)]
        saved = json.loads((train_dir / "model" / "config.json").read_text())
        assert saved["name"] == "videollm" and saved["config"]["model_path"].endswith("Video-LLaVA-7B-hf")
        assert (train_dir / "model" / "adapter" / "adapter_config.json").exists()
        report = json.loads((train_dir / "train.json").read_text())
        assert report["steps"] == 2 and np.isfinite(report["last"]["loss"])
        metrics = {e["name"] for e in read_events(train_dir) if e["kind"] == "metric"}
        assert {"loss_real", "loss_synth", "loss_scr"} <= metrics
        results = [e for e in read_events(by[("evaluate", variant)]) if e["kind"] == "result"]
        assert {r["benchmark"] for r in results} == SIX and {r["control"] for r in results} == {None}
    synvita_losses = json.loads((by[("train", "synvita")] / "train.json").read_text())["last"]
    assert synvita_losses["loss_synth"] > 0  # ω from the ensemble weights the synthetic rows
