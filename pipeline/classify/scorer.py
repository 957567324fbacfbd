"""Fast, numpy-only scoring of the trained paragraph classifier, and the model's identity helpers.

``pipeline.classify`` trains and saves the sklearn model (skops). Every time it saves one it
also writes a compact numeric export next to it (``classifier-<taxonomy>.npz``): the char
n-gram vocabulary as code points, the idf weights, the calibrated folds' coefficients,
intercepts and sigmoid parameters, and the six-way split rule. :class:`LinearScorer` loads that
export with numpy alone (no sklearn, pandas or scipy) in a few milliseconds and reproduces
``ParagraphClassifier.predict_proba`` (to ~1e-15):

* sklearn's char analyzer: digit runs -> '0' (``classify.char_preprocess``), runs of two or more
  whitespace characters -> one space (``\\s\\s+``; a single tab or newline stays), n-grams across
  spaces and punctuation, no lowercasing (a custom preprocessor replaces it);
* TfidfVectorizer(float32): counts (sublinear if trained so) x idf, l2 row norm with sklearn's
  rounding (float32 squares summed in double, divided in double, stored as float32);
* CalibratedClassifierCV(sigmoid, ensemble): per fold ``expit(-(a*d + b))`` per class,
  normalised to sum 1 (uniform where all are 0), folds averaged;
* the taxonomy: four-way columns in taxonomy order, or the six-way keyword split.

The engine uses::

    scorer = get_scorer(taxonomy, labels_dir, models_dir, lexicon_dir)  # once per worker
    p = scorer.predict_proba(texts)              # ndarray (n, len(scorer.labels_))
    labels = scorer.labels_for(p)                # ndarray of str
    flags = scorer.uncertain(p, threshold)       # ndarray of bool
    fp = current_fingerprint(taxonomy, labels_dir, models_dir, lexicon_dir)

``get_scorer`` trains (through ``pipeline.classify``) only when the saved model is missing or was
trained on other labels, and builds the export from an older skops-only model once. When
everything is current it reads two small files and never imports sklearn.
"""

from __future__ import annotations

import hashlib
import io
import json
import math
import os
import re
import threading
import warnings
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from pipeline.errors import InputError, ModelError

MODEL_FORMAT_VERSION = 1
EXPORT_FORMAT = 1
DEFAULT_MODEL = "char_svm"
# feature / estimator settings of each candidate model (chosen by doc-grouped CV on the 80% dev
# part; descriptions in pipeline.classify.CANDIDATES)
_SPECS = {
    "char_lr": {"ngram": (1, 3), "sublinear": True, "words": False, "clf": "lr", "C": 10.0},
    "char_svm": {"ngram": (1, 2), "sublinear": False, "words": False, "clf": "svm", "C": 1.0},
    "char_word_lex_lr": {"ngram": (1, 3), "sublinear": True, "words": True, "clf": "lr", "C": 10.0},
    "char_word_lex_svm": {"ngram": (1, 2), "sublinear": False, "words": True, "clf": "svm", "C": 1.0},
}
VERIFY_ATOL = 1e-9  # the export must reproduce the sklearn model this closely on probe texts


class ExportMismatch(ModelError):
    """The numeric export does not reproduce its sklearn model (a bug, never expected)."""


# --------------------------------------------------------------------------- model identity (files)


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


def uses_lexicon(model: str) -> bool:
    """Whether a candidate's features depend on the formulation lexicon (segmenter words and
    lexicon-category counts)."""
    return bool(_SPECS.get(model, {}).get("words"))


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
    return {"training_data_sha256": labels_hash(labels_dir), "features_sha256": features_hash(lexicon_dir, DEFAULT_MODEL),
            "format": MODEL_FORMAT_VERSION, "model": DEFAULT_MODEL}


# --------------------------------------------------------------------------- keyword rule (shared with classify)

_AUTOMATA: dict = {}


def _automaton(surfaces: dict):
    import ahocorasick

    key = hashlib.sha1(json.dumps(sorted(surfaces.items()), ensure_ascii=False).encode()).hexdigest()
    auto = _AUTOMATA.get(key)
    if auto is None:
        auto = ahocorasick.Automaton()
        for surface, cat in surfaces.items():
            auto.add_word(surface, (len(surface), cat))
        auto.make_automaton()
        _AUTOMATA[key] = auto
    return auto


def keyword_counts(texts: Sequence[str], keywords: dict[str, Sequence[str]], labels: Sequence[str]) -> np.ndarray:
    """(n, len(labels)) matrix of keyword hits per label (leftmost-longest, non-overlapping)."""
    surfaces = {}
    for lab in labels:
        for w in keywords.get(lab, ()):
            surfaces.setdefault(w, lab)
    out = np.zeros((len(texts), len(labels)))
    if not surfaces:
        return out
    auto = _automaton(surfaces)
    col = {lab: i for i, lab in enumerate(labels)}
    for i, t in enumerate(texts):
        for _end, (_len, lab) in auto.iter_long(t):
            out[i, col[lab]] += 1
    return out


def split_proba(base: np.ndarray, texts: Sequence[str], labels: Sequence[str], base_labels: Sequence[str],
                rollup: dict, keywords: dict, split_alpha: float) -> np.ndarray:
    """Taxonomy probabilities from four-way ``base`` (columns in ``base_labels`` order): the
    four-way classes themselves, or each split among its six-way children by keyword hits."""
    labels, base_labels = list(labels), list(base_labels)
    if len(labels) == len(base_labels) and all(rollup[lab] == lab for lab in labels):
        return base[:, [base_labels.index(lab) for lab in labels]]
    counts = keyword_counts(texts, keywords, labels)
    out = np.zeros((len(texts), len(labels)))
    for j, b in enumerate(base_labels):
        kids = [i for i, lab in enumerate(labels) if rollup[lab] == b]
        share = counts[:, kids] + split_alpha
        share /= share.sum(axis=1, keepdims=True)
        out[:, kids] = base[:, [j]] * share
    return out


def labels_from_array(p: np.ndarray, labels: Sequence[str], base_labels: Sequence[str], rollup: dict) -> np.ndarray:
    """Labels (object array) from probabilities with columns in ``labels`` order. Four-way: the
    argmax (ties -> first). Six-way: the four-way winner first (sum of its children), then its
    most likely child, so a six-way label always rolls up to the four-way prediction."""
    names = np.asarray(list(labels), dtype=object)
    p = np.asarray(p, dtype=float).reshape(-1, len(names))
    if not len(p):
        return np.empty(0, dtype=object)
    if all(rollup[lab] == lab for lab in labels):
        return names[np.argmax(p, axis=1)]
    groups = [[i for i, lab in enumerate(labels) if rollup[lab] == b] for b in base_labels]
    base = np.column_stack([p[:, g].sum(axis=1) for g in groups])
    win = np.argmax(base, axis=1)
    out = np.empty(len(p), dtype=object)
    for j, g in enumerate(groups):
        rows = win == j
        if rows.any():
            out[rows] = names[np.asarray(g)[np.argmax(p[np.ix_(rows, g)], axis=1)]]
    return out


# --------------------------------------------------------------------------- sklearn's char analyzer on code points

_WS_LIMIT = 0x3000  # every character Python's re counts as \s is <= U+3000 (checked in the tests)
_CLASS_LIMIT = 0xFF1A  # one past '９'
_CLASSES: np.ndarray | None = None
_DIGIT, _SPACE = 1, 2


def _char_classes() -> np.ndarray:
    """int8[cp] for cp < U+FF1A (+1 slot for everything above): 1 = a digit of
    ``classify.char_preprocess`` ([0-9０-９]), 2 = whitespace as ``re``'s ``\\s``, 0 = other."""
    global _CLASSES
    if _CLASSES is None:
        table = np.zeros(_CLASS_LIMIT + 1, dtype=np.int8)
        chars = "".join(map(chr, range(_WS_LIMIT + 1)))
        table[[m.start() for m in re.finditer(r"\s", chars)]] = _SPACE
        table[0x30:0x3A] = _DIGIT
        table[0xFF10:0xFF1A] = _DIGIT
        _CLASSES = table
    return _CLASSES


def code_points(texts: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
    """(uint32 code points of all texts concatenated, int64 lengths). Lone surrogates count as
    one character each, as in Python."""
    lens = np.fromiter(map(len, texts), dtype=np.int64, count=len(texts))
    cp = np.frombuffer("".join(texts).encode("utf-32-le", "surrogatepass"), dtype=np.uint32)
    return cp, lens


def normalise(cp: np.ndarray, lens: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``char_preprocess`` then sklearn's whitespace rule on concatenated code points: each run of
    [0-9０-９] -> '0', each run of >= 2 whitespace characters -> ' ' (a single whitespace
    character stays as it is; runs never cross texts). Returns the new code points (intp) and
    lengths. The reference for the tests: the scorer does the same fused with its alphabet
    lookup (``LinearScorer._char_ids``)."""
    cp = cp.astype(np.intp)
    n_chars = len(cp)
    if n_chars == 0:
        return cp, lens
    cls = _char_classes()[np.minimum(cp, _CLASS_LIMIT)]
    cp[cls == _DIGIT] = 0x30
    return _collapse_runs(cp, cls, lens, 0x20)


def _collapse_runs(values: np.ndarray, cls: np.ndarray, lens: np.ndarray, space) -> tuple[np.ndarray, np.ndarray]:
    """Keep the first character of each run of digits / whitespace (classes ``cls``) within each
    text; the survivor of a whitespace run of >= 2 becomes ``space``. Returns (values, lengths)."""
    n_chars = len(values)
    ends = np.cumsum(lens)
    starts = ends - lens
    cont = (cls[1:] == cls[:-1]) & (cls[1:] != 0)  # char i+1 continues char i's digit/space run ...
    cont[starts[(starts > 0) & (starts < n_chars)] - 1] = False  # ... within one text
    values[:-1][cont & (cls[:-1] == _SPACE)] = space  # a space run's first char (the survivor)
    if not cont.any():
        return values, lens
    drop = np.zeros(n_chars, dtype=bool)
    drop[1:] = cont
    before = np.concatenate(([0], np.cumsum(drop)))  # dropped characters before each position
    return values[~drop], lens - (before[ends] - before[starts])


# --------------------------------------------------------------------------- the scorer

CHUNK_CHARS = 32768  # texts are scored in groups of about this many characters (cache-sized)


def _coerce_texts(texts) -> list[str]:
    if isinstance(texts, str):
        raise InputError("expected a list of paragraphs, got one string", "wrap it in a list: [text]")
    if hasattr(texts, "columns"):  # a DataFrame: its text column
        if "text" not in texts.columns:
            raise InputError("input has no `text` column", "add a column named text (one paragraph per row)")
        texts = texts["text"]
    texts = texts.tolist() if hasattr(texts, "tolist") else list(texts)
    out = []
    for t in texts:
        if type(t) is not str:  # as classify.as_frame: missing -> '', anything else -> str
            missing = (t is None or (isinstance(t, float) and math.isnan(t))
                       or type(t).__name__ in ("NAType", "NaTType"))
            t = "" if missing else str(t)
        out.append(t)
    return out


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
        self._base_order = [self._classes.index(lab) for lab in self.base_labels_]
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
        size = max(top, _CLASS_LIMIT) + 1
        cid = np.full(size + 1, A << 2, dtype=np.intp)  # last slot: any higher code point
        cid[: top + 1] = self._amap[: top + 1] << 2
        cls = _char_classes()
        cid[: len(cls)] |= cls
        digit = np.flatnonzero(cls == _DIGIT)
        cid[digit] = (self._char_id(0x30) << 2) | _DIGIT
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
        return _collapse_runs(v >> 2, v & 3, lens, self._space_id)

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
        texts = _coerce_texts(texts)
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
        ``headings`` is accepted for symmetry and ignored (exported models do not use it)."""
        texts = _coerce_texts(texts)
        if not texts:
            return np.zeros((0, len(self.labels_)))
        base = self._class_proba(self.decision_function(texts))[:, self._base_order]
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


# --------------------------------------------------------------------------- export (from a fitted ParagraphClassifier)


def _export_content(clf) -> tuple[dict, dict]:
    """(arrays, meta) of a fitted ParagraphClassifier, or ModelError if its pipeline is not a
    char n-gram TF-IDF -> linear model this module can reproduce. Reads attributes only (sklearn
    is already loaded by whoever holds ``clf``)."""
    def unsupported(why: str):
        return ModelError(f"model {getattr(clf, 'model', '?')!r} cannot be exported for fast scoring: {why}",
                          "use the default model or the sklearn path (get_classifier)")

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
        "analyzer": vec.analyzer == "char", "input": vec.input == "content",
        "preprocessor": getattr(pre, "__module__", "").startswith("pipeline.classify") and getattr(pre, "__qualname__", "") == "char_preprocess",
        "norm": vec.norm == "l2", "use_idf": bool(vec.use_idf), "binary": not vec.binary,
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
        "fingerprint": clf.fingerprint_,
    }
    return arrays, meta


def _probe_texts(scorer: LinearScorer) -> list[str]:
    """Texts that exercise the analyzer's corners plus many in-vocabulary n-grams."""
    base = scorer._A + 1
    alphabet = np.flatnonzero(scorer._amap[:-1] < scorer._A)
    by_id = np.empty(scorer._A, dtype=np.int64)
    by_id[scorer._amap[alphabet]] = alphabet
    words = []
    for n, (kind, table, _cols) in sorted(scorer._tables.items()):
        keys = np.flatnonzero(table != scorer._n_features) if kind == "direct" else table  # vocabulary n-grams
        for k in keys[::97][:60].tolist():
            ids = []
            for _ in range(n):
                k, d = divmod(k, base)
                ids.append(d)
            words.append("".join(chr(by_id[d]) for d in reversed(ids)))
    joined = "".join(words)
    return [
        joined, " ".join(words), "\n\n".join(words[:40]), joined[::-1],
        "", " ", "\t", "\n \u3000", "2024年12月31日  全面从严治党１２３ 加强\u3000\u3000党的建设\t\t作风",
        "Party building 党建 ABC abc ＡＢＣ", "😀坚持党的领导😀 𠀀𪚥", "\x00\x01 ¥ € 一 二",
    ]


def write_export(clf, skops_path, info: dict | None = None, *, verify: bool = True) -> Path:
    """Write ``clf``'s numeric export next to ``skops_path`` (atomically) and return its path.
    ``info`` is the model's sidecar (its ``model_sha256`` ties the export to the skops file).
    With ``verify`` the export is scored against ``clf`` on probe texts first; a mismatch
    raises ExportMismatch and nothing is written. Unsupported models raise ModelError."""
    from pipeline.atomic import write_bytes

    skops_path = Path(skops_path)
    arrays, meta = _export_content(clf)
    info = info if info is not None else (read_sidecar(skops_path) or {})
    meta["model_sha256"] = info.get("model_sha256", "")
    meta["skops_size"] = skops_path.stat().st_size if skops_path.is_file() else -1
    for k in ("training_data_sha256", "features_sha256", "format"):
        if k in info:
            meta[k] = info[k]
    scorer = LinearScorer(arrays, meta)
    if verify:
        probes = _probe_texts(scorer)
        want = clf.predict_proba(probes).to_numpy()
        got = scorer.predict_proba(probes)
        diff = float(np.max(np.abs(want - got))) if want.size else 0.0
        if not (diff <= VERIFY_ATOL) or list(clf.labels_) != scorer.labels_:
            raise ExportMismatch(f"the fast export of {skops_path.name} does not reproduce the model (max |Δp| {diff:.2e})",
                             "report this; `dangjian classify --explain` uses the sklearn path meanwhile")
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
    return (meta.get("export_format") == EXPORT_FORMAT and meta.get("fingerprint") == info.get("fingerprint")
            and meta.get("model_sha256") == info.get("model_sha256") and meta.get("skops_size") == size)


def _read_export_meta(path) -> dict | None:
    try:
        with np.load(path, allow_pickle=False) as npz:
            meta = json.loads(bytes(npz["meta"]).decode("utf-8"))
    except Exception:  # noqa: BLE001 - missing or unreadable: not a usable export
        return None
    return meta if isinstance(meta, dict) else None


# --------------------------------------------------------------------------- entry points for the engine

_SCORERS: dict = {}
_SCORERS_LOCK = threading.Lock()


def _stat_key(path: Path) -> tuple:
    try:
        st = path.stat()
        return (st.st_size, st.st_mtime_ns)
    except OSError:
        return (None, None)


def _resolve(taxonomy, labels_dir, models_dir, lexicon_dir) -> tuple[str, Path, Path, dict]:
    from pipeline.config import LABELS_DIR

    taxonomy = getattr(taxonomy, "value", taxonomy)
    labels_dir = Path(labels_dir) if labels_dir is not None else LABELS_DIR
    models_dir = Path(models_dir) if models_dir is not None else models_dir_default()
    return taxonomy, labels_dir, model_path(models_dir, taxonomy), wanted_sidecar(labels_dir, lexicon_dir)


def _is_current(path: Path, info: dict | None, want: dict) -> bool:
    return path.is_file() and info is not None and all(info.get(k) == v for k, v in want.items())


def get_scorer(taxonomy: str = "four", labels_dir=None, models_dir=None, lexicon_dir=None) -> LinearScorer:
    """The fast scorer of the model the engine should use: the export of the saved model if that
    model was trained on the current labels (sidecar hashes match; the skops file is not
    loaded), otherwise the model is (re)trained through ``classify.get_classifier`` (same rules,
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
    from pipeline import classify

    clf = classify.get_classifier(taxonomy, labels_dir, path.parent, lexicon_dir)
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
        arrays, meta = _export_content(clf)
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
    """get_scorer for a pipeline.config.Settings (as ``classify.load_model``)."""
    return get_scorer(settings.taxonomy, settings.labels_dir, settings.models_dir, settings.lexicon_dir)


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

        texts = _coerce_texts(texts)
        heads = [""] * len(texts) if headings is None else _coerce_texts(headings)
        return self.clf.predict_proba(pd.DataFrame({"text": texts, "heading": heads})).to_numpy()

    def labels_for(self, proba: np.ndarray) -> np.ndarray:
        return labels_from_array(proba, self.labels_, self.base_labels_, self.rollup_)

    def predict(self, texts) -> np.ndarray:
        return self.labels_for(self.predict_proba(texts))

    uncertain = staticmethod(LinearScorer.uncertain)
