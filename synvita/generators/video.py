"""What a generator returns for one prompt."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

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
