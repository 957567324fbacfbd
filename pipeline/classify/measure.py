"""Measuring a model: out-of-fold posteriors of every labelled paragraph by three protocols and the
quality block built from them, as one JSON-ready *calibration* dict (the only calibration format;
it is stored next to the model as ``classifier-<taxonomy>.calibration.json`` by
``training.train`` or, on first use, by ``pipeline.classify.calibrate.get_calibration``).

``compute`` fits the candidate 5 times (doc-grouped CV, ``evaluate.oof_cv``), 5 times more
(site-grouped CV, ``evaluate.oof_sites``: new organisations of kinds in the labels) and once per
source group (leave one source group out, ``evaluate.oof_loso``), never on the row it scores. Keys:

``format``           FORMAT (``files.CALIBRATION_FORMAT``; written and read by ``files``)
``taxonomy``, ``model``
``labels``           the model's classes (column order of the posteriors)
``true``             each labelled paragraph's training target
``posteriors``       its doc-grouped 5-fold CV posterior: the calibration set that
                     :mod:`pipeline.quantify` corrects category shares with
``posteriors_loso``  its leave-one-source-group-out posterior (absent with < 2 source groups)
``groups``           its document (resample these for intervals)
``weights``          its length in characters
``source_group``     its LOSO group (``pipeline.classify.sources``)
``sources``          its ``org_kind``: the corrected shares' interval compares the kinds of source
``quality``          see ``quality_block``

The quality block keeps the keys the run and the report read (``macro_f1``, ``macro_f1_low``,
``macro_f1_high``, ``per_class_f1``, ``evaluation``, ``n_labels``, ``cv_macro_f1``,
``experimental``) and adds the full summaries (``loso``, ``cv``, ``sites``), ``sites_macro_f1``
(with ``_low``/``_high``), ``by_source_group``,
``label_counts`` and, for a six-way model, ``reference_macro_f1`` and ``note``. The headline
(``macro_f1``) is the LOSO mean over source groups: how the model does on a kind of collection it
has not seen; site-grouped CV is a collection from new organisations of kinds the labels cover;
doc-grouped CV is the optimistic number (other documents of the same sites in training).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from pipeline.classify.evaluate import OOF, oof_cv, oof_loso, oof_sites, summarise
from pipeline.classify.files import CALIBRATION_FORMAT as FORMAT

#: the six-way model is "experimental" while its LOSO macro-F1 is more than this below the four-way model's
EXPERIMENTAL_MARGIN = 0.05


def label_counts(data: pd.DataFrame, y) -> dict:
    """org_kind -> label -> number of rows (the training targets ``y``)."""
    kinds = data["org_kind"].fillna("").astype(str).replace("", "unknown") if "org_kind" in data.columns else pd.Series("unknown", index=data.index)
    table = pd.crosstab(kinds.to_numpy(), np.asarray(y, dtype=object))
    return {str(k): {str(lab): int(n) for lab, n in row.items() if n} for k, row in table.iterrows()}


def _evaluation(head: str, cv: dict, loso: dict | None) -> str:
    if head == "loso":
        return f"leave one source group out ({len(loso['folds'])} groups, each scored by a model trained on the others; mean over groups)"
    return "5-fold cross-validation grouped by document (out-of-fold predictions of every labelled paragraph)"


def quality_block(
    data: pd.DataFrame, y, cv: OOF, loso: OOF | None, *, taxonomy: str, reference_macro_f1: float | None = None, sites: OOF | None = None
) -> dict:
    """The quality of one model from its out-of-fold posteriors (plain JSON types).

    ``reference_macro_f1``: for a six-way model, the four-way model's LOSO macro-F1 on the same
    labels; ``experimental`` is true unless the six-way headline is within EXPERIMENTAL_MARGIN of
    it (the four-way model itself is never experimental). ``sites``: site-grouped posteriors
    (``evaluate.oof_sites``), reported next to the headline."""
    cv_summary = summarise(cv)
    sites_summary = summarise(sites) if sites is not None else None
    loso_summary = summarise(loso) if loso is not None else None
    head = "loso" if loso_summary else "cv"
    main = loso_summary or cv_summary
    block = {
        "headline": head,
        "evaluation": _evaluation(head, cv_summary, loso_summary),
        "macro_f1": main["macro_f1"],
        "macro_f1_low": main["macro_f1_ci"][0],
        "macro_f1_high": main["macro_f1_ci"][1],
        "per_class_f1": main["per_class_f1"],
        "cv_macro_f1": cv_summary["macro_f1"],
        "cv_macro_f1_low": cv_summary["macro_f1_ci"][0],
        "cv_macro_f1_high": cv_summary["macro_f1_ci"][1],
        "by_source_group": {g: v["macro_f1"] for g, v in loso_summary["folds"].items()} if loso_summary else {},
        "loso": loso_summary,
        "cv": cv_summary,
        "sites": sites_summary,
        "label_counts": label_counts(data, y),
        "n_labels": int(len(cv.gold)),
    }
    if sites_summary is not None:
        block["sites_macro_f1"] = sites_summary["macro_f1"]
        block["sites_macro_f1_low"], block["sites_macro_f1_high"] = sites_summary["macro_f1_ci"]
    if not all(cv.rollup[lab] == lab for lab in cv.labels):  # six-way: also on the four-way level
        block["rolled_up"] = {"cv": summarise(cv.rolled_up()), "loso": summarise(loso.rolled_up()) if loso is not None else None}
    if taxonomy == "four":
        block["experimental"] = False
    else:
        block["reference_macro_f1"] = reference_macro_f1
        block["experimental"] = bool(reference_macro_f1 is None or main["macro_f1"] < reference_macro_f1 - EXPERIMENTAL_MARGIN)
        ref = "not measured" if reference_macro_f1 is None else f"{reference_macro_f1:.3f}"
        block["note"] = f"six-way: a model trained on the six-way labels, macro-F1 {main['macro_f1']:.3f} against the four-way model's {ref}" + (
            f"; experimental while more than {EXPERIMENTAL_MARGIN} below it" if block["experimental"] else ""
        )
    return block


def compute(data: pd.DataFrame, y=None, *, model: str, taxonomy: str = "four", lexicon_dir=None, reference_macro_f1: float | None = None) -> dict:
    """The calibration dict (module docstring) of ``model`` trained on ``data`` with targets ``y``
    (default ``data['label']``)."""
    data = data.reset_index(drop=True)
    y = data["label"].to_numpy() if y is None else y
    y = np.asarray([str(v) for v in y], dtype=object)
    cv = oof_cv(data, y, model, taxonomy=taxonomy, lexicon_dir=lexicon_dir)
    loso = oof_loso(data, y, model, taxonomy=taxonomy, lexicon_dir=lexicon_dir)
    sites = oof_sites(data, y, model, taxonomy=taxonomy, lexicon_dir=lexicon_dir) if loso is not None else None
    out = {
        "format": FORMAT,
        "taxonomy": taxonomy,
        "model": model,
        "labels": list(cv.labels),
        "true": [str(v) for v in cv.gold],
        "posteriors": np.round(cv.proba, 6).tolist(),
        "groups": [str(d) for d in cv.docs],
        "weights": data["text"].astype(str).str.len().tolist(),
        "source_group": data["group"].astype(str).tolist() if "group" in data.columns else ["other"] * len(data),
        "sources": data["org_kind"].fillna("").astype(str).tolist() if "org_kind" in data.columns else [""] * len(data),
        "quality": quality_block(data, y, cv, loso, taxonomy=taxonomy, reference_macro_f1=reference_macro_f1, sites=sites),
    }
    if loso is not None and list(loso.labels) == list(cv.labels):
        out["posteriors_loso"] = np.round(loso.proba, 6).tolist()
    return out
