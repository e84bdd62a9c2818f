"""The world in the original data layouts, one mp4 per clip: what the `videocon` data source and the original
VideoCon / SynViTA scripts read.

    <out>/videos/<bank>/<id>.mp4            one H.264 file per clip
    <out>/videocon_llm_entailment.csv       train/val/test pairs (source, videopath, caption, neg_caption, split,
                                            misalignment): VideoCon's layout, the `videocon` source's train_csv
    <out>/final_videocon_llm_test.csv       entail-llm         (videopath, caption, label, hard, misalignment)
    <out>/final_videocon_human.csv          entail-human       (same; `hard` marks the Human-Hard rows)
    <out>/eval_ssv2_temporal.csv            retrieval-temporal (videopath, caption, match)
    <out>/eval_ssv2_events.csv              retrieval-events
    <out>/eval-nextqa-atphard.csv           qa-hard            (videopath, question, answer, option, caption)
    <out>/nextqa-atphard.csv                its question types (video, question, type)
    <out>/train_llm_mix_entail_synvita.csv  SynViTA's training rows with syn_video, with a synthetic set

Every file name is a `[videocon]` default, so `[videocon] root = "<out>"` reads the export as it is.

The default codec is lossless RGB H.264 (`h264-rgb`): the mp4s decode to exactly the world's frames, so an
experiment on the export through the `videocon` source gets the numbers of the embedded path. `h264-420`
(yuv420p, what decord-based scripts expect) is lossy at these sizes. Captions in the ground-truth CSVs are the
full mPLUG-Owl prompt, as in the official files (`prompt=False`: bare).

ATP-Hard's `type` (NExT-QA's CW/CH causal, TN/TC/TP temporal) drives `eval_atphard.py`'s Accuracy-C and
Accuracy-T, and that script divides by both counts. Every world question asks what happens in order; it is typed
`TN` when one of its distractors is the answer with the events' order flipped (order alone decides), `CH` when
every distractor differs in how an object moves (an action reversed), so both letters occur.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any, Callable

from synvita.data.manifest import write_csv
from synvita.data.video_io import write_mp4
from synvita.errors import UserInputError
from synvita.world.original import video_path

FILES = {
    "entail-llm": "final_videocon_llm_test.csv",
    "entail-human": "final_videocon_human.csv",
    "retrieval-temporal": "eval_ssv2_temporal.csv",
    "retrieval-events": "eval_ssv2_events.csv",
    "qa-hard": "eval-nextqa-atphard.csv",
}
"""Benchmark → its ground-truth file (entail-human-hard is the `hard` rows of entail-human's file)."""
FILE_OF = {**FILES, "entail-human-hard": FILES["entail-human"]}
TYPES_FILE = "nextqa-atphard.csv"
PAIRS_FILE = "videocon_llm_entailment.csv"
SYNVITA_TRAIN_FILE = "train_llm_mix_entail_synvita.csv"
DEFAULT_CODEC = "h264-rgb"


def write_ground_truth(data: Any, out_dir: str | Path, names: list[str] | None = None, prompt: bool = True) -> dict[str, Path]:
    """The ground-truth CSVs (and the ATP types file) of benchmarks `names` of a loaded data source (the world
    or a built `videocon` source), with the video paths its `benchmark_video_paths` gives."""
    from synvita.benchmarks.formats import write_atp_hard_csv, write_atp_types_csv, write_entailment_csv, write_ssv2_csv

    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    written: dict[str, Path] = {}
    for name in names or list(FILES):
        filename = FILE_OF[name]
        if filename in {p.name for p in written.values()}:
            written[name] = out / filename
            continue
        source = "entail-human" if name == "entail-human-hard" else name
        _, items = data.benchmark(source)
        paths = data.benchmark_video_paths(source)
        if name.startswith("entail"):
            written[name] = write_entailment_csv(out / filename, items, paths, prompt=prompt)
        elif name.startswith("retrieval"):
            written[name] = write_ssv2_csv(out / filename, items, paths, prompt=prompt)
        else:
            questions = data.benchmark_questions(name)
            types = data.benchmark_types(name)
            letters = {t[:1] for t in types}
            if not {"C", "T"} <= letters:
                raise UserInputError(
                    f"qa-hard: the question types start only with {', '.join(sorted(letters)) or '(none)'}",
                    hint="eval_atphard.py divides by the counts of both C (causal) and T (temporal) questions; "
                    "give the set a types file (videocon.atp_types_csv) with both",
                )
            written[name] = write_atp_hard_csv(out / filename, items, paths, questions, prompt=prompt)
            typed = dataclasses.replace(items, qtype=types)
            written["qa-hard-types"] = write_atp_types_csv(out / TYPES_FILE, typed, paths, questions)
    return written


def _write_videos(world, bank_name: str, out: Path, codec: str, say) -> list[str]:
    bank = world.bank(bank_name)
    folder = out / "videos" / bank_name
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for i, vid in enumerate(bank.ids):
        write_mp4(folder / f"{vid}.mp4", bank.frames[i], fps=world.config.fps, codec=codec)
        paths.append(video_path(bank_name, vid))
        if (i + 1) % 500 == 0 or i + 1 == len(bank):
            say(i + 1, len(bank), f"export {bank_name}")
    return paths


def export_original(
    world,
    out_dir: str | Path,
    synthetic_dir: str | Path | None = None,
    include_train: bool = True,
    codec: str = DEFAULT_CODEC,
    prompt: bool = True,
    progress: Callable[[int, int, str], None] | None = None,
) -> dict[str, Path]:
    """Write the benchmarks, the train/val/test pairs (`include_train`) and, given a synthetic set, SynViTA's
    training CSV in the original layouts; returns the written files by set."""
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

    for name in FILES:
        videos(BENCHMARK_BANK[name])
    written = write_ground_truth(world, out, list(FILES), prompt=prompt)
    if include_train:
        rows = []
        for split in ("train", "val", "test"):
            video_paths = videos(split)
            _, pairs = world.split(split)
            for v, pos, neg, mis in zip(pairs.video, pairs.caption_pos, pairs.caption_neg, pairs.misalignment):
                rows.append({"source": "synvita-world", "videopath": video_paths[int(v)], "caption": pos,
                             "neg_caption": neg, "split": split, "misalignment": mis})
        write_csv(out / PAIRS_FILE, rows)
        written["pairs"] = out / PAIRS_FILE
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
        path = video_path("synthetic", syn.bank.ids[k])
        write_mp4(out / path, syn.bank.frames[k], fps=world.config.fps, codec=codec)
        for r in rows[-2:]:
            r.update(common, syn_video=path)
        rows += [
            {"videopath": path, "caption": pairs.caption_neg[p], "label": 1, "domain": "synthetic", **common, "syn_video": path},
            {"videopath": path, "caption": pairs.caption_pos[p], "label": 0, "domain": "synthetic", **common, "syn_video": path},
        ]
        if (p + 1) % 500 == 0 or p + 1 == len(pairs):
            say(p + 1, len(pairs), "export synthetic")
    target = out / SYNVITA_TRAIN_FILE
    write_csv(target, rows, ["videopath", "caption", "label", "misalignment", "domain", "syn_video"])
    return target
