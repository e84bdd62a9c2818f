"""Caption-derived extra negatives: which kinds, no held-out values introduced, unknown kinds refused."""

import pytest

from synvita.errors import UserInputError
from synvita.training.pipeline import extra_negatives
from synvita.world import parse

THEN = "two small yellow rings appear then one big red circle shrinks"
REL = "one small green triangle moves up and one small red circle shrinks with the green triangle right of the red circle"


def test_each_kind_adds_its_negatives():
    only = lambda kinds: extra_negatives([THEN, REL], kinds)  # noqa: E731
    assert only(["flip"]) == [["one big red circle shrinks then two small yellow rings appear"], []]
    assert only(["relation"]) == [[], [REL.replace("right of", "left of")]]
    assert [len(x) for x in only(["direction"])] == [2, 2]
    assert [len(x) for x in only(["appearance"])] == [1, 1]
    everything = extra_negatives([THEN, REL])  # every kind
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
