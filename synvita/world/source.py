"""`world`: the embedded procedural world as a data source (settings: the spec's [world] section)."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Callable

from synvita.data.source import DataSource
from synvita.errors import UserInputError

WORLD_SUBDIR = "world"
"""Where the world stage writes the world inside its run directory."""


def world_dir(path: str | Path) -> Path:
    """The world directory inside an upstream world run dir (or the path itself if it is a world dir)."""
    path = Path(path)
    return path if (path / "world.json").exists() else path / WORLD_SUBDIR


class WorldSource(DataSource):
    """Builds the world from its preset, seed and overrides; reads back a built one (`synvita.world.World`)."""

    name = "world"

    @classmethod
    def validate_section(cls, section: Any) -> None:
        from synvita.world.config import check_overrides, resolve_config

        if section.overrides:
            try:
                check_overrides(section.overrides, section.preset)
            except UserInputError as exc:
                raise UserInputError(f"world.overrides: {exc.what}", hint=exc.hint) from None
        resolve_config(section.preset, section.overrides or None)

    def build(self, out_dir: Path, progress: Callable[[int, int, str], None] | None = None) -> Any:
        from synvita.world.build import build_world

        return build_world(self.section.preset, self.section.seed, out_dir, progress=progress,
                           overrides=self.section.overrides or None)

    def load(self, run_dir: Path) -> Any:
        from synvita.world.dataset import load_world

        return load_world(world_dir(run_dir))

    def stats(self, out_dir: Path) -> dict[str, Any]:
        from synvita.world.stats import world_stats

        return world_stats(out_dir)
