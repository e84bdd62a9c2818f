"""The JSON the CLI prints: `json.dumps(data, indent=2, default=str, ensure_ascii=False)`, byte for byte, with
listings built faster.

With `indent`, the standard library encodes in pure Python, one generator step per token, so a 10,000-run
`runs ls --json` would spend more time there than reading the database. A listing (records: rows of values under the
same keys, or a list of dicts that share their keys in the same order) is encoded instead as one flat list of
values by the C encoder, one value per line, and the lines are set into a format string of the rows' keys and the
indentation `indent=2` writes. A column that holds anything but plain scalars (a run's `depends_on`) is rendered
value by value at its indentation. Anything else goes to `json.dumps` unchanged.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from itertools import chain
from json.encoder import encode_basestring  # type: ignore[attr-defined]  # the C string encoder
from typing import Any

_ONE_PER_LINE = json.JSONEncoder(ensure_ascii=False, default=str, separators=("\n", ": "))
"""Encodes a flat list of scalars one per line: an encoded scalar never holds a raw line break (strings escape it),
so the lines are the values. The C encoder does it in one call."""

_SCALARS = frozenset((str, int, float, bool, type(None)))
"""The types whose values the C encoder writes exactly as `json.dumps` does, each on one line."""


def dumps(data: Any) -> str:
    keys = _shared_keys(data)
    if keys is None:
        return json.dumps(data, indent=2, default=str, ensure_ascii=False)
    return dumps_records(keys, list(map(dict.values, data)))


def dumps_records(keys: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    """`dumps([dict(zip(keys, row)) for row in rows])`, without building the dicts. Keys are strings, each row holds
    one value per key."""
    width, n = len(keys), len(rows)
    values = list(chain.from_iterable(rows))
    if len(values) != width * n:
        raise ValueError(f"records of {width} keys: {len(values)} values in {n} rows")
    if not width or not n:
        return json.dumps([dict(zip(keys, row)) for row in rows], indent=2, default=str, ensure_ascii=False)
    nested = {}
    for column in range(width):
        cells = values[column::width]
        if not _SCALARS.issuperset(map(type, cells)):
            nested[column] = list(map(_nested, cells))
            values[column::width] = [None] * n
    lines = _ONE_PER_LINE.encode(values)[1:-1].split("\n")
    for column, texts in nested.items():
        lines[column::width] = texts
    row = "{\n    " + ",\n    ".join(encode_basestring(key).replace("%", "%%") + ": %s" for key in keys) + "\n  }"
    return "[\n  " + ",\n  ".join([row] * n) % tuple(lines) + "\n]"


def _shared_keys(data: Any) -> tuple[str, ...] | None:
    """The keys of a non-empty list of non-empty dicts that all have the same string keys in the same order."""
    if type(data) is not list or not data or type(data[0]) is not dict or not data[0]:
        return None
    keys = tuple(data[0])
    if not all(type(key) is str for key in keys):
        return None
    if not all(type(row) is dict and tuple(row) == keys for row in data):
        return None
    return keys


def _nested(value: Any) -> str:
    """A record's value as it stands at its key (indent level 2)."""
    if type(value) is list and all(type(item) is str for item in value):
        return "[\n      " + ",\n      ".join(map(encode_basestring, value)) + "\n    ]" if value else "[]"
    return json.dumps(value, indent=2, default=str, ensure_ascii=False).replace("\n", "\n    ")
