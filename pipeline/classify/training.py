"""Training: fit the classifier on every labelled CSV, measure it and save it (``dangjian train``).

Whether a saved model is current or must be trained again is decided in one place,
``pipeline.classify.registry``; this module only fits, measures and saves.

The six-way model is trained on the six-way labels (``data.six_way_targets``) when at least
MIN_SIX_COVERAGE of the rows have one and every six-way class has MIN_SIX_PER_CLASS examples;
otherwise (a labels folder with four-way labels only) it falls back to the keyword split of the
four-way model. ``quality`` (on by default) adds 17 fits - 5 doc-grouped and 5 site-grouped CV folds, 7 source
groups left out - whose out-of-fold posteriors and quality become the model's calibration file
(``pipeline.classify.measure``; read by ``pipeline.classify.calibrate``).
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field
from pathlib import Path

from pipeline.classify.candidates import DEFAULT_MODEL
from pipeline.classify.data import load_labels, six_way_targets
from pipeline.classify.files import (
    MODEL_FORMAT_VERSION,
    calibration_dumps,
    calibration_path,
    features_hash,
    labels_hash,
    model_path,
    models_dir_default,
    read_calibration_file,
    read_sidecar,
)
from pipeline.classify.model import ParagraphClassifier
from pipeline.classify.persist import save_model

MIN_SIX_COVERAGE = 0.9
MIN_SIX_PER_CLASS = 10


@dataclass
class TrainResult:
    classifier: ParagraphClassifier
    path: Path
    n: int
    counts: dict
    cv: dict | None = None
    meta: dict = field(default_factory=dict)

    def text(self) -> str:
        lines = [
            f"trained {self.classifier.model} ({self.meta.get('taxonomy')}"
            + (f", {self.meta['six_way']}" if self.meta.get("six_way") else "")
            + f") on {self.n} paragraphs: "
            + ", ".join(f"{k} {v}" for k, v in self.counts.items())
        ]
        q = self.meta.get("quality") or {}
        if q.get("loso"):
            lo, hi = q["loso"]["macro_f1_ci"]
            lines.append(
                f"leave-one-source-group-out macro-F1 {q['loso']['macro_f1']:.3f} (95% CI {lo:.3f}-{hi:.3f}; "
                + ", ".join(f"{g} {v['macro_f1']:.3f}" for g, v in q["loso"]["folds"].items())
                + ")"
            )
        if q.get("sites"):
            lo, hi = q["sites"]["macro_f1_ci"]
            lines.append(
                f"{len(q['sites']['folds'])}-fold site-grouped CV macro-F1 {q['sites']['macro_f1']:.3f} ± {q['sites']['std']:.3f}"
                f" (95% CI {lo:.3f}-{hi:.3f}; new organisations of kinds in the labels)"
            )
        if q.get("cv"):
            lo, hi = q["cv"]["macro_f1_ci"]
            lines.append(
                f"{len(q['cv']['folds'])}-fold doc-grouped CV macro-F1 {q['cv']['macro_f1']:.3f} ± {q['cv']['std']:.3f}"
                f" (95% CI {lo:.3f}-{hi:.3f}; accuracy {q['cv']['accuracy']:.3f})"
            )
        if q and self.meta.get("taxonomy") != "four":
            ref = q.get("reference_macro_f1")
            lines.append(
                ("EXPERIMENTAL: " if q.get("experimental") else "not experimental: ")
                + f"six-way LOSO macro-F1 {q['macro_f1']:.3f} vs four-way {ref if ref is None else f'{ref:.3f}'}"
            )
        lines.append(f"saved {self.path}")
        return "\n".join(lines)


def training_targets(data, taxonomy: str, lexicon_dir=None):
    """(rows, targets, six_way mode) to fit a ``taxonomy`` model on: four-way labels; six-way
    labels when enough rows have them ("direct"); else four-way labels for the keyword split."""
    if taxonomy == "four":
        return data, data["label"].to_numpy(), None
    y6 = six_way_targets(data, lexicon_dir)
    known = y6 != ""
    counts = y6[known].value_counts()
    from pipeline.taxonomy import load_taxonomy

    labels6 = load_taxonomy(taxonomy, lexicon_dir).labels
    if known.mean() >= MIN_SIX_COVERAGE and all(counts.get(lab, 0) >= MIN_SIX_PER_CLASS for lab in labels6):
        rows = data[known.to_numpy()].reset_index(drop=True)
        return rows, y6[known].to_numpy(), "direct"
    return data, data["label"].to_numpy(), "keyword-split"


def four_way_reference(data, lexicon_dir=None, models_dir: Path | None = None, want: dict | None = None) -> float | None:
    """The four-way model's headline macro-F1 (LOSO) on the same labels: from its stored
    calibration when that model is current (``want``: the sidecar values it must have), else
    measured now (one fit per source group)."""
    from pipeline.classify.evaluate import oof_loso, summarise

    if models_dir is not None and want is not None:
        info = read_sidecar(model_path(models_dir, "four")) or {}
        if all(info.get(k) == v for k, v in want.items()):
            stored = read_calibration_file(calibration_path(models_dir, "four"), str(info.get("fingerprint", "")))
            if stored and stored["quality"].get("headline") == "loso":
                return float(stored["quality"]["macro_f1"])
    loso = oof_loso(data, data["label"].to_numpy(), DEFAULT_MODEL, taxonomy="four", lexicon_dir=lexicon_dir)
    return None if loso is None else float(summarise(loso)["macro_f1"])


def train(
    labels_dir=None, *, taxonomy: str = "four", models_dir=None, lexicon_dir=None, model: str = DEFAULT_MODEL, cv: bool = False, quality: bool = True
) -> TrainResult:
    """Fit on every CSV in ``labels_dir`` and save under ``models_dir``. ``quality`` also measures
    the model (LOSO and grouped CV out-of-fold posteriors) and writes its calibration file
    (``pipeline.classify.measure``); ``cv`` is kept for the CLI and implies ``quality``. Without
    it the calibration is computed on first use (``pipeline.classify.calibrate``)."""
    from pipeline.atomic import write_text
    from pipeline.config import LABELS_DIR, LEXICON_DIR

    taxonomy = getattr(taxonomy, "value", taxonomy)
    labels_dir = Path(labels_dir) if labels_dir is not None else LABELS_DIR
    models_dir = Path(models_dir) if models_dir is not None else models_dir_default()
    # the model stores its settings: keep them plain (str/None) so skops needs no extra types
    if lexicon_dir is not None:
        lexicon_dir = None if Path(lexicon_dir).resolve() == LEXICON_DIR.resolve() else str(lexicon_dir)
    data = load_labels(labels_dir, taxonomy, lexicon_dir)
    data_hash = labels_hash(labels_dir)
    rows, y, six_way = training_targets(data, taxonomy, lexicon_dir)
    if six_way == "keyword-split":
        warnings.warn(
            "fewer than 90% of the labelled paragraphs have a six-way label (label6): the six-way model "
            "splits the four-way probabilities by keywords",
            RuntimeWarning,
            stacklevel=2,
        )
    clf = ParagraphClassifier(model=model, taxonomy=taxonomy, lexicon_dir=lexicon_dir).fit(rows, y)
    meta = {
        "taxonomy": taxonomy,
        "labels_dir": str(labels_dir),
        "training_data_sha256": data_hash,
        "features_sha256": features_hash(lexicon_dir, model),
        "n_train": int(len(rows)),
        "class_counts": {k: int(v) for k, v in rows.assign(_y=y)["_y"].value_counts().sort_index().items()},
    }
    if six_way:
        meta["six_way"] = six_way
    calibration = None
    if (quality or cv) and six_way != "keyword-split":
        from pipeline.classify.measure import compute

        reference = None
        if taxonomy != "four":
            want = {
                "training_data_sha256": data_hash,
                "features_sha256": features_hash(lexicon_dir, DEFAULT_MODEL),
                "format": MODEL_FORMAT_VERSION,
                "model": DEFAULT_MODEL,
            }
            reference = four_way_reference(data, lexicon_dir, models_dir, want)
        calibration = compute(rows, y, model=model, taxonomy=taxonomy, lexicon_dir=lexicon_dir, reference_macro_f1=reference)
        block = calibration["quality"]
        meta["cv"] = {k: block["cv"][k] for k in ("macro_f1", "std", "accuracy")} | {"folds": [v["macro_f1"] for v in block["cv"]["folds"].values()]}
    path = model_path(models_dir, taxonomy)
    cal_path = calibration_path(models_dir, taxonomy)
    if cal_path.is_file():
        cal_path.unlink()  # an older model's calibration must not outlive it
    path = save_model(clf, path, meta)
    if calibration is not None:
        write_text(cal_path, calibration_dumps(calibration, clf.fingerprint_))
        meta["quality"] = calibration["quality"]  # for text(); the sidecar does not repeat it
    return TrainResult(clf, path, len(rows), meta["class_counts"], meta.get("cv"), meta)
