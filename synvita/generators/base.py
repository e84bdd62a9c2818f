"""The generator interface every text-to-video backend implements."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol, Sequence

import numpy as np


@dataclass
class GeneratedVideo:
    frames: np.ndarray
    """uint8 [T, H, W, 3]."""
    prompt: str
    rendered_caption: str | None = None
    """What was actually rendered, when the generator knows (the procedural world does; real models do not)."""
    faithful: bool | None = None
    """Ground truth: did the video follow the prompt? Known only in the procedural world."""
    meta: dict[str, Any] = field(default_factory=dict)


class Generator(Protocol):
    """Text prompts in, videos out; deterministic under `seed` (video i uses a stream derived from seed and i).

    `references` (optional, one per prompt) is the caption t^r the prompt t^s was edited from. Real models ignore
    it; the procedural generator uses it only to know which misalignment type a prompt carries, so that a semantic
    failure of that type renders t^r's content instead (as T2V models fail to render the edited concept).
    """

    name: str

    def generate(
        self, prompts: Sequence[str], seed: int, references: Sequence[str] | None = None
    ) -> list[GeneratedVideo]: ...
