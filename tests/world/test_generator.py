"""The procedural generator: reads only the prompt, fails at its configured per-type rates, tells the truth."""

import numpy as np
import pytest

from synvita.data.types import MISALIGNMENT_TYPES
from synvita.errors import UnknownNameError, UserInputError
from synvita.generators.procedural import PROFILES, ProceduralGenerator
from synvita.registry import GENERATORS
from synvita.world import canonical, make_edit, parse
from synvita.world.config import TINY
from synvita.world.edits import KIND_FOR_TYPE
from synvita.world.sampling import pick_kind, sample_scene

PER_TYPE = 1000  # 7 × 1,000 = 7,000 prompts for the rates (failure draws need no pixels)


@pytest.fixture(scope="module")
def prompts():
    """PER_TYPE (t^s, t^r) pairs per misalignment type."""
    rng = np.random.default_rng(11)
    out = []
    for etype in MISALIGNMENT_TYPES:
        made = 0
        while made < PER_TYPE:
            scene = sample_scene(rng, TINY, pick_kind(rng, TINY, KIND_FOR_TYPE[etype]))
            edit = make_edit(scene, etype, rng, TINY)
            if edit is not None:
                out.append((edit.caption, canonical(scene), etype))
                made += 1
    return out


@pytest.fixture(scope="module")
def generated(prompts):
    """Rendered videos for every 7th prompt (1,000 clips, all types)."""
    gen = ProceduralGenerator("default", TINY)
    some = prompts[::7]
    return gen, gen.generate([p for p, _, _ in some], seed=5, references=[r for _, r, _ in some]), some


def test_registered_and_follows_the_generator_interface():
    cls = GENERATORS.get("procedural")
    assert cls is ProceduralGenerator and cls.name == "procedural"
    videos = cls().generate(["one big red circle moves left"], seed=0)
    assert videos[0].frames.dtype == np.uint8 and videos[0].frames.shape == (8, 32, 32, 3)
    assert videos[0].prompt == "one big red circle moves left"


@pytest.mark.parametrize("profile", ["default", "cogvideox-like"])
def test_failure_rate_per_type_within_5_points_of_the_profile(prompts, profile):
    gen = ProceduralGenerator(profile, TINY)
    plans = gen.plan([p for p, _, _ in prompts], seed=5, references=[r for _, r, _ in prompts])
    assert len(plans) >= 2000
    for etype in MISALIGNMENT_TYPES:
        failed = [p.failed for p, (_, _, t) in zip(plans, prompts) if t == etype]
        assert abs(np.mean(failed) - gen.profile.failure[etype]) <= 0.05, etype
        assert all(p.misalignment == etype for p, (_, _, t) in zip(plans, prompts) if t == etype)


def test_generate_renders_its_plan(generated):
    gen, videos, some = generated
    plans = gen.plan([p for p, _, _ in some], seed=5, references=[r for _, r, _ in some])
    assert [v.meta["failed"] for v in videos] == [p.failed for p in plans]
    failed_rate = np.mean([v.meta["failed"] for v in videos])
    assert 0.15 < failed_rate < 0.5


def test_faithful_flag_is_truthful_by_re_rendering(generated):
    gen, videos, some = generated
    for i, (v, (prompt, reference, _)) in enumerate(zip(videos, some)):
        rendered = parse(v.rendered_caption)
        assert v.faithful == (rendered == parse(prompt))
        assert v.faithful != v.meta["failed"]
        if not v.faithful:
            assert rendered == parse(reference)  # a failure renders t^r's content
        if i % 10 == 0:  # the frames really show what rendered_caption says
            assert np.array_equal(gen.render_scene(rendered, 5, i), v.frames)


def test_deterministic_and_seed_sensitive(prompts):
    gen = ProceduralGenerator("default", TINY)
    few = [p for p, _, _ in prompts[:20]]
    a, b, c = gen.generate(few, 1), gen.generate(few, 1), gen.generate(few, 2)
    assert all(np.array_equal(x.frames, y.frames) for x, y in zip(a, b))
    assert not all(np.array_equal(x.frames, y.frames) for x, y in zip(a, c))


def test_clean_profile_never_fails_and_overrides_apply(prompts):
    few = [p for p, _, _ in prompts[::30]]
    refs = [r for _, r, _ in prompts[::30]]
    assert all(v.faithful for v in ProceduralGenerator("clean", TINY).generate(few, 0, references=refs))
    always = ProceduralGenerator("clean", TINY, failure={t: 1.0 for t in MISALIGNMENT_TYPES})
    assert not any(v.faithful for v in always.generate(few, 0, references=refs))
    assert set(PROFILES) >= {"default", "clean", "cogvideox-like", "lavie-like", "videocrafter2-like"}
    assert PROFILES["default"].failure["flip"] > PROFILES["default"].failure["object"]
    assert PROFILES["default"].failure["hallucination"] > PROFILES["default"].failure["attribute"]


def test_without_references_failures_undo_the_prompt_structure():
    gen = ProceduralGenerator("clean", TINY, failure={"flip": 1.0})
    prompt = "one big red circle moves left then one small blue square grows"
    (v,) = gen.generate([prompt], 0)
    assert not v.faithful and v.rendered_caption == "one small blue square grows then one big red circle moves left"


def test_synthetic_look_differs_from_real_look():
    scene = parse("one big red circle moves left")
    from synvita.world.render import render

    real = render(scene, TINY, np.random.default_rng(0)).astype(float)
    syn = ProceduralGenerator("default", TINY).render_scene(scene, 0, 0).astype(float)
    assert abs(real.mean() - syn.mean()) > 5 or abs(real.std() - syn.std()) > 5


def test_bad_prompt_profile_and_rates():
    gen = ProceduralGenerator()
    with pytest.raises(UserInputError) as info:
        gen.generate(["one big red circle moves left", "a cat plays the piano"], 0)
    assert "'a cat plays the piano'" in info.value.one_line()
    with pytest.raises(UnknownNameError):
        ProceduralGenerator("sora-like")
    with pytest.raises(UserInputError):
        ProceduralGenerator(failure={"flip": 1.5})
    with pytest.raises(UserInputError):
        ProceduralGenerator(failure={"colour": 0.5})
    with pytest.raises(UserInputError, match="synthetic-look"):
        ProceduralGenerator(look={"sparkle": 0.5})
    assert ProceduralGenerator(look={"strength": 0.9}).profile.look.strength == 0.9
