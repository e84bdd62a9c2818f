"""Any diffusers text-to-video pipeline (LTX, Wan, Mochi, HunyuanVideo, CogVideoX, ...) loaded from local weights.

`DiffusionPipeline.from_pretrained(dir, local_files_only=True)` reads `model_index.json` and builds whatever
pipeline class the directory was saved from, so one generator covers every T2V pipeline diffusers ships. Weights
come from a local directory or a repo id already in the HF cache (`synvita.hub.resolve_weights`); nothing is
downloaded. Video i of a call is generated with its own CPU `torch.Generator` seeded by `video_seed(seed, i)`
(or by the global index passed as `indices`), so results do not depend on batching, sharding or the device's RNG.
"""

from __future__ import annotations

import inspect
import os
from pathlib import Path
from typing import Any, Sequence

import numpy as np

from synvita.errors import NotFoundError, UserInputError
from synvita.generators.base import (MODEL_OPTIONS, GeneratedVideo, Generator, check_model_settings, model_options,
                                     require_cuda)
from synvita.generators.sharded import video_seed
from synvita.hub import pick_device, pick_dtype, resolve_weights


def frames_to_uint8(frames: Any) -> np.ndarray:
    """One pipeline output video (float [T,H,W,3] in [0,1], uint8, a torch tensor or a list of PIL images) →
    uint8 [T, H, W, 3]."""
    if isinstance(frames, (list, tuple)):
        frames = np.stack([np.asarray(f) for f in frames])
    if hasattr(frames, "detach"):  # torch tensor
        frames = frames.detach().float().cpu().numpy()
    arr = np.asarray(frames)
    if arr.ndim != 4:
        raise UserInputError(f"pipeline returned a video of shape {arr.shape}", hint="expected [T, H, W, C]")
    if arr.shape[-1] not in (1, 3, 4) and arr.shape[1] in (1, 3, 4):  # [T, C, H, W] → [T, H, W, C]
        arr = arr.transpose(0, 2, 3, 1)
    if arr.dtype != np.uint8:
        arr = (np.clip(arr.astype(np.float32), 0.0, 1.0) * 255.0).round().astype(np.uint8)
    if arr.shape[-1] == 1:
        arr = np.repeat(arr, 3, axis=-1)
    return np.ascontiguousarray(arr[..., :3])


class DiffusersGenerator(Generator):
    """A diffusers T2V pipeline from `model_path` (a local directory or a cached repo id).

    `call_kwargs` are passed to the pipeline call as they are (e.g. `{"max_sequence_length": 128}`, a negative
    prompt, a Hunyuan `prompt_template`); the standard options below are passed only when the pipeline's
    `__call__` accepts them, and `None` leaves the pipeline's own default.
    """

    name = "diffusers"
    example_repo = "Lightricks/LTX-Video"
    pipeline_class: str | None = None
    """diffusers class name to load with; None = `DiffusionPipeline` (dispatch by the directory's model_index.json)."""
    default_fps = 8
    section_keys = ("model_path", *MODEL_OPTIONS, "options")
    option_keys = (*MODEL_OPTIONS, "negative_prompt", "fps", "cpu_offload", "vae_tiling", "call_kwargs")
    needs_model_path = True
    """False where the class has a default repo id (CogVideoX)."""

    @classmethod
    def validate_section(cls, section: Any) -> None:
        super().validate_section(section)
        check_model_settings(section)
        if section.model_path is None and cls.needs_model_path:
            raise UserInputError(f"generator '{cls.name}' needs generation.model_path",
                                 hint=f"a local pipeline directory or a cached repo id, e.g. {cls.example_repo}")
        from synvita.hub import check_weights

        # the weights must be there now (a local pipeline directory, or a repo id in the HF cache), not only when
        # the generate run loads them after the world was built
        check_weights(section.model_path or cls.example_repo, key="generation.model_path",
                      example_repo=cls.example_repo, marker="model_index.json")

    @classmethod
    def from_section(cls, section: Any, ctx: Any) -> "DiffusersGenerator":
        """The pipeline from `model_path` with the section's device, dtype, sizes, steps, guidance, batch_size and
        `options`; missing weights are the generator's one-line `NotFoundError`."""
        check_model_settings(section)
        require_cuda(section.device)
        return cls(**model_options(section, ("model_path", *MODEL_OPTIONS)))

    def log_line(self) -> str:
        return f"generating with {self.name} ({self.model_path} on {self.device})"

    def __init__(
        self,
        model_path: str | os.PathLike[str],
        *,
        device: str | None = "auto",
        dtype: str | None = "auto",
        num_frames: int | None = None,
        height: int | None = None,
        width: int | None = None,
        steps: int | None = None,
        guidance: float | None = None,
        negative_prompt: str | None = None,
        fps: int | None = None,
        batch_size: int = 1,
        cpu_offload: bool = False,
        vae_tiling: bool = False,
        call_kwargs: dict[str, Any] | None = None,
    ) -> None:
        self.model_dir = resolve_weights(model_path, example_repo=self.example_repo, what=f"{self.name} weights")
        self.model_path = os.fspath(model_path)
        self.device = pick_device(device)
        self.dtype = pick_dtype(dtype, self.device)
        self.num_frames, self.height, self.width = num_frames, height, width
        self.steps, self.guidance, self.negative_prompt = steps, guidance, negative_prompt
        self.fps = int(fps or self.default_fps)
        if batch_size < 1:
            raise UserInputError(f"batch_size must be ≥ 1, got {batch_size}")
        self.batch_size = int(batch_size)
        self.call_kwargs = dict(call_kwargs or {})
        self.pipe = self._load(cpu_offload=cpu_offload, vae_tiling=vae_tiling)
        self._accepted = set(inspect.signature(self.pipe.__call__).parameters)

    # ---- loading -------------------------------------------------------------------------------------------

    def _load(self, *, cpu_offload: bool, vae_tiling: bool):
        import diffusers

        if not (self.model_dir / "model_index.json").exists():
            raise NotFoundError(
                f"{self.model_dir} is not a diffusers pipeline directory (model_index.json missing)",
                hint=f"point model_path at a pipeline saved with save_pretrained or `huggingface-cli download {self.example_repo} --local-dir DIR`",
            )
        cls = getattr(diffusers, self.pipeline_class) if self.pipeline_class else diffusers.DiffusionPipeline
        try:
            pipe = cls.from_pretrained(str(self.model_dir), dtype=self.dtype, local_files_only=True)
        except (OSError, EnvironmentError) as exc:  # a component's files are missing or incomplete
            first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            raise NotFoundError(
                f"cannot load the {self.name} pipeline from {self.model_dir}: {first}",
                hint=f"re-download with `huggingface-cli download {self.example_repo} --local-dir {self.model_dir}`",
            ) from exc
        if cpu_offload and self.device.startswith("cuda"):
            pipe.enable_model_cpu_offload()
        else:
            pipe.to(self.device)
        if vae_tiling and hasattr(getattr(pipe, "vae", None), "enable_tiling"):
            pipe.vae.enable_tiling()
        for component in pipe.components.values():
            if hasattr(component, "eval") and hasattr(component, "parameters"):
                component.eval()  # no dropout: same seed → same video
        pipe.set_progress_bar_config(disable=True)
        return pipe

    # ---- generation ----------------------------------------------------------------------------------------

    def _call_options(self) -> dict[str, Any]:
        options = {
            "num_frames": self.num_frames,
            "height": self.height,
            "width": self.width,
            "num_inference_steps": self.steps,
            "guidance_scale": self.guidance,
            "negative_prompt": self.negative_prompt,
        }
        kwargs = {k: v for k, v in options.items() if v is not None and k in self._accepted}
        kwargs.update(self.call_kwargs)
        return kwargs

    def generate(
        self, prompts: Sequence[str], seed: int, indices: Sequence[int] | None = None, references: Sequence[str] | None = None
    ) -> list[GeneratedVideo]:
        """Videos for `prompts`; video i is seeded by `video_seed(seed, indices[i])` (indices default 0..n-1).

        `references` (the real captions tʳ, which the procedural world uses) are accepted and ignored: a real
        generator sees only its prompt."""
        import torch

        prompts = list(prompts)
        indices = list(range(len(prompts))) if indices is None else [int(i) for i in indices]
        if len(indices) != len(prompts):
            raise UserInputError(f"{len(indices)} indices for {len(prompts)} prompts", hint="one index per prompt")
        for i, p in enumerate(prompts):
            if not isinstance(p, str) or not p.strip():
                raise UserInputError(f"prompt {i} is empty", hint="every video needs a non-empty text prompt")
        kwargs = self._call_options()
        out: list[GeneratedVideo] = []
        with torch.inference_mode():
            for start in range(0, len(prompts), self.batch_size):
                chunk = prompts[start : start + self.batch_size]
                seeds = [video_seed(seed, i) for i in indices[start : start + self.batch_size]]
                gens = [torch.Generator("cpu").manual_seed(s) for s in seeds]
                result = self.pipe(prompt=chunk, generator=gens if len(gens) > 1 else gens[0], output_type="np", **kwargs)
                videos = result.frames if hasattr(result, "frames") else result[0]
                for k, (prompt, s) in enumerate(zip(chunk, seeds)):
                    out.append(
                        GeneratedVideo(
                            frames=frames_to_uint8(videos[k]),
                            prompt=prompt,
                            meta={"generator": self.name, "model": self.model_path, "seed": s, "index": indices[start + k], "fps": self.fps},
                        )
                    )
        return out

    def describe(self) -> dict[str, Any]:
        """What a run directory records about this generator."""
        return {
            "generator": self.name,
            "model_path": self.model_path,
            "model_dir": str(self.model_dir),
            "pipeline": type(self.pipe).__name__,
            "device": self.device,
            "dtype": str(self.dtype).replace("torch.", ""),
            **{k: (v if isinstance(v, (int, float, str, bool)) else repr(v)) for k, v in self._call_options().items()},
        }


def is_pipeline_dir(path: str | os.PathLike[str]) -> bool:
    """True when `path` is a directory written by a diffusers pipeline's save_pretrained."""
    return (Path(path) / "model_index.json").exists()
