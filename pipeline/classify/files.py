"""Model identity: which labels and feature files a model was trained on, where its files live
and its JSON sidecar. Standard library only, so the fast path can decide whether a saved model
is current without importing sklearn.

A saved model is three files in the models folder: ``classifier-<taxonomy>.skops`` (the sklearn
model, ``pipeline.classify.persist``), ``.json`` (the sidecar: hashes, versions, fingerprint)
and ``.npz`` (the numeric export, ``pipeline.classify.export``), plus, once it is measured,
``.calibration.json`` (out-of-fold posteriors and quality, ``pipeline.classify.measure``).
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

from pipeline.classify.candidates import DEFAULT_MODEL, uses_lexicon

# Bumped whenever a saved model can no longer be used as it is: 2 = the classes and functions
# stored in model files moved from pipeline.classify.core to their own modules (models saved
# before are stale and retrained instead of failing skops' trusted-type check); 3 = six-way
# models are trained on the six-way labels (``direct_``).
MODEL_FORMAT_VERSION = 3


def label_files(labels_dir) -> list[Path]:
    """Labelled CSVs in read order: ``paragraphs.csv`` (the base set) first, then the rest by
    name, so later imports (``import-<time>-….csv``) override earlier labels of the same text."""
    labels_dir = Path(labels_dir)
    files = [p for p in labels_dir.glob("*.csv") if p.is_file() and not p.name.startswith(".")]
    return sorted(files, key=lambda p: (p.name != "paragraphs.csv", p.name))


def labels_hash(labels_dir) -> str:
    """sha256 over the names and bytes of every labelled CSV (what the model was trained on)."""
    h = hashlib.sha256()
    for p in label_files(labels_dir):
        h.update(p.name.encode())
        h.update(b"\0")
        h.update(hashlib.sha256(p.read_bytes()).digest())
    return h.hexdigest()


def features_hash(lexicon_dir=None, model: str = DEFAULT_MODEL) -> str:
    """sha256 of the files that shape a model's features: the taxonomy (labels, keywords for the
    rule and the six-way split) and, for models that use it, the formulation lexicon."""
    from pipeline.config import LEXICON_DIR

    base = Path(lexicon_dir) if lexicon_dir is not None else LEXICON_DIR
    h = hashlib.sha256()
    names = ("taxonomy.yaml", "formulations.csv") if uses_lexicon(model) else ("taxonomy.yaml",)
    for name in names:
        p = base / name
        h.update(name.encode())
        h.update(p.read_bytes() if p.is_file() else b"-")
    return h.hexdigest()


def models_dir_default() -> Path:
    from pipeline.config import MODELS_DIR

    env = os.environ.get("DANGJIAN_MODELS_DIR")
    return Path(env) if env else MODELS_DIR


def model_path(models_dir, taxonomy: str = "four") -> Path:
    return Path(models_dir) / f"classifier-{getattr(taxonomy, 'value', taxonomy)}.skops"


def calibration_path(models_dir, taxonomy: str = "four") -> Path:
    """``classifier-<taxonomy>.calibration.json``: the measured out-of-fold posteriors and quality."""
    return model_path(models_dir, taxonomy).with_suffix(".calibration.json")


#: format tag of the calibration file (its keys: ``pipeline.classify.measure``)
CALIBRATION_FORMAT = "dangjian.classifier-calibration/3"  # 3: LOSO posteriors and quality (2: + sources)


def calibration_dumps(calibration: dict, fingerprint: str) -> str:
    """The JSON text of ``calibration`` tied to the model ``fingerprint`` it measures."""
    return json.dumps({**calibration, "fingerprint": fingerprint}, ensure_ascii=False)


def read_calibration_file(path, fingerprint: str | None = None) -> dict | None:
    """A stored calibration, or None when it is missing, unreadable, of another format or (with
    ``fingerprint``) of another model. Standard library only (the run reads it without sklearn)."""
    try:
        stored = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError):
        return None
    if not isinstance(stored, dict) or stored.get("format") != CALIBRATION_FORMAT:
        return None
    if fingerprint is not None and stored.get("fingerprint") != fingerprint:
        return None
    return stored


def sidecar_path(path) -> Path:
    return Path(path).with_suffix(".json")


def export_path(path) -> Path:
    """The numeric export next to a skops model: ``classifier-four.skops`` -> ``classifier-four.npz``."""
    return Path(path).with_suffix(".npz")


def read_sidecar(path) -> dict | None:
    side = sidecar_path(path)
    if not side.is_file():
        return None
    try:
        info = json.loads(side.read_text(encoding="utf-8"))
    except (ValueError, UnicodeDecodeError):
        return None
    return info if isinstance(info, dict) else None


def wanted_sidecar(labels_dir, lexicon_dir=None) -> dict:
    """Sidecar values a model must have to count as trained on the current labels/taxonomy."""
    return {
        "training_data_sha256": labels_hash(labels_dir),
        "features_sha256": features_hash(lexicon_dir, DEFAULT_MODEL),
        "format": MODEL_FORMAT_VERSION,
        "model": DEFAULT_MODEL,
    }
