"""The data-source component: where an experiment's real videos, captions and benchmark sets come from.

A data source is registered in `synvita.registry.DATA_SOURCES` (entry-point group `synvita.data_sources`) and
chosen by `[data] source`; its own settings are the spec section named after it (`[world]` for the embedded world).
The `world` stage materialises it once (`build`), and every later stage reads that back (`load`) from the upstream
run directory. The loaded dataset answers what the stages ask of the embedded world (`synvita.world.World`):
`split(name)` → (VideoBank, PairSet), `pretrain` → (VideoBank, EntailmentSet), `benchmark(name)` → (VideoBank,
its set), `config` (clip geometry: frames, height, width), `root`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Callable

from synvita.registry import Component


class DataSource(Component):
    """Base class of data sources. `from_section(section, ctx)` returns an instance configured by the section."""

    def __init__(self, section: Any) -> None:
        self.section = section

    @classmethod
    def from_section(cls, section: Any, ctx: Any) -> "DataSource":
        return cls(section)

    def describe(self) -> str:
        """One line for the world run's log: what is being built."""
        return f"data source {self.name}"

    def build(self, out_dir: Path, progress: Callable[[int, int, str], None] | None = None) -> Any:
        """Materialise the source under `out_dir` (the world stage) and return the loaded dataset."""
        raise NotImplementedError

    def load(self, run_dir: Path) -> Any:
        """The dataset `build` wrote into the run directory `run_dir` (or into `run_dir` itself)."""
        raise NotImplementedError

    def stats(self, out_dir: Path) -> dict[str, Any]:
        """Summary statistics of a built dataset, written next to it as stats.json."""
        return {}
