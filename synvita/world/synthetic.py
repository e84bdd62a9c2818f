"""Synthetic videos V^s = G(t^s) for every pair of a split, stored like a bank, read back as a `SyntheticSet`.

Directory (written by `synvita.generators.synthesize`):
    synthetic.json          generator, profile, seed, split, counts, faithful rate, sha256
    frames.npy, videos.csv  the bank of synthetic clips (mp4 shards or one file per clip next to them)
    manifest.csv            one row per pair: pair_index, video, videopath, prompt (t^s), reference (t^r),
                            rendered_caption, faithful, failed, misalignment, generator, profile
                            (faithful/failed are empty where the generator does not know: every real model)
    videocon_train.csv      SynViTA's training layout: videopath, caption, label, misalignment, domain, syn_video
    generated/              a real generator's full-size mp4s (one per video), when it made them
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from synvita.data.cache import load_bank
from synvita.data.manifest import as_bool, read_csv
from synvita.data.types import VideoBank
from synvita.errors import NotFoundError

SYNTHETIC_FILE = "synthetic.json"
GENERATED_DIR = "generated"
"""Sub-directory of a synthetic set holding a real generator's full-size mp4s (`generate_to_dir`'s layout)."""
GENERATED_OPTIONS = "generator.json"
"""What made the videos in `generated/` (generator settings + seed); a resumed run must match it."""


@dataclass
class SyntheticSet:
    bank: VideoBank
    pair_index: np.ndarray
    """int64 [P]: index into `bank` of the synthetic video for train pair p, -1 where none."""
    faithful: np.ndarray
    """bool [P]: ground truth, did the video follow its prompt t^s (False where none)."""
    rendered_caption: list[str]
    """[P] canonical caption of what was actually rendered ("" where none)."""
    generator: str
    profile: str
    failed: np.ndarray | None = None
    """bool [P]: a semantic failure was drawn."""
    misalignment: list[str] | None = None
    faithful_known: np.ndarray | None = None
    """bool [P]: `faithful`/`failed` are ground truth here (procedural world); False for real generators, whose
    faithfulness nobody knows (their `faithful` is then False and means nothing). None: known everywhere."""

    def __len__(self) -> int:
        return len(self.pair_index)

    def faithful_or_none(self, p: int) -> bool | None:
        """Ground-truth faithfulness of pair p's video, None where unknown (real generators, or no video)."""
        if self.pair_index[p] < 0 or (self.faithful_known is not None and not self.faithful_known[p]):
            return None
        return bool(self.faithful[p])

    @property
    def knows_faithful(self) -> bool:
        """True when at least one video has a ground-truth faithful flag."""
        return self.faithful_known is None or bool(self.faithful_known.any())


def load_synthetic(out_dir: str | Path) -> SyntheticSet:
    out = Path(out_dir)
    if not (out / SYNTHETIC_FILE).exists():
        raise NotFoundError(f"no synthetic set at {out} ({SYNTHETIC_FILE} missing)", hint="run the generate stage first")
    meta = json.loads((out / SYNTHETIC_FILE).read_text())
    rows = read_csv(out / "manifest.csv")
    n = len(rows)
    pair_index = np.full(n, -1, dtype=np.int64)
    faithful = np.zeros(n, dtype=bool)
    known = np.zeros(n, dtype=bool)
    failed = np.zeros(n, dtype=bool)
    rendered = [""] * n
    mis = [""] * n
    for r in rows:
        p = int(r["pair_index"])
        pair_index[p] = int(r["video"])
        faithful[p] = as_bool(r["faithful"])
        known[p] = r["faithful"] != ""
        failed[p] = as_bool(r["failed"])
        rendered[p] = r["rendered_caption"]
        mis[p] = r["misalignment"]
    return SyntheticSet(
        bank=load_bank(out),
        pair_index=pair_index,
        faithful=faithful,
        rendered_caption=rendered,
        generator=meta["generator"],
        profile=meta["profile"],
        failed=failed,
        misalignment=mis,
        faithful_known=known,
    )


