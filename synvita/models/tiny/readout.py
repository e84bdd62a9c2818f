"""The "and" readout of the `tiny` model: what a clip shows must match what the caption names, and time may only
lower f by a bounded amount.

f = σ(content + b) · (ε + (1 − ε)·σ(margin)), ε = e^−cls_nats, where content is the grounding's time-free score and
margin the [CLS] head's Yes − No. The [CLS] path (time, relations, counts: everything the looks alone cannot tell)
can lower log f by at most cls_nats, so a clip whose time is wrong (shuffled, static) still ranks captions by what
they name, while a wrong look lowers f without bound. With the margin simply added to the content score (readout
"sum") the [CLS] path pushed every caption of a shuffled clip to "No" by amounts that varied from clip to clip
(docs/temporal.md).
"""

from __future__ import annotations

import math
from typing import NamedTuple

import torch
from torch import nn


class AndReadoutOutput(NamedTuple):
    logits: torch.Tensor
    """Yes/No logits [S, 2]: (log f, log(1 − f))."""
    log_content: torch.Tensor
    """[S] log σ(content + b): the time-free factor of f."""
    log_cls: torch.Tensor
    """[S] log(ε + (1 − ε)·σ(margin)) ∈ [−cls_nats, 0]: the [CLS] factor of f."""


class AndReadout(nn.Module):
    """(content score [S], [CLS] Yes/No logits [S, 2]) → `AndReadoutOutput`; log f is the sum of its two factors."""

    def __init__(self, cls_nats: float) -> None:
        super().__init__()
        self.cls_nats = cls_nats
        self.content_bias = nn.Parameter(torch.zeros(1))

    def forward(self, content: torch.Tensor, cls_logits: torch.Tensor) -> AndReadoutOutput:
        log_eps = -self.cls_nats
        margin = cls_logits[:, 0] - cls_logits[:, 1]  # [S]
        log_content = nn.functional.logsigmoid(content + self.content_bias)  # [S]
        log_cls = torch.logaddexp(torch.full_like(content, log_eps),
                                  math.log1p(-math.exp(log_eps)) + nn.functional.logsigmoid(margin))  # [S], ≥ log ε
        log_f = (log_content + log_cls).clamp_max(-1e-6)  # [S]; f < 1 so that log(1 − f) is finite
        log_not = torch.where(log_f > -math.log(2), torch.log(-torch.expm1(log_f)), torch.log1p(-torch.exp(log_f)))
        return AndReadoutOutput(torch.stack([log_f, log_not], -1), log_content, log_cls)
