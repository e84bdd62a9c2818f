"""The CLI's JSON is the standard library's `json.dumps(indent=2, default=str, ensure_ascii=False)`, byte for byte."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest

from synvita.cli import _json


class Mapping(dict):
    pass


class IntSubclass(int):
    def __repr__(self) -> str:
        return "not JSON"


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
    [{"id": "a", "deps": None, "n": 1}, {"id": "b", "deps": ["a"], "n": 2}, {"id": "c", "deps": (), "n": 3}],
    [{"100%": "%s", "%(x)s": 1.5, "": -1}, {"100%": "%%", "%(x)s": math.nan, "": True}],
    [{"a": 1, "b": 2}, {"b": 2, "a": 1}],
    [{"n": True}, {"n": 1}, {"n": 1.0}, {"n": IntSubclass(2)}, {"n": "1"}],
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


ROWS = [("r-1", ["r-0"], None, 0.1), ("r-2", [], "é\u2028\x1b[31m", float("inf")), ("r-3", ["r-1", "r-2"], "", -0.0)]


@pytest.mark.parametrize("chunk_rows", [1, 2, 1000])
def test_records_are_the_text_of_their_dicts_in_chunks_of_any_size(monkeypatch, chunk_rows):
    monkeypatch.setattr(_json, "CHUNK_ROWS", chunk_rows)
    keys = ("id", "depends_on", "error", "value")
    expected = json.dumps([dict(zip(keys, row)) for row in ROWS], indent=2, default=str, ensure_ascii=False)
    assert "".join(_json.iter_records(keys, ROWS)) == _json.dumps_records(keys, ROWS) == expected
    assert len(list(_json.iter_records(keys, ROWS))) == -(-len(ROWS) // chunk_rows)
    for data in CASES:
        assert _json.dumps(data) == json.dumps(data, indent=2, default=str, ensure_ascii=False)


def test_records_without_rows_or_keys_and_rows_of_the_wrong_length():
    assert _json.dumps_records(("a",), []) == "[]"
    assert _json.dumps_records((), [(), ()]) == "[\n  {},\n  {}\n]"
    with pytest.raises(ValueError):
        _json.dumps_records(("a", "b"), [(1, 2), (3,)])
