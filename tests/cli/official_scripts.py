"""The official SynViTA evaluation scripts' reading, merging and scoring rules (`src/eval_videocon_llm.py`,
`eval_videocon_human.py`, `calc_ssv2.py`, `eval_atphard.py`), re-implemented statement by statement with pandas and
scikit-learn so a test can score `synvita export`'s files exactly as they would. Each `run(script, args, root)`
takes the argument list of export.json (paths relative to `root`) and returns the numbers the script prints."""

from __future__ import annotations

import argparse
import re
from collections import defaultdict
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.metrics import roc_auc_score


def extract_description(conversation):
    pattern = r'Does this video entail the description: "(.*)"\?'
    match = re.search(pattern, conversation)
    if match:
        return match.group(1)
    raise ValueError("Description not found")


def _parse(args: list[str], root: Path, files: tuple[str, ...]) -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    parser.add_argument("--data_dir", type=str, required=True)
    for name in files:
        parser.add_argument(f"--{name}", type=str, required=name != "input_csv_3", default="nextqa-atphard.csv")
    parser.add_argument("--vid_per_caption", type=int, default=588)
    parser.add_argument("--extract_caption", action="store_true")
    ns = parser.parse_args(args)
    for name in files:
        setattr(ns, name, str(root / getattr(ns, name)))
    return ns


def eval_videocon(args, root: Path, human: bool) -> dict[str, float]:
    a = _parse(args, root, ("input_csv_1", "input_csv_2"))
    df1 = pd.read_csv(a.input_csv_1)
    df2 = pd.read_csv(a.input_csv_2, names=["videopath", "caption", "entailment"])
    df1 = df1.drop_duplicates()
    df2 = df2.drop_duplicates()
    if a.extract_caption:
        df1["caption"] = df1["caption"].apply(extract_description)
    df2["videopath"] = df2["videopath"].apply(lambda x: x.split(a.data_dir)[1])
    df = pd.merge(df1, df2, on=["videopath", "caption"], how="inner")
    df = df.drop_duplicates()
    out = {"AUC-ROC": 100 * roc_auc_score(df["label"], df["entailment"]), "rows": len(df)}
    if human:
        df_hard = df[df["hard"]]
        out["AUC-ROC-Hard"] = 100 * roc_auc_score(df_hard["label"], df_hard["entailment"])
    return out


def calc_ssv2(args, root: Path) -> dict[str, float]:
    a = _parse(args, root, ("input_file_1", "input_file_2"))
    df1 = pd.read_csv(a.input_file_1)
    if a.extract_caption:
        df1["caption"] = df1["caption"].apply(extract_description)
    df2 = pd.read_csv(a.input_file_2, names=["videopath", "caption", "entailment"])
    df2["videopath"] = df2["videopath"].apply(lambda x: x.split(a.data_dir)[1])
    df = pd.merge(df1, df2, on=["videopath", "caption"], how="inner")
    df = df.sort_values(by=["videopath", "caption"])
    predictions, labels = [], []
    for _, cap_df in df.groupby(["caption"]):
        if len(cap_df) == a.vid_per_caption:
            cap_df = cap_df.sort_values(by=["videopath", "caption"])
            predictions.append(cap_df["entailment"].tolist())
            labels.append(cap_df["match"].tolist())
    predictions = np.array(predictions)
    labels = np.array(labels)
    mAP, r1, r5, r10 = [], [], [], []
    for j in range(len(predictions)):
        pred = predictions[j]
        ranks = np.argsort(-pred)
        hit_precision = []
        hits = 0
        for i in range(len(ranks)):
            if labels[j][ranks[i]] == 1:
                hits += 1
                hit_precision.append(hits / (i + 1))
        mAP.append(sum(hit_precision) / len(hit_precision))
        count = 0
        for i in range(len(ranks[:10])):
            if labels[j][ranks[i]] == 1:
                count = 1
            if i == 0:
                r1.append(count)
            if i == 4:
                r5.append(count)
            if i == 9:
                r10.append(count)
    out = {"mAP": 100 * sum(mAP) / len(mAP), "R@1": 100 * sum(r1) / len(r1), "queries": len(predictions)}
    if r5:
        out["R@5"] = 100 * sum(r5) / len(r5)
    if r10:
        out["R@10"] = 100 * sum(r10) / len(r10)
    return out


def eval_atphard(args, root: Path) -> dict[str, float]:
    a = _parse(args, root, ("input_csv_1", "input_csv_2", "input_csv_3"))
    df1 = pd.read_csv(a.input_csv_1)
    df2 = pd.read_csv(a.input_csv_2, names=["videopath", "caption", "entailment", "pos", "neg"])
    df1 = df1.drop_duplicates()
    df2 = df2.drop_duplicates()
    if a.extract_caption:
        df1["caption"] = df1["caption"].apply(extract_description)
    df2["videopath"] = df2["videopath"].apply(lambda x: x.split(a.data_dir)[1])
    df = pd.merge(df1, df2, on=["videopath", "caption"], how="inner")
    df = df.drop_duplicates()
    map_id_ques_type = {}
    df3 = pd.read_csv(a.input_csv_3)
    for j in range(len(df3)):
        map_id_ques_type[f"{df3.iloc[j]['video']}-{df3.iloc[j]['question']}"] = df3.iloc[j]["type"]
    res = defaultdict(int)
    count = total = 0
    for _, tmp_df in df.groupby(["videopath", "question"]):
        if len(tmp_df) == 5:
            prediction = np.argmax(tmp_df["entailment"].tolist())
            video_id = tmp_df.iloc[0]["videopath"].split("/")[-1][:-4]
            type_ques = map_id_ques_type[f"{video_id}-{tmp_df.iloc[0]['question']}"]
            if prediction == tmp_df.iloc[0]["answer"]:
                count += 1
                res[f"{type_ques[0]}-count"] += 1
            res[f"{type_ques[0]}-total"] += 1
            total += 1
    return {"Accuracy": 100 * count / total, "Accuracy-C": 100 * res["C-count"] / res["C-total"],
            "Accuracy-T": 100 * res["T-count"] / res["T-total"], "questions": total}


def run(script: str, args: list[str], root: Path) -> dict[str, float]:
    if script == "eval_videocon_llm.py":
        return eval_videocon(args, root, human=False)
    if script == "eval_videocon_human.py":
        return eval_videocon(args, root, human=True)
    if script == "calc_ssv2.py":
        return calc_ssv2(args, root)
    if script == "eval_atphard.py":
        return eval_atphard(args, root)
    raise ValueError(script)
