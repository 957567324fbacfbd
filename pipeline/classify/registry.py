"""Which model to use: the one place that decides whether the saved model is current (load it)
or stale / missing (train it now), for both the sklearn classifier and the fast scorer.

A saved model is current when its sidecar's hashes match the labels and feature files now
(``files.wanted_sidecar``: training data, taxonomy/lexicon, MODEL_FORMAT_VERSION, default
model). Then::

    scorer = get_scorer(taxonomy, labels_dir, models_dir, lexicon_dir)  # once per worker
    fp = current_fingerprint(taxonomy, labels_dir, models_dir, lexicon_dir)
    clf = get_classifier(taxonomy, labels_dir, models_dir)            # the sklearn model

``get_scorer`` and ``current_fingerprint`` read two small files and never import sklearn when
everything is current; they train (through ``get_classifier``) only when the saved model is
missing or was trained on other labels, and build the export from an older skops-only model
once. A corrupt model file raises ModelError (hint: `dangjian train`); it is not silently
replaced.
"""

from __future__ import annotations

import threading
import warnings
from pathlib import Path
from typing import TYPE_CHECKING

from pipeline.classify.export import export_content, export_matches, write_export
from pipeline.classify.files import (
    export_path,
    model_path,
    models_dir_default,
    read_sidecar,
    sidecar_path,
    wanted_sidecar,
)
from pipeline.classify.scorer import ClassifierScorer, LinearScorer
from pipeline.errors import ModelError

if TYPE_CHECKING:
    from pipeline.classify.model import ParagraphClassifier


def _resolve(taxonomy, labels_dir, models_dir, lexicon_dir) -> tuple[str, Path, Path, dict]:
    from pipeline.config import LABELS_DIR

    taxonomy = getattr(taxonomy, "value", taxonomy)
    labels_dir = Path(labels_dir) if labels_dir is not None else LABELS_DIR
    models_dir = Path(models_dir) if models_dir is not None else models_dir_default()
    return taxonomy, labels_dir, model_path(models_dir, taxonomy), wanted_sidecar(labels_dir, lexicon_dir)


def _is_current(path: Path, info: dict | None, want: dict) -> bool:
    return path.is_file() and info is not None and all(info.get(k) == v for k, v in want.items())


# --------------------------------------------------------------------------- the sklearn classifier

_CACHE: dict = {}
_CACHE_LOCK = threading.Lock()


def get_classifier(taxonomy: str = "four", labels_dir=None, models_dir=None, lexicon_dir=None) -> ParagraphClassifier:
    """The classifier to use: the saved model if it was trained on the current labels (sidecar
    hashes match), otherwise train from the labels now and cache it under ``models_dir`` (not
    measured: ``pipeline.classify.calibrate`` measures it when its calibration is first asked for).

    A corrupt model file raises ModelError (hint: `dangjian train`); it is not silently replaced.
    """
    from pipeline.classify.persist import load_model_file
    from pipeline.classify.training import train

    taxonomy, labels_dir, path, want = _resolve(taxonomy, labels_dir, models_dir, lexicon_dir)
    models_dir = path.parent
    key = (str(path.resolve()), tuple(sorted(want.items())))
    with _CACHE_LOCK:
        if key in _CACHE:
            return _CACHE[key]
        info = read_sidecar(path) if path.is_file() else None
        if _is_current(path, info, want):
            clf = load_model_file(path)
        elif path.is_file() and info is None:
            # a model without a readable sidecar: check it loads (corrupt -> ModelError) then retrain
            load_model_file(path)
            clf = train(labels_dir, taxonomy=taxonomy, models_dir=models_dir, lexicon_dir=lexicon_dir, quality=False).classifier
        else:
            clf = train(labels_dir, taxonomy=taxonomy, models_dir=models_dir, lexicon_dir=lexicon_dir, quality=False).classifier
        _CACHE[key] = clf
        return clf


def load_model(settings) -> ParagraphClassifier:
    """get_classifier for a pipeline.config.Settings."""
    return get_classifier(settings.taxonomy, settings.labels_dir, settings.models_dir, settings.lexicon_dir)


# --------------------------------------------------------------------------- the fast scorer (entry points for the engine)

_SCORERS: dict = {}
_SCORERS_LOCK = threading.Lock()


def _stat_key(path: Path) -> tuple:
    try:
        st = path.stat()
        return (st.st_size, st.st_mtime_ns)
    except OSError:
        return (None, None)


def get_scorer(taxonomy: str = "four", labels_dir=None, models_dir=None, lexicon_dir=None) -> LinearScorer:
    """The fast scorer of the model the engine should use: the export of the saved model if that
    model was trained on the current labels (sidecar hashes match; the skops file is not
    loaded), otherwise the model is (re)trained through ``get_classifier`` (same rules,
    same ModelError for a corrupt model file) and exported. An export missing or not matching
    its model (models saved before exports existed) is rebuilt from the skops file once.
    Cached per process; a changed model or export file is noticed."""
    taxonomy, labels_dir, path, want = _resolve(taxonomy, labels_dir, models_dir, lexicon_dir)
    exp = export_path(path)

    def cache_key():
        return (str(path.resolve()), tuple(sorted(want.items())), _stat_key(path), _stat_key(exp), _stat_key(sidecar_path(path)))

    with _SCORERS_LOCK:
        scorer = _SCORERS.get(cache_key())
        if scorer is not None:
            return scorer
        info = read_sidecar(path) if path.is_file() else None
        scorer = None
        if _is_current(path, info, want) and export_matches(path, info):
            try:
                scorer = LinearScorer.load(exp)
            except ModelError:
                scorer = None  # unreadable export: rebuilt below from the model
        if scorer is None:
            scorer = _scorer_via_classifier(taxonomy, labels_dir, path, lexicon_dir)
        _SCORERS[cache_key()] = scorer
        return scorer


def _scorer_via_classifier(taxonomy, labels_dir, path: Path, lexicon_dir):
    """Slow path: the sklearn model (loaded, or trained when stale), then its export."""
    clf = get_classifier(taxonomy, labels_dir, path.parent, lexicon_dir)
    info = read_sidecar(path)
    on_disk = info is not None and info.get("fingerprint") == clf.fingerprint_
    if on_disk and export_matches(path, info):
        try:
            return LinearScorer.load(export_path(path))  # train() just wrote it
        except ModelError:
            pass
    try:
        if on_disk:
            try:
                return LinearScorer.load(write_export(clf, path, info))
            except OSError as err:  # e.g. a read-only models dir: score from memory this time
                warnings.warn(f"cannot write the fast-scoring export next to {path}: {err}", RuntimeWarning, stacklevel=3)
        arrays, meta = export_content(clf)
        return LinearScorer(arrays, meta)
    except ModelError as err:
        warnings.warn(f"{err}; scoring with the sklearn model instead", RuntimeWarning, stacklevel=3)
        return ClassifierScorer(clf)


def current_fingerprint(taxonomy: str = "four", labels_dir=None, models_dir=None, lexicon_dir=None) -> str:
    """Fingerprint of the model ``get_scorer`` returns (the sklearn model's ``fingerprint_``).
    When the saved model is current and its export matches, only the sidecar and the export's
    metadata are read; otherwise this trains/exports via ``get_scorer``."""
    taxonomy, labels_dir, path, want = _resolve(taxonomy, labels_dir, models_dir, lexicon_dir)
    info = read_sidecar(path) if path.is_file() else None
    if _is_current(path, info, want) and export_matches(path, info):
        return str(info.get("fingerprint", ""))
    return get_scorer(taxonomy, labels_dir, models_dir, lexicon_dir).fingerprint


def load_scorer(settings) -> LinearScorer:
    """get_scorer for a pipeline.config.Settings (as ``load_model``)."""
    return get_scorer(settings.taxonomy, settings.labels_dir, settings.models_dir, settings.lexicon_dir)
