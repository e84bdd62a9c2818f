"""The generator component: text prompts in, videos out, built from the spec's [generation] section."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any, Callable, ClassVar, Sequence

from synvita.errors import UserInputError
from synvita.generators.video import GeneratedVideo
from synvita.registry import Component

__all__ = ["GeneratedVideo", "Generator", "SHARED_KEYS", "MODEL_OPTIONS", "check_model_settings", "model_options",
           "require_cuda"]


SHARED_KEYS = ("generators", "shards", "shard_parallel", "shard_retries")
"""[generation] keys about the generate runs rather than one generator; every generator accepts them."""


class Generator(Component):
    """Text prompts in, videos out; deterministic under `seed` (video i uses a stream derived from seed and i).

    `generate(prompts, seed, references=None, ...)`: `references` (optional, one per prompt) is the caption t^r
    the prompt t^s was edited from. Real models ignore it; the procedural generator uses it only to know which
    misalignment type a prompt carries, so that a semantic failure of that type renders t^r's content instead (as
    T2V models fail to render the edited concept). A generator may also take the videos' global indices
    (`start_index` or `indices`), so that seeds follow the index and not the batching.

    As a component: `section_keys` are the [generation] keys it reads (a spec that sets any other key, apart from
    `SHARED_KEYS`, is refused at submission) and `option_keys` the keys it takes from `[generation] options`.
    `synthesize` writes the synthetic set of the generate stage (default: `generate_with_model`, one resumable
    mp4 per video, then conformed to the world's clip shape).
    """

    section_keys: ClassVar[tuple[str, ...]] = ()
    option_keys: ClassVar[tuple[str, ...]] = ()

    def generate(self, prompts: Sequence[str], seed: int, references: Sequence[str] | None = None) -> list[GeneratedVideo]:
        raise NotImplementedError

    @classmethod
    def validate_section(cls, section: Any) -> None:
        """Refuse [generation] keys this generator does not take (torch-free); subclasses add value checks."""
        from synvita.config import changed_keys

        foreign = [k for k in changed_keys(section) if k not in cls.section_keys and k not in SHARED_KEYS]
        if foreign:
            raise UserInputError(
                f"generator '{cls.name}' does not take generation.{', generation.'.join(foreign)}",
                hint=f"it takes: {', '.join(cls.section_keys) or '(nothing)'}; remove those [generation] keys",
            )
        unknown = sorted(set(section.options or {}) - set(cls.option_keys))
        if unknown:
            raise UserInputError(
                f"generator '{cls.name}' does not take generation.options {', '.join(unknown)}",
                hint=f"its options: {', '.join(cls.option_keys) or '(none)'}",
            )

    def describe(self) -> dict[str, Any]:
        """What determines the pixels (recorded with a resumable set; a resumed run must agree)."""
        return {k: getattr(self, k) for k in ("folder", "model_path", "num_frames", "height", "width", "fps") if hasattr(self, k)}

    def log_line(self) -> str:
        """How the generate stage announces this generator."""
        return f"generating with {self.name}"

    def synthesize(self, world: Any, out_dir: Path, seed: int,
                   progress: Callable[[int, int, str], None] | None = None) -> Any:
        """G(t^s) for every train pair of `world`, written as a synthetic set under `out_dir` (a SyntheticSet)."""
        from synvita.generators.synthesize import generate_with_model

        return generate_with_model(world, self, self.name, seed, out_dir, progress=progress,
                                   batch_size=int(getattr(self, "batch_size", 1)))


# ---- settings of the real (diffusers / folder) generators ---------------------------------------------------

_DEVICE = re.compile(r"^(auto|cpu|cuda(:\d+)?)$")
_DTYPES = ("auto", "fp32", "bf16", "fp16", "float32", "bfloat16", "float16")
MODEL_OPTIONS = ("device", "dtype", "num_frames", "height", "width", "steps", "guidance", "batch_size")
"""[generation] keys passed to a real generator's constructor when set (None / "auto" / 1 keep its default)."""
_DEFAULTS = {"device": "auto", "dtype": "auto", "batch_size": 1}


def check_model_settings(section: Any) -> None:
    """One-line errors for device, dtype and sizes of a real generator's [generation] section (torch-free)."""
    device, dtype = str(section.device or "auto"), str(section.dtype or "auto")
    if not _DEVICE.match(device):
        raise UserInputError(f"generation.device '{device}' is not auto, cpu, cuda or cuda:N", hint="e.g. --set generation.device=cuda")
    if dtype not in _DTYPES:
        raise UserInputError(f"generation.dtype '{dtype}' is not one of auto, fp32, bf16, fp16", hint="e.g. --set generation.dtype=bf16")
    for key in ("num_frames", "height", "width", "steps", "batch_size"):
        value = getattr(section, key)
        if value is not None and int(value) < 1:
            raise UserInputError(f"generation.{key} = {value} must be ≥ 1")
    if section.guidance is not None and float(section.guidance) < 0:
        raise UserInputError(f"generation.guidance = {section.guidance} must be ≥ 0")


def model_options(section: Any, keys: Sequence[str]) -> dict[str, Any]:
    """Constructor keyword arguments from the `keys` of a [generation] section that are set, plus `options`."""
    options: dict[str, Any] = {}
    for key in keys:
        value = getattr(section, key)
        if value is not None and value != _DEFAULTS.get(key) and (key in MODEL_OPTIONS or value):
            options[key] = value
    options.update(section.options or {})
    return options


def require_cuda(device: str) -> None:
    """A one-line error when `device` asks for CUDA and none is visible (imports torch: run time only)."""
    if str(device).startswith("cuda"):
        import torch

        if not torch.cuda.is_available():
            raise UserInputError(f"generation.device = {device} but no CUDA GPU is visible", hint="use device=auto or cpu, or run on a GPU node")
