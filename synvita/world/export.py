"""The world in the original data layouts, one mp4 per clip, so the original VideoCon / SynViTA scripts run on it.

    <out>/videos/<bank>/<id>.mp4            one H.264 file per clip (yuv420p by default: what decord expects)
    <out>/final_videocon_llm_test.csv       entail-llm         (videopath, caption, label, hard, misalignment)
    <out>/final_videocon_human.csv          entail-human       (same; `hard` marks Human-Hard)
    <out>/eval_ssv2_temporal.csv            retrieval-temporal (videopath, caption, match)
    <out>/eval_ssv2_events.csv              retrieval-events
    <out>/eval-nextqa-atphard.csv           qa-hard            (videopath, question, answer, option, caption)
    <out>/nextqa-atphard.csv                its question types (video, question, type)
    <out>/videocon_llm_entailment.csv       train/val/test pairs (source, videopath, caption, neg_caption, split,
                                            misalignment), with --train only
    <out>/train_llm_mix_entail_synvita.csv  SynViTA's training rows with syn_video, with --train and a synthetic set

Captions are written as the full mPLUG-Owl prompt, as in the official ground-truth files (`prompt=False`: bare).
"""

from __future__ import annotations

from pathlib import Path
from typing import Callable

from synvita.data.manifest import write_csv
from synvita.data.video_io import write_mp4

FILES = {
    "entail-llm": "final_videocon_llm_test.csv",
    "entail-human": "final_videocon_human.csv",
    "retrieval-temporal": "eval_ssv2_temporal.csv",
    "retrieval-events": "eval_ssv2_events.csv",
    "qa-hard": "eval-nextqa-atphard.csv",
}


def _write_videos(world, bank_name: str, out: Path, codec: str, say) -> list[str]:
    bank = world.bank(bank_name)
    folder = out / "videos" / bank_name
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for i, vid in enumerate(bank.ids):
        write_mp4(folder / f"{vid}.mp4", bank.frames[i], fps=world.config.fps, codec=codec)
        paths.append(f"videos/{bank_name}/{vid}.mp4")
        if (i + 1) % 500 == 0 or i + 1 == len(bank):
            say(i + 1, len(bank), f"export {bank_name}")
    return paths


def export_original(
    world,
    out_dir: str | Path,
    synthetic_dir: str | Path | None = None,
    include_train: bool = False,
    codec: str = "h264-420",
    prompt: bool = True,
    progress: Callable[[int, int, str], None] | None = None,
) -> dict[str, Path]:
    """Write the benchmarks (and with include_train the pairs and SynViTA's training CSV) in the original layouts."""
    from synvita.benchmarks.formats import (
        write_atp_hard_csv,
        write_atp_types_csv,
        write_entailment_csv,
        write_ssv2_csv,
    )
    from synvita.world.build import check_writable
    from synvita.world.layout import BENCHMARK_BANK

    out = Path(out_dir)
    check_writable(out)
    say = progress or (lambda d, t, m: None)
    paths: dict[str, list[str]] = {}

    def videos(bank_name: str) -> list[str]:
        if bank_name not in paths:
            paths[bank_name] = _write_videos(world, bank_name, out, codec, say)
        return paths[bank_name]

    written: dict[str, Path] = {}
    for name, filename in FILES.items():
        _, data = world.benchmark(name)
        video_paths = videos(BENCHMARK_BANK[name])
        if name.startswith("entail"):
            written[name] = write_entailment_csv(out / filename, data, video_paths, prompt=prompt)
        elif name.startswith("retrieval"):
            written[name] = write_ssv2_csv(out / filename, data, video_paths, prompt=prompt)
        else:
            questions = [r["question"] for r in world.rows("qa-hard") if r["option"] == "0"]
            written[name] = write_atp_hard_csv(out / filename, data, video_paths, questions, prompt=prompt)
            written["qa-hard-types"] = write_atp_types_csv(out / "nextqa-atphard.csv", data, video_paths, questions)
    if include_train:
        rows = []
        for split in ("train", "val", "test"):
            video_paths = videos(split)
            _, pairs = world.split(split)
            for v, pos, neg, mis in zip(pairs.video, pairs.caption_pos, pairs.caption_neg, pairs.misalignment):
                rows.append({"source": "synvita-world", "videopath": video_paths[int(v)], "caption": pos,
                             "neg_caption": neg, "split": split, "misalignment": mis})
        write_csv(out / "videocon_llm_entailment.csv", rows)
        written["pairs"] = out / "videocon_llm_entailment.csv"
        if synthetic_dir is not None:
            written["synvita-train"] = _export_synthetic(world, synthetic_dir, out, codec, videos("train"), say)
    return written


def _export_synthetic(world, synthetic_dir, out: Path, codec: str, real_paths: list[str], say) -> Path:
    from synvita.world.synthetic import load_synthetic

    syn = load_synthetic(synthetic_dir)
    folder = out / "videos" / "synthetic"
    folder.mkdir(parents=True, exist_ok=True)
    _, pairs = world.split("train")
    rows = []
    for p in range(len(pairs)):
        real = real_paths[int(pairs.video[p])]
        common = {"misalignment": pairs.misalignment[p]}
        rows += [
            {"videopath": real, "caption": pairs.caption_pos[p], "label": 1, "domain": "real"},
            {"videopath": real, "caption": pairs.caption_neg[p], "label": 0, "domain": "real"},
        ]
        k = int(syn.pair_index[p])
        if k < 0:
            for r in rows[-2:]:
                r.update(common, syn_video="")
            continue
        path = f"videos/synthetic/{syn.bank.ids[k]}.mp4"
        write_mp4(out / path, syn.bank.frames[k], fps=world.config.fps, codec=codec)
        for r in rows[-2:]:
            r.update(common, syn_video=path)
        rows += [
            {"videopath": path, "caption": pairs.caption_neg[p], "label": 1, "domain": "synthetic", **common, "syn_video": path},
            {"videopath": path, "caption": pairs.caption_pos[p], "label": 0, "domain": "synthetic", **common, "syn_video": path},
        ]
        if (p + 1) % 500 == 0 or p + 1 == len(pairs):
            say(p + 1, len(pairs), "export synthetic")
    target = out / "train_llm_mix_entail_synvita.csv"
    write_csv(target, rows, ["videopath", "caption", "label", "misalignment", "domain", "syn_video"])
    return target
