"""Manifests: deterministic CSV files (one row per video, pair or benchmark row), readable with any CSV tool.

Column sets follow the original data where one exists: VideoCon (videopath, caption, neg_caption, misalignment,
split; training rows: videopath, caption, label, misalignment, domain, syn_video), SSv2 retrieval
(videopath, caption, match), ATP-Hard (videopath, question, answer, option, caption).
"""

from __future__ import annotations

import csv
import hashlib
import json
from pathlib import Path
from typing import Any, Sequence


def _cell(v: Any) -> str:
    if isinstance(v, bool):
        return "True" if v else "False"
    if isinstance(v, float):
        return repr(v)
    if isinstance(v, (dict, list, tuple)):
        return json.dumps(v, sort_keys=True, separators=(",", ":"))
    return "" if v is None else str(v)


def write_csv(path: str | Path, rows: Sequence[dict[str, Any]], columns: Sequence[str] | None = None) -> None:
    """Write rows (dicts) as CSV; columns default to the first row's keys, in order."""
    path = Path(path)
    if columns is None:
        columns = list(rows[0].keys()) if rows else []
    tmp = path.with_suffix(path.suffix + ".tmp")
    with open(tmp, "w", newline="") as fh:
        writer = csv.writer(fh, lineterminator="\n")
        writer.writerow(columns)
        for row in rows:
            writer.writerow([_cell(row.get(c)) for c in columns])
    tmp.replace(path)


def read_csv(path: str | Path) -> list[dict[str, str]]:
    with open(path, newline="") as fh:
        return list(csv.DictReader(fh))


def as_bool(value: str) -> bool:
    return value in ("True", "true", "1")


def file_sha256(path: str | Path, chunk: int = 1 << 20) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        while block := fh.read(chunk):
            h.update(block)
    return h.hexdigest()
