"""The `videocon` source's files: which [videocon] key names which set, the readers of the training CSV's two
layouts, and the checks every file gets at submission (torch-free, no decoding): columns and values (the
`synvita.benchmarks.formats` readers), every video path confined to the data root and naming an existing file."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from synvita.errors import UserInputError

EVAL_KEYS = {
    "entail-llm": "llm_test_csv",
    "entail-human": "human_csv",
    "entail-human-hard": "human_csv",
    "retrieval-temporal": "ssv2_temporal_csv",
    "retrieval-events": "ssv2_events_csv",
    "qa-hard": "atp_hard_csv",
}
"""Benchmark → the [videocon] key of its ground-truth CSV."""

BANK_OF = {name: ("entail-human" if name == "entail-human-hard" else name) for name in EVAL_KEYS}
"""Benchmark → the frame-cache bank holding its videos (Human-Hard is the `hard` rows of the Human set)."""

VIDPERCAPTION_KEYS = {"retrieval-temporal": "ssv2_temporal_videos", "retrieval-events": "ssv2_events_videos"}

TRAIN_LAYOUTS = {
    "videocon": ("videopath", "caption", "neg_caption"),
    "synvita": ("videopath", "caption", "label", "domain", "syn_video"),
}
"""Required columns of the two training-CSV layouts (VideoCon pairs; SynViTA real + synthetic rows)."""


@dataclass
class RowVideo:
    """Where a video path was first named: for the error that names the file and the row."""

    path: str
    """As written in the CSV (relative to the data root)."""
    csv: str
    row: int
    """1-based data row (the header is row 0)."""

    def where(self) -> str:
        return f"{self.csv} row {self.row}"


@dataclass
class TrainPairs:
    videopath: list[str] = field(default_factory=list)
    caption_pos: list[str] = field(default_factory=list)
    caption_neg: list[str] = field(default_factory=list)
    misalignment: list[str] = field(default_factory=list)
    rows: list[int] = field(default_factory=list)
    """The CSV row of each pair's video (its positive row for the SynViTA layout)."""
    unpaired: int = 0
    """SynViTA-layout real rows without a partner of the other label (e.g. feedback rows): not trained on."""


def data_root(section: Any) -> Path:
    if not str(section.root).strip():
        raise UserInputError("videocon.root is not set", hint="set [videocon] root to the folder holding the CSVs and videos")
    root = Path(section.root).expanduser()
    if not root.is_dir():
        raise UserInputError(f"videocon.root: no folder {root}", hint="set [videocon] root to the folder holding the CSVs and videos")
    return root.resolve()


def csv_path(section: Any, key: str) -> Path | None:
    """The confined path of the file named by `[videocon] key` (None when the key is "")."""
    from synvita.paths import confine

    name = str(getattr(section, key) or "").strip()
    if not name:
        return None
    path = confine(data_root(section), name, where=f"videocon.{key}")
    if not path.is_file():
        raise UserInputError(f"videocon.{key}: no file {name} under {data_root(section)}",
                             hint=f"put the file there, point videocon.{key} at it, or set it to \"\" if you do not have this set")
    return path


def _video_paths(path: Path, column: str = "videopath") -> list[RowVideo]:
    from synvita.benchmarks.formats import _read_table

    table = _read_table(path, (column,))
    c = table.col(column)
    return [RowVideo(row[c], path.name, r + 1) for r, row in enumerate(table.rows)]


def check_videos(root: Path, videos: list[RowVideo]) -> None:
    """Every video path confined to `root` and an existing file (one line naming the CSV row otherwise)."""
    from synvita.paths import confine

    seen: set[str] = set()
    for v in videos:
        if v.path in seen:
            continue
        seen.add(v.path)
        if not v.path.strip():
            raise UserInputError(f"{v.where()}: empty videopath", hint="every row needs the video's path relative to videocon.root")
        resolved = confine(root, v.path, where=v.where())
        if not resolved.is_file():
            raise UserInputError(f"{v.where()}: video {v.path} not found under {root}",
                                 hint="download or copy the videos there (paths are relative to videocon.root), or remove the row")


def read_train_pairs(path: Path, split: str = "train") -> TrainPairs:
    """Training pairs (video, t^r, t^s, type) from either layout, in file order."""
    from synvita.benchmarks.formats import FormatError, _bare, _parse_bool, _read_table

    table = _read_table(path, ("videopath", "caption"))
    header = set(table.header)
    if set(TRAIN_LAYOUTS["videocon"]) <= header:
        layout = "videocon"
    elif set(TRAIN_LAYOUTS["synvita"]) <= header:
        layout = "synvita"
    else:
        missing = {name: [c for c in cols if c not in header] for name, cols in TRAIN_LAYOUTS.items()}
        raise FormatError(
            f"{path.name}: missing column(s) {', '.join(missing['videocon'])} (VideoCon pairs) or "
            f"{', '.join(missing['synvita'])} (SynViTA rows)",
            hint=f"header is {', '.join(table.header)}; see METHOD.md §6 for the two training layouts",
        )
    col = {name: table.col(name) for name in table.header}
    mis = col.get("misalignment")
    out = TrainPairs()
    if layout == "videocon":
        splits = "split" in col
        for r, row in enumerate(table.rows):
            if splits and row[col["split"]].strip() != split:
                continue
            out.videopath.append(row[col["videopath"]])
            out.caption_pos.append(_bare(row[col["caption"]])[0])
            out.caption_neg.append(_bare(row[col["neg_caption"]])[0])
            out.misalignment.append(row[mis] if mis is not None else "")
            out.rows.append(r + 1)
        if splits and not out.videopath:
            raise FormatError(f"{path.name}: no row has split = {split}", hint="the split column holds train, val or test")
        return out
    # SynViTA rows: a real video's label-1 row and label-0 row with the same syn_video are one pair
    pending: dict[tuple[str, str], list[int]] = {}
    positives: list[int] = []
    partner: dict[int, int] = {}
    for r, row in enumerate(table.rows):
        if row[col["domain"]].strip() != "real":
            continue
        key = (row[col["videopath"]], row[col["syn_video"]])
        if _parse_bool(table, r, "label"):
            positives.append(r)
            pending.setdefault(key, []).append(r)
    taken: set[int] = set()
    for r, row in enumerate(table.rows):
        if row[col["domain"]].strip() != "real" or _parse_bool(table, r, "label"):
            continue
        waiting = pending.get((row[col["videopath"]], row[col["syn_video"]]))
        if waiting:
            partner[waiting.pop(0)] = r
            taken.add(r)
    real_rows = sum(1 for row in table.rows if row[col["domain"]].strip() == "real")
    for p in positives:
        if p not in partner:
            continue
        n = partner[p]
        out.videopath.append(table.rows[p][col["videopath"]])
        out.caption_pos.append(_bare(table.rows[p][col["caption"]])[0])
        out.caption_neg.append(_bare(table.rows[n][col["caption"]])[0])
        out.misalignment.append(table.rows[p][mis] if mis is not None else "")
        out.rows.append(p + 1)
    out.unpaired = real_rows - 2 * len(out.videopath)
    if not out.videopath:
        raise FormatError(f"{path.name}: no real video has both a label-1 and a label-0 row",
                          hint="SynViTA rows pair a real video's caption (label 1) with its contrast caption (label 0)")
    return out


def read_sets(section: Any) -> dict[str, Any]:
    """Every set the section names, parsed (`synvita.benchmarks.formats` tables; "train" → `TrainPairs`,
    "pretrain" → an EntailmentTable when pretrain_csv is set), with every video path checked."""
    from synvita.benchmarks import formats

    root = data_root(section)
    sets: dict[str, Any] = {}
    videos: list[RowVideo] = []
    train = csv_path(section, "train_csv")
    if train is None:
        raise UserInputError("videocon.train_csv is not set", hint="name the training CSV (relative to videocon.root)")
    sets["train"] = read_train_pairs(train)
    videos += _video_paths(train)
    pretrain = csv_path(section, "pretrain_csv")
    if pretrain is not None:
        sets["pretrain"] = formats.read_entailment_csv(pretrain)
        videos += _video_paths(pretrain)
    for name, key in EVAL_KEYS.items():
        path = csv_path(section, key)
        if path is None or BANK_OF[name] in sets:
            continue
        if name.startswith("entail"):
            if name == "entail-human":
                formats._read_table(path, ("videopath", "caption", "label", "hard"))  # `hard` is required here
            sets[name] = formats.read_entailment_csv(path)
            if name == "entail-human" and not sets[name].data.hard.any():
                raise formats.FormatError(f"{path.name}: no row has hard = True", hint="VideoCon Human marks its Human-Hard rows in `hard`")
        elif name.startswith("retrieval"):
            sets[name] = formats.read_ssv2_csv(path, getattr(section, VIDPERCAPTION_KEYS[name]))
        else:
            sets[name] = formats.read_atp_hard_csv(path, csv_path(section, "atp_types_csv"))
        videos += _video_paths(path)
    check_videos(root, videos)
    return sets
