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
    "char_lr": "char 1-3-gram TF-IDF (sublinear tf) -> LogisticRegression(C=10)",
    "char_svm": "char 1-2-gram TF-IDF (raw tf) -> LinearSVC(C=1), sigmoid-calibrated",
    "char_word_lex_lr": "char 1-3-grams + segmenter words + lexicon/keyword category counts -> LogisticRegression(C=10)",
    "char_word_lex_svm": "char 1-2-grams + segmenter words + lexicon/keyword category counts -> LinearSVC(C=1), sigmoid-calibrated",
}

# feature / estimator settings of each candidate model (the keyword rule has none)
SPECS = {
    "char_lr": {"ngram": (1, 3), "sublinear": True, "words": False, "clf": "lr", "C": 10.0},
    "char_svm": {"ngram": (1, 2), "sublinear": False, "words": False, "clf": "svm", "C": 1.0},
    "char_word_lex_lr": {"ngram": (1, 3), "sublinear": True, "words": True, "clf": "lr", "C": 10.0},
    "char_word_lex_svm": {"ngram": (1, 2), "sublinear": False, "words": True, "clf": "svm", "C": 1.0},
}


def uses_lexicon(model: str) -> bool:
    """Whether a candidate's features depend on the formulation lexicon (segmenter words and
    lexicon-category counts)."""
    return bool(SPECS.get(model, {}).get("words"))
