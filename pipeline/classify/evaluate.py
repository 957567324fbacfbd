"""Evaluation of the classifier: scores of predictions against gold labels, the held-out split,
and out-of-fold posteriors by three protocols:

* grouped k-fold CV (``oof_cv``): StratifiedGroupKFold by ``doc``, so paragraphs of one
  document never straddle training and test;
* leave one source group out (``oof_loso``): train on six source groups
  (``pipeline.classify.sources``), score the seventh - how the model does on a kind of
  collection it has never seen;
* site-grouped k-fold CV (``oof_sites``): StratifiedGroupKFold by the document's site (web host
  or file collection) - new organisations of kinds the labels cover.

All return an :class:`OOF` (every labelled paragraph's posterior from a model that did not see
it); ``summarise`` turns one into macro-F1 (mean over folds / groups), per-class F1 and a 95%
bootstrap interval over documents. The same OOF posteriors are the calibration data the run
uses to correct category shares (``pipeline.classify.calibration``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from pipeline.classify.candidates import DEFAULT_MODEL, SEED
from pipeline.classify.features import labels_from_array
from pipeline.classify.model import ParagraphClassifier
from pipeline.classify.sources import site_of

N_BOOT = 1000  # bootstrap resamples of documents for the 95% intervals


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

    groups = doc_groups(data)
    n_splits = max(2, int(round(1 / test_size)))
    sgkf = StratifiedGroupKFold(n_splits=n_splits, shuffle=True, random_state=seed)
    train_idx, test_idx = next(sgkf.split(data, data["label"], groups))
    return train_idx, test_idx


def doc_groups(data: pd.DataFrame) -> np.ndarray:
    """The document of each row (rows without a doc are their own document)."""
    doc = data["doc"].fillna("").astype(str) if "doc" in data.columns else pd.Series("", index=data.index)
    return np.where(doc == "", "row:" + pd.Series(range(len(data)), index=data.index).astype(str), doc)


_groups = doc_groups  # the old private name


# --------------------------------------------------------------------------- out-of-fold posteriors


@dataclass
class OOF:
    """Out-of-fold posteriors of one candidate on labelled data.

    ``proba[i]`` is row i's posterior (columns ``labels``) from a model fitted without row i's
    fold; ``fold[i]`` indexes ``fold_names`` (``"fold0"``... for CV, the source group for LOSO).
    ``gold`` are the targets the model was trained on (four- or six-way), ``docs`` the document
    of each row. ``base_labels``/``rollup`` give the four-way level of six-way labels."""

    protocol: str  # "cv", "sites" or "loso"
    model: str
    labels: list[str]
    base_labels: list[str]
    rollup: dict
    gold: np.ndarray
    proba: np.ndarray
    fold: np.ndarray
    fold_names: list[str]
    docs: np.ndarray

    def predicted(self) -> np.ndarray:
        """Labels by the classifier's own rule (four-way argmax; six-way: the four-way winner's
        most likely child, ``features.labels_from_array``)."""
        return labels_from_array(self.proba, self.labels, self.base_labels, self.rollup)

    def rolled_up(self) -> OOF:
        """The same posteriors on the four-way level (children summed)."""
        if all(self.rollup[lab] == lab for lab in self.labels):
            return self
        cols = [[i for i, lab in enumerate(self.labels) if self.rollup[lab] == b] for b in self.base_labels]
        proba = np.column_stack([self.proba[:, c].sum(axis=1) for c in cols])
        gold = np.asarray([self.rollup.get(g, g) for g in self.gold], dtype=object)
        return OOF(
            self.protocol,
            self.model,
            list(self.base_labels),
            list(self.base_labels),
            {b: b for b in self.base_labels},
            gold,
            proba,
            self.fold,
            self.fold_names,
            self.docs,
        )


def _fit_proba(
    train: pd.DataFrame, y_train, test: pd.DataFrame, model: str, taxonomy: str, lexicon_dir, params
) -> tuple[np.ndarray, ParagraphClassifier]:
    clf = ParagraphClassifier(model=model, taxonomy=taxonomy, lexicon_dir=lexicon_dir, **params).fit(train, y_train)
    return clf.predict_proba(test).to_numpy(), clf


def _oof(data, y, splits, names, protocol, model, taxonomy, lexicon_dir, params) -> OOF:
    data = data.reset_index(drop=True)
    y = np.asarray([str(v) for v in y], dtype=object)
    proba, fold, clf = None, np.full(len(data), -1, dtype=np.int64), None
    for f, (tr, te) in enumerate(splits):
        p, clf = _fit_proba(data.iloc[tr], y[tr], data.iloc[te], model, taxonomy, lexicon_dir, params)
        if proba is None:
            proba = np.zeros((len(data), p.shape[1]))
        proba[te] = p
        fold[te] = f
    if clf is None:
        raise ValueError("no folds to evaluate")
    return OOF(protocol, model, list(clf.labels_), list(clf.base_labels_), dict(clf.rollup_), y, proba, fold, list(names), doc_groups(data))


def _grouped_folds(data, y, groups, folds, seed, protocol, model, taxonomy, lexicon_dir, params) -> OOF:
    from sklearn.model_selection import StratifiedGroupKFold

    folds = max(2, min(folds, len(set(groups))))
    splits = list(StratifiedGroupKFold(n_splits=folds, shuffle=True, random_state=seed).split(data, y, groups))
    return _oof(data, y, splits, [f"fold{i}" for i in range(len(splits))], protocol, model, taxonomy, lexicon_dir, params)


def oof_cv(
    data: pd.DataFrame, y=None, model: str = DEFAULT_MODEL, *, taxonomy: str = "four", folds: int = 5, seed: int = SEED, lexicon_dir=None, **params
) -> OOF:
    """Out-of-fold posteriors by StratifiedGroupKFold(``folds``, shuffled, ``seed``) grouped by
    ``doc``; ``y`` defaults to ``data['label']``."""
    data = data.reset_index(drop=True)
    y = data["label"].to_numpy() if y is None else np.asarray(y)
    return _grouped_folds(data, y, doc_groups(data), folds, seed, "cv", model, taxonomy, lexicon_dir, params)


def site_groups(data: pd.DataFrame) -> np.ndarray:
    """The site of each row's document (``pipeline.classify.sources.site_of``)."""
    return np.asarray([site_of(d) for d in doc_groups(data)], dtype=object)


def oof_sites(
    data: pd.DataFrame, y=None, model: str = DEFAULT_MODEL, *, taxonomy: str = "four", folds: int = 5, seed: int = SEED, lexicon_dir=None, **params
) -> OOF:
    """Out-of-fold posteriors by StratifiedGroupKFold grouped by *site* (a web page's host, a
    file's collection): every row is scored by a model that saw no document of its site, but
    saw other organisations of its kind - an analyst's collection from new organisations of
    kinds the labels cover. Between grouped CV (same sites in training) and LOSO (the whole
    kind left out)."""
    data = data.reset_index(drop=True)
    y = data["label"].to_numpy() if y is None else np.asarray(y)
    return _grouped_folds(data, y, site_groups(data), folds, seed, "sites", model, taxonomy, lexicon_dir, params)


def oof_loso(data: pd.DataFrame, y=None, model: str = DEFAULT_MODEL, *, taxonomy: str = "four", lexicon_dir=None, **params) -> OOF | None:
    """Out-of-fold posteriors by leaving one source group (``data['group']``) out at a time.
    None when the data has fewer than two groups (e.g. a labels folder without ``org_kind``)."""
    data = data.reset_index(drop=True)
    y = data["label"].to_numpy() if y is None else np.asarray(y)
    groups = data["group"].astype(str).to_numpy() if "group" in data.columns else np.full(len(data), "other")
    names = sorted(set(groups))
    if len(names) < 2:
        return None
    splits = [(np.flatnonzero(groups != g), np.flatnonzero(groups == g)) for g in names]
    return _oof(data, y, splits, names, "loso", model, taxonomy, lexicon_dir, params)


# --------------------------------------------------------------------------- scores with intervals


def _codes(values, labels) -> np.ndarray:
    index = {lab: i for i, lab in enumerate(labels)}
    return np.asarray([index.get(str(v), len(labels)) for v in values], dtype=np.int64)


def _macro_f1_counts(gold: np.ndarray, pred: np.ndarray, k: int, weights: np.ndarray) -> np.ndarray:
    """Macro-F1 over the classes present in (weighted) gold, for each row of ``weights``
    (shape (B, n): how often each row is drawn). Vectorised over resamples."""
    cm = np.zeros((weights.shape[0], k + 1, k + 1))
    for g in range(k):
        for p in range(k + 1):
            rows = (gold == g) & (pred == p)
            if rows.any():
                cm[:, g, p] = weights[:, rows].sum(axis=1)
    tp = np.stack([cm[:, i, i] for i in range(k)], axis=1)
    support = cm[:, :k, :].sum(axis=2)
    predicted = cm[:, :, :k].sum(axis=1)
    denom = support + predicted
    f1 = np.divide(2 * tp, denom, out=np.zeros_like(tp), where=denom > 0)
    present = support > 0
    return np.where(present, f1, 0).sum(axis=1) / np.maximum(present.sum(axis=1), 1)


def per_class_f1(gold, pred, labels) -> dict[str, float]:
    from sklearn.metrics import f1_score

    present = [lab for lab in labels if lab in set(map(str, gold))]
    f = f1_score(list(map(str, gold)), list(map(str, pred)), labels=present, average=None, zero_division=0)
    return {lab: float(v) for lab, v in zip(present, f)}


def _fold_macro_f1(gold, pred, fold, n_folds, labels) -> list[float]:
    out = []
    for f in range(n_folds):
        rows = fold == f
        out.append(float(evaluate_predictions(gold[rows], pred[rows], labels).macro_f1) if rows.any() else float("nan"))
    return out


def bootstrap_mean_macro_f1(gold, pred, fold, docs, labels, *, n_boot: int = N_BOOT, seed: int = SEED) -> np.ndarray:
    """Resampled means over folds of per-fold macro-F1: documents are drawn with replacement
    within each fold (a document lies in one fold), predictions stay fixed. Returns (n_boot,)."""
    rng = np.random.default_rng(seed)
    g, p = _codes(gold, labels), _codes(pred, labels)
    k = len(labels)
    per_fold = []
    for f in np.unique(fold):
        rows = np.flatnonzero(fold == f)
        fdocs, inverse = np.unique(docs[rows], return_inverse=True)
        draws = rng.integers(0, len(fdocs), size=(n_boot, len(fdocs)))
        doc_w = np.zeros((n_boot, len(fdocs)))
        np.add.at(doc_w, (np.repeat(np.arange(n_boot), len(fdocs)), draws.ravel()), 1.0)
        per_fold.append(_macro_f1_counts(g[rows], p[rows], k, doc_w[:, inverse]))
    return np.mean(per_fold, axis=0)


def summarise(oof: OOF, *, n_boot: int = N_BOOT, seed: int = SEED) -> dict:
    """Scores of out-of-fold posteriors (plain JSON types):

    ``macro_f1`` - mean over folds (CV) or source groups (LOSO) of each one's macro-F1 (the
    classes present in its gold labels), ``macro_f1_ci`` - 95% percentile interval of that mean
    over ``n_boot`` resamples of documents (within folds/groups), ``std`` - sd over folds,
    ``accuracy``, ``per_class_f1`` (pooled over all rows), ``folds`` (name -> macro-F1, n rows,
    n documents), ``pooled_macro_f1``, ``n``."""
    labels = list(oof.labels)
    pred = oof.predicted()
    gold = oof.gold
    fold_f1 = _fold_macro_f1(gold, pred, oof.fold, len(oof.fold_names), labels)
    boot = bootstrap_mean_macro_f1(gold, pred, oof.fold, oof.docs, labels, n_boot=n_boot, seed=seed)
    lo, hi = np.percentile(boot, [2.5, 97.5])
    folds = {}
    for f, name in enumerate(oof.fold_names):
        rows = oof.fold == f
        folds[name] = {"macro_f1": round(fold_f1[f], 4), "n": int(rows.sum()), "n_docs": int(len(set(oof.docs[rows])))}
    pooled = evaluate_predictions(gold, pred, labels)
    return {
        "protocol": oof.protocol,
        "model": oof.model,
        "macro_f1": round(float(np.nanmean(fold_f1)), 4),
        "macro_f1_ci": [round(float(lo), 4), round(float(hi), 4)],
        "std": round(float(np.nanstd(fold_f1)), 4),
        "accuracy": round(float(np.mean(gold == pred)), 4),
        "pooled_macro_f1": round(pooled.macro_f1, 4),
        "per_class_f1": {k: round(v, 4) for k, v in per_class_f1(gold, pred, labels).items()},
        "folds": folds,
        "n": int(len(gold)),
    }


def paired_difference(a: OOF, b: OOF, *, n_boot: int = N_BOOT, seed: int = SEED) -> dict:
    """Mean macro-F1 of ``a`` minus ``b`` on the same rows and folds, with a paired 95%
    bootstrap interval over documents (the same resamples for both)."""
    labels = list(a.labels)
    da = bootstrap_mean_macro_f1(a.gold, a.predicted(), a.fold, a.docs, labels, n_boot=n_boot, seed=seed)
    db = bootstrap_mean_macro_f1(b.gold, b.predicted(), b.fold, b.docs, labels, n_boot=n_boot, seed=seed)
    diff = da - db
    lo, hi = np.percentile(diff, [2.5, 97.5])
    point = np.nanmean(_fold_macro_f1(a.gold, a.predicted(), a.fold, len(a.fold_names), labels)) - np.nanmean(
        _fold_macro_f1(b.gold, b.predicted(), b.fold, len(b.fold_names), labels)
    )
    return {"diff": float(point), "ci": [float(lo), float(hi)]}


# --------------------------------------------------------------------------- the old entry point


def cross_validate(data: pd.DataFrame, model: str = DEFAULT_MODEL, *, folds: int = 5, seed: int = SEED, lexicon_dir=None, **params) -> dict:
    """Stratified, doc-grouped k-fold CV of one candidate on the four-way labels.
    Returns {'macro_f1': mean, 'std': sd, 'folds': [...], 'accuracy': mean, 'pred': out-of-fold}."""
    oof = oof_cv(data, None, model, taxonomy="four", folds=folds, seed=seed, lexicon_dir=lexicon_dir, **params)
    pred = oof.predicted()
    scores = _fold_macro_f1(oof.gold, pred, oof.fold, len(oof.fold_names), oof.labels)
    accs = [float(np.mean(oof.gold[oof.fold == f] == pred[oof.fold == f])) for f in range(len(oof.fold_names))]
    return {
        "model": model,
        "macro_f1": float(np.mean(scores)),
        "std": float(np.std(scores)),
        "accuracy": float(np.mean(accs)),
        "folds": [float(s) for s in scores],
        "pred": pred,
    }
