"""pipeline.classify.evaluate: out-of-fold posteriors (doc-grouped CV, leave one source group out),
their summaries with bootstrap intervals, paired differences, and six-way roll-up."""

from __future__ import annotations

import numpy as np
import pytest
from classify_helpers import write_grouped_sample

from pipeline import classify
from pipeline.classify import evaluate as E


@pytest.fixture(scope="module")
def data(tmp_path_factory):
    labels = write_grouped_sample(tmp_path_factory.mktemp("grouped"), per_label6=12, seed=0)
    return classify.load_labels(labels)


@pytest.fixture(scope="module")
def loso(data):
    return E.oof_loso(data)


def test_loso_scores_each_group_with_a_model_that_never_saw_it(data, loso, monkeypatch):
    assert loso.fold_names == sorted(data["group"].unique())
    for f, name in enumerate(loso.fold_names):
        assert set(data.loc[loso.fold == f, "group"]) == {name}
    np.testing.assert_allclose(loso.proba.sum(axis=1), 1.0, atol=1e-9)
    seen = []
    real_fit = classify.ParagraphClassifier.fit

    def spy(self, X, y):
        seen.append(set(X["group"]))
        return real_fit(self, X, y)

    monkeypatch.setattr(classify.ParagraphClassifier, "fit", spy)
    E.oof_loso(data)
    assert [s for s in seen] == [set(loso.fold_names) - {g} for g in loso.fold_names]


def test_cv_folds_are_grouped_by_document(data):
    cv = E.oof_cv(data)
    for doc, folds in data.assign(fold=cv.fold).groupby("doc")["fold"]:
        assert folds.nunique() == 1, doc
    assert (cv.fold >= 0).all() and len(cv.fold_names) == 5


def test_site_folds_keep_every_site_together(data):
    # three documents of one site (a host with and without www., a mobile mirror) and a corpus
    # collection written two ways: one site each
    docs = ["https://www.ex.gov.cn/a.html", "http://ex.gov.cn/b", "https://m.ex.gov.cn/c?id=1"]
    data = data.copy()
    data.loc[data.index[:3], "doc"] = docs
    data.loc[data.index[3:6], "doc"] = ["corpus/sx1z/2019.md", "sx1z/2020.md", "corpus/sx1z/x/2021.md"]
    sites = E.site_groups(data)
    assert set(sites[:3]) == {"ex.gov.cn"} and set(sites[3:6]) == {"sx1z"}
    oof = E.oof_sites(data)
    assert oof.protocol == "sites" and (oof.fold >= 0).all()
    for site, folds in data.assign(fold=oof.fold, site=sites).groupby("site")["fold"]:
        assert folds.nunique() == 1, site
    assert E.summarise(oof, n_boot=50)["protocol"] == "sites"


def test_site_of_names_hosts_and_collections():
    from pipeline.classify.sources import site_of

    assert site_of("HTTPS://WWW.Example.com/x") == "example.com"
    assert site_of("http://www.com/x") == "www.com"  # a prefix is kept when it is all there is
    assert site_of("http://big5.www.gov.cn/p") == "gov.cn"
    assert site_of("http://111.205.184.227:8081/a") == "111.205.184.227:8081"
    assert site_of("seeds/000_abc.txt") == "seeds" and site_of("gov-work-reports/1954.md") == "gov-work-reports"
    assert site_of("row:7") == "row:7" and site_of("") == "" and site_of(None) == ""


def test_summary_has_interval_around_the_mean(loso):
    s = E.summarise(loso)
    assert s["protocol"] == "loso" and set(s["folds"]) == set(loso.fold_names)
    assert s["macro_f1_ci"][0] <= s["macro_f1"] <= s["macro_f1_ci"][1]
    assert s["macro_f1"] == pytest.approx(np.mean([v["macro_f1"] for v in s["folds"].values()]), abs=1e-3)
    assert set(s["per_class_f1"]) == set(loso.labels)
    assert sum(v["n"] for v in s["folds"].values()) == s["n"]


def test_bootstrap_macro_f1_matches_sklearn_without_resampling():
    from sklearn.metrics import f1_score

    rng = np.random.default_rng(0)
    labels = ["a", "b", "c"]
    gold = rng.choice(labels, 200)
    pred = np.where(rng.random(200) < 0.7, gold, rng.choice(labels, 200))
    got = E._macro_f1_counts(E._codes(gold, labels), E._codes(pred, labels), 3, np.ones((1, 200)))[0]
    assert got == pytest.approx(f1_score(gold, pred, average="macro"))


def test_paired_difference_of_a_model_with_itself_is_zero(loso):
    d = E.paired_difference(loso, loso)
    assert d["diff"] == 0 and d["ci"] == [0.0, 0.0]


def test_six_way_oof_rolls_up(data):
    from pipeline.classify.training import training_targets

    rows, y6, mode = training_targets(data, "six")
    assert mode == "direct"
    oof = E.oof_cv(rows, y6, taxonomy="six", folds=3)
    assert oof.labels == ["政治", "思想", "组织", "作风", "纪律", "制度", "其他"]
    up = oof.rolled_up()
    assert up.labels == ["政治建设", "组织建设", "作风建设", "其他"]
    np.testing.assert_allclose(up.proba[:, 0], oof.proba[:, 0] + oof.proba[:, 1])
    assert set(up.gold) <= set(up.labels)
    assert [oof.rollup[lab] for lab in oof.predicted()] == list(up.predicted())


def test_cross_validate_keeps_its_old_shape(data):
    r = classify.cross_validate(data, "char_svm", folds=3)
    assert set(r) >= {"model", "macro_f1", "std", "accuracy", "folds", "pred"} and len(r["pred"]) == len(data)


def test_no_labelled_row_comes_from_a_heldout_document():
    from conftest import heldout_files

    from pipeline.config import LABELS_DIR

    held = {"corpus/" + f for f in heldout_files()}
    docs = set(classify.load_labels(LABELS_DIR)["doc"])
    assert not docs & held


def test_no_labelled_row_comes_from_a_heldout_web_page():
    """HELDOUT.md's web pages are an evaluation set: no labelled paragraph may come from one."""
    import re

    from conftest import CORPUS

    from pipeline.config import LABELS_DIR

    path = CORPUS / "HELDOUT.md"
    if not path.exists():
        pytest.skip("needs ../shared/corpus/HELDOUT.md")
    pages = {u.rstrip("/") for u in re.findall(r"https?://\S+", path.read_text(encoding="utf-8"))}
    assert len(pages) > 50  # the list was read
    docs = {str(d).rstrip("/") for d in classify.load_labels(LABELS_DIR)["doc"]}
    assert not docs & pages
