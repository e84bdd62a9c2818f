"""Reading an experiment: finding its TOML file (by path or by name), parsing it, applying command-line overrides,
and validating the result into an `ExperimentSpec` of typed `synvita.config` sections.

Experiments are found by path (`path/to/x.toml`) or by name (`paper-ablations` → `experiments/paper-ablations.toml`,
looked up in the nearest `experiments/` folder from the current directory upwards, then in the source checkout).
Every problem raises a `synvita.errors` subclass with one line naming the file (and line), the key and the fix;
`_Where` finds that line.
"""

from __future__ import annotations

import dataclasses
import difflib
import itertools
import json
import os
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from synvita.config import SECTIONS
from synvita.errors import NotFoundError, UserInputError
from synvita.specs.where import _Where
from synvita.specs.overrides import _parse_override, _set_dotted, _split_section_key
from synvita.specs.validate import (
    TOP_LEVEL_KEYS,
    _build_section,
    _check_names,
    _check_type,
    _type_name,
    _validate_seeds,
)
from synvita.text import run_name_problem

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

DEFAULT_EXPERIMENT = "quickstart"
EXPERIMENTS_ENV = "SYNVITA_EXPERIMENTS"
"""Optional extra folder searched first for experiments given by name."""


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
    resume: bool = False
    """Submission reuses the experiment's succeeded runs with the same settings and inputs."""

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
            "resume": self.resume,
            **self.resolved(),
        }


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
    checkout = Path(__file__).resolve().parents[2] / "experiments"
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


def load_spec(
    path_or_name: str | Path = DEFAULT_EXPERIMENT,
    *,
    generator: str | None = None,
    seeds: int | None = None,
    overrides: list[str] | tuple[str, ...] = (),
    slurm: list[str] | tuple[str, ...] = (),
) -> ExperimentSpec:
    """Read, override and validate an experiment; raises UserInputError/NotFoundError with one precise line.
    `slurm`: `--slurm KEY=VALUE` items, over the [slurm] section and its per-stage tables."""
    path = find_experiment(path_or_name)
    try:
        text = path.read_text()
    except OSError as exc:
        raise NotFoundError(f"cannot read experiment file {path}: {exc.strerror or exc}") from None
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise UserInputError(f"{_toml_location(path, exc)}: invalid TOML: {_toml_message(exc)}") from None
    return spec_from_dict(raw, source=path, text=text, generator=generator, seeds=seeds, overrides=overrides, slurm=slurm)


def spec_from_dict(
    raw: dict[str, Any],
    *,
    source: str | Path | None = None,
    text: str | None = None,
    generator: str | None = None,
    seeds: int | None = None,
    overrides: list[str] | tuple[str, ...] = (),
    slurm: list[str] | tuple[str, ...] = (),
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
    if slurm:
        from synvita.resources import parse_slurm_overrides, with_overrides

        resources = parse_slurm_overrides(slurm)
        if not isinstance(raw.setdefault("slurm", {}), dict):
            raise UserInputError(f"{where('slurm')}: [slurm] must be a table")
        raw["slurm"] = with_overrides(raw["slurm"], resources)
        for key, value in resources.items():
            applied.append(f"slurm.{key}={value!r}")
            where.overridden[f"slurm.{key}"] = f"--slurm {key}"
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
    problem = run_name_problem(name)
    if problem:
        raise UserInputError(f"{where('name')}: {problem[0]}", hint=problem[1])
    if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9_.-]*", name):
        raise UserInputError(f"{where('name')}: name '{name}' must be letters, digits, '.', '_' or '-'")
    description = raw.get("description", "")
    _check_type(description, str, where("description"), "description")
    seed_list = _validate_seeds(raw.get("seeds", [0]), where("seeds"))
    resume = raw.get("resume", False)
    _check_type(resume, bool, where("resume"), "resume")

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
        resume=resume,
    )
    for values, resolved in spec.points():
        _check_names(resolved, where, values)
    return spec


def _toml_location(path: Path, exc: Exception) -> str:
    match = re.search(r"\(at line (\d+), column (\d+)\)", str(exc))
    return f"{path}:{match.group(1)}:{match.group(2)}" if match else str(path)


def _toml_message(exc: Exception) -> str:
    return re.sub(r"\s*\(at (line \d+, column \d+|end of document)\)", "", str(exc))
