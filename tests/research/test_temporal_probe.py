"""research/temporal_probe.py: its research-only "relation-noun" negatives, and bad input in one line."""

import pytest

from synvita.errors import UserInputError, run_script
from synvita.training.pipeline import extra_negatives
from synvita.world import parse
from synvita.world.edits import relation_noun_caption

import temporal_probe

THEN = "two small yellow rings appear then one big red circle shrinks"
REL = "one small green triangle moves up and one small red circle shrinks with the green triangle right of the red circle"


def test_relation_noun_negatives_come_after_the_training_kinds():
    assert temporal_probe.probe_negatives([THEN, REL], ["relation-noun"]) == [[], [relation_noun_caption(REL)]]
    both = temporal_probe.probe_negatives([THEN, REL, REL], ["flip", "relation", "relation-noun"])
    assert both[1] == extra_negatives([REL], ["flip", "relation"])[0] + [relation_noun_caption(REL)]
    assert both[2] == both[1] and both[0] == extra_negatives([THEN], ["flip"])[0]  # a repeated caption: the same list
    assert temporal_probe.probe_negatives(["a large red ring is getting bigger"], ["relation-noun"]) == [[]]


def test_the_probe_reports_a_bad_kind_in_one_line(capsys):
    code = run_script(temporal_probe.main, ["--xneg", "colour", "--steps", "1", "--train-pairs", "8", "--test-pairs", "14"])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2 and len(err) == 1 and err[0].startswith("error: unknown extra-negative kind")


def test_relation_noun_negatives_rename_one_relation_noun_to_an_absent_shape():
    scene = parse(REL)  # triangle and circle; the relation clause is "with the green triangle right of the red circle"
    head = REL.split(" with ")[0]
    for exclude in ((), ("square",), ("square", "ring")):
        neg = relation_noun_caption(REL, exclude)
        assert neg == relation_noun_caption(REL, exclude)  # deterministic
        assert neg.startswith(head + " with the ")  # only the relation clause changes
        _, subj_colour, subj, rel, _, obj_colour, obj = neg.split(" with ")[1].replace("right of", "right_of").split()
        assert (subj_colour, rel, obj_colour) == ("green", "right_of", "red")  # only a shape is renamed
        new = {subj, obj} - {g.shape for g in scene.groups}
        assert len(new) == 1 and not new & set(exclude), neg
    assert relation_noun_caption(THEN) is None
    with pytest.raises(UserInputError):  # not a world caption: the parser refuses a relation over absent shapes
        parse(relation_noun_caption(REL))
