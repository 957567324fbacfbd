"""pipeline.classify.training / measure / calibrate: every measured model has one calibration file
(out-of-fold posteriors by grouped CV and by leaving one source group out, and its quality: LOSO
and grouped CV with intervals, per-class F1, label counts by org_kind, the six-way
``experimental`` flag); ``dangjian train`` writes it, a model trained on first use gets it on
first use, and the run's share correction reads it."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from classify_helpers import write_grouped_sample
from conftest import write_label_sample

from pipeline import classify
from pipeline.classify import measure


@pytest.fixture(scope="module")
def trained(tmp_path_factory) -> tuple[Path, Path]:
    labels = write_grouped_sample(tmp_path_factory.mktemp("labels"), per_label6=15, seed=2)
    models = tmp_path_factory.mktemp("models")
    for tax in ("four", "six"):
        classify.train(labels, taxonomy=tax, models_dir=models)
    return labels, models


@pytest.fixture(scope="module")
def small_labels(tmp_path_factory) -> Path:
    """Four-way labels only (no label6, no org_kind)."""
    return write_label_sample(tmp_path_factory.mktemp("labels4"), per_label=30, seed=1)


@pytest.mark.parametrize("taxonomy", ["four", "six"])
def test_trained_model_has_its_measured_quality(trained, taxonomy):
    labels, models = trained
    q = classify.quality(models, taxonomy)
    assert q["headline"] == "loso" and q["fingerprint"] == classify.read_sidecar(classify.model_path(models, taxonomy))["fingerprint"]
    assert q["macro_f1"] == q["loso"]["macro_f1"] and q["macro_f1_low"] <= q["macro_f1"] <= q["macro_f1_high"]
    assert [q["macro_f1_low"], q["macro_f1_high"]] == q["loso"]["macro_f1_ci"]
    assert q["cv_macro_f1"] == q["cv"]["macro_f1"] and q["cv_macro_f1_low"] <= q["cv_macro_f1"] <= q["cv_macro_f1_high"]
    assert set(q["loso"]["folds"]) == set(classify.load_labels(labels)["group"]) == set(q["by_source_group"])
    assert len(q["cv"]["folds"]) == 5 and "leave one source group out" in q["evaluation"]
    assert q["sites"]["protocol"] == "sites" and q["sites_macro_f1"] == q["sites"]["macro_f1"]
    assert q["sites_macro_f1_low"] <= q["sites_macro_f1"] <= q["sites_macro_f1_high"]
    n = sum(sum(v.values()) for v in q["label_counts"].values())
    assert n == q["n_train"] == q["n_labels"]
    assert isinstance(q["experimental"], bool)
    json.dumps(q)  # plain JSON


def test_six_way_is_experimental_unless_close_to_four_way(trained):
    _, models = trained
    four, six = classify.quality(models, "four"), classify.quality(models, "six")
    assert four["experimental"] is False and six["six_way"] == "direct"
    assert six["reference_macro_f1"] == four["macro_f1"]
    assert six["experimental"] == (six["macro_f1"] < four["macro_f1"] - classify.EXPERIMENTAL_MARGIN)
    assert set(six["per_class_f1"]) <= {"政治", "思想", "组织", "作风", "纪律", "制度", "其他"}
    assert six["rolled_up"]["loso"]["macro_f1"] > 0
    assert "six-way" in six["note"] and ("experimental" in six["note"]) == six["experimental"]


@pytest.mark.parametrize("taxonomy", ["four", "six"])
def test_calibration_is_out_of_fold_posteriors_of_every_row(trained, taxonomy):
    labels, models = trained
    cal = classify.get_calibration(taxonomy, labels, models)  # the stored file (fingerprint matches)
    assert cal["format"] == measure.FORMAT and cal["fingerprint"] == classify.quality(models, taxonomy)["fingerprint"]
    data = classify.load_labels(labels)
    post, loso = np.asarray(cal["posteriors"]), np.asarray(cal["posteriors_loso"])
    n, k = post.shape
    assert n == len(data) == len(cal["true"]) == len(cal["groups"]) == len(cal["weights"]) and k == len(cal["labels"])
    np.testing.assert_allclose(post.sum(axis=1), 1.0, atol=1e-5)
    np.testing.assert_allclose(loso.sum(axis=1), 1.0, atol=1e-5)
    assert cal["groups"] == list(data["doc"]) and cal["source_group"] == list(data["group"])
    assert cal["weights"] == list(data["text"].str.len())
    # posteriors are out of fold: a model fitted on all rows is more sure of its training labels
    clf = classify.get_classifier(taxonomy, labels, models)
    true = np.asarray([cal["labels"].index(t) for t in cal["true"]])
    p_in = clf.predict_proba(data).to_numpy()[np.arange(n), true]
    assert p_in.mean() > post[np.arange(n), true].mean() > loso[np.arange(n), true].mean() - 0.1


def test_unmeasured_model_is_measured_on_first_use(tmp_path, trained):
    labels, _ = trained
    assert classify.quality(tmp_path, "four") == {}
    classify.train(labels, models_dir=tmp_path, quality=False)
    assert classify.quality(tmp_path, "four") == {} and not classify.calibration_path(tmp_path, "four").exists()
    cal = classify.get_calibration("four", labels, tmp_path)
    assert classify.calibration_path(tmp_path, "four").is_file()
    assert classify.quality(tmp_path, "four")["macro_f1"] == cal["quality"]["macro_f1"]
    # retraining removes the old model's calibration: it never outlives its model
    classify.train(labels, models_dir=tmp_path, quality=False)
    assert not classify.calibration_path(tmp_path, "four").exists()


def test_six_way_keyword_split_has_no_calibration(tmp_path, small_labels):
    with pytest.warns(RuntimeWarning, match="six-way"):
        classify.train(small_labels, taxonomy="six", models_dir=tmp_path)
    assert classify.get_calibration("six", small_labels, tmp_path) is None
    assert classify.quality(tmp_path, "six") == {}


def test_run_share_correction_reads_the_calibration(trained):
    """What the run does with get_calibration (pipeline.run.aggregate.share_tables): corrected
    shares (the run's default method, not classify-and-count) with intervals from the stored
    out-of-fold posteriors, and the kinds of source for the between-source interval term."""
    from pipeline.run.aggregate import share_tables, stored_calibration

    labels, models = trained
    cal = classify.get_calibration("four", labels, models)
    data = classify.load_labels(labels)
    p = classify.get_classifier("four", labels, models).predict_proba(data)
    paras = pd.concat([data[["text"]].reset_index(drop=True), p.reset_index(drop=True)], axis=1)
    paras["doc_id"] = [f"d{i % 12}" for i in range(len(paras))]
    paras["label"] = p.to_numpy().argmax(axis=1)
    paras["label"] = paras["label"].map(dict(enumerate(cal["labels"])))
    paras["n_chars"] = paras["text"].str.len()
    paras["kind"] = "body"
    docs = pd.DataFrame({"doc_id": [f"d{i}" for i in range(12)], "year": [2020 + i % 2 for i in range(12)]})
    out = share_tables(paras, docs, cal["labels"], cal)["category_shares"]
    from pipeline import quantify

    assert set(out["method"]) == {quantify.DEFAULT_METHOD.value} != {"cc"} and out["share_low"].notna().all()
    assert stored_calibration(cal, cal["labels"]).sources.tolist() == list(data["org_kind"])
    assert (out["share_low"] <= out["share"] + 1e-9).all() and (out["share"] <= out["share_high"] + 1e-9).all()


def test_a_stored_calibration_is_read_without_sklearn_or_pandas(trained):
    """The run asks for the calibration after the documents are scored: reading a current one
    must not import sklearn or pandas (seconds on a busy machine)."""
    import subprocess
    import sys

    labels, models = trained
    code = (
        "import sys, json\n"
        "from pipeline.classify import get_calibration, quality\n"
        f"c = get_calibration('four', {str(labels)!r}, {str(models)!r})\n"
        f"q = quality({str(models)!r}, 'four')\n"
        "heavy = [m for m in ('sklearn', 'pandas', 'scipy', 'skops') if m in sys.modules]\n"
        "print(json.dumps({'n': len(c['true']), 'f1': q['macro_f1'], 'heavy': heavy}))\n"
    )
    root = Path(__file__).resolve().parents[2]
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=root, check=True)
    got = json.loads(out.stdout.strip().splitlines()[-1])
    assert got["heavy"] == [] and got["n"] == len(classify.load_labels(labels))
    assert got["f1"] == classify.quality(models, "four")["macro_f1"]
