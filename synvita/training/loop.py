"""The fine-tuning loop for every training variant, top to bottom (nanoGPT style).

One step:
  1. draw `batch_size` real pairs (stateless: the draw depends only on (seed, step), so a resumed run sees
     exactly the batches an uninterrupted run would);
  2. expand each pair into its real rows (c = tʳ → Yes, c = tˢ → No) and, per variant, the synthetic rows and
     the shared-semantic copies, in the order [(Vʳ,c), (Vʳ,c′), (Vˢ,c), (Vˢ,c′)] (synvita.method's batch builder);
  3. encode every distinct video once, run the fusion for all sequences;
  4. loss = loss_real + Σ ω·loss_synth (CE normalised by all CE label tokens) + λ·loss_scr (synvita.method);
  5. AdamW step with warm-up + cosine (or linear, or constant); every `checkpoint_every` steps an atomic
     checkpoint (model, optimiser, step, RNG state). The schedule and the data position are functions of the step,
     so the checkpoint holds everything a resumed run needs to continue bit for bit. On Slurm's warning signal
     (synvita.preemption) the loop writes the checkpoint after the step it is in and raises `Preempted` (a stage
     that checkpoints runs it inside `synvita.preemption.checkpointing()`).

Steps 3-4 run on `device` under `precision` (torch.autocast; fp16 with a gradient scaler), once per micro-batch
when a step's rows are split (`grad_accum`): each micro-batch's loss is divided by their number and the gradients
add up before the one optimiser step, as in HF Trainer. With `max_frames`, clips are read as that many evenly
spaced frames.

In a process group (`[train] processes`, synvita.stages.ranks) every rank draws the same pairs and rows and trains on
its share of them, in DistributedDataParallel, each loss term weighted by the rank's share of the global batch
(synvita.training.distributed): the losses, gradients and logged values are those of one process on the whole batch.
Only rank 0 writes the checkpoint; a warning signal stops every rank after the same step.
"""

from __future__ import annotations

import contextlib
import math
import os
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Callable

import numpy as np
import torch

from synvita import preemption
from synvita.config import TrainSection
from synvita.data.types import PairSet
from synvita.errors import StageError, UserInputError
from synvita.method.batch import RealRows, build_sequence_batch, rows_from_pairs
from synvita.method.losses import scr_from_scores, weighted_cross_entropy
from synvita.models.base import AlignmentModel, VideoInputCache, as_video_tensor, concat_inputs, f_from_logits
from synvita.training.variants import get_variant

CHECKPOINT = "checkpoint.pt"


@dataclass
class TrainConfig:
    """Everything one fine-tuning run needs. The keys a spec can set come from `[train]` (`TrainSection`), whose
    defaults are reused here; the rest are loop mechanics."""

    variant: str = "none"
    steps: int = TrainSection.steps
    batch_size: int = TrainSection.batch_size
    """Real pairs per step; each gives two real rows, and each row up to 4 sequences."""
    lr: float = TrainSection.lr
    weight_decay: float = TrainSection.weight_decay
    warmup_frac: float = 0.05
    """Warm-up length as a share of the steps, where `warmup_steps` is None."""
    warmup_steps: int | None = TrainSection.warmup_steps
    schedule: str = TrainSection.schedule
    device: str = TrainSection.device
    precision: str = TrainSection.precision
    grad_accum: int = TrainSection.grad_accum
    """Micro-batches per step (the step's rows split evenly; see synvita.training.settings.micro_batches)."""
    max_frames: int | None = TrainSection.max_frames
    grad_clip: float = 1.0
    lambda_scr: float = TrainSection.lambda_scr
    margin: float = TrainSection.margin
    seed: int = 0
    checkpoint_every: int = 250
    log_every: int = 10
    extra_negatives: bool = TrainSection.extra_negatives
    """Caption-derived extra 'No' rows on real videos (flipped order, opposite relation/direction; WORLD-NOTES)."""
    extra_per_pair: int = 1
    """Extra negatives drawn per pair and step from its candidates (0 = all of them)."""
    cache_video_inputs: bool = True
    """Keep each video's parameter-free inputs (the tiny model's object tracks) after the first step that reads it;
    the results are the same either way."""
    broken_time: float = TrainSection.broken_time
    """Share of each step's drawn pairs whose real video is shown again with its time broken (frames shuffled, or
    one frame repeated) under its positive caption, label No. Valid where every caption names a change over time, as
    in the embedded world (every action moves, resizes, appears or disappears); 0 = off, the paper's recipe."""

    @classmethod
    def from_section(cls, section: TrainSection, *, variant: str, seed: int, n_pairs: int) -> "TrainConfig":
        """The loop settings of one run of `variant` from the spec's [train] section (`n_pairs` real training pairs,
        which turn `epochs` into steps)."""
        from synvita.training.settings import micro_batches

        steps = section.steps
        if section.epochs is not None:
            steps = max(1, int(round(section.epochs * n_pairs / section.batch_size)))
        return cls(
            variant=variant, steps=steps, batch_size=section.batch_size, lr=section.lr,
            lambda_scr=section.lambda_scr, margin=section.margin, seed=seed,
            extra_negatives=section.extra_negatives, broken_time=section.broken_time,
            log_every=max(1, steps // 50), weight_decay=section.weight_decay, warmup_steps=section.warmup_steps,
            schedule=section.schedule, device=section.device, precision=section.precision,
            grad_accum=micro_batches(section), max_frames=section.max_frames,
        )


@dataclass
class TrainData:
    """Everything the loop reads. Frames may be memmaps; only the rows of a step are read."""

    real_frames: np.ndarray
    """uint8 [N, T, H, W, 3]; `pairs.video` indexes it."""
    pairs: PairSet
    """`pairs.weight` is ω per pair by the variant's rule (see variants.compute_weights); None → 1."""
    syn_frames: np.ndarray | None = None
    """uint8 [M, T, H, W, 3]; `pairs.syn_video` indexes it (-1 = no synthetic video for that pair)."""
    extra_negatives: list[list[str]] | None = None
    """Per pair: extra contrast captions of the real video (label No); used when config.extra_negatives."""


@dataclass
class TrainResult:
    steps: int
    seconds: float
    last: dict[str, float] = field(default_factory=dict)
    sequences: int = 0
    """Sequences (forward passes through the fusion) processed in this call."""


StepCallback = Callable[[int, dict], None]


def lr_at(step: int, cfg: TrainConfig) -> float:
    """The learning rate of `step`: linear warm-up to `lr`, then cosine or linear decay to 0, or constant."""
    warm = max(1, int(cfg.warmup_frac * cfg.steps)) if cfg.warmup_steps is None else cfg.warmup_steps
    if step < warm:
        return cfg.lr * (step + 1) / warm
    progress = min(1.0, (step - warm) / max(1, cfg.steps - warm))
    if cfg.schedule == "constant":
        return cfg.lr
    if cfg.schedule == "linear":
        return cfg.lr * (1.0 - progress)
    return cfg.lr * 0.5 * (1.0 + math.cos(math.pi * progress))


class EvenFrames:
    """A bank of clips [N, T, H, W, 3] seen as `count` evenly spaced frames each (np.linspace, as Video-LLaVA's
    loader); indexing reads only those frames (a memmap stays on disk otherwise)."""

    def __init__(self, frames: np.ndarray, count: int) -> None:
        self.frames = frames
        self.frame_index = np.linspace(0, frames.shape[1] - 1, count, dtype=int)
        self.shape = (frames.shape[0], count, *frames.shape[2:])
        self.dtype = frames.dtype

    def __len__(self) -> int:
        return self.shape[0]

    def __getitem__(self, rows) -> np.ndarray:
        rows = np.asarray(rows)
        if rows.ndim == 0:
            return np.asarray(self.frames[int(rows)][self.frame_index])
        return np.asarray(self.frames[rows[:, None], self.frame_index[None, :]])


def _fewer_frames(data: TrainData, max_frames: int | None) -> TrainData:
    """`data` with its clips read as `max_frames` evenly spaced frames, when they are longer."""
    from dataclasses import replace

    if max_frames is None or data.real_frames.shape[1] <= max_frames:
        return data
    syn = data.syn_frames
    return replace(data, real_frames=EvenFrames(data.real_frames, max_frames),
                   syn_frames=None if syn is None or syn.shape[1] <= max_frames else EvenFrames(syn, max_frames))


def _precision(cfg: TrainConfig, device: torch.device) -> torch.dtype | None:
    """The autocast dtype (None: plain fp32)."""
    name = cfg.precision
    if name == "auto":
        name = "bf16" if device.type == "cuda" else "fp32"
    return {"bf16": torch.bfloat16, "fp16": torch.float16}.get(name)


def _device(cfg: TrainConfig) -> torch.device:
    from synvita.hub import pick_device

    device = torch.device(pick_device(cfg.device))
    if device.type == "cuda" and not torch.cuda.is_available():
        raise UserInputError(f"train.device = {cfg.device} but no CUDA GPU is visible",
                             hint="use train.device = auto or cpu, or run on a GPU node")
    return device


def _micro_parts(rows: RealRows, n_pair_rows: int, parts: int) -> list[RealRows]:
    """The step's rows in `parts` micro-batches: the pairs' rows (two per pair, kept together) and the unpaired
    extra rows each spread evenly."""
    if parts <= 1:
        return [rows]
    pair_groups = np.array_split(np.arange(n_pair_rows // 2), parts)
    extra_groups = np.array_split(np.arange(n_pair_rows, len(rows)), parts)
    out = []
    for pairs, extra in zip(pair_groups, extra_groups):
        index = np.concatenate([np.stack([2 * pairs, 2 * pairs + 1], 1).reshape(-1), extra])
        if len(index):
            out.append(rows.take(index))
    return out


def draw_pairs(seed: int, step: int, n_pairs: int, batch_size: int) -> np.ndarray:
    """The pairs of one step; depends only on (seed, step)."""
    rng = np.random.default_rng([seed, step])
    return rng.choice(n_pairs, size=min(batch_size, n_pairs), replace=False)


def _gather(frames: np.ndarray, index: np.ndarray) -> torch.Tensor:
    order = np.argsort(index)
    out = np.empty((len(index),) + frames.shape[1:], dtype=np.uint8)
    out[order] = frames[index[order]]
    return as_video_tensor(out)


class _VideoEncoder:
    """The model's video inputs (`AlignmentModel.video_inputs`) of a step's real (and broken-time) or synthetic
    videos, kept after the first step that reads them where the model has parameter-free ones (VideoInputCache)."""

    def __init__(self, model: AlignmentModel, frames: np.ndarray | None, cache: bool) -> None:
        self.model, self.frames = model, frames
        self.cache = VideoInputCache(model, frames) if cache and frames is not None and model.caches_video_inputs else None

    def inputs(self, index: np.ndarray, broken: np.ndarray | None = None) -> dict[str, torch.Tensor]:
        """index int [U], sorted; index len(frames) + j is broken-time clip j (see step_rows)."""
        if self.cache is None:
            return self.model.video_inputs(_gather_real(self.frames, broken, index))
        known = index < len(self.frames)
        parts = [self.cache.get(index[known])] if known.any() else []
        if (~known).any():  # sorted, so the broken clips come last
            parts.append(self.model.video_inputs(broken[index[~known] - len(self.frames)]))
        return concat_inputs(parts) if len(parts) > 1 else parts[0]

    def __call__(self, index: np.ndarray, broken: np.ndarray | None = None):
        return self.model.encode_inputs(self.inputs(index, broken))


def _same_layout(a: dict[str, torch.Tensor], b: dict[str, torch.Tensor]) -> bool:
    """Two groups of video inputs that concatenate along the video dimension (same keys, per-video shapes, dtypes)."""
    return a.keys() == b.keys() and all(a[k].shape[1:] == b[k].shape[1:] and a[k].dtype == b[k].dtype for k in a)


def encode_step_videos(encode_real: _VideoEncoder, encode_syn: _VideoEncoder, real_ids: np.ndarray,
                       syn_ids: np.ndarray, broken: np.ndarray | None = None) -> torch.Tensor:
    """Features of a step's distinct real videos, then its synthetic ones ([Ur + Us, ...]), in one call of the
    model's encoder when both groups' inputs have the same shapes, else one call per group."""
    real = encode_real.inputs(real_ids, broken)
    if not len(syn_ids):
        return encode_real.model.encode_inputs(real)
    syn = encode_syn.inputs(syn_ids)
    if _same_layout(real, syn):
        return encode_real.model.encode_inputs(concat_inputs([real, syn]))
    return torch.cat([encode_real.model.encode_inputs(real), encode_syn.model.encode_inputs(syn)])


def _gather_real(frames: np.ndarray, broken: np.ndarray | None, index: np.ndarray) -> torch.Tensor:
    """Real videos by index; index len(frames) + j is the step's broken-time clip j (see step_rows)."""
    if broken is None:
        return _gather(frames, index)
    n = len(frames)
    known = index < n
    out = np.empty((len(index),) + frames.shape[1:], dtype=np.uint8)
    out[known] = _gather(frames, index[known]).numpy()
    out[~known] = broken[index[~known] - n]
    return as_video_tensor(out)


def step_rows(data: TrainData, pair_ids: np.ndarray, cfg: TrainConfig, step: int = 0) -> tuple[RealRows, np.ndarray | None]:
    """The real rows of one step: two per drawn pair (tʳ → Yes, tˢ → No), then the extra caption-derived
    negatives of those pairs' real videos, then the broken-time negatives (all unpaired: no synthetic partner, no
    copy). Returns (rows, broken): a broken-time row's real_video is len(real_frames) + j, j indexing the uint8
    [J, T, H, W, 3] clips `broken` (None when there are none)."""
    rows = rows_from_pairs(data.pairs, pair_ids)
    vids, caps = [], []
    if cfg.extra_negatives and data.extra_negatives is not None:
        rng = np.random.default_rng([cfg.seed, step, 1])  # stateless, like the pair draw
        for p in pair_ids:
            candidates = data.extra_negatives[p]
            if cfg.extra_per_pair and len(candidates) > cfg.extra_per_pair:
                candidates = [candidates[i] for i in sorted(rng.choice(len(candidates), cfg.extra_per_pair, replace=False))]
            for caption in candidates:
                vids.append(int(data.pairs.video[p]))
                caps.append(caption)
    broken = None
    if cfg.broken_time > 0:
        rng = np.random.default_rng([cfg.seed, step, 2])
        chosen = pair_ids[rng.random(len(pair_ids)) < cfg.broken_time]
        if len(chosen):
            broken = break_time(data.real_frames[np.asarray(data.pairs.video)[chosen]], rng)
            vids += list(len(data.real_frames) + np.arange(len(chosen)))
            caps += [data.pairs.caption_pos[p] for p in chosen]
    if not caps:
        return rows, broken
    n = len(caps)
    return RealRows(
        real_video=np.concatenate([rows.real_video, np.asarray(vids, np.int64)]),
        real_label=np.concatenate([rows.real_label, np.zeros(n, np.int64)]),
        caption=rows.caption + caps,
        other_caption=rows.other_caption + [""] * n,
        syn_video=np.concatenate([rows.syn_video, np.full(n, -1, np.int64)]),
        omega=np.concatenate([rows.omega, np.full(n, np.nan, np.float32)]),
    ), broken


def break_time(frames: np.ndarray, rng: np.random.Generator, max_rank_corr: float = 0.5) -> np.ndarray:
    """uint8 [J, T, H, W, 3] → the same clips with time broken, half of them (by coin) with frames shuffled, the
    others one random frame repeated. A shuffle keeps a rank correlation with the true order of at most
    `max_rank_corr`, so that it is not a near-copy of the clip (which would still show its caption)."""
    frames = np.asarray(frames)
    J, T = frames.shape[:2]
    out = np.empty_like(frames)
    order = np.arange(T) - (T - 1) / 2
    for j in range(J):
        if T < 2 or rng.random() < 0.5:
            out[j] = frames[j, rng.integers(T)]  # broadcast one frame over time
            continue
        perm = rng.permutation(T)
        while (perm - (T - 1) / 2) @ order / (order @ order) > max_rank_corr:  # Spearman ρ of a permutation
            perm = rng.permutation(T)
        out[j] = frames[j, perm]
    return out


def _to(batch, dev):
    """The hinge-pair index tensors of a SequenceBatch on `dev`."""
    if dev.type == "cpu":
        return batch
    import copy

    b = copy.copy(batch)
    for name in ("real_orig", "real_copy", "syn_orig", "syn_copy", "pair_real_label", "pair_weight"):
        setattr(b, name, getattr(batch, name).to(dev))
    return b


def save_checkpoint(path: Path, model: AlignmentModel, opt: torch.optim.Optimizer, step: int, cfg: TrainConfig) -> None:
    """Atomic: write to a temporary file in the same directory, then rename."""
    payload = {
        "step": step,
        "model_name": model.name,
        "model_config": model.config,
        "model": model.state_dict(),
        "optimizer": opt.state_dict(),
        "torch_rng": torch.get_rng_state(),
        "config": asdict(cfg),
    }
    tmp = path.with_suffix(".tmp")
    torch.save(payload, tmp)
    os.replace(tmp, path)


def load_checkpoint(path: Path) -> dict:
    """The checkpoint at `path`, read with `weights_only=True`: tensors and plain containers only, so a file from
    a shared folder cannot run code when it is loaded. Anything else is refused with one line naming the file."""
    import pickle

    try:
        return torch.load(path, map_location="cpu", weights_only=True)
    except pickle.UnpicklingError as exc:
        raise StageError(
            f"checkpoint {path} holds more than tensors and plain containers and was not loaded{_refused_global(exc)}",
            hint="delete it to restart this run from step 0, or put back the file this run wrote",
        ) from None
    except (RuntimeError, EOFError, OSError) as exc:
        raise StageError(f"checkpoint {path} cannot be read ({_first_line(exc)})",
                         hint="delete it to restart this run from step 0") from None


def _refused_global(exc: BaseException) -> str:
    """The object torch's weights-only unpickler refused (its message names it on a line of its own), if any."""
    import re

    match = re.search(r"unsupported GLOBAL (\S+)", str(exc), re.IGNORECASE)
    return f" (it names {match.group(1)})" if match else ""


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return f"{type(exc).__name__}: {text.splitlines()[0]}" if text else type(exc).__name__


def _losses(model: AlignmentModel, batch, broken: np.ndarray | None, encode_real: _VideoEncoder,
            encode_syn: _VideoEncoder, variant, cfg: TrainConfig) -> dict[str, torch.Tensor]:
    """Steps 3-4 for one (micro-)batch: encode each distinct video once, score every sequence, the losses."""
    dev = model.device
    # ---- 3: encode each distinct video once; all sequences reuse the tokens ----
    real_ids, syn_ids, slot = batch.unique_videos()
    feats = encode_step_videos(encode_real, encode_syn, real_ids.numpy(), syn_ids.numpy(), broken)
    text = model.prepare_text(batch.captions, batch.shared_with)
    logits = model(feats, slot.to(dev), text)  # [S, 2]
    # ---- 4: losses (synvita.method) ----
    ce_sum, n_tok = model.sequence_ce(logits, batch.label.to(dev))
    loss_real, loss_synth = weighted_cross_entropy(
        ce_sum, n_tok, batch.is_copy.to(dev), batch.is_synthetic.to(dev), batch.weight.to(dev)
    )
    if variant.consistency and batch.n_pairs:
        loss_scr = scr_from_scores(f_from_logits(logits), _to(batch, dev), margin=cfg.margin)
    else:
        loss_scr = logits.new_zeros(())
    loss = loss_real + loss_synth + cfg.lambda_scr * loss_scr
    return {"loss_real": loss_real, "loss_synth": loss_synth, "loss_scr": loss_scr, "loss": loss}


def train(
    model: AlignmentModel,
    data: TrainData,
    cfg: TrainConfig,
    run_dir: str | Path | None = None,
    callback: StepCallback | None = None,
    stop_after: int | None = None,
) -> TrainResult:
    """Fine-tune `model` in place for `cfg.steps` steps (resuming from `run_dir/checkpoint.pt` if present).

    `callback(step, {"loss_real", "loss_synth", "loss_scr", "loss", "lr"})` is called every `log_every` steps and
    on the last one. `stop_after` ends the call early after that many steps (for tests of resumption).
    """
    variant = get_variant(cfg.variant)
    if variant.synthetic and (data.syn_frames is None or data.pairs.syn_video is None):
        raise UserInputError(f"variant '{cfg.variant}' needs synthetic videos", hint="run the generate (and score) stage first")
    if len(data.pairs) == 0:
        raise UserInputError("no training pairs", hint="check the world's train split")
    from synvita.training import distributed

    ranks = distributed.place()
    if ranks.world > 1 and min(cfg.batch_size, len(data.pairs)) < ranks.world * cfg.grad_accum:
        raise UserInputError(f"a step of {min(cfg.batch_size, len(data.pairs))} pairs cannot give each of "
                             f"{ranks.world} processes {cfg.grad_accum} micro-batch(es)",
                             hint="raise train.batch_size, or lower train.processes or train.grad_accum")
    torch.manual_seed(cfg.seed)
    device = _device(cfg)
    model.to(device)
    amp_dtype = _precision(cfg, device)
    scaler = torch.amp.GradScaler(device.type) if amp_dtype is torch.float16 else None
    data = _fewer_frames(data, cfg.max_frames)
    opt = torch.optim.AdamW(model.parameters(), lr=cfg.lr, weight_decay=cfg.weight_decay)
    start = 0
    ckpt_path = None
    if run_dir is not None:
        if ranks.rank == 0:
            Path(run_dir).mkdir(parents=True, exist_ok=True)
        ckpt_path = Path(run_dir) / CHECKPOINT
    if ckpt_path is not None and ckpt_path.exists():
        state = load_checkpoint(ckpt_path)
        model.load_state_dict(state["model"])
        opt.load_state_dict(state["optimizer"])
        torch.set_rng_state(state["torch_rng"])
        start = int(state["step"])
    model.train()
    net = distributed.wrap(model, _losses) if ranks.world > 1 else None
    encode_real = _VideoEncoder(model, data.real_frames, cfg.cache_video_inputs)
    encode_syn = _VideoEncoder(model, data.syn_frames, cfg.cache_video_inputs)
    t0 = time.perf_counter()
    n_seq = 0
    last: dict[str, float] = {}
    end = cfg.steps if stop_after is None else min(cfg.steps, start + stop_after)
    for step in range(start, end):
        # ---- 1-2: the batch: rows → [(Vʳ,c), (Vʳ,c′), (Vˢ,c), (Vˢ,c′)] per variant, in micro-batches ----
        pair_ids = draw_pairs(cfg.seed, step, len(data.pairs), cfg.batch_size)
        rows, broken = step_rows(data, pair_ids, cfg, step)
        n_pair_rows = 2 * len(pair_ids)
        if ranks.world > 1:  # this rank's share of the step's rows
            index, n_pair_rows = distributed.rank_rows(len(rows), n_pair_rows, ranks.rank, ranks.world)
            rows = rows.take(index)
        parts = _micro_parts(rows, n_pair_rows, cfg.grad_accum)
        lr = lr_at(step, cfg)
        for group in opt.param_groups:
            group["lr"] = lr
        opt.zero_grad(set_to_none=True)
        sums = dict.fromkeys(("loss_real", "loss_synth", "loss_scr", "loss"), 0.0)
        n_step = 0
        batches = [build_sequence_batch(part, include_synthetic=variant.synthetic, include_copies=variant.consistency)
                   for part in parts]
        if net is not None:
            shares = distributed.loss_shares([(int((~batch.is_copy.bool()).sum()), batch.n_pairs) for batch in batches],
                                             ranks.world)
        for i, batch in enumerate(batches):
            with torch.autocast(device.type, dtype=amp_dtype) if amp_dtype else contextlib.nullcontext():
                if net is None:
                    losses = _losses(model, batch, broken, encode_real, encode_syn, variant, cfg)
                else:  # gradients are averaged over the ranks after the step's last micro-batch only
                    with net.no_sync() if i < len(batches) - 1 else contextlib.nullcontext():
                        losses = net(batch, broken, encode_real, encode_syn, variant, cfg)
            if not math.isfinite(loss_value := losses["loss"].item()):  # stop before it reaches the weights or a checkpoint
                raise StageError(f"loss became {'NaN' if math.isnan(loss_value) else loss_value} at step {step + 1}")
            if net is None:
                loss = losses["loss"] / len(parts)
                (scaler.scale(loss) if scaler else loss).backward()
                for key, value in losses.items():
                    sums[key] += value.item() / len(parts)
            else:  # this micro-batch's part of the global batch's loss, × world for DDP's averaging
                share = shares[i]
                losses = {"loss_real": losses["loss_real"] * share.ce, "loss_synth": losses["loss_synth"] * share.ce,
                          "loss_scr": losses["loss_scr"] * share.scr}
                losses["loss"] = losses["loss_real"] + losses["loss_synth"] + cfg.lambda_scr * losses["loss_scr"]
                (scaler.scale(losses["loss"]) if scaler else losses["loss"]).backward()
                for key, value in losses.items():
                    sums[key] += value.item() / ranks.world
            n_step += len(batch)
        # ---- 5: optimiser ----
        if scaler:
            scaler.unscale_(opt)
        if cfg.grad_clip:
            torch.nn.utils.clip_grad_norm_(model.parameters(), cfg.grad_clip)
        if scaler:
            scaler.step(opt)
            scaler.update()
        else:
            opt.step()
        if net is not None:  # the global batch's values
            *totals, n_step = distributed.all_reduce_sum([*sums.values(), n_step])
            sums, n_step = dict(zip(sums, totals)), int(n_step)
        n_seq += n_step
        done = step + 1
        last = {**sums, "lr": lr}
        if callback is not None and (done % cfg.log_every == 0 or done == cfg.steps):
            callback(done, last)
        stop = preemption.requested()
        if net is not None:  # a warning any rank got stops every rank after this step
            stop = distributed.all_reduce_sum([float(stop)])[0] > 0
        if ckpt_path is not None and ranks.rank == 0 and (done % cfg.checkpoint_every == 0 or done == end or stop):
            save_checkpoint(ckpt_path, model, opt, done, cfg)
        if stop:
            raise preemption.stop(f"step {done} of {cfg.steps}")
    model.eval()
    return TrainResult(steps=end, seconds=time.perf_counter() - t0, last=last, sequences=n_seq)
