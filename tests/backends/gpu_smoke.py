"""GPU smoke check of the real backends on tiny random models (run by hand on a CUDA node; not collected by pytest).

    python tests/backends/gpu_smoke.py        # prints one line per check, exits non-zero on a failure

Checks the paths CI (CPU only) cannot: the embedded `tiny` model (object tracker, grounding, "and" readout) scores
rendered clips on the GPU as on the CPU and trains there with the SynViTA losses; device="auto" picks CUDA and bf16;
CogVideoX / Wan generate on the GPU with the same CPU-seeded noise; the video-LLM scores in bf16 close to the fp32
CPU value, keeps LoRA in fp32, and a LoRA step on the GPU changes only adapter weights.
"""

import os
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
sys.path.insert(0, str(Path(__file__).parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

import numpy as np  # noqa: E402
import torch  # noqa: E402


def check_tiny() -> None:
    """The `tiny` model on CUDA: same scores as on the CPU (fp32), and the synvita variant trains there."""
    from synvita.data.types import PairSet
    from synvita.models.base import build_model
    from synvita.models.tiny import TinyAlignmentModel
    from synvita.training.loop import TrainConfig, TrainData, train
    from synvita.world.config import resolve_config
    from synvita.world.render import render
    from synvita.world.scene import Group, Relation, Scene

    cfg = resolve_config("quickstart")
    scenes = [
        (Scene(groups=(Group("circle", "red", "big", "moves left"),)), "one big red circle moves left", "one big red circle moves right"),
        (Scene(groups=(Group("triangle", "green", "big", "moves right"), Group("cross", "red", "big", "shrinks")), link="then"),
         "one big green triangle moves right then one big red cross shrinks",
         "one big red cross shrinks then one big green triangle moves right"),
        (Scene(groups=(Group("ring", "blue", "big", "grows"), Group("circle", "red", "big", "moves left")), link="and",
               relation=Relation(0, "above", 1)),
         "one big blue ring grows above one big red circle moves left", "one big blue ring grows below one big red circle moves left"),
    ]
    frames = np.stack([render(sc, cfg, np.random.default_rng(i)) for i, (sc, _, _) in enumerate(scenes)])  # [3, T, H, W, 3]
    pos, neg = [p for _, p, _ in scenes], [n for _, _, n in scenes]
    config = {**TinyAlignmentModel.example_config(pos + neg, frames=frames.shape[1]), "d": 32, "heads": 4}
    cpu = build_model("tiny", config, seed=0)
    gpu = build_model("tiny", config, seed=0).cuda()
    idx = np.array([0, 1, 2, 0, 1, 2])
    f_cpu, f_gpu = cpu.predict(frames, idx, pos + neg), gpu.predict(frames, idx, pos + neg)
    print("tiny f cpu", np.round(f_cpu, 4), "gpu", np.round(f_gpu, 4), "max|diff|", float(np.abs(f_cpu - f_gpu).max()))
    assert gpu.device.type == "cuda" and np.abs(f_cpu - f_gpu).max() < 1e-3
    pairs = PairSet(video=np.arange(3), caption_pos=pos, caption_neg=neg, misalignment=["action", "flip", "relation"],
                    syn_video=np.arange(3), weight=np.array([0.2, 0.5, 0.9], dtype=np.float32))
    data = TrainData(real_frames=frames, pairs=pairs, syn_frames=frames[:, ::-1].copy(), extra_negatives=[[], [], []])
    logged = []
    t = time.perf_counter()
    train(gpu, data, TrainConfig(variant="synvita", steps=150, batch_size=3, lr=3e-3, log_every=50, broken_time=0.0),
          callback=lambda step, m: logged.append(m))
    dt = time.perf_counter() - t
    assert all(np.isfinite(m["loss"]) for m in logged) and logged[-1]["loss_scr"] >= 0
    assert all(p.device.type == "cuda" for p in gpu.parameters())
    f = gpu.predict(frames, idx, pos + neg)
    print(f"tiny synvita training on GPU: loss {logged[0]['loss']:.3f} -> {logged[-1]['loss']:.3f} in {dt:.1f}s; "
          f"f(pos) {np.round(f[:3], 3)} f(neg) {np.round(f[3:], 3)}")
    assert logged[-1]["loss"] < logged[0]["loss"] and (f[:3] - f[3:]).mean() > 0.1


def main() -> int:
    assert torch.cuda.is_available(), "no CUDA device"
    print("device", torch.cuda.get_device_name(0), "torch", torch.__version__)
    check_tiny()
    from tiny_pipelines import tiny_cogvideox, tiny_wan

    from synvita.generators.cogvideox import CogVideoXGenerator
    from synvita.generators.diffusers_pipeline import DiffusersGenerator
    from synvita.models.base import build_model
    from synvita.models.videollm import build_tiny_videollm

    tmp = Path(tempfile.mkdtemp())
    tiny_cogvideox().save_pretrained(tmp / "cog")
    tiny_wan().save_pretrained(tmp / "wan")
    prompts = ["a cat plays with a red ball", "a dog runs in the park"]
    for label, make in [
        ("cogvideox", lambda dev, dt: CogVideoXGenerator(tmp / "cog", num_frames=9, height=32, width=32, steps=2, device=dev, dtype=dt)),
        ("wan", lambda dev, dt: DiffusersGenerator(tmp / "wan", num_frames=9, height=16, width=16, steps=2, device=dev, dtype=dt,
                                                   call_kwargs={"max_sequence_length": 16})),
    ]:
        gpu = make("auto", "auto")
        assert gpu.device == "cuda" and gpu.dtype == torch.bfloat16, (gpu.device, gpu.dtype)
        t = time.perf_counter()
        a = gpu.generate(prompts, seed=1)
        b = gpu.generate(prompts, seed=1)
        dt = time.perf_counter() - t
        cpu = make("cpu", "fp32").generate(prompts, seed=1)
        same = all(np.array_equal(x.frames, y.frames) for x, y in zip(a, b))
        diff = float(np.mean([np.abs(x.frames.astype(int) - y.frames).mean() for x, y in zip(a, cpu)]))
        print(f"{label}: shape {a[0].frames.shape} dtype {a[0].frames.dtype} repeatable={same} "
              f"mean|gpu_bf16 - cpu_fp32|={diff:.2f}/255 time(2 calls)={dt:.2f}s")
        assert a[0].frames.shape[1:] == cpu[0].frames.shape[1:] and same

    caps = ["a cat plays with a red ball on the table", "a cat plays with a blue ball on the table"]
    base = build_tiny_videollm(tmp / "vl", caps)
    lora = {"r": 4, "alpha": 8, "dropout": 0.0, "init_identity": False}
    m_gpu = build_model("videollm", {"model_path": str(base), "lora": lora}, seed=0)
    m_cpu = build_model("videollm", {"model_path": str(base), "lora": lora, "device": "cpu", "dtype": "fp32"}, seed=0)
    assert m_gpu.device.type == "cuda" and m_gpu.hf.dtype == torch.bfloat16
    assert all(p.dtype == torch.float32 for n, p in m_gpu.named_parameters() if "lora_" in n)
    videos = np.random.default_rng(0).integers(0, 256, (2, 12, 40, 48, 3), dtype=np.uint8)
    idx, shared = [0, 1, 0], [None, None, caps[1]]
    f_gpu = m_gpu.predict(videos, idx, caps + caps[:1], shared_with=shared)
    f_cpu = m_cpu.predict(videos, idx, caps + caps[:1], shared_with=shared)
    print("videollm f gpu(bf16)", np.round(f_gpu, 4), "cpu(fp32)", np.round(f_cpu, 4), "max|diff|", float(np.abs(f_gpu - f_cpu).max()))
    assert np.all((f_gpu >= 0) & (f_gpu <= 1)) and np.abs(f_gpu - f_cpu).max() < 0.05
    before = {k: v.detach().clone() for k, v in m_gpu.named_parameters()}
    opt = torch.optim.AdamW([p for p in m_gpu.parameters() if p.requires_grad], lr=1e-2)
    m_gpu.train()
    logits = m_gpu(m_gpu.encode_videos(videos), torch.tensor([0, 1, 0]), m_gpu.prepare_text(caps + caps[:1], shared))
    ce, n = m_gpu.sequence_ce(logits, torch.tensor([1, 0, 1]))
    (ce.sum() / n.sum()).backward()
    opt.step()
    changed = [k for k, v in m_gpu.named_parameters() if not torch.equal(v, before[k])]
    assert changed and all("lora_" in k for k in changed)
    print(f"videollm LoRA step on GPU: loss {float(ce.sum().item() / n.sum().item()):.4f}, {len(changed)} adapter tensors changed, base unchanged")
    save = m_gpu.save_pretrained(tmp / "saved")
    from synvita.models.base import load_model

    again = load_model(save)
    print("videollm reload device", again.device, "f", np.round(again.predict(videos, idx[:2], caps), 4),
          "vs", np.round(m_gpu.predict(videos, idx[:2], caps), 4))
    print("ALL GPU CHECKS PASSED")
    return 0


if __name__ == "__main__":
    sys.exit(main())
