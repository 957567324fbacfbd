"""pipeline.classify.model: ParagraphClassifier's real predictions on real paragraphs, the six-way
model and its keyword-split fallback, explanations, determinism and sklearn conventions."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from classify_helpers import CLEAR, P_COLS, sample_line, shipped_models_dir
from conftest import write_label_sample

from pipeline import classify
from pipeline.config import LABELS_DIR
from pipeline.errors import InputError


@pytest.fixture(scope="session")
def models_dir(tmp_path_factory) -> Path:
    return shipped_models_dir(tmp_path_factory)


@pytest.fixture(scope="session")
def clf(models_dir):
    """The shipped-labels model, trained once into a temporary models dir (first-use path)."""
    return classify.get_classifier("four", LABELS_DIR, models_dir)


@pytest.fixture(scope="session")
def small_labels(tmp_path_factory) -> Path:
    """A stratified 240-row slice of the shipped labels (fast fits for determinism tests)."""
    return write_label_sample(tmp_path_factory.mktemp("labels"), per_label=60, seed=0)


@pytest.mark.parametrize("doc, start, label", CLEAR)
def test_clear_sample_paragraphs_get_their_label(clf, doc, start, label):
    text = sample_line(doc, start)
    assert clf.predict([text])[0] == label


def test_predict_proba_is_a_frame_of_probabilities(clf):
    df = pd.DataFrame({"text": [sample_line(d, s) for d, s, _ in CLEAR]}, index=[f"r{i}" for i in range(len(CLEAR))])
    p = clf.predict_proba(df)
    assert list(p.columns) == P_COLS
    assert list(p.index) == list(df.index)
    np.testing.assert_allclose(p.sum(axis=1), 1.0, atol=1e-9)
    assert ((p >= 0) & (p <= 1)).all().all()
    assert list(clf.classes_) == [c[2:] for c in P_COLS]


def test_input_forms_agree(clf):
    texts = [sample_line(d, s) for d, s, _ in CLEAR[:4]]
    a = clf.predict_proba(texts).to_numpy()
    b = clf.predict_proba(pd.Series(texts)).to_numpy()
    c = clf.predict_proba(pd.DataFrame({"text": texts, "heading": ["一、突出政治建设"] * 4})).to_numpy()
    np.testing.assert_array_equal(a, b)
    np.testing.assert_allclose(a, c)  # heading is ignored by the default model
    assert clf.predict_proba(pd.DataFrame({"text": []})).shape == (0, 4)
    with pytest.raises(InputError, match="text"):
        clf.predict_proba(pd.DataFrame({"body": ["x"]}))


def test_missing_text_is_not_an_error(clf):
    p = clf.predict_proba(pd.DataFrame({"text": ["", None, "加强党风廉政建设"]}))
    assert p.shape == (3, 4)


def test_uncertain_flags_low_top_probability():
    proba = pd.DataFrame({"p_a": [0.9, 0.4, 0.5], "p_b": [0.1, 0.35, 0.5], "p_c": [0.0, 0.25, 0.0]})
    assert classify.uncertain(proba, 0.5).tolist() == [False, True, False]
    assert classify.uncertain(proba, 0.95).tolist() == [True, True, True]
    assert classify.labels_from_proba(proba).tolist() == ["a", "a", "a"]


def test_explain_names_features_that_point_to_the_label(clf):
    texts = [sample_line("003", "15.加强党风廉政教育"), sample_line("003", "9.从严教育管理党员")]
    out = clf.explain(texts, top=5)
    assert len(out) == 2
    assert all(s and s.count("(+") <= 5 for s in out)
    assert "廉" in out[0]
    assert "党员" in out[1] or "员" in out[1]


def test_top_features_per_class(clf):
    top = clf.top_features(10)
    assert set(top) == {c[2:] for c in P_COLS}
    assert all(len(v) == 10 for v in top.values())


def test_fit_is_deterministic(small_labels):
    data = classify.load_labels(small_labels)
    texts = [sample_line(d, s) for d, s, _ in CLEAR]
    c1 = classify.ParagraphClassifier().fit(data, data["label"])
    c2 = classify.ParagraphClassifier().fit(data, data["label"])
    pd.testing.assert_frame_equal(c1.predict_proba(texts), c2.predict_proba(texts))
    assert c1.fingerprint_ == c2.fingerprint_
    assert c1.explain(texts) == c2.explain(texts)


def test_sklearn_conventions():
    c = classify.ParagraphClassifier(model="char_lr", C=3.0)
    assert c.get_params()["C"] == 3.0
    assert not hasattr(c, "pipeline_") and not hasattr(c, "classes_")


def test_six_way_model_is_trained_on_label6(models_dir):
    six = classify.get_classifier("six", LABELS_DIR, models_dir)
    assert six.direct_ and list(six.pipeline_.classes_) != list(six.base_labels_)
    texts = [sample_line(d, s) for d, s, _ in CLEAR]
    p6 = six.predict_proba(texts)
    assert list(p6.columns) == ["p_政治", "p_思想", "p_组织", "p_作风", "p_纪律", "p_制度", "p_其他"]
    np.testing.assert_allclose(p6.sum(axis=1), 1.0, atol=1e-9)
    # a six-way label is the most likely child of the four-way winner of the same probabilities
    four = {"政治建设": ["p_政治", "p_思想"], "组织建设": ["p_组织", "p_制度"], "作风建设": ["p_作风", "p_纪律"], "其他": ["p_其他"]}
    sums = pd.DataFrame({b: p6[c].sum(axis=1) for b, c in four.items()})
    assert [six.rollup_[lab] for lab in six.predict(texts)] == list(sums.idxmax(axis=1))
    labels6 = six.predict([sample_line("003", "16.严格监督执纪问责"), sample_line("003", "4.持续深化理论武装")])
    assert list(labels6) == ["纪律", "思想"]


def test_six_way_without_label6_falls_back_to_the_keyword_split(small_labels):
    """A labels folder with four-way labels only: the four-way model, each probability split among
    its children by keyword hits (so the six-way columns sum to the four-way ones)."""
    data = classify.load_labels(small_labels)
    texts = [sample_line(d, s) for d, s, _ in CLEAR]
    four = classify.ParagraphClassifier().fit(data, data["label"])
    six = classify.ParagraphClassifier(taxonomy="six").fit(data, data["label"])
    assert not six.direct_
    p4, p6 = four.predict_proba(texts), six.predict_proba(texts)
    np.testing.assert_allclose(p6["p_作风"] + p6["p_纪律"], p4["p_作风建设"], atol=1e-9)
    np.testing.assert_allclose(p6["p_政治"] + p6["p_思想"], p4["p_政治建设"], atol=1e-9)
    assert [six.rollup_[lab] for lab in six.predict(texts)] == list(four.predict(texts))


@pytest.mark.parametrize("model", ["char13_svm", "char_sgd", "char_nb", "char_svm_lr", "keyword"])
def test_every_candidate_fits_and_gives_probabilities(small_labels, model):
    data = classify.load_labels(small_labels)
    clf = classify.ParagraphClassifier(model=model).fit(data, data["label"])
    p = clf.predict_proba([sample_line(d, s) for d, s, _ in CLEAR])
    assert list(p.columns) == P_COLS
    np.testing.assert_allclose(p.sum(axis=1), 1.0, atol=1e-9)
