"""`TinyConfig`: every architecture key of the `tiny` model, its default, what it means and what it may be.

Torch-free, so that spec validation can check a `[model] config` table at submission, before any run starts; the
model checks the same way when it is built. The saved `config.json` of a model is `TinyConfig.to_dict()`.
"""

from __future__ import annotations

import dataclasses
import functools
import typing
from dataclasses import dataclass
from typing import Any, Literal, Mapping, Sequence

from synvita.errors import UserInputError

EXTRA_GROUP_SIZES = {  # optional per-track feature groups → their width given the frame count
    "layout": lambda frames: 4,  # mean x, y, share of the others above / left of it
    "timing": lambda frames: frames,  # activity profile over the T-1 frame steps + its temporal centroid
}


@dataclass(frozen=True)
class TinyConfig:
    """The architecture (and vocabulary) of one `tiny` model; `TinyAlignmentModel(config)` builds it."""

    vocab: Sequence[str] = ()
    """The words the model reads: <pad>, <unk>, <cls>, then the world's vocabulary (`text.build_vocab`); the stages
    set it from the world."""
    d: int = 64
    """Width of every token (video, text, grounding)."""
    heads: int = 4
    """Attention heads of the video and fusion layers."""
    channels: Sequence[int] = (24, 32, 64)
    """conv encoder: channels of its three Conv3d layers."""
    time_tokens: int = 4
    """conv encoder: time steps the space-time features are pooled to."""
    grid: int = 3
    """conv encoder: video tokens per side of each time step (grid² per step)."""
    video_layers: int = 1
    """Transformer layers over the video tokens; 0 leaves them unmixed (a track's look tokens stay free of motion)."""
    fusion_layers: int = 3
    """Decoder layers: text self-attention, then text → video cross-attention, then an MLP."""
    max_len: int = 40
    """The longest caption, in words."""
    frame_diff: bool = True
    """conv encoder: add the difference to the previous frame as three more input channels."""
    stem: Literal["coarse", "fine"] = "coarse"
    """conv encoder: "coarse" halves space in the first layer, "fine" in the third."""
    norm: Literal["group", "none"] = "none"
    """conv encoder: GroupNorm after each conv ("group"; batch-independent, so train and eval behave alike) or none."""
    encoder: Literal["tracks", "conv"] = "tracks"
    """"tracks": the parameter-free object tracker (`synvita.models.tracks`), one token per (track, feature group);
    "conv": a space-time CNN over RGB (+ frame differences), time_tokens × grid² tokens."""
    frames: int = 8
    """tracks encoder: frames per video (the world's); videos with another count are refused."""
    slots: int = 4
    """tracks encoder: the most object tracks read per video."""
    crop: int = 8
    """tracks encoder: side of each track's scale-free silhouette."""
    text_conv: int = 5
    """Width in words of the n-gram convolution over the text ("small red circle" bound by relative position); an
    odd number, or 0 for none."""
    track_tokens: Literal["parts", "fused"] = "parts"
    """tracks encoder: one token per (track, feature group) ("parts") or one per track, all groups projected together
    ("fused")."""
    extra_groups: Sequence[str] = ("timing",)
    """tracks encoder: derived feature groups per track, from "timing" (activity over time and its centroid) and
    "layout" (mean position and position relative to the others)."""
    grounding: bool = True
    """tracks encoder: each word finds a track by its look (colour, size, shape) and reads that track's motion, timing
    and layout into its text token; the same lookup gives the time-free content score (docs/temporal.md)."""
    fusion_sees: Literal["all", "dynamics"] = "all"
    """tracks encoder: the tokens fusion attends to: every feature group ("all") or only the time-bearing ones
    ("dynamics"; needs grounding and track_tokens "parts", so that looks reach the text through grounding)."""
    readout: Literal["and", "sum"] = "and"
    """With grounding: "and": f = σ(content)·(ε + (1 − ε)·σ([CLS] margin)), ε = e^−cls_nats, so the [CLS] path (time,
    relations, counts) can take at most cls_nats off log f; "sum": the content score added to the [CLS] margin."""
    cls_nats: float = 1.5
    """readout "and": the most the [CLS] path can lower log f by (> 0)."""
    content_query: Literal["both", "word", "context"] = "both"
    """With grounding: who asks the tracks' looks for the content score: the bare word ("word"), the word in context
    (the n-gram token, so "big" of "one big red circle" is checked with its colour and shape: "context"), or both."""
    look_keys: Literal["size", "extent"] = "size"
    """With grounding: a track's look key from colour, mean size and shape ("size"), or also the share of frames it
    is visible ("extent", which depends on time)."""
    context_gate_init: float = 0.5
    """content_query "context" / "both": the initial per-word weight of the in-context evidence (≥ 0)."""

    @classmethod
    def from_dict(cls, config: Mapping[str, Any]) -> "TinyConfig":
        """A checked config from keyword overrides (a saved config.json, a spec's `[model] config`)."""
        problems = tiny_config_problems(config)
        if problems:
            raise UserInputError(problems[0], hint="see experiments/README.md ([model] config)")
        return cls(**config)

    def to_dict(self) -> dict[str, Any]:
        """JSON-serialisable: sequences as lists (the format of a saved model's config.json)."""
        return {f.name: _plain(getattr(self, f.name)) for f in dataclasses.fields(self)}

    def problems(self) -> list[str]:
        """One line per value outside what its key allows (empty when the config can be built)."""
        problems = []
        for key, choices in tiny_choices().items():
            if getattr(self, key) not in choices:
                problems.append(f"unknown tiny model config value: {key} = {getattr(self, key)!r} is not one of "
                                f"{', '.join(choices)}")
        groups = self.extra_groups
        if not isinstance(groups, (list, tuple)) or set(groups) - set(EXTRA_GROUP_SIZES):
            problems.append(f"unknown tiny model config value: extra_groups = {groups!r}: a list of "
                            f"{', '.join(EXTRA_GROUP_SIZES)}")
        if not isinstance(self.grounding, bool):
            problems.append(f"tiny model config grounding = {self.grounding!r}: true or false")
        if self.fusion_sees == "dynamics" and not (
            self.grounding and self.encoder == "tracks" and self.track_tokens == "parts"
        ):
            problems.append("tiny model config fusion_sees = 'dynamics' needs encoder 'tracks', track_tokens 'parts' "
                            "and grounding on (otherwise nothing would see what the objects look like)")
        for key, least in (("video_layers", 0), ("fusion_layers", 1)):
            value = getattr(self, key)
            if not isinstance(value, int) or isinstance(value, bool) or value < least:
                problems.append(f"tiny model config {key} = {value!r}: an integer ≥ {least}")
        for key, least, strict in (("cls_nats", 0.0, True), ("context_gate_init", 0.0, False)):
            value = getattr(self, key)
            if not isinstance(value, (int, float)) or isinstance(value, bool) or value < least or (strict and value == least):
                problems.append(f"tiny model config {key} = {value!r}: a number {'>' if strict else '≥'} {least:g}")
        text_conv = self.text_conv
        if not isinstance(text_conv, int) or text_conv < 0 or (text_conv and text_conv % 2 == 0):
            problems.append(f"tiny model config text_conv = {text_conv!r}: 0 or an odd kernel size")
        return problems


TINY_CONFIG_KEYS = tuple(f.name for f in dataclasses.fields(TinyConfig))
"""Every key a `tiny` model config may hold, in field order."""


@functools.cache
def tiny_choices() -> dict[str, tuple[str, ...]]:
    """The keys whose value is one of a few names → those names (from the `Literal` annotations)."""
    hints = typing.get_type_hints(TinyConfig)
    return {name: typing.get_args(hint) for name, hint in hints.items() if typing.get_origin(hint) is Literal}


def tiny_config_problems(config: Mapping[str, Any]) -> list[str]:
    """One line per problem of a `tiny` config override (unknown keys, values outside what their key allows)."""
    problems = []
    unknown = sorted(set(config) - set(TINY_CONFIG_KEYS))
    if unknown:
        problems.append(f"unknown tiny model config key(s) {unknown}; keys: {', '.join(TINY_CONFIG_KEYS[1:])}")
    known = {key: value for key, value in config.items() if key in TINY_CONFIG_KEYS}
    return problems + TinyConfig(**known).problems()


def _plain(value: Any) -> Any:
    return list(value) if isinstance(value, (list, tuple)) else value
