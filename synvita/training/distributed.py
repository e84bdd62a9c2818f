"""The training loop's side of several processes (synvita.stages.ranks starts them and their process group).

With a process group, every rank draws the same global batch of pairs (draw_pairs(seed, step)), builds the same rows,
and trains on its share of them (`rank_rows`); the model is wrapped in DistributedDataParallel, which averages the
ranks' gradients. So that a step means what it means on one process, each rank's losses are weighted by its share of
the global batch (`LossShares`): the cross-entropy terms by its share of the CE sequences (synvita.method.losses
normalises them by all non-copy sequences' answer tokens, one per sequence), the consistency term by its share of the
consistency pairs, times the number of ranks to undo DDP's averaging. The sum over the ranks is then the loss (and
the gradient) of one process on the whole batch.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
import torch.distributed as dist


@dataclass(frozen=True)
class Place:
    rank: int = 0
    world: int = 1


def place() -> Place:
    """This process's rank and the number of ranks (0 of 1 without a process group)."""
    if dist.is_available() and dist.is_initialized():
        return Place(dist.get_rank(), dist.get_world_size())
    return Place()


def all_reduce_sum(values: list[float]) -> list[float]:
    """The element-wise sum over the ranks of `values` (float64, on the CPU: gloo carries it)."""
    tensor = torch.tensor(values, dtype=torch.float64)
    dist.all_reduce(tensor, op=dist.ReduceOp.SUM)
    return tensor.tolist()


def rank_rows(n_rows: int, n_pair_rows: int, rank: int, world: int) -> tuple[np.ndarray, int]:
    """The rows of `rank` among the step's `n_rows` (the first `n_pair_rows` two per pair, kept together; the
    unpaired extra rows after them): (row index, its number of pair rows). Pairs and extra rows are each spread
    evenly, as the micro-batches of one process are."""
    pairs = np.array_split(np.arange(n_pair_rows // 2), world)[rank]
    extra = np.array_split(np.arange(n_pair_rows, n_rows), world)[rank]
    return np.concatenate([np.stack([2 * pairs, 2 * pairs + 1], 1).reshape(-1), extra]), 2 * len(pairs)


@dataclass(frozen=True)
class LossShares:
    """A micro-batch's weights on its own loss terms so that the ranks' sum is the global batch's loss."""

    ce: float
    scr: float


def loss_shares(counts: list[tuple[int, int]], world: int) -> list[LossShares]:
    """The shares of this rank's micro-batches from their (CE sequences, consistency pairs); one all-reduce."""
    local = np.asarray(counts, dtype=np.float64).reshape(-1, 2)
    total_ce, total_scr = all_reduce_sum(local.sum(0).tolist())
    return [LossShares(world * n_ce / max(total_ce, 1.0), world * n_scr / max(total_scr, 1.0)) for n_ce, n_scr in local]


class _StepLoss(torch.nn.Module):
    """The model with a step's loss as its forward, so that DistributedDataParallel sees every pass the loss makes
    through the model (video encoding, text, fusion) and synchronises the gradients of all of them."""

    def __init__(self, model: torch.nn.Module, losses) -> None:
        super().__init__()
        self.model = model
        self.losses = losses

    def forward(self, *args):
        return self.losses(self.model, *args)


def wrap(model: torch.nn.Module, losses) -> torch.nn.parallel.DistributedDataParallel:
    """`losses(model, *args)` as the forward of a DistributedDataParallel module (which copies rank 0's weights to
    every rank). Parameters a step leaves unused (a model part a batch does not reach) are looked for each step, so
    that such a step synchronises instead of failing. No `device_ids`: the model is on its one device already and the
    loss moves what it reads there itself."""
    return torch.nn.parallel.DistributedDataParallel(_StepLoss(model, losses), device_ids=None, find_unused_parameters=True)
