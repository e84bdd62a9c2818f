"""Contains `synvita weights RUN`: the alignment-weight distribution per misalignment type (paper Figure: weights)."""

from __future__ import annotations

from typing import Annotated

import typer

from synvita.cli._utils import JsonOpt, RunIdArg, get_api, out, print_json, use_color
from synvita.errors import UserInputError


def weights(
    run_id: RunIdArg,
    bins: Annotated[int, typer.Option("--bins", help="Histogram bins.")] = 20,
    hist: Annotated[str, typer.Option("--hist", help="Histogram of `diff` (f̄(Vˢ,tˢ) − f̄(Vˢ,tʳ), like the paper) or `omega`.")] = "diff",
    height: Annotated[int, typer.Option("--height", help="Histogram height in text rows.")] = 1,
    diff_range: Annotated[
        float, typer.Option("--range", help="Δ histogram spans ±RANGE (0 = the smallest of 0.05/0.1/0.25/0.5/1 holding the data).")
    ] = 0.0,
    json_output: JsonOpt = False,
) -> None:
    """Per misalignment type: count, mean/std of ω, share at ω = 0, mean/std of the score difference and a histogram;
    in the embedded world also the split by ground-truth faithfulness. RUN is a score run (or a train/evaluate run:
    its score run is used)."""
    if hist not in ("diff", "omega"):
        raise UserInputError(f"--hist {hist}: must be diff or omega")
    if height < 1:
        raise UserInputError(f"--height {height}: must be ≥ 1")
    if diff_range < 0:
        raise UserInputError(f"--range {diff_range}: must be ≥ 0")
    api = get_api()
    summary = api.weights_summary(run_id, bins=bins, diff_range=diff_range or None)
    if json_output:
        print_json(summary.to_dict())
        return
    out(api.format_weights(summary, hist=hist, height=height, color=use_color()))
