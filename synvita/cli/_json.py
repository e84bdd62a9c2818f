"""The JSON the CLI prints: `json.dumps(data, indent=2, default=str, ensure_ascii=False)`, byte for byte, with
listings built faster.

With `indent`, the standard library encodes in pure Python, one generator step per token, so a 10,000-run
`runs ls --json` spent more time there than reading the database. A list of flat dicts (the listings) is encoded here
a row at a time by the C encoder, its separator set to the line break and indentation that `indent=2` writes between
a row's items; a row's nested values (a run's `depends_on`) are spliced in at their key. Anything else goes to
`json.dumps` unchanged.
"""

from __future__ import annotations

import json
from json.encoder import encode_basestring  # type: ignore[attr-defined]  # the C string encoder
from typing import Any

_ROW_ITEMS = json.JSONEncoder(ensure_ascii=False, default=str, separators=(",\n    ", ": "))
"""Encodes a dict's items as they stand inside a top-level list with indent=2 (one C call per row)."""


def dumps(data: Any) -> str:
    if type(data) is list and data and all(type(row) is dict and row and all(type(k) is str for k in row) for row in data):
        return "[\n  " + ",\n  ".join(map(_row, data)) + "\n]"
    return json.dumps(data, indent=2, default=str, ensure_ascii=False)


def _row(row: dict[str, Any]) -> str:
    nested = [key for key, value in row.items() if isinstance(value, (list, tuple, dict)) and value]
    flat = dict(row, **{key: [] for key in nested}) if nested else row
    text = "{\n    " + _ROW_ITEMS.encode(flat)[1:-1] + "\n  }"
    for key in nested:  # raw line breaks never occur inside encoded strings: the key's line is found exactly
        line = "\n    " + encode_basestring(key) + ": "
        text = text.replace(line + "[]", line + _nested(row[key]), 1)
    return text


def _nested(value: Any) -> str:
    """A row's nested value, indented as it stands at level 2."""
    if type(value) is list and all(type(item) is str for item in value):
        return "[\n      " + ",\n      ".join(map(encode_basestring, value)) + "\n    ]"
    return json.dumps(value, indent=2, default=str, ensure_ascii=False).replace("\n", "\n    ")
