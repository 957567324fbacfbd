"""The paragraph classifier: the candidate models' sklearn Pipelines and ParagraphClassifier.

One sklearn ``Pipeline`` goes from raw input (list of str, Series, or a DataFrame with ``text``
and optional ``heading``) to calibrated class probabilities, so the vectorizers only ever see
training folds in cross-validation. ``ParagraphClassifier`` wraps it sklearn-style and adds the
taxonomy (four-way; six-way from a model trained on the six-way labels, or - for a labels
folder without them - by splitting each four-way probability with the six-way keyword rule) and
``explain``::

    clf = get_classifier(taxonomy, labels_dir, models_dir)   # pipeline.classify.registry
    proba = clf.predict_proba(df_with_text_and_heading)      # DataFrame of p_<label>
    flags = uncertain(proba, threshold)                      # bool Series

Saving and loading: ``pipeline.classify.persist``; the numpy scorer the engine uses:
``pipeline.classify.scorer``.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, ClassifierMixin

from pipeline.classify.candidates import CANDIDATES, DEFAULT_MODEL, SEED, SPECS
from pipeline.classify.features import (
    char_preprocess,
    labels_from_array,
    reorder_columns,
    segment_tokens,
    split_proba,
)
from pipeline.classify.files import MODEL_FORMAT_VERSION, features_hash
from pipeline.classify.inputs import HEADING, TEXT, as_frame, simplified_frame
from pipeline.classify.steps import KeywordRule, LexiconCounts, TextFrame
from pipeline.errors import LabelError, ModelError, TaxonomyError

# --------------------------------------------------------------------------- candidate models
# descriptions and feature / estimator settings of each candidate: pipeline.classify.candidates


def build_pipeline(model: str, *, keywords: dict, use_heading: bool = False, C: float | None = None, lexicon_dir=None, heading_weight: float = 1.0):
    """The sklearn Pipeline of one candidate (unfitted). ``use_heading`` adds char 1-2-grams of
    the heading path as a separate block weighted ``heading_weight`` (off by default)."""
    from sklearn.pipeline import Pipeline

    if model == "keyword":
        return Pipeline([("frame", TextFrame()), ("clf", KeywordRule(keywords=keywords))])
    if model not in SPECS:
        raise ModelError(f"unknown model {model!r}", f"use one of: {', '.join(CANDIDATES)}")
    spec = SPECS[model]
    C = spec["C"] if C is None else C
    if spec["clf"] == "svm+lr":  # soft vote of two whole pipelines (each with its own features)
        from sklearn.ensemble import VotingClassifier

        lr = spec["lr"]
        members = [
            ("svm", _features_clf({**spec, "clf": "svm"}, C, keywords, use_heading, lexicon_dir, heading_weight)),
            ("lr", _features_clf({**spec, **lr, "clf": "lr"}, lr["C"], keywords, use_heading, lexicon_dir, heading_weight)),
        ]
        return Pipeline([("frame", TextFrame()), ("clf", VotingClassifier(members, voting="soft"))])
    features, clf = _features_clf(spec, C, keywords, use_heading, lexicon_dir, heading_weight, split=True)
    return Pipeline([("frame", TextFrame()), ("features", features), ("clf", clf)])


def _features_clf(spec: dict, C: float, keywords, use_heading, lexicon_dir, heading_weight, split: bool = False):
    from sklearn.calibration import CalibratedClassifierCV
    from sklearn.compose import ColumnTransformer
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression, SGDClassifier
    from sklearn.naive_bayes import ComplementNB
    from sklearn.pipeline import Pipeline
    from sklearn.svm import LinearSVC

    char = TfidfVectorizer(
        analyzer="char",
        ngram_range=spec["ngram"],
        min_df=2,
        sublinear_tf=spec["sublinear"],
        preprocessor=char_preprocess,
        dtype=np.float32,
    )
    branches = [("char", char, TEXT)]
    if spec.get("words"):
        word = TfidfVectorizer(
            tokenizer=segment_tokens,
            token_pattern=None,
            lowercase=False,
            min_df=2,
            sublinear_tf=spec["sublinear"],
            dtype=np.float32,
        )
        branches.append(("word", word, TEXT))
    if spec.get("lex"):
        branches.append(("lex", LexiconCounts(keywords=keywords, lexicon_dir=lexicon_dir), TEXT))
    weights = None
    if use_heading:
        head = TfidfVectorizer(analyzer="char", ngram_range=(1, 2), min_df=2, preprocessor=char_preprocess, dtype=np.float32)
        branches.append(("heading", head, HEADING))
        if heading_weight != 1.0:
            weights = {name: (heading_weight if name == "heading" else 1.0) for name, _, _ in branches}
    features = ColumnTransformer(branches, remainder="drop", sparse_threshold=1.0, transformer_weights=weights)
    kind, weight = spec["clf"], spec.get("weight")
    if kind == "svm":
        clf = CalibratedClassifierCV(LinearSVC(C=C, class_weight=weight, random_state=SEED), method="sigmoid", cv=5)
    elif kind == "lr":
        clf = LogisticRegression(C=C, max_iter=5000, class_weight=weight)
    elif kind == "sgd":
        clf = SGDClassifier(loss="modified_huber", alpha=C, class_weight=weight, random_state=SEED, max_iter=50, tol=None)
    elif kind == "nb":
        clf = ComplementNB(alpha=C)
    else:
        raise ModelError(f"unknown estimator {kind!r} in the candidate settings", "fix pipeline/classify/candidates.py")
    if split:
        return features, clf
    return Pipeline([("features", features), ("clf", clf)])


# --------------------------------------------------------------------------- the classifier


def rollup_targets(y, taxonomy) -> np.ndarray:
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

    ``taxonomy='four'`` predicts the four classes directly. ``taxonomy='six'`` trained on six-way
    labels (every target a label of the six-way scheme) predicts the seven six-way classes
    directly (``direct_``); trained on four-way labels it falls back to the old rule: the
    four-way model, each probability split among its six-way children in proportion to the
    children's keyword hits (+``split_alpha``). Either way a six-way label is the four-way
    winner's most likely child (``labels_for``), so it always rolls up to the four-way
    prediction of the same probabilities.
    """

    def __init__(
        self,
        model: str = DEFAULT_MODEL,
        taxonomy: str = "four",
        use_heading: bool = False,
        C: float | None = None,
        lexicon_dir=None,
        split_alpha: float = 0.5,
        heading_weight: float = 1.0,
    ):
        self.model = model
        self.taxonomy = taxonomy
        self.use_heading = use_heading
        self.C = C
        self.lexicon_dir = lexicon_dir
        self.split_alpha = split_alpha
        self.heading_weight = heading_weight

    # -- fitting
    def fit(self, X, y):
        from pipeline.taxonomy import load_taxonomy

        tax = load_taxonomy(getattr(self.taxonomy, "value", self.taxonomy), self.lexicon_dir)
        four = load_taxonomy("four", self.lexicon_dir)
        frame = as_frame(X)
        y = [str(v) for v in y]
        y4 = rollup_targets(y, tax)
        # six-way targets throughout -> a direct six-way model; otherwise the four-way model
        self.direct_ = tax.name == four.name or all(lab in set(tax.labels) for lab in y)
        targets = np.asarray(y, dtype=object) if self.direct_ and tax.name != four.name else y4
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
        if self.direct_ and tax.name != four.name:
            base_keywords = self.keywords_  # the keyword rule / counts on the six-way labels
        self.pipeline_ = build_pipeline(
            self.model,
            keywords=base_keywords,
            use_heading=self.use_heading_,
            C=self.C,
            lexicon_dir=self.lexicon_dir,
            heading_weight=self.heading_weight,
        )
        self.pipeline_.fit(frame, targets)
        self.classes_ = np.asarray(self.labels_, dtype=object)
        self.fingerprint_ = self._fingerprint(frame, targets)
        return self

    def _fingerprint(self, frame: pd.DataFrame, y4) -> str:
        """Identity of this fitted model: settings, taxonomy, training texts/labels, library
        versions. Equal fingerprints -> identical predictions (fits are deterministic)."""
        import sklearn

        h = hashlib.sha256()
        params = {k: str(v) for k, v in sorted(self.get_params().items())}
        h.update(
            json.dumps(
                [
                    params,
                    self.labels_,
                    self.rollup_,
                    self.keywords_,
                    self.use_heading_,
                    self.direct_,
                    MODEL_FORMAT_VERSION,
                    sklearn.__version__,
                    features_hash(self.lexicon_dir, self.model),
                ],
                ensure_ascii=False,
            ).encode()
        )
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
        # a direct model (four-way, or six-way trained on six-way labels): the pipeline's classes
        # in taxonomy order (a class absent from training gets 0); otherwise split each four-way
        # probability among its children by keyword hits (the same functions as the fast scorer)
        if getattr(self, "direct_", True):
            return reorder_columns(self.pipeline_.predict_proba(frame), list(self.pipeline_.classes_), self.labels_)
        return split_proba(
            self._base_proba(frame), frame[TEXT].tolist(), self.labels_, self.base_labels_, self.rollup_, self.keywords_, self.split_alpha
        )

    def predict_proba(self, X) -> pd.DataFrame:
        """DataFrame of ``p_<label>`` columns (rows sum to 1), same index as ``X`` if a DataFrame;
        scored on the simplified view of the text (``inputs.simplified_frame``)."""
        frame = simplified_frame(X)
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
        """Highest-weighted features per class of the fitted pipeline (four-way classes, or the
        six-way ones of a direct six-way model), for leakage checks."""
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
        as 'phrase(+weight); ...' (weight = tf-idf value x class coefficient, centred across
        classes; n-grams joined into the phrases they cover, without branch prefixes or function
        characters: pipeline.classify.explain). Six-way children also show the keywords that chose them.
        Read on the simplified view, as :meth:`predict_proba`."""
        from pipeline.classify.explain import Explainer

        frame = simplified_frame(X)
        reasons = Explainer(self.lexicon_dir)
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
        direct = getattr(self, "direct_", True)
        for r, lab in enumerate(labels):
            base = lab if direct else self.rollup_.get(lab, lab)
            parts = []
            if coef is not None:
                row = Xf.getrow(r)
                contrib = row.data * centred[base_classes.index(base), row.indices]
                parts = reasons.parts(names[row.indices], contrib, frame[TEXT].iat[r], top)
            else:
                kws = self.keywords_.get(base, [])
                parts = [w for w in kws if w in frame[TEXT].iat[r]][:top]
            if lab != base and not direct:
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
