"""One registry per component kind: data sources, world presets, generators, models, scorers, benchmarks, stages.

Components are registered by *import path* ("module:attr"), so `names()` never imports a component's module;
`get(name)` imports exactly one. Built-in components and third-party plugins are declared the same way, as entry
points in the groups `synvita.data_sources`, `synvita.generators`, `synvita.models`, `synvita.scorers` and
`synvita.benchmarks` (synvita's own are in its pyproject.toml; see docs/plugins.md). In a source checkout the
built-ins are read from that pyproject.toml, so an install made before the checkout changed cannot hide or
resurrect one. World presets and stages are registered by their home module. Tests register their fakes through
`register(...)` and remove them with `unregister(...)`.
"""

from __future__ import annotations

import functools
import importlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

from synvita.errors import UnknownNameError

DISTRIBUTION = "synvita"
PYPROJECT = Path(__file__).resolve().parent.parent / "pyproject.toml"
"""pyproject.toml of a source checkout (absent in an installed wheel, whose metadata declares the built-ins)."""


@dataclass(frozen=True)
class Entry:
    name: str
    target: str | Callable[..., Any]
    """"package.module:attr" (imported on first use) or the object itself."""
    summary: str = ""


class Component:
    """What every registered component is: a class that checks and builds itself from its spec section.

    `validate_section` runs at submission, before anything is enqueued, in the process that validates the spec: it
    must not import torch or any other heavy module (keep the component's module light at import time, with heavy
    imports inside methods). `from_section` runs inside a stage, which hands over the typed section
    (`synvita.config`) and its `StageContext` (`ctx.inputs`: upstream run directories by role, `ctx.seed`,
    `ctx.events`, `ctx.data()`: the loaded data source). Each kind's base class says what the built object does.
    """

    name: str = ""
    """The registry name (the entry-point name it is registered under)."""

    @classmethod
    def validate_section(cls, section: Any) -> None:
        """Raise `synvita.errors.UserInputError` (one line) for a setting this component cannot use."""

    @classmethod
    def from_section(cls, section: Any, ctx: Any) -> Any:
        """The component built for one run from its typed spec section."""
        raise NotImplementedError(f"{cls.__name__} does not build from a spec section")


@functools.lru_cache(maxsize=1)
def _checkout_entry_points() -> dict[str, dict[str, str]] | None:
    """group → {name: "module:attr"} from the source checkout's pyproject.toml; None outside a checkout."""
    if not PYPROJECT.is_file():
        return None
    try:
        import tomllib
    except ModuleNotFoundError:  # Python 3.10
        import tomli as tomllib

    project = tomllib.loads(PYPROJECT.read_text()).get("project", {})
    if project.get("name") != DISTRIBUTION:
        return None
    return {group: dict(table) for group, table in project.get("entry-points", {}).items()}


def _entry_points(group: str) -> list[tuple[str, str]]:
    """(name, "module:attr") of every entry point in `group`: synvita's own first, then the plugins'."""
    from importlib.metadata import entry_points

    checkout = _checkout_entry_points()
    found = list((checkout or {}).get(group, {}).items())
    for ep in entry_points(group=group):
        dist = getattr(ep, "dist", None)
        if checkout is not None and dist is not None and dist.name == DISTRIBUTION:
            continue  # the checkout's pyproject.toml, read above, is the current list of built-ins
        found.append((ep.name, ep.value))
    return found


class Registry:
    """A name → component mapping for one kind of component."""

    def __init__(self, kind: str, entry_point_group: str | None = None, home: str | None = None) -> None:
        self.kind = kind
        self._entries: dict[str, Entry] = {}
        self._entry_point_group = entry_point_group
        self._entry_points_loaded = entry_point_group is None
        self._home = home
        """Light module that registers the built-ins; imported on first lookup so no caller has to remember it."""

    @property
    def entry_point_group(self) -> str | None:
        return self._entry_point_group

    def register(self, name: str, target: str | Callable[..., Any], summary: str = "") -> None:
        self._entries[name] = Entry(name, target, summary)

    def unregister(self, name: str) -> None:
        self._entries.pop(name, None)

    def _load_entry_points(self) -> None:
        if self._home is not None:
            home, self._home = self._home, None
            importlib.import_module(home)
        if self._entry_points_loaded:
            return
        self._entry_points_loaded = True
        for name, value in _entry_points(self._entry_point_group):
            self._entries.setdefault(name, Entry(name, value))

    def names(self) -> list[str]:
        """Registered names, sorted; imports no component."""
        self._load_entry_points()
        return sorted(self._entries)

    def entries(self) -> list[Entry]:
        self._load_entry_points()
        return [self._entries[n] for n in self.names()]

    def __contains__(self, name: str) -> bool:
        self._load_entry_points()
        return name in self._entries

    def check(self, name: str) -> None:
        """Raise UnknownNameError (listing the registered names) unless `name` is registered."""
        if name not in self:
            raise UnknownNameError(
                f"unknown {self.kind} '{name}'",
                hint=f"registered {self.kind}s: {', '.join(self.names()) or '(none)'}",
            )

    def get(self, name: str) -> Any:
        """The registered object (a component class); imports its module on first use."""
        self.check(name)  # also loads the built-ins and plugins
        entry = self._entries[name]
        if isinstance(entry.target, str):
            module_name, _, attr = entry.target.partition(":")
            obj = importlib.import_module(module_name)
            for part in attr.split("."):
                obj = getattr(obj, part)
            self._entries[name] = Entry(name, obj, entry.summary)
            return obj
        return entry.target


DATA_SOURCES = Registry("data source", "synvita.data_sources")
WORLD_PRESETS = Registry("world preset", home="synvita.world.config")
GENERATORS = Registry("generator", "synvita.generators")
MODELS = Registry("model", "synvita.models")
SCORERS = Registry("scorer", "synvita.scorers")
BENCHMARKS = Registry("benchmark", "synvita.benchmarks")
STAGES = Registry("stage", home="synvita.stages")
