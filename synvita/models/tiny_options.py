"""What a `tiny` model config may say, without importing torch. One check, two callers: the spec validator (before
any run starts; a bad key used to fail only when the pretrain run built the model, after the world) and the
model's constructor."""

from __future__ import annotations

from typing import Any

TINY_CONFIG_KEYS = (
    "vocab", "d", "heads", "channels", "time_tokens", "grid", "video_layers", "fusion_layers", "max_len", "frame_diff",
    "stem", "norm", "encoder", "frames", "slots", "crop", "text_conv", "track_tokens", "extra_groups",
    "grounding", "fusion_sees", "readout", "cls_nats", "content_query", "look_keys", "context_gate_init",
)
"""Every argument of `TinyAlignmentModel` (a test keeps the two in step)."""

TINY_CHOICES = {
    "encoder": ("tracks", "conv"),
    "track_tokens": ("parts", "fused"),
    "stem": ("coarse", "fine"),
    "norm": ("group", "none"),
    "fusion_sees": ("all", "dynamics"),
    "readout": ("and", "sum"),
    "content_query": ("both", "word", "context"),
    "look_keys": ("size", "extent"),
}
EXTRA_GROUP_SIZES = {  # optional per-track feature groups → their width given the frame count
    "layout": lambda frames: 4,  # mean x, y, share of the others above / left of it
    "timing": lambda frames: frames,  # activity profile over the T-1 frame steps + its temporal centroid
}


def tiny_config_problems(config: dict[str, Any]) -> list[str]:
    """One line per problem of a `tiny` config override (unknown keys, values outside their choices)."""
    problems = []
    unknown = sorted(set(config) - set(TINY_CONFIG_KEYS))
    if unknown:
        problems.append(f"unknown tiny model config key(s) {unknown}; keys: {', '.join(TINY_CONFIG_KEYS[1:])}")
    for key, choices in TINY_CHOICES.items():
        if key in config and config[key] not in choices:
            problems.append(f"unknown tiny model config value: {key} = {config[key]!r} is not one of {', '.join(choices)}")
    groups = config.get("extra_groups", [])
    if not isinstance(groups, (list, tuple)) or set(groups) - set(EXTRA_GROUP_SIZES):
        problems.append(f"unknown tiny model config value: extra_groups = {groups!r}: a list of {', '.join(EXTRA_GROUP_SIZES)}")
    if not isinstance(config.get("grounding", True), bool):
        problems.append(f"tiny model config grounding = {config['grounding']!r}: true or false")
    if config.get("fusion_sees", "all") == "dynamics" and not (
        config.get("grounding", True) and config.get("encoder", "tracks") == "tracks"
        and config.get("track_tokens", "parts") == "parts"
    ):
        problems.append("tiny model config fusion_sees = 'dynamics' needs encoder 'tracks', track_tokens 'parts' and "
                        "grounding on (otherwise nothing would see what the objects look like)")
    for key, least in (("video_layers", 0), ("fusion_layers", 1)):
        value = config.get(key, least)
        if not isinstance(value, int) or isinstance(value, bool) or value < least:
            problems.append(f"tiny model config {key} = {value!r}: an integer ≥ {least}")
    for key, default, least, strict in (("cls_nats", 1.5, 0.0, True), ("context_gate_init", 0.5, 0.0, False)):
        value = config.get(key, default)
        if not isinstance(value, (int, float)) or isinstance(value, bool) or value < least or (strict and value == least):
            problems.append(f"tiny model config {key} = {value!r}: a number {'>' if strict else '≥'} {least:g}")
    text_conv = config.get("text_conv", 5)
    if not isinstance(text_conv, int) or text_conv < 0 or (text_conv and text_conv % 2 == 0):
        problems.append(f"tiny model config text_conv = {text_conv!r}: 0 or an odd kernel size")
    return problems
