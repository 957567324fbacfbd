"""Paragraph classification: training data, sklearn Pipeline, evaluation, prediction, persistence.

One sklearn ``Pipeline`` goes from raw input (list of str, Series, or a DataFrame with ``text``
and optional ``heading``) to calibrated class probabilities, so the vectorizers only ever see
training folds in cross-validation. ``ParagraphClassifier`` wraps it sklearn-style and adds the
taxonomy (four-way, or six-way by splitting each four-way probability with the six-way keyword
rule), ``explain`` and safe persistence (skops with an explicit trusted-type list).

Saving a model also writes a numeric export that ``pipeline.classify.scorer.LinearScorer`` scores with
numpy alone (same probabilities); the engine and ``dangjian classify`` use that::

    scorer = pipeline.classify.scorer.get_scorer(taxonomy, labels_dir, models_dir)  # once per worker
    p = scorer.predict_proba(texts)                   # ndarray, columns scorer.columns (p_<label>)
    labels, flags = scorer.labels_for(p), scorer.uncertain(p, threshold)

The sklearn model itself (train, evaluate, explain, ``classify --explain``)::

    clf = get_classifier(taxonomy, labels_dir, models_dir)
    proba = clf.predict_proba(df_with_text_and_heading)      # DataFrame of p_<label>
    flags = uncertain(proba, threshold)                      # bool Series
"""

from __future__ import annotations

import hashlib
import json
import re
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Sequence

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, ClassifierMixin, TransformerMixin

from pipeline.errors import InputError, LabelError, ModelError, TaxonomyError
from pipeline.classify.scorer import (  # noqa: F401 - moved there (the fast scorer needs them without sklearn); old names kept
    _SPECS,
    DEFAULT_MODEL,
    MODEL_FORMAT_VERSION,
    _automaton,
    export_path,
    features_hash,
    keyword_counts,
    label_files,
    labels_from_array,
    labels_hash,
    model_path,
    models_dir_default,
    read_sidecar,
    sidecar_path,
    split_proba,
    uses_lexicon,
)

SEED = 0
TEXT, HEADING = "text", "heading"
_CJK_OR_WORD = re.compile(r"[\w\u3400-\u9fff]")

# --------------------------------------------------------------------------- input handling


def as_frame(X) -> pd.DataFrame:
    """Coerce classifier input to a DataFrame with string columns ``text`` and ``heading``.

    Accepts a DataFrame (needs ``text``; ``heading`` optional), a Series, or any iterable of str.
    Missing values become ''. The original index is kept.
    """
    if isinstance(X, pd.DataFrame):
        if TEXT not in X.columns:
            raise InputError("input has no `text` column", "add a column named text (one paragraph per row)")
        text = X[TEXT]
        heading = X[HEADING] if HEADING in X.columns else pd.Series("", index=X.index)
        index = X.index
    else:
        if isinstance(X, str):
            raise InputError("expected a list of paragraphs, got one string", "wrap it in a list: [text]")
        text = X if isinstance(X, pd.Series) else pd.Series(list(X), dtype=object)
        index = text.index
        heading = pd.Series("", index=index)
    out = pd.DataFrame(
        {TEXT: text.fillna("").astype(str).to_numpy(), HEADING: heading.fillna("").astype(str).to_numpy()},
        index=index,
    )
    return out


class TextFrame(BaseEstimator, TransformerMixin):
    """First pipeline step: any accepted input -> DataFrame[text, heading]."""

    def fit(self, X, y=None):
        return self

    def transform(self, X):
        return as_frame(X)


# --------------------------------------------------------------------------- tokenizer


_SEGMENTER_LOCK = threading.Lock()
_SEGMENTERS: dict = {}


def _segmenter():
    """The project's jieba segmenter with the formulation lexicon as user dictionary, built once
    per process (an own instance, never the global ``jieba.dt``). Falls back to rjieba when the
    segment module or lexicon is unavailable."""
    seg = _SEGMENTERS.get("default")
    if seg is not None:
        return seg
    with _SEGMENTER_LOCK:
        seg = _SEGMENTERS.get("default")
        if seg is None:
            seg = _build_segmenter()
            _SEGMENTERS["default"] = seg
    return seg


def _build_segmenter():
    try:
        from pipeline.lexicon import load_lexicon
        from pipeline.segment import make_segmenter

        seg = make_segmenter("jieba", load_lexicon())
        seg.lcut("加强党的建设")  # initialize now: a missing lexicon falls back below
        return seg
    except Exception:  # noqa: BLE001 - segment/lexicon may be missing in a partial checkout
        import rjieba

        class _Rjieba:
            def lcut(self, text):
                return rjieba.cut(text)

        return _Rjieba()


def segment_tokens(text: str) -> list[str]:
    """Word tokens of ``text`` for TfidfVectorizer(tokenizer=segment_tokens, token_pattern=None).

    A named top-level function (picklable, persisted by reference). Punctuation, spaces and digits
    are dropped: numbers and dates are leakage, not topic.
    """
    return [t for t in _segmenter().lcut(text) if _CJK_OR_WORD.search(t) and not t.isdigit()]


_DIGITS = re.compile(r"[0-9０-９]+")


def char_preprocess(text: str) -> str:
    """Preprocessor of the char n-gram vectorizer: digit runs -> '0' so years and dates do not
    become features (a named function, not a lambda, so the model can be saved)."""
    return _DIGITS.sub("0", text)


# --------------------------------------------------------------------------- lexicon features

def _lexicon_surfaces(lexicon_dir=None) -> dict[str, str]:
    """surface form -> 'lex:<category>' from the formulation lexicon ({} if unavailable)."""
    try:
        from pipeline.lexicon import load_lexicon

        lex = load_lexicon(lexicon_dir)
        term_cat = {e.term: e.category for e in lex.entries}
        return {s: f"lex:{term_cat.get(t, '综合')}" for s, t in lex.surface_forms().items() if s}
    except Exception:  # noqa: BLE001 - optional feature source
        return {}


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
            surfaces.update(_lexicon_surfaces(self.lexicon_dir))
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
        auto = _automaton(self.surfaces_)
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


# --------------------------------------------------------------------------- candidate models

CANDIDATES = {
    "keyword": "keyword rule from the taxonomy keywords (baseline)",
    "char_lr": "char 1-3-gram TF-IDF (sublinear tf) -> LogisticRegression(C=10)",
    "char_svm": "char 1-2-gram TF-IDF (raw tf) -> LinearSVC(C=1), sigmoid-calibrated",
    "char_word_lex_lr": "char 1-3-grams + segmenter words + lexicon/keyword category counts -> LogisticRegression(C=10)",
    "char_word_lex_svm": "char 1-2-grams + segmenter words + lexicon/keyword category counts -> LinearSVC(C=1), sigmoid-calibrated",
}
# feature / estimator settings of each candidate: pipeline.classify.scorer._SPECS


def build_pipeline(model: str, *, keywords: dict, use_heading: bool = False, C: float | None = None, lexicon_dir=None):
    """The sklearn Pipeline of one candidate (unfitted). ``use_heading`` adds char 1-2-grams of
    the heading path as a separate block (off by default: it did not help in CV)."""
    from sklearn.calibration import CalibratedClassifierCV
    from sklearn.compose import ColumnTransformer
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import Pipeline
    from sklearn.svm import LinearSVC

    if model == "keyword":
        return Pipeline([("frame", TextFrame()), ("clf", KeywordRule(keywords=keywords))])
    if model not in _SPECS:
        raise ModelError(f"unknown model {model!r}", f"use one of: {', '.join(CANDIDATES)}")
    spec = _SPECS[model]
    C = spec["C"] if C is None else C
    char = TfidfVectorizer(
        analyzer="char", ngram_range=spec["ngram"], min_df=2, sublinear_tf=spec["sublinear"],
        preprocessor=char_preprocess, dtype=np.float32,
    )
    branches = [("char", char, TEXT)]
    if spec["words"]:
        word = TfidfVectorizer(
            tokenizer=segment_tokens, token_pattern=None, lowercase=False, min_df=2,
            sublinear_tf=spec["sublinear"], dtype=np.float32,
        )
        branches += [("word", word, TEXT), ("lex", LexiconCounts(keywords=keywords, lexicon_dir=lexicon_dir), TEXT)]
    if use_heading:
        head = TfidfVectorizer(analyzer="char", ngram_range=(1, 2), min_df=2, preprocessor=char_preprocess, dtype=np.float32)
        branches.append(("heading", head, HEADING))
    features = ColumnTransformer(branches, remainder="drop", sparse_threshold=1.0)
    if spec["clf"] == "svm":
        clf = CalibratedClassifierCV(LinearSVC(C=C, random_state=SEED), method="sigmoid", cv=5)
    else:
        clf = LogisticRegression(C=C, max_iter=5000)
    return Pipeline([("frame", TextFrame()), ("features", features), ("clf", clf)])


# --------------------------------------------------------------------------- the classifier


def _rollup_targets(y, taxonomy) -> np.ndarray:
    """Training targets on the four-way level: six-way labels roll up, four-way stay."""
    from pipeline.taxonomy import load_taxonomy

    six_rollup = dict(taxonomy.rollup)
    if taxonomy.name == "four":
        try:  # a label file may carry six-way labels; roll them up
            six_rollup = {**dict(load_taxonomy("six", Path(taxonomy.source).parent).rollup), **six_rollup}
        except TaxonomyError:
            pass
    base = set(taxonomy.base_labels)
    out = []
    for lab in y:
        lab = str(lab)
        up = lab if lab in base else six_rollup.get(lab)
        if up is None or up not in base:
            raise LabelError(f"label {lab!r} is not in the {taxonomy.name!r} taxonomy", f"use one of: {', '.join(taxonomy.labels)}")
        out.append(up)
    return np.asarray(out, dtype=object)


class ParagraphClassifier(BaseEstimator, ClassifierMixin):
    """Paragraph -> category, sklearn-style.

    ``taxonomy='four'`` predicts the four classes directly. ``taxonomy='six'`` trains the same
    four-way model (the labelled set is four-way) and splits each four-way probability among its
    six-way children in proportion to the children's keyword hits (+``split_alpha``); six-way
    accuracy is therefore not measured, only the four-way part is.
    """

    def __init__(
        self,
        model: str = DEFAULT_MODEL,
        taxonomy: str = "four",
        use_heading: bool = False,
        C: float | None = None,
        lexicon_dir=None,
        split_alpha: float = 0.5,
    ):
        self.model = model
        self.taxonomy = taxonomy
        self.use_heading = use_heading
        self.C = C
        self.lexicon_dir = lexicon_dir
        self.split_alpha = split_alpha

    # -- fitting
    def fit(self, X, y):
        from pipeline.taxonomy import load_taxonomy

        tax = load_taxonomy(getattr(self.taxonomy, "value", self.taxonomy), self.lexicon_dir)
        four = load_taxonomy("four", self.lexicon_dir)
        frame = as_frame(X)
        y4 = _rollup_targets(list(y), tax)
        if len(frame) != len(y4):
            raise LabelError(f"{len(frame)} paragraphs but {len(y4)} labels", "pass one label per paragraph")
        if len(set(y4)) < 2:
            raise LabelError("need at least two classes to train", "add labelled paragraphs of other classes")
        self.use_heading_ = bool(self.use_heading) and bool((frame[HEADING].str.len() > 0).any())
        self.labels_ = list(tax.labels)
        self.base_labels_ = [lab for lab in four.labels if lab in set(y4)]
        self.rollup_ = dict(tax.rollup)
        self.keywords_ = {lab: list(ws) for lab, ws in tax.keywords.items()}
        base_keywords = {lab: list(ws) for lab, ws in four.keywords.items()}
        self.pipeline_ = build_pipeline(
            self.model, keywords=base_keywords, use_heading=self.use_heading_, C=self.C, lexicon_dir=self.lexicon_dir
        )
        self.pipeline_.fit(frame, y4)
        self.classes_ = np.asarray(self.labels_, dtype=object)
        self.fingerprint_ = self._fingerprint(frame, y4)
        return self

    def _fingerprint(self, frame: pd.DataFrame, y4) -> str:
        """Identity of this fitted model: settings, taxonomy, training texts/labels, library
        versions. Equal fingerprints -> identical predictions (fits are deterministic)."""
        import sklearn

        h = hashlib.sha256()
        params = {k: str(v) for k, v in sorted(self.get_params().items())}
        h.update(json.dumps([params, self.labels_, self.rollup_, self.keywords_, self.use_heading_,
                             MODEL_FORMAT_VERSION, sklearn.__version__, features_hash(self.lexicon_dir, self.model)],
                            ensure_ascii=False).encode())
        for t, hd, lab in zip(frame[TEXT], frame[HEADING], y4):
            h.update(f"{t}\x1f{hd}\x1f{lab}\x1e".encode())
        return h.hexdigest()[:16]

    # -- prediction
    def _base_proba(self, frame: pd.DataFrame) -> np.ndarray:
        """(n, len(base_labels_)) probabilities on the four-way level, columns in base_labels_ order."""
        p = self.pipeline_.predict_proba(frame)
        order = [list(self.pipeline_.classes_).index(lab) for lab in self.base_labels_]
        return p[:, order]

    def _proba_array(self, frame: pd.DataFrame) -> np.ndarray:
        # four-way: reorder; six-way: split each base probability among its children by keyword
        # hits (the same function as the fast scorer, pipeline.classify.scorer)
        return split_proba(self._base_proba(frame), frame[TEXT].tolist(), self.labels_, self.base_labels_,
                           self.rollup_, self.keywords_, self.split_alpha)

    def predict_proba(self, X) -> pd.DataFrame:
        """DataFrame of ``p_<label>`` columns (rows sum to 1), same index as ``X`` if a DataFrame."""
        frame = as_frame(X)
        if len(frame) == 0:
            return pd.DataFrame({f"p_{lab}": pd.Series(dtype=float) for lab in self.labels_}, index=frame.index)
        p = self._proba_array(frame)
        return pd.DataFrame(p, columns=[f"p_{lab}" for lab in self.labels_], index=frame.index)

    def predict(self, X) -> np.ndarray:
        return self.labels_for(self.predict_proba(X)).to_numpy()

    def labels_for(self, proba: pd.DataFrame) -> pd.Series:
        """Labels from a ``predict_proba`` frame. Six-way: the four-way winner first (sum of its
        children), then its most likely child, so a six-way label always rolls up to the
        four-way prediction."""
        if all(self.rollup_[lab] == lab for lab in self.labels_):
            return labels_from_proba(proba)
        p = proba[[f"p_{lab}" for lab in self.labels_]].to_numpy()
        return pd.Series(labels_from_array(p, self.labels_, self.base_labels_, self.rollup_), index=proba.index, name="label")

    # -- explanation
    def feature_names_(self) -> np.ndarray:
        steps = self.pipeline_.named_steps
        if "features" not in steps:
            return np.asarray([], dtype=object)
        return steps["features"].get_feature_names_out()

    def coef_matrix(self) -> np.ndarray | None:
        """(n_base_classes, n_features) weights in pipeline_.classes_ order (calibrated SVMs:
        mean over the calibration folds); None for the keyword rule."""
        clf = self.pipeline_.named_steps["clf"]
        if hasattr(clf, "coef_"):
            coef = np.asarray(clf.coef_)
        elif hasattr(clf, "calibrated_classifiers_"):
            coef = np.mean([np.asarray(c.estimator.coef_) for c in clf.calibrated_classifiers_], axis=0)
        else:
            return None
        if coef.shape[0] == 1:  # binary
            coef = np.vstack([-coef, coef])
        return coef

    def top_features(self, n: int = 20) -> dict[str, list[tuple[str, float]]]:
        """Highest-weighted features per four-way class (for leakage checks)."""
        coef = self.coef_matrix()
        if coef is None:
            return {lab: [(w, 1.0) for w in self.keywords_.get(lab, [])[:n]] for lab in self.base_labels_}
        names = self.feature_names_()
        out = {}
        for i, lab in enumerate(self.pipeline_.classes_):
            idx = np.argsort(-coef[i], kind="stable")[:n]
            out[str(lab)] = [(str(names[j]), float(coef[i, j])) for j in idx]
        return out

    def explain(self, X, top: int = 5) -> list[str]:
        """For each paragraph, the ``top`` features that pushed it towards its predicted label,
        as 'feature(+weight); ...' (weight = tf-idf value x class coefficient, centred across
        classes). Six-way children also show the keywords that chose them."""
        frame = as_frame(X)
        if len(frame) == 0:
            return []
        labels = self.predict(frame).tolist()
        base_classes = list(self.pipeline_.classes_)
        coef = self.coef_matrix()
        out = []
        if coef is not None:
            centred = coef - coef.mean(axis=0, keepdims=True)
            names = self.feature_names_()
            steps = self.pipeline_.named_steps
            Xf = steps["features"].transform(steps["frame"].transform(frame)).tocsr()
        for r, lab in enumerate(labels):
            base = self.rollup_.get(lab, lab)
            parts = []
            if coef is not None:
                row = Xf.getrow(r)
                contrib = row.data * centred[base_classes.index(base), row.indices]
                order = np.argsort(-contrib, kind="stable")[:top]
                parts = [f"{names[row.indices[k]]}({contrib[k]:+.2f})" for k in order if contrib[k] > 0]
            else:
                kws = self.keywords_.get(base, [])
                parts = [w for w in kws if w in frame[TEXT].iat[r]][:top]
            if lab != base:
                hits = [w for w in self.keywords_.get(lab, []) if w in frame[TEXT].iat[r]][:3]
                parts.append(f"[{lab}: {'、'.join(hits) if hits else 'no keyword, prior split'}]")
            out.append("; ".join(parts))
        return out


def labels_from_proba(proba: pd.DataFrame) -> pd.Series:
    """argmax label of a ``p_<label>`` DataFrame (ties -> first column, deterministic)."""
    cols = [c for c in proba.columns if c.startswith("p_")]
    if not len(proba):
        return pd.Series([], dtype=object, index=proba.index)
    idx = np.argmax(proba[cols].to_numpy(), axis=1)
    return pd.Series(np.asarray([c[2:] for c in cols], dtype=object)[idx], index=proba.index, name="label")


def uncertain(proba: pd.DataFrame, threshold: float = 0.5) -> pd.Series:
    """True where the top class probability is below ``threshold``."""
    cols = [c for c in proba.columns if c.startswith("p_")]
    if not len(proba):
        return pd.Series([], dtype=bool, index=proba.index, name="uncertain")
    return pd.Series(proba[cols].to_numpy().max(axis=1) < threshold, index=proba.index, name="uncertain")


# --------------------------------------------------------------------------- labelled data

LABEL_COLUMNS = ("doc", "para_id", "text", "label", "note")


def read_labelled_csv(path, *, require_label: bool = True) -> pd.DataFrame:
    """One labelled CSV -> DataFrame (all str). Raises InputError on unreadable/empty/no text."""
    from pipeline.csvio import read_csv

    path = Path(path)
    try:
        df = read_csv(path)
    except FileNotFoundError as err:
        raise InputError(f"{path} does not exist", "check the path") from err
    except pd.errors.EmptyDataError as err:
        raise InputError(f"{path} is empty", "give a CSV with a header row and a `text` column") from err
    except (pd.errors.ParserError, UnicodeDecodeError) as err:
        raise InputError(f"{path} is not a readable UTF-8 CSV: {err}", "save it as CSV UTF-8") from err
    df.columns = [str(c).strip() for c in df.columns]
    if TEXT not in df.columns:
        raise InputError(f"{path} has no `text` column (columns: {', '.join(df.columns)})", "add a column named text")
    if require_label and "label" not in df.columns:
        raise InputError(f"{path} has no `label` column", "add a column named label")
    if df.empty:
        raise InputError(f"{path} has no rows", "give at least one paragraph")
    return df


def load_labels(labels_dir, taxonomy: str = "four", lexicon_dir=None) -> pd.DataFrame:
    """All CSVs in ``labels_dir`` -> one DataFrame with text, label (+doc, heading, label6 if
    present); rows with empty text or label are dropped; duplicates by text keep the last
    (files read in name order, so later imports correct earlier labels)."""
    from pipeline.taxonomy import load_taxonomy

    files = label_files(labels_dir)
    if not files:
        raise LabelError(f"no labelled CSVs in {labels_dir}", "add data/labels/*.csv or pass --labels DIR")
    tax4 = load_taxonomy("four", lexicon_dir)
    try:
        tax6 = load_taxonomy("six", lexicon_dir)
        allowed = set(tax4.labels) | set(tax6.labels)
    except TaxonomyError:
        tax6, allowed = None, set(tax4.labels)
    frames = []
    for path in files:
        df = read_labelled_csv(path)
        df["text"] = df["text"].str.strip()
        df["label"] = df["label"].str.strip()
        df = df[(df["text"] != "") & (df["label"] != "")]
        bad = sorted(set(df["label"]) - allowed)
        if bad:
            raise LabelError(f"{path.name}: labels outside the taxonomy: {', '.join(bad)}", f"use one of: {', '.join(tax4.labels)}")
        df = df.assign(source=path.name)
        frames.append(df)
    data = pd.concat(frames, ignore_index=True)
    if "label6" in data.columns:
        data["label6"] = data["label6"].fillna("")
    if tax6 is not None:  # six-way labels in `label` roll up; keep them as label6
        six_only = data["label"].isin(set(tax6.labels) - set(tax4.labels))
        if six_only.any():
            if "label6" not in data.columns:
                data["label6"] = ""
            data.loc[six_only, "label6"] = data.loc[six_only, "label"]
            data.loc[six_only, "label"] = data.loc[six_only, "label"].map(dict(tax6.rollup))
    for col in ("doc", HEADING):
        if col not in data.columns:
            data[col] = ""
    data = data.drop_duplicates(subset="text", keep="last").reset_index(drop=True)
    return data


# --------------------------------------------------------------------------- evaluation


@dataclass
class Evaluation:
    labels: list[str]
    report: pd.DataFrame  # per class precision, recall, f1, support
    macro_f1: float
    accuracy: float
    confusion: pd.DataFrame  # rows gold, columns predicted
    n: int

    def text(self) -> str:
        lines = [f"n = {self.n}   accuracy = {self.accuracy:.3f}   macro-F1 = {self.macro_f1:.3f}", ""]
        lines.append(self.report.to_string(float_format=lambda v: f"{v:.3f}"))
        lines += ["", "confusion matrix (rows = gold, columns = predicted):", self.confusion.to_string()]
        return "\n".join(lines) + "\n"


def evaluate_predictions(gold: Sequence[str], pred: Sequence[str], labels: Sequence[str] | None = None) -> Evaluation:
    from sklearn.metrics import accuracy_score, confusion_matrix, f1_score, precision_recall_fscore_support

    gold, pred = list(map(str, gold)), list(map(str, pred))
    if labels is None:
        labels = sorted(set(gold) | set(pred))
    labels = [lab for lab in labels if lab in set(gold) | set(pred)]
    p, r, f, s = precision_recall_fscore_support(gold, pred, labels=labels, zero_division=0)
    report = pd.DataFrame({"precision": p, "recall": r, "f1": f, "support": s}, index=labels)
    gold_labels = [lab for lab in labels if lab in set(gold)]
    macro = f1_score(gold, pred, labels=gold_labels, average="macro", zero_division=0)
    cm = pd.DataFrame(confusion_matrix(gold, pred, labels=labels), index=labels, columns=labels)
    return Evaluation(list(labels), report, float(macro), float(accuracy_score(gold, pred)), cm, len(gold))


def heldout_split(data: pd.DataFrame, test_size: float = 0.2, seed: int = SEED) -> tuple[np.ndarray, np.ndarray]:
    """Stratified split grouped by ``doc`` (paragraphs of one document never straddle).
    Returns (train_idx, test_idx). Rows without a doc are their own group."""
    from sklearn.model_selection import StratifiedGroupKFold

    groups = _groups(data)
    n_splits = max(2, int(round(1 / test_size)))
    sgkf = StratifiedGroupKFold(n_splits=n_splits, shuffle=True, random_state=seed)
    train_idx, test_idx = next(sgkf.split(data, data["label"], groups))
    return train_idx, test_idx


def _groups(data: pd.DataFrame) -> np.ndarray:
    doc = data["doc"].astype(str) if "doc" in data.columns else pd.Series("", index=data.index)
    return np.where(doc == "", "row:" + pd.Series(range(len(data)), index=data.index).astype(str), doc)


def cross_validate(data: pd.DataFrame, model: str = DEFAULT_MODEL, *, folds: int = 5, seed: int = SEED,
                   lexicon_dir=None, **params) -> dict:
    """Stratified, doc-grouped k-fold CV of one candidate on the four-way labels.
    Returns {'macro_f1': mean, 'std': sd, 'folds': [...], 'accuracy': mean, 'pred': out-of-fold}."""
    from sklearn.metrics import accuracy_score, f1_score
    from sklearn.model_selection import StratifiedGroupKFold

    data = data.reset_index(drop=True)
    y = data["label"].to_numpy()
    cv = StratifiedGroupKFold(n_splits=folds, shuffle=True, random_state=seed)
    pred = np.empty(len(data), dtype=object)
    scores, accs = [], []
    for tr, te in cv.split(data, y, _groups(data)):
        clf = ParagraphClassifier(model=model, taxonomy="four", lexicon_dir=lexicon_dir, **params)
        clf.fit(data.iloc[tr], y[tr])
        p = clf.predict(data.iloc[te])
        pred[te] = p
        scores.append(f1_score(y[te], p, average="macro"))
        accs.append(accuracy_score(y[te], p))
    return {"model": model, "macro_f1": float(np.mean(scores)), "std": float(np.std(scores)),
            "accuracy": float(np.mean(accs)), "folds": [float(s) for s in scores], "pred": pred}


# --------------------------------------------------------------------------- persistence

# Every type a saved ParagraphClassifier may contain beyond what skops trusts by default.
# Loading refuses anything else (skops.io.get_untrusted_types is checked first).
TRUSTED_TYPES = [
    "pipeline.classify.core.ParagraphClassifier",
    "pipeline.classify.core.TextFrame",
    "pipeline.classify.core.LexiconCounts",
    "pipeline.classify.core.KeywordRule",
    "pipeline.classify.core.segment_tokens",
    "pipeline.classify.core.char_preprocess",
    "sklearn.pipeline.Pipeline",
    "sklearn.compose._column_transformer.ColumnTransformer",
    "sklearn.feature_extraction.text.TfidfVectorizer",
    "sklearn.feature_extraction.text.TfidfTransformer",
    "sklearn.linear_model._logistic.LogisticRegression",
    "sklearn.svm._classes.LinearSVC",
    "sklearn.calibration.CalibratedClassifierCV",
    "sklearn.calibration._CalibratedClassifier",
    "sklearn.calibration._SigmoidCalibration",
    "numpy.float32",
    "numpy.float64",
    "numpy.int64",
    "numpy.dtype",
    "builtins.slice",
]


def save_model(clf: ParagraphClassifier, path, meta: dict | None = None) -> Path:
    """Write the model (skops), its JSON sidecar and, for models the fast scorer can reproduce,
    its numeric export (``.npz``, pipeline.classify.scorer), each atomically; returns the model path."""
    import skops.io as sio

    from pipeline import __version__ as pkg_version  # type: ignore[attr-defined]
    from pipeline.atomic import write_bytes, write_text

    import sklearn

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

    from pipeline.classify.scorer import ExportMismatch, write_export

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
    except Exception as err:  # noqa: BLE001 - any parse failure means a corrupt file
        raise ModelError(f"model file {path} is corrupt or not a skops file ({type(err).__name__})", hint) from err
    unknown = sorted(set(untrusted) - set(TRUSTED_TYPES))
    if unknown:
        raise ModelError(f"model file {path} contains types this project never saves: {', '.join(unknown)}", hint)
    try:
        clf = sio.loads(data, trusted=list(TRUSTED_TYPES))
    except Exception as err:  # noqa: BLE001
        raise ModelError(f"model file {path} could not be loaded ({type(err).__name__}: {err})", hint) from err
    if not isinstance(clf, ParagraphClassifier) or not hasattr(clf, "pipeline_"):
        raise ModelError(f"model file {path} does not hold a trained ParagraphClassifier", hint)
    return clf


@dataclass
class TrainResult:
    classifier: ParagraphClassifier
    path: Path
    n: int
    counts: dict
    cv: dict | None = None
    meta: dict = field(default_factory=dict)

    def text(self) -> str:
        lines = [f"trained {self.classifier.model} ({self.meta.get('taxonomy')}) on {self.n} paragraphs: "
                 + ", ".join(f"{k} {v}" for k, v in self.counts.items())]
        if self.cv:
            lines.append(f"{len(self.cv['folds'])}-fold CV macro-F1 {self.cv['macro_f1']:.3f} ± {self.cv['std']:.3f}"
                         f" (accuracy {self.cv['accuracy']:.3f})")
        lines.append(f"saved {self.path}")
        return "\n".join(lines)


def train(labels_dir=None, *, taxonomy: str = "four", models_dir=None, lexicon_dir=None,
          model: str = DEFAULT_MODEL, cv: bool = False) -> TrainResult:
    """Fit on every CSV in ``labels_dir`` and save under ``models_dir``; optional CV summary."""
    from pipeline.config import LABELS_DIR

    from pipeline.config import LEXICON_DIR

    taxonomy = getattr(taxonomy, "value", taxonomy)
    labels_dir = Path(labels_dir) if labels_dir is not None else LABELS_DIR
    models_dir = Path(models_dir) if models_dir is not None else models_dir_default()
    # the model stores its settings: keep them plain (str/None) so skops needs no extra types
    if lexicon_dir is not None:
        lexicon_dir = None if Path(lexicon_dir).resolve() == LEXICON_DIR.resolve() else str(lexicon_dir)
    data = load_labels(labels_dir, taxonomy, lexicon_dir)
    data_hash = labels_hash(labels_dir)
    cv_result = None
    if cv:
        cv_result = cross_validate(data, model, lexicon_dir=lexicon_dir)
        cv_result.pop("pred", None)
    clf = ParagraphClassifier(model=model, taxonomy=taxonomy, lexicon_dir=lexicon_dir).fit(data, data["label"])
    meta = {
        "taxonomy": taxonomy,
        "labels_dir": str(labels_dir),
        "training_data_sha256": data_hash,
        "features_sha256": features_hash(lexicon_dir, model),
        "n_train": int(len(data)),
        "class_counts": {k: int(v) for k, v in data["label"].value_counts().sort_index().items()},
    }
    if cv_result:
        meta["cv"] = cv_result
    path = save_model(clf, model_path(models_dir, taxonomy), meta)
    return TrainResult(clf, path, len(data), meta["class_counts"], cv_result, meta)


_CACHE: dict = {}
_CACHE_LOCK = threading.Lock()


def get_classifier(taxonomy: str = "four", labels_dir=None, models_dir=None, lexicon_dir=None) -> ParagraphClassifier:
    """The classifier to use: the saved model if it was trained on the current labels (sidecar
    hashes match), otherwise train from the labels now and cache it under ``models_dir``.

    A corrupt model file raises ModelError (hint: `dangjian train`); it is not silently replaced.
    """
    from pipeline.config import LABELS_DIR

    taxonomy = getattr(taxonomy, "value", taxonomy)
    labels_dir = Path(labels_dir) if labels_dir is not None else LABELS_DIR
    models_dir = Path(models_dir) if models_dir is not None else models_dir_default()
    path = model_path(models_dir, taxonomy)
    want = {"training_data_sha256": labels_hash(labels_dir), "features_sha256": features_hash(lexicon_dir, DEFAULT_MODEL),
            "format": MODEL_FORMAT_VERSION, "model": DEFAULT_MODEL}
    key = (str(path.resolve()), tuple(sorted(want.items())))
    with _CACHE_LOCK:
        if key in _CACHE:
            return _CACHE[key]
        info = read_sidecar(path) if path.is_file() else None
        if path.is_file() and info is not None and all(info.get(k) == v for k, v in want.items()):
            clf = load_model_file(path)
        elif path.is_file() and info is None:
            # a model without a readable sidecar: check it loads (corrupt -> ModelError) then retrain
            load_model_file(path)
            clf = train(labels_dir, taxonomy=taxonomy, models_dir=models_dir, lexicon_dir=lexicon_dir).classifier
        else:
            clf = train(labels_dir, taxonomy=taxonomy, models_dir=models_dir, lexicon_dir=lexicon_dir).classifier
        _CACHE[key] = clf
        return clf


def load_model(settings) -> ParagraphClassifier:
    """get_classifier for a pipeline.config.Settings."""
    return get_classifier(settings.taxonomy, settings.labels_dir, settings.models_dir, settings.lexicon_dir)


# --------------------------------------------------------------------------- CSV-level operations (used by the CLI)


@dataclass
class ClassifyResult:
    path: Path
    n: int
    counts: dict
    n_uncertain: int

    def text(self) -> str:
        share = ", ".join(f"{k} {v}" for k, v in self.counts.items())
        return f"classified {self.n} paragraphs ({share}); {self.n_uncertain} uncertain -> {self.path}"


def classify_frame(df: pd.DataFrame, clf, *, threshold: float = 0.5, explain: bool = False) -> pd.DataFrame:
    """``df`` plus ``label``, ``p_<label>``… and ``uncertain`` (and ``explain``). Existing columns
    of those names are replaced. ``clf`` is a ParagraphClassifier or a fast scorer
    (pipeline.classify.scorer.get_scorer; not with ``explain``)."""
    if isinstance(clf, ParagraphClassifier):
        proba = clf.predict_proba(df)
        labels = clf.labels_for(proba).to_numpy()
    else:
        frame = as_frame(df)
        p = clf.predict_proba(frame[TEXT].tolist(), frame[HEADING].tolist())
        proba = pd.DataFrame(p, columns=clf.columns, index=df.index)
        labels = clf.labels_for(p)
    out = df.drop(columns=[c for c in df.columns if c in ("label", "uncertain", "explain") or str(c).startswith("p_")])
    out = out.copy()
    out["label"] = labels
    for col in proba.columns:
        out[col] = proba[col].round(4).to_numpy()
    out["uncertain"] = uncertain(proba, threshold).to_numpy()
    if explain:
        out["explain"] = clf.explain(df)
    return out


def classify_csv(in_path, out_path, *, taxonomy: str = "four", explain: bool = False, labels_dir=None,
                 models_dir=None, threshold: float = 0.5) -> ClassifyResult:
    """Read any CSV with a ``text`` column (optional ``heading``), write it back with labels.
    Scores with the fast scorer (as ``dangjian run`` does); ``explain`` needs the sklearn model."""
    from pipeline.classify.scorer import get_scorer
    from pipeline.csvio import write_csv

    df = read_labelled_csv(in_path, require_label=False)
    clf = get_classifier(taxonomy, labels_dir, models_dir) if explain else get_scorer(taxonomy, labels_dir, models_dir)
    out = classify_frame(df, clf, threshold=threshold, explain=explain)
    write_csv(out_path, out)
    counts = {k: int(v) for k, v in out["label"].value_counts().reindex(clf.labels_, fill_value=0).items()}
    return ClassifyResult(Path(out_path), len(out), counts, int(out["uncertain"].sum()))


def evaluate_csv(gold_path, out_path=None, *, taxonomy: str = "four", labels_dir=None, models_dir=None) -> tuple[Evaluation, Path]:
    """Score the model on a gold CSV (``text,label``); write the report to ``out_path``
    (default ``<gold>.eval.txt`` next to the gold file). Six-way gold labels are compared at the
    six-way level only with ``taxonomy='six'``; otherwise both sides are rolled up to four."""
    from pipeline.atomic import write_text
    from pipeline.taxonomy import load_taxonomy

    gold_path = Path(gold_path)
    df = read_labelled_csv(gold_path)
    df = df[df["label"].str.strip() != ""]
    if df.empty:
        raise InputError(f"{gold_path} has no labelled rows", "fill the label column")
    taxonomy = getattr(taxonomy, "value", taxonomy)
    tax = load_taxonomy(taxonomy)
    clf = get_classifier(taxonomy, labels_dir, models_dir)
    gold = df["label"].str.strip().tolist()
    pred = list(clf.predict(df))
    if taxonomy == "six" and set(gold) <= set(tax.labels) and set(gold) - set(tax.base_labels):
        labels = list(tax.labels)
    else:
        four = load_taxonomy("four")
        gold = list(_rollup_targets(gold, four))
        pred = [clf.rollup_.get(p, p) for p in pred]
        labels = list(four.labels)
    ev = evaluate_predictions(gold, pred, labels)
    out_path = Path(out_path) if out_path is not None else gold_path.with_name(gold_path.stem + ".eval.txt")
    header = f"evaluation of {gold_path.name} ({taxonomy}, model {clf.model})\n\n"
    write_text(out_path, header + ev.text())
    return ev, out_path


def export_uncertain(n: int, out_csv, *, out_dir=None, taxonomy: str = "four", labels_dir=None,
                     models_dir=None) -> tuple[Path, int]:
    """The ``n`` paragraphs of ``OUT_DIR/paragraphs.csv`` the model is least sure of, with their
    ``p_`` columns, the model's guess as ``predicted`` and an empty ``label`` to fill in."""
    from pipeline.config import PROCESSED_DIR
    from pipeline.csvio import write_csv

    src = Path(out_dir if out_dir is not None else PROCESSED_DIR) / "paragraphs.csv"
    if not src.is_file():
        raise InputError(f"{src} does not exist", "run `dangjian run RAW_DIR --out DIR` first, or pass --out-dir")
    df = read_labelled_csv(src, require_label=False)
    clf = get_classifier(taxonomy, labels_dir, models_dir)
    pcols = [f"p_{lab}" for lab in clf.labels_]
    if not all(c in df.columns for c in pcols):
        df = classify_frame(df, clf)
    probs = df[pcols].apply(pd.to_numeric, errors="coerce").fillna(0.0)
    top = probs.max(axis=1)
    order = np.lexsort((np.arange(len(df)), top.to_numpy()))  # least confident first, stable
    pick = df.iloc[order[: max(0, int(n))]].copy()
    keep = [c for c in ("doc_id", "para_id", "heading", "text") if c in pick.columns]
    out = pick[keep].copy()
    out["predicted"] = clf.labels_for(pick[pcols].apply(pd.to_numeric, errors="coerce").fillna(0.0)).to_numpy()
    for c in pcols:
        out[c] = pick[c].to_numpy()
    out["label"] = ""
    out["note"] = ""
    write_csv(out_csv, out)
    return Path(out_csv), len(out)


def import_labels(path, *, labels_dir=None, taxonomy: str = "four") -> tuple[Path | None, int, int]:
    """Validate an analyst's CSV (``text,label``; rows with an empty label are skipped) against
    the taxonomy and add it to ``labels_dir`` as a new file ``import-<time>-<name>.csv``.
    Rows whose text is already labelled identically are dropped; a different label for a known
    text is kept and wins at the next ``train`` (imports are read after ``paragraphs.csv``).
    Returns (written file or None, rows added, rows skipped as duplicates)."""
    import time

    from pipeline.config import LABELS_DIR
    from pipeline.csvio import write_csv
    from pipeline.taxonomy import load_taxonomy

    taxonomy = getattr(taxonomy, "value", taxonomy)
    labels_dir = Path(labels_dir) if labels_dir is not None else LABELS_DIR
    tax = load_taxonomy(taxonomy)
    df = read_labelled_csv(path)
    df["text"] = df["text"].str.strip()
    df["label"] = df["label"].str.strip()
    df = df[(df["label"] != "") & (df["text"] != "")]
    if df.empty:
        raise LabelError(f"{path} has no filled-in labels", "fill the label column for the rows you checked")
    bad = sorted(set(df["label"]) - set(tax.labels))
    if bad:
        raise LabelError(
            f"{Path(path).name}: labels outside the {taxonomy!r} taxonomy: {', '.join(bad)}",
            f"use one of: {', '.join(tax.labels)}" + ("" if taxonomy == "six" else " (or --taxonomy six)"),
        )
    out = pd.DataFrame({
        "doc": df["doc"] if "doc" in df.columns else (df["doc_id"] if "doc_id" in df.columns else ""),
        "para_id": df["para_id"] if "para_id" in df.columns else "",
        "text": df["text"],
        "label": df["label"].map(dict(tax.rollup)),
        "note": df["note"] if "note" in df.columns else "",
    })
    if taxonomy == "six":
        out["label6"] = df["label"].to_numpy()
    out = out.drop_duplicates(subset="text", keep="last")
    existing = {}
    if labels_dir.is_dir() and label_files(labels_dir):
        try:
            cur = load_labels(labels_dir)
            existing = dict(zip(cur["text"], cur["label"]))
        except (LabelError, InputError):
            existing = {}
    dup = out.apply(lambda r: existing.get(r["text"]) == r["label"] and "label6" not in out.columns, axis=1) if len(out) else []
    skipped = int(np.sum(dup)) if len(out) else 0
    out = out[~np.asarray(dup, dtype=bool)] if len(out) else out
    if out.empty:
        return None, 0, skipped
    stem = re.sub(r"[^\w.-]+", "_", Path(path).stem)[:60] or "labels"
    dest = labels_dir / f"import-{time.strftime('%Y%m%d-%H%M%S')}-{stem}.csv"
    write_csv(dest, out)
    return dest, len(out), skipped
