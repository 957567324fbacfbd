"""The project's own sklearn steps of the candidate pipelines (saved inside the model files).

``TextFrame`` (any input -> DataFrame[text, heading]), ``LexiconCounts`` (lexicon / keyword
category counts) and ``KeywordRule`` (the keyword baseline). The feature functions they use
live in ``pipeline.classify.features``, shared with the fast scorer.
"""

from __future__ import annotations

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin, TransformerMixin

from pipeline.classify.features import automaton, keyword_counts, lexicon_surfaces
from pipeline.classify.inputs import TEXT, as_frame

# --------------------------------------------------------------------------- input handling


class TextFrame(BaseEstimator, TransformerMixin):
    """First pipeline step: any accepted input -> DataFrame[text, heading]."""

    def fit(self, X, y=None):
        return self

    def transform(self, X):
        return as_frame(X)


# --------------------------------------------------------------------------- lexicon features


class LexiconCounts(BaseEstimator, TransformerMixin):
    """Counts of lexicon formulations per category (政治/思想/组织/...) and of taxonomy keywords
    per label, as log1p counts. Surfaces are copied into the model at ``fit`` (``surfaces_``), so
    a saved model does not change when the lexicon files do."""

    def __init__(self, keywords: dict | None = None, use_lexicon: bool = True, lexicon_dir=None):
        self.keywords = keywords
        self.use_lexicon = use_lexicon
        self.lexicon_dir = lexicon_dir

    def fit(self, X, y=None):
        surfaces: dict[str, str] = {}
        if self.use_lexicon:
            surfaces.update(lexicon_surfaces(self.lexicon_dir))
        for label, words in (self.keywords or {}).items():
            for w in words:
                surfaces.setdefault(w, f"kw:{label}")
        self.surfaces_ = dict(sorted(surfaces.items()))
        self.categories_ = sorted(set(self.surfaces_.values()))
        return self

    def transform(self, X):
        from scipy import sparse

        texts = X.tolist() if hasattr(X, "tolist") else list(X)
        n, k = len(texts), len(self.categories_)
        if not self.surfaces_ or not k:
            return sparse.csr_matrix((n, max(k, 1)))
        auto = automaton(self.surfaces_)
        col = {c: i for i, c in enumerate(self.categories_)}
        rows, cols = [], []
        for i, t in enumerate(texts):
            for _end, (_len, cat) in auto.iter_long(t):
                rows.append(i)
                cols.append(col[cat])
        m = sparse.csr_matrix((np.ones(len(rows)), (rows, cols)), shape=(n, k))
        m.sum_duplicates()
        m.data = np.log1p(m.data)
        return m

    def get_feature_names_out(self, input_features=None):
        return np.asarray(self.categories_, dtype=object)


# --------------------------------------------------------------------------- keyword rule


class KeywordRule(BaseEstimator, ClassifierMixin):
    """Baseline: the label whose taxonomy keywords occur most; 其他 when none occurs.

    ``predict_proba`` is the smoothed share of hits (not calibrated)."""

    def __init__(self, keywords: dict | None = None, other: str = "其他", alpha: float = 0.5):
        self.keywords = keywords
        self.other = other
        self.alpha = alpha

    def fit(self, X, y):
        self.classes_ = np.array(sorted(set(y)), dtype=object)
        return self

    def predict_proba(self, X):
        texts = as_frame(X)[TEXT].tolist()
        labels = list(self.classes_)
        counts = keyword_counts(texts, self.keywords or {}, labels)
        other = labels.index(self.other) if self.other in labels else None
        if other is not None:
            counts[counts.sum(axis=1) == 0, other] = 1.0
        counts = counts + self.alpha
        return counts / counts.sum(axis=1, keepdims=True)

    def predict(self, X):
        return self.classes_[np.argmax(self.predict_proba(X), axis=1)]
