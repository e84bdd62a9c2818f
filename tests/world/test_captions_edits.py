"""Scene graphs ↔ captions (both families) and the seven contrast edits."""

from collections import Counter
from dataclasses import fields, replace

import numpy as np
import pytest

from synvita.data.types import MISALIGNMENT_TYPES
from synvita.errors import UserInputError
from synvita.world import (
    appearance_swap_caption,
    canonical,
    classify_edit,
    flipped_caption,
    make_edit,
    opposite_direction_captions,
    opposite_relation_caption,
    paraphrase,
    parse,
)
from synvita.world.captions import tokenize, vocabulary
from synvita.world.config import QUICKSTART, TINY
from synvita.world.sampling import KINDS, sample_scene
from synvita.world.scene import OPPOSITE_ACTION, OPPOSITE_RELATION, Group, Relation


def _scenes(n, seed=0):
    rng = np.random.default_rng(seed)
    return [sample_scene(rng, QUICKSTART, kind=KINDS[i % 4]) for i in range(n)], rng


def test_both_caption_families_parse_back_to_the_scene():
    scenes, rng = _scenes(400)
    vocab = set(vocabulary())
    for scene in scenes:
        for text in (canonical(scene), paraphrase(scene, rng)):
            assert parse(text) == scene, text
            assert set(tokenize(text)) <= vocab, text


def test_paraphrases_use_other_words_and_orders():
    scenes, rng = _scenes(200, seed=1)
    para = [paraphrase(s, rng) for s in scenes]
    canon = [canonical(s) for s in scenes]
    assert sum(p != c for p, c in zip(para, canon)) == len(scenes)
    assert any(" after " in p for p in para)  # reversed word order for "then"
    assert any(" where the " in p for p in para)  # relation stated from the other object


@pytest.mark.parametrize("etype", MISALIGNMENT_TYPES)
def test_each_edit_changes_exactly_its_element_and_parses_back(etype):
    scenes, rng = _scenes(300, seed=2)
    made = 0
    for scene in scenes:
        edit = make_edit(scene, etype, rng, QUICKSTART)
        if edit is None:
            continue
        made += 1
        assert edit.type == etype
        assert parse(edit.caption) == edit.scene
        assert classify_edit(scene, edit.scene) == etype
        if etype in ("object", "attribute", "action", "count"):
            i = edit.detail["group"]
            changed = [
                (j, f.name)
                for j, (a, b) in enumerate(zip(scene.groups, edit.scene.groups))
                for f in fields(Group)
                if getattr(a, f.name) != getattr(b, f.name)
            ]
            assert changed == [(i, edit.detail["field"])]
            assert edit.scene.link == scene.link and edit.scene.relation == scene.relation
        elif etype == "relation":
            assert edit.scene.groups == scene.groups
            assert edit.scene.relation.relation != scene.relation.relation
        elif etype == "flip":
            assert edit.scene.groups == scene.groups[::-1] and edit.scene.link == "then"
        elif etype == "hallucination":
            assert edit.scene.groups[0] == scene.groups[0] and len(edit.scene.groups) == 2
    assert made >= 40


def test_edits_draw_held_out_values_at_p_held_out():
    rng = np.random.default_rng(3)
    cfg = QUICKSTART.with_overrides({"p_held_out": 1.0})
    for _ in range(50):
        scene = sample_scene(rng, cfg, "single", allow_held_out=False)
        edit = make_edit(scene, "object", rng, cfg)
        assert edit.scene.groups[0].shape in cfg.held_out_shapes
    cfg0 = QUICKSTART.with_overrides({"p_held_out": 0.0})
    for _ in range(50):
        scene = sample_scene(rng, cfg0, "single", allow_held_out=False)
        for etype in ("object", "attribute", "action", "hallucination"):
            edit = make_edit(scene, etype, rng, cfg0)
            assert not (edit.scene.concepts() & cfg0.held_out)


def test_caption_derived_hard_negatives():
    assert flipped_caption("one big red circle moves left then one small blue square grows") == (
        "one small blue square grows then one big red circle moves left"
    )
    assert flipped_caption("one big red circle moves left") is None
    rel = "one big red circle moves left and one small blue square grows with the red circle above the blue square"
    assert opposite_relation_caption(rel) == rel.replace("above", "below")
    assert opposite_relation_caption("two small red rings shrink") is None
    opp = opposite_direction_captions("two small red rings shrink then one big blue cross moves up")
    assert opp == [
        "two small red rings grow then one big blue cross moves up",
        "two small red rings shrink then one big blue cross moves down",
    ]
    assert all(OPPOSITE_ACTION[OPPOSITE_ACTION[a]] == a for a in OPPOSITE_ACTION)


def test_hard_negatives_of_a_paraphrase_keep_its_words():
    """A paraphrase's flip / relation / direction negative is the same text with only the edited words changed, so
    wording style cannot tell the two apart; it reads back as the edited scene."""
    scenes, rng = _scenes(400, seed=5)
    kinds = Counter()
    for scene in scenes:
        text = paraphrase(scene, rng)
        expected = []
        if scene.link == "then":
            expected.append((flipped_caption(text), replace(scene, groups=scene.groups[::-1]), 2))
        if scene.relation is not None:
            r = scene.relation
            opposite = replace(scene, relation=Relation(r.subject, OPPOSITE_RELATION[r.relation], r.object))
            expected.append((opposite_relation_caption(text), opposite, 1))
        for i, negative in enumerate(opposite_direction_captions(text)):
            expected.append((negative, scene.with_group(i, action=OPPOSITE_ACTION[scene.groups[i].action]), 1))
        for negative, edited, at_most in expected:
            assert parse(negative) == edited and negative != canonical(edited), (text, negative)
            words, new_words = Counter(tokenize(text)), Counter(tokenize(negative))
            if at_most == 2:  # a flip moves whole clauses and keeps every word
                assert words == new_words
            else:  # one phrase replaced by its opposite in the same form
                assert sum((words - new_words).values()) <= 3, (text, negative)
            kinds[at_most] += 1
    assert kinds[1] > 100 and kinds[2] > 20


def test_appearance_swaps_change_one_field_and_never_introduce_held_out_values():
    scenes, _ = _scenes(400, seed=3)
    held_out = QUICKSTART.held_out
    fields_seen = set()
    for scene in scenes:
        caption = canonical(scene)
        swapped = appearance_swap_caption(caption, exclude=held_out)
        assert swapped == appearance_swap_caption(caption, exclude=held_out)  # deterministic
        new = parse(swapped)
        diffs = [(i, f.name) for i, (a, b) in enumerate(zip(scene.groups, new.groups))
                 for f in fields(a) if getattr(a, f.name) != getattr(b, f.name)]
        assert len(diffs) == 1 and diffs[0][1] in ("colour", "shape", "size"), (caption, swapped)
        i, name = diffs[0]
        assert getattr(new.groups[i], name) not in held_out
        assert new.link == scene.link and new.relation == scene.relation
        if scene.relation is not None:
            assert len({g.shape for g in new.groups}) == len(new.groups)
        fields_seen.add(name)
    assert fields_seen == {"colour", "shape", "size"}


def test_relation_clauses_name_colour_and_shape_and_older_bare_shapes_still_parse():
    scene = parse("one big red circle moves left and one small blue square grows with the red circle above the blue square")
    assert scene.relation == Relation(0, "above", 1)
    older = "one big red circle moves left and one small blue square grows with the circle above the square"
    assert parse(older) == scene  # worlds built before colours were named in relation clauses
    para = "a large scarlet disc slides to the left as a tiny navy box expands, where the navy box is under the scarlet disc"
    assert parse(para) == scene


@pytest.mark.parametrize("bad", ["", "a dog runs", "one big red circle", "one big red circle moves left with the circle above the square",
                                 "one big red circle moves left and one small blue square grows with the blue circle above the blue square"])
def test_unparseable_prompt_names_the_prompt(bad):
    with pytest.raises(UserInputError) as info:
        parse(bad)
    assert f"'{bad}'" in info.value.one_line()
    assert "\n" not in info.value.one_line()


def test_tiny_config_is_valid_and_overrides_are_checked():
    assert TINY.with_overrides({"frames": 16}).frames == 16
    with pytest.raises(UserInputError, match="unknown world setting"):
        TINY.with_overrides({"framez": 16})
    with pytest.raises(UserInputError, match="even"):
        TINY.with_overrides({"frames": 7})
