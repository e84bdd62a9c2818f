"""Expansion of an experiment into runs: one run per stage × generator × variant × seed × sweep point, each with
its dependencies, in the order workers should claim them. Runs identical across sweep points are planned once."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from synvita.specs.load import ExperimentSpec


@dataclass
class PlannedRun:
    """One run of an expanded experiment, before it is stored (converted to `synvita.store.NewRun`)."""

    stage: str
    config: dict[str, Any]
    variant: str | None = None
    generator: str | None = None
    seed: int | None = None
    depends_on: list[int] = field(default_factory=list)
    """Indices into the same plan."""


STAGE_SECTIONS: dict[str, tuple[str, ...]] = {
    "world": ("data", "world"),
    "generate": ("data", "world", "generation"),
    "pretrain": ("data", "world", "scorers", "model"),
    "score": ("data", "world", "generation", "scorers", "model"),
    "train": ("data", "world", "generation", "scorers", "model", "train"),
    "evaluate": ("data", "world", "generation", "scorers", "model", "train", "evaluate"),
}
"""The sections each stage's output depends on (plus the data source's own section): two sweep points share a run
when these agree."""


def plan_runs(spec: ExperimentSpec) -> list[PlannedRun]:
    """world → generate (per generator) → pretrain → score (per generator) → train (variant × seed × generator) → evaluate.

    The pretrain run is planned only when the model starts from it (`ModelComponent.needs_pretrain`: tiny) or the
    scorer reads it (`Scorer.needs_pretrain`: ensemble); otherwise nothing depends on it and it is not made.

    The `none` variant trains on real data only: one train run per seed, with no generate/score dependency.
    `[train] per_type` adds, per seed and generator, one run of `per_type_variant` per listed misalignment type with
    `train.synthetic_types` set to that type alone.
    Every run depends directly on each run whose output it reads (the worker gives a stage the run directories
    of its direct dependencies only, as `ctx.inputs[stage]`). Runs are listed in dependency order, and within a seed
    the train runs come costliest variant first, then their evaluations (workers claim the oldest ready run);
    identical runs from different sweep points are created once.
    """
    from synvita.registry import MODELS, SCORERS
    from synvita.training.variants import relative_step_cost

    plan: list[PlannedRun] = []
    index: dict[str, int] = {}

    def add(stage: str, resolved: dict[str, Any], deps: list[int], swept: dict[str, Any], **own: Any) -> int:
        relevant = {s: resolved[s] for s in STAGE_SECTIONS[stage]}
        source = resolved["data"]["source"]
        relevant[source] = resolved.get(source)  # the data source's own section ([world], [videocon], a plugin's)
        if stage in ("train", "evaluate"):
            relevant["train"] = {k: v for k, v in resolved["train"].items() if k != "variants"}
            if own.get("variant") == "none":  # real-only training ignores everything about synthetic videos
                relevant.pop("generation")
        key = json.dumps([stage, relevant, own, sorted(deps)], sort_keys=True, default=str)
        if key in index:
            return index[key]
        config: dict[str, Any] = {"experiment": spec.name, "stage": stage, **resolved}
        config.update({k: v for k, v in own.items() if v is not None})
        if swept:
            config["sweep"] = {k: v for k, v in swept.items() if k.split(".")[0] in relevant}
        plan.append(PlannedRun(stage=stage, config=config, depends_on=sorted(deps), **own))
        index[key] = len(plan) - 1
        return index[key]

    for swept, resolved in spec.points():
        world = add("world", resolved, [], swept)
        variants = resolved["train"]["variants"]
        per_type = resolved["train"]["per_type"]
        synthetic = any(v != "none" for v in variants) or bool(per_type)
        # a pretrain run only where something reads it: the model's fine-tuning init (tiny) or the scorers it
        # trains (ensemble); a video-LLM starts from its checkpoint and vqascore uses ready-made models
        init_needed = MODELS.get(resolved["model"]["name"]).needs_pretrain
        scorer_needs = synthetic and SCORERS.get(resolved["scorers"]["name"]).needs_pretrain
        pretrain = add("pretrain", resolved, [world], swept) if init_needed or scorer_needs else None
        init = [pretrain] if init_needed else []
        upstream: dict[str, tuple[int, int]] = {}
        if synthetic:
            for generator in resolved["generation"]["generators"]:
                generate = add("generate", resolved, [world], swept, generator=generator)
                score_deps = [world, generate] + ([pretrain] if scorer_needs else [])
                score = add("score", resolved, score_deps, swept, generator=generator)
                upstream[generator] = (generate, score)
        # the costliest training first: runs are claimed oldest first, and a cheap run or an evaluation claimed ahead
        # of `synvita` training only lengthens the critical path
        by_cost = sorted(variants, key=lambda v: -relative_step_cost(v))
        for seed in spec.seeds:
            trained = []
            for variant in by_cost:
                if variant == "none":
                    train = add("train", resolved, [world, *init], swept, variant=variant, seed=seed)
                    trained.append((train, dict(variant=variant, seed=seed), resolved))
                    continue
                for generator, (generate, score) in upstream.items():
                    train = add(
                        "train", resolved, [world, *init, generate, score], swept,
                        variant=variant, seed=seed, generator=generator,
                    )
                    trained.append((train, dict(variant=variant, seed=seed, generator=generator), resolved))
            for misalignment in per_type:  # Table 2: one type's synthetic videos at a time
                one_type = {**resolved, "train": {**resolved["train"], "synthetic_types": [misalignment]}}
                variant = resolved["train"]["per_type_variant"]
                for generator, (generate, score) in upstream.items():
                    train = add(
                        "train", one_type, [world, *init, generate, score], swept,
                        variant=variant, seed=seed, generator=generator,
                    )
                    trained.append((train, dict(variant=variant, seed=seed, generator=generator), one_type))
            for train, own, config in trained:
                add("evaluate", config, [train, world], swept, **own)
    return plan
