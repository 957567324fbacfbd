"""The candidate models: their descriptions, feature / estimator settings and the default.

Plain data (no sklearn): the sklearn Pipeline of a candidate is built from these settings by
``pipeline.classify.model.build_pipeline``; the model identity (``files.features_hash``) asks
``uses_lexicon``. The settings were chosen by doc-grouped CV on the 80% dev part
(benchmarks/compare_classifiers.py).
"""

from __future__ import annotations

SEED = 0
DEFAULT_MODEL = "char_svm"

CANDIDATES = {
    "keyword": "keyword rule from the taxonomy keywords (baseline)",
    "char_svm": "char 1-2-gram TF-IDF (raw tf) -> LinearSVC(C=1), sigmoid-calibrated",
    "char13_svm": "char 1-3-gram TF-IDF (raw tf) -> LinearSVC(C=1), sigmoid-calibrated",
    "char_svm_bal": "char 1-2-gram TF-IDF (raw tf) -> LinearSVC(C=1, balanced class weights), sigmoid-calibrated",
    "char13_svm_bal": "char 1-3-gram TF-IDF (raw tf) -> LinearSVC(C=1, balanced class weights), sigmoid-calibrated",
    "char_lr": "char 1-3-gram TF-IDF (sublinear tf) -> LogisticRegression(C=10)",
    "char_sgd": "char 1-2-gram TF-IDF (raw tf) -> SGDClassifier(modified Huber, alpha 1e-4)",
    "char_nb": "char 1-3-gram TF-IDF (sublinear tf) -> ComplementNB(alpha 0.1)",
    "char_svm_lr": "mean of char_svm's and char_lr's probabilities (soft-voting ensemble)",
    "char_word_svm": "char 1-3-grams + segmenter words -> LinearSVC(C=1), sigmoid-calibrated",
    "char_word_lex_lr": "char 1-3-grams + segmenter words + lexicon/keyword category counts -> LogisticRegression(C=10)",
    "char_word_lex_svm": "char 1-2-grams + segmenter words + lexicon/keyword category counts -> LinearSVC(C=1), sigmoid-calibrated",
}

# feature / estimator settings of each candidate model (the keyword rule has none).
# words: segmenter-word TF-IDF block; lex: lexicon/keyword category counts; clf: svm (calibrated
# LinearSVC), lr, sgd, nb or svm+lr (soft vote of the two); weight: class_weight
SPECS = {
    "char_svm": {"ngram": (1, 2), "sublinear": False, "clf": "svm", "C": 1.0},
    "char13_svm": {"ngram": (1, 3), "sublinear": False, "clf": "svm", "C": 1.0},
    "char_svm_bal": {"ngram": (1, 2), "sublinear": False, "clf": "svm", "C": 1.0, "weight": "balanced"},
    "char13_svm_bal": {"ngram": (1, 3), "sublinear": False, "clf": "svm", "C": 1.0, "weight": "balanced"},
    "char_lr": {"ngram": (1, 3), "sublinear": True, "clf": "lr", "C": 10.0},
    "char_sgd": {"ngram": (1, 2), "sublinear": False, "clf": "sgd", "C": 1e-4},
    "char_nb": {"ngram": (1, 3), "sublinear": True, "clf": "nb", "C": 0.1},
    "char_svm_lr": {"ngram": (1, 2), "sublinear": False, "clf": "svm+lr", "C": 1.0, "lr": {"ngram": (1, 3), "sublinear": True, "C": 10.0}},
    "char_word_svm": {"ngram": (1, 3), "sublinear": False, "words": True, "clf": "svm", "C": 1.0},
    "char_word_lex_lr": {"ngram": (1, 3), "sublinear": True, "words": True, "lex": True, "clf": "lr", "C": 10.0},
    "char_word_lex_svm": {"ngram": (1, 2), "sublinear": False, "words": True, "lex": True, "clf": "svm", "C": 1.0},
}


def uses_lexicon(model: str) -> bool:
    """Whether a candidate's features depend on the formulation lexicon (segmenter words and
    lexicon-category counts)."""
    spec = SPECS.get(model, {})
    return bool(spec.get("words") or spec.get("lex"))
