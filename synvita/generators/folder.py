"""Videos generated elsewhere (LaVie, VideoCrafter2, ... — models not in diffusers), matched to prompts by a manifest.

The folder holds a CSV manifest with at least the columns `prompt,videopath` (paths relative to the manifest's
folder, or absolute) and the video files. `generate(prompts, seed)` returns, for each prompt, the first listed
video for that exact prompt (whitespace-normalised), decoded with PyAV; a prompt with no video raises a one-line
error naming the manifest. Optionally frames are resampled to `num_frames` (linspace) and resized to
`height`×`width` (PIL, bilinear), so videos from different tools fit one bank. The output of
`generate_to_dir` is itself such a folder.
"""

from __future__ import annotations

import csv
import os
from pathlib import Path
from typing import Any, Callable, Sequence

import numpy as np

from synvita.errors import NotFoundError, UserInputError
from synvita.generators.base import GeneratedVideo, Generator, model_options
from synvita.generators.sharded import MANIFEST, read_mp4
from synvita.paths import confine


def _norm(prompt: str) -> str:
    return " ".join(str(prompt).split())


def resample_video(frames: np.ndarray, num_frames: int | None = None, height: int | None = None, width: int | None = None) -> np.ndarray:
    """uint8 [T, H, W, 3] → uint8 [num_frames, height, width, 3] (linspace frame choice, bilinear resize)."""
    if num_frames is not None and num_frames != len(frames):
        frames = frames[np.linspace(0, len(frames) - 1, int(num_frames)).round().astype(int)]
    if (height is not None and height != frames.shape[1]) or (width is not None and width != frames.shape[2]):
        from PIL import Image

        size = (int(width or frames.shape[2]), int(height or frames.shape[1]))
        frames = np.stack([np.asarray(Image.fromarray(f).resize(size, Image.BILINEAR)) for f in frames])
    return np.ascontiguousarray(frames, dtype=np.uint8)


class FolderGenerator(Generator):
    """Looks videos up by prompt in `model_path/manifest` (a folder made by another T2V tool or `generate_to_dir`)."""

    name = "folder"
    section_keys = ("model_path", "videos_dir", "num_frames", "height", "width", "options")
    option_keys = ("manifest", "num_frames", "height", "width", "fps")

    @classmethod
    def validate_section(cls, section: Any) -> None:
        super().validate_section(section)
        if (section.model_path is None) == (section.videos_dir is None):
            raise UserInputError("the folder generator needs the video folder", hint="set generation.videos_dir (or model_path), not both")
        for key in ("num_frames", "height", "width"):
            value = getattr(section, key)
            if value is not None and int(value) < 1:
                raise UserInputError(f"generation.{key} = {value} must be ≥ 1")

    @classmethod
    def from_section(cls, section: Any, ctx: Any) -> "FolderGenerator":
        return cls(**model_options(section, ("model_path", "videos_dir", "num_frames", "height", "width")))

    def log_line(self) -> str:
        return f"conforming the videos of {self.manifest_path}"

    def synthesize(self, world: Any, out_dir: Path, seed: int,
                   progress: Callable[[int, int, str], None] | None = None) -> Any:
        """The folder's videos conformed straight to the world's clip shape (no copy, no second lossy encode)."""
        from synvita.generators.synthesize import conform_folder

        return conform_folder(world, self, self.name, seed, out_dir, progress=progress)

    def __init__(
        self,
        model_path: str | os.PathLike[str] | None = None,
        *,
        videos_dir: str | os.PathLike[str] | None = None,
        manifest: str = MANIFEST,
        num_frames: int | None = None,
        height: int | None = None,
        width: int | None = None,
        fps: int = 8,
    ) -> None:
        if (model_path is None) == (videos_dir is None):
            raise UserInputError("the folder generator needs the video folder", hint="set model_path (or videos_dir), not both")
        folder = Path(model_path if model_path is not None else videos_dir).expanduser()
        if not folder.is_dir():
            raise NotFoundError(f"video folder {folder.resolve()} does not exist", hint="pass the folder holding the videos and their manifest CSV")
        self.folder = folder.resolve()
        self.manifest_path = self.folder / manifest
        if not self.manifest_path.is_file():
            raise NotFoundError(
                f"no manifest {self.manifest_path}",
                hint="write a CSV with columns prompt,videopath (one row per video) into the folder",
            )
        self.num_frames, self.height, self.width, self.fps = num_frames, height, width, int(fps)
        self.videos: dict[str, list[Path]] = {}
        with open(self.manifest_path, newline="", encoding="utf-8") as fh:
            reader = csv.DictReader(fh)
            missing = {"prompt", "videopath"} - set(reader.fieldnames or [])
            if missing:
                raise UserInputError(
                    f"manifest {self.manifest_path} lacks column(s) {', '.join(sorted(missing))}",
                    hint="the header must include prompt,videopath",
                )
            for line, row in enumerate(reader, start=2):
                if not (row["prompt"] or "").strip() or not (row["videopath"] or "").strip():
                    raise UserInputError(f"manifest {self.manifest_path} line {line} has an empty prompt or videopath")
                path = confine(self.folder, row["videopath"], where=f"manifest {self.manifest_path} line {line}")
                self.videos.setdefault(_norm(row["prompt"]), []).append(path)

    def __len__(self) -> int:
        return sum(len(v) for v in self.videos.values())

    def prompts(self) -> list[str]:
        """Every prompt the manifest lists (whitespace-normalised, in file order)."""
        return list(self.videos)

    def generate(self, prompts: Sequence[str], seed: int = 0, references: Sequence[str] | None = None,
                 indices: Sequence[int] | None = None) -> list[GeneratedVideo]:
        """The listed video for each prompt; `seed`, `references` and `indices` are ignored (the videos exist)."""
        out = []
        for prompt in prompts:
            paths = self.videos.get(_norm(prompt))
            if not paths:
                raise UserInputError(
                    f"no video for prompt '{prompt}' in {self.manifest_path} ({len(self.videos)} prompts listed)",
                    hint="generate it with the external tool and add a prompt,videopath row",
                )
            frames = resample_video(read_mp4(paths[0]), self.num_frames, self.height, self.width)
            out.append(GeneratedVideo(frames=frames, prompt=prompt, meta={"generator": self.name, "videopath": str(paths[0]), "candidates": len(paths)}))
        return out
