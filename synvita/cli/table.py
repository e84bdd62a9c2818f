"""Contains `synvita table`: the paper-style benchmark table (variants × six benchmarks, mean ± std, ↑/↓ deltas)."""

from __future__ import annotations

from typing import Annotated, Optional

import typer

from synvita.cli._utils import SubmissionOpt, get_api, info, out, use_color

FORMATS = ("text", "md", "latex", "csv", "json")

ExperimentsOpt = Annotated[
    Optional[list[str]],
    typer.Option("--experiment", "-e", help="Runs of this experiment (its `name`); repeat (or a,b) for several."),
]


def table(
    run_ids: Annotated[Optional[list[str]], typer.Argument(help="Evaluate runs (a train run brings its evaluate run).")] = None,
    experiment: ExperimentsOpt = None,
    submission: SubmissionOpt = None,
    baseline: Annotated[str, typer.Option("--baseline", "-b", help="Variant (or row label) the ↑/↓ deltas compare with; '' for none.")] = "none",
    fmt: Annotated[str, typer.Option("--format", "-f", help="text, md, latex, csv or json.")] = "text",
    json_output: Annotated[bool, typer.Option("--json", help="Same as --format json.")] = False,
    controls: Annotated[bool, typer.Option("--controls", help="Also the shuffled/single-frame controls and per-type AUC.")] = False,
    all_metrics: Annotated[bool, typer.Option("--all-metrics", help="Also secondary metrics (e.g. R@1/5/10); implies --controls.")] = False,
    view: Annotated[
        Optional[str],
        typer.Option("--view", help="Only one block: main, probe (held-out concepts), types (AUC per type), controls, or all."),
    ] = None,
) -> None:
    """Benchmark table: rows = variants (mean ± std over seeds, n), columns = the six benchmarks and their mean.

    RUNs and experiments add up (each experiment's succeeded evaluate runs). Without RUN or
    --experiment/--submission: the latest submission. Examples:
      synvita table --experiment paper-ablations --format latex
      synvita table --experiment quickstart --experiment quickstart-lavie
      synvita table r-1a2b3c r-4d5e6f --baseline naive --controls
      synvita table --submission s-1a2b3c --view probe
    """
    if json_output:
        fmt = "json"
    if fmt not in FORMATS:
        from synvita.errors import UserInputError

        raise UserInputError(f"--format {fmt}: unknown format", hint=f"formats: {', '.join(FORMATS)}")
    experiments = [name for item in (experiment or []) for name in item.split(",") if name] or None
    api = get_api()
    result = api.table(
        run_ids=run_ids or None, experiments=experiments, submission=submission, baseline=baseline or None,
        include_controls=controls or view not in (None, "main"), include_other_metrics=all_metrics,
    )
    if view is not None:
        result = api.table_view(result, view)
    if not result.rows and fmt != "json":
        info("no benchmark results yet for these runs (evaluate runs write them when they succeed)")
        return
    out(api.format_table(result, fmt, color=use_color() and fmt == "text"))
