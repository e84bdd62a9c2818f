"""The embedded world exported in the real layouts and read through the `videocon` source gives the embedded path's
numbers: the same frames (lossless export), the same training pairs in the same order, the same six benchmarks.

The stages run as `synvita run` runs them (world → pretrain → train → evaluate), once per source; both train
runs start from the same pretrain run, the model's starting checkpoint (the pretrain corpus is a property of the
embedded world; real data comes with a pretrained checkpoint instead)."""

from __future__ import annotations

import json

import numpy as np
import pytest

from synvita.events import EventWriter
from synvita.stages import STAGES, StageContext
from synvita.world.export import export_original

SIX = ("entail-llm", "entail-human", "entail-human-hard", "retrieval-temporal", "retrieval-events", "qa-hard")


def _stage(tmp_path, name: str, stage: str, config: dict, inputs: dict | None = None) -> StageContext:
    run_dir = tmp_path / name
    run_dir.mkdir()
    ctx = StageContext(run_id=f"r-{name}", stage=stage, run_dir=run_dir, config=config, inputs=inputs or {})
    with EventWriter(run_dir) as events:
        ctx.events = events
        STAGES.get(stage)(ctx)
    return ctx


def _config(**source) -> dict:
    config = {
        "data": {"source": "videocon" if source else "world"},
        "world": {"preset": "tiny", "seed": 0},
        "scorers": {"members": 1, "steps": 4, "batch_size": 8},
        "model": {"name": "tiny"},
        "train": {"steps": 6, "batch_size": 8, "extra_negatives": False},
        "evaluate": {"benchmarks": list(SIX), "controls": []},
        "variant": "none",
        "seed": 0,
    }
    if source:
        config["videocon"] = source
    return config


@pytest.fixture(scope="module")
def both_paths(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("equivalence")
    embedded = _config()
    world = _stage(tmp, "world", "world", embedded)
    pretrain = _stage(tmp, "pretrain", "pretrain", embedded, {"world": world.run_dir})
    train = _stage(tmp, "train", "train", embedded, {"world": world.run_dir, "pretrain": pretrain.run_dir})
    evaluate = _stage(tmp, "evaluate", "evaluate", embedded, {"world": world.run_dir, "train": train.run_dir})

    cfg = train.data.config
    export_original(train.data, tmp / "export")
    real = _config(root=str(tmp / "export"), frames=cfg.frames, height=cfg.height, width=cfg.width)
    vworld = _stage(tmp, "vworld", "world", real)
    vtrain = _stage(tmp, "vtrain", "train", real, {"world": vworld.run_dir, "pretrain": pretrain.run_dir})
    vevaluate = _stage(tmp, "vevaluate", "evaluate", real, {"world": vworld.run_dir, "train": vtrain.run_dir})
    return {"world": world, "train": train, "evaluate": evaluate, "vworld": vworld, "vtrain": vtrain,
            "vevaluate": vevaluate}


def _headline(ctx: StageContext) -> dict[str, float]:
    return json.loads((ctx.run_dir / "results.json").read_text())["headline"]


def test_the_exported_world_reads_back_frame_for_frame(both_paths):
    world, data = both_paths["train"].data, both_paths["vtrain"].data
    wbank, wpairs = world.split("train")
    vbank, vpairs = data.split("train")
    assert wpairs.caption_pos == vpairs.caption_pos and wpairs.caption_neg == vpairs.caption_neg
    assert wpairs.misalignment == vpairs.misalignment
    assert np.array_equal(wbank.frames[wpairs.video], vbank.frames[vpairs.video])
    for name in SIX:
        wb, _ = world.benchmark(name)
        vb, _ = data.benchmark(name)
        by_path = dict(zip(data.benchmark_video_paths(name), range(len(vb))))
        order = [by_path[p] for p in world.benchmark_video_paths(name)]
        assert np.array_equal(wb.frames, vb.frames[order]), name


def test_training_through_the_videocon_source_is_the_embedded_training(both_paths):
    embedded = json.loads((both_paths["train"].run_dir / "train.json").read_text())
    real = json.loads((both_paths["vtrain"].run_dir / "train.json").read_text())
    assert embedded["steps"] == real["steps"] == 6
    assert real["last"] == pytest.approx(embedded["last"], rel=1e-5, abs=1e-6)


def test_the_six_numbers_are_the_embedded_numbers(both_paths):
    embedded, real = _headline(both_paths["evaluate"]), _headline(both_paths["vevaluate"])
    assert set(SIX) <= set(real)
    for name in SIX:
        assert real[name] == pytest.approx(embedded[name], abs=1e-4), name


def test_predictions_name_one_mp4_per_clip_in_the_ground_truth_layout(both_paths):
    for key in ("evaluate", "vevaluate"):
        rows = (both_paths[key].run_dir / "predictions" / "entail-llm.csv").read_text().splitlines()
        assert rows[0].startswith("videos/test/test_") and ".mp4," in rows[0] and "shard" not in rows[0]
