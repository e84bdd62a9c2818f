"""The benchmark table model and how it is built from evaluate runs and their results (rendering is in `formats`).

The table follows the paper's Tables 1–2: rows are training variants (mean ± std over seeds, n seeds), columns the six
benchmarks and their mean, each cell with its difference to a baseline row and the best value per column flagged.
Runs of one variant that differ in a setting (a sweep point, a `--set` override) get rows of their own.

So that a reader can tell which differences are real, each cell also carries a 95% t-interval of its mean over seeds,
and its difference to the baseline is paired by seed (runs of the same experiment and seed, and the same generator
where both name one): the mean of the per-seed differences with a 95% t-interval over them, marked significant only
where that interval excludes 0. Each benchmark carries its chance level and, where the evaluate runs recorded them
(`synvita.benchmarks.reference`), the chance band of random scorers on its set and the oracle's number. A benchmark is
"at chance" when every row lies within the chance band (its interval overlaps the band; with one seed, its value is
inside it), or, without a band, when every row's interval contains the chance level: it carries no information
about the variants and is left out of `mean`.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Collection, Iterable
from dataclasses import asdict, dataclass, field
from typing import Any

from synvita.config import EvaluateSection
from synvita.entities import BenchmarkResult, Run
from synvita.text import sanitize_terminal_text
from synvita.report.stats import (
    INTERVAL_RULE,
    paired_t_interval,
    sample_std,
    t_interval,
)


def default_benchmarks() -> list[str]:
    """The six headline benchmarks, in the paper's column order (the default of `[evaluate] benchmarks`)."""
    return list(EvaluateSection().benchmarks)


@dataclass
class TableColumn:
    key: str
    benchmark: str
    metric: str | None
    subset: str | None = None
    control: str | None = None
    group: str = "benchmarks"
    """Columns are printed in blocks by group: the headline benchmarks first, then per-type subsets, controls, subsets
    under a control and other metrics."""
    label: str = ""


@dataclass
class Cell:
    mean: float
    std: float | None
    """Sample standard deviation (ddof 1) over the row's runs; None for a single run."""
    n: int
    values: list[float]
    low: float | None = None
    high: float | None = None
    """95% t-interval of the mean over the row's runs; None for a single run."""
    delta: float | None = None
    """Difference to the baseline row (None for the baseline row or without a baseline): the mean of the per-seed
    differences where runs pair by seed, else mean − baseline mean."""
    delta_n: int = 0
    """Seeds paired with the baseline row (0: the delta is a difference of means, not tested)."""
    delta_low: float | None = None
    delta_high: float | None = None
    """95% t-interval of the paired difference; None for fewer than two pairs."""
    significant: bool = False
    """The paired difference's interval excludes 0."""
    best: bool = False


@dataclass
class TableRow:
    label: str
    variant: str | None
    generator: str | None
    experiment: str
    sweep: dict[str, Any]
    runs: list[str]
    seeds: list[int]
    cells: dict[str, Cell] = field(default_factory=dict)

    @property
    def n(self) -> int:
        return len(self.runs)


@dataclass
class BenchmarkTable:
    columns: list[TableColumn]
    rows: list[TableRow]
    baseline: str | None
    """Label of the baseline row, or None when the requested baseline is not among the rows."""
    requested_baseline: str | None = None
    chance: dict[str, float | None] = field(default_factory=dict)
    """Chance level (the headline metric of a random scorer) of each headline benchmark that declares one."""
    at_chance: list[str] = field(default_factory=list)
    """Headline benchmarks at chance (`AT_CHANCE_RULE` or `AT_CHANCE_RULE_NO_BAND`): left out of `mean`."""
    interval_rule: str = INTERVAL_RULE
    chance_band: dict[str, tuple[float, float]] = field(default_factory=dict)
    """Central 95% of random scorers' headline metric on each benchmark's set (from the evaluate runs)."""
    oracle: dict[str, float] = field(default_factory=dict)
    """Headline metric of a scorer that knows the truth, per benchmark (from the evaluate runs)."""

    @property
    def one_seed(self) -> bool:
        """No cell has two runs: there are no intervals and no difference is tested."""
        return not any(cell.n > 1 for row in self.rows for cell in row.cells.values())

    def to_dict(self) -> dict[str, Any]:
        return {
            "baseline": self.baseline,
            "requested_baseline": self.requested_baseline,
            "interval_rule": self.interval_rule,
            "one_seed": self.one_seed,
            "chance": self.chance,
            "chance_band": {b: list(band) for b, band in self.chance_band.items()},
            "oracle": self.oracle,
            "at_chance": self.at_chance,
            "columns": [asdict(c) for c in self.columns],
            "rows": [
                {
                    "label": r.label,
                    "variant": r.variant,
                    "generator": r.generator,
                    "experiment": r.experiment,
                    "sweep": r.sweep,
                    "n": r.n,
                    "runs": r.runs,
                    "seeds": r.seeds,
                    "cells": {k: asdict(c) for k, c in r.cells.items()},
                }
                for r in self.rows
            ],
        }


def build_table(
    runs: list[Run],
    results: list[BenchmarkResult],
    *,
    benchmarks: list[str] | None = None,
    baseline: str | None = "none",
    include_controls: bool = False,
    include_other_metrics: bool = False,
    variant_order: Iterable[str] = (),
    reported: Collection[str] | None = None,
    chance: dict[str, float | None] | None = None,
    references: dict[str, dict[str, float]] | None = None,
) -> BenchmarkTable:
    """Aggregate per-run benchmark results into paper-style rows (one per variant and setting, mean ± std over seeds).

    A run gets into a row when it reported any result: by default when it has one in `results`; `reported` names
    those runs instead when `results` holds only the results the table shows (no controls or subsets without
    `include_controls`). `chance` gives benchmarks' chance levels (×100, as `BenchmarkInfo.chance`); `references`
    the evaluate runs' reference numbers per benchmark ({"chance", "chance_low", "chance_high", "oracle"}, as
    `synvita.benchmarks.reference.Reference`): the chance level where `chance` has none, the band and the oracle."""
    by_run: dict[str, list[BenchmarkResult]] = {}
    for result in results:
        by_run.setdefault(result.run_id, []).append(result)
    runs = [r for r in runs if r.id in (by_run if reported is None else reported)]

    # Headline metric per benchmark: the first metric reported with no subset and no control.
    headline_metric: dict[str, str] = {}
    for run in runs:
        for result in by_run.get(run.id, ()):
            if result.subset is None and result.control is None:
                headline_metric.setdefault(result.benchmark, result.metric)
    order = benchmarks or default_benchmarks()
    headline = [b for b in order if b in headline_metric or benchmarks] + sorted(
        b for b in headline_metric if b not in order
    )
    columns = [TableColumn(key=b, benchmark=b, metric=headline_metric.get(b), label=b) for b in headline]
    if headline:
        columns.append(TableColumn(key="mean", benchmark="mean", metric=None, label="mean"))

    extra: dict[str, TableColumn] = {}
    if include_controls:
        for run in runs:
            for r in by_run.get(run.id, ()):
                secondary = r.metric != headline_metric.get(r.benchmark)
                if (r.subset is None and r.control is None and not secondary) or (secondary and not include_other_metrics):
                    continue
                key = _column_key(r)
                if key not in extra:
                    extra[key] = _extra_column(r, key, secondary)
        columns += sorted(extra.values(), key=lambda c: (_group_rank(c), c.group, _benchmark_rank(c.benchmark, order), c.label))

    experiments = {r.experiment for r in runs}
    generators = {r.generator for r in runs if r.generator}
    variant_rank = {v: i for i, v in enumerate(variant_order)}

    def base_key(run: Run) -> tuple:
        return (
            run.experiment if len(experiments) > 1 else "",
            run.variant or run.stage,
            run.generator if len(generators) > 1 else None,
            tuple(sorted((k, json.dumps(v)) for k, v in (run.config.get("sweep") or {}).items())),
        )

    base_keys = [base_key(run) for run in runs]
    groups: dict[tuple, list[Run]] = {}
    for run, group in zip(runs, base_keys):
        groups.setdefault(group, []).append(run)
    varying_in = {key: differing_config_keys(group) for key, group in groups.items()}

    flat_configs: dict[int, dict[str, Any]] = {}  # by the config's id: runs may share one (see differing_config_keys)
    rows: dict[tuple, TableRow] = {}
    for run, group in sorted(zip(runs, base_keys), key=lambda p: (p[0].seed is None, p[0].seed or 0, p[0].created_at)):
        sweep = dict(run.config.get("sweep") or {})
        varying = varying_in[group]
        flat = flat_configs.get(id(run.config)) if varying else {}
        if flat is None:
            flat = flat_configs[id(run.config)] = flatten(run.config)
        key = group + (tuple((k, json.dumps(flat.get(k))) for k in varying),)
        if key not in rows:
            parts = [run.variant or run.stage]
            if len(generators) > 1 and run.generator:
                parts.append(run.generator)
            parts += [f"{k.split('.')[-1]}={v}" for k, v in sorted(sweep.items())]
            parts += [f"{k.split('.')[-1]}={flat.get(k)}" for k in varying]
            if len(experiments) > 1:
                parts.insert(0, run.experiment)
            rows[key] = TableRow(
                label=sanitize_terminal_text(" · ".join(str(p) for p in parts)), variant=run.variant, generator=run.generator,
                experiment=run.experiment, sweep=sweep, runs=[], seeds=[],
            )
        row = rows[key]
        row.runs.append(run.id)
        if run.seed is not None:
            row.seeds.append(run.seed)

    run_values: dict[str, dict[str, float]] = {}
    for run in runs:
        values: dict[str, float] = {}
        for r in by_run.get(run.id, ()):
            if r.subset is None and r.control is None and r.metric == headline_metric.get(r.benchmark):
                values[r.benchmark] = r.value
            elif _column_key(r) in extra:
                values[_column_key(r)] = r.value
        run_values[run.id] = values

    ordered = sorted(
        rows.values(),
        key=lambda r: (
            r.experiment,
            r.variant != baseline,
            variant_rank.get(r.variant or "", len(variant_rank)),
            r.variant or "",
            r.generator or "",
            json.dumps(r.sweep, sort_keys=True),
        ),
    )

    def fill(column_keys: list[str]) -> None:
        for row in ordered:
            for key in column_keys:
                values = [run_values[rid][key] for rid in row.runs if key in run_values[rid]]
                if values:
                    interval = t_interval(values)
                    row.cells[key] = Cell(
                        mean=sum(values) / len(values), std=sample_std(values), n=len(values), values=values,
                        low=interval[0] if interval else None, high=interval[1] if interval else None,
                    )

    fill([c.key for c in columns if c.key != "mean"])
    refs = references or {}
    chance_levels = {
        b: level for b in headline
        if (level := (chance or {}).get(b) if (chance or {}).get(b) is not None else refs.get(b, {}).get("chance")) is not None
    }
    bands = {b: (refs[b]["chance_low"], refs[b]["chance_high"]) for b in headline
             if "chance_low" in refs.get(b, {}) and "chance_high" in refs.get(b, {})}
    oracle = {b: refs[b]["oracle"] for b in headline if "oracle" in refs.get(b, {})}
    at_chance = [b for b in headline if b in chance_levels and _at_chance(ordered, b, chance_levels[b], bands.get(b))]
    informative = [b for b in headline if b not in at_chance]
    for values in run_values.values():
        if informative and all(b in values for b in informative):
            values["mean"] = sum(values[b] for b in informative) / len(informative)
    fill(["mean"] if headline else [])
    for row in ordered:  # cells in column order (the mean after the benchmarks it averages)
        row.cells = {c.key: row.cells[c.key] for c in columns if c.key in row.cells}

    base_row = next((r for r in ordered if baseline and r.label == baseline), None) or next(
        (r for r in ordered if baseline and r.variant == baseline), None
    )
    if base_row is not None:
        run_by_id = {run.id: run for run in runs}
        for row in ordered:
            if row is not base_row:
                _compare(row, base_row, run_by_id, run_values)
    for column in columns:
        means = [r.cells[column.key].mean for r in ordered if column.key in r.cells]
        if len(means) > 1:
            best = max(means)
            for row in ordered:
                if column.key in row.cells and row.cells[column.key].mean == best:
                    row.cells[column.key].best = True
    return BenchmarkTable(
        columns, ordered, base_row.label if base_row else None, baseline, chance=chance_levels, at_chance=at_chance,
        chance_band=bands, oracle=oracle,
    )


AT_CHANCE_RULE = "every row within the chance band: its interval overlaps the band, or its one value lies in it"
AT_CHANCE_RULE_NO_BAND = "every row's interval contains chance"
"""How a benchmark is found at chance, with and without a chance band, as the footer says."""


def _at_chance(rows: list[TableRow], benchmark: str, chance: float, band: tuple[float, float] | None) -> bool:
    """With a chance band: every row's interval overlaps it (a row of one run: its value lies in it), since a model
    the set's own size cannot tell from a random scorer carries no information however many seeds agree. Without a
    band: every row has an interval and each contains `chance` (with one seed nothing is at chance then)."""
    cells = [row.cells[benchmark] for row in rows if benchmark in row.cells]
    if not cells:
        return False
    if band is not None:
        low, high = band
        return all(
            (c.low <= high and c.high >= low) if c.low is not None and c.high is not None else low <= c.mean <= high
            for c in cells
        )
    return all(c.low is not None and c.high is not None and c.low <= chance <= c.high for c in cells)


def _compare(row: TableRow, base_row: TableRow, run_by_id: dict[str, Run], run_values: dict[str, dict[str, float]]) -> None:
    """Each cell's difference to the baseline row: paired by seed where the rows share seeds (same experiment, and
    the same generator where both runs name one), with a 95% t-interval over the per-seed differences; a plain
    difference of means where no seed pairs."""
    base_by_seed: dict[tuple[int, str], list[str]] = {}  # the baseline's run ids by (seed, experiment), in row order
    for bid in base_row.runs:
        base = run_by_id[bid]
        if base.seed is not None:
            base_by_seed.setdefault((base.seed, base.experiment), []).append(bid)
    partner: dict[str, str] = {}
    taken: set[str] = set()
    for rid in row.runs:
        run = run_by_id[rid]
        if run.seed is None:
            continue
        match = next((b for b in base_by_seed.get((run.seed, run.experiment), ()) if b not in taken
                      and (run.generator is None or run_by_id[b].generator in (None, run.generator))), None)
        if match is not None:
            partner[rid] = match
            taken.add(match)
    for key, cell in row.cells.items():
        if key not in base_row.cells:
            continue
        pairs = [(run_values[a][key], run_values[b][key]) for a, b in partner.items()
                 if key in run_values[a] and key in run_values[b]]
        if not pairs:
            cell.delta = cell.mean - base_row.cells[key].mean
            continue
        cell.delta, interval = paired_t_interval([a for a, _ in pairs], [b for _, b in pairs])
        cell.delta_n = len(pairs)
        if interval is not None:
            cell.delta_low, cell.delta_high = interval
            cell.significant = interval[0] > 0 or interval[1] < 0


ROW_INDEPENDENT_KEYS = (
    "seed", "variant", "generator", "stage", "experiment", "train.variants", "generation.generators", "rerun_of",
)
"""Config keys that never split table rows: seeds are aggregated; variant/generator/experiment label rows already; a
rerun (`rerun_of`) is one more run of its original's settings."""

TOP_LEVEL_ROW_INDEPENDENT_KEYS = tuple(key for key in ROW_INDEPENDENT_KEYS if "." not in key)
"""Those of them at a config's top level: a table gives the same rows whether runs' configs hold them or not (where
they hold a plain value), so `Api.table` reads configs without them, and runs that agree on the rest share one."""


def flatten(config: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    """{"train": {"lr": 1}} → {"train.lr": 1} (empty tables kept as values)."""
    out: dict[str, Any] = {}
    for key, value in config.items():
        dotted = f"{prefix}{key}"
        if isinstance(value, dict) and value:
            out.update(flatten(value, dotted + "."))
        else:
            out[dotted] = value
    return out


def differing_config_keys(runs: list[Run]) -> list[str]:
    """Config keys whose values differ between runs of one row (e.g. the same experiment run with --set λ=0.5 and
    with λ=1.0), so that such runs land in separate rows instead of being averaged together. Swept keys are labelled by the
    sweep itself (a shared `none` run carries an arbitrary sweep point's value for them). Values differ when their
    JSON texts do. Keys are named as `flatten` names them.

    Runs may share one config dict (`Api.table` reads one per distinct config, `TOP_LEVEL_ROW_INDEPENDENT_KEYS` left
    out): each distinct dict is flattened and compared once, so that many runs of few configs cost what few do."""
    configs = list({id(run.config): run.config for run in runs}.values())
    if len(configs) < 2:
        return []
    swept = {k for config in configs for k in (config.get("sweep") or {})}

    def ignored(key: str) -> bool:
        return key in ROW_INDEPENDENT_KEYS or key in swept or key.startswith("sweep.")

    return sorted(_flat_differing([flatten(c) for c in configs], ignored))


def _flat_differing(flat: list[dict[str, Any]], ignored: Callable[[str], bool]) -> list[str]:
    """The keys of flattened configs whose values differ between them (a key one lacks reads None)."""
    keys = dict.fromkeys(k for f in flat for k in f)
    return [k for k in keys if not ignored(k) and _json_differs([f.get(k) for f in flat])]


def _json_differs(values: list[Any]) -> bool:
    """Whether the values' JSON texts (sorted keys) are not all the same; encodes only values that are not plainly
    identical to the first, so that a key every run shares costs a comparison per run."""
    first = values[0]
    if values.count(first) == len(values):  # all equal as Python values (decided in C): the usual case
        if type(first) in _SCALARS and len(set(map(type, values))) == 1:
            return False  # one scalar of one type throughout
        if _number_free(first):
            return False  # equal lists and tables of text: 1 == 1.0 == True cannot hide a different text
    first_text = None
    for value in values[1:]:
        if _same_json(value, first):
            continue
        if first_text is None:
            first_text = json.dumps(first, sort_keys=True, default=str)
        if json.dumps(value, sort_keys=True, default=str) != first_text:
            return True
    return False


_SCALARS = (str, int, float, bool, type(None))


def _number_free(value: Any) -> bool:
    """A JSON value whose leaves are all text or null: a value equal to it has the same JSON text."""
    if value is None or type(value) is str:
        return True
    if type(value) is list:
        return all(map(_number_free, value))
    if type(value) is dict:
        return all(map(_number_free, value.values()))
    return False


def _same_json(a: Any, b: Any) -> bool:
    """True when `a` and `b` certainly have the same JSON text: same types all the way down and equal values
    (NaN equal to NaN). False may still mean the same text; the caller then compares the texts."""
    kind = type(a)
    if kind is not type(b):
        return False
    if kind is list or kind is tuple:
        return len(a) == len(b) and all(map(_same_json, a, b))
    if kind is dict:
        return a.keys() == b.keys() and all(_same_json(a[k], b[k]) for k in a)
    if kind in _SCALARS:
        return a == b or (kind is float and math.isnan(a) and math.isnan(b))
    return False


SUBSET_KIND_NAMES = {"id-type": "type, in-distribution rows"}
"""How a subset kind reads in a block title ("entail-llm by type, in-distribution rows")."""


def _extra_column(r: BenchmarkResult, key: str, secondary: bool) -> TableColumn:
    """Where a non-headline result goes: per-subset blocks ("entail-llm by type"), per-control blocks
    ("control: shuffled"), subsets under a control ("entail-llm by type · shuffled"), other metrics."""
    kind, _, value = (r.subset or "").partition("=")
    kind = SUBSET_KIND_NAMES.get(kind, kind)
    if r.subset and r.control:
        group, label = f"{r.benchmark} by {kind} · {r.control}", value or kind
    elif r.subset:
        group, label = f"{r.benchmark} by {kind}", value or kind
    elif r.control:
        group, label = f"control: {r.control}", r.benchmark
    else:
        group, label = f"{r.benchmark}: other metrics", r.metric
    if secondary and (r.control or r.subset):
        label += f" ({r.metric})"
    return TableColumn(key, r.benchmark, r.metric, r.subset, r.control, sanitize_terminal_text(group),
                       sanitize_terminal_text(label))


def _group_rank(column: TableColumn) -> int:
    """Block order: per-subset (e.g. per-type AUC), then controls, then subsets under controls, then other metrics."""
    if column.subset and not column.control:
        return 0
    if column.control and not column.subset:
        return 1
    if column.control:
        return 2
    return 3


def _column_key(r: BenchmarkResult) -> str:
    return "|".join([r.benchmark, r.metric, r.subset or "", r.control or ""])


def _benchmark_rank(name: str, order: list[str]) -> int:
    return order.index(name) if name in order else len(order)


