"""Metric points: the metric lines of events.jsonl exactly as `EventWriter.metric` writes them, picked out of a
poll's events in one pass and handed to the store as `MetricPoint` tuples.

A training stage writes one such line per step and series, so they are nearly every line of a long run; making
a typed row (`parse_events`) for each would cost more than storing it. A line qualifies when its keys are exactly
seq, ts, kind, name, value and step, its kind is "metric", and each value has the exact type `EventWriter` gives
it, ts and value finite, the step within SQLite's integers. Any other line (another kind, a field more or less, an int or bool where a float
belongs, a NaN or infinity) goes through `parse_events`, which records it as it always does.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from synvita.store import MetricPoint

INT64_MIN, INT64_MAX = -(2**63), 2**63 - 1
"""The steps SQLite can store (its INTEGER is 64 bits); a line with a step outside is malformed."""


def split_metric_points(events: Sequence[Any]) -> tuple[list[MetricPoint], list[Any]]:
    """Decoded event lines → (the metric points among them, every other line), each list in the lines' order."""
    points: list[MetricPoint] = []
    others: list[Any] = []
    add_point, add_other = points.append, others.append
    for ev in events:  # one flat loop, no call per line: this runs for every metric point a stage reports
        if type(ev) is dict and len(ev) == 6 and ev.get("kind") == "metric":
            try:  # six keys, kind and these five among them: exactly the keys of a metric line
                seq, ts, name, step, value = ev["seq"], ev["ts"], ev["name"], ev["step"], ev["value"]
            except KeyError:
                add_other(ev)
                continue
            if (
                type(seq) is int and type(ts) is float and type(name) is str and type(step) is int
                and INT64_MIN <= step <= INT64_MAX
                and type(value) is float and ts - ts == 0.0 and value - value == 0.0  # x - x is 0.0 when finite
            ):
                add_point((seq, ts, name, step, value))
                continue
        add_other(ev)
    return points, others
