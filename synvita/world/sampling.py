"""Random scene graphs under the world's constraints (object budget, distinct looks, relation-compatible actions).

`allow_held_out=False` draws only seen concepts (real training videos); `require_held_out=True` draws scenes that
show at least one held-out concept (the bias probe's test videos).
"""

from __future__ import annotations

import numpy as np

from synvita.world.config import WorldConfig
from synvita.world.scene import (
    ACTIONS,
    COLOURS,
    RELATIONS,
    SHAPES,
    SIZES,
    Group,
    Relation,
    Scene,
    relation_compatible_actions,
)

KINDS = ("single", "and", "then", "relation")


def pools(cfg: WorldConfig, allow_held_out: bool) -> dict[str, tuple[str, ...]]:
    """Concept values a scene may use: the full vocabulary, or only the seen values."""
    if allow_held_out:
        return {"shape": SHAPES, "colour": COLOURS, "action": ACTIONS}
    return {
        "shape": tuple(s for s in SHAPES if s not in cfg.held_out_shapes),
        "colour": tuple(c for c in COLOURS if c not in cfg.held_out_colours),
        "action": tuple(a for a in ACTIONS if a not in cfg.held_out_actions),
    }


def choice(rng: np.random.Generator, options):
    return options[int(rng.integers(len(options)))]


def pick_kind(rng: np.random.Generator, cfg: WorldConfig, allowed: tuple[str, ...] = KINDS) -> str:
    weights = {"single": cfg.p_single, "and": cfg.p_and, "then": cfg.p_then, "relation": cfg.p_relation}
    if cfg.max_objects < 2:
        allowed = tuple(k for k in allowed if k == "single")
    p = np.array([weights[k] for k in allowed], dtype=float)
    p = p / p.sum() if p.sum() > 0 else np.full(len(allowed), 1.0 / len(allowed))
    return allowed[int(rng.choice(len(allowed), p=p))]


def contains_held_out(scene: Scene, cfg: WorldConfig) -> bool:
    return bool(scene.concepts() & cfg.held_out)


def _group(rng, pool, taken_looks, taken_shapes=(), actions=None, count=1) -> Group:
    for _ in range(100):
        shape = choice(rng, pool["shape"])
        colour = choice(rng, pool["colour"])
        if (shape, colour) not in taken_looks and shape not in taken_shapes:
            break
    return Group(
        shape=shape,
        colour=colour,
        size=choice(rng, SIZES),
        action=choice(rng, actions if actions is not None else pool["action"]),
        count=count,
    )


def sample_scene(
    rng: np.random.Generator,
    cfg: WorldConfig,
    kind: str | None = None,
    allow_held_out: bool = True,
    require_held_out: bool = False,
) -> Scene:
    """One random scene of `kind` (None = drawn from the config's mix)."""
    for _ in range(1000):
        scene = _sample_once(rng, cfg, kind or pick_kind(rng, cfg), pools(cfg, allow_held_out))
        if not require_held_out or contains_held_out(scene, cfg):
            return scene
    raise RuntimeError("could not sample a scene with a held-out concept; check the held-out settings")


def _sample_once(rng, cfg: WorldConfig, kind: str, pool) -> Scene:
    if kind == "relation":
        relation = choice(rng, RELATIONS)
        actions = tuple(a for a in relation_compatible_actions(relation) if a in pool["action"])
        a = _group(rng, pool, set(), actions=actions)
        b = _group(rng, pool, {a.look}, taken_shapes=(a.shape,), actions=actions)
        order = [0, 1] if rng.random() < 0.5 else [1, 0]
        return Scene(groups=(a, b), link="and", relation=Relation(order[0], relation, order[1]))
    n_groups = 1 if kind == "single" else 2
    budget = cfg.max_objects
    groups: list[Group] = []
    for i in range(n_groups):
        remaining_groups = n_groups - i - 1
        count = 2 if (budget - 1 - remaining_groups >= 1 and rng.random() < cfg.p_count_two) else 1
        g = _group(rng, pool, {x.look for x in groups}, count=count)
        groups.append(g)
        budget -= count
    return Scene(groups=tuple(groups), link="single" if n_groups == 1 else kind)
