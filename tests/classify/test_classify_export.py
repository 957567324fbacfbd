"""pipeline.classify.export: the numeric export of other model shapes (trigrams, bigrams only,
two classes), models it cannot export, the export written on save and tied to its model, and
the safety net against an export that does not reproduce its model."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from classify_helpers import (
    EDGE,
    assert_same,
    fresh_caches,
    seed_paragraphs,
    shipped_models_dir,
)
from conftest import write_label_sample

from pipeline import classify
from pipeline.classify import candidates, export
from pipeline.classify.scorer import ClassifierScorer, LinearScorer
from pipeline.config import LABELS_DIR
from pipeline.errors import ModelError


@pytest.fixture(scope="session")
def all_texts() -> list[str]:
    return classify.load_labels(LABELS_DIR)["text"].tolist() + seed_paragraphs() + EDGE


@pytest.fixture(scope="session")
def models(tmp_path_factory) -> Path:
    """The shipped-labels models (four and six), trained once into a temporary models dir."""
    d = shipped_models_dir(tmp_path_factory)
    for tax in ("four", "six"):
        classify.get_classifier(tax, LABELS_DIR, d)
    return d


@pytest.fixture(scope="session")
def small_labels(tmp_path_factory) -> Path:
    return write_label_sample(tmp_path_factory.mktemp("fast_labels"), per_label=50, seed=1)


# --------------------------------------------------------------------------- other model shapes


def test_trigram_sublinear_model(tmp_path, small_labels, all_texts, monkeypatch):
    """1-3-grams (trigrams: sorted-key lookup) with sublinear tf, calibrated SVM."""
    monkeypatch.setitem(candidates.SPECS, "char13_svm", {"ngram": (1, 3), "sublinear": True, "words": False, "clf": "svm", "C": 1.0})
    res = classify.train(small_labels, models_dir=tmp_path / "m", model="char13_svm")
    scorer = LinearScorer.load(classify.export_path(res.path))
    assert scorer.meta["ngram_range"] == [1, 3] and scorer.meta["sublinear_tf"]
    assert scorer._tables[3][0] == "sorted"
    assert_same(res.classifier, scorer, all_texts[::3] + EDGE)


def test_unigram_bigram_only_models(tmp_path, small_labels, monkeypatch):
    """ngram_range (2, 2): no unigram features, characters still need ids."""
    monkeypatch.setitem(candidates.SPECS, "char22_svm", {"ngram": (2, 2), "sublinear": False, "words": False, "clf": "svm", "C": 1.0})
    res = classify.train(small_labels, models_dir=tmp_path / "m", model="char22_svm")
    scorer = LinearScorer.load(classify.export_path(res.path))
    assert sorted(scorer._tables) == [2]
    assert_same(res.classifier, scorer, seed_paragraphs() + EDGE)


def test_two_class_calibrated_model(tmp_path, small_labels, all_texts):
    """A label set with two classes: binary calibration (1 - p for the negative class) and a
    four-way taxonomy with classes missing from the model."""
    data = pd.read_csv(small_labels / "paragraphs.csv")
    labels = tmp_path / "labels"
    labels.mkdir()
    data[data["label"].isin(["政治建设", "其他"])].to_csv(labels / "paragraphs.csv", index=False)
    res = classify.train(labels, models_dir=tmp_path / "m")
    scorer = LinearScorer.load(classify.export_path(res.path))
    assert scorer.meta["classes"] == ["其他", "政治建设"]
    assert_same(res.classifier, scorer, all_texts[::4] + EDGE)


@pytest.mark.parametrize("model", ["keyword", "char_lr"])
def test_models_without_export_use_the_sklearn_path(tmp_path, small_labels, model):
    res = classify.train(small_labels, models_dir=tmp_path / "m", model=model)
    assert not classify.export_path(res.path).exists()
    with pytest.raises(ModelError, match="cannot be exported"):
        export.export_content(res.classifier)
    wrapped = ClassifierScorer(res.classifier)
    texts = ["严格落实中央八项规定精神，持续纠治四风", "今年高考成绩再创新高"]
    np.testing.assert_array_equal(wrapped.predict_proba(texts), res.classifier.predict_proba(texts).to_numpy())
    assert list(wrapped.predict(texts)) == list(res.classifier.predict(texts))


# --------------------------------------------------------------------------- the export of a saved model


def test_save_writes_an_export_tied_to_the_model(models):
    for tax in ("four", "six"):
        path = classify.model_path(models, tax)
        exp = classify.export_path(path)
        info = classify.read_sidecar(path)
        assert exp.is_file() and exp.stat().st_size < path.stat().st_size / 3
        meta = export._read_export_meta(exp)
        assert meta["fingerprint"] == info["fingerprint"] and meta["model_sha256"] == info["model_sha256"]
        assert meta["skops_size"] == path.stat().st_size and meta["taxonomy"] == tax
        assert classify.export_matches(path, info)
        assert classify.current_fingerprint(tax, LABELS_DIR, models) == info["fingerprint"]
        with np.load(exp, allow_pickle=False) as npz:  # plain arrays, no pickled objects
            assert {"terms", "idf", "coef", "intercept", "cal_a", "cal_b", "target", "fold", "meta"} <= set(npz.files)


def test_an_export_that_does_not_reproduce_its_model_is_not_written(tmp_path, small_labels, monkeypatch):
    """Safety net: save_model scores the export against the model before writing it."""
    real = export.export_content

    def off_by_a_bit(clf):
        arrays, meta = real(clf)
        arrays["intercept"] = arrays["intercept"] + 1e-3
        return arrays, meta

    monkeypatch.setattr(export, "export_content", off_by_a_bit)
    with pytest.warns(RuntimeWarning, match="does not reproduce"):
        res = classify.train(small_labels, models_dir=tmp_path / "m")
    assert res.path.is_file() and not classify.export_path(res.path).exists()
    fresh_caches()
    with pytest.warns(RuntimeWarning, match="sklearn model instead"):
        scorer = classify.get_scorer("four", small_labels, tmp_path / "m")
    assert isinstance(scorer, ClassifierScorer)
    texts = seed_paragraphs()[:20]
    np.testing.assert_array_equal(scorer.predict_proba(texts), res.classifier.predict_proba(texts).to_numpy())
