"""Validation of an experiment's values: the type checker that builds each `synvita.config` section dataclass from
its TOML table, the numeric ranges, the seeds, and the registered names (world preset, generators, scorer, model,
variants, benchmarks) of every sweep point.

The allowed keys, their types and their defaults come from the section dataclasses, so a field added there is
accepted here without touching this module.
"""

from __future__ import annotations

import dataclasses
import difflib
import json
import math
import re
import types
import typing
from typing import TYPE_CHECKING, Any

from synvita.config import VARIANTS
from synvita.errors import UserInputError

if TYPE_CHECKING:
    from synvita.specs.where import _Where

TOP_LEVEL_KEYS: dict[str, str] = {
    "name": "Experiment name (default: the file name); runs are grouped by it in `synvita runs ls --experiment`.",
    "description": "One line saying what the experiment shows.",
    "seeds": "Training seeds: a list of non-negative integers (or N, meaning 0..N-1); one train run per variant × seed.",
    "sweep": 'Grid over dotted keys, e.g. {"generation.profile" = ["clean", "default"]}: every combination is a '
    "pipeline; runs that do not depend on a swept key are shared.",
    "resume": "true: `synvita run` reuses this experiment's succeeded runs whose settings and inputs are the same "
    "(rerunning it runs only what is missing or failed); false (default): every `synvita run` makes new runs.",
}
"""Keys allowed outside the section tables (documented in experiments/README.md)."""

POSITIVE_INTS = (
    "scorers.members", "scorers.steps", "scorers.batch_size", "train.batch_size", "train.steps",
    "generation.shards", "generation.num_frames", "generation.height", "generation.width", "generation.steps",
    "generation.batch_size", "generation.shard_parallel", "slurm.cpus", "slurm.nodes", "slurm.signal_s",
    "videocon.frames", "videocon.height", "videocon.width", "videocon.ssv2_temporal_videos", "videocon.ssv2_events_videos",
    "train.micro_batch", "train.grad_accum", "train.max_frames", "train.processes", "train.nodes",
)
"""Integer keys that must be ≥ 1 when set."""

NON_NEGATIVE = ("world.seed", "train.lambda_scr", "train.margin", "generation.shard_retries", "train.weight_decay",
                "train.warmup_steps")
"""Numeric keys that must be ≥ 0 when set."""

POSITIVE = ("train.epochs",)
"""Numeric keys that must be > 0 when set."""

SHARES = ("train.broken_time", "scorers.broken_time")
"""Numeric keys that must lie in [0, 1] when set."""

MAX_LR = 1.0
LEARNING_RATES = ("train.lr", "scorers.lr")
"""Learning rates: finite, > 0 and ≤ MAX_LR (AdamW diverges to NaN long before 1; 1e9 is a typo, not a setting)."""

def _validate_seeds(value: Any, where: str) -> list[int]:
    if isinstance(value, int) and not isinstance(value, bool):
        if value < 1:
            raise UserInputError(f"{where}: seeds = {value} must be a positive count or a list of seeds ≥ 0")
        return list(range(value))
    if not isinstance(value, list) or not value:
        raise UserInputError(f"{where}: seeds must be a non-empty list of integers ≥ 0, got {value!r}")
    for seed in value:
        if isinstance(seed, bool) or not isinstance(seed, int):
            raise UserInputError(f"{where}: seeds must be integers, got {seed!r}")
        if seed < 0:
            raise UserInputError(f"{where}: seed {seed} is negative", hint="seeds must be ≥ 0, e.g. seeds = [0, 1, 2]")
    if len(set(value)) != len(value):
        raise UserInputError(f"{where}: seeds {value} contain duplicates")
    return list(value)


def _build_section(section_name: str, cls: type, table: dict[str, Any], where: Any) -> Any:
    fields = {f.name: f for f in dataclasses.fields(cls)}
    hints = typing.get_type_hints(cls)
    for key, value in table.items():
        if key not in fields:
            close = difflib.get_close_matches(key, list(fields), n=1)
            raise UserInputError(
                f"{where(key, section_name)}: unknown key '{key}' in [{section_name}]",
                hint=(f"did you mean '{close[0]}'? " if close else "") + f"allowed keys: {', '.join(fields)}",
            )
        _check_type(value, hints[key], where(key, section_name), f"{section_name}.{key}")
        dotted = f"{section_name}.{key}"
        if isinstance(value, float) and not math.isfinite(value):
            raise UserInputError(f"{where(key, section_name)}: {dotted} = {value} must be a finite number")
        if value is not None and dotted in POSITIVE_INTS and value < 1:
            raise UserInputError(f"{where(key, section_name)}: {dotted} = {value} must be ≥ 1")
        if value is not None and dotted in NON_NEGATIVE and value < 0:
            raise UserInputError(f"{where(key, section_name)}: {dotted} = {value} must be ≥ 0")
        if value is not None and dotted in POSITIVE and value <= 0:
            raise UserInputError(f"{where(key, section_name)}: {dotted} = {value} must be > 0")
        if value is not None and dotted in SHARES and not 0 <= value <= 1:
            raise UserInputError(f"{where(key, section_name)}: {dotted} = {value} must be a share between 0 and 1")
        if value is not None and dotted in LEARNING_RATES and not 0 < value <= MAX_LR:
            raise UserInputError(f"{where(key, section_name)}: {dotted} = {value:g} must be > 0 and ≤ {MAX_LR:g}",
                                 hint="typical learning rates are 1e-5 to 1e-2")
    values = {k: (float(v) if hints[k] in (float, float | None) and isinstance(v, int) else v) for k, v in table.items()}
    return cls(**values)


def _check_type(value: Any, expected: Any, where: str, key: str) -> None:
    if not _matches(value, expected):
        raise UserInputError(
            f"{where}: {key} must be {_describe(expected)}, got {_type_name(value)} {_short(value)}"
        )


def _matches(value: Any, expected: Any) -> bool:
    origin = typing.get_origin(expected)
    if expected is Any:
        return True
    if origin in (typing.Union, types.UnionType):
        return any(_matches(value, arg) for arg in typing.get_args(expected))
    if expected is type(None):
        return value is None
    if origin is list:
        (item_type,) = typing.get_args(expected) or (Any,)
        return isinstance(value, list) and all(_matches(v, item_type) for v in value)
    if origin is dict or expected is dict:
        return isinstance(value, dict)
    if expected is bool:
        return isinstance(value, bool)
    if expected is int:
        return isinstance(value, int) and not isinstance(value, bool)
    if expected is float:
        return isinstance(value, (int, float)) and not isinstance(value, bool)
    if isinstance(expected, type):
        return isinstance(value, expected)
    return True


def _describe(expected: Any) -> str:
    origin = typing.get_origin(expected)
    if origin in (typing.Union, types.UnionType):
        parts = [_describe(a) for a in typing.get_args(expected) if a is not type(None)]
        optional = type(None) in typing.get_args(expected)
        return " or ".join(parts) + (" (or omitted)" if optional else "")
    if origin is list:
        (item_type,) = typing.get_args(expected) or (Any,)
        return f"a list of {_describe(item_type).removeprefix('a ').removeprefix('an ')}s"
    if origin is dict or expected is dict:
        return "a table"
    names = {str: "a string", int: "an integer", float: "a number", bool: "true or false"}
    return names.get(expected, getattr(expected, "__name__", str(expected)))


def _type_name(value: Any) -> str:
    return {bool: "boolean", int: "integer", float: "number", str: "string", list: "list", dict: "table"}.get(
        type(value), type(value).__name__
    )


def _short(value: Any) -> str:
    text = json.dumps(value, default=str)
    return text if len(text) <= 40 else text[:37] + "..."


def _check_names(resolved: dict[str, dict[str, Any]], where: _Where, swept: dict[str, Any]) -> None:
    """Registered names (data source, world preset, generators, scorer, model, variants, benchmarks), then each
    selected component's own check of its section."""
    from synvita import registry

    suffix = f" (sweep point {swept})" if swept else ""

    def check(reg: registry.Registry, name: str, key: str, section: str) -> None:
        if name not in reg:
            close = difflib.get_close_matches(name, reg.names(), n=1)
            raise UserInputError(
                f"{where(key, section)}: unknown {reg.kind} '{name}' in {section}.{key}{suffix}",
                hint=(f"did you mean '{close[0]}'? " if close else "")
                + f"registered {reg.kind}s: {', '.join(reg.names()) or '(none)'}",
            )

    check(registry.DATA_SOURCES, resolved["data"]["source"], "source", "data")
    check(registry.WORLD_PRESETS, resolved["world"]["preset"], "preset", "world")
    variants = resolved["train"]["variants"]
    if not variants:
        raise UserInputError(f"{where('variants', 'train')}: train.variants is empty", hint=f"variants: {', '.join(VARIANTS)}")
    for variant in variants:
        if variant not in VARIANTS:
            close = difflib.get_close_matches(variant, list(VARIANTS), n=1)
            raise UserInputError(
                f"{where('variants', 'train')}: unknown variant '{variant}' in train.variants{suffix}",
                hint=(f"did you mean '{close[0]}'? " if close else "") + f"variants: {', '.join(VARIANTS)}",
            )
    if len(set(variants)) != len(variants):
        raise UserInputError(f"{where('variants', 'train')}: train.variants {variants} contain duplicates")
    _check_types(resolved["train"], where, suffix)
    generators = resolved["generation"]["generators"]
    if not generators and (any(v != "none" for v in variants) or resolved["train"]["per_type"]):
        raise UserInputError(
            f"{where('generators', 'generation')}: generation.generators is empty but variants other than 'none' need synthetic videos",
            hint=f"registered generators: {', '.join(registry.GENERATORS.names())}",
        )
    for name in generators:
        check(registry.GENERATORS, name, "generators", "generation")
    check(registry.SCORERS, resolved["scorers"]["name"], "name", "scorers")
    check(registry.MODELS, resolved["model"]["name"], "name", "model")
    for name in resolved["evaluate"]["benchmarks"]:
        check(registry.BENCHMARKS, name, "benchmarks", "evaluate")
    _check_slurm(resolved.get("slurm") or {}, where, suffix)
    _check_train_nodes(resolved, where, suffix)
    _check_components(resolved, where, suffix)


def _check_types(train: dict[str, Any], where: _Where, suffix: str) -> None:
    """train.synthetic_types and train.per_type name misalignment types (each once); train.per_type_variant is a
    variant that trains on synthetic videos."""
    from synvita.data.types import MISALIGNMENT_TYPES
    from synvita.training.variants import get_variant

    for key in ("synthetic_types", "per_type"):
        for name in train[key]:
            if name not in MISALIGNMENT_TYPES:
                close = difflib.get_close_matches(name, MISALIGNMENT_TYPES, n=1)
                raise UserInputError(
                    f"{where(key, 'train')}: unknown misalignment type '{name}' in train.{key}{suffix}",
                    hint=(f"did you mean '{close[0]}'? " if close else "") + f"types: {', '.join(MISALIGNMENT_TYPES)}",
                )
        if len(set(train[key])) != len(train[key]):
            raise UserInputError(f"{where(key, 'train')}: train.{key} {train[key]} contains duplicates")
    variant = train["per_type_variant"]
    if variant not in VARIANTS or not get_variant(variant).synthetic:
        synthetic = [v for v in VARIANTS if get_variant(v).synthetic]
        raise UserInputError(
            f"{where('per_type_variant', 'train')}: train.per_type_variant '{variant}' is not a variant that trains on "
            f"synthetic videos{suffix}", hint=f"one of: {', '.join(synthetic)}",
        )


def _check_slurm(section: dict[str, Any], where: _Where, suffix: str) -> None:
    """Every value of [slurm] and its per-stage tables fits in a batch script (synvita.resources); the one-line
    error names the key and its place in the spec."""
    from synvita.resources import STAGE_TABLES, check_section

    try:
        check_section(section)
    except UserInputError as exc:
        named = re.search(r"'(?:(\w+)\.)?(\w+)'", exc.what)
        table = f"slurm.{named.group(1)}" if named and named.group(1) in STAGE_TABLES else "slurm"
        raise UserInputError(f"{where(named.group(2) if named else None, table)}: {exc.what}{suffix}", hint=exc.hint) from exc


def _check_train_nodes(resolved: dict[str, dict[str, Any]], where: _Where, suffix: str) -> None:
    """A training run on several processes spans `train.nodes` nodes: a [slurm] `nodes` for its jobs must say the same."""
    from synvita.resources import resolve
    from synvita.stages.ranks import DISTRIBUTED_STAGES, stage_world

    for stage in DISTRIBUTED_STAGES:
        processes, nodes = stage_world(stage, resolved)
        asked = resolve(resolved.get("slurm"), stage).get("nodes")
        if processes * nodes > 1 and asked is not None and str(asked) != str(nodes):
            raise UserInputError(f"{where('nodes', 'train')}: slurm option 'nodes' = {asked} for the {stage} jobs but "
                                 f"train.nodes = {nodes}{suffix}",
                                 hint="a training job on several processes spans train.nodes nodes; set only that")


def _check_components(resolved: dict[str, dict[str, Any]], where: _Where, suffix: str) -> None:
    """Each selected component validates its own typed section (torch-free), the [train] values are checked
    together and against the model; a one-line error gets the spec location of the key it names."""
    from synvita import registry
    from synvita.config import section_from_dict
    from synvita.training.settings import check_train_section

    def validate(check: Any, section_name: str, section: Any) -> None:
        try:
            check(section)
        except UserInputError as exc:
            named = re.search(rf"\b{re.escape(section_name)}\.(\w+)", exc.what)
            location = where(named.group(1) if named else None, section_name)
            raise UserInputError(f"{location}: {exc.what}{suffix}", hint=exc.hint) from exc

    source = resolved["data"]["source"]
    validate(registry.DATA_SOURCES.get(source).validate_section, source, section_from_dict(source, resolved.get(source)))
    generation = section_from_dict("generation", resolved["generation"])
    chosen = {name: registry.GENERATORS.get(name) for name in generation.generators}
    defaults = type(generation)()
    for name, generator in chosen.items():
        # a key another chosen generator reads is that generator's, not a mistake (one [generation] serves all)
        theirs = {k for other, g in chosen.items() if other != name for k in g.section_keys} - set(generator.section_keys)
        validate(generator.validate_section, "generation",
                 dataclasses.replace(generation, **{k: getattr(defaults, k) for k in theirs}))
    for section_name, reg in (("scorers", registry.SCORERS), ("model", registry.MODELS)):
        section = section_from_dict(section_name, resolved[section_name])
        validate(reg.get(section.name).validate_section, section_name, section)
    model = section_from_dict("model", resolved["model"])
    train = section_from_dict("train", resolved["train"])
    validate(check_train_section, "train", train)
    validate(lambda t: registry.MODELS.get(model.name).validate_training(model, t), "train", train)
    evaluate = section_from_dict("evaluate", resolved["evaluate"])
    for name in evaluate.benchmarks:
        validate(registry.BENCHMARKS.get(name).validate_section, "evaluate", evaluate)


def load_component_registries() -> None:
    """Read every registry's entries (built-ins and plugins, from the entry points) without importing a component."""
    from synvita import registry

    for reg in (registry.DATA_SOURCES, registry.WORLD_PRESETS, registry.GENERATORS, registry.MODELS,
                registry.SCORERS, registry.BENCHMARKS):
        reg.names()
