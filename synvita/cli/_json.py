"""The JSON the CLI prints: `json.dumps(data, indent=2, default=str, ensure_ascii=False)`, byte for byte, with
listings built faster.

With `indent`, the standard library encodes in pure Python, one generator step per token, so a 10,000-run
`runs ls --json` would spend more time there than reading the database. A listing (records: rows of values under the
same keys, or a list of dicts that share their keys in the same order) is encoded instead a chunk of rows at a
time as one flat list of values by the C encoder, one value per line, and the lines are set into a format string of
the rows' keys and the indentation `indent=2` writes; `iter_records` gives the chunks to write as they are made. A
column that holds anything but plain scalars (a run's `depends_on`) is rendered value by value at its indentation.
Anything else goes to `json.dumps` unchanged.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from itertools import chain
from json.encoder import encode_basestring  # type: ignore[attr-defined]  # the C string encoder
from typing import Any

_ONE_PER_LINE = json.JSONEncoder(ensure_ascii=False, default=str, separators=("\n", ": "))
"""Encodes a flat list of scalars one per line: an encoded scalar never holds a raw line break (strings escape it),
so the lines are the values. The C encoder does it in one call."""

CHUNK_ROWS = 1000
"""Rows encoded at a time: a chunk's many small pieces are freed before the next chunk reuses their memory."""

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
    return "".join(iter_records(keys, rows))


def iter_records(keys: Sequence[str], rows: Sequence[Sequence[Any]]) -> Iterator[str]:
    """The text of `dumps_records(keys, rows)` in pieces of `CHUNK_ROWS` rows, to write as it is made."""
    width = len(keys)
    if not width or not rows:
        yield json.dumps([dict(zip(keys, row)) for row in rows], indent=2, default=str, ensure_ascii=False)
        return
    items = ",\n    ".join(encode_basestring(key).replace("%", "%%") + ": %s" for key in keys)
    row_format = "{\n    " + items + "\n  }"
    for start in range(0, len(rows), CHUNK_ROWS):
        text = _rows_text(row_format, width, rows[start : start + CHUNK_ROWS])
        yield ("[\n  " if start == 0 else ",\n  ") + text + ("\n]" if start + CHUNK_ROWS >= len(rows) else "")


def _rows_text(row_format: str, width: int, rows: Sequence[Sequence[Any]]) -> str:
    """Rows in `row_format` (a `%s` per value), joined as the items of a list at indent level 1."""
    n = len(rows)
    values = list(chain.from_iterable(rows))
    if len(values) != width * n:
        raise ValueError(f"records of {width} keys: {len(values)} values in {n} rows")
    nested = {}
    for column in range(width):
        cells = values[column::width]
        if not _SCALARS.issuperset(map(type, cells)):
            nested[column] = list(map(_nested, cells))
            values[column::width] = [None] * n
    lines = _ONE_PER_LINE.encode(values)[1:-1].split("\n")
    for column, texts in nested.items():
        lines[column::width] = texts
    return ",\n  ".join([row_format] * n) % tuple(lines)


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
