"""Find model weights offline: a local directory, or a repo id already in the user's Hugging Face cache.

Real backends (CogVideoX, other diffusers pipelines, Video-LLaVA) never download anything: a GPU-cluster user
downloads once on a login node (`huggingface-cli download REPO --local-dir DIR`) and points synvita at DIR or at
the repo id. When neither is there, one `NotFoundError` line says where we looked and how to get the weights.
Torch-free, imports huggingface_hub lazily.
"""

from __future__ import annotations

import contextlib
import os
from pathlib import Path

from synvita.errors import NotFoundError


def hf_cache_dir() -> str:
    """The Hugging Face hub cache directory this process would use (honours HF_HUB_CACHE / HF_HOME, read now:
    huggingface_hub reads them once, when it is first imported)."""
    for name in ("HF_HUB_CACHE", "HUGGINGFACE_HUB_CACHE"):
        if os.environ.get(name):
            return os.path.expanduser(os.environ[name])
    if os.environ.get("HF_HOME"):
        return os.path.join(os.path.expanduser(os.environ["HF_HOME"]), "hub")
    try:
        from huggingface_hub import constants

        return str(constants.HF_HUB_CACHE)
    except Exception:  # pragma: no cover - huggingface_hub is a dependency of diffusers/transformers
        return os.path.join(os.environ.get("HF_HOME", os.path.expanduser("~/.cache/huggingface")), "hub")


def resolve_weights(model_path: str | os.PathLike[str], *, example_repo: str, what: str = "model weights") -> Path:
    """A local directory holding `model_path`'s files, without touching the network.

    `model_path` is either a directory (used as is) or a hub repo id ("org/name") that must already be in the
    local HF cache. Raises a one-line `NotFoundError` naming the local path and the cache directory searched and
    the `huggingface-cli download` command that fetches the weights.
    """
    text = os.fspath(model_path)
    local = Path(text).expanduser()
    if local.is_dir():
        if not any(local.iterdir()):
            raise NotFoundError(
                f"{what} directory {local.resolve()} is empty",
                hint=f"download them with `huggingface-cli download {example_repo} --local-dir {local}`",
            )
        return local.resolve()
    cache = hf_cache_dir()
    looks_like_repo = text.count("/") == 1 and not text.startswith((".", "/", "~")) and not local.exists()
    if looks_like_repo:
        try:
            from huggingface_hub import snapshot_download

            return Path(snapshot_download(repo_id=text, local_files_only=True, cache_dir=cache))
        except Exception:
            pass
    if looks_like_repo:
        raise NotFoundError(
            f"{what} '{text}' not found: no local directory {local.resolve()} and no '{text}' snapshot in the HF cache {cache}",
            hint=f"download them with `huggingface-cli download {text} --local-dir DIR` and pass DIR as model_path",
        )
    raise NotFoundError(
        f"{what} directory {local.resolve()} does not exist",
        hint=f"check the path, or download the weights there with `huggingface-cli download {example_repo} --local-dir {local}`",
    )


def pick_device(device: str | None = "auto") -> str:
    """'auto' → 'cuda' when a GPU is visible, else 'cpu'; anything else is returned unchanged."""
    if device in (None, "auto"):
        import torch

        return "cuda" if torch.cuda.is_available() else "cpu"
    return str(device)


def pick_dtype(dtype: str | None, device: str):
    """'auto' → bfloat16 on CUDA, float32 on CPU; otherwise a torch dtype by name ('bf16', 'float16', ...)."""
    import torch

    if dtype in (None, "auto"):
        return torch.bfloat16 if str(device).startswith("cuda") else torch.float32
    if isinstance(dtype, torch.dtype):
        return dtype
    aliases = {"bf16": "bfloat16", "fp16": "float16", "half": "float16", "fp32": "float32", "float": "float32"}
    name = aliases.get(str(dtype), str(dtype))
    value = getattr(torch, name, None)
    if not isinstance(value, torch.dtype):
        from synvita.errors import UserInputError

        raise UserInputError(f"unknown dtype '{dtype}'", hint="use auto, bf16, fp16 or fp32")
    return value


def check_weights(model_path: str | os.PathLike[str], *, key: str, example_repo: str, marker: str) -> None:
    """Submission-time check of a spec's weights location, torch-free and offline: `model_path` must be a local
    directory holding `marker` (config.json for transformers models, model_index.json for diffusers pipelines) or
    a repo id whose snapshot with `marker` is in the local HF cache. Raises a one-line `UserInputError` that names
    `key` (e.g. "model.path"), where it looked and how to download the weights."""
    from synvita.errors import UserInputError

    text = os.fspath(model_path)
    local = Path(text).expanduser()
    looks_like_repo = text.count("/") == 1 and not text.startswith((".", "/", "~")) and not local.exists()
    if looks_like_repo:
        cache = hf_cache_dir()
        if _cached_file(text, marker, cache) is None:
            raise UserInputError(
                f"{key} '{text}' is neither a local directory nor in the HF cache {cache}",
                hint=f"download it with `huggingface-cli download {text} --local-dir DIR` and set {key} to DIR",
            )
        return
    where = local.resolve()
    download = f"download the weights with `huggingface-cli download {example_repo} --local-dir {where}`"
    if not local.is_dir():
        raise UserInputError(f"{key} {where} is not a directory", hint=f"check the path, or {download}")
    if not (local / marker).is_file():
        raise UserInputError(f"{key} {where} has no {marker}: not a saved model directory",
                             hint=f"point it at the downloaded weights, or {download}")


def _cached_file(repo_id: str, filename: str, cache_dir: str) -> str | None:
    """The path of `filename` in the cached snapshot of `repo_id` (no network), or None."""
    try:
        from huggingface_hub import try_to_load_from_cache
    except ImportError:  # pragma: no cover - huggingface_hub comes with transformers/diffusers
        return None
    found = try_to_load_from_cache(repo_id, filename, cache_dir=cache_dir)
    return found if isinstance(found, str) else None


@contextlib.contextmanager
def no_save_progress_bars():
    """transformers' per-file progress bars off while saving (noise for checkpoints of a few kilobytes)."""
    from transformers.utils import logging as hf_logging

    was_on = hf_logging.is_progress_bar_enabled()
    hf_logging.disable_progress_bar()
    try:
        yield
    finally:
        if was_on:
            hf_logging.enable_progress_bar()
