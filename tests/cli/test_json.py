"""The CLI's JSON is the standard library's `json.dumps(indent=2, default=str, ensure_ascii=False)`, byte for byte."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest

from synvita.cli import _json


class Mapping(dict):
    pass


CASES = [
    [],
    {},
    [{}],
    [{"a": 1}],
    [{"id": "r-1", "depends_on": ["r-0", "r-2"], "seed": None, "ok": True, "x": 0.1}],
    [{"depends_on": ["a"], "x": 1}, {"x": 2, "depends_on": []}],
    [{"a": {"b": [1, {"c": 2}]}, "z": "x\n\"y"}],
    [{"k": [], "j": {}, "t": (1, "2")}],
    [{"p": math.nan, "q": [math.inf, -math.inf], "r": -0.0, "s": 10**30}],
    [{"x": '\n    "depends_on": []'}, {"depends_on": [1, "é"]}],
    [{"path": Path("/tmp/x"), "m": Mapping(a=1), "n": Mapping()}],
    [{"d": ["é", "\x00", "\u2028"]}],
    [{1: "non-string key"}],
    [{"a": 1}, "not a dict"],
    {"rows": [{"a": 1}]},
    "text",
]


@pytest.mark.parametrize("data", CASES)
def test_the_text_is_that_of_json_dumps(data):
    assert _json.dumps(data) == json.dumps(data, indent=2, default=str, ensure_ascii=False)
