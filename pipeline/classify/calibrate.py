"""The classifier's measured errors, for the run and the report: the calibration of the current
model (out-of-fold posteriors of every labelled paragraph and the quality block built from them,
format in :mod:`pipeline.classify.measure`), stored next to the model as
``classifier-<taxonomy>.calibration.json``. The run corrects category shares with its grouped-CV
posteriors (:mod:`pipeline.quantify`) and reports its quality (leave-one-source-group-out
macro-F1 with a bootstrap interval over documents, grouped-CV macro-F1, per-category F1).

``dangjian train`` writes it; a model trained on first use is measured here on first use instead
(5 + one fit per source group) and the file is kept while the model's fingerprint is the same.
The six-way scheme has a calibration when its model is trained on six-way labels (the shipped
labels); a six-way keyword split of the four-way model (labels without ``label6``) has none.
"""

from __future__ import annotations

from pathlib import Path

from pipeline.classify.files import calibration_dumps, calibration_path, model_path, models_dir_default, read_calibration_file, read_sidecar

__all__ = ["calibration_path", "get_calibration", "quality"]


def quality(models_dir=None, taxonomy: str = "four") -> dict:
    """The measured quality of the saved ``taxonomy`` model (the calibration's quality block plus
    ``model``, ``fingerprint``, ``n_train``, ``taxonomy``), or {} when the model has not been
    measured (or was retrained since). Never trains or measures."""
    taxonomy = getattr(taxonomy, "value", taxonomy)
    models_dir = Path(models_dir) if models_dir is not None else models_dir_default()
    info = read_sidecar(model_path(models_dir, taxonomy))
    if not info:
        return {}
    stored = read_calibration_file(calibration_path(models_dir, taxonomy), str(info.get("fingerprint", "")))
    if not stored or not isinstance(stored.get("quality"), dict):
        return {}
    out = dict(stored["quality"])
    for key in ("model", "fingerprint", "n_train", "taxonomy", "six_way"):
        if key in info:
            out.setdefault(key, info[key])
    return out


def get_calibration(taxonomy: str = "four", labels_dir=None, models_dir=None, lexicon_dir=None) -> dict | None:
    """The stored calibration of the current model (computed and saved on first use), or None
    for a six-way keyword split (no six-way labels) or when it cannot be had (the run then
    reports classify-and-count). A stored, current calibration is read without importing
    sklearn or pandas."""
    from pipeline.classify.registry import current_fingerprint
    from pipeline.config import LABELS_DIR

    taxonomy = getattr(taxonomy, "value", taxonomy)
    labels_dir = Path(labels_dir) if labels_dir is not None else LABELS_DIR
    models_dir = Path(models_dir) if models_dir is not None else models_dir_default()
    fp = current_fingerprint(taxonomy, labels_dir, models_dir, lexicon_dir)
    path = calibration_path(models_dir, taxonomy)
    stored = read_calibration_file(path, fp)
    if stored is not None:
        return stored
    from pipeline.atomic import write_text
    from pipeline.classify.data import load_labels
    from pipeline.classify.measure import compute
    from pipeline.classify.training import four_way_reference, training_targets

    info = read_sidecar(model_path(models_dir, taxonomy)) or {}
    data = load_labels(labels_dir, taxonomy, lexicon_dir)
    rows, y, six_way = training_targets(data, taxonomy, lexicon_dir)
    if six_way == "keyword-split":
        return None
    reference = None
    if taxonomy != "four":
        four = get_calibration("four", labels_dir, models_dir, lexicon_dir)
        reference = four["quality"]["macro_f1"] if four else four_way_reference(data, lexicon_dir)
    result = compute(rows, y, model=str(info.get("model") or "char_svm"), taxonomy=taxonomy, lexicon_dir=lexicon_dir, reference_macro_f1=reference)
    try:
        write_text(path, calibration_dumps(result, fp))
    except OSError:
        pass  # a read-only models folder: used from memory this time
    return {**result, "fingerprint": fp}
