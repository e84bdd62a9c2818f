"""`WorldConfig`: every knob of the procedural world, and the registered presets (quickstart, paper, tiny).

A preset is a `WorldConfig` registered in `synvita.registry.WORLD_PRESETS`; an experiment picks one by name and may
override fields (`[world] overrides = {...}`). Knobs the model work needs to make order, direction and relation
learnable (frames, motion amplitude, object count, relation separation) are plain fields here.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields, replace
from typing import Any

from synvita.errors import UserInputError
from synvita.registry import WORLD_PRESETS
from synvita.world.scene import ACTIONS, COLOURS, RETRIEVAL_TEMPORAL_ACTIONS, SHAPES


@dataclass(frozen=True)
class WorldConfig:
    name: str = "custom"
    """Preset name this config came from (informational)."""

    # clip geometry ---------------------------------------------------------------------------------------------
    frames: int = 8
    """T, frames per clip (even; a "then" scene uses the first and the second half)."""
    height: int = 32
    """H in pixels."""
    width: int = 32
    """W in pixels."""
    fps: int = 8
    """Frame rate written into the mp4 files."""
    small_px: float = 5.0
    """Diameter of a small object, in pixels."""
    big_px: float = 8.0
    """Diameter of a big object, in pixels."""
    motion_px: float = 12.0
    """Motion amplitude: displacement of a moving object over its event's time segment, in pixels."""
    size_change: float = 2.0
    """End/start diameter ratio of 'grows' (start/end of 'shrinks'). Sizes run symmetrically around the nominal size
    (nominal/√r → nominal·√r), so grows and shrinks show the same set of sizes: only frame order tells them apart."""
    max_objects: int = 3
    """Most objects in one clip (a group of two counts as two)."""
    object_gap_px: float = 1.5
    """Minimum free space between two objects' boxes at every frame."""
    relation_min_sep_px: float = 11.0
    """A relation holds when the centres differ by at least this much along its axis, at every frame."""

    # scene mix -------------------------------------------------------------------------------------------------
    p_single: float = 0.3
    """Share of single-group scenes (where no edit type forces the kind)."""
    p_and: float = 0.2
    """Share of two groups acting together."""
    p_then: float = 0.3
    """Share of two groups acting one after the other."""
    p_relation: float = 0.2
    """Share of two single objects in a spatial relation."""
    p_count_two: float = 0.25
    """Probability that a group has two objects (when the object budget allows)."""
    p_action_opposite: float = 0.3
    """Probability that an action edit picks the opposite action (left↔right, grows↔shrinks, ...)."""

    # linguistic bias ---------------------------------------------------------------------------------------------
    held_out_colours: tuple[str, ...] = ("purple",)
    """Colours never shown in real training videos (they appear in training only inside negative captions)."""
    held_out_shapes: tuple[str, ...] = ("cross",)
    """Shapes never shown in real training videos."""
    held_out_actions: tuple[str, ...] = ("moves down",)
    """Actions never shown in real training videos."""
    p_held_out: float = 0.5
    """Probability that an edit introducing a new value (object, attribute, action, hallucination) picks a held-out one."""
    test_held_out_share: float = 0.25
    """Share of test-split videos (entail-llm) that contain a held-out concept."""
    human_held_out_share: float = 0.5
    """Share of entail-human videos that contain a held-out concept."""

    # looks -------------------------------------------------------------------------------------------------------
    real_noise: float = 4.0
    """Pixel noise σ of the real look."""
    real_colour_jitter: float = 12.0
    """Per-object colour jitter of the real look."""
    pretrain_synthetic_share: float = 0.5
    """Share of pretraining videos in the synthetic look (strength ~ U(0, 1))."""
    pretrain_paraphrase_share: float = 0.5
    """Share of pretraining captions in the paraphrase ("human") family."""
    train_paraphrase_share: float = 0.0
    """Share of training pairs whose two captions are paraphrases with the same word choices (so they differ where
    the edit is), as an LLM words its captions in more than one way; val and test (entail-llm) stay canonical.
    At 0 no training caption ties the paraphrase family's verbs and connectives to time and entail-human-hard sits
    at chance (labelled so, out of the mean); 0.25 lifts it above chance but costs the quickstart's in-distribution
    relation AUC (88 → 55 at 1,000 fine-tuning steps), so the default keeps relation (docs/evaluation.md)."""

    # sizes -------------------------------------------------------------------------------------------------------
    n_pretrain: int = 4000
    """Pretraining videos (each gives 1 positive and 2 negative rows)."""
    n_train: int = 20000
    """VideoCon-like training pairs (one real video each)."""
    n_val: int = 500
    """Validation pairs."""
    n_test: int = 1400
    """Test pairs (entail-llm is built from them)."""
    n_human: int = 1400
    """entail-human pairs (paraphrased captions; entail-human-hard is their hard subset)."""
    retrieval_temporal_queries: int = 18
    """Queries of retrieval-temporal (a multiple of 6: each base content gives six, its first object moving left,
    right, up or down, growing or shrinking)."""
    retrieval_events_queries: int = 16
    """Queries of retrieval-events (even: each base gives two event orders)."""
    retrieval_positives: int = 8
    """Positives per retrieval query (gallery = queries × positives)."""
    qa_questions: int = 300
    """Questions of qa-hard (5 statements each)."""

    # storage -----------------------------------------------------------------------------------------------------
    video_layout: str = "shards"
    """'shards' (clips concatenated, shard_size per mp4; fast) or 'per-video' (one mp4 per clip, VideoCon layout)."""
    shard_size: int = 1024
    """Clips per mp4 shard."""
    codec: str = "h264-rgb"
    """'h264-rgb' (lossless RGB H.264: mp4 decodes to exactly the cached frames), 'h264-444' or 'h264-420'."""

    def __post_init__(self) -> None:
        problems = []
        if self.frames < 4 or self.frames % 2:
            problems.append("frames must be an even number ≥ 4 (a 'then' event needs two frames per half)")
        if min(self.height, self.width) < 16:
            problems.append("height and width must be ≥ 16")
        if self.size_change <= 1.0:
            problems.append("size_change must be > 1")
        if not 2 <= self.max_objects <= 3:
            problems.append("max_objects must be 2 or 3 (flip, relation and hallucination need two objects)")
        for name, values, vocab in (
            ("held_out_colours", self.held_out_colours, COLOURS),
            ("held_out_shapes", self.held_out_shapes, SHAPES),
            ("held_out_actions", self.held_out_actions, ACTIONS),
        ):
            bad = [v for v in values if v not in vocab]
            if bad:
                problems.append(f"{name} {bad} not in {list(vocab)}")
        if len(self.held_out_colours) >= len(COLOURS) - 1 or len(self.held_out_shapes) >= len(SHAPES) - 1:
            problems.append("hold out at most all but two colours and shapes")
        if not 0.0 <= self.p_held_out <= 1.0:
            problems.append("p_held_out must be in [0, 1]")
        if self.video_layout not in ("shards", "per-video"):
            problems.append("video_layout must be 'shards' or 'per-video'")
        if self.codec not in ("h264-rgb", "h264-444", "h264-420"):
            problems.append("codec must be 'h264-rgb', 'h264-444' or 'h264-420'")
        if self.retrieval_temporal_queries % len(RETRIEVAL_TEMPORAL_ACTIONS):
            problems.append(f"retrieval_temporal_queries must be a multiple of {len(RETRIEVAL_TEMPORAL_ACTIONS)}")
        if self.retrieval_events_queries % 2:
            problems.append("retrieval_events_queries must be even")
        if problems:
            raise UserInputError(f"bad world config '{self.name}': " + "; ".join(problems))

    @property
    def held_out(self) -> set[str]:
        return set(self.held_out_colours) | set(self.held_out_shapes) | set(self.held_out_actions)

    def to_dict(self) -> dict[str, Any]:
        return {k: list(v) if isinstance(v, tuple) else v for k, v in asdict(self).items()}

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> "WorldConfig":
        return cls().with_overrides(d)

    def with_overrides(self, overrides: dict[str, Any] | None) -> "WorldConfig":
        """A copy with some fields changed; unknown keys raise UserInputError listing the valid ones."""
        if not overrides:
            return self
        known = {f.name: f for f in fields(self)}
        unknown = sorted(set(overrides) - set(known))
        if unknown:
            raise UserInputError(
                f"unknown world setting(s) {', '.join(unknown)}",
                hint=f"valid settings: {', '.join(sorted(known))}",
            )
        clean = {k: tuple(v) if isinstance(v, list) else v for k, v in overrides.items()}
        return replace(self, **clean)

    def split_sizes(self) -> dict[str, int]:
        return {
            "pretrain": self.n_pretrain,
            "train": self.n_train,
            "val": self.n_val,
            "test": self.n_test,
            "human": self.n_human,
            "retrieval-temporal": self.retrieval_temporal_queries * self.retrieval_positives,
            "retrieval-events": self.retrieval_events_queries * self.retrieval_positives,
            "qa-hard": self.qa_questions,
        }


QUICKSTART = WorldConfig(name="quickstart")
"""Sized for the whole quickstart experiment in ≤10 min on 2 cores; the world build itself takes well under 60 s."""

PAPER = WorldConfig(
    name="paper",
    n_pretrain=20000,
    n_train=55000,
    n_val=2000,
    n_test=2100,
    n_human=2100,
    retrieval_temporal_queries=18,
    retrieval_events_queries=48,
    retrieval_positives=12,
    qa_questions=1846,
    video_layout="per-video",
)
"""Shaped like the paper's data: ~55K training pairs, SSv2-like 18×216 retrieval, 1,846 QA questions."""

TINY = WorldConfig(
    name="tiny",
    n_pretrain=60,
    n_train=140,
    n_val=28,
    n_test=56,
    n_human=56,
    retrieval_temporal_queries=6,
    retrieval_events_queries=4,
    retrieval_positives=3,
    qa_questions=12,
    shard_size=64,
)
"""A few hundred clips: for tests and smoke runs (seconds)."""

WORLD_PRESETS.register("quickstart", "synvita.world.config:QUICKSTART", "20k train pairs, 4k pretrain videos; ≤10 min end to end on 2 cores")
WORLD_PRESETS.register("paper", "synvita.world.config:PAPER", "55k train pairs, SSv2/ATP-shaped benchmarks; one mp4 per clip")
WORLD_PRESETS.register("tiny", "synvita.world.config:TINY", "a few hundred clips, for tests and smoke runs")


def check_overrides(overrides: dict[str, Any], preset: str | None = None) -> None:
    """Check `[world] overrides` without building anything (what submission runs): every key a setting, every
    value of its setting's type (finite numbers; a list for a tuple setting), and the preset (or the defaults,
    when `preset` is not a registered name) with them applied passing the config's own checks."""
    import math

    if not isinstance(overrides, dict):
        raise UserInputError(f"overrides must be a table of world settings, got {overrides!r}")
    base = WORLD_PRESETS.get(preset) if preset in WORLD_PRESETS else WorldConfig()
    known = {f.name for f in fields(WorldConfig)}
    unknown = sorted(set(overrides) - known)
    if unknown:
        raise UserInputError(f"unknown world setting(s) {', '.join(unknown)}", hint=f"valid settings: {', '.join(sorted(known))}")
    for key, value in overrides.items():
        current = getattr(base, key)
        if isinstance(current, bool):
            ok = isinstance(value, bool)
        elif isinstance(current, int):
            ok = isinstance(value, int) and not isinstance(value, bool)
        elif isinstance(current, float):
            ok = isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)
        elif isinstance(current, tuple):
            ok = isinstance(value, (list, tuple)) and all(isinstance(v, str) for v in value)
        else:
            ok = isinstance(value, type(current))
        if not ok:
            kind = {bool: "true or false", int: "an integer", float: "a finite number", tuple: "a list of strings",
                    str: "a string"}.get(type(current), type(current).__name__)
            raise UserInputError(f"{key} = {value!r} must be {kind}", hint=f"the preset has {key} = {current!r}")
    base.with_overrides(overrides)


def resolve_config(config_or_preset: "WorldConfig | str", overrides: dict[str, Any] | None = None) -> WorldConfig:
    """A WorldConfig from a preset name (UnknownNameError lists the presets) or a config, plus overrides."""
    if isinstance(config_or_preset, WorldConfig):
        config = config_or_preset
    else:
        config = WORLD_PRESETS.get(str(config_or_preset))
    return config.with_overrides(overrides)

