"""The classifier's measured errors: out-of-fold posteriors of every labelled paragraph (folds grouped
by document, so no document is on both sides), stored next to the model as
``classifier-<taxonomy>.calibration.json``. The run corrects category shares with them
(:mod:`pipeline.quantify`) and reports the measured quality (macro-F1 with a bootstrap interval
over documents, per-category F1, by kind of source).

Computed on first use after a model is trained (``FOLDS`` extra fits) and kept while the model's
fingerprint is the same. Four-way scheme only: the six-way split has no labelled calibration yet.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from pipeline.classify.candidates import SEED
from pipeline.classify.files import model_path, read_sidecar

FOLDS = 5
BOOT = 200
FORMAT = "dangjian.classifier-calibration/2"  # 2: with the kind of source of every row (``sources``)


def calibration_path(models_dir, taxonomy: str = "four") -> Path:
    return model_path(models_dir, taxonomy).with_suffix(".calibration.json")


def _quality(true: np.ndarray, pred: np.ndarray, groups: np.ndarray, kinds: np.ndarray, labels: list[str]) -> dict:
    from sklearn.metrics import f1_score

    rng = np.random.default_rng(SEED)
    docs, inverse = np.unique(groups, return_inverse=True)
    by_doc = [np.flatnonzero(inverse == i) for i in range(len(docs))]
    reps = []
    for _ in range(BOOT):
        pick = np.concatenate([by_doc[i] for i in rng.integers(0, len(docs), len(docs))])
        reps.append(f1_score(true[pick], pred[pick], labels=labels, average="macro", zero_division=0))
    per_class = f1_score(true, pred, labels=labels, average=None, zero_division=0)
    by_kind = {}
    for kind in sorted(set(kinds.tolist())):
        sel = kinds == kind
        if sel.sum() >= 30:
            by_kind[str(kind)] = {
                "n": int(sel.sum()),
                "macro_f1": round(float(f1_score(true[sel], pred[sel], labels=labels, average="macro", zero_division=0)), 4),
            }
    return {
        "evaluation": f"{FOLDS}-fold cross-validation grouped by document (out-of-fold predictions of every labelled paragraph)",
        "macro_f1": round(float(f1_score(true, pred, labels=labels, average="macro", zero_division=0)), 4),
        "macro_f1_low": round(float(np.percentile(reps, 2.5)), 4),
        "macro_f1_high": round(float(np.percentile(reps, 97.5)), 4),
        "per_class_f1": {lab: round(float(f), 4) for lab, f in zip(labels, per_class)},
        "by_source_kind": by_kind,
        "n_labels": int(len(true)),
    }


def compute(data, *, model: str, lexicon_dir=None) -> dict:
    """Out-of-fold posteriors and quality of ``model`` on the labelled ``data`` (four-way)."""
    from sklearn.model_selection import StratifiedGroupKFold

    from pipeline.classify.model import ParagraphClassifier

    data = data.reset_index(drop=True)
    y = data["label"].to_numpy()
    groups = data["doc"].astype(str).where(data["doc"].astype(str) != "", data["text"].astype(str)).to_numpy()
    labels: list[str] | None = None
    post = None
    for tr, te in StratifiedGroupKFold(n_splits=FOLDS, shuffle=True, random_state=SEED).split(data, y, groups):
        clf = ParagraphClassifier(model=model, taxonomy="four", lexicon_dir=lexicon_dir).fit(data.iloc[tr], y[tr])
        if labels is None:
            labels = list(clf.labels_)
            post = np.zeros((len(data), len(labels)))
        proba = clf.predict_proba(data.iloc[te]).reindex(columns=[f"p_{lab}" for lab in labels], fill_value=0.0)
        post[te] = proba.to_numpy()
    pred = np.asarray(labels, dtype=object)[post.argmax(axis=1)]
    kinds = data["org_kind"].fillna("").astype(str).to_numpy() if "org_kind" in data else np.full(len(data), "", dtype=object)
    return {
        "format": FORMAT,
        "labels": labels,
        "true": y.tolist(),
        "posteriors": np.round(post, 6).tolist(),
        "groups": groups.tolist(),
        "weights": data["text"].astype(str).str.len().tolist(),
        "sources": kinds.tolist(),  # org_kind: the corrected shares' interval compares the kinds of source
        "quality": _quality(y, pred, groups, kinds, labels),
    }


def get_calibration(taxonomy: str = "four", labels_dir=None, models_dir=None, lexicon_dir=None) -> dict | None:
    """The stored calibration of the current model (computed and saved on first use), or None for
    the six-way scheme or when it cannot be had (the run then reports classify-and-count)."""
    from pipeline.atomic import write_text
    from pipeline.classify.data import load_labels
    from pipeline.classify.files import models_dir_default
    from pipeline.classify.registry import current_fingerprint
    from pipeline.config import LABELS_DIR

    if getattr(taxonomy, "value", taxonomy) != "four":
        return None
    labels_dir = Path(labels_dir) if labels_dir is not None else LABELS_DIR
    models_dir = Path(models_dir) if models_dir is not None else models_dir_default()
    fp = current_fingerprint("four", labels_dir, models_dir, lexicon_dir)
    path = calibration_path(models_dir, "four")
    try:
        stored = json.loads(path.read_text(encoding="utf-8"))
        if stored.get("format") == FORMAT and stored.get("fingerprint") == fp:
            return stored
    except (OSError, ValueError):
        pass
    info = read_sidecar(model_path(models_dir, "four")) or {}
    data = load_labels(labels_dir, "four", lexicon_dir)
    result = compute(data, model=str(info.get("model") or "char_svm"), lexicon_dir=lexicon_dir)
    result["fingerprint"] = fp
    try:
        write_text(path, json.dumps(result, ensure_ascii=False))
    except OSError:
        pass  # a read-only models folder: used from memory this time
    return result
