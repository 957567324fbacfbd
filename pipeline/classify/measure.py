"""Measuring a model at train time: the quality block of its sidecar and its calibration arrays
(formats in ``pipeline.classify.calibration``).

``measure`` fits the candidate 5 times (doc-grouped CV) and once per source group (LOSO),
never on the row it scores, and summarises both; the CV posteriors are the calibration data.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from pipeline.classify.calibration import EXPERIMENTAL_MARGIN
from pipeline.classify.evaluate import OOF, oof_cv, oof_loso, summarise


def label_counts(data: pd.DataFrame, y) -> dict:
    """org_kind -> label -> number of rows (the training targets ``y``)."""
    kinds = data["org_kind"].fillna("").astype(str).replace("", "unknown") if "org_kind" in data.columns else pd.Series("unknown", index=data.index)
    table = pd.crosstab(kinds.to_numpy(), np.asarray(y, dtype=object))
    return {str(k): {str(lab): int(n) for lab, n in row.items() if n} for k, row in table.iterrows()}


def measure(data: pd.DataFrame, y, model: str, *, taxonomy: str, lexicon_dir=None, reference_macro_f1: float | None = None) -> tuple[dict, dict]:
    """(quality block, calibration arrays) of ``model`` trained on ``data`` with targets ``y``.

    ``reference_macro_f1``: for a six-way model, the four-way model's LOSO macro-F1 on the same
    labels; ``experimental`` is true unless the six-way LOSO macro-F1 is within
    EXPERIMENTAL_MARGIN of it (the four-way model itself is never experimental)."""
    data = data.reset_index(drop=True)
    y = np.asarray([str(v) for v in y], dtype=object)
    cv = oof_cv(data, y, model, taxonomy=taxonomy, lexicon_dir=lexicon_dir)
    loso = oof_loso(data, y, model, taxonomy=taxonomy, lexicon_dir=lexicon_dir)
    cv_summary = summarise(cv)
    loso_summary = summarise(loso) if loso is not None else None
    head = loso_summary or cv_summary
    block = {
        "headline": "loso" if loso_summary else "cv",
        "macro_f1": head["macro_f1"],
        "macro_f1_ci": head["macro_f1_ci"],
        "per_class_f1": head["per_class_f1"],
        "loso": loso_summary,
        "cv": cv_summary,
        "label_counts": label_counts(data, y),
    }
    if not all(cv.rollup[lab] == lab for lab in cv.labels):  # six-way: also on the four-way level
        block["rolled_up"] = {"cv": summarise(cv.rolled_up()), "loso": summarise(loso.rolled_up()) if loso is not None else None}
    if taxonomy == "four":
        block["experimental"] = False
    else:
        block["reference_macro_f1"] = reference_macro_f1
        block["experimental"] = bool(reference_macro_f1 is None or head["macro_f1"] < reference_macro_f1 - EXPERIMENTAL_MARGIN)
    return block, calibration_arrays(data, cv, loso)


def calibration_arrays(data: pd.DataFrame, cv: OOF, loso: OOF | None) -> dict:
    """The arrays of ``classifier-<taxonomy>.calibration.npz`` (``pipeline.classify.calibration``)."""
    order = list(cv.labels)
    index = {lab: i for i, lab in enumerate(order)}
    docs, groups = np.unique(cv.docs.astype(str), return_inverse=True)
    arrays = {
        "labels": np.asarray([index[g] for g in cv.gold], dtype=np.int64),
        "posteriors": np.asarray(cv.proba, dtype=np.float64),
        "groups": groups.astype(np.int64),
        "label_order": np.asarray(order, dtype=str),
        "docs": docs.astype(str),
        "org_kind": data["org_kind"].fillna("").astype(str).to_numpy().astype(str) if "org_kind" in data.columns else np.full(len(data), ""),
        "source_group": data["group"].astype(str).to_numpy().astype(str) if "group" in data.columns else np.full(len(data), "other"),
        "fold": cv.fold.astype(np.int64),
    }
    if loso is not None and list(loso.labels) == order:
        arrays["posteriors_loso"] = np.asarray(loso.proba, dtype=np.float64)
    return arrays
