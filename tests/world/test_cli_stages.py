"""`synvita world` (through CliRunner), the world/generate stages, and synthetic sets on disk."""

import json

import numpy as np
from typer.testing import CliRunner

from synvita.cli.world import app
from synvita.data.types import MISALIGNMENT_TYPES
from synvita.events import EventWriter, read_events
from synvita.stages import StageContext
from synvita.generators.procedural import ProceduralGenerator
from synvita.generators.synthesize import generate_for_split
from synvita.world.synthetic import load_synthetic

SMALL = ["--set", "n_pretrain=10", "--set", "n_train=14", "--set", "n_val=7", "--set", "n_test=14", "--set", "n_human=14"]


def test_cli_presets_build_show(tmp_path):
    runner = CliRunner()
    result = runner.invoke(app, ["presets"])
    assert result.exit_code == 0 and "quickstart" in result.stdout and "paper" in result.stdout
    result = runner.invoke(app, ["build", "--preset", "tiny", "--seed", "1", "--out", str(tmp_path / "w"), *SMALL])
    assert result.exit_code == 0, result.output
    assert (tmp_path / "w" / "world.json").exists() and "train" in result.stdout
    sheet = tmp_path / "sheet.png"
    result = runner.invoke(app, ["show", "--world", str(tmp_path / "w"), "--n", "3", "--sheet", str(sheet)])
    assert result.exit_code == 0, result.output
    assert result.stdout.count("faithful:") == 3 and sheet.stat().st_size > 1000


def test_cli_errors_are_one_line_with_nonzero_exit(tmp_path):
    runner = CliRunner()
    blocker = tmp_path / "file"
    blocker.write_text("")
    for args in (
        ["build", "--preset", "nope", "--out", str(tmp_path / "x")],
        ["build", "--preset", "tiny", "--out", str(blocker / "sub")],
        ["build", "--preset", "tiny", "--set", "framez=3", "--out", str(tmp_path / "y")],
        ["show", "--world", str(tmp_path / "missing")],
        ["render", "a cat plays the piano", "--out", str(tmp_path / "c.mp4")],
        ["render", "one big red circle moves left", "--profile", "sora-like", "--out", str(tmp_path / "c.mp4")],
        ["render", "one big red circle moves left", "--out", str(blocker / "c.mp4")],
    ):
        result = runner.invoke(app, args)
        assert result.exit_code in (2, 3), (args, result.output)
        lines = [line for line in result.stderr.splitlines() if line.strip()]
        assert len(lines) == 1 and lines[0].startswith("error:"), result.stderr


def test_cli_render_writes_an_mp4_of_the_prompt(tmp_path):
    from synvita.data.video_io import read_mp4

    prompt = "one big red circle moves left then two small blue squares grow"
    result = CliRunner().invoke(app, ["render", prompt, "--profile", "clean", "--out", str(tmp_path / "c.mp4")])
    assert result.exit_code == 0, result.output
    assert f"rendered: {prompt}" in result.stdout and "faithful: yes" in result.stdout
    assert read_mp4(tmp_path / "c.mp4").shape == (8, 32, 32, 3)


def _ctx(tmp_path, stage, config, inputs=None):
    run_dir = tmp_path / stage
    run_dir.mkdir()
    return StageContext(run_id=f"r-{stage}", stage=stage, run_dir=run_dir, config=config, inputs=inputs or {})


def test_world_and_generate_stages(tmp_path):
    from synvita.stages.generate import run as generate_run
    from synvita.stages.world import run as world_run

    config = {
        "world": {"preset": "tiny", "seed": 0, "overrides": {"n_pretrain": 10, "n_train": 21, "n_val": 7}},
        "generation": {"profile": "default", "failure": {"flip": 1.0}},
        "generator": "procedural",
        "seed": 0,
    }
    wctx = _ctx(tmp_path, "world", config)
    with EventWriter(wctx.run_dir) as ev:
        wctx.events = ev
        world_run(wctx)
    kinds = [e["kind"] for e in read_events(wctx.run_dir)]
    assert "progress" in kinds and "artifact" in kinds
    assert (wctx.run_dir / "world" / "world.json").exists()
    assert json.loads((wctx.run_dir / "world" / "stats.json").read_text())["pairs"]["train"]["pairs"] == 21

    gctx = _ctx(tmp_path, "generate", config, {"world": wctx.run_dir})
    with EventWriter(gctx.run_dir) as ev:
        gctx.events = ev
        generate_run(gctx)
    syn = load_synthetic(gctx.run_dir / "synthetic")
    assert len(syn) == 21 and syn.bank.frames.shape[0] == 21
    assert (syn.pair_index == np.arange(21)).all()
    flips = [i for i, m in enumerate(syn.misalignment) if m == "flip"]
    assert flips and not syn.faithful[flips].any()  # the [generation] failure override reached the generator
    stats = json.loads((gctx.run_dir / "synthetic" / "stats.json").read_text())
    assert stats["per_type"]["flip"]["failed"] == 1.0
    meta = json.loads((gctx.run_dir / "synthetic" / "synthetic.json").read_text())
    assert meta["generator"] == "procedural" and meta["failure_rates"]["flip"] == 1.0
    rows = (gctx.run_dir / "synthetic" / "videocon_train.csv").read_text().splitlines()
    assert rows[0] == "videopath,caption,label,domain,misalignment,syn_video" and len(rows) == 1 + 4 * 21


def test_synthetic_sets_are_deterministic(tmp_path, tiny_world):
    a = generate_for_split(tiny_world, ProceduralGenerator("default", tiny_world.config), 3, tmp_path / "a")
    b = generate_for_split(tiny_world, ProceduralGenerator("default", tiny_world.config), 3, tmp_path / "b")
    assert np.array_equal(a.bank.frames, b.bank.frames)
    assert (tmp_path / "a" / "manifest.csv").read_text() == (tmp_path / "b" / "manifest.csv").read_text()
    assert 0.4 < a.faithful.mean() < 0.95
    from synvita.data.cache import bank_rows
    from synvita.data.video_io import read_mp4

    rows = bank_rows(tmp_path / "a")
    for i in (0, 70, len(rows) - 1):  # shards encoded in the background thread match the frame cache
        r = rows[i]
        clip = read_mp4(tmp_path / "a" / r["videopath"], int(r["frame_start"]), int(r["frame_count"]))
        assert np.array_equal(clip, a.bank.frames[i])


def test_show_reads_a_generated_synthetic_set(tmp_path, tiny_world):
    generate_for_split(tiny_world, ProceduralGenerator("cogvideox-like", tiny_world.config), 0, tmp_path / "syn")
    sheet = tmp_path / "s.png"
    result = CliRunner().invoke(
        app, ["show", "--world", str(tiny_world.root), "--synthetic", str(tmp_path / "syn"), "--n", "7", "--sheet", str(sheet)]
    )
    assert result.exit_code == 0, result.output
    syn = load_synthetic(tmp_path / "syn")
    for i in range(7):
        assert f"[{i}] {syn.misalignment[i]}" in result.stdout
        assert ("faithful: yes" if syn.faithful[i] else f"rendered: {syn.rendered_caption[i]}") in result.stdout
    assert sheet.exists()


def test_videos_of_other_geometry_are_fitted_to_the_world(tmp_path, tiny_world):
    from synvita.generators.base import GeneratedVideo

    class BigGenerator:
        name = "big-fake"

        def generate(self, prompts, seed, indices=None, references=None):
            return [GeneratedVideo(frames=np.full((20, 48, 64, 3), 7 + i % 5, np.uint8), prompt=p) for i, p in zip(indices, prompts)]

    syn = generate_for_split(tiny_world, BigGenerator(), 0, tmp_path / "big")
    assert syn.bank.frames.shape[1:] == (8, 32, 32, 3)
    assert [int(syn.bank.frames[i, 0, 0, 0, 0]) for i in range(62, 67)] == [9, 10, 11, 7, 8]  # global indices across batches (shards of 64)
    assert syn.generator == "big-fake" and not syn.faithful.any()


def test_stats_shows_the_construction(tmp_path, tiny_world):
    from synvita.api.world import stats

    generate_for_split(tiny_world, ProceduralGenerator("default", tiny_world.config), 0, tmp_path / "syn")
    st = stats(tiny_world.root, tmp_path / "syn")
    assert st["pairs"]["train"]["held_out_in_video"] == 0 and st["pairs"]["train"]["held_out_in_negative"] > 0
    assert st["pairs"]["human"]["held_out_in_video"] > 0
    assert st["benchmarks"]["retrieval-temporal"]["positives_per_query"] == [tiny_world.config.retrieval_positives]
    for name in ("retrieval-temporal", "retrieval-events"):  # content alone cannot win: siblings share the content
        ref = st["benchmarks"][name]
        assert ref["map_random"] < 0.85 and ref["map_content_only"] < 0.85
    assert set(st["synthetic"]["per_type"]) == set(MISALIGNMENT_TYPES)
    result = CliRunner().invoke(app, ["stats", "--world", str(tiny_world.root), "--synthetic", str(tmp_path / "syn")])
    assert result.exit_code == 0, result.output
    assert "retrieval-events" in result.stdout and "faithful" in result.stdout


def test_export_in_the_original_layouts_reads_back(tmp_path, tiny_world):
    from synvita.benchmarks.formats import read_atp_hard_csv, read_entailment_csv, read_ssv2_csv
    from synvita.data.video_io import read_mp4

    generate_for_split(tiny_world, ProceduralGenerator("default", tiny_world.config), 0, tmp_path / "syn")
    result = CliRunner().invoke(app, ["export", "--world", str(tiny_world.root), "--out", str(tmp_path / "x"),
                                      "--train", "--synthetic", str(tmp_path / "syn")])
    assert result.exit_code == 0, result.output
    x = tmp_path / "x"
    llm = read_entailment_csv(x / "final_videocon_llm_test.csv")
    _, truth = tiny_world.benchmark("entail-llm")
    assert llm.prompted and llm.data.caption == truth.caption and (llm.data.label == truth.label).all()
    human = read_entailment_csv(x / "final_videocon_human.csv")
    assert human.data.hard.sum() == tiny_world.benchmark("entail-human")[1].hard.sum()
    ssv2 = read_ssv2_csv(x / "eval_ssv2_temporal.csv")
    _, ret = tiny_world.benchmark("retrieval-temporal")
    assert sorted(ssv2.data.queries) == sorted(ret.queries) and ssv2.data.relevant.sum() == ret.relevant.sum()
    atp = read_atp_hard_csv(x / "eval-nextqa-atphard.csv", x / "nextqa-atphard.csv")
    _, qa = tiny_world.benchmark("qa-hard")
    assert len(atp.data.statements) == len(qa.statements) and (atp.data.answer == qa.answer).all()
    clip = read_mp4(x / llm.video_paths[0])
    assert clip.shape == (8, 32, 32, 3)
    rows = (x / "train_llm_mix_entail_synvita.csv").read_text().splitlines()
    assert rows[0] == "videopath,caption,label,misalignment,domain,syn_video" and len(rows) == 1 + 4 * 112
