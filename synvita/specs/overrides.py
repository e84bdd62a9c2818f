"""`--set SECTION.KEY=VALUE` overrides: parsing the value as TOML (or a bare word), checking the dotted key against
the section dataclasses, and writing it into the raw spec before validation."""

from __future__ import annotations

import dataclasses
import difflib
import sys
import typing
from typing import Any

from synvita.config import SECTIONS
from synvita.errors import UserInputError
from synvita.specs.validate import TOP_LEVEL_KEYS

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib


def _parse_override(item: str) -> tuple[str, Any]:
    key, sep, text = item.partition("=")
    key = key.strip()
    if not sep or not key:
        raise UserInputError(f"--set {item}: expected KEY=VALUE", hint="e.g. --set train.lambda_scr=0.5")
    try:
        value = tomllib.loads(f"v = {text.strip()}")["v"]
    except tomllib.TOMLDecodeError:
        value = text.strip()  # a bare word: generation.profile=clean
    return key, value


def _split_section_key(key: str, where: str, origin: str) -> tuple[str, str]:
    section, dot, attr = key.partition(".")
    if not dot:
        raise UserInputError(f"{where}: {origin} key '{key}' must be SECTION.KEY", hint=f"sections: {', '.join(SECTIONS)}")
    if section not in SECTIONS:
        close = difflib.get_close_matches(section, list(SECTIONS), n=1)
        raise UserInputError(
            f"{where}: unknown section '{section}' in {origin} key '{key}'",
            hint=(f"did you mean '{close[0]}'? " if close else "") + f"sections: {', '.join(SECTIONS)}",
        )
    allowed = [f.name for f in dataclasses.fields(SECTIONS[section])]
    if attr not in allowed:
        close = difflib.get_close_matches(attr, allowed, n=1)
        raise UserInputError(
            f"{where}: unknown key '{attr}' in [{section}]",
            hint=(f"did you mean '{section}.{close[0]}'? " if close else "") + f"allowed keys: {', '.join(allowed)}",
        )
    return section, attr


def _set_dotted(raw: dict[str, Any], key: str, value: Any, origin: str) -> None:
    if "." not in key:
        if key not in TOP_LEVEL_KEYS:
            close = difflib.get_close_matches(key, list(TOP_LEVEL_KEYS), n=1)
            raise UserInputError(
                f"{origin}: unknown key '{key}'",
                hint=(f"did you mean '{close[0]}'? " if close else "")
                + f"use SECTION.KEY ({', '.join(SECTIONS)}) or a top-level key ({', '.join(TOP_LEVEL_KEYS)})",
            )
        raw[key] = value
        return
    head, _, rest = key.partition(".")
    field_name, dot, inner = rest.partition(".")
    if dot and head in SECTIONS and _is_table_field(SECTIONS[head], field_name):
        # world.overrides.frames=8 → [world] overrides = {frames = 8}
        table = raw.setdefault(head, {})
        nested = table.setdefault(field_name, {}) if isinstance(table, dict) else None
        if not isinstance(nested, dict):
            raise UserInputError(f"{origin}: {head}.{field_name} in the file is not a table")
        nested[inner] = value
        return
    section, attr = _split_section_key(key, origin, origin="--set")
    hints = typing.get_type_hints(SECTIONS[section])
    if isinstance(value, str) and typing.get_origin(hints[attr]) is list:
        value = [part.strip() for part in value.split(",") if part.strip()]  # train.variants=none,synvita
    table = raw.setdefault(section, {})
    if not isinstance(table, dict):
        raise UserInputError(f"{origin}: [{section}] in the file is not a table")
    table[attr] = value


def apply_overrides(raw: dict[str, Any], items: list[str]) -> None:
    """Write `--set KEY=VALUE` items into a spec-shaped dict (a raw spec, or the resolved config of a run), checking
    each key against the section dataclasses."""
    for item in items:
        key, value = _parse_override(item)
        _set_dotted(raw, key, value, origin=f"--set {item}")


def _is_table_field(cls: type, name: str) -> bool:
    hint = typing.get_type_hints(cls).get(name)
    return hint is dict or typing.get_origin(hint) is dict
