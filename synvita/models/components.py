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


class VideoLLMModel(ModelComponent):
    """Video-LLaVA / LLaVA-NeXT-Video with LoRA (synvita.models.videollm)."""

    name = "videollm"
    model_path = "synvita.models.videollm:VideoLLMAlignmentModel"

    @classmethod
    def validate_section(cls, section: Any) -> None:
        raise UserInputError(
            "model.name = 'videollm': the train stage fine-tunes only the embedded `tiny` model so far",
            hint="the videollm backend is usable from Python (synvita.training.loop.train); see docs/backends.md",
        )

    @classmethod
    def from_section(cls, section: Any, ctx: Any) -> Any:
        cls.validate_section(section)
