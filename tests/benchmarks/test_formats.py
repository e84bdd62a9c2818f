"""Real-format importers/exporters: round trips, the official merge on (videopath, caption), clear errors."""

import csv

import numpy as np
import pytest

from synvita.benchmarks import formats as fm
from synvita.benchmarks.metrics import qa_accuracy, retrieval_metrics, roc_auc
from synvita.data.types import EntailmentSet, QASet, RetrievalSet

PROMPT_BYTES = (
    b"The following is a conversation between a curious human and AI assistant. The assistant gives helpful, "
    b"detailed, and polite answers to the user's questions.\nHuman: <|video|>\n"
    b'Human: Does this video entail the description: "a dog, running"?\nAI: '
)


def _official_merge(gt_path, pred_path, data_dir, extract_caption=False):
    """What the eval scripts do: read GT (header) and predictions (no header), strip data_dir, inner-merge."""
    with open(gt_path, newline="") as fh:
        gt = list(csv.DictReader(fh))
    with open(pred_path, newline="") as fh:
        preds = [dict(zip(("videopath", "caption", "entailment"), row)) for row in csv.reader(fh)]
    if extract_caption:
        for row in gt:
            row["caption"] = fm.extract_description(row["caption"])
    score = {(p["videopath"].split(data_dir)[1], p["caption"]): float(p["entailment"]) for p in preds}
    return [dict(row, entailment=score[(row["videopath"], row["caption"])])
            for row in gt if (row["videopath"], row["caption"]) in score]


def test_prompt_is_byte_identical():
    assert fm.mplug_prompt("a dog, running").encode() == PROMPT_BYTES
    assert fm.extract_description(PROMPT_BYTES.decode()) == "a dog, running"
    assert fm.extract_description("a dog") is None


def test_predictions_round_trip_and_layout(tmp_path):
    path = fm.write_predictions_csv(tmp_path / "p.csv", ["v/a.mp4", "v/b.mp4"], ["a dog, running", "x"],
                                    [0.25, 0.9], data_dir="/data/")
    with open(path, newline="") as fh:
        rows = list(csv.reader(fh))
    assert len(rows) == 2 and all(len(r) == 3 for r in rows)  # no header, 3 columns
    assert rows[0][0] == "/data/v/a.mp4" and rows[0][1].encode() == PROMPT_BYTES and float(rows[0][2]) == 0.25
    videos, captions, scores = fm.read_predictions_csv(path, data_dir="/data/")
    assert videos == ["v/a.mp4", "v/b.mp4"] and captions == ["a dog, running", "x"]
    assert scores.tolist() == [0.25, 0.9]
    bare = fm.write_predictions_csv(tmp_path / "b.csv", ["a.mp4"], ["x"], [0.5], prompt=False)
    assert bare.read_text().strip() == "a.mp4,x,0.5"


def test_entailment_round_trip_and_official_merge(tmp_path):
    data = EntailmentSet(
        video=np.array([0, 0, 1, 1]), caption=["a dog runs", 'a "cat", sits', "rain falls", "snow falls"],
        label=np.array([1, 0, 1, 0]), misalignment=["", "object", "", "object"],
        hard=np.array([True, True, False, False]), held_out=np.zeros(4, bool),
    )
    paths = ["vids/a.mp4", "vids/b.mp4"]
    gt = fm.write_entailment_csv(tmp_path / "human.csv", data, paths)
    table = fm.read_entailment_csv(gt)
    assert table.prompted and table.video_paths == paths
    assert table.data.caption == data.caption and table.data.label.tolist() == [1, 0, 1, 0]
    assert table.data.hard.tolist() == [True, True, False, False] and table.data.misalignment == data.misalignment
    scores = np.array([0.9, 0.2, 0.4, 0.6])
    pred = fm.write_predictions_csv(tmp_path / "pred.csv", [paths[v] for v in data.video], data.caption, scores,
                                    data_dir="/root/data/")
    merged = _official_merge(gt, pred, "/root/data/")
    assert len(merged) == 4
    auc = roc_auc([int(r["label"]) for r in merged], [r["entailment"] for r in merged])
    assert auc == pytest.approx(roc_auc(data.label, scores)) == pytest.approx(0.75)
    # bare captions merge with --extract_caption
    pred2 = fm.write_predictions_csv(tmp_path / "pred2.csv", [paths[v] for v in data.video], data.caption, scores,
                                     data_dir="/d/", prompt=False)
    assert len(_official_merge(gt, pred2, "/d/", extract_caption=True)) == 4


def test_ssv2_round_trip_and_filter(tmp_path):
    data = RetrievalSet(queries=["b pushes a", "a pushes b"], gallery=np.array([0, 1, 2]),
                        relevant=np.array([[1, 0, 0], [0, 1, 1]], bool))
    paths = ["x/2.mp4", "x/0.mp4", "x/1.mp4"]
    gt = fm.write_ssv2_csv(tmp_path / "ssv2.csv", data, paths)
    with open(gt, "a", newline="") as fh:  # a caption with the wrong row count is dropped
        csv.writer(fh, lineterminator="\n").writerow(["x/0.mp4", fm.mplug_prompt("lonely"), 1])
    table = fm.read_ssv2_csv(gt, vid_per_caption=3)
    assert table.dropped_captions == ["lonely"]
    assert table.data.queries == ["a pushes b", "b pushes a"]  # sorted, as groupby
    assert table.video_paths == ["x/0.mp4", "x/1.mp4", "x/2.mp4"]  # sorted by path
    assert table.data.relevant.tolist() == [[True, True, False], [False, False, True]]
    scores = np.array([[0.1, 0.5, 0.9], [0.3, 0.2, 0.1]])
    v, c, s = fm.retrieval_prediction_rows(data, paths, scores)
    fm.write_predictions_csv(tmp_path / "p.csv", v, c, s)
    rv, rc, rs = fm.read_predictions_csv(tmp_path / "p.csv")
    lookup = {(a, b): x for a, b, x in zip(rv, rc, rs)}
    reordered = np.array([[lookup[(p, q)] for p in table.video_paths] for q in table.data.queries])
    assert retrieval_metrics(reordered, table.data.relevant) == retrieval_metrics(scores, data.relevant)


def test_atp_hard_round_trip_with_types(tmp_path):
    data = QASet(video=np.array([0, 1]), statements=[[f"s{i}" for i in range(5)], [f"t{i}" for i in range(5)]],
                 answer=np.array([2, 4]), qtype=["T", "C"])
    paths = ["nextqa/111.mp4", "nextqa/222.mp4"]
    gt = fm.write_atp_hard_csv(tmp_path / "atp.csv", data, paths, ["what next?", "why?"])
    types = fm.write_atp_types_csv(tmp_path / "types.csv", data, paths, ["what next?", "why?"])
    with open(gt, "a", newline="") as fh:  # an incomplete group (4 rows) is dropped
        w = csv.writer(fh, lineterminator="\n")
        for o in range(4):
            w.writerow(["nextqa/333.mp4", "how?", 0, o, fm.mplug_prompt(f"u{o}")])
    table = fm.read_atp_hard_csv(gt, types_path=types)
    assert table.dropped_groups == 1 and table.questions == ["what next?", "why?"]
    assert table.data.statements == data.statements and table.data.answer.tolist() == [2, 4]
    assert table.data.qtype == ["T", "C"] and table.video_paths == paths
    scores = np.array([[0, 0, 0.9, 0, 0], [0.5, 0, 0, 0, 0.4]])
    v, c, s = fm.qa_prediction_rows(data, paths, scores)
    fm.write_predictions_csv(tmp_path / "p.csv", v, c, s, data_dir="D/")
    merged = _official_merge(gt, tmp_path / "p.csv", "D/")
    by_q = {}
    for row in merged:
        by_q.setdefault((row["videopath"], row["question"]), []).append(row)
    groups = [g for g in by_q.values() if len(g) == 5]
    correct = [int(np.argmax([r["entailment"] for r in g]) == int(g[0]["answer"])) for g in groups]
    assert np.mean(correct) == pytest.approx(qa_accuracy(scores, data.answer)) == pytest.approx(0.5)


def test_malformed_files_name_file_row_and_column(tmp_path):
    bad = tmp_path / "llm_test.csv"
    bad.write_text("videopath,caption,label\na.mp4,a dog,1\nb.mp4,a cat,maybe\n")
    with pytest.raises(fm.FormatError, match=r"llm_test.csv row 2 \(line 3\), column 'label'.*maybe"):
        fm.read_entailment_csv(bad)
    missing = tmp_path / "ssv2.csv"
    missing.write_text("videopath,caption\na.mp4,x\n")
    with pytest.raises(fm.FormatError, match="missing column.*'match'"):
        fm.read_ssv2_csv(missing)
    ragged = tmp_path / "r.csv"
    ragged.write_text("videopath,caption,label\na.mp4,x\n")
    with pytest.raises(fm.FormatError, match="row 1.*2 fields"):
        fm.read_entailment_csv(ragged)
    pred = tmp_path / "pred.csv"
    pred.write_text("/d/a.mp4,x,high\n")
    with pytest.raises(fm.FormatError, match="pred.csv row 1.*'entailment'"):
        fm.read_predictions_csv(pred, data_dir="/d/")
    with pytest.raises(fm.FormatError, match="no such file"):
        fm.read_atp_hard_csv(tmp_path / "nope.csv")
    atp = tmp_path / "atp.csv"
    atp.write_text("videopath,question,answer,option,caption\n" + "".join(f"v.mp4,q,7,{o},s{o}\n" for o in range(5)))
    with pytest.raises(fm.FormatError, match="row 1.*'answer'.*7"):
        fm.read_atp_hard_csv(atp)
    assert issubclass(fm.FormatError, fm.UserInputError)
