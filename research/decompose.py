"""Research script, not part of the product: split the `tiny` model's "and" readout into its two factors on
entail-llm, per misalignment type and control.

    python research/decompose.py --world RUN_DIR_OF_WORLD --model RUN_DIR_OF_TRAIN/model [--rows all]

log f = log σ(content + b) + log(ε + (1 − ε)·σ(m)): the time-free content factor (what the clip's tracks look like
against what the caption names) plus the [CLS] factor (time, relations, counts; at most `cls_nats` below 0). For
each type and control (none, frames shuffled, one frame repeated) it prints the AUC of f and of each factor alone,
and each factor's mean ± std on the positive and the negative rows. This is how docs/temporal.md tells whether a
drop under a control comes from the content the frames show or from the [CLS] path. The factors are read from
outside the model, with a forward hook on its readout module (`synvita.models.tiny.readout.AndReadout`).
`synvita runs show RUN` prints a run's directory.
"""

from __future__ import annotations

import argparse
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Iterator

import numpy as np

from synvita.data.types import MISALIGNMENT_TYPES
from synvita.errors import UserInputError

CONTROLS = (None, "shuffled", "single-frame")


@dataclass
class Factors:
    """Per row of a benchmark: f and its two log factors (float [R] each)."""

    f: np.ndarray
    log_content: np.ndarray
    log_cls: np.ndarray


@contextmanager
def recording_readout(model) -> Iterator[list[tuple]]:
    """Within the block, every forward of the model's "and" readout appends its two log factors to the yielded
    list: (log σ(content + b) [S], log(ε + (1 − ε)·σ(margin)) [S])."""
    from synvita.models.tiny.readout import AndReadout

    readout = getattr(model, "readout", None)
    if not isinstance(readout, AndReadout):
        raise UserInputError("only the tiny model's \"and\" readout has two factors to record",
                             hint="a model built with readout = \"and\" and grounding on (the defaults)")
    record: list[tuple] = []
    handle = readout.register_forward_hook(
        lambda module, inputs, output: record.append((output.log_content.detach(), output.log_cls.detach())))
    try:
        yield record
    finally:
        handle.remove()


def readout_factors(model, frames: np.ndarray, video_index, captions) -> Factors:
    """f and the log factors of the "and" readout for every (video, caption) row."""
    with recording_readout(model) as record:
        f = model.predict(frames, video_index, captions)
    # predict scores the rows sorted by video (stable), chunk after chunk: put the records back in row order
    processed = np.argsort(np.asarray(video_index, dtype=np.int64), kind="stable")
    log_content, log_cls = np.empty(len(processed)), np.empty(len(processed))  # [R]
    log_content[processed] = np.concatenate([c.double().cpu().numpy() for c, _ in record])
    log_cls[processed] = np.concatenate([k.double().cpu().numpy() for _, k in record])
    return Factors(np.asarray(f), log_content, log_cls)


def decompose(model, frames: np.ndarray, rows, in_distribution_only: bool = True, seed: int = 0) -> list[dict]:
    """One dict per (control, type): AUC of f / content / [CLS] factor, and the factors' mean ± std by label."""
    from synvita.benchmarks.metrics import roc_auc
    from synvita.benchmarks.world_eval import apply_control, in_distribution_rows

    labels = np.asarray(rows.label)
    types = np.asarray(rows.misalignment)
    keep = in_distribution_rows(rows) if in_distribution_only else np.ones(len(labels), bool)
    out = []
    for control in CONTROLS:
        parts = readout_factors(model, apply_control(frames, control, seed), rows.video, rows.caption)
        for t in MISALIGNMENT_TYPES:
            sel = (types == t) & keep
            if len(np.unique(labels[sel])) < 2:
                continue
            y = labels[sel]
            row = {"control": control or "none", "type": t, "rows": int(sel.sum())}
            for name, value in (("f", parts.f), ("content", parts.log_content), ("cls", parts.log_cls)):
                row[f"auc_{name}"] = 100.0 * roc_auc(y, value[sel])
            for name, value in (("content", parts.log_content), ("cls", parts.log_cls)):
                for label, tag in ((1, "pos"), (0, "neg")):
                    v = value[sel][y == label]
                    spread = float(v.std(ddof=1)) if len(v) > 1 else float("nan")  # the sample std, as everywhere
                    row[f"{name}_{tag}"] = (float(v.mean()), spread)
            out.append(row)
    return out


def format_table(results: list[dict]) -> str:
    lines = []
    for control in dict.fromkeys(r["control"] for r in results):
        lines.append(f"control: {control}")
        lines.append(f"{'type':<14}{'AUC f':>7}{'content':>9}{'[CLS]':>7}   {'log σ(content) pos / neg':<28}"
                     f"{'[CLS] factor pos / neg':<24}")
        for r in (r for r in results if r["control"] == control):
            c = "{:6.2f}±{:.2f} / {:6.2f}±{:.2f}".format(*r["content_pos"], *r["content_neg"])
            k = "{:5.2f}±{:.2f} / {:5.2f}±{:.2f}".format(*r["cls_pos"], *r["cls_neg"])
            lines.append(f"{r['type']:<14}{r['auc_f']:>7.1f}{r['auc_content']:>9.1f}{r['auc_cls']:>7.1f}   {c:<28}{k}")
        lines.append("")
    return "\n".join(lines)


def main(argv=None) -> list[dict]:
    import torch

    from synvita.models.base import load_model
    from synvita.training.pipeline import world_dir
    from synvita.world import load_world

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--world", required=True, help="the world run dir (or world dir) the model was trained on")
    ap.add_argument("--model", required=True, help="a saved tiny model directory (a train run dir's model/)")
    ap.add_argument("--rows", choices=["in-distribution", "all"], default="in-distribution")
    ap.add_argument("--threads", type=int, default=2)
    args = ap.parse_args(argv)
    torch.set_num_threads(args.threads)
    world = load_world(world_dir(args.world))
    model = load_model(args.model)
    model.eval()
    bank, rows = world.benchmark("entail-llm")
    results = decompose(model, bank.frames, rows, in_distribution_only=args.rows == "in-distribution")
    print(f"entail-llm, {args.rows} rows, log f = log σ(content) + [CLS] factor (≥ −{model.tiny_config.cls_nats:g})\n")
    print(format_table(results))
    return results


if __name__ == "__main__":
    import sys

    from synvita.errors import run_script

    sys.exit(run_script(main))
