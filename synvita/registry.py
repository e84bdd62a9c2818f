"""One registry per component kind: world presets, generators, models, scorers, benchmarks, stages.

Built-ins are registered by *import path* ("module:attr"), so `names()` never imports a heavy module; `get(name)`
imports exactly one. Third-party packages add entries through the entry-point group `synvita.<kind>` (the
built-ins below are the reference implementations and go through the same `register`). Tests register their fakes
through `register(...)` and remove them with `unregister(...)`.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from typing import Any, Callable

from synvita.errors import UnknownNameError


@dataclass(frozen=True)
class Entry:
    name: str
    target: str | Callable[..., Any]
    """"package.module:attr" (imported on first use) or the object itself."""
    summary: str = ""


class Registry:
    """A name → component mapping for one kind of component."""

    def __init__(self, kind: str, entry_point_group: str | None = None, home: str | None = None) -> None:
        self.kind = kind
        self._entries: dict[str, Entry] = {}
        self._entry_point_group = entry_point_group
        self._entry_points_loaded = entry_point_group is None
        self._home = home
        """Light module that registers the built-ins; imported on first lookup so no caller has to remember it."""

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
        from importlib.metadata import entry_points

        for ep in entry_points(group=self._entry_point_group):
            self._entries.setdefault(ep.name, Entry(ep.name, ep.value, "(plugin)"))

    def names(self) -> list[str]:
        """Registered names, sorted; imports nothing heavy."""
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
        """The registered object (class, factory or value); imports its module on first use."""
        self.check(name)  # also loads the built-ins and plugins
        entry = self._entries[name]
        if isinstance(entry.target, str):
            module_name, _, attr = entry.target.partition(":")
            obj = getattr(importlib.import_module(module_name), attr)
            self._entries[name] = Entry(name, obj, entry.summary)
            return obj
        return entry.target


WORLD_PRESETS = Registry("world preset", home="synvita.world.config")
GENERATORS = Registry("generator", "synvita.generators", home="synvita.generators")
MODELS = Registry("model", "synvita.models", home="synvita.models")
SCORERS = Registry("scorer", "synvita.scorers", home="synvita.scorers")
BENCHMARKS = Registry("benchmark", home="synvita.benchmarks")
STAGES = Registry("stage", home="synvita.stages")
