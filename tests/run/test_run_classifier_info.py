"""classifier.json, the run summary's classifier line and the corrected share tables of a run
(pipeline/run/aggregate.py: share_tables, stored_calibration, classifier_info, quality_line)."""

from __future__ import annotations

import json
from dataclasses import replace

import numpy as np
import pandas as pd
import pytest

from pipeline import run as engine
from pipeline import schema
from pipeline.config import Settings
from pipeline.run.aggregate import classifier_info, quality_line, share_tables, stored_calibration

FOUR = ["政治建设", "组织建设", "作风建设", "其他"]


@pytest.fixture(scope="module")
def sample_run(tmp_path_factory, sample_dir):
    out = tmp_path_factory.mktemp("info")
    summary = engine.run(sample_dir, out, workers=1, report=True, progress=False)
    return out, summary


def test_classifier_json_states_quality_uncertain_share_and_correction(sample_run):
    out, summary = sample_run
    info = json.loads((out / "classifier.json").read_text(encoding="utf-8"))
    assert info["model"] == "char_svm" and info["taxonomy"] == "four" and info["experimental"] is False
    for key in ("macro_f1", "cv_macro_f1"):
        assert 0.5 < info[f"{key}_low"] <= info[key] <= info[f"{key}_high"] < 1.0, key
    assert list(info["per_class_f1"]) == FOUR and all(0.5 < v < 1 for v in info["per_class_f1"].values())
    paras = pd.read_csv(out / "paragraphs.csv", encoding="utf-8-sig")
    flagged = paras["uncertain"].astype(str).str.lower().eq("true")
    assert info["uncertain_share"] == pytest.approx(flagged.mean(), abs=1e-4) and info["uncertain_share"] > 0
    shares = pd.read_csv(out / "category_shares.csv", encoding="utf-8-sig")
    assert info["share_method_id"] == shares["method"].iat[0] == "blend"
    assert "half-corrected" in info["share_method"] and "95% intervals" in info["share_method"]
    # the run summary and the report say the same
    line = summary.text()
    assert f"macro-F1 {info['macro_f1']:.3f} [95% {info['macro_f1_low']:.3f}–{info['macro_f1_high']:.3f}]" in line
    assert "F1 政治建设 " in line and f"{info['uncertain_share'] * 100:.1f}% of paragraphs uncertain" in line and "half-corrected" in line
    html = (out / "report.html").read_text(encoding="utf-8")
    assert f"{info['macro_f1']:.3f}" in html or f"{info['macro_f1']:.2f}" in html
    assert f"{info['uncertain_share'] * 100:.1f}%" in html and "half-corrected" in html


def test_category_shares_columns_and_body_paragraphs_only(sample_run):
    out, _ = sample_run
    shares = pd.read_csv(out / "category_shares.csv", encoding="utf-8-sig")
    assert list(shares.columns) == list(schema.CATEGORY_SHARES.columns)
    assert set(shares["small_group"].astype(str)) <= {"True", "False"}
    assert (shares["small_group"].astype(str).eq("True") == (shares["n_docs"] < 5)).all()
    assert (shares["share_low"] <= shares["share"] + 1e-9).all() and (shares["share"] <= shares["share_high"] + 1e-9).all()
    np.testing.assert_allclose(shares.groupby("year")["share"].sum(), 1.0)
    np.testing.assert_allclose(shares.groupby("year")["share_raw"].sum(), 1.0)
    paras = pd.read_csv(out / "paragraphs.csv", encoding="utf-8-sig")
    docs = pd.read_csv(out / "documents.csv", encoding="utf-8-sig")
    body = paras[paras["kind"].isin(["body", "item"]) & paras["doc_id"].isin(docs.loc[docs["year"].notna(), "doc_id"])]
    assert (paras["kind"] == "heading").any()  # there is something to leave out
    assert shares.groupby("year")["n_paragraphs"].first().sum() == len(body)


def _frames(out):
    paras = pd.read_csv(out / "paragraphs.csv", encoding="utf-8-sig")
    docs = pd.read_csv(out / "documents.csv", encoding="utf-8-sig")
    frame = paras[["doc_id", "label", "n_chars", "kind", *[f"p_{lab}" for lab in FOUR]]].assign(doc_id=lambda d: d["doc_id"].astype(str))
    return frame, docs.assign(doc_id=docs["doc_id"].astype(str))


def test_all_paragraphs_option_puts_headings_back(sample_run):
    out, _ = sample_run
    paras, docs = _frames(out)
    from pipeline.classify import get_calibration

    s = Settings()
    cal = get_calibration(s.taxonomy, s.labels_dir, s.models_dir, s.lexicon_dir)
    body = share_tables(paras, docs, FOUR, cal)["category_shares"]
    every = share_tables(paras, docs, FOUR, cal, all_paragraphs=True)["category_shares"]
    assert every["n_paragraphs"].sum() > body["n_paragraphs"].sum()
    raw = share_tables(paras, docs, FOUR, None)["category_shares"]  # no calibration: classify and count
    assert list(raw.columns) == list(schema.CATEGORY_SHARES.columns) and (raw["method"] == "cc").all()
    np.testing.assert_allclose(raw["share"], body["share_raw"])
    assert raw["share_low"].isna().all() and (raw["n_docs"] == body["n_docs"]).all()


def test_stored_calibration_reads_both_stored_forms():
    rng = np.random.default_rng(0)
    n = 60
    post = rng.dirichlet(np.ones(4), size=n)
    true = np.asarray(FOUR, dtype=object)[rng.integers(0, 4, n)]
    docs = np.asarray([f"d{i // 3}" for i in range(n)], dtype=object)
    kinds = np.asarray(["school", "enterprise"] * (n // 2), dtype=object)
    lists = {
        "labels": FOUR,
        "true": true.tolist(),
        "posteriors": post.tolist(),
        "groups": docs.tolist(),
        "weights": [10.0] * n,
        "sources": kinds.tolist(),
    }
    names, codes = np.unique(docs, return_inverse=True)
    arrays = {
        "labels": np.asarray([FOUR.index(t) for t in true]),
        "label_order": np.asarray(FOUR),
        "posteriors": post,
        "groups": codes,
        "docs": names,
        "source_group": kinds.astype(str),
    }
    a, b = stored_calibration(lists, FOUR), stored_calibration(arrays, FOUR)
    for cal in (a, b):
        assert cal.true.tolist() == [FOUR.index(t) for t in true] and cal.groups.tolist() == docs.tolist()
        assert cal.sources.tolist() == kinds.tolist()
        np.testing.assert_allclose(cal.posteriors, post)
    assert stored_calibration(lists, ["政治", "其他"]) is None and stored_calibration(None, FOUR) is None
    legacy = {k: v for k, v in lists.items() if k != "sources"}
    assert set(stored_calibration(legacy, FOUR).sources) == {""}


def test_classifier_info_reads_either_quality_block():
    s = replace(Settings(), uncertain_below=0.5)
    paras = pd.DataFrame({"uncertain": [True, False, False, False]})
    shares = pd.DataFrame({"method": ["blend"]})
    shares.attrs["method_note"] = "shares half-corrected: ..."
    cv_block = {
        "evaluation": "5-fold cross-validation grouped by document",
        "macro_f1": 0.86,
        "macro_f1_low": 0.85,
        "macro_f1_high": 0.88,
        "per_class_f1": dict(zip(FOUR, [0.8, 0.8, 0.9, 0.9])),
        "n_labels": 2853,
    }
    info = classifier_info(s, {"quality": cv_block}, paras, shares, "char_svm")
    assert (info["cv_macro_f1"], info["cv_macro_f1_low"], info["cv_macro_f1_high"]) == (0.86, 0.85, 0.88)
    assert info["uncertain_share"] == 0.25 and info["model"] == "char_svm" and "loso_macro_f1" not in info
    loso_block = {
        "headline": "loso",
        "macro_f1": 0.785,
        "macro_f1_ci": [0.758, 0.803],
        "per_class_f1": dict(zip(FOUR, [0.8, 0.7, 0.8, 0.85])),
        "loso": {"macro_f1": 0.785, "macro_f1_ci": [0.758, 0.803]},
        "cv": {"macro_f1": 0.863, "macro_f1_ci": [0.848, 0.875]},
        "sites": {"macro_f1": 0.857, "macro_f1_ci": [0.84, 0.87]},
    }
    info = classifier_info(s, {"quality": loso_block}, paras, shares, "char_svm")
    assert (info["sites_macro_f1"], info["sites_macro_f1_low"], info["sites_macro_f1_high"]) == (0.857, 0.84, 0.87)
    assert "new organisations of known kinds 0.857" in quality_line(info)
    assert (info["macro_f1"], info["macro_f1_low"], info["macro_f1_high"]) == (0.785, 0.758, 0.803)
    assert (info["cv_macro_f1"], info["cv_macro_f1_low"], info["cv_macro_f1_high"]) == (0.863, 0.848, 0.875)
    assert info["evaluation"].startswith("leave one source group out") and info["loso_macro_f1"] == 0.785
    line = quality_line(info)
    assert "macro-F1 0.785 [95% 0.758–0.803]" in line and "cross-validation 0.863" in line and "25.0% of paragraphs uncertain" in line
    bare = classifier_info(s, None, pd.DataFrame({"label": []}), None)
    assert bare["measured"] is False and bare["uncertain_share"] is None and "classify and count" in bare["share_method"]
    assert "quality not measured" in quality_line(bare)


def test_six_way_quality_block_reaches_classifier_json_and_the_summary_line():
    """The six-way model's measured note and experimental flag (classify/measure.py) are what
    classifier.json and the summary line say, not a fixed text about keyword splitting."""
    s = replace(Settings(), taxonomy="six")
    six = {
        "headline": "loso",
        "macro_f1": 0.727,
        "macro_f1_ci": [0.691, 0.748],
        "experimental": True,
        "note": "six-way: a model trained on the six-way labels, macro-F1 0.727 against the four-way model's 0.807; experimental",
    }
    info = classifier_info(s, {"quality": six}, pd.DataFrame({"uncertain": [False]}), None, "char_svm")
    assert info["experimental"] is True and info["note"] == six["note"] and "split by keywords" not in info["note"]
    assert "(six, EXPERIMENTAL)" in quality_line(info)
    near = dict(six, macro_f1=0.80, experimental=False, note="six-way: within 0.05")
    info = classifier_info(s, {"quality": near}, pd.DataFrame({"uncertain": [False]}), None, "char_svm")
    assert info["experimental"] is False and "EXPERIMENTAL" not in quality_line(info)
    unmeasured = classifier_info(s, None, pd.DataFrame({"uncertain": [False]}), None)
    assert unmeasured["experimental"] is True and "experimental" in unmeasured["note"]
