"""Real benchmark file formats: import the official ground-truth CSVs, export predictions the official scripts read.

Ground truth (METHOD.md §6; header row, parsed like `pandas.read_csv`):
  * VideoCon LLM test  `videopath, caption, label[, ...]`           → EntailmentSet
  * VideoCon Human     `videopath, caption, label, hard[, ...]`      → EntailmentSet (`hard` = Human-Hard)
  * SSv2-Temporal/Events `videopath, caption, match`                  → RetrievalSet (captions with exactly
    `vid_per_caption` rows, gallery sorted by video path, queries sorted by caption, as `calc_ssv2.py`)
  * ATP-Hard           `videopath, question, answer, option, caption` → QASet (groups by (videopath, question),
    exactly 5 rows, options in file order, as `eval_atphard.py`); optional `nextqa-atphard.csv` for types.
The official ground-truth files hold the *full mPLUG-Owl prompt* in `caption`; importers accept either that or
a bare caption and return bare captions (the prompt is recorded in `prompted`).

Predictions (SynViTA mPLUG-Owl inference layout): **3 columns, no header**: `videopath, caption, entailment`,
written with `csv.writer` like the official inference script. `caption` is the byte-identical mPLUG prompt
(`MPLUG_PROMPT`, ending in "AI: ") unless `prompt=False` (bare caption: run the eval scripts with
`--extract_caption`). The eval scripts strip `data_dir` from the front of `videopath` (`x.split(data_dir)[1]`)
and inner-merge with the ground truth on (videopath, caption); write with the same `data_dir` you pass them.

Bad files raise `FormatError` naming the file, the row and the column.
"""

from __future__ import annotations

import csv
import math
import re
from dataclasses import dataclass, field
from pathlib import Path
from collections.abc import Sequence

import numpy as np

from synvita.data.types import EntailmentSet, QASet, RetrievalSet
from synvita.errors import UserInputError

MPLUG_PROMPT = (
    "The following is a conversation between a curious human and AI assistant. The assistant gives helpful, "
    "detailed, and polite answers to the user's questions.\n"
    "Human: <|video|>\n"
    'Human: Does this video entail the description: "{caption}"?\n'
    "AI: "
)
"""VideoCon's inference prompt (`prepare_data_for_inference.py`), byte for byte; note the trailing space."""

_DESCRIPTION = re.compile(r'Does this video entail the description: "(.*)"\?')

SSV2_TEMPORAL_VIDS_PER_CAPTION = 216
SSV2_EVENTS_VIDS_PER_CAPTION = 588
ATP_OPTIONS = 5


class FormatError(UserInputError):
    """A benchmark or prediction file does not have the expected layout (message names file, row, column)."""


def mplug_prompt(caption: str) -> str:
    """The full mPLUG-Owl inference prompt for `caption`."""
    return MPLUG_PROMPT.format(caption=caption)


def extract_description(text: str) -> str | None:
    """The caption inside an entailment prompt (the official regex, greedy), or None if `text` is no prompt."""
    match = _DESCRIPTION.search(text)
    return match.group(1) if match else None


def _bare(text: str) -> tuple[str, bool]:
    desc = extract_description(text)
    return (text, False) if desc is None else (desc, True)


# ------------------------------------------------------------------------------------------------ reading


@dataclass
class _Table:
    path: Path
    header: list[str]
    rows: list[list[str]]
    lines: list[int]
    """File line on which each row ends (1-based; quoted prompts span several lines)."""

    def col(self, name: str) -> int:
        return self.header.index(name)

    def where(self, r: int, column: str | None = None) -> str:
        place = f"{self.path.name} row {r + 1} (line {self.lines[r]})"
        return f"{place}, column '{column}'" if column else place


def _read_table(path: str | Path, required: Sequence[str]) -> _Table:
    p = Path(path)
    if not p.is_file():
        raise FormatError(f"{p}: no such file", hint="check the path to the benchmark CSV")
    with open(p, newline="", encoding="utf-8") as fh:
        reader = csv.reader(fh)
        try:
            header = [h.strip() for h in next(reader)]
        except StopIteration:
            raise FormatError(f"{p.name}: empty file", hint=f"expected a header with {', '.join(required)}") from None
        except csv.Error as exc:
            raise FormatError(f"{p.name} line {reader.line_num}: unreadable CSV ({exc})") from None
        missing = [c for c in required if c not in header]
        if missing:
            raise FormatError(
                f"{p.name}: missing column(s) {', '.join(repr(c) for c in missing)}",
                hint=f"header is {', '.join(header)}; expected {', '.join(required)}",
            )
        rows, lines = [], []
        try:
            for row in reader:
                if not row:
                    continue
                if len(row) != len(header):
                    raise FormatError(
                        f"{p.name} row {len(rows) + 1} (line {reader.line_num}): {len(row)} fields, header has {len(header)}",
                        hint="quote fields that contain commas or newlines",
                    )
                rows.append(row)
                lines.append(reader.line_num)
        except csv.Error as exc:
            raise FormatError(f"{p.name} line {reader.line_num}: unreadable CSV ({exc})") from None
    return _Table(p, header, rows, lines)


_TRUE = {"1", "1.0", "true", "yes", "y", "t"}
_FALSE = {"0", "0.0", "false", "no", "n", "f"}


def _parse_bool(t: _Table, r: int, column: str) -> bool:
    raw = t.rows[r][t.col(column)].strip().lower()
    if raw in _TRUE:
        return True
    if raw in _FALSE:
        return False
    raise FormatError(f"{t.where(r, column)}: expected 0/1 or True/False, got {t.rows[r][t.col(column)]!r}")


def _parse_int(t: _Table, r: int, column: str) -> int:
    raw = t.rows[r][t.col(column)].strip()
    try:
        value = float(raw)
    except ValueError:
        value = math.nan
    if math.isnan(value) or value != int(value):
        raise FormatError(f"{t.where(r, column)}: expected an integer, got {raw!r}")
    return int(value)


def _index_videos(paths: Sequence[str]) -> tuple[np.ndarray, list[str]]:
    """int64 index per row into the list of distinct paths (first-appearance order)."""
    table: dict[str, int] = {}
    index = np.array([table.setdefault(p, len(table)) for p in paths], dtype=np.int64)
    return index, list(table)


@dataclass
class EntailmentTable:
    data: EntailmentSet
    video_paths: list[str]
    """Relative video path per bank index (`data.video` indexes this list)."""
    prompted: bool
    """The file's captions were full prompts (the official layout)."""


@dataclass
class RetrievalTable:
    data: RetrievalSet
    video_paths: list[str]
    """Relative path per bank index; `data.gallery` is 0..N−1 in sorted-path order."""
    prompted: bool
    dropped_captions: list[str] = field(default_factory=list)
    """Captions skipped because they did not have exactly `vid_per_caption` rows."""


@dataclass
class QATable:
    data: QASet
    video_paths: list[str]
    questions: list[str]
    """[Q] question text per QASet row."""
    prompted: bool
    dropped_groups: int = 0
    """(videopath, question) groups skipped because they did not have exactly 5 rows."""


def read_entailment_csv(path: str | Path) -> EntailmentTable:
    """VideoCon LLM-test or Human CSV → EntailmentSet (`hard` from a `hard` column, else all False;
    `misalignment` from a `misalignment` column, else ''; `held_out` all False)."""
    t = _read_table(path, ("videopath", "caption", "label"))
    t.rows = _drop_duplicate_rows(t)
    vp, cap = t.col("videopath"), t.col("caption")
    captions, prompted = [], False
    for row in t.rows:
        text, was_prompt = _bare(row[cap])
        captions.append(text)
        prompted |= was_prompt
    labels = np.array([int(_parse_bool(t, r, "label")) for r in range(len(t.rows))], dtype=np.int64)
    hard = (
        np.array([_parse_bool(t, r, "hard") for r in range(len(t.rows))], dtype=bool)
        if "hard" in t.header
        else np.zeros(len(t.rows), dtype=bool)
    )
    mis = [row[t.col("misalignment")] for row in t.rows] if "misalignment" in t.header else [""] * len(t.rows)
    video, paths = _index_videos([row[vp] for row in t.rows])
    data = EntailmentSet(
        video=video, caption=captions, label=labels, misalignment=mis, hard=hard,
        held_out=np.zeros(len(t.rows), dtype=bool),
    )
    return EntailmentTable(data, paths, prompted)


def read_ssv2_csv(path: str | Path, vid_per_caption: int | None = None) -> RetrievalTable:
    """SSv2-Temporal/Events CSV → RetrievalSet over one gallery shared by all kept captions.

    `vid_per_caption` (216 Temporal, 588 Events; None = keep all) drops captions with another row count, as
    `calc_ssv2.py` does. All kept captions must rank the same set of videos.
    """
    t = _read_table(path, ("videopath", "caption", "match"))
    t.rows = _drop_duplicate_rows(t)
    vp, cap = t.col("videopath"), t.col("caption")
    by_caption: dict[str, dict[str, bool]] = {}
    prompted = False
    for r, row in enumerate(t.rows):
        text, was_prompt = _bare(row[cap])
        prompted |= was_prompt
        videos = by_caption.setdefault(text, {})
        if row[vp] in videos:
            raise FormatError(f"{t.where(r, 'videopath')}: video {row[vp]!r} listed twice for caption {text!r}")
        videos[row[vp]] = _parse_bool(t, r, "match")
    kept = {c: v for c, v in by_caption.items() if vid_per_caption is None or len(v) == vid_per_caption}
    dropped = sorted(set(by_caption) - set(kept))
    if not kept:
        raise FormatError(
            f"{t.path.name}: no caption has exactly {vid_per_caption} rows",
            hint="use vid_per_caption=216 for SSv2-Temporal, 588 for SSv2-Events",
        )
    queries = sorted(kept)
    gallery_paths = sorted(kept[queries[0]])
    for q in queries[1:]:
        if sorted(kept[q]) != gallery_paths:
            raise FormatError(
                f"{t.path.name}: caption {q!r} ranks a different set of videos than {queries[0]!r}",
                hint="every caption must be scored against the same gallery",
            )
    relevant = np.array([[kept[q][p] for p in gallery_paths] for q in queries], dtype=bool)  # [Q, N]
    data = RetrievalSet(queries=queries, gallery=np.arange(len(gallery_paths), dtype=np.int64), relevant=relevant)
    return RetrievalTable(data, gallery_paths, prompted, dropped)


def read_atp_hard_csv(path: str | Path, types_path: str | Path | None = None) -> QATable:
    """ATP-Hard statements CSV → QASet; `types_path` = `nextqa-atphard.csv` (`video, question, type`) for qtype."""
    t = _read_table(path, ("videopath", "question", "answer", "option", "caption"))
    t.rows = _drop_duplicate_rows(t)
    vp, qu, cap = t.col("videopath"), t.col("question"), t.col("caption")
    groups: dict[tuple[str, str], list[int]] = {}
    for r, row in enumerate(t.rows):
        groups.setdefault((row[vp], row[qu]), []).append(r)
    types = _read_types(types_path) if types_path is not None else None
    videos, statements, answers, questions, qtypes = [], [], [], [], []
    dropped, prompted = 0, False
    for (video, question), rows in groups.items():
        if len(rows) != ATP_OPTIONS:
            dropped += 1
            continue
        texts = []
        for r in rows:
            text, was_prompt = _bare(t.rows[r][cap])
            texts.append(text)
            prompted |= was_prompt
        answer = _parse_int(t, rows[0], "answer")
        if not 0 <= answer < ATP_OPTIONS:
            raise FormatError(f"{t.where(rows[0], 'answer')}: answer {answer} is not an option index 0..4")
        videos.append(video)
        statements.append(texts)
        answers.append(answer)
        questions.append(question)
        if types is not None:
            key = f"{Path(video).stem}-{question}"
            if key not in types:
                raise FormatError(f"{t.where(rows[0], 'question')}: no type for {key!r} in {Path(types_path).name}")
            qtypes.append(types[key][:1])
    if not videos:
        raise FormatError(f"{t.path.name}: no (videopath, question) group has exactly 5 rows")
    video_index, paths = _index_videos(videos)
    data = QASet(video=video_index, statements=statements, answer=np.array(answers, dtype=np.int64), qtype=qtypes)
    return QATable(data, paths, questions, prompted, dropped)


def _read_types(path: str | Path) -> dict[str, str]:
    t = _read_table(path, ("video", "question", "type"))
    v, q, ty = t.col("video"), t.col("question"), t.col("type")
    return {f"{row[v]}-{row[q]}": row[ty] for row in t.rows}


def _drop_duplicate_rows(t: _Table) -> list[list[str]]:
    """Exact duplicate rows are dropped (the official scripts call `drop_duplicates`); line numbers follow."""
    seen: set[tuple[str, ...]] = set()
    rows, lines = [], []
    for row, line in zip(t.rows, t.lines):
        key = tuple(row)
        if key not in seen:
            seen.add(key)
            rows.append(row)
            lines.append(line)
    t.lines = lines
    return rows


# ------------------------------------------------------------------------------------------------ writing


def _caption_field(caption: str, prompt: bool) -> str:
    return mplug_prompt(caption) if prompt else caption


def write_predictions_csv(
    path: str | Path,
    video_paths: Sequence[str],
    captions: Sequence[str],
    scores: Sequence[float] | np.ndarray,
    *,
    data_dir: str = "",
    prompt: bool = True,
) -> Path:
    """SynViTA inference CSV: no header, rows `data_dir + videopath, prompt-or-caption, entailment`."""
    scores = np.asarray(scores, dtype=np.float64).reshape(-1)
    if not (len(video_paths) == len(captions) == len(scores)):
        raise UserInputError(
            f"write_predictions_csv: {len(video_paths)} paths, {len(captions)} captions, {len(scores)} scores",
            hint="one score per (video, caption) row",
        )
    if np.isnan(scores).any():
        raise UserInputError("write_predictions_csv: scores contain NaN")
    p = Path(path)
    with open(p, "w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        for video, caption, score in zip(video_paths, captions, scores):
            writer.writerow([f"{data_dir}{video}", _caption_field(caption, prompt), float(score)])
    return p


def read_predictions_csv(path: str | Path, *, data_dir: str = "") -> tuple[list[str], list[str], np.ndarray]:
    """(relative video paths, bare captions, scores) from an inference CSV (3 or 5 columns, no header)."""
    p = Path(path)
    if not p.is_file():
        raise FormatError(f"{p}: no such file", hint="check the path to the predictions CSV")
    videos, captions, scores = [], [], []
    with open(p, newline="", encoding="utf-8") as fh:
        reader = csv.reader(fh)
        for row in reader:
            if not row:
                continue
            where = f"{p.name} row {len(videos) + 1} (line {reader.line_num})"
            if len(row) not in (3, 5):
                raise FormatError(f"{where}: {len(row)} fields, expected 3 (videopath, caption, entailment)")
            video = row[0]
            if data_dir:
                if data_dir not in video:
                    raise FormatError(f"{where}, column 'videopath': {video!r} does not contain data_dir {data_dir!r}")
                video = video.split(data_dir)[1]
            try:
                score = float(row[2])
            except ValueError:
                raise FormatError(f"{where}, column 'entailment': not a number: {row[2]!r}") from None
            videos.append(video)
            captions.append(_bare(row[1])[0])
            scores.append(score)
    return videos, captions, np.asarray(scores, dtype=np.float64)


def _write_rows(path: str | Path, header: Sequence[str], rows) -> Path:
    p = Path(path)
    with open(p, "w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh, lineterminator="\n")
        writer.writerow(header)
        writer.writerows(rows)
    return p


def write_entailment_csv(path: str | Path, data: EntailmentSet, video_paths: Sequence[str], *, prompt: bool = True) -> Path:
    """Ground truth in the VideoCon Human layout (`videopath, caption, label, hard`, plus misalignment)."""
    rows = (
        [video_paths[int(v)], _caption_field(c, prompt), int(lab), bool(h), m]
        for v, c, lab, h, m in zip(data.video, data.caption, data.label, data.hard, data.misalignment)
    )
    return _write_rows(path, ("videopath", "caption", "label", "hard", "misalignment"), rows)


def write_ssv2_csv(path: str | Path, data: RetrievalSet, video_paths: Sequence[str], *, prompt: bool = True) -> Path:
    """Ground truth in the SSv2 layout: one `videopath, caption, match` row per (query, gallery video)."""
    rows = (
        [video_paths[int(v)], _caption_field(q, prompt), int(data.relevant[qi, gi])]
        for qi, q in enumerate(data.queries)
        for gi, v in enumerate(data.gallery)
    )
    return _write_rows(path, ("videopath", "caption", "match"), rows)


def write_atp_hard_csv(
    path: str | Path, data: QASet, video_paths: Sequence[str], questions: Sequence[str] | None = None,
    *, prompt: bool = True,
) -> Path:
    """Ground truth in the ATP-Hard layout (`videopath, question, answer, option, caption`), 5 rows per question."""
    questions = [f"question {i}" for i in range(len(data.video))] if questions is None else list(questions)
    rows = (
        [video_paths[int(v)], questions[qi], int(data.answer[qi]), oi, _caption_field(s, prompt)]
        for qi, v in enumerate(data.video)
        for oi, s in enumerate(data.statements[qi])
    )
    return _write_rows(path, ("videopath", "question", "answer", "option", "caption"), rows)


def write_atp_types_csv(
    path: str | Path, data: QASet, video_paths: Sequence[str], questions: Sequence[str] | None = None
) -> Path:
    """The `nextqa-atphard.csv` companion (`video, question, type`) that `eval_atphard.py` reads for Acc-C/T."""
    questions = [f"question {i}" for i in range(len(data.video))] if questions is None else list(questions)
    qtypes = data.qtype or ["T"] * len(data.video)
    rows = ([Path(video_paths[int(v)]).stem, questions[qi], qtypes[qi]] for qi, v in enumerate(data.video))
    return _write_rows(path, ("video", "question", "type"), rows)


def retrieval_prediction_rows(
    data: RetrievalSet, video_paths: Sequence[str], scores
) -> tuple[list[str], list[str], np.ndarray]:
    """Flatten a [Q, N] score matrix into (videopath, caption, score) rows for `write_predictions_csv`."""
    s = np.asarray(scores, dtype=np.float64)
    if s.shape != (len(data.queries), len(data.gallery)):
        raise UserInputError(f"scores {s.shape} must be [Q, N] = {(len(data.queries), len(data.gallery))}")
    videos = [video_paths[int(v)] for _ in data.queries for v in data.gallery]
    captions = [q for q in data.queries for _ in data.gallery]
    return videos, captions, s.reshape(-1)


def qa_prediction_rows(data: QASet, video_paths: Sequence[str], scores) -> tuple[list[str], list[str], np.ndarray]:
    """Flatten [Q, 5] option scores into (videopath, statement, score) rows for `write_predictions_csv`."""
    s = np.asarray(scores, dtype=np.float64)
    if s.shape != (len(data.video), ATP_OPTIONS):
        raise UserInputError(f"scores {s.shape} must be [Q, 5] = {(len(data.video), ATP_OPTIONS)}")
    videos = [video_paths[int(v)] for v in data.video for _ in range(ATP_OPTIONS)]
    captions = [st for sts in data.statements for st in sts]
    return videos, captions, s.reshape(-1)
