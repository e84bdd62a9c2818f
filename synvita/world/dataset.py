"""`World`: a built world directory, read back as the dataclasses of `synvita.data.types`.

    world = load_world("runs/.../world")
    bank, pairs = world.split("train")          # VideoBank (memmap frames), PairSet
    bank, rows = world.pretrain                 # VideoBank, EntailmentSet
    bank, bench = world.benchmark("qa-hard")    # VideoBank, EntailmentSet | RetrievalSet | QASet
"""

from __future__ import annotations

import json
from functools import cached_property
from pathlib import Path
from typing import Any

import numpy as np

from synvita.data.cache import bank_rows, load_bank
from synvita.data.manifest import as_bool, read_csv
from synvita.data.types import EntailmentSet, PairSet, QASet, RetrievalSet, VideoBank
from synvita.errors import NotFoundError, UnknownNameError, UserInputError
from synvita.world import captions
from synvita.world.config import WorldConfig
from synvita.world.layout import BANKS, BENCHMARK_BANK, BENCHMARKS, FORMAT_VERSION, WORLD_FILE
from synvita.world.scene import Scene


class World:
    """A built world on disk. Banks are memory-mapped; sets are parsed on first use."""

    def __init__(self, root: str | Path) -> None:
        self.root = Path(root)
        meta_path = self.root / WORLD_FILE
        if not meta_path.exists():
            raise NotFoundError(
                f"no world at {self.root} ({WORLD_FILE} missing)", hint="build one with `synvita world build --out DIR`"
            )
        self.meta: dict[str, Any] = json.loads(meta_path.read_text())
        if self.meta.get("format") != FORMAT_VERSION:
            raise UserInputError(
                f"the world at {self.root} has format {self.meta.get('format')}, this synvita reads format {FORMAT_VERSION}",
                hint=f"rebuild it: synvita world build --preset {self.meta.get('preset', 'quickstart')} --out {self.root}",
            )
        self.config = WorldConfig.from_dict(self.meta["config"])
        self.seed = int(self.meta["seed"])
        self._banks: dict[str, VideoBank] = {}

    def __repr__(self) -> str:
        return f"World({self.root}, preset={self.config.name!r}, seed={self.seed})"

    # vocabulary and metadata ---------------------------------------------------------------------------------------
    def vocabulary(self) -> list[str]:
        """Every word any caption family of this world can produce (sorted)."""
        return list(self.meta.get("vocabulary") or captions.vocabulary())

    def benchmark_names(self) -> list[str]:
        return list(BENCHMARKS)

    def bank(self, name: str) -> VideoBank:
        if name not in BANKS:
            raise UnknownNameError(f"unknown video bank '{name}'", hint=f"banks: {', '.join(BANKS)}")
        if name not in self._banks:
            self._banks[name] = load_bank(self.root / name)
        return self._banks[name]

    def video_meta(self, bank: str) -> list[dict[str, str]]:
        """videos.csv rows of a bank: id, videopath, caption (canonical), scene (JSON), held_out, domain, ..."""
        return bank_rows(self.root / bank)

    def scenes(self, bank: str) -> list[Scene]:
        """Ground-truth scene graph per video of a bank."""
        return [Scene.from_json(r["scene"]) for r in self.video_meta(bank)]

    def rows(self, set_name: str) -> list[dict[str, str]]:
        """Raw manifest rows of a set (strings), including analysis columns (held-out flags, edit details)."""
        path = self.root / "sets" / f"{set_name}.csv"
        if not path.exists():
            raise UnknownNameError(f"unknown world set '{set_name}'", hint=f"sets: {', '.join(sorted(self.meta['sets']))}")
        return read_csv(path)

    # the datasets --------------------------------------------------------------------------------------------------
    @cached_property
    def pretrain(self) -> tuple[VideoBank, EntailmentSet]:
        """The broad pretraining corpus: every concept, real and synthetic looks, simple negatives."""
        return self.bank("pretrain"), _entailment(self.rows("pretrain"))

    def split(self, name: str) -> tuple[VideoBank, PairSet]:
        """A VideoCon-like pair split: "train" | "val" | "test" (or "human": entail-human's pairs, paraphrased)."""
        if name not in ("train", "val", "test", "human"):
            raise UnknownNameError(f"unknown split '{name}'", hint="splits: train, val, test (and human)")
        rows = self.rows(name)
        pairs = PairSet(
            video=np.array([int(r["video"]) for r in rows], dtype=np.int64),
            caption_pos=[r["caption"] for r in rows],
            caption_neg=[r["neg_caption"] for r in rows],
            misalignment=[r["misalignment"] for r in rows],
        )
        return self.bank(name), pairs

    def pair_flags(self, name: str) -> dict[str, np.ndarray]:
        """Per pair of a split ("train", "val", "test", "human"): bool arrays hard, action_opposite (the contrast
        reverses an action: the direction test), held_out_video, held_out_neg."""
        rows = self.rows(name)
        keys = ("hard", "action_opposite", "held_out_video", "held_out_neg")
        return {k: np.array([as_bool(r[k]) for r in rows], dtype=bool) for k in keys}

    def row_flags(self, set_name: str, key: str) -> np.ndarray:
        """A bool column of any set's manifest, e.g. row_flags("entail-llm", "action_opposite")."""
        return np.array([as_bool(r[key]) for r in self.rows(set_name)], dtype=bool)

    def benchmark(self, name: str) -> tuple[VideoBank, EntailmentSet | RetrievalSet | QASet]:
        if name not in BENCHMARKS:
            raise UnknownNameError(f"unknown benchmark '{name}'", hint=f"benchmarks: {', '.join(BENCHMARKS)}")
        bank = self.bank(BENCHMARK_BANK[name])
        rows = self.rows(name)
        if name.startswith("entail"):
            return bank, _entailment(rows)
        if name.startswith("retrieval"):
            queries: dict[int, str] = {}
            for r in rows:
                queries.setdefault(int(r["query"]), r["caption"])
            n = len(bank)
            relevant = np.zeros((len(queries), n), dtype=bool)
            for r in rows:
                if as_bool(r["match"]):
                    relevant[int(r["query"]), int(r["video"])] = True
            return bank, RetrievalSet(
                queries=[queries[q] for q in range(len(queries))],
                gallery=np.arange(n, dtype=np.int64),
                relevant=relevant,
            )
        by_q: dict[int, list[dict[str, str]]] = {}
        for r in rows:
            by_q.setdefault(int(r["question_id"]), []).append(r)
        qids = sorted(by_q)
        return bank, QASet(
            video=np.array([int(by_q[q][0]["video"]) for q in qids], dtype=np.int64),
            statements=[[r["caption"] for r in sorted(by_q[q], key=lambda r: int(r["option"]))] for q in qids],
            answer=np.array([int(by_q[q][0]["answer"]) for q in qids], dtype=np.int64),
            qtype=[by_q[q][0]["type"] for q in qids],
        )

    # the original layouts (`synvita world export`, `synvita export`) -----------------------------------------------
    def benchmark_video_paths(self, name: str) -> list[str]:
        """Per bank index of benchmark `name`: the clip's path in the exported original layout (one mp4 per clip)."""
        from synvita.world.original import video_path

        bank = BENCHMARK_BANK[name]
        return [video_path(bank, vid) for vid in self.bank(bank).ids]

    def benchmark_questions(self, name: str) -> list[str]:
        """qa-hard: the question text per QASet row."""
        return [r["question"] for r in self.rows(name) if r["option"] == "0"]

    def benchmark_types(self, name: str) -> list[str]:
        """qa-hard: the NExT-QA question type per QASet row (`synvita.world.original.qa_types`)."""
        from synvita.world.original import qa_types

        _, qa = self.benchmark(name)
        return qa_types(qa.statements, qa.answer)


def _entailment(rows: list[dict[str, str]]) -> EntailmentSet:
    return EntailmentSet(
        video=np.array([int(r["video"]) for r in rows], dtype=np.int64),
        caption=[r["caption"] for r in rows],
        label=np.array([int(r["label"]) for r in rows], dtype=np.int64),
        misalignment=[r["misalignment"] for r in rows],
        hard=np.array([as_bool(r["hard"]) for r in rows], dtype=bool),
        held_out=np.array([as_bool(r["held_out"]) for r in rows], dtype=bool),
    )


def load_world(root: str | Path) -> World:
    """Open a world directory written by `build_world`."""
    return World(root)
