"""The embedded `tiny` alignment model: trains on 2 CPU cores in minutes and can see motion and order.

    config.py     TinyConfig: every architecture key, its default and its check (torch-free)
    text.py       word-level tokenizer over the world's vocabulary, text embedding with an n-gram convolution
    encoders.py   video → tokens: parameter-free object tracks (default) or a space-time CNN
    grounding.py  words find tracks by their look and read their motion; the time-free content score
    readout.py    the "and" readout: time can lower f by at most cls_nats
    model.py      TinyAlignmentModel, built from a TinyConfig

Importing this package (and `config`) does not import torch; `TinyAlignmentModel` loads the model on first use.
"""

from __future__ import annotations

from typing import Any

from synvita.models.tiny.config import TINY_CONFIG_KEYS, TinyConfig, tiny_config_problems

__all__ = ["TINY_CONFIG_KEYS", "TinyAlignmentModel", "TinyConfig", "tiny_config_problems"]


def __getattr__(name: str) -> Any:
    if name == "TinyAlignmentModel":  # the registry entry "synvita.models.tiny:TinyAlignmentModel"
        from synvita.models.tiny.model import TinyAlignmentModel

        return TinyAlignmentModel
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
