"""Caption-derived extra negatives: which kinds, no held-out values introduced, unknown kinds refused."""

import pytest

from synvita.errors import UserInputError
from synvita.training.pipeline import extra_negatives
from synvita.world import parse
from synvita.world.edits import relation_noun_caption

THEN = "two small yellow rings appear then one big red circle shrinks"
REL = "one small green triangle moves up and one small red circle shrinks with the green triangle right of the red circle"


def test_each_kind_adds_its_negatives():
    only = lambda kinds: extra_negatives([THEN, REL], kinds)  # noqa: E731
    assert only(["flip"]) == [["one big red circle shrinks then two small yellow rings appear"], []]
    assert only(["relation"]) == [[], [REL.replace("right of", "left of")]]
    assert [len(x) for x in only(["direction"])] == [2, 2]
    assert [len(x) for x in only(["appearance"])] == [1, 1]
    assert only(["relation-noun"]) == [[], [relation_noun_caption(REL)]]
    everything = extra_negatives([THEN, REL])  # the default kinds: relation-noun is a research option only
    assert [len(x) for x in everything] == [4, 4] and all(c not in xs for c, xs in zip([THEN, REL], everything))


def test_appearance_negatives_avoid_the_held_out_values():
    held_out = {"purple", "cross", "moves down", "green", "blue", "square", "triangle", "big"}
    for caption in [THEN, REL]:
        (swap,) = extra_negatives([caption], ["appearance"], exclude=held_out)[0]
        before, after = parse(caption).groups, parse(swap).groups
        new_values = {getattr(b, f) for a, b in zip(before, after) for f in ("colour", "shape", "size")
                      if getattr(a, f) != getattr(b, f)}
        assert len(new_values) == 1 and not new_values & held_out, swap


def test_paraphrases_get_none_and_unknown_kinds_are_refused():
    assert extra_negatives(["a large red ring is getting bigger"]) == [[]]
    with pytest.raises(UserInputError, match="unknown extra-negative kind"):
        extra_negatives([THEN], ["colour"])


def test_the_probe_reports_a_bad_kind_in_one_line(capsys):
    from synvita.errors import run_script
    from synvita.training import temporal_probe

    code = run_script(temporal_probe.main, ["--xneg", "colour", "--steps", "1", "--train-pairs", "8", "--test-pairs", "14"])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2 and len(err) == 1 and err[0].startswith("error: unknown extra-negative kind")


def test_relation_noun_negatives_rename_one_relation_noun_to_an_absent_shape():
    scene = parse(REL)  # triangle and circle; the relation clause is "with the green triangle right of the red circle"
    head = REL.split(" with ")[0]
    seen = set()
    for exclude in ((), ("square",), ("square", "ring")):
        neg = relation_noun_caption(REL, exclude)
        assert neg == relation_noun_caption(REL, exclude)  # deterministic
        assert neg.startswith(head + " with the ")  # only the relation clause changes
        _, subj_colour, subj, rel, _, obj_colour, obj = neg.split(" with ")[1].replace("right of", "right_of").split()
        assert (subj_colour, rel, obj_colour) == ("green", "right_of", "red")  # only a shape is renamed
        new = {subj, obj} - {g.shape for g in scene.groups}
        assert len(new) == 1 and not new & set(exclude), neg
        seen |= new
    assert relation_noun_caption(THEN) is None
    with pytest.raises(UserInputError):  # not a world caption: the parser refuses a relation over absent shapes
        parse(relation_noun_caption(REL))
