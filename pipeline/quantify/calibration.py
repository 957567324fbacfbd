"""Estimator names and notes, input checks, and the calibration set (out-of-fold posteriors of labelled paragraphs)."""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum
from typing import Any, Sequence

import numpy as np
import pandas as pd

from pipeline.errors import InputError
from pipeline.schema import CATEGORY_SHARES


class Method(str, Enum):
    """Quantification estimators (see the module docstring)."""

    CC = "cc"
    PCC = "pcc"
    ACC = "acc"
    PACC = "pacc"
    EM = "em"
    BLEND = "blend"


DEFAULT_METHOD = Method.BLEND
# after the group column (named after ``groups``, else "group")
SHARE_COLUMNS = list(CATEGORY_SHARES.columns[1:])
CALIBRATION_FORMAT = "dangjian.calibration/1"
LEVEL = 0.95
Z95 = 1.959963984540054  # standard normal 97.5% quantile
KAPPA = 20.0  # labelled rows of a class at which a source's own error rate gets half the weight
CORRECTED = (Method.ACC, Method.PACC, Method.EM, Method.BLEND)
NOTES = {
    Method.CC: "shares by classify-and-count: character share of paragraphs by predicted label, not corrected for classifier errors",
    Method.PCC: "shares by probabilistic classify-and-count: character-weighted mean of the classifier's probabilities, not corrected for classifier errors",
    Method.ACC: "shares corrected by ACC: predicted-label shares adjusted for the misclassification rates measured out-of-fold on the labelled paragraphs",
    Method.PACC: "shares corrected by PACC: mean classifier probabilities adjusted for the probability confusion measured out-of-fold on the labelled paragraphs",
    Method.EM: "shares corrected by EM (Saerens et al.): classifier probabilities re-weighted to each group's estimated class prior",
    Method.BLEND: "shares half-corrected: the mean of classify-and-count and PACC (mean probabilities adjusted for the probability confusion measured out-of-fold on the labelled paragraphs)",
}
INTERVAL_NOTE = "95% intervals by bootstrap over documents within each group and over the labelled documents (error-rate uncertainty)"
SHIFT_NOTE = "widened by the spread of the correction between the {n} kinds of source of the labelled paragraphs (error rates differ between sources)"


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
    text = pd.Series(values, dtype=object)
    missing = text.isna().to_numpy() | (text == "").to_numpy()
    if missing.any() and not allow_missing:
        raise InputError(f"{name} has a missing label (row {int(np.flatnonzero(missing)[0])})", "give every calibration row its true label")
    codes = pd.Index(list(labels)).get_indexer(text.where(~missing).map(str, na_action="ignore")).astype(np.int64)
    unknown = sorted(set(text[(codes < 0) & ~missing].map(str)))
    if unknown:
        raise InputError(f"{name} has labels outside the label order: {', '.join(unknown)}", f"use one of: {', '.join(labels)}")
    return codes


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
    paragraphs' lengths (characters); ``sources`` (str) the kind of source of each row (its
    source group: ``""`` everywhere when unknown), for the between-source term of the interval."""

    labels: tuple[str, ...]
    true: np.ndarray
    posteriors: np.ndarray
    groups: np.ndarray
    weights: np.ndarray
    pred: np.ndarray
    sources: np.ndarray

    @classmethod
    def from_arrays(cls, true_labels, posteriors, groups, labels: Sequence[str], *, weights=None, predicted=None, sources=None) -> Calibration:
        """From true labels (str), posteriors ((n, k) array in ``labels`` order, or a DataFrame
        with ``p_<label>`` columns), group ids (documents), the label order, and optionally the
        lengths (``weights``, default 1), the predicted labels (default argmax; pass them when
        the pipeline's label rule is not the argmax, e.g. the six-way rollup rule) and the source
        group of each row (``sources``: what the between-source term compares; default none)."""
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
        src = (
            np.full(n, "", dtype=object)
            if sources is None
            else np.asarray(["" if v is None or v != v else str(v) for v in as_1d(sources, n, "calibration sources")], dtype=object)
        )
        return cls(labels, codes, post, grp, as_weights(weights, n, "calibration weights"), pred.astype(np.int64), src)

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
            "sources": [str(v) for v in self.sources],
        }

    @classmethod
    def from_dict(cls, data: dict) -> Calibration:
        if not isinstance(data, dict) or data.get("format") != CALIBRATION_FORMAT:
            found = data.get("format") if isinstance(data, dict) else type(data).__name__
            raise InputError(f"not a calibration set (format {found!r})", f"expected format {CALIBRATION_FORMAT}; retrain the model to store one")
        labels = data["labels"]
        post = np.asarray(data["posteriors"], dtype=float).reshape(-1, len(labels))
        return cls.from_arrays(
            data["true"], post, data["groups"], labels, weights=data["weights"], predicted=data["pred"], sources=data.get("sources")
        )


# --------------------------------------------------------------------------- numerics
