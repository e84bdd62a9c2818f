"""Slurm resources of a job: the keys a spec's `[slurm]` section, its per-stage tables and `--slurm KEY=VALUE` may
set, how they combine, and the checks every value passes before it can reach an `#SBATCH` line.

Torch-free and store-free: the spec validator (synvita.specs) checks a section at submission with these functions,
and the Slurm executor (synvita.runs.executors) writes the same resolved options into each batch script, so a value
that would not fit in a batch script is refused before anything is enqueued or `sbatch` is called.
"""

from __future__ import annotations

import re
from typing import Any, Iterable

from synvita.errors import UserInputError

RESOURCE_KEYS = ("partition", "account", "qos", "time", "gres", "cpus", "mem", "nodes", "constraint", "extra")
"""The sbatch options a spec can set, at the top of [slurm] and in each [slurm.<stage>] table."""

SBATCH_FLAGS = {
    "partition": "partition", "account": "account", "qos": "qos", "time": "time", "gres": "gres",
    "cpus": "cpus-per-task", "mem": "mem", "nodes": "nodes", "constraint": "constraint",
}
"""Resource key → sbatch long option (`extra` entries are written as they are)."""

STAGE_TABLES = ("world", "generate", "pretrain", "score", "train", "evaluate")
"""The per-stage tables of [slurm]; a table's keys override the section's for that stage's jobs."""

SBATCH_VALUE = re.compile(r"[A-Za-z0-9_.:,=+/@%-]+")
"""What an option value in an `#SBATCH` line may hold (partition lists, times, gres, memory, accounts): no
whitespace, newline, '#' (sbatch would read the rest as a comment or a new option), quote or shell metacharacter."""

CONSTRAINT_VALUE = re.compile(r"[A-Za-z0-9_.:,=+/@%|&*\[\]()!-]+")
"""A `--constraint` value: features joined by the operators sbatch reads itself (| & * [ ] ( ) !)."""

SBATCH_EXTRA = re.compile(r"--?[A-Za-z][A-Za-z0-9-]*(=[A-Za-z0-9_.:,=+/@%|&*\[\]()!-]+)?")
"""A raw sbatch option (`extra`): one `--name` or `--name=value`; a value may also hold the operators of
`--constraint` (| & * [ ] ( ) !), which sbatch reads itself (an `#SBATCH` line never reaches a shell)."""

_TIME_FORMS = (
    re.compile(r"(?P<m>\d+)"),
    re.compile(r"(?P<m>\d+):(?P<s>\d+)"),
    re.compile(r"(?P<h>\d+):(?P<m>\d+):(?P<s>\d+)"),
    re.compile(r"(?P<d>\d+)-(?P<h>\d+)"),
    re.compile(r"(?P<d>\d+)-(?P<h>\d+):(?P<m>\d+)"),
    re.compile(r"(?P<d>\d+)-(?P<h>\d+):(?P<m>\d+):(?P<s>\d+)"),
)
"""The forms of `--time` sbatch accepts: minutes, minutes:seconds, hours:minutes:seconds, days-hours,
days-hours:minutes and days-hours:minutes:seconds (plus the words below)."""

TIME_WORDS = ("infinite", "unlimited", "UNLIMITED", "INFINITE")


def time_seconds(value: str) -> int | None:
    """Seconds of a Slurm time limit (`--time`), parsed as sbatch does; None for "infinite"/"unlimited".
    UserInputError (one line naming `time`) for a value sbatch would refuse."""
    text = str(value).strip()
    if text in TIME_WORDS:
        return None
    for form in _TIME_FORMS:
        m = form.fullmatch(text)
        if m:
            parts = {k: int(v) for k, v in m.groupdict().items() if v is not None}
            return ((parts.get("d", 0) * 24 + parts.get("h", 0)) * 60 + parts.get("m", 0)) * 60 + parts.get("s", 0)
    raise UserInputError(
        f"slurm option 'time' = {text!r} is not a time Slurm can parse",
        hint="minutes, MM:SS, HH:MM:SS, D-HH, D-HH:MM or D-HH:MM:SS, e.g. time = \"02:00:00\"",
    )


def check_sbatch_value(key: str, value: Any, pattern: re.Pattern[str] = SBATCH_VALUE) -> None:
    """One line naming `key` when `value` does not fit in an `#SBATCH` line."""
    text = str(value)
    if pattern.fullmatch(text):
        return
    bad = next((c for c in text if not pattern.fullmatch(c)), None) if pattern is not SBATCH_EXTRA else None
    because = f"the character {bad!r} is not allowed" if bad is not None else "it is not one sbatch option"
    if pattern is SBATCH_VALUE:
        allowed = "letters, digits and _ . : , = + / @ % -"
    elif pattern is CONSTRAINT_VALUE:
        allowed = "feature names joined by | & * [ ] ( ) !"
    else:
        allowed = "one option per entry, e.g. '--exclusive' or '--constraint=a100|h100'"
    raise UserInputError(f"slurm option '{key}' = {text!r}: {because} in a batch script", hint=f"allowed: {allowed}")


def check_resources(options: dict[str, Any], where: str = "slurm") -> None:
    """Every resource value that goes into a batch script: one line naming the first bad key (`where.key`)."""
    for key, value in options.items():
        if key not in RESOURCE_KEYS:
            raise UserInputError(f"unknown slurm option '{where}.{key}'", hint=f"one of: {', '.join(RESOURCE_KEYS)}")
        if value in (None, ""):
            continue
        name = key if where == "slurm" else f"{where.removeprefix('slurm.')}.{key}"
        if key == "extra":
            if isinstance(value, str) or not isinstance(value, (list, tuple)):
                raise UserInputError(f"slurm option '{name}' must be a list of sbatch options, got {value!r}",
                                     hint="e.g. extra = [\"--exclusive\", \"--mail-type=END\"]")
            for raw in value:
                check_sbatch_value(name, raw, SBATCH_EXTRA)
            continue
        if isinstance(value, bool) or not isinstance(value, (str, int)):
            raise UserInputError(f"slurm option '{name}' must be a string or an integer, got {value!r}")
        check_sbatch_value(name, value, CONSTRAINT_VALUE if key == "constraint" else SBATCH_VALUE)
        if key == "time":
            try:
                time_seconds(str(value))
            except UserInputError as exc:
                raise UserInputError(exc.what.replace("'time'", f"'{name}'"), hint=exc.hint) from None
        if key in ("cpus", "nodes") and not re.fullmatch(r"[1-9]\d*(-[1-9]\d*)?", str(value)):
            raise UserInputError(f"slurm option '{name}' = {value!r} must be a positive count",
                                 hint="e.g. cpus = 8" if key == "cpus" else "e.g. nodes = 2")


def parse_slurm_overrides(items: Iterable[str]) -> dict[str, Any]:
    """`--slurm KEY=VALUE` items → {key: value}; `extra` may be given several times (each adds one option).
    One line for an unknown key or a value that cannot go into a batch script."""
    options: dict[str, Any] = {}
    for item in items:
        key, sep, value = str(item).partition("=")
        key = key.strip()
        if not sep or not key:
            raise UserInputError(f"--slurm {item!r}: expected KEY=VALUE", hint="e.g. --slurm partition=gpu --slurm time=02:00:00")
        if key not in RESOURCE_KEYS:
            raise UserInputError(f"--slurm {item!r}: unknown slurm option '{key}'", hint=f"one of: {', '.join(RESOURCE_KEYS)}")
        if key == "extra":
            options.setdefault("extra", []).append(value)
        else:
            options[key] = int(value) if key in ("cpus", "nodes") and value.isdigit() else value
    check_resources(options)
    return options


def check_section(section: dict[str, Any] | None) -> None:
    """A [slurm] section as written in a spec (top-level keys plus per-stage tables): one line naming the bad key."""
    section = dict(section or {})
    check_resources({k: v for k, v in section.items() if k in RESOURCE_KEYS})
    for stage in STAGE_TABLES:
        table = section.get(stage) or {}
        if not isinstance(table, dict):
            raise UserInputError(f"[slurm.{stage}] must be a table of slurm options, got {table!r}")
        check_resources(table, where=f"slurm.{stage}")


def resolve(section: dict[str, Any] | None, stage: str, overrides: dict[str, Any] | None = None) -> dict[str, Any]:
    """The resources of one `stage` job: the section's keys, then its [slurm.<stage>] table, then `overrides`
    (`--slurm`), each over the one before; keys left empty are dropped."""
    section = dict(section or {})
    options = {k: section.get(k) for k in RESOURCE_KEYS}
    options.update((section.get(stage) or {}))
    options.update(overrides or {})
    return {k: v for k, v in options.items() if k in RESOURCE_KEYS and v not in (None, "", [])}


def with_overrides(section: dict[str, Any], overrides: dict[str, Any]) -> dict[str, Any]:
    """A [slurm] section with `--slurm` overrides applied over its top-level keys and every per-stage table (what
    a run records, so that the run's config says what its jobs asked for)."""
    out = dict(section)
    out.update(overrides)
    for stage in STAGE_TABLES:
        if isinstance(out.get(stage), dict):
            out[stage] = {k: v for k, v in out[stage].items() if k not in overrides}
    return out


def sbatch_lines(options: dict[str, Any]) -> list[str]:
    """`#SBATCH` lines of checked resource options (`check_resources` first)."""
    check_resources(options)
    lines = [f"#SBATCH --{flag}={options[key]}" for key, flag in SBATCH_FLAGS.items()
             if options.get(key) not in (None, "")]
    lines += [f"#SBATCH {raw}" for raw in options.get("extra") or []]
    return lines
