"""The alignment-model component: what `[model] name` selects, light enough to validate a spec without torch.

A registered model (`synvita.registry.MODELS`, entry-point group `synvita.models`) is a `ModelComponent`: it checks
the [model] section at submission (`validate_section`), builds the model a train run fine-tunes (`from_section`)
and names its `torch.nn.Module` class (`model_class()`, a `synvita.models.base.AlignmentModel`), which
`load_model` / `build_model` use to read and create checkpoints.
"""

from __future__ import annotations

import importlib
from typing import Any, ClassVar

from synvita.errors import UserInputError
from synvita.registry import Component


class ModelComponent(Component):
    model_path: ClassVar[str] = ""
    """"module:Class" of the `AlignmentModel` subclass (imported by `model_class`, never at validation)."""
    needs_pretrain: ClassVar[bool] = True
    """True when a train run starts from the pretrain run's `init/` (then the planner makes train depend on it);
    False for a model whose starting point is a checkpoint of its own (`[model] path`)."""

    @classmethod
    def validate_training(cls, section: Any, train: Any) -> None:
        """Refuse [train] settings this model cannot honour (torch-free, at submission); `section` is [model]."""

    @classmethod
    def model_class(cls) -> Any:
        module, _, attr = cls.model_path.partition(":")
        return getattr(importlib.import_module(module), attr)

    @classmethod
    def from_section(cls, section: Any, ctx: Any) -> Any:
        """The model a train run fine-tunes: the upstream pretrain run's initialisation (`init/`, or the run
        directory itself when it is a saved model)."""
        from synvita.models.base import load_model

        pretrain = ctx.inputs["pretrain"]
        return load_model(pretrain / "init" if (pretrain / "init").exists() else pretrain)


class TinyModel(ModelComponent):
    """The embedded model; trains on CPU in minutes (synvita.models.tiny)."""

    name = "tiny"
    model_path = "synvita.models.tiny:TinyAlignmentModel"

    @classmethod
    def validate_section(cls, section: Any) -> None:
        from synvita.models.tiny_options import tiny_config_problems

        problems = tiny_config_problems(section.config or {})
        if problems:
            raise UserInputError(f"model.config: {problems[0]}",
                                 hint="see experiments/README.md ([model] config) and synvita/models/tiny.py")

    @classmethod
    def validate_training(cls, section: Any, train: Any) -> None:
        if train.max_frames is not None:
            raise UserInputError("train.max_frames: the tiny model reads every frame of the world's clips",
                                 hint="remove it (it sets a video-LLM's frame count); the world's frames are [world] overrides.frames")
        if train.gradient_checkpointing:
            raise UserInputError("train.gradient_checkpointing: the tiny model has no activation checkpointing",
                                 hint="remove it; the tiny model fits in memory without it")


SET_ELSEWHERE = {"model_path": "model.path", "device": "train.device", "dtype": "train.precision",
                 "gradient_checkpointing": "train.gradient_checkpointing"}
"""videollm options a spec sets outside `[model] config` (the stages pass them on to the model)."""


class VideoLLMModel(ModelComponent):
    """Video-LLaVA / LLaVA-NeXT-Video with LoRA (synvita.models.videollm), fine-tuned from the checkpoint at
    `[model] path`: no pretrain run; [train] sets its device, precision, frame count and checkpointing."""

    name = "videollm"
    model_path = "synvita.models.videollm:VideoLLMAlignmentModel"
    needs_pretrain = False

    @classmethod
    def validate_section(cls, section: Any) -> None:
        from synvita.hub import check_weights
        from synvita.models.videollm_options import EXAMPLE_REPO, merged

        if not section.path:
            raise UserInputError("model.path must name the video-LLM weights for videollm",
                                 hint=f'e.g. path = "/weights/Video-LLaVA-7B-hf", from `huggingface-cli download {EXAMPLE_REPO} --local-dir DIR`')
        config = dict(section.config or {})
        for key, where in SET_ELSEWHERE.items():
            if key in config:
                raise UserInputError(f"model.config: {key} is set as {where} for videollm", hint=f"remove it from model.config; set {where}")
        try:
            merged(config)
        except UserInputError as exc:
            raise UserInputError(f"model.config: {exc.what}", hint=exc.hint) from None
        check_weights(section.path, key="model.path", example_repo=EXAMPLE_REPO, marker="config.json")

    @classmethod
    def validate_training(cls, section: Any, train: Any) -> None:
        frames = (section.config or {}).get("num_frames")
        if train.max_frames is not None and frames is not None and frames != train.max_frames:
            raise UserInputError(f"train.max_frames = {train.max_frames} but model.config num_frames = {frames}",
                                 hint="set the frame count once, as train.max_frames")

    @classmethod
    def from_section(cls, section: Any, ctx: Any) -> Any:
        """The base model at `[model] path` with a fresh LoRA (seeded by the run's seed), on [train]'s device and
        precision, with its frame count and gradient checkpointing."""
        from synvita.models.videollm import VideoLLMAlignmentModel

        cls.validate_section(section)
        train = ctx.section("train")
        config = {**(section.config or {}), "device": train.device, "dtype": train.precision,
                  "gradient_checkpointing": train.gradient_checkpointing}
        if train.max_frames is not None:
            config["num_frames"] = train.max_frames
        return VideoLLMAlignmentModel.from_section({"path": section.path, "config": config}, seed=ctx.seed)
