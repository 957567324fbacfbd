"""pipeline.classify.training / measure / calibration: every trained model carries its measured
quality (LOSO and grouped CV with intervals, per-class F1, label counts by org_kind, the six-way
``experimental`` flag) and its out-of-fold calibration arrays, and the readers return them."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from classify_helpers import write_grouped_sample

from pipeline import classify
from pipeline.classify.calibration import CALIBRATION_KEYS, calibration_path


@pytest.fixture(scope="module")
def trained(tmp_path_factory) -> tuple[Path, Path]:
    labels = write_grouped_sample(tmp_path_factory.mktemp("labels"), per_label6=15, seed=2)
    models = tmp_path_factory.mktemp("models")
    for tax in ("four", "six"):
        classify.train(labels, taxonomy=tax, models_dir=models)
    return labels, models


@pytest.mark.parametrize("taxonomy", ["four", "six"])
def test_sidecar_holds_the_measured_quality(trained, taxonomy):
    labels, models = trained
    q = classify.quality(models, taxonomy)
    assert q["headline"] == "loso" and q["fingerprint"] == classify.read_sidecar(classify.model_path(models, taxonomy))["fingerprint"]
    assert q["macro_f1"] == q["loso"]["macro_f1"] and q["macro_f1_ci"][0] <= q["macro_f1"] <= q["macro_f1_ci"][1]
    assert set(q["loso"]["folds"]) == set(classify.load_labels(labels)["group"])
    assert q["cv"]["macro_f1_ci"][0] <= q["cv"]["macro_f1"] <= q["cv"]["macro_f1_ci"][1] and len(q["cv"]["folds"]) == 5
    n = sum(sum(v.values()) for v in q["label_counts"].values())
    assert n == q["n_train"]
    assert isinstance(q["experimental"], bool)
    json.dumps(q)  # plain JSON


def test_six_way_is_experimental_unless_close_to_four_way(trained):
    _, models = trained
    four, six = classify.quality(models, "four"), classify.quality(models, "six")
    assert four["experimental"] is False and six["six_way"] == "direct"
    assert six["reference_macro_f1"] == four["loso"]["macro_f1"]
    assert six["experimental"] == (six["macro_f1"] < four["loso"]["macro_f1"] - classify.EXPERIMENTAL_MARGIN)
    assert set(six["per_class_f1"]) <= {"政治", "思想", "组织", "作风", "纪律", "制度", "其他"}
    assert six["rolled_up"]["loso"]["macro_f1"] > 0


@pytest.mark.parametrize("taxonomy", ["four", "six"])
def test_calibration_arrays_are_out_of_fold_posteriors_of_every_row(trained, taxonomy):
    labels, models = trained
    cal = classify.read_calibration(models, taxonomy)
    assert set(CALIBRATION_KEYS) <= set(cal)
    data = classify.load_labels(labels)
    n, k = cal["posteriors"].shape
    assert n == len(data) and k == len(cal["label_order"]) and cal["labels"].shape == (n,)
    np.testing.assert_allclose(cal["posteriors"].sum(axis=1), 1.0, atol=1e-9)
    np.testing.assert_allclose(cal["posteriors_loso"].sum(axis=1), 1.0, atol=1e-9)
    assert cal["labels"].min() >= 0 and cal["labels"].max() < k
    assert list(cal["docs"][cal["groups"]]) == list(data["doc"])  # groups index the documents
    assert sorted(set(cal["source_group"])) == sorted(set(data["group"]))
    assert cal["meta"]["fingerprint"] == classify.quality(models, taxonomy)["fingerprint"]
    # posteriors are out of fold: a model fitted on all rows is more sure of its training labels
    clf = classify.get_classifier(taxonomy, labels, models)
    p_in = clf.predict_proba(data).to_numpy()[np.arange(n), cal["labels"]]
    assert p_in.mean() > cal["posteriors"][np.arange(n), cal["labels"]].mean()


def test_readers_without_measurements(tmp_path, trained):
    assert classify.quality(tmp_path, "four") == {} and classify.read_calibration(tmp_path, "four") is None
    labels, _ = trained
    classify.train(labels, models_dir=tmp_path, quality=False)
    assert classify.quality(tmp_path, "four") == {} and not calibration_path(classify.model_path(tmp_path, "four")).exists()
