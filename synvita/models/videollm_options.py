"""The options of the `videollm` alignment model (synvita.models.videollm) and their check, torch-free: a spec's
`[model] config` is validated at submission with these, and the model is built with them."""

from __future__ import annotations

from typing import Any

from synvita.errors import UserInputError

PROMPT_TEMPLATE = 'USER: <video>\nDoes this video entail the description: "{caption}"? ASSISTANT:'
"""Video-LLaVA-hf's conversation format around the VideoCon question (the gpt turn is "Yes"/"No")."""
LANGUAGE_LINEAR = r".*language_model.*\.(q_proj|k_proj|v_proj|o_proj|gate_proj|up_proj|down_proj)"
"""All linear layers of the LLM, none of the vision towers or the projector."""
EXAMPLE_REPO = "LanguageBind/Video-LLaVA-7B-hf"
ADAPTER_DIR = "adapter"
SUPPORTED = ("video_llava", "llava_next_video")

DEFAULTS: dict[str, Any] = {
    "model_path": EXAMPLE_REPO,
    "num_frames": 8,
    "prompt_template": PROMPT_TEMPLATE,
    "mask_mode": "reference",
    "eos_in_ce": True,
    "lora": {"r": 32, "alpha": 32, "dropout": 0.05, "target": LANGUAGE_LINEAR, "init_identity": True},
    "device": "auto",
    "dtype": "auto",
    "gradient_checkpointing": False,
}


def merged(config: dict[str, Any]) -> dict[str, Any]:
    """`config` over the defaults (nested for `lora`); one-line `UserInputError` for an unknown key or value."""
    unknown = set(config) - set(DEFAULTS)
    if unknown:
        raise UserInputError(f"unknown videollm option(s): {', '.join(sorted(unknown))}", hint=f"known: {', '.join(DEFAULTS)}")
    out = {**DEFAULTS, **config}
    out["lora"] = {**DEFAULTS["lora"], **(config.get("lora") or {})}
    unknown = set(out["lora"]) - set(DEFAULTS["lora"])
    if unknown:
        raise UserInputError(f"unknown videollm lora option(s): {', '.join(sorted(unknown))}", hint=f"known: {', '.join(DEFAULTS['lora'])}")
    if out["mask_mode"] not in ("token", "reference"):
        raise UserInputError(f"unknown mask_mode '{out['mask_mode']}'", hint="use token or reference")
    if "{caption}" not in out["prompt_template"] or "<video>" not in out["prompt_template"]:
        raise UserInputError("prompt_template needs a <video> placeholder and a {caption} field", hint=f"default: {PROMPT_TEMPLATE!r}")
    return out
