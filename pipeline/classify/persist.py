"""Persistence of a fitted ParagraphClassifier: skops with an explicit trusted-type list.

``save_model`` writes the skops file, its JSON sidecar (``pipeline.classify.files``) and, for
models the fast scorer can reproduce, the numeric export (``pipeline.classify.export``), each
atomically. ``load_model_file`` loads only files this project wrote: every type in the file
must be in ``TRUSTED_TYPES``, otherwise it is a ModelError, never arbitrary code.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from pipeline.classify.export import ExportMismatch, write_export
from pipeline.classify.features import char_preprocess, segment_tokens
from pipeline.classify.files import MODEL_FORMAT_VERSION, export_path, sidecar_path
from pipeline.classify.model import ParagraphClassifier
from pipeline.classify.steps import KeywordRule, LexiconCounts, TextFrame
from pipeline.errors import ModelError

# The project's own classes and functions a saved model refers to, by the module path skops
# records: derived from the objects, so a move changes them here too (and MODEL_FORMAT_VERSION
# must be bumped, so models saved under the old paths are retrained instead of refused).
_OWN_TYPES = (ParagraphClassifier, TextFrame, LexiconCounts, KeywordRule, segment_tokens, char_preprocess)

# Every type a saved ParagraphClassifier may contain beyond what skops trusts by default.
# Loading refuses anything else (skops.io.get_untrusted_types is checked first).
TRUSTED_TYPES = [
    *(f"{obj.__module__}.{obj.__qualname__}" for obj in _OWN_TYPES),
    "sklearn.pipeline.Pipeline",
    "sklearn.compose._column_transformer.ColumnTransformer",
    "sklearn.feature_extraction.text.TfidfVectorizer",
    "sklearn.feature_extraction.text.TfidfTransformer",
    "sklearn.linear_model._logistic.LogisticRegression",
    "sklearn.svm._classes.LinearSVC",
    "sklearn.calibration.CalibratedClassifierCV",
    "sklearn.calibration._CalibratedClassifier",
    "sklearn.calibration._SigmoidCalibration",
    "sklearn.linear_model._stochastic_gradient.SGDClassifier",
    "sklearn.linear_model._sgd_fast.ModifiedHuber",
    "sklearn.naive_bayes.ComplementNB",
    "sklearn.ensemble._voting.VotingClassifier",
    "sklearn.preprocessing._label.LabelEncoder",
    "numpy.float32",
    "numpy.float64",
    "numpy.int64",
    "numpy.dtype",
    "builtins.slice",
]


def save_model(clf: ParagraphClassifier, path, meta: dict | None = None) -> Path:
    """Write the model (skops), its JSON sidecar and, for models the fast scorer can reproduce,
    its numeric export (``.npz``, pipeline.classify.export), each atomically; returns the model path."""
    import sklearn
    import skops.io as sio

    from pipeline.atomic import write_bytes, write_text
    from pipeline.config import VERSION as pkg_version

    path = Path(path)
    data = sio.dumps(clf)
    info = {
        "format": MODEL_FORMAT_VERSION,
        "package_version": pkg_version,
        "sklearn_version": sklearn.__version__,
        "model": clf.model,
        "taxonomy": getattr(clf.taxonomy, "value", clf.taxonomy),
        "labels": list(clf.labels_),
        "base_labels": list(clf.base_labels_),
        "use_heading": clf.use_heading_,
        "fingerprint": clf.fingerprint_,
        "model_sha256": hashlib.sha256(data).hexdigest(),
        **(meta or {}),
    }
    write_bytes(path, data)
    write_text(sidecar_path(path), json.dumps(info, ensure_ascii=False, indent=2) + "\n")
    _write_export(clf, path, info)
    return path


def _write_export(clf: ParagraphClassifier, path: Path, info: dict) -> Path | None:
    """The fast-scoring export next to a saved model; None (and no file) for models it cannot
    reproduce (keyword rule, word/lexicon features, headings) - they use the sklearn path."""
    import warnings

    exp = export_path(path)
    try:
        return write_export(clf, path, info)
    except ModelError as err:
        if isinstance(err, ExportMismatch):
            warnings.warn(f"{err}; the sklearn model will be used", RuntimeWarning, stacklevel=2)
        if exp.is_file():
            exp.unlink()  # an older model's export must not outlive it
        return None


def load_model_file(path) -> ParagraphClassifier:
    """Load a model this project saved. Only the types in TRUSTED_TYPES are accepted; a
    corrupt, foreign or tampered file raises ModelError (never a traceback, never arbitrary code)."""
    import skops.io as sio

    path = Path(path)
    hint = f"delete {path} and run `dangjian train`"
    try:
        data = path.read_bytes()
    except OSError as err:
        raise ModelError(f"cannot read model {path}: {err}", hint) from err
    try:
        untrusted = sio.get_untrusted_types(data=data)
    except Exception as err:
        raise ModelError(f"model file {path} is corrupt or not a skops file ({type(err).__name__})", hint) from err
    unknown = sorted(set(untrusted) - set(TRUSTED_TYPES))
    if unknown:
        raise ModelError(f"model file {path} contains types this project never saves: {', '.join(unknown)}", hint)
    try:
        clf = sio.loads(data, trusted=list(TRUSTED_TYPES))
    except Exception as err:
        raise ModelError(f"model file {path} could not be loaded ({type(err).__name__}: {err})", hint) from err
    if not isinstance(clf, ParagraphClassifier) or not hasattr(clf, "pipeline_"):
        raise ModelError(f"model file {path} does not hold a trained ParagraphClassifier", hint)
    return clf
