"""The six benchmarks of the embedded world: one class and one `BenchmarkInfo` per benchmark.

    entail-llm, entail-human, entail-human-hard   ROC-AUC over (video, caption, label) rows
    retrieval-temporal, retrieval-events          text→video mAP (+ R@1/5/10) over a [Q, N] score matrix
    qa-hard                                       5-way accuracy (argmax of f over the options)
Extras on entail-llm: AUC per misalignment type (subset "type=<t>"; "id-type=<t>" on the in-distribution rows
alone: videos and captions without held-out concepts); on entail-human the bias probe (subset "held-out=yes" /
"held-out=no": rows with / without a held-out concept). Each scores the world's set of the same name.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from synvita.benchmarks.base import Benchmark, BenchmarkInfo, Result
from synvita.data.types import MISALIGNMENT_TYPES, EntailmentSet, QASet, RetrievalSet

if TYPE_CHECKING:  # annotations only; the functions import numpy, so the registry can read `info` lightly
    import numpy as np


def score_entailment(model, frames: np.ndarray, rows: EntailmentSet) -> np.ndarray:
    """f per row [R]."""
    return model.predict(frames, rows.video, rows.caption)


def score_retrieval(model, frames: np.ndarray, rs: RetrievalSet) -> np.ndarray:
    """f for every (query, gallery video) [Q, N]; each gallery video is encoded once per chunk."""
    import numpy as np
    q, n = len(rs.queries), len(rs.gallery)
    video_index = np.repeat(np.asarray(rs.gallery), q)  # video-major so chunks of videos cover all queries
    captions = [rs.queries[j] for _ in range(n) for j in range(q)]
    f = model.predict(frames, video_index, captions)
    return f.reshape(n, q).T


def score_qa(model, frames: np.ndarray, qa: QASet) -> np.ndarray:
    """f for every (question, option) [Q, 5]."""
    import numpy as np
    k = len(qa.statements[0]) if len(qa.statements) else 5
    video_index = np.repeat(np.asarray(qa.video), k)
    captions = [s for opts in qa.statements for s in opts]
    return model.predict(frames, video_index, captions).reshape(-1, k)


def entailment_results(name: str, labels: np.ndarray, scores: np.ndarray, rows: EntailmentSet, control: str | None,
                       per_type: bool, bias_probe: bool) -> list[Result]:
    import numpy as np

    from synvita.benchmarks.metrics import roc_auc

    out = [Result(name, "auc", 100.0 * roc_auc(labels, scores), None, control)]
    if per_type:
        types = np.asarray(rows.misalignment)
        in_dist = in_distribution_rows(rows)
        for t in MISALIGNMENT_TYPES:
            for prefix, rows_sel in (("type", types == t), ("id-type", (types == t) & in_dist)):
                if rows_sel.any() and len(np.unique(labels[rows_sel])) == 2:
                    auc = 100.0 * roc_auc(labels[rows_sel], scores[rows_sel])
                    out.append(Result(name, "auc", auc, f"{prefix}={t}", control))
    if bias_probe:
        held = np.asarray(rows.held_out, dtype=bool)
        for flag, sel in (("yes", held), ("no", ~held)):
            if sel.any() and len(np.unique(labels[sel])) == 2:
                out.append(Result(name, "auc", 100.0 * roc_auc(labels[sel], scores[sel]), f"held-out={flag}", control))
    return out


def in_distribution_rows(rows: EntailmentSet) -> np.ndarray:
    """bool [R]: rows of videos none of whose rows involves a held-out concept (neither the video nor any of its
    captions). The test split mixes these with held-out videos on purpose (the linguistic-bias probe, where a model
    has never seen the concept in a positive caption and cannot ground it); per-type AUC on these rows alone is
    what the model has learned to see."""
    import numpy as np
    video = np.asarray(rows.video)
    held = np.asarray(rows.held_out, dtype=bool)
    return ~np.isin(video, np.unique(video[held]))


def subset_rows(rows: EntailmentSet, sel: np.ndarray) -> EntailmentSet:
    import numpy as np
    idx = np.flatnonzero(sel)
    return EntailmentSet(
        video=np.asarray(rows.video)[idx], caption=[rows.caption[i] for i in idx], label=np.asarray(rows.label)[idx],
        misalignment=[rows.misalignment[i] for i in idx], hard=np.asarray(rows.hard)[idx],
        held_out=np.asarray(rows.held_out)[idx],
    )


class WorldEntailment(Benchmark):
    """ROC-AUC of f over the set's (video, caption, label) rows."""

    per_type = False
    """Also report the AUC per misalignment type (all rows, and in-distribution rows only)."""
    bias_probe = False
    """Also report the AUC on rows with / without a held-out concept."""

    def score(self, model: Any, frames: np.ndarray, items: EntailmentSet) -> np.ndarray:
        return score_entailment(model, frames, items)

    def results(self, scores: np.ndarray, items: EntailmentSet, control: str | None) -> list[Result]:
        import numpy as np
        return entailment_results(self.name, np.asarray(items.label), scores, items, control, per_type=self.per_type,
                                  bias_probe=self.bias_probe)

    def oracle_scores(self, items: EntailmentSet) -> np.ndarray:
        from synvita.benchmarks.reference import truth_by_pair

        return truth_by_pair([(int(v), c) for v, c in zip(items.video, items.caption)], items.label)

    def prediction_rows(self, items: EntailmentSet, video_paths: list[str], scores: np.ndarray):
        return [video_paths[int(v)] for v in items.video], list(items.caption), scores


class WorldRetrieval(Benchmark):
    """Text→video mAP and R@1/5/10 over the [Q, N] score matrix."""

    def score(self, model: Any, frames: np.ndarray, items: RetrievalSet) -> np.ndarray:
        return score_retrieval(model, frames, items)

    def results(self, scores: np.ndarray, items: RetrievalSet, control: str | None) -> list[Result]:
        import numpy as np

        from synvita.benchmarks.metrics import retrieval_metrics

        m = retrieval_metrics(scores, np.asarray(items.relevant, dtype=bool))
        return [Result(self.name, k, 100.0 * float(v), None, control) for k, v in m.items()]

    def oracle_scores(self, items: RetrievalSet) -> np.ndarray:
        import numpy as np

        from synvita.benchmarks.reference import truth_by_pair

        relevant = np.asarray(items.relevant, dtype=np.float64)  # [Q, N]
        keys = [(int(v), q) for q in items.queries for v in items.gallery]  # query-major, as relevant.reshape(-1)
        return truth_by_pair(keys, relevant.reshape(-1)).reshape(relevant.shape)

    def prediction_rows(self, items: RetrievalSet, video_paths: list[str], scores: np.ndarray):
        from synvita.benchmarks.formats import retrieval_prediction_rows

        return retrieval_prediction_rows(items, video_paths, scores)


class WorldQA(Benchmark):
    """Accuracy of the argmax of f over each question's options."""

    def score(self, model: Any, frames: np.ndarray, items: QASet) -> np.ndarray:
        return score_qa(model, frames, items)

    def results(self, scores: np.ndarray, items: QASet, control: str | None) -> list[Result]:
        import numpy as np

        from synvita.benchmarks.metrics import qa_accuracy

        return [Result(self.name, "accuracy", 100.0 * qa_accuracy(scores, np.asarray(items.answer)), None, control)]

    def oracle_scores(self, items: QASet) -> np.ndarray:
        import numpy as np

        from synvita.benchmarks.reference import truth_by_pair

        k = len(items.statements[0]) if len(items.statements) else 5
        correct = (np.arange(k)[None, :] == np.asarray(items.answer)[:, None]).astype(np.float64)  # [Q, k]
        keys = [(int(v), s) for v, options in zip(items.video, items.statements) for s in options]
        return truth_by_pair(keys, correct.reshape(-1)).reshape(correct.shape)

    def prediction_rows(self, items: QASet, video_paths: list[str], scores: np.ndarray):
        from synvita.benchmarks.formats import qa_prediction_rows

        return qa_prediction_rows(items, video_paths, scores)


class EntailLLM(WorldEntailment):
    info = BenchmarkInfo("entail-llm", "entailment", "auc", 50.0, "VideoCon LLM test (in-distribution)")
    per_type = True


class EntailHuman(WorldEntailment):
    info = BenchmarkInfo("entail-human", "entailment", "auc", 50.0, "VideoCon Human (paraphrased, held-out concepts)")
    bias_probe = True


class EntailHumanHard(WorldEntailment):
    info = BenchmarkInfo("entail-human-hard", "entailment", "auc", 50.0, "VideoCon Human-Hard (temporal subset)")

    def prepare(self, items: EntailmentSet) -> EntailmentSet:
        """The hard rows of the world's entail-human-hard set."""
        import numpy as np
        return subset_rows(items, np.asarray(items.hard, dtype=bool))


class RetrievalTemporal(WorldRetrieval):
    info = BenchmarkInfo("retrieval-temporal", "retrieval", "mAP", None, "SSv2-Temporal (direction decides)")


class RetrievalEvents(WorldRetrieval):
    info = BenchmarkInfo("retrieval-events", "retrieval", "mAP", None, "SSv2-Events (event order decides)")


class QAHard(WorldQA):
    info = BenchmarkInfo("qa-hard", "qa", "accuracy", 20.0, "ATP-Hard (5-way temporal QA)")


WORLD = (EntailLLM, EntailHuman, EntailHumanHard, RetrievalTemporal, RetrievalEvents, QAHard)
"""The six world benchmarks, in the order tables show them."""
WORLD_BENCHMARKS = tuple(b.info.name for b in WORLD)
