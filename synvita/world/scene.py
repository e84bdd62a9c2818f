"""Scene graphs of the procedural world: the ground truth behind every clip and every caption.

A scene is 1–2 object *groups* (each: shape × colour × size × count, doing one action) joined by a *link*:
    single    one group                                   "one big red circle moves left"
    and       two groups acting at the same time          "... and ..."
    then      two groups acting one after the other       "... then ..." (first half / second half of the clip)
plus, for "and" scenes of two single objects, an optional spatial *relation* that holds at every frame
("... with the red circle above the blue square"). Groups are stored in caption order; in a "then" scene that order is
the event order, so an event-order flip is a swap of the two groups.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, replace
from typing import Any

SHAPES = ("circle", "square", "triangle", "cross", "ring")
COLOURS = ("red", "green", "blue", "yellow", "purple")
SIZES = ("small", "big")
ACTIONS = ("moves left", "moves right", "moves up", "moves down", "grows", "shrinks", "appears", "disappears")
RELATIONS = ("above", "below", "left of", "right of")
LINKS = ("single", "and", "then")

OPPOSITE_ACTION = {
    "moves left": "moves right",
    "moves right": "moves left",
    "moves up": "moves down",
    "moves down": "moves up",
    "grows": "shrinks",
    "shrinks": "grows",
    "appears": "disappears",
    "disappears": "appears",
}
OPPOSITE_RELATION = {"above": "below", "below": "above", "left of": "right of", "right of": "left of"}
RELATION_AXIS = {"above": "y", "below": "y", "left of": "x", "right of": "x"}
ACTION_AXIS = {"moves left": "x", "moves right": "x", "moves up": "y", "moves down": "y"}
VISIBILITY_ACTIONS = ("appears", "disappears")
RETRIEVAL_TEMPORAL_ACTIONS = ("moves left", "moves right", "moves up", "moves down", "grows", "shrinks")
"""The actions one content takes in retrieval-temporal: three twins (an action and its opposite), every one a change
over time of an object in view, so that the content of a query is shared by six of them and only time tells them
apart."""


def relation_compatible_actions(relation: str) -> tuple[str, ...]:
    """Actions allowed in a relation scene: no motion along the relation's axis, always visible."""
    axis = RELATION_AXIS[relation]
    return tuple(a for a in ACTIONS if ACTION_AXIS.get(a) != axis and a not in VISIBILITY_ACTIONS)


@dataclass(frozen=True)
class Group:
    """`count` identical objects (shape, colour, size) doing one action together."""

    shape: str
    colour: str
    size: str
    action: str
    count: int = 1

    @property
    def look(self) -> tuple[str, str]:
        return (self.shape, self.colour)


@dataclass(frozen=True)
class Relation:
    """Group `subject` is `relation` group `object` at every frame (subject < object after normalisation)."""

    subject: int
    relation: str
    object: int

    def normalised(self) -> "Relation":
        if self.subject < self.object:
            return self
        return Relation(self.object, OPPOSITE_RELATION[self.relation], self.subject)


@dataclass(frozen=True)
class Scene:
    groups: tuple[Group, ...]
    link: str = "single"
    relation: Relation | None = None

    def __post_init__(self) -> None:
        if self.relation is not None:
            object.__setattr__(self, "relation", self.relation.normalised())

    @property
    def n_objects(self) -> int:
        return sum(g.count for g in self.groups)

    def with_group(self, index: int, **changes: Any) -> "Scene":
        groups = list(self.groups)
        groups[index] = replace(groups[index], **changes)
        return replace(self, groups=tuple(groups))

    def concepts(self) -> set[str]:
        """Every concept value the scene shows (shapes, colours, actions, relation word)."""
        values = {v for g in self.groups for v in (g.shape, g.colour, g.action)}
        if self.relation is not None:
            values.add(self.relation.relation)
        return values

    def to_dict(self) -> dict[str, Any]:
        return {
            "link": self.link,
            "groups": [
                {"shape": g.shape, "colour": g.colour, "size": g.size, "action": g.action, "count": g.count}
                for g in self.groups
            ],
            "relation": None
            if self.relation is None
            else [self.relation.subject, self.relation.relation, self.relation.object],
        }

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), sort_keys=True, separators=(",", ":"))

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> "Scene":
        rel = d.get("relation")
        return cls(
            groups=tuple(Group(**g) for g in d["groups"]),
            link=d["link"],
            relation=None if rel is None else Relation(int(rel[0]), rel[1], int(rel[2])),
        )

    @classmethod
    def from_json(cls, text: str) -> "Scene":
        return cls.from_dict(json.loads(text))
