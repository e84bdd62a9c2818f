"""What a built world directory holds: its metadata file, format version, video banks and benchmark sets.

`build` writes this layout and `dataset` reads it; both take the names from here.
"""

from synvita.benchmarks.world import WORLD_BENCHMARKS

WORLD_FILE = "world.json"
"""Config, seed, vocabulary, sizes and the sha256 of every manifest and frame cache."""

FORMAT_VERSION = 2
"""Bumped when a world directory from an older synvita can no longer be read (2: symmetric grows/shrinks)."""

BANKS = ("pretrain", "train", "val", "test", "human", "retrieval-temporal", "retrieval-events", "qa-hard")
"""Video banks, one folder each (`<bank>/frames.npy`, `<bank>/videos.csv`, mp4s)."""

PAIR_SPLITS = ("train", "val", "test")
"""Banks whose set is a list of (video, caption, contrast caption) training pairs."""

BENCHMARKS = WORLD_BENCHMARKS
"""The benchmark sets every world holds: one per world benchmark of synvita.benchmarks.world."""
BENCHMARK_BANK = {
    "entail-llm": "test",
    "entail-human": "human",
    "entail-human-hard": "human",
    "retrieval-temporal": "retrieval-temporal",
    "retrieval-events": "retrieval-events",
    "qa-hard": "qa-hard",
}
"""The bank each benchmark's clips live in."""
