"""`synvita export`: evaluated runs' predictions and their ground truth in the layout the official SynViTA /
VideoCon evaluation scripts read as they are, plus `export.json` saying how to call each script.

    <out>/export.json
    <out>/ground_truth/<world run>/final_videocon_llm_test.csv, final_videocon_human.csv, eval_ssv2_temporal.csv,
                                   eval_ssv2_events.csv, eval-nextqa-atphard.csv, nextqa-atphard.csv
    <out>/predictions/<evaluate run>/<benchmark>.csv

Ground truth: one row per evaluated item, the caption as the full mPLUG-Owl prompt (as in the official files),
the video path relative to the data (one mp4 per clip: the world's exported layout, or the `videocon` CSVs' own
paths). Predictions: 3 columns, no header (`videopath, caption, entailment`), `videopath` = `data_dir` + the
ground-truth path (the scripts keep `videopath.split(data_dir)[1]` and inner-merge on (videopath, caption)),
`caption` the prompt, or bare with `bare=True` (then the scripts run with `--extract_caption`). ATP-Hard rows are
in option order 0–4, five per question; SSv2 captions each have one row per gallery video, and the gallery size
is the `--vid_per_caption` the scripts need. docs/cli.md gives the command lines and where synvita's rules differ.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from synvita.api.tables import TablesApi
from synvita.entities import Run
from synvita.errors import NotFoundError, UserInputError

SCRIPTS = {
    "entail-llm": "eval_videocon_llm.py",
    "entail-human": "eval_videocon_human.py",
    "entail-human-hard": "eval_videocon_human.py",
    "retrieval-temporal": "calc_ssv2.py",
    "retrieval-events": "calc_ssv2.py",
    "qa-hard": "eval_atphard.py",
}
"""Benchmark → the official script that scores it (SynViTA's `src/`)."""

EXPORT_FILE = "export.json"
GROUND_TRUTH_DIR = "ground_truth"
PREDICTIONS_DIR = "predictions"


class ExportApi(TablesApi):
    def export_results(
        self,
        out_dir: str | Path,
        run_ids: list[str] | None = None,
        experiment: str | None = None,
        *,
        data_dir: str = "data/",
        bare: bool = False,
    ) -> dict[str, Any]:
        """Write every evaluated run's predictions and the matching ground truth under `out_dir` (see the module
        docstring) and return the `export.json` payload: {"runs": [{"run", "variant", "seed", "benchmarks":
        {name: {"script", "args", "synvita"}}}]}. Runs as in `table_runs` (a train run brings its evaluate run)."""
        if not data_dir:
            raise UserInputError("--data-dir must not be empty", hint="the scripts split each videopath on it; e.g. --data-dir data/")
        if not run_ids and not experiment:
            raise UserInputError("name the runs to export", hint="synvita export RUN... --out DIR, or --experiment NAME")
        runs = self.table_runs(run_ids or None, experiment)
        if not runs:
            raise NotFoundError(f"no succeeded evaluate runs of experiment '{experiment}'", hint="see `synvita runs ls`")
        for run in runs:
            if run.stage != "evaluate":
                raise UserInputError(f"run {run.id} is a {run.stage} run with no evaluation", hint="export evaluate runs (or the train runs they evaluate)")
            if run.status != "succeeded":
                raise UserInputError(f"run {run.id} is {run.status}: only succeeded evaluate runs have results",
                                     hint="wait for it, or `synvita runs retry` it")
        out = Path(out_dir)
        _check_writable(out)
        ground_truth: dict[str, dict[str, Any]] = {}
        payload: dict[str, Any] = {"runs": []}
        for run in runs:
            world = self._world_run(run)
            if world.id not in ground_truth:
                ground_truth[world.id] = _write_ground_truth(world, out / GROUND_TRUTH_DIR / world.id, data_dir)
            payload["runs"].append(self._export_run(run, ground_truth[world.id], out, data_dir, bare))
        tmp = out / (EXPORT_FILE + ".tmp")
        tmp.write_text(json.dumps(payload, indent=2))
        tmp.replace(out / EXPORT_FILE)
        return payload

    def _world_run(self, run: Run) -> Run:
        upstream = [r for r in self.store.get_runs(run.depends_on) if r.stage == "world"]
        if not upstream:
            raise NotFoundError(f"run {run.id} has no world run among its dependencies", hint="export runs planned by `synvita run`")
        return upstream[0]

    def _export_run(self, run: Run, truth: dict[str, Any], out: Path, data_dir: str, bare: bool) -> dict[str, Any]:
        from synvita.benchmarks import formats

        results = [r for r in self.store.results(run.id) if r.control is None and r.subset is None]
        value = {(r.benchmark, r.metric): r.value for r in results}
        folder = out / PREDICTIONS_DIR / run.id
        folder.mkdir(parents=True, exist_ok=True)
        benchmarks: dict[str, Any] = {}
        for name in dict.fromkeys(r.benchmark for r in results):
            source = Path(run.run_dir) / "predictions" / f"{name}.csv"
            if name not in SCRIPTS or name not in truth["files"] or not source.is_file():
                continue
            videos, captions, scores = formats.read_predictions_csv(source)
            rows = truth["rows"][name]
            unknown = [(v, c) for v, c in zip(videos, captions) if (v, c) not in rows]
            if unknown:
                raise UserInputError(
                    f"run {run.id}: {len(unknown)} {name} prediction(s) name a (video, caption) the ground truth does not, "
                    f"e.g. {unknown[0][0]!r}",
                    hint=f"its evaluation predates this layout: `synvita runs retry {run.id}` re-evaluates it",
                )
            target = folder / f"{name}.csv"
            formats.write_predictions_csv(target, videos, captions, scores, data_dir=data_dir, prompt=not bare)
            benchmarks[name] = {
                "script": SCRIPTS[name],
                "args": _script_args(name, truth, target.relative_to(out), data_dir, bare, len(videos) // max(1, len(set(captions)))),
                "synvita": _synvita_numbers(name, value, truth, videos, captions, scores),
            }
        return {"run": run.id, "variant": run.variant, "seed": run.seed, "benchmarks": benchmarks}


def _check_writable(out: Path) -> None:
    try:
        out.mkdir(parents=True, exist_ok=True)
        probe = out / ".write-probe"
        probe.write_text("")
        probe.unlink()
    except OSError as exc:
        raise UserInputError(f"--out {out}: cannot write there ({exc.strerror or exc})", hint="choose a writable folder") from None


def _write_ground_truth(world: Run, folder: Path, data_dir: str) -> dict[str, Any]:
    """The ground-truth files of one world run's data; returns their paths, rows and ATP types."""
    from synvita.benchmarks.formats import extract_description
    from synvita.config import section_from_dict
    from synvita.data.manifest import read_csv
    from synvita.registry import DATA_SOURCES
    from synvita.world.export import FILE_OF, TYPES_FILE, write_ground_truth

    name = world.config.get("data", {}).get("source", "world")
    data = DATA_SOURCES.get(name).from_section(section_from_dict(name, world.config.get(name)), None).load(Path(world.run_dir))
    available = [b for b in SCRIPTS if b in data.benchmark_names()]
    for bench in available:
        for path in data.benchmark_video_paths(bench):
            if data_dir in path:
                raise UserInputError(
                    f"--data-dir {data_dir!r} occurs inside the video path {path!r}",
                    hint="the scripts keep videopath.split(data_dir)[1]; choose a data dir that no video path contains",
                )
    written = write_ground_truth(data, folder, available, prompt=True)
    rows: dict[str, set[tuple[str, str]]] = {}
    for bench in available:
        rows[bench] = {(r["videopath"], extract_description(r["caption"]) or r["caption"]) for r in read_csv(written[bench])}
    types = {}
    if "qa-hard" in available:
        types = {(r["video"], r["question"]): r["type"] for r in read_csv(folder / TYPES_FILE)}
    return {"folder": folder, "files": {b: written[b] for b in available}, "file_names": FILE_OF, "rows": rows,
            "types": types, "types_file": folder / TYPES_FILE}


def _script_args(name: str, truth: dict[str, Any], predictions: Path, data_dir: str, bare: bool, gallery: int) -> list[str]:
    root = truth["folder"].parent.parent
    gt = str(truth["files"][name].relative_to(root))
    if name.startswith("retrieval"):
        args = ["--data_dir", data_dir, "--input_file_1", gt, "--input_file_2", str(predictions),
                "--vid_per_caption", str(gallery)]
    else:
        args = ["--data_dir", data_dir, "--input_csv_1", gt, "--input_csv_2", str(predictions)]
        if name == "qa-hard":
            args += ["--input_csv_3", str(truth["types_file"].relative_to(root))]
    return args + (["--extract_caption"] if bare else [])


def _synvita_numbers(name: str, value: dict, truth: dict[str, Any], videos, captions, scores) -> dict[str, float]:
    """synvita's own numbers for one benchmark under the names the official script prints."""
    if name == "entail-llm":
        return {"AUC-ROC": value[(name, "auc")]}
    if name == "entail-human":
        numbers = {"AUC-ROC": value[(name, "auc")]}
        if ("entail-human-hard", "auc") in value:
            numbers["AUC-ROC-Hard"] = value[("entail-human-hard", "auc")]
        return numbers
    if name == "entail-human-hard":  # the script scores only the rows predicted: the hard ones, so both are equal
        return {"AUC-ROC": value[(name, "auc")], "AUC-ROC-Hard": value[(name, "auc")]}
    if name.startswith("retrieval"):
        return {k: value[(name, k)] for k in ("mAP", "R@1", "R@5", "R@10") if (name, k) in value}
    return {"Accuracy": value[(name, "accuracy")], **_qa_by_type(truth, videos, captions, scores)}


def _qa_by_type(truth: dict[str, Any], videos, captions, scores) -> dict[str, float]:
    """Accuracy-C / Accuracy-T by synvita's rule (first maximum in option order) over the exported predictions,
    whose groups of five follow the ground-truth file's questions in order."""
    import numpy as np

    from synvita.data.manifest import read_csv

    gt = read_csv(truth["files"]["qa-hard"])
    count: dict[str, list[int]] = {"C": [0, 0], "T": [0, 0]}
    s = np.asarray(scores, dtype=np.float64).reshape(-1, 5)
    for q in range(len(s)):
        row = gt[5 * q]
        if row["videopath"] != videos[5 * q]:
            raise UserInputError(f"qa-hard predictions out of step with the ground truth at question {q + 1}",
                                 hint="re-evaluate the run (`synvita runs retry`)")
        letter = truth["types"][(Path(row["videopath"]).name[:-4], row["question"])][:1]
        if letter in count:
            count[letter][0] += int(int(np.argmax(s[q])) == int(row["answer"]))
            count[letter][1] += 1
    return {f"Accuracy-{k}": 100.0 * c / n for k, (c, n) in count.items() if n}
