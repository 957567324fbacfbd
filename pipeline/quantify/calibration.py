"""Estimator names and notes, input checks, and the calibration set (out-of-fold posteriors of labelled paragraphs)."""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum
from typing import Any, Sequence

import numpy as np
import pandas as pd

from pipeline.errors import InputError


class Method(str, Enum):
    """Quantification estimators (see the module docstring)."""

    CC = "cc"
    PCC = "pcc"
    ACC = "acc"
    PACC = "pacc"
    EM = "em"


DEFAULT_METHOD = Method.PACC
# after the group column (named after ``groups``, else "group")
SHARE_COLUMNS = ["category", "share", "share_raw", "share_low", "share_high", "n_docs", "n_paragraphs", "n_chars", "small_group", "method"]
CALIBRATION_FORMAT = "dangjian.calibration/1"
LEVEL = 0.95
CORRECTED = (Method.ACC, Method.PACC, Method.EM)
NOTES = {
    Method.CC: "shares by classify-and-count: character share of paragraphs by predicted label, not corrected for classifier errors",
    Method.PCC: "shares by probabilistic classify-and-count: character-weighted mean of the classifier's probabilities, not corrected for classifier errors",
    Method.ACC: "shares corrected by ACC: predicted-label shares adjusted for the misclassification rates measured out-of-fold on the labelled paragraphs",
    Method.PACC: "shares corrected by PACC: mean classifier probabilities adjusted for the probability confusion measured out-of-fold on the labelled paragraphs",
    Method.EM: "shares corrected by EM (Saerens et al.): classifier probabilities re-weighted to each group's estimated class prior",
}
INTERVAL_NOTE = "95% intervals by bootstrap over documents within each group and over the labelled documents (error-rate uncertainty)"


def as_method(method) -> Method:
    try:
        return Method(getattr(method, "value", method))
    except ValueError:
        raise InputError(f"unknown quantification method {method!r}", f"use one of: {', '.join(m.value for m in Method)}") from None


def method_note(method) -> str:
    """One line for the report: what ``share`` is under ``method`` (e.g. "shares corrected by PACC ...")."""
    return NOTES[as_method(method)]


# --------------------------------------------------------------------------- calibration set
def as_1d(values, n: int | None, name: str) -> np.ndarray:
    arr = np.asarray(values.to_numpy() if hasattr(values, "to_numpy") else values, dtype=object).reshape(-1)
    if n is not None and len(arr) != n:
        raise InputError(f"{name} has {len(arr)} values for {n} rows", f"pass one {name} value per row")
    return arr


def posterior_matrix(probs, labels: Sequence[str], name: str) -> np.ndarray:
    """(n, k) float posteriors in ``labels`` order. A DataFrame's columns are picked by name
    (``p_<label>`` or ``<label>``); rows are renormalised (the run stores them rounded)."""
    k = len(labels)
    if isinstance(probs, pd.DataFrame):
        cols = []
        for lab in labels:
            col = f"p_{lab}" if f"p_{lab}" in probs.columns else lab
            if col not in probs.columns:
                raise InputError(f"{name} has no column p_{lab}", f"pass one probability column per category: {', '.join(labels)}")
            cols.append(col)
        probs = probs[cols]
    arr = np.asarray(probs, dtype=float)
    if arr.ndim != 2 or arr.shape[1] != k:
        raise InputError(f"{name} has shape {arr.shape}, expected (n, {k})", f"one column per category, in the order {', '.join(labels)}")
    ok = np.isfinite(arr).all(axis=1)
    if (arr[ok] < -1e-9).any():
        raise InputError(f"{name} has negative probabilities", "pass classifier probabilities (p_<category> columns)")
    sums = arr[ok].sum(axis=1)
    if len(sums) and np.abs(sums - 1).max() > 1e-2:
        raise InputError(f"{name} rows do not sum to 1 (up to {np.abs(sums - 1).max():.3g} off)", "pass probabilities, not scores")
    arr = np.clip(arr, 0.0, None)
    off = ok & (np.abs(arr.sum(axis=1) - 1) > 1e-12)  # exact rows stay bit-identical
    arr[off] /= arr[off].sum(axis=1, keepdims=True)
    return arr


def label_codes(values: np.ndarray, labels: Sequence[str], name: str, *, allow_missing: bool) -> np.ndarray:
    """Label strings -> int codes in ``labels`` order; missing (None/NaN/'') -> -1 if allowed."""
    index = {lab: i for i, lab in enumerate(labels)}
    out = np.empty(len(values), dtype=np.int64)
    unknown = set()
    for r, v in enumerate(values):
        if v is None or (isinstance(v, float) and np.isnan(v)) or v is pd.NA or v == "":
            if not allow_missing:
                raise InputError(f"{name} has a missing label (row {r})", "give every calibration row its true label")
            out[r] = -1
            continue
        code = index.get(str(v))
        if code is None:
            unknown.add(str(v))
            continue
        out[r] = code
    if unknown:
        raise InputError(f"{name} has labels outside the label order: {', '.join(sorted(unknown))}", f"use one of: {', '.join(labels)}")
    return out


def as_weights(weights, n: int, name: str) -> np.ndarray:
    if weights is None:
        return np.ones(n)
    w = pd.to_numeric(pd.Series(as_1d(weights, n, name)), errors="coerce").to_numpy(dtype=float)
    w = np.where(np.isfinite(w), w, 0.0)
    if (w < 0).any():
        raise InputError(f"{name} has negative values", "weights are paragraph lengths (n_chars)")
    return w


@dataclass(frozen=True, eq=False)
class Calibration:
    """Out-of-fold classifier outputs on labelled paragraphs: what ``estimate_shares`` measures
    the classifier's errors on. Build it at train time from cross-validation predictions (each
    labelled paragraph scored by a model that never saw its document) and store it with the
    model (``to_dict`` is JSON-safe).

    ``true`` and ``pred`` are int codes into ``labels``; ``posteriors`` is (n, k) in ``labels``
    order; ``groups`` (str) are the units the bootstrap resamples (documents); ``weights`` the
    paragraphs' lengths (characters)."""

    labels: tuple[str, ...]
    true: np.ndarray
    posteriors: np.ndarray
    groups: np.ndarray
    weights: np.ndarray
    pred: np.ndarray

    @classmethod
    def from_arrays(cls, true_labels, posteriors, groups, labels: Sequence[str], *, weights=None, predicted=None) -> Calibration:
        """From true labels (str), posteriors ((n, k) array in ``labels`` order, or a DataFrame
        with ``p_<label>`` columns), group ids (documents), the label order, and optionally the
        lengths (``weights``, default 1) and the predicted labels (default argmax; pass them when
        the pipeline's label rule is not the argmax, e.g. the six-way rollup rule)."""
        labels = tuple(str(lab) for lab in labels)
        if len(labels) < 2 or len(set(labels)) != len(labels):
            raise InputError(f"label order {labels!r} needs at least two distinct labels", "pass the classifier's labels")
        true = as_1d(true_labels, None, "calibration labels")
        n = len(true)
        post = posterior_matrix(posteriors if n else np.empty((0, len(labels))), labels, "calibration posteriors")
        if len(post) != n:
            raise InputError(f"calibration posteriors have {len(post)} rows for {n} labels", "pass one posterior row per labelled paragraph")
        if not np.isfinite(post).all():
            raise InputError("calibration posteriors have missing values", "score every labelled paragraph")
        codes = label_codes(true, labels, "calibration labels", allow_missing=False)
        pred = (
            np.argmax(post, axis=1)
            if predicted is None
            else label_codes(as_1d(predicted, n, "calibration predictions"), labels, "calibration predictions", allow_missing=False)
        )
        grp = np.asarray([str(g) for g in as_1d(groups, n, "calibration groups")], dtype=object)
        return cls(labels, codes, post, grp, as_weights(weights, n, "calibration weights"), pred.astype(np.int64))

    def __len__(self) -> int:
        return len(self.true)

    def class_counts(self) -> dict[str, int]:
        """Labelled rows per class, in label order."""
        return {lab: int(c) for lab, c in zip(self.labels, np.bincount(self.true, minlength=len(self.labels)))}

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe dict (plain lists, str labels) that :meth:`from_dict` restores exactly."""
        lab = np.asarray(self.labels, dtype=object)
        return {
            "format": CALIBRATION_FORMAT,
            "labels": list(self.labels),
            "true": lab[self.true].tolist(),
            "pred": lab[self.pred].tolist(),
            "groups": [str(g) for g in self.groups],
            "weights": [float(w) for w in self.weights],
            "posteriors": self.posteriors.tolist(),
        }

    @classmethod
    def from_dict(cls, data: dict) -> Calibration:
        if not isinstance(data, dict) or data.get("format") != CALIBRATION_FORMAT:
            found = data.get("format") if isinstance(data, dict) else type(data).__name__
            raise InputError(f"not a calibration set (format {found!r})", f"expected format {CALIBRATION_FORMAT}; retrain the model to store one")
        labels = data["labels"]
        post = np.asarray(data["posteriors"], dtype=float).reshape(-1, len(labels))
        return cls.from_arrays(data["true"], post, data["groups"], labels, weights=data["weights"], predicted=data["pred"])


# --------------------------------------------------------------------------- numerics
