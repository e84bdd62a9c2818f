"""The [train] settings that depend on one another (micro-batches, schedule, device, precision), checked without
torch at submission and resolved once for the loop.

A step's `batch_size` real pairs may be split into micro-batches (GPU memory): `micro_batch` pairs per pass, or
`grad_accum` passes per step; with both set they must multiply to `batch_size`, as in HF Trainer (per-device batch ×
gradient-accumulation steps = effective batch). With several processes (`processes × nodes`, DistributedDataParallel)
`batch_size` is still the global batch: each process takes its share and splits that into its micro-batches.
"""

from __future__ import annotations

import math
import re
from typing import Any

from synvita.errors import UserInputError

SCHEDULES = ("cosine", "linear", "constant")
PRECISIONS = ("auto", "bf16", "fp16", "fp32")
DEVICE_PATTERN = re.compile(r"^(auto|cpu|cuda(:\d+)?)$")


def world_size(section: Any) -> int:
    """The processes a train run trains on: processes per node × nodes."""
    return int(section.processes) * int(section.nodes)


def micro_batches(section: Any) -> int:
    """How many forward/backward passes one optimiser step makes on each process (1 = its share at once)."""
    if section.micro_batch is not None:
        return max(1, math.ceil(section.batch_size / (world_size(section) * section.micro_batch)))
    return max(1, int(section.grad_accum))


def check_train_section(section: Any) -> None:
    """One-line `UserInputError` for [train] values that do not fit together (the ranges of single keys are
    checked with the other sections' in synvita.specs)."""
    if section.schedule not in SCHEDULES:
        raise UserInputError(f"train.schedule '{section.schedule}' is not one of {', '.join(SCHEDULES)}",
                             hint='the paper\'s Video-LLaVA runs use schedule = "cosine"')
    if section.precision not in PRECISIONS:
        raise UserInputError(f"train.precision '{section.precision}' is not one of {', '.join(PRECISIONS)}",
                             hint="bf16 on GPUs that have it (A100, H100), else fp16 or fp32")
    if not DEVICE_PATTERN.match(str(section.device)):
        raise UserInputError(f"train.device '{section.device}' is not auto, cpu, cuda or cuda:N",
                             hint="e.g. --set train.device=cuda")
    world = world_size(section)
    if world > 1 and section.device not in ("auto", "cpu", "cuda"):
        raise UserInputError(f"train.device = {section.device} names one GPU but train.processes × train.nodes = {world}",
                             hint="use device = auto or cuda: each process takes the GPU of its local rank")
    per_process = f" × {world} processes" if world > 1 else ""
    if section.micro_batch is not None:
        if section.micro_batch * world > section.batch_size:
            raise UserInputError(f"train.micro_batch = {section.micro_batch}{per_process} is larger than "
                                 f"train.batch_size = {section.batch_size}", hint="a micro-batch is a part of one step's batch")
        if section.grad_accum != 1 and section.micro_batch * section.grad_accum * world != section.batch_size:
            raise UserInputError(
                f"train.micro_batch × train.grad_accum = {section.micro_batch} × {section.grad_accum}{per_process} is "
                f"not train.batch_size = {section.batch_size}",
                hint="set two of the three (batch_size = micro_batch × grad_accum × processes), e.g. batch_size = 16, micro_batch = 4",
            )
    elif section.grad_accum * world > section.batch_size:
        raise UserInputError(f"train.grad_accum = {section.grad_accum}{per_process} is larger than train.batch_size = "
                             f"{section.batch_size}", hint="each micro-batch of each process needs at least one pair")
    if section.warmup_steps is not None and section.epochs is None and section.warmup_steps > section.steps:
        raise UserInputError(f"train.warmup_steps = {section.warmup_steps} is more than train.steps = {section.steps}",
                             hint="the warm-up is part of the steps")
