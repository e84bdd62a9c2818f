"""Typed sections of an experiment spec (torch-free). `synvita.specs` validates TOML against these dataclasses.

Each section is a dataclass whose fields are the allowed keys, with their defaults (written here and nowhere
else); field docstrings become the documentation in experiments/README.md. A spec's sections are validated into
these dataclasses at submission, serialised once into each run's `config.json`, and rebuilt by the stage
(`StageContext.section`), so every stage reads typed values with the defaults below.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class DataSection:
    source: str = "world"
    """Registered data source (synvita.registry.DATA_SOURCES) of the real videos, captions and benchmarks; its
    settings are the section named after it: world (the embedded procedural world, [world]) | videocon (the real
    VideoCon / SynViTA files, or a world written by `synvita world export`, [videocon])."""


@dataclass
class WorldSection:
    preset: str = "quickstart"
    """Registered world preset (synvita.registry.WORLD_PRESETS): quickstart | paper."""
    seed: int = 0
    """World seed: same preset + seed → byte-identical datasets."""
    overrides: dict = field(default_factory=dict)
    """Preset fields to change, e.g. {frames = 8, held_out_colours = ["purple"]} (see `synvita world presets`); checked at submission."""


@dataclass
class VideoconSection:
    root: str = ""
    """Data root (absolute, or relative to the directory synvita runs in). Every file below and every video path in
    the CSVs is relative to it; a path that leads outside it (`../`, absolute elsewhere, a symlink out) is refused."""
    train_csv: str = "videocon_llm_entailment.csv"
    """Training CSV: VideoCon pairs (videopath, caption, neg_caption[, misalignment, split]: rows with split =
    train when there is a split column) or SynViTA rows (videopath, caption, label, domain, syn_video[, alignment,
    alignment_diff]: each real video's label-1 and label-0 rows make a pair)."""
    pretrain_csv: str = ""
    """Entailment CSV (videopath, caption, label) the embedded scorers pretrain on; "": the training pairs."""
    llm_test_csv: str = "final_videocon_llm_test.csv"
    """VideoCon LLM test (videopath, caption, label): entail-llm. "": not available."""
    human_csv: str = "final_videocon_human.csv"
    """VideoCon Human (videopath, caption, label, hard): entail-human and entail-human-hard. "": not available."""
    ssv2_temporal_csv: str = "eval_ssv2_temporal.csv"
    """SSv2-Temporal (videopath, caption, match): retrieval-temporal. "": not available."""
    ssv2_events_csv: str = "eval_ssv2_events.csv"
    """SSv2-Events (videopath, caption, match): retrieval-events. "": not available."""
    atp_hard_csv: str = "eval-nextqa-atphard.csv"
    """ATP-Hard statements (videopath, question, answer, option, caption): qa-hard. "": not available."""
    atp_types_csv: str = "nextqa-atphard.csv"
    """ATP-Hard question types (video, question, type; C… causal, T… temporal). "": no types."""
    ssv2_temporal_videos: int | None = None
    """Keep only SSv2-Temporal captions with exactly this many rows (calc_ssv2.py's --vid_per_caption; 216 for
    the real set). Omitted: every caption (all must rank the same videos)."""
    ssv2_events_videos: int | None = None
    """The same for SSv2-Events (588 for the real set)."""
    frames: int = 8
    """Frames kept per video in the decoded-frame cache (evenly spaced over the clip); each model samples its own
    frames from these."""
    height: int = 224
    """Height of the cached frames in pixels (area resize)."""
    width: int = 224
    """Width of the cached frames in pixels (area resize)."""


@dataclass
class GenerationSection:
    generators: list[str] = field(default_factory=lambda: ["procedural"])
    """Registered generators to make synthetic videos with (one generate run per generator)."""
    profile: str = "default"
    """Noise profile of the procedural generator (default | clean | cogvideox-like | lavie-like | videocrafter2-like)."""
    model_path: str | None = None
    """Local weights directory (or HF cache id) for diffusers generators; unused by `procedural`."""
    videos_dir: str | None = None
    """For the `folder` generator: directory (with manifest.csv) of videos generated elsewhere."""
    shards: int = 1
    """Generation shards: one Slurm array task (or, locally, one process) renders each shard's videos; the set is
    the same for any number of shards. Each shard skips the videos it has already written (a retry resumes)."""
    shard_parallel: int | None = None
    """Shards running at once (the `%K` of the Slurm array, the processes at once locally); omitted: all of them."""
    shard_retries: int = 1
    """Times a failed shard is started again on its own before the run fails."""
    failure: dict = field(default_factory=dict)
    """procedural only: per-type failure-rate overrides, e.g. {flip = 0.0, hallucination = 0.2}."""
    look: dict = field(default_factory=dict)
    """procedural only: synthetic-look overrides, e.g. {strength = 0.8, blur = 0.0} (keys of SyntheticLook)."""
    device: str = "auto"
    """cogvideox/diffusers: auto (CUDA when a GPU is visible, else CPU) | cpu | cuda | cuda:N."""
    dtype: str = "auto"
    """cogvideox/diffusers: auto (bf16 on CUDA, fp32 on CPU) | fp32 | bf16 | fp16."""
    num_frames: int | None = None
    """cogvideox/diffusers/folder: frames per generated video (omitted: the generator's default, 49 for CogVideoX); conformed to world.frames afterwards."""
    height: int | None = None
    """cogvideox/diffusers/folder: generated height in pixels (omitted: the generator's default, 480 for CogVideoX)."""
    width: int | None = None
    """cogvideox/diffusers/folder: generated width in pixels (omitted: the generator's default, 720 for CogVideoX)."""
    steps: int | None = None
    """cogvideox/diffusers: denoising (inference) steps (omitted: the generator's default, 50 for CogVideoX)."""
    guidance: float | None = None
    """cogvideox/diffusers: classifier-free guidance scale (omitted: the generator's default, 6 for CogVideoX)."""
    batch_size: int = 1
    """cogvideox/diffusers: prompts per pipeline call (1 reproduces `generate_to_dir` exactly; more is not bit-identical:
    batched kernels round differently, ±1 in the frames of the tests' fp32 model, more once encoded as lossy mp4)."""
    options: dict = field(default_factory=dict)
    """Other generator constructor options as they are, e.g. {cpu_offload = true, fps = 8, call_kwargs = {max_sequence_length = 226}}."""


@dataclass
class ScorersSection:
    name: str = "ensemble"
    """Registered scorer for ω: ensemble (K tiny models trained on the pretrain corpus) | vqascore (the video-LLMs of
    `paths`, no pretraining) | oracle (ground truth; analysis only)."""
    members: int = 2
    """K, the number of independently seeded scorers averaged into f̄."""
    paths: list[str] = field(default_factory=list)
    """For `vqascore`: the K video-LLM weight directories (or cached hub ids) whose Yes-probabilities are averaged;
    checked at submission."""
    steps: int = 1200
    """Pretraining steps per scorer on the world's pretrain corpus (member 0 is also the fine-tuning init)."""
    lr: float = 1e-3
    """Pretraining learning rate (AdamW, warm-up + cosine); 0 < lr ≤ 1."""
    batch_size: int = 32
    """Pretraining pairs (video, positive, negative) per step."""
    extra_negatives: bool = True
    """Add caption-derived hard negatives (flipped order, opposite relation, reversed actions) in pretraining."""
    broken_time: float = 0.5
    """Share of each step's pairs whose real video is shown again with its time broken (frames shuffled, or one
    frame repeated) under its positive caption, as a No: every action of the world is a change over time. 0 = off."""


@dataclass
class ModelSection:
    name: str = "tiny"
    """Registered alignment model: tiny | videollm."""
    path: str | None = None
    """videollm: the base model's weights, a local directory or a repo id in the HF cache (checked at submission);
    the train stage fine-tunes LoRA on it, with no pretrain run. tiny starts from the pretrain run's checkpoint."""
    config: dict = field(default_factory=dict)
    """Architecture overrides for the model. tiny: any field of `TinyConfig` (synvita/models/tiny/config.py, where
    each key has its default and meaning), e.g. {encoder = "conv"} or {grounding = false}."""


VARIANTS: dict[str, str] = {
    "none": "real data only (the VideoCon recipe); needs no generation or scoring",
    "naive": "real + synthetic videos, ω = 1, no consistency term",
    "weighting": "real + synthetic, CE weighted by ω, no consistency term",
    "consistency": "real + synthetic, ω = 1, with the semantic-consistency term",
    "synvita": "real + synthetic, ω-weighted CE and ω-weighted consistency term (the full method)",
    "omega-one": "weight ablation: fixed ω = 1 (with the consistency term)",
    "omega-target": "weight ablation: ω = f̄(Vˢ,tˢ)",
    "omega-diff": "weight ablation: ω = max(0, f̄(Vˢ,tˢ) − f̄(Vˢ,tʳ)) (same rule as synvita)",
}
"""Training variants (name → summary), the fixed list the training code implements. Every variant except `none`
uses synthetic videos, so it depends on the generate and score runs of its generator."""


@dataclass
class TrainSection:
    variants: list[str] = field(default_factory=lambda: ["none", "naive", "synvita"])
    """Training variants: none | naive | weighting | consistency | synvita | omega-one | omega-target | omega-diff."""
    synthetic_types: list[str] = field(default_factory=list)
    """Misalignment types whose synthetic videos enter training (the other pairs train on their real videos
    alone); [] = every type. The per-type runs set it to one type each."""
    per_type: list[str] = field(default_factory=list)
    """Misalignment types that each get one more train run per seed (and generator) of `per_type_variant`, trained
    with that type's synthetic videos alone, i.e. `synthetic_types = [type]` (the paper's Table 2); [] = none."""
    per_type_variant: str = "naive"
    """The variant of the per-type runs (one that uses synthetic videos)."""
    lambda_scr: float = 1.0
    """λ, weight of the semantic-consistency loss."""
    margin: float = 0.2
    """γ, the hinge margin."""
    lr: float = 1e-3
    """Peak learning rate (AdamW, reached after `warmup_steps`, then `schedule`); 0 < lr ≤ 1."""
    steps: int = 1000
    """Optimisation steps (ignored when `epochs` is set)."""
    epochs: float | None = None
    """Epochs over the real training pairs; when set, steps = round(epochs × pairs / batch_size)."""
    batch_size: int = 32
    """Real items per step (each expands to up to 4 sequences with synthetic data)."""
    extra_negatives: bool = True
    """Add caption-derived hard negatives of the real videos (flipped order, opposite relation, reversed actions)."""
    broken_time: float = 0.25
    """Share of each step's real pairs whose video is shown again with its time broken (frames shuffled, or one
    frame repeated) under its positive caption, as a No: every action of the embedded world is a change over time.
    0 = off, the paper's recipe and the right setting for real data, where a still scene shuffled may still entail
    its caption (docs/temporal.md)."""
    weight_decay: float = 0.01
    """AdamW weight decay (the paper's Video-LLaVA runs: 1e-4)."""
    warmup_steps: int | None = None
    """Linear warm-up steps from 0 to `lr` (omitted: 5% of the steps; the paper: 200)."""
    schedule: str = "cosine"
    """Learning rate after the warm-up: cosine (decay to 0, the paper's Video-LLaVA runs) | linear (to 0, HF
    Trainer's default) | constant."""
    device: str = "auto"
    """Where the model trains and is evaluated: auto (CUDA when a GPU is visible, else CPU) | cpu | cuda | cuda:N."""
    precision: str = "auto"
    """Compute precision: auto (bf16 on CUDA, fp32 on CPU) | bf16 | fp16 | fp32. Forward passes run under
    torch.autocast (fp16 with a gradient scaler); a video-LLM's frozen base weights are loaded in it, its LoRA
    weights stay fp32."""
    micro_batch: int | None = None
    """Real pairs per forward/backward pass of one process; each step's `batch_size` pairs (their share of them, with
    several `processes`) are split into micro-batches whose
    gradients are accumulated before one optimiser step, each micro-batch's loss divided by their number (HF
    Trainer's per-device batch with gradient accumulation). Omitted: batch_size / grad_accum."""
    grad_accum: int = 1
    """Micro-batches per optimiser step and process (gradient accumulation); with `micro_batch` set too, batch_size
    must equal micro_batch × grad_accum × processes × nodes."""
    gradient_checkpointing: bool = False
    """Recompute activations in the backward pass instead of keeping them (less GPU memory, ~30% more time); for
    models that have it (videollm)."""
    processes: int = 1
    """Processes the pretrain and train stages run as, per node: DistributedDataParallel, one process per GPU (each
    on GPU LOCAL_RANK, NCCL) or, on CPU, gloo. `batch_size` stays the global batch: each process trains on its share
    of every step's pairs, and the losses, learning rate and results mean what they mean on one process. Locally the
    stage starts them; on Slurm `srun` does (`--ntasks-per-node`; ask for the GPUs with [slurm.train] gres)."""
    nodes: int = 1
    """Nodes the pretrain and train stages span on Slurm (`--nodes`), `processes` on each; locally 1."""
    max_frames: int | None = None
    """Frames per video the model sees, sampled evenly over the clip (np.linspace, as Video-LLaVA's loader): for
    videollm its frame count (the paper: 8); clips are cut to it before they are read into a step. Omitted: the
    model's own (videollm: 8; tiny reads every frame of the world's clips and takes no other count)."""


@dataclass
class EvaluateSection:
    benchmarks: list[str] = field(
        default_factory=lambda: [
            "entail-llm", "entail-human", "entail-human-hard", "retrieval-temporal", "retrieval-events", "qa-hard",
        ]
    )
    """Registered benchmarks to report (x100 like the paper)."""
    controls: list[str] = field(default_factory=lambda: ["shuffled", "single-frame"])
    """Sanity controls: the same model on time-shuffled and on single-repeated-frame videos."""


@dataclass
class SlurmSection:
    """Resources of the Slurm jobs (`synvita run --executor slurm`, `synvita worker --executor slurm`); unused
    locally. The per-stage tables ([slurm.generate], [slurm.train], ...) take the same keys and override these for
    that stage's jobs; `--slurm KEY=VALUE` overrides both. Checked at submission (synvita.resources)."""

    partition: str | None = None
    """`--partition`, e.g. "gpu" or "gpu,gpu-long"."""
    account: str | None = None
    """`--account` charged for the jobs."""
    qos: str | None = None
    """`--qos`."""
    time: str | None = None
    """`--time` limit as Slurm writes it: minutes, HH:MM:SS, D-HH:MM:SS, ... (refused at submission if Slurm could not parse it)."""
    gres: str | None = None
    """`--gres`, e.g. "gpu:1" or "gpu:a100:8"."""
    cpus: int | None = None
    """`--cpus-per-task`."""
    mem: str | None = None
    """`--mem` per node, e.g. "32G"."""
    nodes: int | None = None
    """`--nodes`."""
    constraint: str | None = None
    """`--constraint`, e.g. "a100|h100"."""
    extra: list[str] = field(default_factory=list)
    """Other sbatch options, one `--flag` or `--flag=value` per entry, e.g. ["--exclusive"]."""
    signal_s: int = 120
    """Seconds before the time limit at which Slurm warns the job (`--signal=B:USR1@T`): the stage then writes its
    checkpoint and the job requeues itself, resuming the same run."""
    world: dict = field(default_factory=dict)
    """Options for the world stage's jobs (same keys as above)."""
    generate: dict = field(default_factory=dict)
    """Options for the generate jobs (each array task gets them), e.g. {gres = "gpu:1", time = "08:00:00"}."""
    pretrain: dict = field(default_factory=dict)
    """Options for the pretrain jobs."""
    score: dict = field(default_factory=dict)
    """Options for the score jobs."""
    train: dict = field(default_factory=dict)
    """Options for the train jobs, e.g. {gres = "gpu:8", time = "1-00:00:00"}."""
    evaluate: dict = field(default_factory=dict)
    """Options for the evaluate jobs, e.g. {time = "00:20:00"}."""


SECTIONS: dict[str, type] = {
    "data": DataSection,
    "world": WorldSection,
    "videocon": VideoconSection,
    "generation": GenerationSection,
    "scorers": ScorersSection,
    "model": ModelSection,
    "train": TrainSection,
    "evaluate": EvaluateSection,
    "slurm": SlurmSection,
}
"""TOML table name → dataclass. Top-level keys (name, description, seeds) are validated by synvita.specs."""


def changed_keys(section: object) -> list[str]:
    """The keys of a typed section whose values differ from their defaults (what a spec set), in field order."""
    from dataclasses import MISSING, fields

    changed = []
    for f in fields(section):
        default = f.default_factory() if f.default_factory is not MISSING else f.default
        if getattr(section, f.name) != default:
            changed.append(f.name)
    return changed


def section_from_dict(name: str, data: dict | None) -> object:
    """The typed section `name` rebuilt from its serialised form (a run's `config.json`); missing keys take the
    defaults above. A key the section does not have is an error: the spec was validated against these fields."""
    from dataclasses import fields

    from synvita.errors import UserInputError

    cls = SECTIONS[name]
    data = dict(data or {})
    known = {f.name for f in fields(cls)}
    unknown = sorted(set(data) - known)
    if unknown:
        raise UserInputError(f"[{name}] has no key {', '.join(unknown)}", hint=f"[{name}] keys: {', '.join(sorted(known))}")
    return cls(**data)
