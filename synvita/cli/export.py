"""`synvita export`: evaluated runs' predictions and ground truth in the layout the official SynViTA / VideoCon
evaluation scripts read (logic in synvita.api.export; docs/cli.md gives the script command lines)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer

from synvita.cli._utils import columns, get_api, info, out


def export(
    run_ids: Annotated[Optional[list[str]], typer.Argument(help="Evaluate runs (a train run brings its evaluate run).")] = None,
    experiment: Annotated[Optional[str], typer.Option("--experiment", "-e", help="Every succeeded evaluate run of this experiment.")] = None,
    out_dir: Annotated[Path, typer.Option("--out", "-o", help="Folder to write (export.json, ground_truth/, predictions/).")] = Path("export"),
    data_dir: Annotated[str, typer.Option("--data-dir", help="Prefix of every predicted videopath: the scripts' --data_dir.")] = "data/",
    bare: Annotated[bool, typer.Option("--bare", help="Bare captions in the predictions (run the scripts with --extract_caption).")] = False,
) -> None:
    """Write predictions + ground truth the official scripts score as they are, and DIR/export.json listing, per run
    and benchmark, the script, its arguments (paths relative to DIR) and synvita's own numbers. Examples:
      synvita export --experiment quickstart --out results/
      synvita export r-1a2b3c --out results/ --bare
    """
    payload = get_api().export_results(out_dir, run_ids or None, experiment, data_dir=data_dir, bare=bare)
    rows = []
    for run in payload["runs"]:
        for name, entry in run["benchmarks"].items():
            gallery = entry["args"][entry["args"].index("--vid_per_caption") + 1] if "--vid_per_caption" in entry["args"] else ""
            numbers = ", ".join(f"{k} {v:.2f}" for k, v in entry["synvita"].items())
            rows.append([run["run"], name, entry["script"], gallery, numbers])
    out(columns(["run", "benchmark", "script", "gallery", "synvita"], rows))
    info(f"wrote {out_dir / 'export.json'}; run each script from {out_dir} with its args plus --output_file FILE")
