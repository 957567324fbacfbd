"""The numeric export of a fitted ParagraphClassifier, for the fast scorer.

``write_export`` turns a char n-gram TF-IDF -> calibrated linear model into plain arrays and a
JSON metadata entry (``classifier-<taxonomy>.npz`` next to the skops file), checks that
:class:`~pipeline.classify.scorer.LinearScorer` reproduces the model on probe texts, and writes
it atomically. ``export_matches`` tells whether an export on disk belongs to a model file and
its sidecar. Only numpy here: the sklearn model's attributes are read, sklearn is not imported.
"""

from __future__ import annotations

import io
import json
from pathlib import Path

import numpy as np

from pipeline.classify.files import export_path, read_sidecar
from pipeline.classify.scorer import EXPORT_FORMAT, LinearScorer
from pipeline.errors import ModelError

VERIFY_ATOL = 1e-9  # the export must reproduce the sklearn model this closely on probe texts


class ExportMismatch(ModelError):
    """The numeric export does not reproduce its sklearn model (a bug, never expected)."""


def export_content(clf) -> tuple[dict, dict]:
    """(arrays, meta) of a fitted ParagraphClassifier, or ModelError if its pipeline is not a
    char n-gram TF-IDF -> linear model this module can reproduce. Reads attributes only (sklearn
    is already loaded by whoever holds ``clf``)."""

    def unsupported(why: str):
        return ModelError(
            f"model {getattr(clf, 'model', '?')!r} cannot be exported for fast scoring: {why}",
            "use the default model or the sklearn path (get_classifier)",
        )

    steps = clf.pipeline_.named_steps
    if list(steps) != ["frame", "features", "clf"]:
        raise unsupported(f"pipeline steps {list(steps)}")
    ct = steps["features"]
    branches = [t for t in ct.transformers_ if t[0] != "remainder"]
    remainder = [t for t in ct.transformers_ if t[0] == "remainder"]
    if len(branches) != 1 or branches[0][0] != "char" or branches[0][2] != "text":
        raise unsupported(f"feature branches {[t[0] for t in branches]}")
    if remainder and remainder[0][1] != "drop":
        raise unsupported("columns pass through")
    vec = ct.named_transformers_["char"]
    pre = vec.preprocessor
    checks = {
        "analyzer": vec.analyzer == "char",
        "input": vec.input == "content",
        "preprocessor": getattr(pre, "__module__", "").startswith("pipeline.classify") and getattr(pre, "__qualname__", "") == "char_preprocess",
        "norm": vec.norm == "l2",
        "use_idf": bool(vec.use_idf),
        "binary": not vec.binary,
        "dtype": np.dtype(vec.dtype) in (np.dtype(np.float32), np.dtype(np.float64)),
        "ngram_range": 1 <= vec.ngram_range[0] <= vec.ngram_range[1] <= 3,
    }
    bad = [k for k, ok in checks.items() if not ok]
    if bad:
        raise unsupported("vectorizer settings " + ", ".join(bad))
    vocab = vec.vocabulary_
    F = len(vocab)
    n_max = vec.ngram_range[1]
    terms = np.full((F, n_max), -1, dtype=np.int32)
    for term, j in vocab.items():
        terms[j, : len(term)] = [ord(c) for c in term]
    est = steps["clf"]
    classes = [str(c) for c in est.classes_]
    rows_coef, intercept, cal_a, cal_b, target, fold = [], [], [], [], [], []
    name = type(est).__name__
    if name == "CalibratedClassifierCV":
        if est.method != "sigmoid":
            raise unsupported(f"calibration method {est.method!r}")
        kind, n_folds = "sigmoid", len(est.calibrated_classifiers_)
        for f, cc in enumerate(est.calibrated_classifiers_):
            inner = cc.estimator
            if not hasattr(inner, "coef_") or not hasattr(inner, "decision_function"):
                raise unsupported(f"calibrated estimator {type(inner).__name__}")
            coef = np.atleast_2d(np.asarray(inner.coef_, dtype=np.float64))
            icpt = np.atleast_1d(np.asarray(inner.intercept_, dtype=np.float64))
            pos = [list(cc.classes).index(c) for c in inner.classes_]  # LabelEncoder on sorted classes
            if len(cc.classes) == 2:
                pos = [1]
            for r, (cal, cls_idx) in enumerate(zip(cc.calibrators, pos)):
                rows_coef.append(coef[r])
                intercept.append(icpt[r] if len(icpt) > 1 else icpt[0])
                cal_a.append(float(cal.a_))
                cal_b.append(float(cal.b_))
                target.append(cls_idx)
                fold.append(f)
    else:  # LogisticRegression fits float32 data in float32: not reproduced to VERIFY_ATOL
        raise unsupported(f"estimator {name}")
    arrays = {
        "terms": terms,
        "idf": np.asarray(vec.idf_),
        "coef": np.ascontiguousarray(np.column_stack(rows_coef)) if rows_coef else np.zeros((F, 0)),
        "intercept": np.asarray(intercept, dtype=np.float64),
        "cal_a": np.asarray(cal_a, dtype=np.float64),
        "cal_b": np.asarray(cal_b, dtype=np.float64),
        "target": np.asarray(target, dtype=np.int64),
        "fold": np.asarray(fold, dtype=np.int64),
    }
    meta = {
        "export_format": EXPORT_FORMAT,
        "kind": kind,
        "n_folds": n_folds,
        "classes": classes,
        "ngram_range": [int(v) for v in vec.ngram_range],
        "sublinear_tf": bool(vec.sublinear_tf),
        "dtype": np.dtype(vec.dtype).name,
        "model": clf.model,
        "taxonomy": getattr(clf.taxonomy, "value", clf.taxonomy),
        "labels": list(clf.labels_),
        "base_labels": list(clf.base_labels_),
        "rollup": dict(clf.rollup_),
        "keywords": {k: list(v) for k, v in clf.keywords_.items()},
        "split_alpha": float(clf.split_alpha),
        "direct": bool(getattr(clf, "direct_", True)),
        "fingerprint": clf.fingerprint_,
    }
    return arrays, meta


def write_export(clf, skops_path, info: dict | None = None, *, verify: bool = True) -> Path:
    """Write ``clf``'s numeric export next to ``skops_path`` (atomically) and return its path.
    ``info`` is the model's sidecar (its ``model_sha256`` ties the export to the skops file).
    With ``verify`` the export is scored against ``clf`` on probe texts first; a mismatch
    raises ExportMismatch and nothing is written. Unsupported models raise ModelError."""
    from pipeline.atomic import write_bytes

    skops_path = Path(skops_path)
    arrays, meta = export_content(clf)
    info = info if info is not None else (read_sidecar(skops_path) or {})
    meta["model_sha256"] = info.get("model_sha256", "")
    meta["skops_size"] = skops_path.stat().st_size if skops_path.is_file() else -1
    for k in ("training_data_sha256", "features_sha256", "format"):
        if k in info:
            meta[k] = info[k]
    scorer = LinearScorer(arrays, meta)
    if verify:
        probes = scorer.probe_texts()
        want = clf.predict_proba(probes).to_numpy()
        got = scorer.predict_proba(probes)
        diff = float(np.max(np.abs(want - got))) if want.size else 0.0
        if not (diff <= VERIFY_ATOL) or list(clf.labels_) != scorer.labels_:
            raise ExportMismatch(
                f"the fast export of {skops_path.name} does not reproduce the model (max |Δp| {diff:.2e})",
                "report this; `dangjian classify --explain` uses the sklearn path meanwhile",
            )
    buf = io.BytesIO()
    np.savez(buf, meta=np.frombuffer(json.dumps(meta, ensure_ascii=False).encode("utf-8"), dtype=np.uint8), **arrays)
    out = export_path(skops_path)
    write_bytes(out, buf.getvalue())
    return out


def export_matches(skops_path, info: dict | None) -> bool:
    """Whether the export next to ``skops_path`` belongs to that model file and its sidecar
    (same fingerprint and model hash, skops file of the recorded size, current format). Reads
    only the export's small metadata entry."""
    skops_path = Path(skops_path)
    meta = _read_export_meta(export_path(skops_path))
    if meta is None or info is None:
        return False
    try:
        size = skops_path.stat().st_size
    except OSError:
        return False
    return (
        meta.get("export_format") == EXPORT_FORMAT
        and meta.get("fingerprint") == info.get("fingerprint")
        and meta.get("model_sha256") == info.get("model_sha256")
        and meta.get("skops_size") == size
    )


def _read_export_meta(path) -> dict | None:
    try:
        with np.load(path, allow_pickle=False) as npz:
            meta = json.loads(bytes(npz["meta"]).decode("utf-8"))
    except Exception:
        return None
    return meta if isinstance(meta, dict) else None
