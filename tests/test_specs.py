"""Experiment specs: validation messages, overrides, sweeps, expansion into runs, and the generated key reference."""

from __future__ import annotations

import dataclasses
from collections import Counter
from pathlib import Path

import pytest

from synvita import specs
from synvita.runs.plan import plan_runs
from synvita.config import SECTIONS, VARIANTS
from synvita.errors import NotFoundError, SynvitaError, UserInputError
from synvita.registry import GENERATORS

REPO = Path(__file__).resolve().parents[1]
EXPERIMENTS = REPO / "experiments"

SMALL = """
name = "small"
seeds = [0, 1]

[world]
preset = "tiny"

[generation]
generators = ["procedural"]

[train]
variants = ["none", "naive", "synvita"]

[evaluate]
benchmarks = []
"""


def write(tmp_path: Path, text: str, name: str = "exp.toml") -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


def error_of(fn, *args, **kwargs) -> SynvitaError:
    with pytest.raises(SynvitaError) as info:
        fn(*args, **kwargs)
    message = info.value.one_line()
    assert "\n" not in message
    return info.value


#### loading and validation ####


def test_small_spec_fills_defaults_from_the_dataclasses(tmp_path):
    spec = specs.load_spec(write(tmp_path, SMALL))
    assert spec.name == "small" and spec.seeds == [0, 1]
    assert spec.section("world").preset == "tiny"
    for name, cls in SECTIONS.items():
        assert isinstance(spec.section(name), cls)
    assert spec.section("train").lambda_scr == 1.0  # default from TrainSection
    assert spec.resolved()["scorers"] == dataclasses.asdict(SECTIONS["scorers"]())


def test_missing_file_names_the_path(tmp_path):
    err = error_of(specs.load_spec, tmp_path / "nope.toml")
    assert isinstance(err, NotFoundError) and "nope.toml" in err.one_line()


def test_unknown_experiment_name_lists_the_names():
    err = error_of(specs.load_spec, "quickstrat")
    assert isinstance(err, NotFoundError)
    assert "did you mean 'quickstart'" in err.one_line() and "paper-ablations" in err.one_line()


def test_malformed_toml_gives_file_line_and_column(tmp_path):
    path = write(tmp_path, 'name = "x"\n[train]\nlambda_scr = \n')
    err = error_of(specs.load_spec, path)
    assert isinstance(err, UserInputError)
    assert f"{path}:3:" in err.one_line() and "invalid TOML" in err.one_line()


def test_unknown_key_names_section_line_suggestion_and_allowed_keys(tmp_path):
    path = write(tmp_path, SMALL + "\n[scorers]\nmembrs = 3\n")
    err = error_of(specs.load_spec, path)
    line = err.one_line()
    assert f"{path}:{len((SMALL + chr(10) + '[scorers]').splitlines()) + 1}" in line
    assert "unknown key 'membrs' in [scorers]" in line and "did you mean 'members'" in line
    for field in dataclasses.fields(SECTIONS["scorers"]):
        assert field.name in line


def test_unknown_section_and_top_level_key(tmp_path):
    err = error_of(specs.load_spec, write(tmp_path, SMALL + "\n[trian]\nlr = 1\n"))
    assert "unknown section [trian]" in err.one_line() and "did you mean [train]" in err.one_line()
    err = error_of(specs.load_spec, write(tmp_path, 'sed = 1\n' + SMALL, "b.toml"))
    assert "unknown top-level key 'sed'" in err.one_line()


@pytest.mark.parametrize(
    "old, new, expected",
    [
        ("[train]", '[train]\nlambda_scr = "big"', "train.lambda_scr must be a number, got string"),
        ("[train]", "[train]\nbatch_size = 1.5", "train.batch_size must be an integer"),
        ('variants = ["none", "naive", "synvita"]', 'variants = "synvita"', "train.variants must be a list of strings"),
        ("[train]", "[train]\nsteps = true", "train.steps must be an integer"),
        ('preset = "tiny"', "preset = 3", "world.preset must be a string"),
        ("[train]", "[train]\nbroken_time = 1.5", "train.broken_time = 1.5 must be a share between 0 and 1"),
        ("[train]", "[train]\nbroken_time = -0.1", "train.broken_time = -0.1 must be a share between 0 and 1"),
    ],
)
def test_wrong_type(tmp_path, old, new, expected):
    err = error_of(specs.load_spec, write(tmp_path, SMALL.replace(old, new)))
    assert expected in err.one_line() and "exp.toml:" in err.one_line()


def test_int_is_accepted_where_a_float_is_expected(tmp_path):
    spec = specs.load_spec(write(tmp_path, SMALL.replace("[train]", "[train]\nlambda_scr = 2")))
    assert spec.section("train").lambda_scr == 2.0 and isinstance(spec.section("train").lambda_scr, float)


def test_unknown_generator_lists_registered_generators(tmp_path):
    err = error_of(specs.load_spec, write(tmp_path, SMALL.replace('["procedural"]', '["cogvidex"]')))
    line = err.one_line()
    assert "unknown generator 'cogvidex'" in line and "did you mean 'cogvideox'" in line
    for name in GENERATORS.names():
        assert name in line


@pytest.mark.parametrize(
    "old, new, expected",
    [
        ('preset = "tiny"', 'preset = "huge"', "unknown world preset 'huge'"),
        ("[train]", '[model]\nname = "gpt"\n[train]', "unknown model 'gpt'"),
        ("[train]", '[scorers]\nname = "vqa"\n[train]', "unknown scorer 'vqa'"),
        ('"naive", "synvita"', '"naive", "synvta"', "unknown variant 'synvta'"),
        ("benchmarks = []", 'benchmarks = ["mmlu"]', "unknown benchmark 'mmlu'"),
        ('generators = ["procedural"]', 'generators = ["procedural"]\nprofile = "noisy"', "unknown noise profile 'noisy'"),
    ],
)
def test_unknown_registered_names(tmp_path, old, new, expected):
    err = error_of(specs.load_spec, write(tmp_path, SMALL.replace(old, new)))
    assert expected in err.one_line()
    assert "registered" in err.one_line() or "variants:" in err.one_line() or "profiles" in err.one_line()


def test_variants_error_lists_every_variant(tmp_path):
    err = error_of(specs.load_spec, write(tmp_path, SMALL.replace('"naive", "synvita"', '"bogus"')))
    for name in VARIANTS:
        assert name in err.one_line()


@pytest.mark.parametrize("seeds", ["[-1]", "[0, -3]", "-2", "[]", '["a"]', "[0, 0]"])
def test_bad_seeds_in_file(tmp_path, seeds):
    err = error_of(specs.load_spec, write(tmp_path, SMALL.replace("seeds = [0, 1]", f"seeds = {seeds}")))
    assert isinstance(err, UserInputError) and "exp.toml:3" in err.one_line()


def test_negative_seeds_option(tmp_path):
    err = error_of(specs.load_spec, write(tmp_path, SMALL), seeds=-1)
    assert err.one_line().startswith("--seeds -1")
    assert specs.load_spec(write(tmp_path, SMALL), seeds=3).seeds == [0, 1, 2]


#### overrides ####


def test_set_overrides_parse_toml_values_and_bare_words(tmp_path):
    spec = specs.load_spec(
        write(tmp_path, SMALL),
        overrides=["train.lambda_scr=0.5", "generation.profile=clean", "train.variants=none,synvita", "seeds=[4]"],
    )
    assert spec.section("train").lambda_scr == 0.5
    assert spec.section("generation").profile == "clean"
    assert spec.section("train").variants == ["none", "synvita"]
    assert spec.seeds == [4]
    assert any("lambda_scr" in o for o in spec.overrides)


def test_generator_option_replaces_the_generator_list(tmp_path):
    spec = specs.load_spec(write(tmp_path, SMALL), generator="folder", overrides=[f"generation.videos_dir={tmp_path}"])
    assert spec.section("generation").generators == ["folder"]
    err = error_of(specs.load_spec, write(tmp_path, SMALL), generator="folder")  # refused before anything runs
    assert "the folder generator needs the video folder" in err.one_line()
    err = error_of(specs.load_spec, write(tmp_path, SMALL), generator="nope")
    assert err.one_line().startswith("--generator nope: unknown generator 'nope'")


@pytest.mark.parametrize(
    "item, expected",
    [
        ("train.lamda_scr=1", "--set train.lamda_scr=1: unknown key 'lamda_scr' in [train] (did you mean 'train.lambda_scr'?"),
        ("trian.lr=1", "unknown section 'trian'"),
        ("lr=1", "--set lr=1: unknown key 'lr'"),
        ("train.lambda_scr", "expected KEY=VALUE"),
        ("train.lambda_scr=abc", "--set train.lambda_scr=abc: train.lambda_scr must be a number"),
        ("seeds=[-1]", "--set seeds=[-1]: seed -1 is negative"),
    ],
)
def test_bad_set_overrides_name_the_option(tmp_path, item, expected):
    err = error_of(specs.load_spec, write(tmp_path, SMALL), overrides=[item])
    assert expected in err.one_line()


#### expansion into runs ####


def test_plan_has_the_pipeline_shape(tmp_path):
    spec = specs.load_spec(write(tmp_path, SMALL))
    plan = plan_runs(spec)
    stages = Counter(p.stage for p in plan)
    # world, pretrain, generate, score + (none + naive + synvita) × 2 seeds train and evaluate
    assert stages == {"world": 1, "pretrain": 1, "generate": 1, "score": 1, "train": 6, "evaluate": 6}
    by_stage = {p.stage: i for i, p in enumerate(plan) if p.stage in ("world", "pretrain", "generate", "score")}
    for i, p in enumerate(plan):
        assert all(d < i for d in p.depends_on), "dependencies come first"
        deps = {plan[d].stage for d in p.depends_on}
        if p.stage == "train" and p.variant == "none":
            assert deps == {"world", "pretrain"} and p.generator is None
        elif p.stage == "train":
            assert deps == {"world", "pretrain", "generate", "score"} and p.generator == "procedural"
        elif p.stage == "evaluate":
            assert deps == {"train", "world"}
            train = next(plan[d] for d in p.depends_on if plan[d].stage == "train")
            assert (train.variant, train.seed, train.generator) == (p.variant, p.seed, p.generator)
        elif p.stage == "score":  # a stage sees only its direct dependencies' run dirs
            assert set(p.depends_on) == {by_stage["world"], by_stage["generate"], by_stage["pretrain"]}
        elif p.stage in ("generate", "pretrain"):
            assert deps == {"world"}
    train = next(p for p in plan if p.stage == "train" and p.variant == "synvita" and p.seed == 1)
    assert train.config["seed"] == 1 and train.config["variant"] == "synvita" and train.config["generator"] == "procedural"
    assert train.config["stage"] == "train" and train.config["experiment"] == "small"
    assert train.config["train"]["lambda_scr"] == 1.0 and set(SECTIONS) <= set(train.config)
    assert "seed" not in plan[by_stage["world"]].config  # runs without a seed do not carry one


def test_costliest_training_is_claimed_first_and_evaluations_wait_behind_training(tmp_path):
    """Workers claim the oldest ready run: within a seed, synvita's training (4× the sequences of none) is created
    before naive's and none's, and every evaluation after the seed's train runs."""
    plan = plan_runs(specs.load_spec(write(tmp_path, SMALL)))
    for seed in (0, 1):
        order = [(p.stage, p.variant) for p in plan if p.seed == seed]
        assert order == [("train", "synvita"), ("train", "naive"), ("train", "none"),
                         ("evaluate", "synvita"), ("evaluate", "naive"), ("evaluate", "none")]


def test_only_none_needs_no_generation(tmp_path):
    spec = specs.load_spec(write(tmp_path, SMALL), overrides=["train.variants=none"])
    assert {p.stage for p in plan_runs(spec)} == {"world", "pretrain", "train", "evaluate"}


def test_per_type_runs_train_one_misalignment_type_each(tmp_path):
    spec = specs.load_spec(write(tmp_path, SMALL), overrides=["train.variants=none", "train.per_type=flip,object"])
    plan = plan_runs(spec)
    per_type = [p for p in plan if p.stage in ("train", "evaluate") and p.variant == "naive"]
    assert sorted((p.stage, p.seed, tuple(p.config["train"]["synthetic_types"])) for p in per_type) == sorted(
        (stage, seed, (t,)) for stage in ("train", "evaluate") for seed in (0, 1) for t in ("flip", "object"))
    assert {p.stage for p in plan} >= {"generate", "score"}  # per-type runs need synthetic videos even beside `none`
    train = {(p.seed, p.config["train"]["synthetic_types"][0]): i for i, p in enumerate(plan)
             if p.stage == "train" and p.variant == "naive"}
    for p in per_type:  # each evaluation reads its own type's train run
        if p.stage == "evaluate":
            assert train[(p.seed, p.config["train"]["synthetic_types"][0])] in p.depends_on


@pytest.mark.parametrize(
    "item, expected",
    [
        ("train.per_type=flp", "unknown misalignment type 'flp' in train.per_type"),
        ("train.synthetic_types=flip,flip", "train.synthetic_types ['flip', 'flip'] contains duplicates"),
        ("train.per_type_variant=none", "train.per_type_variant 'none' is not a variant that trains on synthetic"),
    ],
)
def test_misalignment_type_keys_are_checked(tmp_path, item, expected):
    err = error_of(specs.load_spec, write(tmp_path, SMALL), overrides=[item])
    assert expected in err.one_line()


def test_several_generators_multiply_synthetic_variants_only(tmp_path):
    spec = specs.load_spec(write(tmp_path, SMALL), overrides=['generation.generators=["procedural", "folder"]',
                                                          f"generation.videos_dir={tmp_path}"])
    plan = plan_runs(spec)
    stages = Counter(p.stage for p in plan)
    assert stages["generate"] == 2 and stages["score"] == 2
    assert stages["train"] == 2 * (1 + 2 * 2)  # per seed: none once, naive and synvita per generator


def test_sweep_shares_runs_that_do_not_depend_on_the_swept_key(tmp_path):
    text = SMALL + '\n[sweep]\n"generation.profile" = ["clean", "lavie-like", "default"]\n'
    spec = specs.load_spec(write(tmp_path, text))
    plan = plan_runs(spec)
    stages = Counter(p.stage for p in plan)
    assert stages["world"] == 1 and stages["pretrain"] == 1
    assert stages["generate"] == 3 and stages["score"] == 3
    assert sum(1 for p in plan if p.stage == "train" and p.variant == "none") == 2  # shared across profiles
    assert sum(1 for p in plan if p.stage == "train" and p.variant == "naive") == 3 * 2
    profiles = {p.config["sweep"]["generation.profile"] for p in plan if p.stage == "evaluate" and p.variant == "naive"}
    assert profiles == {"clean", "lavie-like", "default"}
    for p in plan:
        if p.stage == "generate":
            assert p.config["generation"]["profile"] == p.config["sweep"]["generation.profile"]


def test_sweep_values_are_validated(tmp_path):
    err = error_of(specs.load_spec, write(tmp_path, SMALL + '\n[sweep]\n"generation.profile" = ["clean", "noisy"]\n'))
    assert "noisy" in err.one_line()
    err = error_of(specs.load_spec, write(tmp_path, SMALL + '\n[sweep]\n"train.lamda" = [1]\n', "b.toml"))
    assert "unknown key 'lamda'" in err.one_line()


#### the shipped experiments and their documentation ####


NEEDS_WEIGHTS = {"paper-videollava"}
"""Shipped experiments that name model weights (checked at submission; see the test below)."""


@pytest.mark.parametrize("name", sorted(p.stem for p in EXPERIMENTS.glob("*.toml") if p.stem not in NEEDS_WEIGHTS))
def test_shipped_experiments_validate_against_the_real_registries(name):
    spec = specs.load_spec(name)
    plan = plan_runs(spec)
    assert plan and plan[0].stage == "world"


def test_paper_videollava_names_its_weights_and_validates_once_they_are_there(tmp_path):
    err = error_of(specs.load_spec, "paper-videollava")
    assert "paper-videollava.toml" in err.one_line() and "/weights/CogVideoX-2b is not a directory" in err.one_line()
    dirs = {}
    for name, marker in (("CogVideoX-2b", "model_index.json"), ("Video-LLaVA-7B-hf", "config.json"),
                         ("LLaVA-NeXT-Video-7B-hf", "config.json")):
        (tmp_path / name).mkdir()
        (tmp_path / name / marker).write_text("{}")
        dirs[name] = tmp_path / name
    spec = specs.load_spec("paper-videollava", overrides=[
        f"generation.model_path={dirs['CogVideoX-2b']}", f"model.path={dirs['Video-LLaVA-7B-hf']}",
        f'scorers.paths=["{dirs["Video-LLaVA-7B-hf"]}", "{dirs["LLaVA-NeXT-Video-7B-hf"]}"]'])
    train = spec.section("train")
    assert (train.lr, train.epochs, train.batch_size, train.warmup_steps, train.schedule, train.weight_decay,
            train.precision, train.max_frames, train.lambda_scr, train.margin) == (
        5e-5, 1.0, 16, 200, "cosine", 1e-4, "bf16", 8, 1.0, 0.2)  # METHOD.md §2, Video-LLaVA SynViTA
    assert spec.section("model").config["lora"] == {"r": 32, "alpha": 32, "dropout": 0.05}
    assert [r.stage for r in plan_runs(spec)].count("pretrain") == 0


def test_paper_ablations_covers_every_variant_with_three_seeds():
    spec = specs.load_spec(EXPERIMENTS / "paper-ablations.toml")
    assert spec.section("world").preset == "paper" and spec.seeds == [0, 1, 2]
    assert set(spec.section("train").variants) == set(VARIANTS)
    assert sum(1 for p in plan_runs(spec) if p.stage == "evaluate") == len(VARIANTS) * 3


def test_every_section_field_has_a_docstring():
    for name, cls in SECTIONS.items():
        docs = specs.field_docs(cls)
        missing = [f.name for f in dataclasses.fields(cls) if not docs.get(f.name)]
        assert not missing, f"[{name}] fields without an attribute docstring: {missing}"


def test_experiments_readme_documents_every_key_and_is_current():
    readme = (EXPERIMENTS / "README.md").read_text()
    assert readme == specs.readme_with_reference(readme), "stale: run `python -m synvita.specs --write-readme`"
    for cls in SECTIONS.values():
        for field in dataclasses.fields(cls):
            assert f"| `{field.name}` |" in readme
    for key in specs.TOP_LEVEL_KEYS:
        assert f"| `{key}` |" in readme


def test_set_reaches_into_table_valued_keys(tmp_path):
    spec = specs.load_spec(write(tmp_path, SMALL), overrides=["world.overrides.frames=8", 'world.overrides.held_out_colours=["red"]'])
    assert spec.section("world").overrides == {"frames": 8, "held_out_colours": ["red"]}
    err = error_of(specs.load_spec, write(tmp_path, SMALL), overrides=["world.overrides.held_out_colour=purple"])
    assert "held_out_colour" in err.one_line()  # the data source checks its own settings at submission
    err = error_of(specs.load_spec, write(tmp_path, SMALL), overrides=["world.preset.x=1"])
    assert "unknown key 'preset.x' in [world]" in err.one_line()


def test_every_stage_depends_on_the_runs_whose_inputs_it_reads(tmp_path):
    """Cross-check against the stage code: each `ctx.inputs["x"]` a stage reads must be a direct dependency."""
    import re

    plan = plan_runs(specs.load_spec(write(tmp_path, SMALL)))
    stages_dir = REPO / "synvita" / "stages"
    for planned in plan:
        source = stages_dir / f"{planned.stage}.py"
        if not source.exists():
            continue
        read = set(re.findall(r'ctx\.inputs\["([a-z]+)"\]', source.read_text()))
        if planned.stage == "train" and planned.variant == "none":
            read -= {"generate", "score"}  # read only for synthetic variants
        provided = {plan[d].stage for d in planned.depends_on}
        assert read <= provided, f"{planned.stage} ({planned.variant}) reads {sorted(read - provided)} but does not depend on them"


def test_missing_generator_weights_directory_is_caught_before_anything_runs(tmp_path, monkeypatch):
    """`generation.model_path` must hold a pipeline now (a local directory, or a repo id in the HF cache): a wrong
    one fails validation, not the generate run after the world was built."""
    monkeypatch.setenv("HF_HUB_CACHE", str(tmp_path / "hf-cache"))
    err = error_of(specs.load_spec, "quickstart", generator="cogvideox",
                   overrides=[f"generation.model_path={tmp_path / 'no-weights'}"])
    assert isinstance(err, UserInputError) and "no-weights" in err.one_line() and "not a directory" in err.one_line()
    (tmp_path / "weights").mkdir()
    err = error_of(specs.load_spec, "quickstart", generator="cogvideox", overrides=[f"generation.model_path={tmp_path / 'weights'}"])
    assert "has no model_index.json" in err.one_line() and "huggingface-cli download THUDM/CogVideoX-2b" in err.one_line()
    (tmp_path / "weights" / "model_index.json").write_text("{}")
    specs.load_spec("quickstart", generator="cogvideox", overrides=[f"generation.model_path={tmp_path / 'weights'}"])
    err = error_of(specs.load_spec, "quickstart", generator="cogvideox", overrides=["generation.model_path=THUDM/CogVideoX-2b"])
    assert "'THUDM/CogVideoX-2b' is neither a local directory nor in the HF cache" in err.one_line()
    assert str(tmp_path / "hf-cache") in err.one_line() and "--local-dir DIR" in err.one_line()
    err = error_of(specs.load_spec, "quickstart", generator="cogvideox")  # no model_path: its default repo id
    assert "generation.model_path 'THUDM/CogVideoX-2b' is neither" in err.one_line()
    _cache_snapshot(tmp_path / "hf-cache", "THUDM/CogVideoX-2b", "model_index.json")
    specs.load_spec("quickstart", generator="cogvideox", overrides=["generation.model_path=THUDM/CogVideoX-2b"])
    specs.load_spec("quickstart", generator="cogvideox")


def _cache_snapshot(cache: Path, repo: str, filename: str) -> None:
    """A repo's snapshot in the HF cache layout (models--org--name/refs/main → snapshots/<rev>/filename)."""
    root = cache / ("models--" + repo.replace("/", "--"))
    (root / "refs").mkdir(parents=True, exist_ok=True)
    (root / "refs" / "main").write_text("0" * 40)
    (root / "snapshots" / ("0" * 40)).mkdir(parents=True, exist_ok=True)
    (root / "snapshots" / ("0" * 40) / filename).write_text("{}")


@pytest.mark.parametrize(
    "config, expected",
    [
        ('{encoder = "cnn"}', "encoder = 'cnn' is not one of tracks, conv"),
        ('{extra_groups = ["speed"]}', "extra_groups = ['speed']"),
        ('{track_tokens = "pairs"}', "track_tokens = 'pairs'"),
        ('{dropout = 0.1}', "unknown tiny model config key(s) ['dropout']"),
        ("{text_conv = 4}", "text_conv = 4"),
    ],
)
def test_a_bad_tiny_model_config_fails_validation_before_anything_runs(tmp_path, config, expected):
    err = error_of(specs.load_spec, write(tmp_path, SMALL.replace("[train]", f"[model]\nconfig = {config}\n[train]")))
    assert expected in err.one_line() and "model" in err.one_line()


def test_a_good_tiny_model_config_validates(tmp_path):
    text = '[model]\nconfig = {track_tokens = "fused", extra_groups = ["timing", "layout"], encoder = "tracks"}\n[train]'
    spec = specs.load_spec(write(tmp_path, SMALL.replace("[train]", text)))
    assert spec.section("model").config["track_tokens"] == "fused"


def test_videollm_needs_its_weights_at_submission(tmp_path, monkeypatch):
    monkeypatch.setenv("HF_HUB_CACHE", str(tmp_path / "hf-cache"))
    videollm = '[model]\nname = "videollm"\n'
    err = error_of(specs.load_spec, write(tmp_path, SMALL.replace("[train]", videollm + "[train]")))
    assert "model.path must name the video-LLM weights" in err.one_line()
    err = error_of(specs.load_spec, write(tmp_path, SMALL.replace("[train]", videollm + f'path = "{tmp_path / "none"}"\n[train]')))
    assert f"model.path {tmp_path / 'none'} is not a directory" in err.one_line()
    assert "huggingface-cli download LanguageBind/Video-LLaVA-7B-hf" in err.one_line()
    err = error_of(specs.load_spec, write(tmp_path, SMALL.replace("[train]", videollm + 'path = "org/video-llm"\n[train]')))
    assert "model.path 'org/video-llm' is neither a local directory nor in the HF cache" in err.one_line()
    _cache_snapshot(tmp_path / "hf-cache", "org/video-llm", "config.json")
    spec = specs.load_spec(write(tmp_path, SMALL.replace("[train]", videollm + 'path = "org/video-llm"\n[train]')))
    for bad, message in (('config = {device = "cuda"}', "device is set as train.device"),
                         ('config = {lora = {rank = 4}}', "unknown videollm lora option(s): rank"),
                         ('config = {num_frames = 4}\n[train]\nmax_frames = 8', "max_frames = 8 but model.config num_frames = 4")):
        text = SMALL.replace("[train]", videollm + 'path = "org/video-llm"\n' + bad + "\n[train]", 1)
        if "[train]\nmax_frames" in bad:
            text = text.replace("[train]\nvariants", "variants", 1)
        err = error_of(specs.load_spec, write(tmp_path, text))
        assert message in err.one_line(), err.one_line()
    assert spec.section("model").path == "org/video-llm"


def test_the_tiny_model_refuses_video_llm_train_settings(tmp_path):
    for key in ("max_frames = 8", "gradient_checkpointing = true"):
        err = error_of(specs.load_spec, write(tmp_path, SMALL.replace("[train]", "[train]\n" + key)))
        assert "the tiny model" in err.one_line() and key.split(" ")[0] in err.one_line()


def test_train_settings_are_checked_together_at_submission(tmp_path):
    err = error_of(specs.load_spec, write(tmp_path, SMALL.replace("[train]", "[train]\nbatch_size = 8\nmicro_batch = 3\ngrad_accum = 2")))
    assert "train.micro_batch × train.grad_accum = 3 × 2 is not train.batch_size = 8" in err.one_line()
    err = error_of(specs.load_spec, write(tmp_path, SMALL), overrides=["train.precision=int8"])
    assert "train.precision 'int8'" in err.one_line() and "--set train.precision" in err.one_line()
    spec = specs.load_spec(write(tmp_path, SMALL), overrides=["train.batch_size=8", "train.micro_batch=2", "train.schedule=linear"])
    assert spec.section("train").micro_batch == 2


def test_a_video_llm_with_vqascore_plans_no_pretrain_run(tmp_path, monkeypatch):
    """videollm starts from its checkpoint and vqascore uses ready-made models: nothing reads a pretrain run."""
    monkeypatch.setenv("HF_HUB_CACHE", str(tmp_path / "hf-cache"))
    for repo in ("org/video-llm", "org/scorer"):
        _cache_snapshot(tmp_path / "hf-cache", repo, "config.json")
    text = SMALL.replace("[train]", '[model]\nname = "videollm"\npath = "org/video-llm"\n[train]')
    spec = specs.load_spec(write(tmp_path, text + '[scorers]\nname = "vqascore"\npaths = ["org/scorer"]\n'))
    plan = plan_runs(spec)
    assert Counter(r.stage for r in plan) == {"world": 1, "generate": 1, "score": 1, "train": 6, "evaluate": 6}
    stage_of = [r.stage for r in plan]
    for run in plan:
        assert "pretrain" not in {stage_of[d] for d in run.depends_on}
    # the ensemble scorer still needs its pretrain run, but the video-LLM's training does not start from it
    plan = plan_runs(specs.load_spec(write(tmp_path, text, "ens.toml")))
    stage_of = [r.stage for r in plan]
    assert stage_of.count("pretrain") == 1
    assert all("pretrain" not in {stage_of[d] for d in r.depends_on} for r in plan if r.stage == "train")
    assert any("pretrain" in {stage_of[d] for d in r.depends_on} for r in plan if r.stage == "score")
    # a videollm trained on real data only with the ensemble scorer: no pretrain run at all
    none_only = text.replace('variants = ["none", "naive", "synvita"]', 'variants = ["none"]')
    assert "pretrain" not in [r.stage for r in plan_runs(specs.load_spec(write(tmp_path, none_only, "none.toml")))]
    err = error_of(specs.load_spec, write(tmp_path, text + '[scorers]\nname = "vqascore"\npaths = ["org/missing"]\n', "m.toml"))
    assert "scorers.paths 'org/missing' is neither a local directory nor in the HF cache" in err.one_line()
