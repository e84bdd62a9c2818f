"""The embedded procedural world: scene graphs, captions, contrast edits, renderer, splits and benchmarks.

Public API (numpy only; no torch):
    build_world(config_or_preset, seed, out_dir, progress=None) -> World
    load_world(out_dir) -> World
    WorldConfig, resolve_config          every knob; presets in synvita.registry.WORLD_PRESETS
    parse, canonical, paraphrase         caption text ↔ scene graph
    flipped_caption, opposite_relation_caption, opposite_direction_captions,
    appearance_swap_caption                     caption-derived hard negatives
    load_synthetic(dir) -> SyntheticSet       a generate run's synthetic videos (written by synvita.generators)
"""

from synvita.world.build import build_world
from synvita.world.captions import canonical, paraphrase, parse
from synvita.world.config import WorldConfig, resolve_config
from synvita.world.dataset import World, load_world
from synvita.world.edits import (
    appearance_swap_caption,
    classify_edit,
    flipped_caption,
    make_edit,
    opposite_direction_captions,
    opposite_relation_caption,
)
from synvita.world.scene import Group, Relation, Scene
from synvita.world.synthetic import SyntheticSet, load_synthetic

__all__ = [
    "build_world",
    "load_world",
    "World",
    "WorldConfig",
    "resolve_config",
    "parse",
    "canonical",
    "paraphrase",
    "make_edit",
    "classify_edit",
    "flipped_caption",
    "opposite_relation_caption",
    "opposite_direction_captions",
    "appearance_swap_caption",
    "Scene",
    "Group",
    "Relation",
    "SyntheticSet",
    "load_synthetic",
]
