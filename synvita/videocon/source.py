"""`videocon`: the real datasets as a data source (settings: the spec's [videocon] section).

It reads, from one data root, the layouts of METHOD.md §6 and §9: the training CSV (VideoCon pairs or SynViTA
rows), an optional pretraining CSV, and the six evaluation sets (VideoCon LLM test, VideoCon Human with `hard`,
SSv2-Temporal, SSv2-Events, ATP-Hard with its `video, question, type` file). `synvita world export` writes the
embedded world in exactly these layouts, so the same experiment runs on either.

At submission (`validate_section`, torch-free, no decoding) every file is opened: its columns and values are
checked and every video path is confined to the data root and must name an existing file. The world stage
(`build`) decodes each video once into the decoded-frame cache (`synvita.data.cache`: `frames` frames evenly
spaced over the clip, area-resized to height × width); a video PyAV cannot decode fails that run with the CSV, the
row and what to do. Later stages read the cache (`synvita.videocon.dataset.VideoconData`), never the mp4s.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Callable

from synvita.data.source import DataSource


class VideoconSource(DataSource):
    """Reads the real CSVs and videos under `[videocon] root`; decodes every video once into the frame cache."""

    name = "videocon"

    @classmethod
    def validate_section(cls, section: Any) -> None:
        from synvita.videocon.files import read_sets

        read_sets(section)

    def describe(self) -> str:
        return f"videocon data from {self.section.root}"

    def build(self, out_dir: Path, progress: Callable[[int, int, str], None] | None = None) -> Any:
        from synvita.videocon.dataset import build_dataset

        return build_dataset(self.section, out_dir, progress=progress)

    def load(self, run_dir: Path) -> Any:
        from synvita.videocon.dataset import load_dataset

        return load_dataset(run_dir)

    def stats(self, out_dir: Path) -> dict[str, Any]:
        from synvita.videocon.dataset import load_dataset

        return load_dataset(out_dir).meta
