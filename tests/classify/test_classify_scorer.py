"""pipeline.classify.scorer: the numpy LinearScorer against the sklearn model - the same
probabilities, labels and uncertain flags on real paragraphs and awkward text, in any batch."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from classify_helpers import (
    ATOL,
    EDGE,
    assert_same,
    seed_paragraphs,
    shipped_models_dir,
)

from pipeline import classify
from pipeline.classify import analyzer
from pipeline.classify import scorer as scorer_mod
from pipeline.config import LABELS_DIR
from pipeline.errors import InputError


@pytest.fixture(scope="session")
def labelled_texts() -> list[str]:
    return classify.load_labels(LABELS_DIR)["text"].tolist()


@pytest.fixture(scope="session")
def all_texts(labelled_texts) -> list[str]:
    return labelled_texts + seed_paragraphs() + EDGE


@pytest.fixture(scope="session")
def models(tmp_path_factory) -> Path:
    """The shipped-labels models (four and six), trained once into a temporary models dir."""
    d = shipped_models_dir(tmp_path_factory)
    for tax in ("four", "six"):
        classify.get_classifier(tax, LABELS_DIR, d)
    return d


@pytest.mark.parametrize("taxonomy", ["four", "six"])
def test_fast_scorer_equals_sklearn_on_real_and_awkward_text(models, all_texts, taxonomy):
    clf = classify.get_classifier(taxonomy, LABELS_DIR, models)
    scorer = classify.get_scorer(taxonomy, LABELS_DIR, models)
    assert isinstance(scorer, scorer_mod.LinearScorer)
    assert scorer.fingerprint == clf.fingerprint_
    assert list(scorer.classes_) == list(clf.classes_) and scorer.labels_ == clf.labels_
    got = assert_same(clf, scorer, all_texts)
    np.testing.assert_allclose(got.sum(axis=1), 1.0, atol=1e-9)
    # not a vacuous agreement: the texts get every four-way label
    assert {scorer.rollup_[lab] for lab in scorer.labels_for(got)} == {"政治建设", "组织建设", "作风建设", "其他"}


def test_each_edge_text_alone_and_in_a_batch(models):
    """Every awkward text alone, at both ends of a batch and between real paragraphs."""
    clf = classify.get_classifier("four", LABELS_DIR, models)
    scorer = classify.get_scorer("four", LABELS_DIR, models)
    real = seed_paragraphs()[:6]
    for text in EDGE:
        assert_same(clf, scorer, [text])
        assert_same(clf, scorer, [text, *real, text, text])


def test_batching_and_chunking_do_not_change_scores(models, labelled_texts, monkeypatch):
    scorer = classify.get_scorer("four", LABELS_DIR, models)
    texts = labelled_texts[:300] + EDGE
    whole = scorer.predict_proba(texts)
    one_by_one = np.vstack([scorer.predict_proba([t]) for t in texts])
    np.testing.assert_allclose(one_by_one, whole, rtol=0, atol=1e-12)
    monkeypatch.setattr(scorer_mod, "CHUNK_CHARS", 37)  # many tiny groups, long texts alone
    np.testing.assert_allclose(scorer.predict_proba(texts), whole, rtol=0, atol=1e-12)
    rev = scorer.predict_proba(texts[::-1])[::-1]
    np.testing.assert_allclose(rev, whole, rtol=0, atol=1e-12)


def test_input_forms(models):
    scorer = classify.get_scorer("four", LABELS_DIR, models)
    clf = classify.get_classifier("four", LABELS_DIR, models)
    texts = ["加强党风廉政建设", "", "从严教育管理党员"]
    a = scorer.predict_proba(texts)
    np.testing.assert_array_equal(scorer.predict_proba(tuple(texts)), a)
    np.testing.assert_array_equal(scorer.predict_proba(pd.Series(texts, index=[5, 7, 9])), a)
    np.testing.assert_array_equal(scorer.predict_proba(pd.DataFrame({"text": texts, "heading": ["x", "", "y"]})), a)
    np.testing.assert_array_equal(scorer.predict_proba(np.asarray(texts, dtype=object)), a)
    np.testing.assert_array_equal(scorer.predict_proba(texts, ["一、突出政治建设"] * 3), a)  # headings unused
    missing = ["加强党风廉政建设", None, float("nan"), pd.NA, "从严教育管理党员"]
    np.testing.assert_allclose(scorer.predict_proba(missing), clf.predict_proba(pd.DataFrame({"text": missing})).to_numpy(), rtol=0, atol=ATOL)
    assert scorer.predict_proba([]).shape == (0, 4)
    assert scorer.labels_for(np.zeros((0, 4))).shape == (0,)
    assert scorer.uncertain(np.zeros((0, 4))).shape == (0,)
    with pytest.raises(InputError):
        scorer.predict_proba("one string")
    with pytest.raises(InputError, match="text"):
        scorer.predict_proba(pd.DataFrame({"body": ["x"]}))
    assert list(scorer.predict(texts)) == list(clf.predict(texts))


def test_lone_surrogates_do_not_crash(models):
    """sklearn's path cannot even take them (pandas refuses); the fast path scores them as
    the unknown characters they are."""
    scorer = classify.get_scorer("four", LABELS_DIR, models)
    p = scorer.predict_proba(["\ud83d加强党的建设", "\udc00", "加强党的建设"])
    np.testing.assert_allclose(p[0], p[2], atol=1e-12)


def test_scorer_character_ids_follow_the_analyzer(models, labelled_texts):
    """The scorer's one-pass analyzer (normalise + alphabet lookup) against normalise."""
    scorer = classify.get_scorer("four", LABELS_DIR, models)
    texts = EDGE + seed_paragraphs() + labelled_texts[:200] + ["1 2", "1  2", "12\t\t34", "0１2", "\t1", "\u3000 \xa0x"]
    cp, lens = analyzer.code_points(texts)
    ids, got_lens = scorer._char_ids(cp, lens)
    want_cp, want_lens = analyzer.normalise(cp, lens)
    np.testing.assert_array_equal(got_lens, want_lens)
    np.testing.assert_array_equal(ids, scorer._amap[np.minimum(want_cp, len(scorer._amap) - 1)])
