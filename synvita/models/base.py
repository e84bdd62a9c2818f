"""The alignment-model interface: f(V, t) ∈ [0, 1] and the Yes/No logits every training variant needs.

Every registered model (`synvita.registry.MODELS`, a light `synvita.models.components.ModelComponent`) names a
`torch.nn.Module` subclass of `AlignmentModel` (its `model_class()`). The
training loop, the scorers and the benchmarks only ever call the methods below, so a new backend (the embedded
`tiny` model, a transformers video-LLM, ...) plugs in by implementing five abstract methods.

The flow for one batch of S sequences over V distinct videos (each video is encoded once and reused for all of
its captions — the c and c′ copies of SynViTA share one encoding):

    feats  = model.encode_videos(videos)                 # videos: uint8 [V, T, H, W, 3] (numpy or torch)
    text   = model.prepare_text(captions, shared_with)   # S captions; shared_with[i] given → c′ (shared semantics)
    logits = model(feats, video_index, text)             # video_index: int64 [S] into the V videos → [S, 2]
    f      = model.score(feats, video_index, text)       # [S] = p(Yes) / (p(Yes) + p(No)), differentiable
    ce_sum, n_tok = model.sequence_ce(logits, labels)    # labels int64 [S], 1 = Yes (entails), 0 = No

Conventions (binding for every backend):

* `logits[:, 0]` is the "Yes" answer, `logits[:, 1]` the "No" answer, taken at the position that predicts the
  answer token. For language-model backends these may be the full-vocabulary log-probabilities of the "Yes"/"No"
  token ids; `softmax(logits[:, :2])[:, 0]` is then exactly p(Yes)/(p(Yes)+p(No)) (METHOD.md §2).
* `labels` are 1 = "Yes" (the caption entails the video) and 0 = "No".
* `sequence_ce` returns the *summed* token cross-entropy of each sequence's answer tokens and how many label
  tokens it has; the training loop divides by the total token count of all CE sequences in the micro-batch
  (METHOD.md item 8). The default is one token (the 2-way answer); a backend that also trains EOS / NLE tokens
  overrides it.
* The c′ copy keeps every token and every position id; tokens of the own caption that differ from `shared_with`
  (by `synvita.method.shared_semantic_mask`) are only removed from attention.
* `config` is a JSON-serialisable dict that rebuilds the architecture: `type(model).from_config(model.config)`.
  `save_pretrained(dir)` writes `config.json` (with the registered `name`) plus the weights;
  `AlignmentModel.load(dir)` / `Cls.from_pretrained(dir)` read them back bit-identically.
* Construction is deterministic: `build_model(name, config, seed=s)` gives identical weights for the same seed.
"""

from __future__ import annotations

import json
import os
from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Sequence

import numpy as np
import torch
from torch import nn

from synvita.errors import NotFoundError, UserInputError

if TYPE_CHECKING:
    from synvita.models.stored_inputs import StoredVideoInputs

CONFIG_NAME = "config.json"
WEIGHTS_NAME = "model.safetensors"

YES, NO = 0, 1
"""Columns of the logits returned by `AlignmentModel.forward`."""


@dataclass
class TextBatch:
    """Tokenised captions for S sequences (backend-specific tensors live in `extra`)."""

    ids: torch.Tensor
    """int64 [S, L] token ids, right-padded."""
    attention_mask: torch.Tensor
    """bool [S, L]: True = the token may be attended to. False for padding and for masked (non-shared) tokens."""
    positions: torch.Tensor
    """int64 [S, L] position ids; masking a token never shifts the positions of the others."""
    padding_mask: torch.Tensor
    """bool [S, L]: True = a real token (not padding). `padding_mask & ~attention_mask` are the masked-out tokens."""
    extra: dict[str, Any] = field(default_factory=dict)

    def __len__(self) -> int:
        return int(self.ids.shape[0])

    def select(self, index: torch.Tensor | Sequence[int]) -> "TextBatch":
        """The rows `index` (e.g. a chunk of sequences), same layout."""
        index = torch.as_tensor(index, dtype=torch.long)
        extra = {k: (v[index] if isinstance(v, torch.Tensor) else v) for k, v in self.extra.items()}
        return TextBatch(self.ids[index], self.attention_mask[index], self.positions[index], self.padding_mask[index], extra)


def as_video_tensor(videos: np.ndarray | torch.Tensor) -> torch.Tensor:
    """uint8 [V, T, H, W, 3] (numpy or torch) → a uint8 torch tensor, validated."""
    if isinstance(videos, np.ndarray):
        videos = torch.from_numpy(np.ascontiguousarray(videos))
    if videos.dim() != 5 or videos.shape[-1] != 3:
        raise UserInputError(
            f"videos must be uint8 [V, T, H, W, 3], got shape {tuple(videos.shape)}",
            hint="pass a VideoBank's frames (or a slice of it)",
        )
    if videos.dtype != torch.uint8:
        raise UserInputError(f"videos must be uint8, got {videos.dtype}", hint="convert frames with .astype(np.uint8)")
    return videos


class AlignmentModel(nn.Module, ABC):
    """A video-text entailment model: Yes/No logits per (video, caption) sequence, f = p(Yes)/(p(Yes)+p(No))."""

    name: str = "base"
    """The registry name (`synvita.registry.MODELS`); written to config.json so `load` can dispatch."""

    # ---- what a backend implements -------------------------------------------------------------------------

    @classmethod
    @abstractmethod
    def from_config(cls, config: dict[str, Any]) -> "AlignmentModel":
        """A freshly initialised model of this architecture (uses the global torch RNG for initial weights)."""

    @classmethod
    def saved_config(cls, config: dict[str, Any]) -> dict[str, Any]:
        """A config read from a save directory, brought up to this version (a saved config lists every constructor
        argument, so a missing one means the model was saved before that argument existed)."""
        return config

    @property
    @abstractmethod
    def config(self) -> dict[str, Any]:
        """JSON-serialisable architecture (and tokenizer) description; `from_config(config)` rebuilds it."""

    @abstractmethod
    def encode_videos(self, videos: np.ndarray | torch.Tensor) -> Any:
        """uint8 [V, T, H, W, 3] → per-video features (opaque to callers; indexed by `video_index` in forward)."""

    @abstractmethod
    def prepare_text(self, captions: Sequence[str], shared_with: Sequence[str | None] | None = None) -> TextBatch:
        """Tokenise S captions. Where `shared_with[i]` is a string, build the shared-semantic copy c′: the tokens of
        `captions[i]` that differ from `shared_with[i]` are removed from attention, positions kept."""

    @abstractmethod
    def forward(self, video_features: Any, video_index: torch.Tensor, text: TextBatch) -> torch.Tensor:
        """Yes/No logits float [S, 2] for sequence s = (video `video_index[s]`, caption row s of `text`)."""

    @classmethod
    def example_config(cls, captions: Sequence[str], frames: int = 8, size: int = 32, workdir: Path | None = None) -> dict[str, Any]:
        """A tiny, fast configuration for tests (the shared contract test builds every registered model with it).

        `captions` is the text the model will see (e.g. for a vocabulary); `workdir` is a scratch directory for
        backends that need files (a tokenizer, a base checkpoint). Models that cannot run offline raise
        `NotFoundError`, and the contract test skips them with that message.
        """
        raise NotImplementedError(f"{cls.__name__} has no example_config")

    # ---- optional: parameter-free video inputs, computed once per video (see VideoInputCache) ---------------

    @property
    def caches_video_inputs(self) -> bool:
        """True when `video_inputs` is a parameter-free, deterministic function of the pixels, cheaper to keep than
        to recompute (the tiny model's object tracks): training and scoring then compute it once per video."""
        return False

    @property
    def video_inputs_key(self) -> tuple:
        """Models with equal keys compute the same `video_inputs` (an ensemble shares one cache)."""
        return (self.name, id(self))

    def video_inputs(self, videos: np.ndarray | torch.Tensor) -> dict[str, torch.Tensor]:
        """uint8 [V, T, H, W, 3] → what `encode_inputs` reads: tensors with a leading V dimension (default: pixels)."""
        return {"pixels": as_video_tensor(videos)}

    def encode_inputs(self, inputs: dict[str, torch.Tensor]) -> Any:
        """`video_inputs` of V videos → the features `encode_videos` gives for them."""
        return self.encode_videos(inputs["pixels"])

    def stored_video_inputs(self, frames) -> StoredVideoInputs | None:
        """The `video_inputs` of every clip of the bank `frames`, kept on disk beside its frames and built on first
        use (`synvita.models.stored_inputs`), where they are parameter-free (`caches_video_inputs`), computed on the
        CPU (bit for bit what this model computes on the fly) and `frames` is a whole bank file; else None."""
        if not self.caches_video_inputs or self.device.type != "cpu":
            return None
        from synvita.models.stored_inputs import stored_video_inputs

        return stored_video_inputs(frames, self.video_inputs_key, self.video_inputs)

    # ---- shared behaviour (override only with care) --------------------------------------------------------

    def score(self, video_features: Any, video_index: torch.Tensor, text: TextBatch) -> torch.Tensor:
        """f float [S] in [0, 1] = p(Yes) / (p(Yes) + p(No)); differentiable (the consistency loss needs it)."""
        return f_from_logits(self(video_features, video_index, text))

    def sequence_ce(self, logits: torch.Tensor, labels: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Per-sequence summed answer-token CE float [S] and its number of label tokens int64 [S].

        Default: one answer token, CE of the 2-way softmax over (Yes, No). labels: int64 [S], 1 = Yes, 0 = No.
        """
        target = torch.where(labels.long() == 1, YES, NO)
        ce = nn.functional.cross_entropy(logits[:, :2].float(), target, reduction="none")  # [S]
        return ce, torch.ones_like(ce, dtype=torch.long)

    @property
    def device(self) -> torch.device:
        return next(self.parameters()).device

    @torch.no_grad()
    def predict(
        self,
        videos: np.ndarray | torch.Tensor,
        video_index: np.ndarray | Sequence[int],
        captions: Sequence[str],
        shared_with: Sequence[str | None] | None = None,
        batch_videos: int = 64,
        batch_sequences: int = 512,
        inputs: "VideoInputCache | None" = None,
    ) -> np.ndarray:
        """f float64 [S] for sequences (videos[video_index[s]], captions[s]), in inference mode.

        Works in chunks of at most `batch_videos` distinct videos; each video is encoded once per chunk. `videos`
        may be a whole bank (a memmap is fine): only the referenced rows are read. `inputs`, a `VideoInputCache`
        over the same `videos` for a model with the same `video_inputs_key`, serves (and keeps) their video inputs;
        without one, a bank's inputs kept on disk (`synvita.models.stored_inputs`) serve them where there are any.
        """
        if inputs is None:
            inputs = self.stored_video_inputs(videos)
        video_index = np.asarray(video_index, dtype=np.int64)
        if len(video_index) != len(captions):
            raise UserInputError(f"{len(video_index)} video indices but {len(captions)} captions", hint="one video per caption")
        was_training = self.training
        self.eval()
        out = np.zeros(len(captions), dtype=np.float64)
        order = np.argsort(video_index, kind="stable")
        uniq = np.unique(video_index)
        try:
            for start in range(0, len(uniq), batch_videos):
                chunk = uniq[start : start + batch_videos]
                rows = order[np.isin(video_index[order], chunk)]
                if inputs is not None:
                    feats = self.encode_inputs(inputs.get(chunk))
                else:
                    clips = np.asarray(videos[chunk]) if isinstance(videos, np.ndarray) else videos[torch.as_tensor(chunk)]
                    feats = self.encode_videos(as_video_tensor(clips).to(self.device))
                local = torch.as_tensor(np.searchsorted(chunk, video_index[rows]), device=self.device)
                for s in range(0, len(rows), batch_sequences):
                    r = rows[s : s + batch_sequences]
                    text = self.prepare_text(
                        [captions[i] for i in r], None if shared_with is None else [shared_with[i] for i in r]
                    )
                    out[r] = self.score(feats, local[s : s + batch_sequences], text).double().cpu().numpy()
        finally:
            self.train(was_training)
        return out

    # ---- persistence ---------------------------------------------------------------------------------------

    def save_pretrained(self, directory: str | Path) -> Path:
        """Write `config.json` and `model.safetensors` into `directory` (created; files replaced atomically)."""
        from safetensors.torch import save_file

        directory = Path(directory)
        directory.mkdir(parents=True, exist_ok=True)
        state = {k: v.detach().cpu().contiguous() for k, v in self.state_dict().items()}
        tmp = directory / (WEIGHTS_NAME + ".tmp")
        save_file(state, str(tmp))
        os.replace(tmp, directory / WEIGHTS_NAME)
        tmp = directory / (CONFIG_NAME + ".tmp")
        tmp.write_text(json.dumps({"name": self.name, "config": self.config}, indent=2, sort_keys=True))
        os.replace(tmp, directory / CONFIG_NAME)
        return directory

    @classmethod
    def from_pretrained(cls, directory: str | Path) -> "AlignmentModel":
        """Load a directory written by `save_pretrained` (called on the base class, dispatches by the saved name)."""
        from safetensors.torch import load_file

        directory = Path(directory)
        cfg_path = directory / CONFIG_NAME
        if not cfg_path.exists():
            raise NotFoundError(f"no model at {directory} ({CONFIG_NAME} missing)", hint="point at a save_pretrained directory")
        payload = json.loads(cfg_path.read_text())
        target = cls
        if cls is AlignmentModel or getattr(cls, "name", None) != payload.get("name"):
            from synvita.registry import MODELS

            target = MODELS.get(payload["name"]).model_class()
        model = target.from_config(target.saved_config(payload["config"]))
        model.load_state_dict(load_file(str(directory / WEIGHTS_NAME)))
        model.eval()
        return model

    load = from_pretrained


def f_from_logits(logits: torch.Tensor) -> torch.Tensor:
    """[S, 2] Yes/No logits → f [S] = p(Yes)/(p(Yes)+p(No)) (a 2-way softmax, numerically stable)."""
    return torch.softmax(logits[:, :2].float(), dim=-1)[:, YES]


def build_model(name: str, config: dict[str, Any], seed: int | None = None) -> AlignmentModel:
    """A freshly initialised registered model; with `seed`, initial weights depend only on the seed."""
    from synvita.registry import MODELS

    cls = MODELS.get(name).model_class()
    if seed is None:
        return cls.from_config(config)
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        return cls.from_config(config)


def load_model(directory: str | Path) -> AlignmentModel:
    """Load any saved alignment model (the registered name is read from its config.json)."""
    return AlignmentModel.from_pretrained(directory)


class VideoInputCache:
    """The `video_inputs` of one bank of videos, computed on first use and kept (on the CPU).

    The tiny model's object tracker has no parameters, so a video's tracks never change: a scorer's pretraining reads
    each pretrain video about 16 times, and the K scorers of an ensemble score the same synthetic videos. A bank on
    disk (the memmap of its frames.npy) keeps them beside its frames for every later run to read
    (`synvita.models.stored_inputs`); other frames keep them in memory. Results are those of `encode_videos` on the
    same videos (tests/models/test_video_inputs.py, tests/models/test_stored_inputs.py)."""

    def __init__(self, model: AlignmentModel, frames: np.ndarray) -> None:
        if not model.caches_video_inputs:
            raise UserInputError(f"model '{model.name}' has no parameter-free video inputs to cache")
        self.model, self.frames, self.key = model, frames, model.video_inputs_key
        self._stored = model.stored_video_inputs(frames)
        self._have = np.zeros(len(frames), dtype=bool)
        self._store: dict[str, torch.Tensor] | None = None

    def serves(self, model: AlignmentModel) -> bool:
        return model.caches_video_inputs and model.video_inputs_key == self.key

    def get(self, index: np.ndarray) -> dict[str, torch.Tensor]:
        """The inputs of videos `index` (int [V], any order, repeats allowed), each [V, ...]."""
        if self._stored is not None:
            return self._stored.get(index)
        index = np.asarray(index, dtype=np.int64)
        missing = np.unique(index[~self._have[index]])
        if len(missing):
            new = self.model.video_inputs(np.asarray(self.frames[missing]))  # memmaps: sorted reads
            if self._store is None:
                self._store = {k: torch.zeros((len(self.frames),) + v.shape[1:], dtype=v.dtype) for k, v in new.items()}
            rows = torch.from_numpy(missing)
            for k, v in new.items():
                self._store[k][rows] = v.cpu()
            self._have[missing] = True
        rows = torch.from_numpy(index)
        return {k: v[rows] for k, v in self._store.items()}


def concat_inputs(parts: Sequence[dict[str, torch.Tensor]]) -> dict[str, torch.Tensor]:
    """Video inputs of several groups of videos → one group, in the given order."""
    return {k: torch.cat([p[k].cpu() for p in parts]) for k in parts[0]}
