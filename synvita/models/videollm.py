"""A transformers video-LLM (Video-LLaVA or LLaVA-NeXT-Video) as a SynViTA alignment model, fine-tuned with LoRA.

f(V, t) = p(Yes) / (p(Yes) + p(No)) from the full-vocabulary softmax at the position that predicts the answer
token, as in VideoCon/SynViTA (METHOD.md §2, item 1). Each sequence is

    <bos> USER: <video>×N\\nDoes this video entail the description: "{caption}"? ASSISTANT: ▁Yes ▁No <pad>…
                        (video features)                                            ↑a    ↑a+1 ↑a+2

with `<video>` expanded into N placeholder positions that receive the projected frame features (N = 8 frames ×
(patches + CLS) for Video-LLaVA), right padding, and explicit position ids (so the result equals an unpadded,
batch-of-one forward — what left padding gives at inference). The logits at `a` (the last prompt token) give f.
Two answer tokens are appended so one forward also yields log p(EOS | prompt, Yes) at a+1 and
log p(EOS | prompt, No) at a+2 — a 4-D attention mask keeps "No" from seeing "Yes" (both sit at position a+1) —
because the CE target is the answer token **plus EOS** (METHOD.md §2). Nothing before `a` sees the appended
tokens, so f is exactly the prompt-only value.

The shared-semantic copy c′ masks, through the attention mask only (positions kept), the tokens of the
`"desc"?` span of the own caption that differ from the other caption (`synvita.method.shared_semantic_mask`;
`mask_mode="reference"`, the default here, reproduces the official character-level LCS, METHOD.md item 4).

LoRA (peft, injected in place) targets the language model only, via a regex (the vision towers use the same
module names): r=32, α=32, dropout 0.05 on all its linear layers by default (METHOD.md §2). Everything else is
frozen, so `state_dict()` holds the adapter only: checkpoints are megabytes, and the frozen base is re-read from
`model_path`. `save_pretrained(dir)` writes `config.json` + `model.safetensors` (the adapter, for synvita) and
`adapter/` (the same adapter in peft's format, loadable with `PeftModel.from_pretrained(base, dir/adapter)`).

Frames: 8 `np.linspace(0, T-1, 8, dtype=int)` frames per video (METHOD.md item 12), preprocessed with the
model's own PIL/numpy image processor (torchvision is not needed). Weights are read offline from a local
directory or the HF cache (`synvita.hub.resolve_weights`); bf16 on GPU, fp32 on CPU by default.
"""

from __future__ import annotations

import inspect
import json
import os
from pathlib import Path
from typing import Any, Sequence

import numpy as np
import torch

from synvita.errors import NotFoundError, UserInputError
from synvita.hub import pick_device, pick_dtype, resolve_weights
from synvita.models.base import CONFIG_NAME, AlignmentModel, TextBatch, as_video_tensor
from synvita.models.videollm_options import (ADAPTER_DIR, DEFAULTS, EXAMPLE_REPO, LANGUAGE_LINEAR,  # noqa: F401
                                             PROMPT_TEMPLATE, SUPPORTED)
from synvita.models.videollm_options import merged as _merged


class VideoLLMAlignmentModel(AlignmentModel):
    """Video-LLaVA / LLaVA-NeXT-Video + LoRA; f from the Yes/No token probabilities (see the module docstring)."""

    name = "videollm"

    def __init__(self, config: dict[str, Any]) -> None:
        super().__init__()
        from transformers import AutoConfig, AutoImageProcessor, AutoTokenizer

        cfg = _merged(config)
        cfg["model_path"] = os.fspath(cfg["model_path"])
        local = resolve_weights(cfg["model_path"], example_repo=EXAMPLE_REPO, what="video-LLM weights")
        if Path(cfg["model_path"]).expanduser().is_dir():
            cfg["model_path"] = str(local)  # absolute, so a saved adapter finds its base from anywhere
        self._config = cfg
        device = pick_device(cfg["device"])
        dtype = pick_dtype(cfg["dtype"], device)
        try:
            hf_config = AutoConfig.from_pretrained(local, local_files_only=True)
        except (OSError, ValueError) as exc:
            raise NotFoundError(f"{local} is not a transformers model directory ({exc.__class__.__name__})",
                                hint=f"download one with `huggingface-cli download {EXAMPLE_REPO} --local-dir DIR`") from exc
        self.arch = hf_config.model_type
        if self.arch not in SUPPORTED:
            raise UserInputError(f"model at {local} is a '{self.arch}', not a video-LLM synvita supports",
                                 hint=f"supported model types: {', '.join(SUPPORTED)}")
        if self.arch == "video_llava":
            from transformers import VideoLlavaForConditionalGeneration as HFModel
        else:
            from transformers import LlavaNextVideoForConditionalGeneration as HFModel
        self.hf = HFModel.from_pretrained(local, dtype=dtype, local_files_only=True).to(device)
        self.tokenizer = AutoTokenizer.from_pretrained(local, local_files_only=True)
        self.image_processor = AutoImageProcessor.from_pretrained(local, local_files_only=True)
        self._inject_lora(cfg["lora"])
        if cfg["gradient_checkpointing"]:
            if hasattr(self.hf, "activation_checkpointing_enable"):  # transformers ≥ 5.2x
                self.hf.activation_checkpointing_enable({"use_reentrant": False})
            else:
                self.hf.gradient_checkpointing_enable(gradient_checkpointing_kwargs={"use_reentrant": False})
        self._setup_tokens(hf_config)
        self.eval()

    # ---- construction --------------------------------------------------------------------------------------

    def _inject_lora(self, lora: dict[str, Any]) -> None:
        from peft import LoraConfig, inject_adapter_in_model

        self.lora_config = LoraConfig(r=int(lora["r"]), lora_alpha=float(lora["alpha"]), lora_dropout=float(lora["dropout"]),
                                      target_modules=lora["target"], init_lora_weights=bool(lora["init_identity"]))
        for p in self.hf.parameters():
            p.requires_grad_(False)
        inject_adapter_in_model(self.lora_config, self.hf)
        n_lora = 0
        for name, p in self.hf.named_parameters():
            is_lora = "lora_" in name
            p.requires_grad_(is_lora)
            n_lora += is_lora
            if is_lora and "language_model" not in name:
                raise UserInputError(f"LoRA target regex {lora['target']!r} matched {name}", hint="restrict it to the language model")
        if n_lora == 0:
            raise UserInputError(f"LoRA target regex {lora['target']!r} matched no layer", hint=f"default: {LANGUAGE_LINEAR!r}")
        # the LoRA weights follow the base layer's device; keep them in fp32 for stable updates under bf16
        for name, p in self.hf.named_parameters():
            if "lora_" in name and p.dtype != torch.float32:
                p.data = p.data.float()

    def _setup_tokens(self, hf_config) -> None:
        tok = self.tokenizer
        self.video_token_id = int(getattr(hf_config, "video_token_index", None) or getattr(hf_config, "video_token_id"))
        vision = hf_config.vision_config
        grid = int(vision.image_size) // int(vision.patch_size)
        if self.arch == "video_llava":
            per_frame = grid * grid + 1  # video features keep the CLS token
        else:
            per_frame = (grid // int(hf_config.spatial_pool_stride)) ** 2
        self.frame_size = int(vision.image_size)
        self.tokens_per_video = per_frame * int(self._config["num_frames"])
        template = self._config["prompt_template"]
        head, tail = template.split("{caption}")
        self._head, self._tail = head, tail
        self.yes_id = self._answer_id("Yes")
        self.no_id = self._answer_id("No")
        if tok.eos_token_id is None:
            raise UserInputError("the tokenizer has no EOS token", hint="the CE target is the answer token plus EOS")
        self.eos_id = int(tok.eos_token_id)
        self.pad_id = int(tok.pad_token_id if tok.pad_token_id is not None else tok.eos_token_id)

    def _answer_id(self, word: str) -> int:
        """The id of `word` as it follows the prompt ("ASSISTANT: Yes"); must be one token and agree with the
        context-free `tokenizer.encode(word, add_special_tokens=False)[0]` of the official code."""
        tok = self.tokenizer
        prefix = tok(self._tail, add_special_tokens=False).input_ids
        full = tok(self._tail + " " + word, add_special_tokens=False).input_ids
        plain = tok.encode(word, add_special_tokens=False)
        if full[: len(prefix)] != prefix or len(full) != len(prefix) + 1:
            raise UserInputError(f"'{word}' is not a single token after the prompt with this tokenizer",
                                 hint="the Yes/No score needs one answer token each")
        if plain and plain[0] != full[-1]:
            raise UserInputError(f"'{word}' tokenises differently in context ({full[-1]}) and alone ({plain[0]})",
                                 hint="check the prompt_template's ending")
        return int(full[-1])

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> "VideoLLMAlignmentModel":
        return cls(config)

    @classmethod
    def from_section(cls, section: dict[str, Any], seed: int | None = None) -> "VideoLLMAlignmentModel":
        """Build from an experiment's `[model]` section (`path` = base model dir or repo id, `config` = options);
        with `seed`, the LoRA initialisation depends only on the seed."""
        config = dict(section.get("config") or {})
        if section.get("path"):
            config["model_path"] = section["path"]
        if "model_path" not in config:
            raise UserInputError("model.path must name the video-LLM weights for videollm",
                                 hint=f'e.g. path = "/weights/Video-LLaVA-7B-hf" (from `huggingface-cli download {EXAMPLE_REPO}`)')
        if seed is None:
            return cls(config)
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(seed)
            return cls(config)

    @property
    def config(self) -> dict[str, Any]:
        return json.loads(json.dumps(self._config))

    @classmethod
    def example_config(cls, captions: Sequence[str], frames: int = 8, size: int = 32, workdir: Path | None = None) -> dict[str, Any]:
        """A tiny random Video-LLaVA saved under `workdir` whose LoRA starts random (so seeds differ)."""
        if workdir is None:
            raise NotFoundError("videollm.example_config needs a workdir for the tiny base model")
        base = Path(workdir) / "videollm-tiny-base"
        if not (base / "config.json").exists():
            build_tiny_videollm(base, captions=captions, frames=frames, size=size)
        return {"model_path": str(base), "num_frames": frames, "device": "cpu", "dtype": "float32",
                "lora": {"r": 4, "alpha": 8, "dropout": 0.0, "init_identity": False}}

    def predict(self, videos, video_index, captions, shared_with=None, batch_videos: int = 4,
                batch_sequences: int = 8, inputs=None) -> np.ndarray:
        """`AlignmentModel.predict` in chunks a 7B model fits on one GPU (each sequence carries ~2k video tokens)."""
        return super().predict(videos, video_index, captions, shared_with, batch_videos=batch_videos,
                               batch_sequences=batch_sequences, inputs=inputs)

    # ---- persistence: the adapter only ---------------------------------------------------------------------

    def state_dict(self, *args, **kwargs):  # noqa: D401 - nn.Module API
        """The trainable (LoRA) tensors only; the frozen base is re-read from `model_path`."""
        full = super().state_dict(*args, **kwargs)
        return type(full)((k, v) for k, v in full.items() if "lora_" in k)

    def load_state_dict(self, state_dict, strict: bool = True, assign: bool = False):
        """Load adapter tensors; with `strict`, exactly the model's LoRA keys must be present."""
        own = set(self.state_dict())
        given = set(state_dict)
        if strict and given != own:
            missing, extra = sorted(own - given)[:3], sorted(given - own)[:3]
            raise UserInputError(f"adapter weights do not match this videollm (missing {missing}, unexpected {extra})",
                                 hint="was the adapter trained with the same base model and LoRA config?")
        result = super().load_state_dict(state_dict, strict=False, assign=assign)
        return result

    def save_pretrained(self, directory: str | Path) -> Path:
        directory = super().save_pretrained(directory)  # config.json + model.safetensors (adapter tensors)
        from peft import get_peft_model_state_dict
        from safetensors.torch import save_file

        adapter = directory / ADAPTER_DIR
        adapter.mkdir(exist_ok=True)
        self.lora_config.base_model_name_or_path = self._config["model_path"]
        self.lora_config.save_pretrained(str(adapter))
        state = {k: v.detach().cpu().contiguous() for k, v in get_peft_model_state_dict(self.hf).items()}
        save_file(state, str(adapter / "adapter_model.safetensors"))
        return directory

    @classmethod
    def from_pretrained(cls, directory: str | Path) -> "AlignmentModel":
        """A synvita `save_pretrained` directory (base + adapter), or a plain transformers Video-LLaVA /
        LLaVA-NeXT-Video directory or cached repo id (a fresh identity LoRA on top)."""
        path = Path(os.fspath(directory)).expanduser()
        cfg_file = path / CONFIG_NAME
        if cfg_file.is_file() and "name" in json.loads(cfg_file.read_text()):
            return super().from_pretrained(path)
        return cls({"model_path": os.fspath(directory)})

    load = from_pretrained

    # ---- video ---------------------------------------------------------------------------------------------

    def _pixel_values(self, videos: torch.Tensor) -> torch.Tensor:
        """uint8 [V, T, H, W, 3] → float [V, F, 3, s, s] (F linspace frames, the model's preprocessing)."""
        arr = videos.cpu().numpy()
        n = int(self._config["num_frames"])
        idx = np.linspace(0, arr.shape[1] - 1, n, dtype=int)  # as the official Video-LLaVA loader
        out = []
        for video in arr[:, idx]:
            frames = list(video)  # F × uint8 [H, W, 3]
            if self.arch == "video_llava":
                px = _video_llava_preprocess(frames, self.image_processor)
            else:
                px = _clip_preprocess(frames, self.image_processor, self.frame_size)
            out.append(px)
        return torch.stack(out)  # [V, F, 3, s, s]

    def encode_videos(self, videos: np.ndarray | torch.Tensor) -> torch.Tensor:
        """uint8 [V, T, H, W, 3] → projected visual tokens [V, N, D] (N = tokens_per_video)."""
        videos = as_video_tensor(videos)
        px = self._pixel_values(videos).to(self.device, dtype=self.hf.dtype)
        inner = self.hf.model
        frozen = not any(p.requires_grad for n, p in self.hf.named_parameters() if "language_model" not in n)
        with torch.set_grad_enabled(torch.is_grad_enabled() and not frozen):
            out = inner.get_video_features(pixel_values_videos=px, return_dict=True)
        feats = out.pooler_output if hasattr(out, "pooler_output") else out[0]
        feats = feats.reshape(px.shape[0], -1, feats.shape[-1])  # [V, N, D]
        if feats.shape[1] != self.tokens_per_video:
            raise UserInputError(f"video features have {feats.shape[1]} tokens, the prompt reserves {self.tokens_per_video}",
                                 hint="num_frames must match the model's frame count")
        return feats

    # ---- text ----------------------------------------------------------------------------------------------

    def _encode(self, text: str) -> list[int]:
        return list(self.tokenizer(text, add_special_tokens=False).input_ids)

    def _prompt_ids(self, caption: str) -> list[int]:
        """Token ids of the full prompt for `caption` (with BOS, `<video>` expanded)."""
        tok = self.tokenizer
        ids = list(tok(self._head + caption + self._tail).input_ids)
        where = [i for i, t in enumerate(ids) if t == self.video_token_id]
        if len(where) != 1:
            raise UserInputError(f"the prompt has {len(where)} <video> tokens", hint="exactly one <video> in prompt_template")
        i = where[0]
        return ids[:i] + [self.video_token_id] * self.tokens_per_video + ids[i + 1 :]

    def _span(self, ids: list[int], caption: str) -> tuple[int, list[int]]:
        """Start and ids of the `"caption"?` span in `ids`: the official standalone tokenisation when it occurs
        verbatim, else the in-context tokens covering those characters."""
        from synvita.method import caption_span_text, find_subsequence

        span_ids = self._encode(caption_span_text(caption))
        start = find_subsequence(ids, span_ids)
        if start >= 0:
            return start, span_ids
        # fallback: character offsets of the span inside the prompt text
        text = self._head + caption + self._tail
        enc = self.tokenizer(text, return_offsets_mapping=True)
        lo = len(self._head) - 1  # the opening quote is the template's last character before {caption}
        hi = lo + len(caption_span_text(caption))
        toks = [k for k, (a, b) in enumerate(enc["offset_mapping"]) if b > lo and a < hi and b > a]
        if not toks or '"' not in self._head[-1:]:
            raise UserInputError("cannot locate the caption span in the prompt", hint="prompt_template must contain '\"{caption}\"?'")
        shift = self.tokens_per_video - 1 if enc["input_ids"].index(self.video_token_id) < toks[0] else 0
        return toks[0] + shift, [int(enc["input_ids"][k]) for k in toks]

    def prepare_text(self, captions: Sequence[str], shared_with: Sequence[str | None] | None = None) -> TextBatch:
        """Prompt ids [S, L] (right-padded; `▁Yes ▁No` appended after the prompt), attention and padding masks,
        position ids, and `extra["answer_pos"]` [S] = the index of the last prompt token."""
        from synvita.method import shared_semantic_mask

        if shared_with is not None and len(shared_with) != len(captions):
            raise UserInputError(f"{len(shared_with)} shared_with entries for {len(captions)} captions")
        rows, keeps, answer_pos = [], [], []
        for s, caption in enumerate(captions):
            ids = self._prompt_ids(caption)
            keep = [True] * len(ids)
            other = None if shared_with is None else shared_with[s]
            if other is not None:
                start, own_span = self._span(ids, caption)
                _, other_span = self._span(self._prompt_ids(other), other)
                for k, kept in enumerate(shared_semantic_mask(own_span, other_span, mode=self._config["mask_mode"])):
                    if not kept and start + k < len(ids):
                        keep[start + k] = False
            answer_pos.append(len(ids) - 1)
            rows.append(ids + [self.yes_id, self.no_id])
            keeps.append(keep + [True, True])
        width = max(len(r) for r in rows)
        S = len(rows)
        ids_t = torch.full((S, width), self.pad_id, dtype=torch.long)
        attn = torch.zeros((S, width), dtype=torch.bool)
        real = torch.zeros((S, width), dtype=torch.bool)
        pos = torch.zeros((S, width), dtype=torch.long)
        for s, (r, k) in enumerate(zip(rows, keeps)):
            n = len(r)
            ids_t[s, :n] = torch.tensor(r)
            attn[s, :n] = torch.tensor(k)
            real[s, :n] = True
            p = list(range(n - 1)) + [n - 2]  # "No" shares "Yes"'s position (both answer the prompt)
            pos[s, :n] = torch.tensor(p)
            pos[s, n:] = torch.arange(n - 1, n - 1 + width - n)
        dev = self.device
        return TextBatch(ids_t.to(dev), attn.to(dev), pos.to(dev), real.to(dev),
                         extra={"answer_pos": torch.tensor(answer_pos, dtype=torch.long, device=dev)})

    # ---- forward -------------------------------------------------------------------------------------------

    def _attention_bias(self, text: TextBatch, dtype: torch.dtype) -> torch.Tensor:
        """Additive 4-D mask [S, 1, L, L]: causal, no masked/pad keys, and "No" (a+2) cannot see "Yes" (a+1)."""
        S, L = text.ids.shape
        dev = text.ids.device
        q = torch.arange(L, device=dev)
        allowed = (q[None, :] <= q[:, None])[None] & text.attention_mask[:, None, :]  # [S, L(q), L(k)]
        a = text.extra["answer_pos"]
        rows = torch.arange(S, device=dev)
        allowed[rows, a + 2, a + 1] = False
        allowed[:, q, q] |= text.padding_mask  # every real query sees itself (a masked caption token too)
        bias = torch.zeros((S, 1, L, L), dtype=dtype, device=dev)
        return bias.masked_fill(~allowed[:, None], torch.finfo(dtype).min)

    def forward(self, video_features: torch.Tensor, video_index: torch.Tensor, text: TextBatch) -> torch.Tensor:
        """Full-vocabulary log-probabilities of ("Yes", "No") at the answer position, float [S, 2].

        The returned tensor also carries `.answer_eos_logprob` float [S, 2]: log p(EOS | prompt, Yes / No),
        used by `sequence_ce` for the answer + EOS target."""
        inner = self.hf.model
        embeds = inner.get_input_embeddings()(text.ids)  # [S, L, D]
        feats = video_features[video_index.to(video_features.device)].to(embeds.dtype)  # [S, N, D]
        is_video = (text.ids == self.video_token_id)[..., None]  # [S, L, 1]
        embeds = embeds.masked_scatter(is_video, feats)
        out = inner.language_model(inputs_embeds=embeds, attention_mask=self._attention_bias(text, embeds.dtype),
                                   position_ids=text.positions, use_cache=False)
        hidden = out.last_hidden_state  # [S, L, D]
        a = text.extra["answer_pos"]
        rows = torch.arange(len(a), device=hidden.device)
        picked = hidden[rows[:, None], a[:, None] + torch.arange(3, device=hidden.device)]  # [S, 3, D]
        logp = torch.log_softmax(self.hf.lm_head(picked).float(), dim=-1)  # [S, 3, vocab]
        logits = torch.stack([logp[:, 0, self.yes_id], logp[:, 0, self.no_id]], dim=-1)  # [S, 2]
        logits.answer_eos_logprob = torch.stack([logp[:, 1, self.eos_id], logp[:, 2, self.eos_id]], dim=-1)
        return logits

    def sequence_ce(self, logits: torch.Tensor, labels: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Summed token CE of the answer (full-vocabulary) plus, with `eos_in_ce`, its EOS; 2 label tokens each."""
        yes = labels.long().to(logits.device) == 1
        ce = -torch.where(yes, logits[:, 0], logits[:, 1])  # [S]
        if not self._config["eos_in_ce"]:
            return ce, torch.ones_like(ce, dtype=torch.long)
        eos = getattr(logits, "answer_eos_logprob", None)
        if eos is None:
            raise UserInputError("videollm.sequence_ce needs the logits tensor returned by forward (not a slice)",
                                 hint="call sequence_ce(model(...), labels), or set eos_in_ce=false")
        ce = ce - torch.where(yes, eos[:, 0], eos[:, 1])
        return ce, torch.full_like(ce, 2, dtype=torch.long)


def _video_llava_preprocess(frames: list[np.ndarray], processor) -> torch.Tensor:
    """F × uint8 [H, W, 3] → float [F, 3, s, s] by VideoLlavaImageProcessor, across transformers releases.

    From 5.23 the processor returns "pixel_values" when asked with return_legacy_image_output=False; before, it
    returns "pixel_values_images" and knows no such argument (it warns and ignores it)."""
    kwargs = {}
    if "return_legacy_image_output" in inspect.signature(processor.preprocess).parameters:
        kwargs["return_legacy_image_output"] = False
    out = processor(images=frames, return_tensors="pt", **kwargs)
    return out["pixel_values"] if "pixel_values" in out else out["pixel_values_images"]


def _clip_preprocess(frames: list[np.ndarray], processor, size: int) -> torch.Tensor:
    """CLIP-style preprocessing without torchvision: shortest edge → `size` (bicubic), centre crop, normalise."""
    from PIL import Image

    mean = np.asarray(getattr(processor, "image_mean", [0.48145466, 0.4578275, 0.40821073]), dtype=np.float32)
    std = np.asarray(getattr(processor, "image_std", [0.26862954, 0.26130258, 0.27577711]), dtype=np.float32)
    out = []
    for frame in frames:
        img = Image.fromarray(frame)
        w, h = img.size
        scale = size / min(w, h)
        img = img.resize((max(size, round(w * scale)), max(size, round(h * scale))), Image.BICUBIC)
        w, h = img.size
        left, top = (w - size) // 2, (h - size) // 2
        arr = np.asarray(img.crop((left, top, left + size, top + size)), dtype=np.float32) / 255.0
        out.append(((arr - mean) / std).transpose(2, 0, 1))
    return torch.from_numpy(np.stack(out))


# ---- tiny random models for tests ------------------------------------------------------------------------


def _tiny_tokenizer(texts: Sequence[str]):
    """A small BPE tokenizer trained in memory on `texts` (Metaspace, so words carry '▁' like Llama's)."""
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import PreTrainedTokenizerFast

    specials = ["<unk>", "<s>", "</s>", "<pad>", "<image>", "<video>"]
    tok = Tokenizer(models.BPE(unk_token="<unk>"))
    tok.pre_tokenizer = pre_tokenizers.Metaspace()
    tok.decoder = decoders.Metaspace()
    alphabet = [chr(c) for c in range(32, 127)]
    trainer = trainers.BpeTrainer(vocab_size=400, special_tokens=specials, initial_alphabet=alphabet, show_progress=False)
    tok.train_from_iterator(list(texts) * 3, trainer=trainer)
    from tokenizers import processors

    tok.post_processor = processors.TemplateProcessing(single="<s> $A", special_tokens=[("<s>", tok.token_to_id("<s>"))])
    hf = PreTrainedTokenizerFast(tokenizer_object=tok, unk_token="<unk>", bos_token="<s>", eos_token="</s>", pad_token="<pad>",
                                 extra_special_tokens={"image_token": "<image>", "video_token": "<video>"})
    return hf


def build_tiny_videollm(directory: str | Path, captions: Sequence[str] = (), frames: int = 8, size: int = 32,
                        arch: str = "video_llava") -> Path:
    """Write a tiny, randomly initialised Video-LLaVA (or LLaVA-NeXT-Video) with tokenizer and image processor to
    `directory`, as `save_pretrained` would for real weights; deterministic (own RNG), offline, < 1 s."""
    from transformers import CLIPVisionConfig, LlamaConfig

    directory = Path(directory)
    head, tail = PROMPT_TEMPLATE.split("{caption}")
    words = "a the cat dog red blue ball plays runs jumps on in with table park video of man woman child"
    texts = [head + c + tail + " Yes" for c in captions] + [head + c + tail + " No" for c in captions]
    texts += [head + words + tail + " Yes", head + words + tail + " No", "Yes No yes no"] * 4
    tok = _tiny_tokenizer(texts)
    patch = max(4, size // 4)
    vision = CLIPVisionConfig(image_size=size, patch_size=patch, hidden_size=32, intermediate_size=37, num_hidden_layers=2,
                              num_attention_heads=4)
    text = LlamaConfig(vocab_size=len(tok), hidden_size=32, intermediate_size=37, num_hidden_layers=2, num_attention_heads=4,
                       num_key_value_heads=2, pad_token_id=tok.pad_token_id, bos_token_id=tok.bos_token_id,
                       eos_token_id=tok.eos_token_id, max_position_embeddings=1024)
    per_frame = (size // patch) ** 2 + 1
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(0)
        if arch == "video_llava":
            from transformers import VideoLlavaConfig, VideoLlavaForConditionalGeneration, VideoLlavaImageProcessor

            cfg = VideoLlavaConfig(vision_config=vision, text_config=text, image_token_index=tok.convert_tokens_to_ids("<image>"),
                                   video_token_index=tok.convert_tokens_to_ids("<video>"), vision_feature_layer=-2,
                                   vision_feature_select_strategy="default", image_seq_length=per_frame - 1,
                                   video_seq_length=per_frame * frames)
            model = VideoLlavaForConditionalGeneration(cfg).eval()
            processor = VideoLlavaImageProcessor(size={"shortest_edge": size}, crop_size={"height": size, "width": size})
        elif arch == "llava_next_video":
            from transformers import LlavaNextVideoConfig, LlavaNextVideoForConditionalGeneration, LlavaNextImageProcessorPil

            cfg = LlavaNextVideoConfig(vision_config=vision, text_config=text, image_token_index=tok.convert_tokens_to_ids("<image>"),
                                       video_token_index=tok.convert_tokens_to_ids("<video>"), vision_feature_layer=-2,
                                       vision_feature_select_strategy="default", spatial_pool_stride=2,
                                       image_grid_pinpoints=[[size, size]], video_seq_length=((size // patch) // 2) ** 2 * frames)
            model = LlavaNextVideoForConditionalGeneration(cfg).eval()
            processor = LlavaNextImageProcessorPil(size={"shortest_edge": size}, crop_size={"height": size, "width": size},
                                                   image_grid_pinpoints=[[size, size]])
        else:
            raise UserInputError(f"unknown tiny video-LLM arch '{arch}'", hint=f"one of {', '.join(SUPPORTED)}")
    directory.mkdir(parents=True, exist_ok=True)
    from synvita.hub import no_save_progress_bars

    with no_save_progress_bars():
        model.save_pretrained(directory)
    tok.save_pretrained(directory)
    processor.save_pretrained(directory)
    return directory

