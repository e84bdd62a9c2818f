"""Contains `synvita report EXPERIMENT --out DIR`: a study's results document (docs/results.md) and its PNG figures,
regenerated from the database without rerunning anything."""

from __future__ import annotations

from typing import Annotated, Optional

import typer

from synvita.cli._utils import get_api, info, out


def report(
    experiment: Annotated[str, typer.Argument(help="Experiment name (its `name`, e.g. study).")],
    out_dir: Annotated[str, typer.Option("--out", "-o", help="Folder of the PNG figures.")] = "docs/results",
    doc: Annotated[
        Optional[str],
        typer.Option("--doc", help="The Markdown file (default: results.md beside a folder named results, else inside --out)."),
    ] = None,
) -> None:
    """Results of a study as Markdown and PNG: the main table, the Table 1 / Table 2 / main-table / ablation
    analogues with intervals, the held-out versus in-distribution split, the mean Δ and its histogram per
    misalignment type, and each finding of the paper with its verdict (reproduced / not reproduced / reversed).

    Reads the database only. Example:
      synvita report study --out docs/results/      # writes docs/results.md and docs/results/*.png
    """
    api = get_api()
    command = f"synvita report {experiment} --out {out_dir}" + (f" --doc {doc}" if doc else "")
    paths = api.study_report(experiment, out_dir, doc=doc, command=command)
    for path in paths:
        out(str(path))
    info(f"wrote {len(paths)} files for experiment {experiment}")
