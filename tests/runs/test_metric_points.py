"""Metric points: the metric lines `EventWriter` writes take a lane of their own into the store
(`synvita.runs.metric_points`); every other line, however close to one, takes the general parse, and the store ends
up holding exactly what the general parse alone would have stored."""

import json
import math
import sqlite3
from pathlib import Path

import pytest

import synvita.runs.ingest
from synvita.events import EventWriter
from synvita.runs.ingest import ingest_run_dir
from synvita.runs.metric_points import split_metric_points
from synvita.store import NewRun, Store

PLAIN = {"seq": 0, "ts": 1.5, "kind": "metric", "name": "loss", "value": 0.5, "step": 3}

NOT_POINTS = {
    "int value": {**PLAIN, "value": 2},
    "bool value": {**PLAIN, "value": True},
    "bool step": {**PLAIN, "step": True},
    "float step": {**PLAIN, "step": 3.0},
    "int ts": {**PLAIN, "ts": 5},
    "NaN ts": {**PLAIN, "ts": math.nan},
    "NaN value": {**PLAIN, "value": math.nan},
    "infinite value": {**PLAIN, "value": -math.inf},
    "bool seq": {**PLAIN, "seq": True},
    "name not a str": {**PLAIN, "name": 7},
    "an extra field": {**PLAIN, "split": "val"},
    "no step": {k: v for k, v in PLAIN.items() if k != "step"},
    "step under another key": {**{k: v for k, v in PLAIN.items() if k != "step"}, "epoch": 3},
    "another kind": {**PLAIN, "kind": "progress"},
}


def test_only_lines_exactly_as_the_writer_writes_them_become_points():
    points, others = split_metric_points([PLAIN, *NOT_POINTS.values(), "not even a dict"])
    assert points == [(0, 1.5, "loss", 3, 0.5)]
    assert others == [*NOT_POINTS.values(), "not even a dict"]


def test_the_writers_own_metric_lines_are_points(tmp_path):
    with EventWriter(tmp_path) as writer:
        writer.metric("loss", 0.25, 7)
        writer.metric("lr", 1, 8)  # the writer makes the value a float
    lines = [json.loads(line) for line in (tmp_path / "events.jsonl").read_text().splitlines()]
    points, others = split_metric_points(lines)
    assert [(seq, name, step, value) for seq, _, name, step, value in points] == [
        (0, "loss", 7, 0.25), (1, "lr", 8, 1.0)]
    assert others == []


def _line(seq: int, **fields) -> str:
    return json.dumps({"seq": seq, "ts": 1.0e9 + seq, **fields}, allow_nan=True) + "\n"


def _corpus() -> list[list[str]]:
    """Lines of events.jsonl in three appends: plain points among near misses, other kinds, a torn line, hostile
    values, and steps reported again (within one poll and across polls, plain and as written)."""
    first = [
        _line(0, kind="metric", name="loss", value=2.0, step=0),
        _line(1, kind="metric", name="lr", value=0.1, step=0),
        _line(2, kind="log", level="info", msg="hello"),
        _line(3, kind="metric", name="loss", value=1.5, step=1),
        _line(4, kind="metric", name="acc", value=3, step=0, split="val"),  # as written: kept as JSON
        _line(5, kind="metric", name="loss", value=1.25, step=1),  # step 1 again, in the same poll
        _line(6, kind="progress", done=1, total=4, msg="a quarter"),
        '{"seq": 7, "ts": 1.0, "kind": "metric", "na\n',  # a torn line, completed by nothing
        _line(8, kind="metric", name="loss\x1b]0;pwned\x07", value=1.0, step=0),  # control characters
        _line(9, kind="metric", name="lr", value=1e308, step=1),
        _line(10, kind="metric", name="lr", value=math.inf, step=2),  # refused: fails the run
        _line(11, kind="metric", name="lr", value=0.05, step=True),
        _line(12, kind="metric", name="lr", value=0.04, step=3, ts=7),
    ]
    second = [
        _line(13, kind="metric", name="acc", value=0.5, step=0),  # a plain point replaces one kept as JSON
        _line(14, kind="metric", name="loss", value=1.0, step=2),
        _line(15, kind="metric", name="loss", value=9.0, step=0),  # a resumed stage reports step 0 again
        "[1, 2]\n",
        _line(17, kind="metric", name="loss", value=0.75, step=2.0),
        _line(18, kind="result", benchmark="b", metric="acc", value=60.0, subset=None, control=None),
    ]
    third = [
        _line(19, kind="metric", name="loss", value=0.5, step=3),
        _line(20, kind="metric", name="loss", value=0.4, step=3, note="again, as written"),
        _line(21, kind="metric", name="loss", value=math.nan, step=4),
        _line(22, kind="metric", name="loss", value=0.3, step=4),
        _line(23, kind="artifact", name="model", path="model.pt"),
        _line(24, kind="metric", name="lr", value=1e-3, step=4),
        _line(25, kind="metric", name="lr", value=True, step=5),
        _line(26, kind="metric", name=7, value=0.5, step=0),
        _line(27, kind="metric", name="lr", value=0.5, step=-1),
    ]
    return [first, second, third]


def _ingest_corpus(db_path: Path) -> list[dict[str, list[tuple]]]:
    """Ingest the corpus append by append into a fresh database; its rows after each poll, without the random
    run id."""
    store = Store.open(db_path)
    (run,) = store.create_runs([NewRun("exp", "s", "debug.noop")])
    store.claim_next("w")
    Path(run.run_dir).mkdir(parents=True)
    snapshots = []
    for lines in _corpus():
        with open(Path(run.run_dir) / "events.jsonl", "a") as fh:
            fh.write("".join(lines))
        ingest_run_dir(store, run.id)
        snapshots.append(_rows(db_path))
    store.close()
    return snapshots


def _rows(db_path: Path) -> dict[str, list[tuple]]:
    con = sqlite3.connect(db_path)
    tables = {
        "metrics": "SELECT name, step, value, ts, seq, data_json FROM metrics ORDER BY name, step",
        "latest_metrics": "SELECT name, step, value FROM latest_metrics ORDER BY name",
        "run_events": "SELECT seq, ts, kind, data_json FROM run_events ORDER BY seq",
        "results": "SELECT benchmark, metric, subset, control, value, seq FROM results",
        "artifacts": "SELECT name, path FROM artifacts",
        "runs": "SELECT status, error, progress, progress_msg, key_metric, finished_at, events_cursor,"
                " events_offset, events_offset_seq FROM runs",
    }
    rows = {table: con.execute(sql).fetchall() for table, sql in tables.items()}
    con.close()
    return rows


def test_the_points_lane_stores_exactly_what_the_general_parse_stores(tmp_path, monkeypatch):
    monkeypatch.setattr("time.time", lambda: 1.7e9)  # the time stamped on error lines and on the failure
    taken: list[int] = []

    def counting(events):
        points, others = split_metric_points(events)
        taken.append(len(points))
        return points, others

    monkeypatch.setattr(synvita.runs.ingest, "split_metric_points", counting)
    fast = _ingest_corpus(tmp_path / "fast.db")
    assert taken == [6, 3, 4]  # the corpus's plain points took the lane
    monkeypatch.setattr(synvita.runs.ingest, "split_metric_points", lambda events: ([], list(events)))
    general = _ingest_corpus(tmp_path / "general.db")  # every line through `parse_events`
    assert fast == general
    # the latest value of a step reported twice in one poll is the later line's
    assert ("loss", 1, 1.25) in fast[0]["latest_metrics"] and ("lr", 3, 0.04) in fast[0]["latest_metrics"]
    fast = fast[-1]
    # and what they hold is what the lines say
    assert fast["runs"][0][:2] == ("failed", "metric 'lr' is inf at step 2 (not recorded)")
    assert [(name, step, value) for name, step, value, *_ in fast["metrics"] if name == "loss"] == [
        ("loss", 0, 9.0), ("loss", 1, 1.25), ("loss", 2, 0.75), ("loss", 3, 0.4), ("loss", 4, 0.3)]
    assert fast["latest_metrics"] == [
        ("7", 0, 0.5), ("acc", 0, 0.5), ("loss", 4, 0.3), ("loss\x1b]0;pwned\x07", 0, 1.0), ("lr", 5, 1.0)]
    # every line that is not its series' current point: replaced points, refusals, other kinds, unreadable lines
    assert [seq for seq, *_ in fast["run_events"]] == [0, 2, 3, 4, 6, 7, 9, 10, 14, 16, 18, 19, 21, 23]
    assert fast["runs"][0][4] == 60.0  # the key metric: the headline result


@pytest.mark.parametrize("line", [
    {"seq": 0, "ts": 1.0, "kind": "metric", "name": "loss", "value": 1.0, "step": 2**63},
    {"seq": 0, "ts": 1.0, "kind": "metric", "name": "loss", "value": 1.0, "step": -(2**63) - 1},
    {"seq": 0, "ts": 1.0, "kind": "metric", "name": "loss", "value": 10**400, "step": 0},
    {"seq": 0, "ts": 10**400, "kind": "metric", "name": "loss", "value": 1.0, "step": 0},
], ids=["step past SQLite's integers", "step below them", "value past a float", "ts past a float"])
def test_a_number_too_large_to_store_is_a_malformed_line_on_both_paths(store, monkeypatch, line):
    """The line becomes an error log row that keeps it, and the lines after it are ingested: never a poll that
    raises at every try and so stalls the run's ingestion."""
    after = {"seq": 1, "ts": 1.0, "kind": "metric", "name": "loss", "value": 0.5, "step": 1}
    stored = {}
    for lane in ("fast", "general"):
        if lane == "general":
            monkeypatch.setattr(synvita.runs.ingest, "split_metric_points", lambda events: ([], list(events)))
        (run,) = store.create_runs([NewRun("exp", "s", "debug.noop")])
        Path(run.run_dir).mkdir(parents=True)
        (Path(run.run_dir) / "events.jsonl").write_text(json.dumps(line) + "\n" + json.dumps(after) + "\n")
        ingest_run_dir(store, run.id)
        assert store.events_cursor(run.id) == 2
        assert [(p.step, p.value) for p in store.metrics(run.id)] == [(1, 0.5)]
        (bad,) = store.events(run.id, kinds=["log"])
        assert bad.data["level"] == "error" and bad.data["msg"].startswith("malformed metric event: ")
        assert bad.data["event"]["name"] == "loss"
        stored[lane] = bad.data["msg"]
    assert stored["fast"] == stored["general"]
