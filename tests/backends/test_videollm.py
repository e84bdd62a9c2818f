"""The transformers video-LLM alignment backend on tiny random Video-LLaVA / LLaVA-NeXT-Video models, checked
against the models' own full forward pass (the way the official code scores)."""

import json

import numpy as np
import pytest
import torch

from synvita.errors import NotFoundError, UserInputError
from synvita.models.base import build_model, load_model
from synvita.registry import MODELS
import synvita.models  # noqa: F401

CAPS = ["a cat plays with a red ball on the table", "a cat plays with a blue ball on the table", "a dog runs in the park"]
RANDOM_LORA = {"r": 4, "alpha": 8, "dropout": 0.0, "init_identity": False}


def _videos(n=2, t=10, h=40, w=48, seed=0):
    return np.random.default_rng(seed).integers(0, 256, (n, t, h, w, 3), dtype=np.uint8)


@pytest.fixture(scope="module")
def model(videollm_dir):
    """Loaded the way a user loads a downloaded Video-LLaVA directory (identity LoRA on top)."""
    return MODELS.get("videollm").model_class().from_pretrained(videollm_dir)


def _reference_logprobs(model, video, ids, attention_mask=None):
    """log-softmax over the vocabulary at the last position of one unpadded sequence, by the HF model itself."""
    with torch.no_grad():
        px = model._pixel_values(torch.from_numpy(video[None]))
        ids = torch.tensor([ids])
        mask = torch.ones_like(ids) if attention_mask is None else torch.tensor([attention_mask])
        return torch.log_softmax(model.hf(input_ids=ids, pixel_values_videos=px, attention_mask=mask).logits[0, -1].float(), -1)


def test_f_is_the_yes_no_ratio_at_the_answer_position(model):
    videos = _videos()
    f = model.predict(videos, [0, 1, 0], CAPS)
    assert f.shape == (3,) and np.all((f > 0) & (f < 1))
    assert model.config["lora"] == {"r": 32, "alpha": 32, "dropout": 0.05, "target": model.config["lora"]["target"], "init_identity": True}
    for s, (v, cap) in enumerate(zip([0, 1, 0], CAPS)):
        lp = _reference_logprobs(model, videos[v], model._prompt_ids(cap))
        ref = (lp[model.yes_id].exp() / (lp[model.yes_id].exp() + lp[model.no_id].exp())).item()
        assert f[s] == pytest.approx(ref, abs=1e-5)  # right padding + explicit positions = unpadded batch of one
    assert model.yes_id == model.tokenizer.encode("Yes", add_special_tokens=False)[0]


def test_ce_targets_answer_and_eos(model):
    videos = _videos()
    feats = model.encode_videos(videos)
    logits = model(feats, torch.tensor([0, 1]), model.prepare_text(CAPS[:2]))
    ce, n_tok = model.sequence_ce(logits, torch.tensor([1, 0]))
    assert n_tok.tolist() == [2, 2]
    for s, (answer, label) in enumerate([(model.yes_id, 1), (model.no_id, 0)]):
        ids = model._prompt_ids(CAPS[s])
        lp_answer = _reference_logprobs(model, videos[s], ids)[answer]
        lp_eos = _reference_logprobs(model, videos[s], ids + [answer])[model.eos_id]
        assert ce[s].item() == pytest.approx(-(lp_answer + lp_eos).item(), abs=1e-4)


def test_shared_semantic_copy_masks_by_attention_like_the_official_code(model):
    videos = _videos()
    text = model.prepare_text([CAPS[0]], [CAPS[1]])
    plain = model.prepare_text([CAPS[0]])
    assert torch.equal(text.positions, plain.positions) and torch.equal(text.ids, plain.ids)
    hidden = (text.padding_mask & ~text.attention_mask)[0].nonzero().flatten().tolist()
    assert len(hidden) >= 1
    assert "red" in model.tokenizer.decode(text.ids[0, hidden])  # the differing word, nothing else
    f_masked = model.predict(videos, [0], [CAPS[0]], shared_with=[CAPS[1]])[0]
    assert f_masked != pytest.approx(model.predict(videos, [0], [CAPS[0]])[0], abs=1e-7)
    ids = model._prompt_ids(CAPS[0])
    mask = text.attention_mask[0, : len(ids)].long().tolist()
    lp = _reference_logprobs(model, videos[0], ids, attention_mask=mask)  # the official 2-D mask with holes
    assert f_masked == pytest.approx(torch.softmax(lp[[model.yes_id, model.no_id]], 0)[0].item(), abs=1e-5)


def test_same_seed_same_adapter_and_training_touches_only_lora(videollm_dir):
    cfg = {"model_path": str(videollm_dir), "lora": RANDOM_LORA}
    a, b, c = (build_model("videollm", cfg, seed=s) for s in (3, 3, 4))
    d = MODELS.get("videollm").model_class().from_section({"name": "videollm", "path": str(videollm_dir), "config": {"lora": RANDOM_LORA}}, seed=3)
    videos = _videos()
    np.testing.assert_array_equal(a.predict(videos, [0, 1], CAPS[:2]), b.predict(videos, [0, 1], CAPS[:2]))
    np.testing.assert_array_equal(a.predict(videos, [0, 1], CAPS[:2]), d.predict(videos, [0, 1], CAPS[:2]))
    assert not np.allclose(a.predict(videos, [0, 1], CAPS[:2]), c.predict(videos, [0, 1], CAPS[:2]))
    before = {k: v.detach().clone() for k, v in a.named_parameters()}
    assert set(a.state_dict()) == {k for k in before if "lora_" in k} and all("language_model" in k for k in a.state_dict())
    opt = torch.optim.AdamW([p for p in a.parameters() if p.requires_grad], lr=1e-2)
    a.train()
    logits = a(a.encode_videos(videos), torch.tensor([0, 1]), a.prepare_text(CAPS[:2], [None, CAPS[0]]))
    ce, n = a.sequence_ce(logits, torch.tensor([1, 0]))
    (ce.sum() / n.sum()).backward()
    opt.step()
    changed = {k for k, v in a.named_parameters() if not torch.equal(v, before[k])}
    assert changed and all("lora_" in k for k in changed)
    assert any("lora_A" in k for k in changed) and any("lora_B" in k for k in changed)


def test_save_load_round_trip_and_peft_adapter(videollm_dir, tmp_path):
    model = build_model("videollm", {"model_path": str(videollm_dir), "lora": RANDOM_LORA}, seed=0)
    videos = _videos()
    f = model.predict(videos, [0, 1], CAPS[:2])
    path = model.save_pretrained(tmp_path / "adapter-run")
    assert json.loads((path / "config.json").read_text())["name"] == "videollm"
    assert (path / "model.safetensors").stat().st_size < 200_000  # adapter only, not the base
    np.testing.assert_array_equal(load_model(path).predict(videos, [0, 1], CAPS[:2]), f)
    from peft import PeftModel
    from transformers import VideoLlavaForConditionalGeneration

    peft = PeftModel.from_pretrained(VideoLlavaForConditionalGeneration.from_pretrained(videollm_dir), path / "adapter").eval()
    with torch.no_grad():
        px = model._pixel_values(torch.from_numpy(videos[:1]))
        lp = torch.log_softmax(peft(input_ids=torch.tensor([model._prompt_ids(CAPS[0])]), pixel_values_videos=px).logits[0, -1], -1)
    assert f[0] == pytest.approx(torch.softmax(lp[[model.yes_id, model.no_id]], 0)[0].item(), abs=1e-5)


def test_llava_next_video_backend(tmp_path):
    from synvita.models.videollm import build_tiny_videollm

    d = build_tiny_videollm(tmp_path / "nextvideo", CAPS, arch="llava_next_video")
    model = MODELS.get("videollm").model_class().from_pretrained(d)
    assert model.arch == "llava_next_video" and model.tokens_per_video == 32
    videos = _videos()
    f = model.predict(videos, [1], CAPS[2:])
    lp = _reference_logprobs(model, videos[1], model._prompt_ids(CAPS[2]))
    assert f[0] == pytest.approx(torch.softmax(lp[[model.yes_id, model.no_id]], 0)[0].item(), abs=1e-5)


def test_missing_weights_are_one_line_not_found(tmp_path, monkeypatch):
    import huggingface_hub.constants as hc

    monkeypatch.setattr(hc, "HF_HUB_CACHE", str(tmp_path / "hf-cache"))
    with pytest.raises(NotFoundError) as err:
        build_model("videollm", {"model_path": "LanguageBind/Video-LLaVA-7B-hf"})
    line = err.value.one_line()
    assert "\n" not in line and "hf-cache" in line and "huggingface-cli download LanguageBind/Video-LLaVA-7B-hf" in line
    with pytest.raises(NotFoundError):
        MODELS.get("videollm").model_class().from_pretrained(tmp_path / "nothing")
    with pytest.raises(UserInputError, match="model.path"):
        MODELS.get("videollm").model_class().from_section({"name": "videollm"})


def test_trains_in_the_synvita_loop_with_adapter_only_checkpoints(videollm_dir, tmp_path):
    """The full method (ω-weighted CE + consistency term) runs on the video-LLM; checkpoints hold the adapter."""
    from synvita.data.types import PairSet
    from synvita.training.loop import CHECKPOINT, TrainConfig, TrainData, train

    rng = np.random.default_rng(0)
    data = TrainData(
        real_frames=rng.integers(0, 256, (3, 8, 32, 32, 3), dtype=np.uint8),
        syn_frames=rng.integers(0, 256, (3, 8, 32, 32, 3), dtype=np.uint8),
        pairs=PairSet(video=np.arange(3), caption_pos=[CAPS[0], CAPS[2], CAPS[1]], caption_neg=[CAPS[1], "a dog runs in the table", CAPS[0]],
                      misalignment=["attribute", "object", "attribute"], syn_video=np.arange(3),
                      weight=np.array([0.5, 1.0, 0.2], dtype=np.float32)),
        extra_negatives=[[], [], []],
    )
    model = build_model("videollm", {"model_path": str(videollm_dir), "lora": {"r": 4, "alpha": 8, "dropout": 0.0}}, seed=0)
    logged = []
    cfg = TrainConfig(variant="synvita", steps=2, batch_size=2, lr=1e-3, log_every=1, checkpoint_every=1, extra_negatives=False,
                      broken_time=0.0)
    result = train(model, data, cfg, run_dir=tmp_path, callback=lambda step, m: logged.append(m))
    assert result.steps == 2 and result.sequences == 32  # 2 steps × 2 pairs × 2 rows × 4 sequences
    assert all(np.isfinite(m["loss"]) and m["loss_real"] > 0 and m["loss_synth"] > 0 for m in logged)
    assert any(m["loss_scr"] > 0 for m in logged)
    state = torch.load(tmp_path / CHECKPOINT, weights_only=True)
    assert set(state["model"]) == set(model.state_dict()) and all("lora_" in k for k in state["model"])


def test_caption_span_found_by_offsets_when_standalone_tokens_differ(model, monkeypatch):
    """If the standalone `"desc"?` tokens do not occur verbatim, the span comes from character offsets."""
    import synvita.method

    expected = model.prepare_text(CAPS[:2], [CAPS[1], CAPS[0]]).attention_mask
    monkeypatch.setattr(synvita.method, "find_subsequence", lambda hay, needle: -1)
    assert torch.equal(model.prepare_text(CAPS[:2], [CAPS[1], CAPS[0]]).attention_mask, expected)


def test_gradient_checkpointing_gives_the_same_gradients(videollm_dir):
    grads = []
    for ckpt in (False, True):
        m = build_model("videollm", {"model_path": str(videollm_dir), "lora": RANDOM_LORA, "gradient_checkpointing": ckpt}, seed=5)
        m.train()
        assert m.hf.model.language_model.gradient_checkpointing is ckpt
        logits = m(m.encode_videos(_videos()), torch.tensor([0, 1]), m.prepare_text(CAPS[:2], [CAPS[1], None]))
        ce, n = m.sequence_ce(logits, torch.tensor([1, 0]))
        ce.sum().backward()
        grads.append({k: p.grad.clone() for k, p in m.named_parameters() if p.grad is not None})
    assert grads[0].keys() == grads[1].keys() and len(grads[0]) > 0
    for k in grads[0]:
        torch.testing.assert_close(grads[0][k], grads[1][k], rtol=1e-4, atol=1e-6)


def test_video_llava_frames_preprocess_the_same_under_the_pre_5_23_processor_output(model):
    """transformers < 5.23 (clusters pin older releases): VideoLlavaImageProcessor knows no
    return_legacy_image_output and names its output "pixel_values_images". Same pixels either way."""
    from synvita.models.videollm import _video_llava_preprocess

    current = model.image_processor
    if model.arch != "video_llava":
        pytest.skip("the fixture model is not Video-LLaVA")

    class PreFiveTwentyThree(type(current)):
        def preprocess(self, images, return_tensors=None, **kwargs):  # the old signature: no legacy switch
            out = super().preprocess(images, return_tensors=return_tensors, return_legacy_image_output=False, **kwargs)
            out["pixel_values_images"] = out.pop("pixel_values")
            return out

    old = PreFiveTwentyThree(**current.to_dict())
    frames = list(_videos(n=1, t=4)[0])
    new_px = _video_llava_preprocess(frames, current)
    assert new_px.shape[0] == 4 and new_px.shape[1] == 3
    torch.testing.assert_close(_video_llava_preprocess(frames, old), new_px)
