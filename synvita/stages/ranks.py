"""Training on several processes (`[train] processes = N`, `nodes = M` on Slurm): which rank this process is, the
local launch of the ranks, and the process group they train in (torch DistributedDataParallel, synvita.training.loop).

One rank is one `python -m synvita.stages RUN_DIR` process. It learns its place from the environment:

* `RANK`, `WORLD_SIZE`, `LOCAL_RANK` (with `MASTER_ADDR`, `MASTER_PORT`): set by `launch_local` below, and by
  `torchrun` for a user who starts the ranks with it;
* `SLURM_PROCID`, `SLURM_NTASKS`, `SLURM_LOCALID` inside an `srun` step: the batch script (synvita.runs.executors)
  starts `train.nodes × train.processes` tasks with `srun` and exports `MASTER_ADDR` (the first host of the job's
  nodes) and `MASTER_PORT`.

Without either, a stage that asks for more than one process is started by `python -m synvita.stages` as a launcher:
`launch_local` spawns the ranks on this machine (multiprocessing spawn, in the stage's own process group, so that
cancelling the run or losing its worker ends every rank, synvita.stages.lifeline), waits for them, and when one fails
ends the others and fails with that rank's error line. Only rank 0 writes events, checkpoints and results.
"""

from __future__ import annotations

import contextlib
import gc
import multiprocessing
import os
import signal
import socket
import sys
import time
from dataclasses import dataclass
from typing import Any, Callable, Iterator

from synvita.errors import StageError, UserInputError

DISTRIBUTED_STAGES = ("pretrain", "train")
"""The stages `[train] processes` spreads over several processes."""

COLLECTIVE_TIMEOUT_S = 1800
"""How long a rank waits in a collective (gradient all-reduce, barrier) before it fails: a rank that hangs ends
the run instead of holding the others forever. Long enough for rank 0 to write a large checkpoint."""

END_GRACE_S = 5.0
"""How long the ranks left get to exit after SIGTERM, once one has failed, before they are killed."""


class RankFailed(StageError):
    """One of several ranks failed; the message names it: "rank R of W failed: <its error line>"."""


@dataclass(frozen=True)
class Ranks:
    """This process's place among the ranks of one stage."""

    rank: int = 0
    world: int = 1
    local_rank: int = 0

    @property
    def main(self) -> bool:
        """Rank 0: the one rank that writes events, checkpoints and results."""
        return self.rank == 0


def stage_world(stage: str, config: dict[str, Any]) -> tuple[int, int]:
    """(processes per node, nodes) the run of `stage` trains on; (1, 1) for a stage that does not train."""
    if stage not in DISTRIBUTED_STAGES:
        return 1, 1
    train = dict(config.get("train") or {})
    return int(train.get("processes") or 1), int(train.get("nodes") or 1)


def ranks_from_env(world: int, env: dict[str, str] | None = None) -> Ranks | None:
    """This process's ranks when a launcher (launch_local, torchrun or srun) started it as one of `world`; None
    when nothing did (this process is to launch them). A launcher that started another number of processes than
    the run asks for is refused with one line."""
    env = dict(os.environ if env is None else env)
    if "RANK" in env and "WORLD_SIZE" in env:
        found = Ranks(int(env["RANK"]), int(env["WORLD_SIZE"]), int(env.get("LOCAL_RANK", env["RANK"])))
        source = "the launcher"
    elif "SLURM_STEP_ID" in env and "SLURM_PROCID" in env and int(env.get("SLURM_NTASKS", "1")) > 1:
        found = Ranks(int(env["SLURM_PROCID"]), int(env["SLURM_NTASKS"]), int(env.get("SLURM_LOCALID", "0")))
        source = "srun"
    else:
        return None
    if found.world != world:
        raise UserInputError(f"{source} started {found.world} processes but train.processes × train.nodes = {world}",
                             hint="start the stage with synvita (it launches the ranks), or as many processes as the run asks for")
    return found


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _rank_main(local_rank: int, world: int, port: int, target: Callable[..., Any], args: tuple, errors: Any) -> None:
    """One locally launched rank (a spawned process): `target(*args)`, with its error line sent to the launcher."""
    from synvita import preemption
    from synvita.stages import lifeline

    os.environ.update(RANK=str(local_rank), WORLD_SIZE=str(world), LOCAL_RANK=str(local_rank),
                      MASTER_ADDR="127.0.0.1", MASTER_PORT=str(port))
    lifeline.install()  # exits once the launcher is gone
    preemption.install()
    signal.signal(signal.SIGTERM, signal.SIG_DFL)  # locally SIGTERM ends a rank at once, as it ends the stage
    try:
        target(*args)
    except preemption.Preempted as stopped:
        sys.exit(stopped.exit_code)
    except BaseException as exc:
        errors.put(exc.what if isinstance(exc, RankFailed) else f"rank {local_rank} of {world} failed: {_one_line(exc)}")
        raise


def _one_line(exc: BaseException) -> str:
    """`Name: message` of an exception, as the last line of its traceback says it (one line)."""
    text = str(getattr(exc, "what", None) or exc).strip()
    return f"{type(exc).__name__}: {text.splitlines()[0]}" if text else type(exc).__name__


def launch_local(target: Callable[..., Any], args: tuple, processes: int, nodes: int = 1) -> int:
    """Run `target(*args)` (the stage: `execute(run_dir)`) as `processes` ranks on this machine, each finding its
    place with `ranks_from_env`; the exit status of the stage (0, or PREEMPTED_EXIT when the ranks stopped for it).

    A rank that fails (an exception, an exit status other than 0, a signal) ends the others at once (SIGTERM, then
    SIGKILL after END_GRACE_S) and the launch fails with a StageError naming that rank and its error line. Ranks
    that stop for preemption (PREEMPTED_EXIT) are all waited for, so that rank 0 finishes its checkpoint."""
    from synvita import preemption

    if nodes > 1:
        raise UserInputError(f"train.nodes = {nodes} needs Slurm: locally the ranks run on one machine",
                             hint="run with --executor slurm, or set train.nodes = 1")
    context = multiprocessing.get_context("spawn")
    errors = context.SimpleQueue()
    port = _free_port()
    threads = max(1, int(os.environ.get("OMP_NUM_THREADS") or os.cpu_count() or 1) // processes)
    saved = {var: os.environ.get(var) for var in ("OMP_NUM_THREADS", "MKL_NUM_THREADS")}
    os.environ.update(OMP_NUM_THREADS=str(threads), MKL_NUM_THREADS=str(threads))  # the cores shared by the ranks
    try:
        ranks = [context.Process(target=_rank_main, args=(r, processes, port, target, args, errors), name=f"rank-{r}")
                 for r in range(processes)]
        for proc in ranks:
            proc.start()
    finally:
        for var, value in saved.items():
            os.environ.pop(var) if value is None else os.environ.__setitem__(var, value)
    with preemption.checkpointing():  # Slurm's warning reaches the ranks (preemption passes it on), not this loop
        failed = _wait(ranks)
    if failed is None:
        codes = {proc.exitcode for proc in ranks}
        return preemption.PREEMPTED_EXIT if preemption.PREEMPTED_EXIT in codes else 0
    _end(ranks)
    rank, code = ranks.index(failed), failed.exitcode
    reported = []
    while not errors.empty():
        reported.append(errors.get())
    line = next((r for r in reported if r.startswith(f"rank {rank} of")), None)
    why = f"killed by signal {-code} ({signal.Signals(-code).name})" if code < 0 else f"exited with code {code}"
    raise RankFailed(line or f"rank {rank} of {processes} failed: {why}",
                     hint="the other ranks were stopped; its traceback is in the run's stderr.log")


def _wait(ranks: list[multiprocessing.process.BaseProcess]) -> multiprocessing.process.BaseProcess | None:
    """Wait until every rank has exited; the first that failed (None when all exited 0 or for preemption)."""
    from multiprocessing.connection import wait

    from synvita.preemption import PREEMPTED_EXIT

    running = {proc.sentinel: proc for proc in ranks}
    while running:
        for sentinel in wait(list(running), timeout=1.0):
            proc = running.pop(sentinel)
            proc.join()
            if proc.exitcode not in (0, PREEMPTED_EXIT):
                return proc
    return None


def _end(ranks: list[multiprocessing.process.BaseProcess]) -> None:
    for proc in ranks:
        if proc.is_alive():
            proc.terminate()
    deadline = time.monotonic() + END_GRACE_S
    for proc in ranks:
        proc.join(max(0.0, deadline - time.monotonic()))
        if proc.is_alive():
            proc.kill()
            proc.join()


LOST_PEER_GRACE_S = 3.0
"""How long a rank whose collective failed because another rank is gone waits before it fails too: srun or the
local launcher ends it meanwhile, so the last error line of the run is the one of the rank that failed first."""


@contextlib.contextmanager
def failing_rank(ranks: Ranks) -> Iterator[None]:
    """An exception in one of several ranks becomes one line naming the rank: StageError("rank R of W failed: ...")."""
    if ranks.world == 1:
        yield
        return
    try:
        yield
    except Exception as exc:
        import torch.distributed as dist

        if isinstance(exc, dist.DistBackendError):  # a peer is gone; its own error is the run's
            time.sleep(LOST_PEER_GRACE_S)
        raise RankFailed(f"rank {ranks.rank} of {ranks.world} failed: {_one_line(exc)}") from exc


@contextlib.contextmanager
def process_group(ranks: Ranks, device: str) -> Iterator[None]:
    """The torch process group of the ranks, for the block: NCCL for CUDA tensors and gloo for CPU ones where the
    train device is CUDA (device "auto" on a GPU node; each rank on GPU LOCAL_RANK), gloo alone on CPU. Every
    collective fails after COLLECTIVE_TIMEOUT_S. Nothing for a single process."""
    if ranks.world == 1:
        yield
        return
    from datetime import timedelta

    import torch
    import torch.distributed as dist

    from synvita.hub import pick_device

    cuda = pick_device(device).startswith("cuda")
    if cuda:
        torch.cuda.set_device(ranks.local_rank)
    dist.init_process_group("cpu:gloo,cuda:nccl" if cuda else "gloo", init_method="env://", rank=ranks.rank,
                            world_size=ranks.world, timeout=timedelta(seconds=COLLECTIVE_TIMEOUT_S))
    try:
        yield
    finally:
        # A DistributedDataParallel module is left in reference cycles when the code that made it returns (`train`
        # does), and it holds the group: destroyed only later, at the interpreter's exit, it makes gloo abort the
        # rank (SIGABRT, "terminate called without an active exception") after a run that trained to the end.
        gc.collect()
        dist.destroy_process_group()
