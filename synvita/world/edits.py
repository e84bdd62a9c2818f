"""Contrast edits for the seven misalignment types, their classifier, and caption-derived hard negatives.

Every edit changes exactly one element of the scene graph (the one its type names) and returns the edited graph,
its caption and the type, so the edited concept is known exactly:

    object         one group's shape                  attribute   one group's colour (70%) or size (30%)
    action         one group's action                 count       one group's count, one ↔ two
    relation       the relation word → its opposite   hallucination  a new object clause joined with "and"
    flip           the two events of a "then" scene swap order

New values are drawn from the full vocabulary; with probability `p_held_out` a held-out value is chosen, so
held-out concepts appear in training only inside negative captions.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass, field, replace
from typing import Any, Collection

import numpy as np

from synvita.data.types import MISALIGNMENT_TYPES
from synvita.world import captions
from synvita.world.config import WorldConfig
from synvita.world.sampling import choice, pools
from synvita.world.scene import (
    ACTIONS,
    COLOURS,
    OPPOSITE_ACTION,
    OPPOSITE_RELATION,
    SHAPES,
    SIZES,
    Group,
    Relation,
    Scene,
    relation_compatible_actions,
)

KIND_FOR_TYPE = {  # scene kinds an edit type applies to
    "object": ("single", "and", "then", "relation"),
    "attribute": ("single", "and", "then", "relation"),
    "action": ("single", "and", "then", "relation"),
    "count": ("single", "and", "then"),
    "relation": ("relation",),
    "hallucination": ("single",),
    "flip": ("then",),
}


@dataclass(frozen=True)
class Edit:
    scene: Scene
    """The edited scene graph."""
    caption: str
    """Its canonical caption."""
    type: str
    """One of MISALIGNMENT_TYPES."""
    detail: dict[str, Any] = field(default_factory=dict)
    """What changed: {"group": i, "field": ..., "old": ..., "new": ...}."""


def applicable(scene: Scene, etype: str, cfg: WorldConfig) -> bool:
    if etype == "relation":
        return scene.relation is not None
    if etype == "flip":
        return scene.link == "then"
    if etype == "hallucination":
        return scene.link == "single" and scene.n_objects + 1 <= cfg.max_objects
    if etype == "count":
        return scene.relation is None and (
            any(g.count == 2 for g in scene.groups) or scene.n_objects + 1 <= cfg.max_objects
        )
    return etype in MISALIGNMENT_TYPES


def _new_value(rng, current, full, held, cfg: WorldConfig, exclude=()) -> str | None:
    """A value ≠ current (and not in exclude): held-out with probability p_held_out, else a seen one."""
    held_options = [v for v in full if v in held and v != current and v not in exclude]
    seen_options = [v for v in full if v not in held and v != current and v not in exclude]
    if held_options and (rng.random() < cfg.p_held_out or not seen_options):
        return choice(rng, held_options)
    return choice(rng, seen_options) if seen_options else None


def make_edit(
    scene: Scene, etype: str, rng: np.random.Generator, cfg: WorldConfig, p_action_opposite: float | None = None
) -> Edit | None:
    """Edit `scene` along `etype`; None when the type does not apply to this scene."""
    if not applicable(scene, etype, cfg):
        return None
    edited, detail = _EDITORS[etype](scene, rng, cfg, p_action_opposite)
    if edited is None or edited == scene:
        return None
    return Edit(scene=edited, caption=captions.canonical(edited), type=etype, detail=detail)


def _edit_object(scene, rng, cfg, _):
    i = int(rng.integers(len(scene.groups)))
    g = scene.groups[i]
    others = [o for j, o in enumerate(scene.groups) if j != i]
    exclude = {o.shape for o in others if o.colour == g.colour}
    if scene.relation is not None:
        exclude |= {o.shape for o in others}
    new = _new_value(rng, g.shape, SHAPES, set(cfg.held_out_shapes), cfg, exclude)
    if new is None:
        return None, {}
    return scene.with_group(i, shape=new), {"group": i, "field": "shape", "old": g.shape, "new": new}


def _edit_attribute(scene, rng, cfg, _):
    i = int(rng.integers(len(scene.groups)))
    g = scene.groups[i]
    if rng.random() < 0.7:
        exclude = {o.colour for j, o in enumerate(scene.groups) if j != i and o.shape == g.shape}
        new = _new_value(rng, g.colour, COLOURS, set(cfg.held_out_colours), cfg, exclude)
        if new is None:
            return None, {}
        return scene.with_group(i, colour=new), {"group": i, "field": "colour", "old": g.colour, "new": new}
    new = [s for s in SIZES if s != g.size][0]
    return scene.with_group(i, size=new), {"group": i, "field": "size", "old": g.size, "new": new}


def _edit_action(scene, rng, cfg, p_opposite):
    i = int(rng.integers(len(scene.groups)))
    g = scene.groups[i]
    allowed = ACTIONS if scene.relation is None else relation_compatible_actions(scene.relation.relation)
    p_opposite = cfg.p_action_opposite if p_opposite is None else p_opposite
    opposite = OPPOSITE_ACTION[g.action]
    opposite_ok = opposite in allowed and (opposite not in cfg.held_out_actions or rng.random() < cfg.p_held_out)
    if opposite_ok and rng.random() < p_opposite:
        new = OPPOSITE_ACTION[g.action]
    else:
        exclude = [a for a in ACTIONS if a not in allowed]
        new = _new_value(rng, g.action, ACTIONS, set(cfg.held_out_actions), cfg, exclude)
        if new is None:
            return None, {}
    return scene.with_group(i, action=new), {"group": i, "field": "action", "old": g.action, "new": new}


def _edit_count(scene, rng, cfg, _):
    candidates = [
        i for i, g in enumerate(scene.groups) if g.count == 2 or scene.n_objects + 1 <= cfg.max_objects
    ]
    i = choice(rng, candidates)
    old = scene.groups[i].count
    new = 1 if old == 2 else 2
    return scene.with_group(i, count=new), {"group": i, "field": "count", "old": old, "new": new}


def _edit_relation(scene, rng, cfg, _):
    r = scene.relation
    new = OPPOSITE_RELATION[r.relation]
    edited = replace(scene, relation=Relation(r.subject, new, r.object))
    return edited, {"field": "relation", "old": r.relation, "new": new}


def _edit_hallucination(scene, rng, cfg, _):
    g = scene.groups[0]
    pool = pools(cfg, allow_held_out=False)
    held = {"shape": cfg.held_out_shapes, "colour": cfg.held_out_colours, "action": cfg.held_out_actions}
    use_held = [k for k in held if held[k]] if rng.random() < cfg.p_held_out else []
    forced = choice(rng, use_held) if use_held else None
    for _ in range(100):
        values = {
            k: choice(rng, held[k]) if k == forced else choice(rng, pool[k]) for k in ("shape", "colour", "action")
        }
        if (values["shape"], values["colour"]) != g.look:
            break
    new = Group(shape=values["shape"], colour=values["colour"], size=choice(rng, SIZES), action=values["action"])
    edited = Scene(groups=(g, new), link="and")
    return edited, {"group": 1, "field": "group", "old": None, "new": captions.canonical_clause(new)}


def _edit_flip(scene, rng, cfg, _):
    a, b = scene.groups
    return replace(scene, groups=(b, a)), {"field": "order", "old": [0, 1], "new": [1, 0]}


_EDITORS = {
    "object": _edit_object,
    "attribute": _edit_attribute,
    "action": _edit_action,
    "count": _edit_count,
    "relation": _edit_relation,
    "hallucination": _edit_hallucination,
    "flip": _edit_flip,
}


def classify_edit(reference: Scene, edited: Scene) -> str | None:
    """The misalignment type that turns `reference` into `edited`; None if equal, "other" if no single edit does."""
    if reference == edited:
        return None
    if (
        reference.link == "single"
        and edited.link == "and"
        and edited.relation is None
        and len(edited.groups) == 2
        and edited.groups[0] == reference.groups[0]
    ):
        return "hallucination"
    if reference.link == edited.link == "then" and edited.groups == reference.groups[::-1]:
        return "flip"
    if reference.link != edited.link or len(reference.groups) != len(edited.groups):
        return "other"
    if reference.groups == edited.groups:
        if reference.relation is not None and edited.relation is not None:
            return "relation"
        return "other"
    if (reference.relation is None) != (edited.relation is None):
        return "other"
    if reference.relation is not None and reference.relation != edited.relation:
        return "other"
    diffs = [
        (f, i)
        for i, (ga, gb) in enumerate(zip(reference.groups, edited.groups))
        for f in ("shape", "colour", "size", "action", "count")
        if getattr(ga, f) != getattr(gb, f)
    ]
    if len(diffs) != 1:
        return "other"
    return {"shape": "object", "colour": "attribute", "size": "attribute", "action": "action", "count": "count"}[
        diffs[0][0]
    ]


def is_hard(etype: str, detail: dict[str, Any]) -> bool:
    """The temporal/hard subset (Human-Hard analogue): event order, direction reversal, spatial relation."""
    if etype in ("flip", "relation"):
        return True
    return etype == "action" and OPPOSITE_ACTION.get(detail.get("old")) == detail.get("new")


# caption-derived hard negatives (no new videos needed) --------------------------------------------------------------
# In the caption's own words: a canonical caption gets the canonical negative; a paraphrase gets itself with only the
# edited phrase changed, so a model cannot tell the two apart by wording style (docs/evaluation.md, entail-human-hard).
def _in_own_words(caption: str, edited: Scene, rewordings) -> str:
    """`edited`'s caption worded like `caption`: the first of `rewordings` (texts derived from a paraphrase) that
    reads back as `edited`, else the canonical caption."""
    if caption != captions.canonical(captions.parse(caption)):
        for text in rewordings:
            if text is not None and captions.parse(text) == edited:
                return text
    return captions.canonical(edited)


def flipped_caption(caption: str) -> str | None:
    """The event-order flip of a "then" caption ("A then B" → "B then A"), in the caption's own words; None if not
    a "then" caption."""
    scene = captions.parse(caption)
    if scene.link != "then":
        return None
    return _in_own_words(caption, replace(scene, groups=scene.groups[::-1]), [captions.paraphrase_swapped_events(caption)])


def opposite_relation_caption(caption: str) -> str | None:
    """The caption with its relation word replaced by the opposite (above ↔ below, ...), in the caption's own words;
    None without a relation."""
    scene = captions.parse(caption)
    if scene.relation is None:
        return None
    r = scene.relation
    edited = replace(scene, relation=Relation(r.subject, OPPOSITE_RELATION[r.relation], r.object))
    return _in_own_words(caption, edited, [captions.paraphrase_opposite_relation(caption)])


def opposite_direction_captions(caption: str) -> list[str]:
    """One caption per group with that group's action reversed (left ↔ right, up ↔ down, grows ↔ shrinks, ...), in
    the caption's own words."""
    scene = captions.parse(caption)
    rewordings = captions.paraphrase_reversed_actions(caption)
    return [_in_own_words(caption, scene.with_group(i, action=OPPOSITE_ACTION[g.action]), rewordings)
            for i, g in enumerate(scene.groups)]


def appearance_swap_caption(caption: str, exclude: Collection[str] = ()) -> str | None:
    """The caption with one group's colour, shape or size changed (canonical); group, field and new value are picked
    by a stable hash of the caption. Values in `exclude` (the world's held-out concepts) are never introduced, so
    these extra negatives do not change how often held-out words appear; a new shape never repeats another group's
    shape in a relation scene (the relation clause names groups by shape). None if nothing can change."""
    scene = captions.parse(caption)
    choices = []
    for i, g in enumerate(scene.groups):
        for name, vocab in (("colour", COLOURS), ("shape", SHAPES), ("size", SIZES)):
            taken = {h.shape for h in scene.groups} if name == "shape" and scene.relation is not None else set()
            choices.extend((i, name, v) for v in vocab if v != getattr(g, name) and v not in exclude and v not in taken)
    if not choices:
        return None
    i, name, value = choices[zlib.crc32(caption.encode()) % len(choices)]
    return captions.canonical(scene.with_group(i, **{name: value}))


def relation_noun_caption(caption: str, exclude: Collection[str] = ()) -> str | None:
    """The caption with one noun of its relation clause replaced by a shape the scene does not show ("with the red
    circle above the blue square" → "with the red triangle above the blue square"); which noun and which shape are picked by a stable
    hash. Only the relation clause changes, so the words there must be checked against the video on their own, which
    is the first half of reading a relation (which tracks it names). Not a world caption (the parser refuses a
    relation over absent shapes): a training-only negative. None without a relation."""
    scene = captions.parse(caption)
    if scene.relation is None:
        return None
    r = scene.relation
    shown = {g.shape for g in scene.groups}
    choices = [(role, s) for role in ("subject", "object") for s in SHAPES if s not in shown and s not in exclude]
    if not choices:
        return None
    role, shape = choices[zlib.crc32(caption.encode()) % len(choices)]
    subj, obj = (captions.relation_noun(scene.groups[r.subject]), captions.relation_noun(scene.groups[r.object]))
    if role == "subject":
        subj = captions.relation_noun(replace(scene.groups[r.subject], shape=shape))
    else:
        obj = captions.relation_noun(replace(scene.groups[r.object], shape=shape))
    head = captions.canonical(replace(scene, relation=None))
    return f"{head} with the {subj} {r.relation} the {obj}"
