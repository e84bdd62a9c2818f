"""Model weights for the front ends: tiny, randomly initialised checkpoints in the released models' layouts, so the
paper's recipe (experiments/paper-videollava.toml) runs on a CPU without downloading anything.

The checkpoints are written by the backends' own builders (torch, diffusers and transformers are imported by them,
inside the call): a CogVideoX pipeline directory, a Video-LLaVA and a LLaVA-NeXT-Video directory, each named after
the repository it stands in for, so that pointing the experiment at real weights changes only the directory.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from synvita.errors import UserInputError


@dataclass(frozen=True)
class TinyCheckpoint:
    name: str
    """Directory name under the output folder (the released repository's name)."""
    stands_for: str
    """The Hugging Face repository whose layout it has."""
    role: str
    """What the paper recipe uses it for."""
    path: Path


TINY_CHECKPOINTS: tuple[tuple[str, str, str], ...] = (
    ("CogVideoX-2b", "THUDM/CogVideoX-2b", "generator ([generation] model_path)"),
    ("Video-LLaVA-7B-hf", "LanguageBind/Video-LLaVA-7B-hf", "alignment model ([model] path) and VQAScore member"),
    ("LLaVA-NeXT-Video-7B-hf", "llava-hf/LLaVA-NeXT-Video-7B-hf", "VQAScore member ([scorers] paths)"),
)
"""(directory, repository, role) of each tiny checkpoint, in the order they are written."""


def tiny_checkpoints(out_dir: str | Path, force: bool = False) -> list[TinyCheckpoint]:
    """Write the tiny checkpoints under `out_dir` (seconds on a CPU); deterministic. An existing, non-empty
    checkpoint directory is refused unless `force` (then it is rewritten)."""
    out = Path(out_dir).expanduser()
    targets = [TinyCheckpoint(name, repo, role, out / name) for name, repo, role in TINY_CHECKPOINTS]
    for t in targets:
        if not force and t.path.is_dir() and any(t.path.iterdir()):
            raise UserInputError(f"{t.path} already exists and is not empty", hint="pass --force to rewrite it, or choose another --out")
    out.mkdir(parents=True, exist_ok=True)
    from synvita.generators.cogvideox import build_tiny_cogvideox
    from synvita.models.videollm import build_tiny_videollm

    build_tiny_cogvideox(targets[0].path)
    build_tiny_videollm(targets[1].path, arch="video_llava")
    build_tiny_videollm(targets[2].path, arch="llava_next_video")
    return targets


def paper_overrides(checkpoints: list[TinyCheckpoint]) -> list[str]:
    """`--set` values that point experiments/paper-videollava.toml at the tiny checkpoints, at sizes they can run."""
    from synvita.generators.cogvideox import TINY_SETTINGS

    by_name = {c.name: c.path.resolve() for c in checkpoints}
    members = ", ".join(f'"{by_name[n]}"' for n in ("Video-LLaVA-7B-hf", "LLaVA-NeXT-Video-7B-hf"))
    sets = [f"generation.model_path={by_name['CogVideoX-2b']}", f"model.path={by_name['Video-LLaVA-7B-hf']}",
            f"scorers.paths=[{members}]"]
    sets += [f"generation.{k}={v}" for k, v in TINY_SETTINGS.items()]
    return sets
