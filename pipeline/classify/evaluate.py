"""Evaluation of the classifier: scores of predictions against gold labels, the held-out split
and doc-grouped cross-validation of a candidate model (paragraphs of one document never
straddle training and test)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from pipeline.classify.candidates import DEFAULT_MODEL, SEED
from pipeline.classify.model import ParagraphClassifier


@dataclass
class Evaluation:
    labels: list[str]
    report: pd.DataFrame  # per class precision, recall, f1, support
    macro_f1: float
    accuracy: float
    confusion: pd.DataFrame  # rows gold, columns predicted
    n: int

    def text(self) -> str:
        lines = [f"n = {self.n}   accuracy = {self.accuracy:.3f}   macro-F1 = {self.macro_f1:.3f}", ""]
        lines.append(self.report.to_string(float_format=lambda v: f"{v:.3f}"))
        lines += ["", "confusion matrix (rows = gold, columns = predicted):", self.confusion.to_string()]
        return "\n".join(lines) + "\n"


def evaluate_predictions(gold: Sequence[str], pred: Sequence[str], labels: Sequence[str] | None = None) -> Evaluation:
    from sklearn.metrics import (
        accuracy_score,
        confusion_matrix,
        f1_score,
        precision_recall_fscore_support,
    )

    gold, pred = list(map(str, gold)), list(map(str, pred))
    if labels is None:
        labels = sorted(set(gold) | set(pred))
    labels = [lab for lab in labels if lab in set(gold) | set(pred)]
    p, r, f, s = precision_recall_fscore_support(gold, pred, labels=labels, zero_division=0)
    report = pd.DataFrame({"precision": p, "recall": r, "f1": f, "support": s}, index=labels)
    gold_labels = [lab for lab in labels if lab in set(gold)]
    macro = f1_score(gold, pred, labels=gold_labels, average="macro", zero_division=0)
    cm = pd.DataFrame(confusion_matrix(gold, pred, labels=labels), index=labels, columns=labels)
    return Evaluation(list(labels), report, float(macro), float(accuracy_score(gold, pred)), cm, len(gold))


def heldout_split(data: pd.DataFrame, test_size: float = 0.2, seed: int = SEED) -> tuple[np.ndarray, np.ndarray]:
    """Stratified split grouped by ``doc`` (paragraphs of one document never straddle).
    Returns (train_idx, test_idx). Rows without a doc are their own group."""
    from sklearn.model_selection import StratifiedGroupKFold

    groups = _groups(data)
    n_splits = max(2, int(round(1 / test_size)))
    sgkf = StratifiedGroupKFold(n_splits=n_splits, shuffle=True, random_state=seed)
    train_idx, test_idx = next(sgkf.split(data, data["label"], groups))
    return train_idx, test_idx


def _groups(data: pd.DataFrame) -> np.ndarray:
    doc = data["doc"].astype(str) if "doc" in data.columns else pd.Series("", index=data.index)
    return np.where(doc == "", "row:" + pd.Series(range(len(data)), index=data.index).astype(str), doc)


def cross_validate(data: pd.DataFrame, model: str = DEFAULT_MODEL, *, folds: int = 5, seed: int = SEED, lexicon_dir=None, **params) -> dict:
    """Stratified, doc-grouped k-fold CV of one candidate on the four-way labels.
    Returns {'macro_f1': mean, 'std': sd, 'folds': [...], 'accuracy': mean, 'pred': out-of-fold}."""
    from sklearn.metrics import accuracy_score, f1_score
    from sklearn.model_selection import StratifiedGroupKFold

    data = data.reset_index(drop=True)
    y = data["label"].to_numpy()
    cv = StratifiedGroupKFold(n_splits=folds, shuffle=True, random_state=seed)
    pred = np.empty(len(data), dtype=object)
    scores, accs = [], []
    for tr, te in cv.split(data, y, _groups(data)):
        clf = ParagraphClassifier(model=model, taxonomy="four", lexicon_dir=lexicon_dir, **params)
        clf.fit(data.iloc[tr], y[tr])
        p = clf.predict(data.iloc[te])
        pred[te] = p
        scores.append(f1_score(y[te], p, average="macro"))
        accs.append(accuracy_score(y[te], p))
    return {
        "model": model,
        "macro_f1": float(np.mean(scores)),
        "std": float(np.std(scores)),
        "accuracy": float(np.mean(accs)),
        "folds": [float(s) for s in scores],
        "pred": pred,
    }
