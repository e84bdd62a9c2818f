"""The built world: determinism, the linguistic-bias construction, benchmark structure, storage."""

import json
from dataclasses import replace

import numpy as np
import pytest

from synvita.data.cache import load_bank
from synvita.data.manifest import file_sha256
from synvita.data.video_io import read_mp4
from synvita.errors import NotFoundError, UnknownNameError, UserInputError
from synvita.world import build_world, canonical, load_world, parse
from synvita.world.build import BENCHMARKS, qa_candidates
from synvita.world.captions import tokenize
from synvita.world.scene import RETRIEVAL_TEMPORAL_ACTIONS, Scene

SMALL = {"n_pretrain": 12, "n_train": 21, "n_val": 7, "n_test": 14, "n_human": 14, "retrieval_temporal_queries": 6,
         "retrieval_events_queries": 2, "retrieval_positives": 2, "qa_questions": 3}


def _digest(root):
    meta = json.loads((root / "world.json").read_text())
    return {k: file_sha256(root / k) for k in meta["sha256"]}, meta["sha256"]


def test_same_preset_and_seed_give_identical_manifests_and_frames(tmp_path):
    a = build_world("tiny", 3, tmp_path / "a", overrides=SMALL)
    b = build_world("tiny", 3, tmp_path / "b", overrides=SMALL)
    c = build_world("tiny", 4, tmp_path / "c", overrides=SMALL)
    da, recorded = _digest(a.root)
    db, _ = _digest(b.root)
    dc, _ = _digest(c.root)
    assert da == db == recorded
    assert da["train/frames.npy"] != dc["train/frames.npy"]
    assert da["sets/train.csv"] != dc["sets/train.csv"]


def test_held_out_concepts_only_in_training_negatives(tiny_world):
    cfg = tiny_world.config
    for split in ("train", "val"):
        _, pairs = tiny_world.split(split)
        for pos in pairs.caption_pos:
            assert not (parse(pos).concepts() & cfg.held_out), pos
        for scene in tiny_world.scenes(split):
            assert not (scene.concepts() & cfg.held_out)
        flags = tiny_world.pair_flags(split)
        assert not flags["held_out_video"].any()
    _, train = tiny_world.split("train")
    in_negatives = [n for n in train.caption_neg if parse(n).concepts() & cfg.held_out]
    assert len(in_negatives) >= 0.1 * len(train)
    for bench in ("entail-llm", "entail-human"):
        _, rows = tiny_world.benchmark(bench)
        positives_with_held_out = (rows.label == 1) & rows.held_out
        assert positives_with_held_out.sum() >= 0.15 * (rows.label == 1).sum(), bench


def test_pair_splits_are_type_balanced_and_rows_are_consistent(tiny_world):
    bank, pairs = tiny_world.split("train")
    counts = {t: pairs.misalignment.count(t) for t in set(pairs.misalignment)}
    assert len(counts) == 7 and max(counts.values()) - min(counts.values()) <= 1
    scenes = tiny_world.scenes("train")
    for v, pos in zip(pairs.video, pairs.caption_pos):
        assert parse(pos) == scenes[v]
    # by default (train_paraphrase_share = 0) every training caption is canonical
    assert all(canonical(parse(c)) == c for c in pairs.caption_pos + pairs.caption_neg)
    assert bank.frames.shape == (len(bank), 8, 32, 32, 3) and bank.frames.dtype == np.uint8


def test_entailment_benchmarks(tiny_world):
    _, llm = tiny_world.benchmark("entail-llm")
    assert set(llm.label.tolist()) == {0, 1} and len(llm.caption) == 2 * tiny_world.meta["banks"]["test"]
    _, human = tiny_world.benchmark("entail-human")
    _, hard = tiny_world.benchmark("entail-human-hard")
    assert 0 < len(hard.caption) < len(human.caption) and hard.hard.all()
    assert set(hard.misalignment) <= {"flip", "relation", "action"}
    opposite = tiny_world.row_flags("entail-human", "action_opposite")
    assert opposite.any() and set(np.array(human.misalignment)[opposite]) == {"action"}
    assert (human.hard[opposite]).all()
    vocab = set(tiny_world.vocabulary())
    assert all(set(tokenize(c)) <= vocab for c in human.caption)
    canonical_llm = set(llm.caption)
    assert sum(c not in canonical_llm for c in human.caption) > 0.9 * len(human.caption)


@pytest.mark.parametrize("name", ["retrieval-temporal", "retrieval-events"])
def test_retrieval_structure_content_alone_cannot_win(tiny_world, name):
    cfg = tiny_world.config
    bank, ret = tiny_world.benchmark(name)
    q = cfg.retrieval_temporal_queries if name == "retrieval-temporal" else cfg.retrieval_events_queries
    assert ret.relevant.shape == (q, len(bank)) == (q, q * cfg.retrieval_positives)
    assert (ret.relevant.sum(axis=1) == cfg.retrieval_positives).all()
    assert (ret.relevant.sum(axis=0) == 1).all()
    scenes = tiny_world.scenes(name)
    siblings = len(RETRIEVAL_TEMPORAL_ACTIONS) if name == "retrieval-temporal" else 2
    for i in range(0, q, siblings):  # the queries of one base content differ only in time
        first, *others = (parse(c) for c in ret.queries[i : i + siblings])
        if name == "retrieval-events":
            assert others == [replace(first, groups=first.groups[::-1])] and first.link == "then"
        else:
            assert [s.groups[0].action for s in (first, *others)] == list(RETRIEVAL_TEMPORAL_ACTIONS)
            assert all(replace(s, groups=(first.groups[0], *s.groups[1:])) == first for s in others)
        for j, row in enumerate(ret.relevant[i : i + siblings], start=i):
            assert all(scenes[v] == parse(ret.queries[j]) for v in np.flatnonzero(row))


def test_qa_hard_has_five_statements_one_correct(tiny_world):
    bank, qa = tiny_world.benchmark("qa-hard")
    scenes = tiny_world.scenes("qa-hard")
    assert len(qa.statements) == tiny_world.config.qa_questions
    for v, options, answer in zip(qa.video, qa.statements, qa.answer):
        assert len(options) == 5 and len(set(options)) == 5
        parsed = [parse(o) for o in options]
        assert [p == scenes[v] for p in parsed].count(True) == 1 and parsed[answer] == scenes[v]
        temporal_variants = qa_candidates(scenes[v])
        assert all(p in temporal_variants for p in parsed)  # distractors differ only in order / direction


def test_mp4_files_decode_to_the_frame_cache(tiny_world):
    rows = tiny_world.video_meta("val")
    bank = load_bank(tiny_world.root / "val")
    for i in (0, len(rows) - 1):
        r = rows[i]
        frames = read_mp4(tiny_world.root / r["videopath"], int(r["frame_start"]), int(r["frame_count"]))
        assert np.array_equal(frames, bank.frames[i])


def test_per_video_layout_writes_one_mp4_per_clip_and_rebuilds_replace_old_files(tmp_path):
    w = build_world("tiny", 0, tmp_path / "w", overrides={**SMALL, "video_layout": "per-video", "codec": "h264-444"})
    bank = w.bank("val")
    assert len(set(bank.paths)) == len(bank) and all(p.endswith(".mp4") for p in bank.paths)
    frames = read_mp4(w.root / bank.paths[0])
    assert np.abs(frames.astype(int) - bank.frames[0]).max() <= 2
    w2 = build_world("tiny", 0, tmp_path / "w", overrides=SMALL)
    assert sorted(p.name for p in (w2.root / "val").glob("*.mp4")) == ["shard-00000.mp4"]


def test_bad_names_and_paths(tmp_path, tiny_world):
    with pytest.raises(UnknownNameError) as info:
        build_world("no-such-preset", 0, tmp_path / "x")
    assert "quickstart" in info.value.one_line() and "paper" in info.value.one_line()
    blocker = tmp_path / "file"
    blocker.write_text("")
    with pytest.raises(UserInputError, match="cannot write"):
        build_world("tiny", 0, blocker / "sub", overrides=SMALL)
    with pytest.raises(NotFoundError):
        load_world(tmp_path / "nothing")
    with pytest.raises(UnknownNameError) as info:
        tiny_world.benchmark("nope")
    assert "qa-hard" in info.value.one_line()
    assert tiny_world.benchmark_names() == list(BENCHMARKS)


def test_pretrain_corpus_mixes_looks_and_uses_simple_negatives(tiny_world):
    bank, rows = tiny_world.pretrain
    assert set(rows.misalignment) <= {"none", "random", "object", "attribute", "action", "count", "relation"}
    domains = {r["domain"] for r in tiny_world.video_meta("pretrain")}
    assert domains == {"real", "synthetic"}
    assert rows.held_out.any()
    assert isinstance(Scene.from_json(tiny_world.video_meta("pretrain")[0]["scene"]), Scene)


def test_a_share_of_training_pairs_can_be_worded_as_paraphrases(tiny_world_builder, tmp_path):
    """`train_paraphrase_share`: that share of the training pairs is worded as paraphrases, both captions alike;
    val and test stay canonical."""
    world = tiny_world_builder(tmp_path, train_paraphrase_share=0.25)
    pairs = world.split("train")[1]
    worded = [canonical(parse(c)) != c for c in pairs.caption_pos]
    assert 0.1 * len(pairs) < sum(worded) < 0.5 * len(pairs)
    assert all((canonical(parse(n)) != n) == w for n, w in zip(pairs.caption_neg, worded))
    for split in ("val", "test"):
        assert all(canonical(parse(c)) == c for c in world.split(split)[1].caption_pos)
