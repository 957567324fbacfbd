"""The classify stage: paragraph -> category (four-way, or six-way).

The submodules, from the bottom up (each imports only the ones above it in this list):

    inputs      any input -> DataFrame[text, heading] (sklearn) or a list of str (fast scorer)
    candidates  the candidate models: descriptions, feature / estimator settings, the default
    sources     org_kind -> source group (for leave-one-source-group-out evaluation)
    features    tokenizer, lexicon surfaces, keyword rule (hits, six-way split, labels); no sklearn
    analyzer    sklearn's char analyzer on code points (numpy)
    files       model identity: label and feature hashes, MODEL_FORMAT_VERSION, paths, sidecars
    scorer      LinearScorer (numpy-only scoring of an export), ClassifierScorer
    export      the numeric export of a fitted ParagraphClassifier (write, verify, match)
    steps       the project's sklearn steps: TextFrame, LexiconCounts, KeywordRule
    model       build_pipeline of a candidate, ParagraphClassifier, labels_from_proba, uncertain
    data        labelled CSVs -> training data
    evaluate    scores against gold labels, held-out split, out-of-fold posteriors (doc-grouped
                CV, leave one source group out), bootstrap intervals
    measure     a model's calibration: out-of-fold posteriors (CV, LOSO) and quality block, JSON
    persist     skops save / load with TRUSTED_TYPES
    training    train: fit on the labels folder and save
    registry    the one place that decides: load the current model or train it
                (get_classifier, get_scorer, current_fingerprint, load_model, load_scorer)
    calibrate   the current model's calibration (stored, or measured on first use), its quality
    frames      CSV-level operations used by the CLI (classify_csv, evaluate_csv, ...)

The fast path (``get_scorer`` / ``current_fingerprint`` on a current model) goes through
registry -> files, export, scorer -> features, analyzer, inputs and never imports sklearn,
pandas, scipy or skops.

Public names are re-exported lazily: importing the package imports no submodule (and nothing
heavy). A name is looked up in its submodule on every access, not cached here, so a test
that patches ``pipeline.classify.<submodule>.<name>`` is seen by callers that use
``from pipeline.classify import <name>``.
"""

from __future__ import annotations

import importlib

#: public name -> submodule that holds it
_EXPORTS: dict[str, str] = {
    # inputs
    "HEADING": "inputs",
    "TEXT": "inputs",
    "as_frame": "inputs",
    "coerce_texts": "inputs",
    # candidates
    "CANDIDATES": "candidates",
    "DEFAULT_MODEL": "candidates",
    "SEED": "candidates",
    "SPECS": "candidates",
    "uses_lexicon": "candidates",
    # features
    "char_preprocess": "features",
    "keyword_counts": "features",
    "labels_from_array": "features",
    "segment_tokens": "features",
    "split_proba": "features",
    # analyzer
    "code_points": "analyzer",
    "normalise": "analyzer",
    # files
    "MODEL_FORMAT_VERSION": "files",
    "export_path": "files",
    "features_hash": "files",
    "label_files": "files",
    "labels_hash": "files",
    "model_path": "files",
    "models_dir_default": "files",
    "read_sidecar": "files",
    "sidecar_path": "files",
    "wanted_sidecar": "files",
    # scorer
    "CHUNK_CHARS": "scorer",
    "EXPORT_FORMAT": "scorer",
    "ClassifierScorer": "scorer",
    "LinearScorer": "scorer",
    # export
    "VERIFY_ATOL": "export",
    "ExportMismatch": "export",
    "export_content": "export",
    "export_matches": "export",
    "write_export": "export",
    # steps
    "KeywordRule": "steps",
    "LexiconCounts": "steps",
    "TextFrame": "steps",
    # model
    "ParagraphClassifier": "model",
    "build_pipeline": "model",
    "labels_from_proba": "model",
    "rollup_targets": "model",
    "uncertain": "model",
    # data
    "LABEL_COLUMNS": "data",
    "load_labels": "data",
    "read_labelled_csv": "data",
    "six_way_targets": "data",
    # sources
    "GROUPS": "sources",
    "SOURCE_GROUPS": "sources",
    "source_group": "sources",
    # measure
    "EXPERIMENTAL_MARGIN": "measure",
    # calibrate
    "calibration_path": "calibrate",
    "get_calibration": "calibrate",
    "quality": "calibrate",
    # evaluate
    "Evaluation": "evaluate",
    "OOF": "evaluate",
    "cross_validate": "evaluate",
    "evaluate_predictions": "evaluate",
    "heldout_split": "evaluate",
    "oof_cv": "evaluate",
    "oof_loso": "evaluate",
    "paired_difference": "evaluate",
    "summarise": "evaluate",
    # persist
    "TRUSTED_TYPES": "persist",
    "load_model_file": "persist",
    "save_model": "persist",
    # training
    "TrainResult": "training",
    "train": "training",
    # registry
    "current_fingerprint": "registry",
    "get_classifier": "registry",
    "get_scorer": "registry",
    "load_model": "registry",
    "load_scorer": "registry",
    # frames
    "ClassifyResult": "frames",
    "classify_csv": "frames",
    "classify_frame": "frames",
    "evaluate_csv": "frames",
    "export_uncertain": "frames",
    "import_labels": "frames",
}
_SUBMODULES = (
    "inputs",
    "candidates",
    "sources",
    "features",
    "analyzer",
    "files",
    "scorer",
    "export",
    "steps",
    "model",
    "data",
    "evaluate",
    "measure",
    "persist",
    "training",
    "registry",
    "calibrate",
    "frames",
)

__all__ = sorted(_EXPORTS)


def __getattr__(name: str):
    if name in _EXPORTS:
        return getattr(importlib.import_module(f"{__name__}.{_EXPORTS[name]}"), name)
    if name in _SUBMODULES:  # ``pipeline.classify.scorer`` before anything imported it
        return importlib.import_module(f"{__name__}.{name}")
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_EXPORTS) | set(_SUBMODULES))
