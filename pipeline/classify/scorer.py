"""Fast, numpy-only scoring of the trained paragraph classifier.

Every time ``pipeline.classify`` saves a model it also writes a compact numeric export next to
it (``classifier-<taxonomy>.npz``, ``pipeline.classify.export``): the char n-gram vocabulary as
code points, the idf weights, the calibrated folds' coefficients, intercepts and sigmoid
parameters, and the six-way split rule. :class:`LinearScorer` loads that export with numpy
alone (no sklearn, pandas or scipy) in a few milliseconds and reproduces
``ParagraphClassifier.predict_proba`` (to ~1e-15):

* sklearn's char analyzer (``pipeline.classify.analyzer``): digit runs -> '0'
  (``features.char_preprocess``), runs of two or more whitespace characters -> one space
  (``\\s\\s+``; a single tab or newline stays), n-grams across spaces and punctuation, no
  lowercasing (a custom preprocessor replaces it);
* TfidfVectorizer(float32): counts (sublinear if trained so) x idf, l2 row norm with sklearn's
  rounding (float32 squares summed in double, divided in double, stored as float32);
* CalibratedClassifierCV(sigmoid, ensemble): per fold ``expit(-(a*d + b))`` per class,
  normalised to sum 1 (uniform where all are 0), folds averaged;
* the taxonomy: the model's classes in taxonomy order (four-way, or a direct six-way model), or
  the six-way keyword split of a four-way model (labels folders without six-way labels).

The engine uses (``pipeline.classify.registry`` decides whether the saved model is current)::

    scorer = get_scorer(taxonomy, labels_dir, models_dir, lexicon_dir)  # once per worker
    p = scorer.predict_proba(texts)              # ndarray (n, len(scorer.labels_))
    labels = scorer.labels_for(p)                # ndarray of str
    flags = scorer.uncertain(p, threshold)       # ndarray of bool

:class:`ClassifierScorer` is the same interface over a ParagraphClassifier, for models that
cannot be exported.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from pipeline.classify.analyzer import (
    CLASS_LIMIT,
    DIGIT,
    char_classes,
    code_points,
    collapse_runs,
)
from pipeline.classify.features import labels_from_array, reorder_columns, split_proba
from pipeline.classify.inputs import coerce_texts, simplified_texts
from pipeline.errors import ModelError

EXPORT_FORMAT = 1
CHUNK_CHARS = 32768  # texts are scored in groups of about this many characters (cache-sized)


class LinearScorer:
    """``ParagraphClassifier.predict_proba`` for exported char n-gram linear models, numpy only.

    Attributes: ``labels_`` (taxonomy labels, column order of ``predict_proba``), ``classes_``
    (same, as an array), ``columns`` (``p_<label>``), ``base_labels_``, ``rollup_``,
    ``fingerprint`` (the sklearn model's ``fingerprint_``), ``meta`` (the export's metadata).
    """

    def __init__(self, arrays: dict, meta: dict):
        self.meta = meta
        self.fingerprint = str(meta.get("fingerprint", ""))
        self.labels_ = list(meta["labels"])
        self.base_labels_ = list(meta["base_labels"])
        self.rollup_ = dict(meta["rollup"])
        self.keywords_ = {k: list(v) for k, v in meta.get("keywords", {}).items()}
        self.split_alpha = float(meta.get("split_alpha", 0.5))
        self.classes_ = np.asarray(self.labels_, dtype=object)
        self.columns = [f"p_{lab}" for lab in self.labels_]
        self.model = meta.get("model", "")
        self._kind = meta["kind"]
        if self._kind != "sigmoid":
            raise ModelError(f"unknown model kind {self._kind!r} in the export", "run `dangjian train`")
        self._classes = list(meta["classes"])
        # a direct model's classes are the taxonomy's labels; otherwise the four-way ones, split
        self._direct = bool(meta.get("direct", all(self.rollup_[lab] == lab for lab in self.labels_)))
        self._n_min, self._n_max = (int(v) for v in meta["ngram_range"])
        self._sublinear = bool(meta["sublinear_tf"])
        self._float = np.dtype(meta.get("dtype", "float32"))
        self._idf = np.ascontiguousarray(arrays["idf"], dtype=self._float)
        coef = np.asarray(arrays["coef"], dtype=np.float64)  # (n_features, n_rows)
        # (n_rows, n_features + 1): one contiguous row per output; column F is the miss feature
        self._coef_x = np.zeros((coef.shape[1], coef.shape[0] + 1))
        self._coef_x[:, :-1] = coef.T
        self._intercept = np.asarray(arrays["intercept"], dtype=np.float64)
        self._cal_a = np.asarray(arrays["cal_a"], dtype=np.float64)
        self._cal_b = np.asarray(arrays["cal_b"], dtype=np.float64)
        self._target = np.asarray(arrays["target"], dtype=np.int64)
        self._fold = np.asarray(arrays["fold"], dtype=np.int64)
        self._n_folds = int(meta.get("n_folds", 1))
        self._n_features = len(self._idf)
        self._build_lookup(np.asarray(arrays["terms"], dtype=np.int64))

    # -- loading
    @classmethod
    def load(cls, path) -> LinearScorer:
        path = Path(path)
        hint = f"delete {path} (it is rebuilt from the saved model) or run `dangjian train`"
        try:
            with np.load(path, allow_pickle=False) as npz:
                arrays = {k: npz[k] for k in npz.files}
            meta = json.loads(bytes(arrays.pop("meta")).decode("utf-8"))
            if meta.get("export_format") != EXPORT_FORMAT:
                raise ModelError(f"model export {path} has format {meta.get('export_format')!r}, expected {EXPORT_FORMAT}", hint)
            return cls(arrays, meta)
        except ModelError:
            raise
        except Exception as err:  # a truncated/foreign file is a ModelError, not a traceback
            raise ModelError(f"model export {path} is unreadable ({type(err).__name__}: {err})", hint) from err

    def _build_lookup(self, terms: np.ndarray) -> None:
        """Vocabulary -> lookup tables. ``terms[j]`` holds feature j's code points (-1 padded).
        Characters get dense ids 0..A-1 (most frequent first; A = any other character); n-grams
        are keys over those ids: a direct table for 1- and 2-grams, sorted keys + searchsorted
        for longer ones. A miss maps to the extra feature F (idf 0, coefficients 0), so lookups
        never need compacting."""
        F = len(terms)
        lengths = (terms >= 0).sum(axis=1) if F else np.zeros(0, dtype=np.int64)
        chars = np.sort(terms[terms >= 0])  # unique code points (np.unique would import numpy.ma: 15 ms)
        chars = chars[np.concatenate(([True], chars[1:] != chars[:-1]))] if len(chars) else chars
        # order characters by unigram idf (frequent first) so hot 2-gram rows sit together
        uni = lengths == 1
        rank = np.full(len(chars), np.inf)
        rank[np.searchsorted(chars, terms[uni, 0])] = self._idf[uni]
        chars = chars[np.argsort(rank, kind="stable")]
        A = len(chars)
        self._A = A
        top = int(chars.max()) + 1 if A else 1
        self._amap = np.full(top + 1, A, dtype=np.intp)  # last slot: everything above
        self._amap[chars] = np.arange(A, dtype=np.intp)
        ids = np.where(terms >= 0, self._amap[np.minimum(np.maximum(terms, 0), top)], 0).astype(np.int64)
        base = A + 1
        keys = np.zeros(F, dtype=np.int64)
        for i in range(terms.shape[1] if F else 0):
            keys = np.where(lengths > i, keys * base + ids[:, i], keys)
        self._tables: dict[int, tuple[str, np.ndarray, np.ndarray | None]] = {}
        for n in range(self._n_min, self._n_max + 1):
            sel = np.flatnonzero(lengths == n)
            if n <= 2 and base**n <= (1 << 25):
                table = np.full(base**n, F, dtype=np.uint16 if F < (1 << 16) else np.int32)
                table[keys[sel]] = sel
                self._tables[n] = ("direct", table, None)
            else:
                order = np.argsort(keys[sel])
                self._tables[n] = ("sorted", keys[sel][order], sel[order].astype(np.int32))
        # one table for the analyzer: code point -> (character id << 2) | class (digit/space/other);
        # digits take the id of '0' (char_preprocess), a space run's survivor becomes ' ' later
        size = max(top, CLASS_LIMIT) + 1
        cid = np.full(size + 1, A << 2, dtype=np.intp)  # last slot: any higher code point
        cid[: top + 1] = self._amap[: top + 1] << 2
        cls = char_classes()
        cid[: len(cls)] |= cls
        digit = np.flatnonzero(cls == DIGIT)
        cid[digit] = (self._char_id(0x30) << 2) | DIGIT
        self._cid = cid
        self._space_id = self._char_id(0x20)
        self._idf_x = np.append(self._idf, self._float.type(0))  # the miss feature F weighs nothing

    def _char_id(self, cp: int) -> int:
        return int(self._amap[min(cp, len(self._amap) - 1)])

    # -- scoring
    def _char_ids(self, cp: np.ndarray, lens: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Character ids of the analyzed texts (``normalise`` and the alphabet lookup in one
        pass): digit runs -> the id of '0', runs of >= 2 whitespace characters -> the id of ' '.
        Returns (ids, new lengths)."""
        n_chars = len(cp)
        v = self._cid[np.minimum(cp.astype(np.intp), len(self._cid) - 1)]
        if n_chars == 0:
            return v, lens
        return collapse_runs(v >> 2, v & 3, lens, self._space_id)

    def _lookup(self, n: int, key: np.ndarray) -> np.ndarray:
        kind, table, cols = self._tables[n]
        if kind == "direct":
            return table[key]
        if not len(table):
            return np.full(len(key), self._n_features, dtype=np.int32)
        pos = np.minimum(np.searchsorted(table, key), len(table) - 1)
        return np.where(table[pos] == key, cols[pos], np.int32(self._n_features))

    def _chunk_scores(self, cp: np.ndarray, lens: np.ndarray) -> np.ndarray:
        """Decision values (n_rows, len(lens)) of one group of texts (without intercepts)."""
        m = len(lens)
        out = np.zeros((len(self._intercept), m))
        ids, lens = self._char_ids(cp, lens)
        n_chars = len(ids)
        if n_chars == 0:
            return out
        F1 = self._n_features + 1  # with the miss feature
        big = m * F1 >= (1 << 31)
        idt = np.int64 if big else np.int32
        ends = np.cumsum(lens)
        docbase = np.repeat(np.arange(0, m * F1, F1, dtype=idt), lens)  # doc * F1 per character
        base = self._A + 1
        sizes = [max(0, n_chars - n + 1) for n in range(self._n_min, self._n_max + 1)]
        keys = np.empty(sum(sizes), dtype=idt)  # (doc, feature) of every n-gram
        pos = 0
        key = ids
        for n in range(1, self._n_max + 1):
            k = n_chars - n + 1
            if k <= 0:
                break
            if n > 1:
                key = key[:k] * base + ids[n - 1 :]
            if n < self._n_min:
                continue
            col = self._lookup(n, key)
            if n > 1:  # n-grams never span two texts: no start within n-1 of a text's end
                for j in range(1, n):
                    bad = ends - j
                    col[bad[(bad >= 0) & (bad < k)]] = self._n_features
            np.add(docbase[:k], col, out=keys[pos : pos + k], casting="unsafe")
            pos += k
        keys.sort()
        starts = np.flatnonzero(np.concatenate(([True], keys[1:] != keys[:-1])))
        counts = np.diff(np.append(starts, len(keys)))
        uk = keys[starts].astype(np.intp)
        doc = uk // F1
        col = uk - doc * F1
        tf = counts.astype(self._float)
        if self._sublinear:
            np.log(tf, out=tf)
            tf += self._float.type(1.0)
        x = tf * self._idf_x[col]  # float32, like TfidfTransformer
        norm = np.sqrt(np.bincount(doc, weights=x * x, minlength=m))  # float32 squares, double sum
        norm[norm == 0] = 1.0  # texts without features (only the miss feature, x = 0)
        x = (x / norm[doc]).astype(self._float).astype(np.float64)  # divided in double, stored float32
        contrib = np.take(self._coef_x, col, axis=1)
        contrib *= x
        first = np.flatnonzero(np.concatenate(([True], doc[1:] != doc[:-1])))
        out[:, doc[first]] = np.add.reduceat(contrib, first, axis=1)
        return out

    def decision_function(self, texts) -> np.ndarray:
        """(n, n_rows) raw decision values of every fold's linear model (intercepts included)."""
        texts = coerce_texts(texts)
        cp, lens = code_points(texts)
        n = len(texts)
        out = np.empty((len(self._intercept), n))
        ends = np.cumsum(lens)
        d0 = 0
        while d0 < n:  # groups of whole texts, about CHUNK_CHARS characters each
            start = ends[d0] - lens[d0]
            d1 = max(d0 + 1, int(np.searchsorted(ends, start + CHUNK_CHARS, side="right")))
            out[:, d0:d1] = self._chunk_scores(cp[start : ends[d1 - 1]], lens[d0:d1])
            d0 = d1
        return out.T + self._intercept

    def _class_proba(self, d: np.ndarray) -> np.ndarray:
        """(n, n_classes) probabilities in the sklearn classes_ order from decision values."""
        n, C = len(d), len(self._classes)
        # CalibratedClassifierCV(method="sigmoid"), one calibrator per fold and class
        with np.errstate(over="ignore"):
            sig = 1.0 / (1.0 + np.exp(self._cal_a * d + self._cal_b))
        mean = np.zeros((n, C))
        for f in range(self._n_folds):
            rows = np.flatnonzero(self._fold == f)
            proba = np.zeros((n, C))
            proba[:, self._target[rows]] = sig[:, rows]
            if C == 2:
                proba[:, 0] = 1.0 - proba[:, 1]
            else:
                denominator = np.sum(proba, axis=1)[:, np.newaxis]
                uniform = np.full_like(proba, 1 / C)
                proba = np.divide(proba, denominator, out=uniform, where=denominator != 0)
            proba[(1.0 < proba) & (proba <= 1.0 + 1e-5)] = 1.0
            mean += proba
        mean /= self._n_folds
        return mean

    def predict_proba(self, texts, headings=None) -> np.ndarray:
        """(n, len(labels_)) probabilities, columns in ``labels_`` order (rows sum to 1).
        ``texts``: any sequence of str (None/NaN -> ''), or a DataFrame with a ``text`` column.
        ``headings`` is accepted for symmetry and ignored (exported models do not use it).
        Scored on the simplified view of the texts (``inputs.simplified_texts``)."""
        texts = simplified_texts(texts)
        if not texts:
            return np.zeros((0, len(self.labels_)))
        proba = self._class_proba(self.decision_function(texts))
        if self._direct:
            return reorder_columns(proba, self._classes, self.labels_)
        base = reorder_columns(proba, self._classes, self.base_labels_)
        return split_proba(base, texts, self.labels_, self.base_labels_, self.rollup_, self.keywords_, self.split_alpha)

    def labels_for(self, proba: np.ndarray) -> np.ndarray:
        """Labels (object array) from ``predict_proba`` output; same rule as
        ``ParagraphClassifier.labels_for``."""
        return labels_from_array(proba, self.labels_, self.base_labels_, self.rollup_)

    def predict(self, texts) -> np.ndarray:
        return self.labels_for(self.predict_proba(texts))

    @staticmethod
    def uncertain(proba: np.ndarray, threshold: float = 0.5) -> np.ndarray:
        """True where the top class probability is below ``threshold`` (as ``classify.uncertain``)."""
        proba = np.asarray(proba, dtype=float)
        if not len(proba):
            return np.zeros(0, dtype=bool)
        return proba.max(axis=1) < threshold

    # -- verification
    def probe_texts(self) -> list[str]:
        """Texts that exercise the analyzer's corners plus many in-vocabulary n-grams (the export
        is checked against its sklearn model on these before it is written)."""
        base = self._A + 1
        alphabet = np.flatnonzero(self._amap[:-1] < self._A)
        by_id = np.empty(self._A, dtype=np.int64)
        by_id[self._amap[alphabet]] = alphabet
        words = []
        for n, (kind, table, _cols) in sorted(self._tables.items()):
            keys = np.flatnonzero(table != self._n_features) if kind == "direct" else table  # vocabulary n-grams
            for k in keys[::97][:60].tolist():
                ids = []
                for _ in range(n):
                    k, d = divmod(k, base)
                    ids.append(d)
                words.append("".join(chr(by_id[d]) for d in reversed(ids)))
        joined = "".join(words)
        return [
            joined,
            " ".join(words),
            "\n\n".join(words[:40]),
            joined[::-1],
            "",
            " ",
            "\t",
            "\n \u3000",
            "2024年12月31日  全面从严治党１２３ 加强\u3000\u3000党的建设\t\t作风",
            "Party building 党建 ABC abc ＡＢＣ",
            "😀坚持党的领导😀 𠀀𪚥",
            "\x00\x01 ¥ € 一 二",
        ]


class ClassifierScorer:
    """The LinearScorer interface over a ParagraphClassifier: used only when a model cannot be
    exported (not the default model), so callers need one code path."""

    def __init__(self, clf):
        self.clf = clf
        self.fingerprint = getattr(clf, "fingerprint_", "")
        self.labels_ = list(clf.labels_)
        self.base_labels_ = list(clf.base_labels_)
        self.rollup_ = dict(clf.rollup_)
        self.classes_ = np.asarray(self.labels_, dtype=object)
        self.columns = [f"p_{lab}" for lab in self.labels_]
        self.model = clf.model
        self.meta = {}

    def predict_proba(self, texts, headings=None) -> np.ndarray:
        import pandas as pd

        texts = coerce_texts(texts)
        heads = [""] * len(texts) if headings is None else coerce_texts(headings)
        return self.clf.predict_proba(pd.DataFrame({"text": texts, "heading": heads})).to_numpy()

    def labels_for(self, proba: np.ndarray) -> np.ndarray:
        return labels_from_array(proba, self.labels_, self.base_labels_, self.rollup_)

    def predict(self, texts) -> np.ndarray:
        return self.labels_for(self.predict_proba(texts))

    uncertain = staticmethod(LinearScorer.uncertain)
