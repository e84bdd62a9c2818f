"""Experiment specs: TOML files validated against the typed sections of `synvita.config`, and their expansion into runs.

A spec is one TOML file: top-level keys (`name`, `description`, `seeds`, `sweep`) and one table per section of
`synvita.config.SECTIONS`. The allowed keys, their types and their defaults come from the section dataclasses, so a
field added there is accepted here (and documented in experiments/README.md) without touching this module. Every
problem raises a `synvita.errors` subclass with one line naming the file (and line), the key and the fix.

Experiments are found by path (`path/to/x.toml`) or by name (`paper-ablations` → `experiments/paper-ablations.toml`,
looked up in the nearest `experiments/` folder from the current directory upwards, then in the source checkout).
"""

from __future__ import annotations

import dataclasses
import difflib
import itertools
import json
import os
import re
import sys
import types
import typing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from synvita.config import SECTIONS, VARIANTS
from synvita.errors import NotFoundError, UserInputError

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

DEFAULT_EXPERIMENT = "quickstart"
EXPERIMENTS_ENV = "SYNVITA_EXPERIMENTS"
"""Optional extra folder searched first for experiments given by name."""

TOP_LEVEL_KEYS: dict[str, str] = {
    "name": "Experiment name (default: the file name); runs are grouped by it in `synvita runs ls --experiment`.",
    "description": "One line saying what the experiment shows.",
    "seeds": "Training seeds: a list of non-negative integers (or N, meaning 0..N-1); one train run per variant × seed.",
    "sweep": 'Grid over dotted keys, e.g. {"generation.profile" = ["clean", "default"]}: every combination is a '
    "pipeline; runs that do not depend on a swept key are shared.",
}
"""Keys allowed outside the section tables (documented in experiments/README.md)."""

POSITIVE_INTS = ("scorers.members", "train.batch_size", "generation.shards", "train.steps")
"""Integer keys that must be ≥ 1 when set."""

NON_NEGATIVE = ("world.seed", "train.lambda_scr", "train.margin", "train.lr", "train.epochs")
"""Numeric keys that must be ≥ 0 when set."""

SHARES = ("train.broken_time", "scorers.broken_time")
"""Numeric keys that must lie in [0, 1] when set."""


#### The spec ####


@dataclass
class ExperimentSpec:
    """A validated experiment: top-level keys plus one typed dataclass per section."""

    name: str
    description: str = ""
    seeds: list[int] = field(default_factory=lambda: [0])
    sections: dict[str, Any] = field(default_factory=dict)
    """Section name → dataclass instance (synvita.config.SECTIONS)."""
    sweep: dict[str, list[Any]] = field(default_factory=dict)
    """Dotted key → values; the spec expands to one pipeline per combination."""
    source: str | None = None
    """Path of the TOML file the spec came from (None when built in code)."""
    overrides: list[str] = field(default_factory=list)
    """The `--set` / `--generator` / `--seeds` changes applied on top of the file, for the record."""

    def section(self, name: str) -> Any:
        return self.sections[name]

    def resolved(self) -> dict[str, dict[str, Any]]:
        """All sections as plain dicts (defaults filled in): what every run's config starts from."""
        return {name: dataclasses.asdict(obj) for name, obj in self.sections.items()}

    def points(self) -> list[tuple[dict[str, Any], dict[str, dict[str, Any]]]]:
        """(swept values, resolved sections) for every combination of the sweep (one point without a sweep)."""
        if not self.sweep:
            return [({}, self.resolved())]
        keys = list(self.sweep)
        out = []
        for values in itertools.product(*(self.sweep[k] for k in keys)):
            resolved = self.resolved()
            for key, value in zip(keys, values):
                section, _, attr = key.partition(".")
                resolved[section][attr] = value
            out.append((dict(zip(keys, values)), resolved))
        return out

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "description": self.description,
            "seeds": list(self.seeds),
            "sweep": dict(self.sweep),
            "source": self.source,
            "overrides": list(self.overrides),
            **self.resolved(),
        }


#### Finding experiments ####


def experiment_dirs() -> list[Path]:
    """Folders searched for experiments given by name, in order."""
    dirs: list[Path] = []
    if os.environ.get(EXPERIMENTS_ENV):
        dirs.append(Path(os.environ[EXPERIMENTS_ENV]))
    here = Path.cwd().resolve()
    for folder in (here, *here.parents):
        if (folder / "experiments").is_dir():
            dirs.append(folder / "experiments")
            break
    checkout = Path(__file__).resolve().parents[1] / "experiments"
    if checkout.is_dir() and checkout.resolve() not in [d.resolve() for d in dirs]:
        dirs.append(checkout)
    return dirs


def experiment_names() -> list[str]:
    """Names of the experiments found by name (first folder wins)."""
    names: set[str] = set()
    for folder in experiment_dirs():
        names.update(p.stem for p in folder.glob("*.toml"))
    return sorted(names)


def find_experiment(path_or_name: str | Path) -> Path:
    """The TOML file for a path or an experiment name; NotFoundError lists the names that exist."""
    text = str(path_or_name)
    candidate = Path(text).expanduser()
    looks_like_path = candidate.suffix == ".toml" or os.sep in text or "/" in text
    if candidate.is_file():
        return candidate
    if looks_like_path:
        raise NotFoundError(f"experiment file {text} does not exist", hint=_names_hint())
    for folder in experiment_dirs():
        path = folder / f"{text}.toml"
        if path.is_file():
            return path
    close = difflib.get_close_matches(text, experiment_names(), n=1)
    hint = (f"did you mean '{close[0]}'? " if close else "") + _names_hint()
    raise NotFoundError(f"no experiment named '{text}'", hint=hint)


def _names_hint() -> str:
    names = experiment_names()
    where = ", ".join(str(d) for d in experiment_dirs()) or "no experiments/ folder found"
    return f"experiments by name: {', '.join(names) or '(none)'} in {where}"


#### Loading and validating ####


def load_spec(
    path_or_name: str | Path = DEFAULT_EXPERIMENT,
    *,
    generator: str | None = None,
    seeds: int | None = None,
    overrides: list[str] | tuple[str, ...] = (),
) -> ExperimentSpec:
    """Read, override and validate an experiment; raises UserInputError/NotFoundError with one precise line."""
    path = find_experiment(path_or_name)
    try:
        text = path.read_text()
    except OSError as exc:
        raise NotFoundError(f"cannot read experiment file {path}: {exc.strerror or exc}") from None
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise UserInputError(f"{_toml_location(path, exc)}: invalid TOML: {_toml_message(exc)}") from None
    return spec_from_dict(raw, source=path, text=text, generator=generator, seeds=seeds, overrides=overrides)


def spec_from_dict(
    raw: dict[str, Any],
    *,
    source: str | Path | None = None,
    text: str | None = None,
    generator: str | None = None,
    seeds: int | None = None,
    overrides: list[str] | tuple[str, ...] = (),
) -> ExperimentSpec:
    """Validate a parsed spec (plus CLI overrides) into an ExperimentSpec."""
    where = _Where(source, text)
    raw = json.loads(json.dumps(raw, default=str))  # a private deep copy we may change
    applied: list[str] = []
    for item in overrides:
        key, value = _parse_override(item)
        _set_dotted(raw, key, value, origin=f"--set {item}")
        applied.append(f"{key}={value!r}")
        where.overridden[key] = f"--set {item}"
    if generator is not None:
        raw.setdefault("generation", {})
        if not isinstance(raw["generation"], dict):
            raise UserInputError(f"{where()}: [generation] must be a table")
        raw["generation"]["generators"] = [generator]
        applied.append(f"generation.generators=[{generator!r}]")
        where.overridden["generation.generators"] = f"--generator {generator}"
    if seeds is not None:
        if isinstance(seeds, bool) or not isinstance(seeds, int) or seeds < 1:
            raise UserInputError(f"--seeds {seeds}: must be a positive number of seeds", hint="e.g. --seeds 3 runs seeds 0, 1, 2")
        raw["seeds"] = list(range(seeds))
        applied.append(f"seeds=0..{seeds - 1}")
        where.overridden["seeds"] = f"--seeds {seeds}"

    unknown_top = [k for k in raw if k not in TOP_LEVEL_KEYS and k not in SECTIONS]
    for key in unknown_top:
        if isinstance(raw[key], dict):
            close = difflib.get_close_matches(key, list(SECTIONS), n=1)
            raise UserInputError(
                f"{where(key)}: unknown section [{key}]",
                hint=(f"did you mean [{close[0]}]? " if close else "") + f"sections: {', '.join(SECTIONS)}",
            )
        close = difflib.get_close_matches(key, [*TOP_LEVEL_KEYS, *SECTIONS], n=1)
        raise UserInputError(
            f"{where(key)}: unknown top-level key '{key}'",
            hint=(f"did you mean '{close[0]}'? " if close else "")
            + f"top-level keys: {', '.join(TOP_LEVEL_KEYS)}; sections: {', '.join(SECTIONS)}",
        )

    name = raw.get("name", Path(source).stem if source else "experiment")
    _check_type(name, str, where("name"), "name")
    if not name or not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9_.-]*", name):
        raise UserInputError(f"{where('name')}: name '{name}' must be letters, digits, '.', '_' or '-'")
    description = raw.get("description", "")
    _check_type(description, str, where("description"), "description")
    seed_list = _validate_seeds(raw.get("seeds", [0]), where("seeds"))

    sections: dict[str, Any] = {}
    for section_name, cls in SECTIONS.items():
        table = raw.get(section_name, {})
        if not isinstance(table, dict):
            raise UserInputError(f"{where(section_name)}: [{section_name}] must be a table, got {_type_name(table)}")
        sections[section_name] = _build_section(section_name, cls, table, where)

    sweep_raw = raw.get("sweep", {})
    if not isinstance(sweep_raw, dict):
        raise UserInputError(f"{where('sweep')}: sweep must be a table of dotted keys → lists of values")
    sweep: dict[str, list[Any]] = {}
    for key, values in sweep_raw.items():
        section_name, attr = _split_section_key(key, where("sweep"), origin="sweep")
        if not isinstance(values, list) or not values:
            raise UserInputError(f"{where('sweep')}: sweep.{key} must be a non-empty list of values")
        for value in values:  # each value must be valid where it goes
            table = dict(raw.get(section_name, {}))
            table[attr] = value
            _build_section(section_name, SECTIONS[section_name], table, lambda *_: f"{where('sweep')} (sweep.{key})")
        sweep[key] = values

    spec = ExperimentSpec(
        name=name,
        description=description,
        seeds=seed_list,
        sections=sections,
        sweep=sweep,
        source=str(source) if source else None,
        overrides=applied,
    )
    for values, resolved in spec.points():
        _check_names(resolved, where, values)
    return spec


class _Where:
    """Formats 'file:line' for a key (the line found by a light scan of the TOML text)."""

    def __init__(self, source: str | Path | None, text: str | None) -> None:
        self.source = str(source) if source else "<spec>"
        self.text = text
        self.overridden: dict[str, str] = {}
        """Dotted key → the command-line option that set it (errors name the option, not the file)."""

    def __call__(self, key: str | None = None, section: str | None = None) -> str:
        dotted = f"{section}.{key}" if section else key
        if dotted in self.overridden:
            return self.overridden[dotted]
        line = _line_of(self.text, key, section) if (self.text and key) else None
        return f"{self.source}:{line}" if line else self.source


def _line_of(text: str, key: str, section: str | None) -> int | None:
    current: str | None = None
    for number, line in enumerate(text.splitlines(), start=1):
        stripped = line.strip()
        header = re.match(r"^\[\s*([^\]\s]+)\s*\]", stripped)
        if header:
            current = header.group(1)
            if section is None and current == key:
                return number
            continue
        if current == section and re.match(rf"^\"?{re.escape(key)}\"?\s*=", stripped):
            return number
    return None


def _toml_location(path: Path, exc: Exception) -> str:
    match = re.search(r"\(at line (\d+), column (\d+)\)", str(exc))
    return f"{path}:{match.group(1)}:{match.group(2)}" if match else str(path)


def _toml_message(exc: Exception) -> str:
    return re.sub(r"\s*\(at (line \d+, column \d+|end of document)\)", "", str(exc))


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
        if value is not None and dotted in POSITIVE_INTS and value < 1:
            raise UserInputError(f"{where(key, section_name)}: {dotted} = {value} must be ≥ 1")
        if value is not None and dotted in NON_NEGATIVE and value < 0:
            raise UserInputError(f"{where(key, section_name)}: {dotted} = {value} must be ≥ 0")
        if value is not None and dotted in SHARES and not 0 <= value <= 1:
            raise UserInputError(f"{where(key, section_name)}: {dotted} = {value} must be a share between 0 and 1")
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
    """Registered names: world preset, generators, scorer, model, variants, benchmarks."""
    from synvita import registry

    load_component_registries()
    suffix = f" (sweep point {swept})" if swept else ""

    def check(reg: registry.Registry, name: str, key: str, section: str) -> None:
        if name not in reg:
            close = difflib.get_close_matches(name, reg.names(), n=1)
            raise UserInputError(
                f"{where(key, section)}: unknown {reg.kind} '{name}' in {section}.{key}{suffix}",
                hint=(f"did you mean '{close[0]}'? " if close else "")
                + f"registered {reg.kind}s: {', '.join(reg.names()) or '(none)'}",
            )

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
    generators = resolved["generation"]["generators"]
    if not generators and any(v != "none" for v in variants):
        raise UserInputError(
            f"{where('generators', 'generation')}: generation.generators is empty but variants other than 'none' need synthetic videos",
            hint=f"registered generators: {', '.join(registry.GENERATORS.names())}",
        )
    for name in generators:
        check(registry.GENERATORS, name, "generators", "generation")
    model_path = resolved["generation"].get("model_path")
    if model_path and any(g in ("cogvideox", "diffusers") for g in generators):
        text = os.path.expanduser(str(model_path))
        if text.startswith(("/", ".", "~")) and not os.path.isdir(text):  # a path (not a hub id) that is not there
            raise UserInputError(
                f"{where('model_path', 'generation')}: generation.model_path {model_path} is not a directory{suffix}",
                hint="point it at the downloaded weights (e.g. `huggingface-cli download THUDM/CogVideoX-2b --local-dir DIR`)",
            )
    if "procedural" in generators:
        profiles = _procedural_profiles()
        profile = resolved["generation"]["profile"]
        if profiles and profile not in profiles:
            close = difflib.get_close_matches(profile, profiles, n=1)
            raise UserInputError(
                f"{where('profile', 'generation')}: unknown noise profile '{profile}' in generation.profile{suffix}",
                hint=(f"did you mean '{close[0]}'? " if close else "") + f"profiles of the procedural generator: {', '.join(profiles)}",
            )
    check(registry.SCORERS, resolved["scorers"]["name"], "name", "scorers")
    check(registry.MODELS, resolved["model"]["name"], "name", "model")
    if resolved["model"]["name"] != "tiny":  # every experiment has train runs, and they would fail after pretraining
        raise UserInputError(
            f"{where('name', 'model')}: model.name = '{resolved['model']['name']}': the train stage fine-tunes only the "
            f"embedded `tiny` model so far{suffix}",
            hint="the videollm backend is usable from Python (synvita.training.loop.train); see docs/backends.md",
        )
    if resolved["model"]["name"] == "tiny":
        from synvita.models.tiny_options import tiny_config_problems

        problems = tiny_config_problems(resolved["model"].get("config") or {})
        if problems:
            raise UserInputError(f"{where('config', 'model')}: {problems[0]}{suffix}",
                                 hint="see experiments/README.md ([model] config) and synvita/models/tiny.py")
    for name in resolved["evaluate"]["benchmarks"]:
        check(registry.BENCHMARKS, name, "benchmarks", "evaluate")


def _procedural_profiles() -> list[str]:
    """Noise profiles of the procedural generator (numpy-only module); empty if it cannot be imported."""
    try:
        from synvita.generators.procedural import PROFILES
    except ImportError:
        return []
    return list(PROFILES)


def load_component_registries() -> None:
    """Import the (light) packages that register the built-in world presets, generators, models, scorers, benchmarks."""
    import importlib

    for package in ("synvita.world", "synvita.generators", "synvita.models", "synvita.scorers", "synvita.benchmarks"):
        try:
            importlib.import_module(package)
        except ModuleNotFoundError as exc:  # a package not written yet registers nothing
            if exc.name != package:
                raise


#### --set overrides ####


def _parse_override(item: str) -> tuple[str, Any]:
    key, sep, text = item.partition("=")
    key = key.strip()
    if not sep or not key:
        raise UserInputError(f"--set {item}: expected KEY=VALUE", hint="e.g. --set train.lambda_scr=0.5")
    try:
        value = tomllib.loads(f"v = {text.strip()}")["v"]
    except tomllib.TOMLDecodeError:
        value = text.strip()  # a bare word: generation.profile=clean
    return key, value


def _split_section_key(key: str, where: str, origin: str) -> tuple[str, str]:
    section, dot, attr = key.partition(".")
    if not dot:
        raise UserInputError(f"{where}: {origin} key '{key}' must be SECTION.KEY", hint=f"sections: {', '.join(SECTIONS)}")
    if section not in SECTIONS:
        close = difflib.get_close_matches(section, list(SECTIONS), n=1)
        raise UserInputError(
            f"{where}: unknown section '{section}' in {origin} key '{key}'",
            hint=(f"did you mean '{close[0]}'? " if close else "") + f"sections: {', '.join(SECTIONS)}",
        )
    allowed = [f.name for f in dataclasses.fields(SECTIONS[section])]
    if attr not in allowed:
        close = difflib.get_close_matches(attr, allowed, n=1)
        raise UserInputError(
            f"{where}: unknown key '{attr}' in [{section}]",
            hint=(f"did you mean '{section}.{close[0]}'? " if close else "") + f"allowed keys: {', '.join(allowed)}",
        )
    return section, attr


def _set_dotted(raw: dict[str, Any], key: str, value: Any, origin: str) -> None:
    if "." not in key:
        if key not in TOP_LEVEL_KEYS:
            close = difflib.get_close_matches(key, list(TOP_LEVEL_KEYS), n=1)
            raise UserInputError(
                f"{origin}: unknown key '{key}'",
                hint=(f"did you mean '{close[0]}'? " if close else "")
                + f"use SECTION.KEY ({', '.join(SECTIONS)}) or a top-level key ({', '.join(TOP_LEVEL_KEYS)})",
            )
        raw[key] = value
        return
    head, _, rest = key.partition(".")
    field_name, dot, inner = rest.partition(".")
    if dot and head in SECTIONS and _is_table_field(SECTIONS[head], field_name):
        # world.overrides.frames=8 → [world] overrides = {frames = 8}
        table = raw.setdefault(head, {})
        nested = table.setdefault(field_name, {}) if isinstance(table, dict) else None
        if not isinstance(nested, dict):
            raise UserInputError(f"{origin}: {head}.{field_name} in the file is not a table")
        nested[inner] = value
        return
    section, attr = _split_section_key(key, origin, origin="--set")
    hints = typing.get_type_hints(SECTIONS[section])
    if isinstance(value, str) and typing.get_origin(hints[attr]) is list:
        value = [part.strip() for part in value.split(",") if part.strip()]  # train.variants=none,synvita
    table = raw.setdefault(section, {})
    if not isinstance(table, dict):
        raise UserInputError(f"{origin}: [{section}] in the file is not a table")
    table[attr] = value


def _is_table_field(cls: type, name: str) -> bool:
    hint = typing.get_type_hints(cls).get(name)
    return hint is dict or typing.get_origin(hint) is dict


#### Expansion into runs ####


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
    "world": ("world",),
    "generate": ("world", "generation"),
    "pretrain": ("world", "scorers", "model"),
    "score": ("world", "generation", "scorers", "model"),
    "train": ("world", "generation", "scorers", "model", "train"),
    "evaluate": ("world", "generation", "scorers", "model", "train", "evaluate"),
}
"""The sections each stage's output depends on: two sweep points share a run when these agree."""


def plan_runs(spec: ExperimentSpec) -> list[PlannedRun]:
    """world → generate (per generator) → pretrain → score (per generator) → train (variant × seed × generator) → evaluate.

    The `none` variant trains on real data only: one train run per seed, with no generate/score dependency.
    Every run depends directly on each run whose output it reads (the worker gives a stage the run directories
    of its direct dependencies only, as `ctx.inputs[stage]`). Runs are listed in dependency order, and within a seed
    the train runs come costliest variant first, then their evaluations (workers claim the oldest ready run);
    identical runs from different sweep points are created once.
    """
    from synvita.training.variants import relative_step_cost

    plan: list[PlannedRun] = []
    index: dict[str, int] = {}

    def add(stage: str, resolved: dict[str, Any], deps: list[int], swept: dict[str, Any], **own: Any) -> int:
        relevant = {s: resolved[s] for s in STAGE_SECTIONS[stage]}
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
        pretrain = add("pretrain", resolved, [world], swept)
        upstream: dict[str, tuple[int, int]] = {}
        variants = resolved["train"]["variants"]
        if any(v != "none" for v in variants):
            for generator in resolved["generation"]["generators"]:
                generate = add("generate", resolved, [world], swept, generator=generator)
                score = add("score", resolved, [world, generate, pretrain], swept, generator=generator)
                upstream[generator] = (generate, score)
        # the costliest training first: runs are claimed oldest first, and a cheap run or an evaluation claimed ahead
        # of `synvita` training only lengthens the critical path (quickstart: 9 min 56 s → 9 min 21 s on 2 cores)
        by_cost = sorted(variants, key=lambda v: -relative_step_cost(v))
        for seed in spec.seeds:
            trained = []
            for variant in by_cost:
                if variant == "none":
                    train = add("train", resolved, [world, pretrain], swept, variant=variant, seed=seed)
                    trained.append((train, dict(variant=variant, seed=seed)))
                    continue
                for generator, (generate, score) in upstream.items():
                    train = add(
                        "train", resolved, [world, pretrain, generate, score], swept,
                        variant=variant, seed=seed, generator=generator,
                    )
                    trained.append((train, dict(variant=variant, seed=seed, generator=generator)))
            for train, own in trained:
                add("evaluate", resolved, [train, world], swept, **own)
    return plan


#### Documentation of every key (experiments/README.md is generated from this) ####


def field_docs(cls: type) -> dict[str, str]:
    """Attribute docstrings of a dataclass (the string literal right after each field), read from its source."""
    import ast
    import inspect
    import textwrap

    tree = ast.parse(textwrap.dedent(inspect.getsource(cls)))
    body = tree.body[0].body  # type: ignore[attr-defined]
    docs: dict[str, str] = {}
    for node, following in zip(body, body[1:]):
        if (
            isinstance(node, ast.AnnAssign)
            and isinstance(node.target, ast.Name)
            and isinstance(following, ast.Expr)
            and isinstance(following.value, ast.Constant)
            and isinstance(following.value.value, str)
        ):
            docs[node.target.id] = " ".join(following.value.value.split())
    return docs


def keys_reference() -> str:
    """Markdown reference of every key: top-level keys, then one table per section (type, default, meaning)."""
    lines = ["| key | meaning |", "|---|---|"]
    lines += [f"| `{key}` | {doc} |" for key, doc in TOP_LEVEL_KEYS.items()]
    for section_name, cls in SECTIONS.items():
        docs = field_docs(cls)
        hints = typing.get_type_hints(cls)
        lines += ["", f"### `[{section_name}]`", ""]
        lines += ["| key | type | default | meaning |", "|---|---|---|---|"]
        for f in dataclasses.fields(cls):
            default = f.default if f.default is not dataclasses.MISSING else f.default_factory()  # type: ignore[misc]
            default_text = json.dumps(default, ensure_ascii=False) if default is not None else "(unset)"
            doc = docs.get(f.name, "").replace("|", "\\|")
            lines.append(f"| `{f.name}` | {_describe(hints[f.name])} | `{default_text}` | {doc} |")
    lines += ["", "### Training variants (`train.variants`)", "", "| variant | what it trains |", "|---|---|"]
    lines += [f"| `{name}` | {summary} |" for name, summary in VARIANTS.items()]
    return "\n".join(line for line in _squeeze_blank(lines))


def _squeeze_blank(lines: list[str]) -> list[str]:
    out: list[str] = []
    for line in lines:
        if line == "" and out and out[-1] == "":
            continue
        out.append(line)
    return out


README_BEGIN = "<!-- keys:begin (generated by `python -m synvita.specs --write-readme`; do not edit) -->"
README_END = "<!-- keys:end -->"


def readme_with_reference(readme_text: str) -> str:
    """The README text with the generated key reference between the markers replaced by the current one."""
    if README_BEGIN not in readme_text or README_END not in readme_text:
        raise UserInputError("experiments/README.md lacks the key-reference markers", hint=f"add {README_BEGIN} ... {README_END}")
    head, rest = readme_text.split(README_BEGIN, 1)
    _, tail = rest.split(README_END, 1)
    return f"{head}{README_BEGIN}\n{keys_reference()}\n{README_END}{tail}"


if __name__ == "__main__":
    # python -m synvita.specs --write-readme   regenerates the key reference in experiments/README.md
    # python -m synvita.specs NAME_OR_PATH     validates an experiment and prints its runs
    args = sys.argv[1:]
    if args[:1] == ["--write-readme"]:
        readme = Path(args[1]) if len(args) > 1 else Path(__file__).resolve().parents[1] / "experiments" / "README.md"
        readme.write_text(readme_with_reference(readme.read_text()))
        print(f"wrote {readme}")
    else:
        spec = load_spec(args[0] if args else DEFAULT_EXPERIMENT)
        for i, planned in enumerate(plan_runs(spec)):
            print(i, planned.stage, planned.variant or "", planned.generator or "", planned.seed, planned.depends_on)
