"""Build the world: every split and benchmark, rendered, stored (frames cache + mp4 + manifests) under one directory.

Every item i of split s is drawn from its own stream `default_rng([seed, code(s), i])`, so the same preset and seed
give byte-identical manifests and frames, and sizes can change without reshuffling the other items.

Layout of a world directory:
    world.json                      config, seed, vocabulary, sizes, sha256 of every manifest and frame cache
    <bank>/frames.npy, videos.csv   a video bank (pretrain, train, val, test, human, retrieval-temporal, ...)
    <bank>/*.mp4                    the same clips as H.264 (shards or one file per clip)
    sets/<name>.csv                 pretrain, train, val, test, entail-*, retrieval-*, qa-hard rows
"""

from __future__ import annotations

import json
import shutil
import time
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import Any, Callable

import numpy as np

from synvita.data.cache import FRAMES_FILE, write_bank
from synvita.data.manifest import file_sha256, write_csv
from synvita.data.types import MISALIGNMENT_TYPES
from synvita.errors import UserInputError
from synvita.world import captions
from synvita.world.config import WorldConfig, resolve_config
from synvita.world.dataset import load_world
from synvita.world.edits import KIND_FOR_TYPE, is_hard, make_edit
from synvita.world.layout import BANKS, BENCHMARKS, FORMAT_VERSION, WORLD_FILE
from synvita.world.layout import BENCHMARK_BANK  # noqa: F401  (re-exported: synvita.training.pipeline reads it here)
from synvita.world.render import LayoutError, SyntheticLook, render
from synvita.world.sampling import contains_held_out, pick_kind, sample_scene
from synvita.world.scene import OPPOSITE_ACTION, RETRIEVAL_TEMPORAL_ACTIONS, Scene

SPLIT_CODES = {name: code for code, name in enumerate(BANKS, start=1)}
"""Each bank's code in the per-item random stream `default_rng([seed, code, index])`."""
SIMPLE_PRETRAIN_EDITS = ("object", "attribute", "action", "count", "relation")

Progress = Callable[[int, int, str], None]


def item_rng(seed: int, split: str, index: int) -> np.random.Generator:
    return np.random.default_rng([int(seed), SPLIT_CODES[split], int(index)])


class _Bank:
    """Clips of one bank, written straight into `<out>/<name>/frames.npy` (a memmap; no big arrays in memory)."""

    def __init__(self, name: str, n: int, cfg: WorldConfig, out: Path) -> None:
        self.name = name
        self.ids: list[str] = []
        self.meta: list[dict[str, Any]] = []
        (out / name).mkdir(parents=True, exist_ok=True)
        self.frames = np.lib.format.open_memmap(
            out / name / FRAMES_FILE, mode="w+", dtype=np.uint8, shape=(n, cfg.frames, cfg.height, cfg.width, 3)
        )

    def add(self, frames: np.ndarray, scene: Scene, cfg: WorldConfig, **meta: Any) -> int:
        index = len(self.ids)
        self.ids.append(f"{self.name}_{index:06d}")
        self.frames[index] = frames
        self.meta.append(
            {
                "caption": captions.canonical(scene),
                "scene": scene.to_json(),
                "held_out": contains_held_out(scene, cfg),
                **meta,
            }
        )
        return index


def _render_retry(scene_fn, rng, cfg, look=None):
    """Sample a scene with scene_fn(rng) and render it; resample the scene when no layout fits."""
    for _ in range(200):
        out = scene_fn(rng)
        scene = out[0] if isinstance(out, tuple) else out
        try:
            return out, render(scene, cfg, rng, look=look)
        except LayoutError:
            continue
    raise UserInputError(
        f"could not lay out a scene in 200 tries on a {cfg.height}x{cfg.width} clip",
        hint="lower big_px, motion_px, size_change or relation_min_sep_px, or raise height/width",
    )


# items -------------------------------------------------------------------------------------------------------------
def _pair_item(cfg: WorldConfig, seed: int, split: str, i: int, paraphrased: bool, held_out_share: float):
    rng = item_rng(seed, split, i)
    etype = MISALIGNMENT_TYPES[i % len(MISALIGNMENT_TYPES)]
    want_held = rng.random() < held_out_share
    p_opposite = 0.5 if split == "human" else None

    def scene_fn(r):
        while True:
            kind = pick_kind(r, cfg, KIND_FOR_TYPE[etype])
            scene = sample_scene(r, cfg, kind, allow_held_out=want_held, require_held_out=want_held)
            edit = make_edit(scene, etype, r, cfg, p_action_opposite=p_opposite)
            if edit is not None:
                return scene, edit

    (scene, edit), frames = _render_retry(scene_fn, rng, cfg)
    if split == "train" and not paraphrased:  # drawn after rendering: the scenes and frames do not depend on it
        paraphrased = rng.random() < cfg.train_paraphrase_share
    if paraphrased:  # the same word choices for both, so the negative differs where the edit is (as a human's would)
        words = int(rng.integers(2**32))
        pos = captions.paraphrase(scene, np.random.default_rng(words))
        neg = captions.paraphrase(edit.scene, np.random.default_rng(words))
    else:
        pos, neg = captions.canonical(scene), edit.caption
    return {
        "scene": scene,
        "frames": frames,
        "caption": pos,
        "neg_caption": neg,
        "misalignment": etype,
        "hard": is_hard(etype, edit.detail),
        "action_opposite": etype == "action" and OPPOSITE_ACTION.get(edit.detail.get("old")) == edit.detail.get("new"),
        "held_out_video": contains_held_out(scene, cfg),
        "held_out_neg": contains_held_out(edit.scene, cfg),
        "neg_scene": edit.scene.to_json(),
        "edit": edit.detail,
    }


def _pretrain_item(cfg: WorldConfig, seed: int, i: int):
    rng = item_rng(seed, "pretrain", i)
    synthetic = rng.random() < cfg.pretrain_synthetic_share
    look = SyntheticLook(strength=float(rng.uniform(0, 1))) if synthetic else None
    para = rng.random() < cfg.pretrain_paraphrase_share
    scene, frames = _render_retry(lambda r: sample_scene(r, cfg), rng, cfg, look=look)
    words = int(rng.integers(2**32))  # paraphrases of one video share word choices (negatives differ by the edit)
    text = (lambda s: captions.paraphrase(s, np.random.default_rng(words))) if para else captions.canonical
    other = sample_scene(rng, cfg)
    while other == scene:
        other = sample_scene(rng, cfg)
    edit = None
    for etype in rng.permutation(SIMPLE_PRETRAIN_EDITS):
        edit = make_edit(scene, str(etype), rng, cfg)
        if edit is not None:
            break
    rows = [(text(scene), 1, "none"), (text(other), 0, "random")]
    if edit is not None:
        rows.append((text(edit.scene), 0, edit.type))
    return scene, frames, rows, ("synthetic" if synthetic else "real"), (look.strength if look else 0.0)


# builders ----------------------------------------------------------------------------------------------------------
def _build_pairs(cfg, seed, split, n, out: Path, progress: Progress, paraphrased=False, held_out_share=0.0):
    bank = _Bank(split, n, cfg, out)
    rows = []
    for i in range(n):
        item = _pair_item(cfg, seed, split, i, paraphrased, held_out_share)
        v = bank.add(item["frames"], item["scene"], cfg, domain="real")
        rows.append(
            {
                "video": v,
                "videopath": "",
                "caption": item["caption"],
                "neg_caption": item["neg_caption"],
                "misalignment": item["misalignment"],
                "split": split,
                "hard": item["hard"],
                "action_opposite": item["action_opposite"],
                "held_out_video": item["held_out_video"],
                "held_out_neg": item["held_out_neg"],
                "neg_scene": item["neg_scene"],
                "edit": item["edit"],
            }
        )
        if (i + 1) % 500 == 0 or i + 1 == n:
            progress(i + 1, n, f"render {split}")
    return bank, rows


def _entail_rows(pair_rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    out = []
    for p in pair_rows:
        for caption, label, held in (
            (p["caption"], 1, p["held_out_video"]),
            (p["neg_caption"], 0, p["held_out_video"] or p["held_out_neg"]),
        ):
            out.append(
                {
                    "video": p["video"],
                    "videopath": p["videopath"],
                    "caption": caption,
                    "label": label,
                    "misalignment": p["misalignment"],
                    "hard": p["hard"],
                    "held_out": held,
                    "action_opposite": p["action_opposite"],
                }
            )
    return out


def _build_pretrain(cfg, seed, out, progress):
    n = cfg.n_pretrain
    bank = _Bank("pretrain", n, cfg, out)
    rows = []
    for i in range(n):
        scene, frames, caps, domain, strength = _pretrain_item(cfg, seed, i)
        v = bank.add(frames, scene, cfg, domain=domain, look_strength=round(strength, 4))
        held_video = contains_held_out(scene, cfg)
        for caption, label, mis in caps:
            rows.append(
                {
                    "video": v,
                    "videopath": "",
                    "caption": caption,
                    "label": label,
                    "misalignment": mis,
                    "hard": False,
                    "held_out": held_video or contains_held_out(captions.parse(caption), cfg),
                    "domain": domain,
                }
            )
        if (i + 1) % 500 == 0 or i + 1 == n:
            progress(i + 1, n, "render pretrain")
    return bank, rows


def _variants_retrieval(kind: str, scene: Scene) -> list[Scene]:
    """The queries of one base content: its two event orders (events), or its first object taking each of the
    retrieval-temporal actions (temporal). Either way content alone cannot tell a query's videos from its siblings'."""
    if kind == "events":
        return [scene, Scene(groups=scene.groups[::-1], link="then")]
    return [scene.with_group(0, action=a) for a in RETRIEVAL_TEMPORAL_ACTIONS]


def _build_retrieval(cfg, seed, name, kind, n_queries, out, progress):
    """Q queries (per base content: both event orders, or six actions of its first object, in three twins of
    opposites) × Q·K gallery, K positives each."""
    k = cfg.retrieval_positives
    bank = _Bank(name, n_queries * k, cfg, out)
    queries: list[str] = []
    query_scenes: list[Scene] = []
    base = 0
    while len(queries) < n_queries:
        if base > 200 * n_queries:
            raise UserInputError(
                f"could not find enough distinct renderable {name} bases for {n_queries} queries",
                hint="lower the query count or relax big_px / motion_px / size_change",
            )
        rng = item_rng(seed, name, 100000 + base)
        base += 1
        if kind == "events":
            scene = sample_scene(rng, cfg, "then")
        else:
            scene = sample_scene(rng, cfg, str(rng.choice(["single", "and"])), allow_held_out=False)
        variants = _variants_retrieval(kind, scene)
        caps = [captions.canonical(s) for s in variants]
        if len(set(caps)) < len(caps) or any(c in queries for c in caps):
            continue
        try:  # every variant must be renderable
            for s in variants:
                render(s, cfg, np.random.default_rng(0))
        except LayoutError:
            continue
        queries.extend(caps)
        query_scenes.extend(variants)
    order = item_rng(seed, name, 0).permutation(n_queries * k)  # gallery slot → (query, copy)
    video_query = np.empty(n_queries * k, dtype=np.int64)
    for slot, j in enumerate(order):
        q, copy = divmod(int(j), k)
        rng = item_rng(seed, name, 1 + int(j))
        frames = None
        for _ in range(20):
            try:
                frames = render(query_scenes[q], cfg, rng)
                break
            except LayoutError:
                continue
        if frames is None:  # the scene rendered once when it was chosen; allow touching objects as a last resort
            frames = render(query_scenes[q], cfg, rng, relax_on_failure=True)
        bank.add(frames, query_scenes[q], cfg, domain="real", query=q)
        video_query[slot] = q
    progress(len(bank.ids), len(bank.ids), f"render {name}")
    relevant = video_query[None, :] == np.arange(n_queries)[:, None]  # [Q, N]
    rows = []
    for q, caption in enumerate(queries):
        for v in range(len(bank.ids)):
            rows.append({"query": q, "video": v, "videopath": "", "caption": caption, "match": bool(relevant[q, v])})
    return bank, rows


def qa_candidates(scene: Scene) -> list[Scene]:
    """The 8 temporal variants of a "then" scene: {original, flipped} × {as is, event 1 reversed, event 2
    reversed, both reversed}; index 0 is the original."""
    out = []
    for flip in (False, True):
        for rev in ((), (0,), (1,), (0, 1)):
            s = scene
            for i in rev:
                s = s.with_group(i, action=OPPOSITE_ACTION[s.groups[i].action])
            if flip:
                s = Scene(groups=s.groups[::-1], link="then")
            out.append(s)
    return out


def _build_qa(cfg, seed, out, progress):
    bank = _Bank("qa-hard", cfg.qa_questions, cfg, out)
    rows = []
    for i in range(cfg.qa_questions):
        rng = item_rng(seed, "qa-hard", i)
        scene, frames = _render_retry(lambda r: sample_scene(r, cfg, "then"), rng, cfg)
        v = bank.add(frames, scene, cfg, domain="real")
        cands = qa_candidates(scene)
        distractors = [cands[j] for j in rng.choice(np.arange(1, len(cands)), size=4, replace=False)]
        options = [scene] + distractors
        perm = rng.permutation(5)
        answer = int(np.where(perm == 0)[0][0])
        for o, j in enumerate(perm):
            rows.append(
                {
                    "question_id": i,
                    "video": v,
                    "videopath": "",
                    "question": "what happens in the video, in order?",
                    "answer": answer,
                    "option": o,
                    "caption": captions.canonical(options[int(j)]),
                    "type": "TN",
                }
            )
    progress(cfg.qa_questions, cfg.qa_questions, "render qa-hard")
    return bank, rows


# entry point -------------------------------------------------------------------------------------------------------
def check_writable(out_dir: Path) -> None:
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
        probe = out_dir / ".write-probe"
        probe.write_text("ok")
        probe.unlink()
    except OSError as exc:
        raise UserInputError(
            f"cannot write to output directory {out_dir}: {exc.strerror or exc}",
            hint="choose a writable directory with --out",
        ) from None


def build_world(
    config_or_preset: WorldConfig | str,
    seed: int = 0,
    out_dir: str | Path = "world",
    progress: Progress | None = None,
    overrides: dict[str, Any] | None = None,
):
    """Render every split and benchmark of the world into out_dir and return the loaded `World`."""
    cfg = resolve_config(config_or_preset, overrides)
    out = Path(out_dir)
    check_writable(out)
    if (out / WORLD_FILE).exists():  # rebuilding a world: drop its old files first (nothing else is touched)
        (out / WORLD_FILE).unlink()
        for sub in (*BANKS, "sets"):
            shutil.rmtree(out / sub, ignore_errors=True)
    say: Progress = progress or (lambda done, total, msg: None)
    t0 = time.perf_counter()
    (out / "sets").mkdir(exist_ok=True)

    sets: dict[str, list[dict[str, Any]]] = {}
    human_pairs: list[dict[str, Any]] = []
    builders: list[tuple[str, Callable[[], tuple[_Bank, list[dict[str, Any]]]]]] = [
        ("pretrain", lambda: _build_pretrain(cfg, seed, out, say)),
        ("train", lambda: _build_pairs(cfg, seed, "train", cfg.n_train, out, say)),
        ("val", lambda: _build_pairs(cfg, seed, "val", cfg.n_val, out, say)),
        ("test", lambda: _build_pairs(cfg, seed, "test", cfg.n_test, out, say, held_out_share=cfg.test_held_out_share)),
        ("human", lambda: _build_pairs(
            cfg, seed, "human", cfg.n_human, out, say, paraphrased=True, held_out_share=cfg.human_held_out_share
        )),
        ("retrieval-temporal", lambda: _build_retrieval(
            cfg, seed, "retrieval-temporal", "temporal", cfg.retrieval_temporal_queries, out, say
        )),
        ("retrieval-events", lambda: _build_retrieval(
            cfg, seed, "retrieval-events", "events", cfg.retrieval_events_queries, out, say
        )),
        ("qa-hard", lambda: _build_qa(cfg, seed, out, say)),
    ]

    def encode(bank: _Bank) -> list[str]:
        bank.frames.flush()
        return write_bank(
            out / bank.name, out, bank.ids, bank.frames, bank.meta,
            layout=cfg.video_layout, shard_size=cfg.shard_size, codec=cfg.codec, fps=cfg.fps,
        )

    # Encoding a bank (PyAV/x264 release the GIL) overlaps with rendering the next one; progress is reported from
    # this thread only, so event lines never interleave.
    encoded: dict[str, Future] = {}
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="world-encode") as pool:
        for name, builder in builders:
            bank, rows = builder()
            if name == "human":
                human_pairs = rows
            else:
                sets[name] = rows
            encoded[name] = pool.submit(encode, bank)
        render_s = time.perf_counter() - t0
        paths: dict[str, list[str]] = {}
        for k, name in enumerate(BANKS):
            paths[name] = encoded[name].result()
            say(k + 1, len(BANKS), f"encoded {name}")
    encode_s = time.perf_counter() - t0 - render_s

    for name in ("pretrain", "train", "val", "test"):
        for row in sets[name]:
            row["videopath"] = paths[name][row["video"]]
    for p in human_pairs:
        p["videopath"] = paths["human"][p["video"]]
    sets["entail-llm"] = _entail_rows(sets["test"])
    sets["entail-human"] = _entail_rows(human_pairs)
    sets["entail-human-hard"] = [r for r in sets["entail-human"] if r["hard"]]
    sets["human"] = human_pairs
    for name in ("retrieval-temporal", "retrieval-events", "qa-hard"):
        for row in sets[name]:
            row["videopath"] = paths[name][row["video"]]
    for name, rows in sets.items():
        write_csv(out / "sets" / f"{name}.csv", rows)

    hashes = {f"sets/{n}.csv": file_sha256(out / "sets" / f"{n}.csv") for n in sorted(sets)}
    hashes.update({f"{b}/frames.npy": file_sha256(out / b / "frames.npy") for b in BANKS})
    hashes.update({f"{b}/videos.csv": file_sha256(out / b / "videos.csv") for b in BANKS})
    meta = {
        "format": FORMAT_VERSION,
        "preset": cfg.name,
        "seed": int(seed),
        "config": cfg.to_dict(),
        "vocabulary": captions.vocabulary(),
        "banks": {b: len(paths[b]) for b in BANKS},
        "sets": {n: len(r) for n, r in sorted(sets.items())},
        "benchmarks": list(BENCHMARKS),
        "sha256": hashes,
    }
    (out / WORLD_FILE).write_text(json.dumps(meta, indent=2, sort_keys=True))
    timing = {"render_s": round(render_s, 2), "encode_wait_s": round(encode_s, 2)}
    (out / "build-info.json").write_text(json.dumps(timing, indent=2))
    say(1, 1, "world written")
    return load_world(out)
