"""pipeline/quantify.py: corrected category shares, their intervals, the calibration set.

The estimators are checked against QuaPy (HLT-ISTI, the maintained reference implementation;
a test-only dependency) on the same precomputed posteriors, the constrained solve against its
optimality conditions, and the API's edge cases (empty groups, classes never predicted, a
calibration class without rows, six-way labels)."""

from __future__ import annotations

import json
import subprocess
import sys
import time
import warnings

import numpy as np
import pandas as pd
import pytest

from pipeline.errors import InputError
from pipeline.quantify import DEFAULT_METHOD, SHARE_COLUMNS, Calibration, Method, estimate_shares, method_note

FOUR = ("政治建设", "组织建设", "作风建设", "其他")
Z95 = 1.959963984540054
SIX = ("政治", "思想", "组织", "作风", "纪律", "制度", "其他")


def posteriors(rng, y, k, *, sep=2.0, temperature=1.0, pull=0.8):
    """Noisy class scores -> softmax posteriors; every class leans towards class 1 (组织建设)."""
    mu = sep * np.eye(k)
    mu[:, 1] += pull
    mu[1, 1] -= pull
    z = mu[y] + rng.normal(size=(len(y), k))
    z = temperature * (z - z.max(axis=1, keepdims=True))
    p = np.exp(z)
    return p / p.sum(axis=1, keepdims=True)


def calibration(rng, n=600, k=4, labels=FOUR, prior=None, weights=False, **kw):
    prior = np.full(k, 1 / k) if prior is None else np.asarray(prior)
    y = rng.choice(k, size=n, p=prior)
    p = posteriors(rng, y, k, **kw)
    w = rng.integers(20, 400, size=n) if weights else None
    docs = [f"cal{i // 4}" for i in range(n)]
    return Calibration.from_arrays(np.asarray(labels, dtype=object)[y], p, docs, labels, weights=w), y, p


def target(rng, n=2000, k=4, prior=None, docs_per=10, groups=1, **kw):
    prior = np.full(k, 1 / k) if prior is None else np.asarray(prior)
    y = rng.choice(k, size=n, p=prior)
    p = posteriors(rng, y, k, **kw)
    docs = np.asarray([f"d{i // docs_per}" for i in range(n)], dtype=object)
    grp = np.asarray([2000 + (i // docs_per) % groups for i in range(n)])
    return y, p, docs, grp


def shares(p, docs, grp, cal, method, labels=None, weights=None, n_boot=0, **kw):
    return estimate_shares(p, labels, weights, docs, grp, cal, method=method, n_boot=n_boot, **kw)


# --------------------------------------------------------------------------- QuaPy reference
quapy = pytest.importorskip("quapy", reason="QuaPy is a test-only dependency (pip install -e '.[dev]')")


def _quapy_estimates(cal_y, cal_p, test_p, k):
    """ACC / PACC / EM of QuaPy on precomputed outputs: the aggregative quantifiers'
    aggregation_fit/aggregate with a (dummy) fitted classifier, fit_classifier=False."""
    from quapy.method.aggregative import ACC, EMQ, PACC
    from sklearn.linear_model import LogisticRegression

    clf = LogisticRegression().fit(np.random.default_rng(0).random((4 * k, 2)), np.arange(4 * k) % k)
    out = {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        acc = ACC(clf, fit_classifier=False, val_split=None)
        acc.aggregation_fit(cal_p.argmax(axis=1), cal_y)
        out["acc"] = acc.aggregate(test_p.argmax(axis=1))
        pacc = PACC(clf, fit_classifier=False, val_split=None)
        pacc.aggregation_fit(cal_p, cal_y)
        out["pacc"] = pacc.aggregate(test_p)
        emq = EMQ(clf, fit_classifier=False)
        emq.train_prevalence = np.bincount(cal_y, minlength=k) / len(cal_y)  # set by fit() otherwise
        out["em_default"] = emq.aggregate(test_p)
        out["em"] = EMQ.EM(emq.train_prevalence, test_p, epsilon=1e-12)[0]
        out["M_acc"], out["M_pacc"] = acc.Pte_cond_estim_, pacc.Pte_cond_estim_
    return out


@pytest.mark.parametrize(
    "case",
    [
        dict(k=4, prior=[0.1, 0.5, 0.1, 0.3], n_cal=800, seed=1),
        dict(k=4, prior=[0.6, 0.2, 0.1, 0.1], n_cal=300, seed=2, temperature=2.0),
        dict(k=4, prior=[0.0, 0.3, 0.0, 0.7], n_cal=500, seed=3),  # two classes absent: boundary solutions
        dict(k=7, prior=[0.3, 0.05, 0.2, 0.05, 0.1, 0.1, 0.2], n_cal=1400, seed=4, temperature=0.6),
    ],
)
def test_acc_pacc_em_match_quapy(case):
    rng = np.random.default_rng(case["seed"])
    k = case["k"]
    labels = FOUR if k == 4 else SIX
    kw = {"temperature": case["temperature"]} if "temperature" in case else {}
    cal, cal_y, cal_p = calibration(rng, case["n_cal"], k, labels, **kw)
    _, test_p, docs, grp = target(rng, 1500, k, case["prior"], **kw)
    ref = _quapy_estimates(cal_y, cal_p, test_p, k)
    for method in ("acc", "pacc", "em"):
        ours = shares(test_p, docs, grp, cal, method)["share"].to_numpy()
        np.testing.assert_allclose(ours, ref[method], atol=2e-4 if method != "em" else 1e-6, err_msg=method)
    # QuaPy's default EM stopping rule (mean change < 1e-4) lands close to the fixed point
    em = shares(test_p, docs, grp, cal, "em")["share"].to_numpy()
    np.testing.assert_allclose(em, ref["em_default"], atol=5e-3)


def test_constrained_solve_is_optimal_and_at_least_as_good_as_quapy():
    """ACC's solution satisfies the KKT conditions of min ||M p - q||^2 on the simplex and its
    objective is never worse than QuaPy's SLSQP solution."""
    for seed in range(12):
        rng = np.random.default_rng(100 + seed)
        cal, cal_y, cal_p = calibration(rng, 200, 4, sep=1.2)
        prior = rng.dirichlet(np.full(4, 0.3))
        _, test_p, docs, grp = target(rng, 300, 4, prior, sep=1.2)
        p = shares(test_p, docs, grp, cal, "acc")["share"].to_numpy()
        ref = _quapy_estimates(cal_y, cal_p, test_p, 4)
        M = ref["M_acc"]
        q = np.bincount(test_p.argmax(axis=1), minlength=4) / len(test_p)
        assert p.min() >= 0 and abs(p.sum() - 1) < 1e-12
        grad = M.T @ (M @ p - q)
        support = p > 1e-9
        nu = -grad[support].mean()
        assert np.abs(grad[support] + nu).max() < 1e-7  # stationary on the support
        assert (grad[~support] + nu >= -1e-7).all()  # no descent direction into a zero coordinate
        f = lambda x: np.sum((M @ x - q) ** 2)
        assert f(p) <= f(ref["acc"]) + 1e-12


# --------------------------------------------------------------------------- estimator properties
def test_integer_weights_equal_repeated_rows():
    """Character weights mean what they say: weight 3 == the paragraph three times (target and
    calibration) for the estimators that weigh by characters throughout."""
    rng = np.random.default_rng(5)
    cal, cal_y, cal_p = calibration(rng, 300)
    cal_w = rng.integers(1, 4, size=len(cal))
    _, p, docs, grp = target(rng, 400, prior=[0.2, 0.4, 0.1, 0.3])
    w = rng.integers(1, 4, size=len(p))
    weighted_cal = Calibration.from_arrays(np.asarray(FOUR)[cal_y], cal_p, cal.groups, FOUR, weights=cal_w)
    rep = np.repeat(np.arange(len(cal)), cal_w)
    repeated_cal = Calibration.from_arrays(np.asarray(FOUR)[cal_y[rep]], cal_p[rep], cal.groups[rep], FOUR)
    rows = np.repeat(np.arange(len(p)), w)
    for method in ("cc", "pcc", "acc", "pacc"):
        a = shares(p, docs, grp, weighted_cal, method, weights=w)
        b = shares(p[rows], docs[rows], grp[rows], repeated_cal, method)
        np.testing.assert_allclose(a["share"], b["share"], atol=1e-9, err_msg=method)
        np.testing.assert_allclose(a["share_raw"], b["share_raw"], atol=1e-12)
        assert a["n_chars"].tolist() == b["n_paragraphs"].tolist()


def test_share_raw_is_trends_classify_and_count():
    """share_raw is what pipeline.trends.category_shares has always reported."""
    from pipeline import trends

    rng = np.random.default_rng(6)
    cal, *_ = calibration(rng)
    y, p, docs, grp = target(rng, 600, groups=3)
    pred = np.asarray(FOUR, dtype=object)[p.argmax(axis=1)]
    n_chars = rng.integers(0, 300, size=len(p))
    paragraphs = pd.DataFrame({"doc_id": docs, "label": pred, "n_chars": n_chars})
    documents = pd.DataFrame({"doc_id": pd.unique(docs), "year": [grp[docs == d][0] for d in pd.unique(docs)], "n_chars": 1})
    old = trends.category_shares(paragraphs, documents, FOUR)
    new = estimate_shares(p, pred, n_chars, docs, pd.Series(grp, name="year"), cal, n_boot=0)
    np.testing.assert_allclose(new["share_raw"], old["share"], atol=1e-12)
    assert new["year"].tolist() == old["year"].tolist() and new["category"].tolist() == old["category"].tolist()


def test_corrects_classify_and_count_under_prior_shift():
    """Pure prior shift: ACC/PACC recover the shares CC gets wrong. (These posteriors are not
    calibrated for the calibration prior, so EM, which trusts them, is off: why it is not the
    default; see benchmarks/quantify_simulation.py.)"""
    rng = np.random.default_rng(7)
    cal, *_ = calibration(rng, 2500, prior=[0.21, 0.2, 0.19, 0.4])
    y, p, docs, grp = target(rng, 20000, prior=[0.05, 0.15, 0.1, 0.7], docs_per=20)
    truth = np.bincount(y, minlength=4) / len(y)
    err = {m: np.abs(shares(p, docs, grp, cal, m)["share"].to_numpy() - truth).max() for m in ("cc", "acc", "pacc", "em")}
    assert err["cc"] > 0.05
    assert max(err["acc"], err["pacc"]) < 0.025
    assert err["em"] > 0.1


# --------------------------------------------------------------------------- the table
def test_table_columns_order_and_invariants():
    rng = np.random.default_rng(8)
    cal, *_ = calibration(rng, weights=True)
    _, p, docs, grp = target(rng, 3000, groups=6)
    w = rng.integers(20, 400, size=len(p))
    out = estimate_shares(p, None, w, docs, pd.Series(grp, name="year"), cal, n_boot=100)
    assert list(out.columns) == ["year"] + SHARE_COLUMNS
    assert out["year"].tolist() == sorted(out["year"].tolist())
    assert all(tuple(cats) == FOUR for cats in out.groupby("year")["category"].apply(list))
    sums = out.groupby("year")[["share", "share_raw"]].sum()
    np.testing.assert_allclose(sums.to_numpy(), 1.0, atol=1e-9)
    assert ((out["share_low"] <= out["share"]) & (out["share"] <= out["share_high"])).all()
    assert ((out["share_low"] >= 0) & (out["share_high"] <= 1)).all()
    assert (out["method"] == DEFAULT_METHOD.value).all()
    assert out["small_group"].dtype == bool and not out["small_group"].any()
    per_group = (
        pd.DataFrame({"year": grp, "doc": docs, "w": w})
        .groupby("year")
        .agg(n_docs=("doc", "nunique"), n_paragraphs=("doc", "size"), n_chars=("w", "sum"))
    )
    got = out.groupby("year")[["n_docs", "n_paragraphs", "n_chars"]].first()
    pd.testing.assert_frame_equal(got, per_group, check_dtype=False)
    assert "PACC" in out.attrs["method_note"] and "bootstrap" in out.attrs["method_note"]


def test_deterministic_and_independent_of_row_order():
    rng = np.random.default_rng(9)
    cal, *_ = calibration(rng)
    _, p, docs, grp = target(rng, 1500, groups=5)
    a = shares(p, docs, grp, cal, "pacc", n_boot=50, seed=3)
    b = shares(p, docs, grp, cal, "pacc", n_boot=50, seed=3)
    pd.testing.assert_frame_equal(a, b)
    perm = rng.permutation(len(p))
    c = shares(p[perm], docs[perm], grp[perm], cal, "pacc", n_boot=50, seed=3)
    pd.testing.assert_frame_equal(a, c, check_exact=False, atol=1e-12)
    d = shares(p, docs, grp, cal, "pacc", n_boot=50, seed=4)
    assert not np.allclose(a["share_low"], d["share_low"])
    np.testing.assert_allclose(a["share"], d["share"])  # the point estimate does not depend on the seed


def test_interval_reflects_calibration_uncertainty():
    """Same years, a 150-row vs a 3000-row calibration set: the small one gives wider intervals;
    one-document groups still get an interval from the calibration part (CC's has zero width)."""
    rng = np.random.default_rng(10)
    small, *_ = calibration(rng, 150)
    big, *_ = calibration(rng, 3000)
    _, p, docs, grp = target(rng, 2000, groups=4)
    width = lambda t: (t["share_high"] - t["share_low"]).mean()
    assert width(shares(p, docs, grp, small, "acc", n_boot=200)) > 1.3 * width(shares(p, docs, grp, big, "acc", n_boot=200))
    one_doc = np.zeros(len(p), dtype=object)
    one_doc[:] = "only"
    single = shares(p, one_doc, np.zeros(len(p)), small, "pacc", n_boot=200)
    assert single["small_group"].all() and (single["share_high"] - single["share_low"] > 0.01).all()
    cc = shares(p, one_doc, np.zeros(len(p)), small, "cc", n_boot=200)
    np.testing.assert_allclose(cc["share_high"] - cc["share_low"], 0.0, atol=1e-12)


def test_dataframe_probs_by_column_name():
    rng = np.random.default_rng(11)
    cal, *_ = calibration(rng)
    _, p, docs, grp = target(rng, 500)
    frame = pd.DataFrame(p, columns=[f"p_{lab}" for lab in FOUR])[[f"p_{lab}" for lab in reversed(FOUR)]]
    frame["text"] = "x"
    a = shares(p, docs, grp, cal, "pacc")
    b = shares(frame, docs, grp, cal, "pacc")
    pd.testing.assert_frame_equal(a, b)
    with pytest.raises(InputError, match="p_作风建设"):
        shares(frame.drop(columns="p_作风建设"), docs, grp, cal, "pacc")


# --------------------------------------------------------------------------- edge cases
def test_group_without_paragraphs_and_dropped_rows():
    """A Categorical keeps its empty groups (NaN shares, zero counts, small_group); rows without
    a label or posteriors are left out but their group still appears."""
    rng = np.random.default_rng(12)
    cal, *_ = calibration(rng)
    _, p, docs, _ = target(rng, 400)
    grp = pd.Series(pd.Categorical(np.where(np.arange(400) < 200, 2019, 2021), categories=[2019, 2020, 2021]), name="year")
    pred = np.asarray(FOUR, dtype=object)[p.argmax(axis=1)]
    pred[:10] = None
    p = p.copy()
    p[10:20] = np.nan
    out = estimate_shares(p, pred, None, docs, grp, cal, n_boot=50)
    assert out["year"].tolist() == [2019] * 4 + [2020] * 4 + [2021] * 4
    empty = out[out["year"] == 2020]
    assert empty["share"].isna().all() and empty["share_low"].isna().all()
    assert (empty["n_paragraphs"] == 0).all() and (empty["n_docs"] == 0).all() and empty["small_group"].all()
    assert out.loc[out["year"] == 2019, "n_paragraphs"].iat[0] == 180
    np.testing.assert_allclose(out[out["year"] != 2020].groupby("year")["share"].sum(), 1.0)


def test_group_of_empty_paragraphs_falls_back_to_counts():
    rng = np.random.default_rng(13)
    cal, *_ = calibration(rng)
    _, p, docs, grp = target(rng, 300, groups=2)
    w = np.where(grp == 2000, 0, 50)
    out = shares(p, docs, grp, cal, "cc", weights=w)
    unit = shares(p, docs, grp, cal, "cc")
    np.testing.assert_allclose(out["share"], unit["share"])
    assert out.groupby("group")["n_chars"].first().tolist() == [0, 50 * int((grp == 2001).sum())]


def test_category_never_predicted():
    """In a year (q_j = 0) and in the whole calibration set (a zero row of M)."""
    rng = np.random.default_rng(14)
    cal, cal_y, cal_p = calibration(rng, 800)
    _, p, docs, grp = target(rng, 600, prior=[0.5, 0.5, 0, 0], sep=4.0)
    pred = np.asarray(FOUR, dtype=object)[np.where(p.argmax(axis=1) >= 2, 0, p.argmax(axis=1))]
    for method in Method:
        out = shares(p, docs, grp, cal, method, labels=pred, n_boot=30)
        assert np.isfinite(out["share"]).all() and abs(out["share"].sum() - 1) < 1e-9, method
    cal_pred = np.where(cal_y == 2, 0, cal_p.argmax(axis=1))
    cal_pred = np.where(cal_pred == 2, 3, cal_pred)  # 作风建设 is never predicted
    never = Calibration.from_arrays(np.asarray(FOUR)[cal_y], cal_p, cal.groups, FOUR, predicted=np.asarray(FOUR)[cal_pred])
    out = shares(p, docs, grp, never, "acc", labels=pred, n_boot=30)
    assert np.isfinite(out["share"]).all() and abs(out["share"].sum() - 1) < 1e-9
    assert np.isfinite(out["share_low"]).all()


def test_calibration_class_without_rows_falls_back_to_cc():
    rng = np.random.default_rng(15)
    cal, cal_y, cal_p = calibration(rng, 400, prior=[0.3, 0.3, 0.0, 0.4])
    _, p, docs, grp = target(rng, 500)
    out = shares(p, docs, grp, cal, "pacc", n_boot=20)
    assert (out["method"] == "cc").all()
    np.testing.assert_allclose(out["share"], out["share_raw"])
    assert "作风建设" in out.attrs["method_note"] and "fallback from PACC" in out.attrs["method_note"]
    empty = Calibration.from_arrays([], np.empty((0, 4)), [], FOUR)
    out = shares(p, docs, grp, empty, "em")
    assert (out["method"] == "cc").all() and "calibration set is empty" in out.attrs["method_note"]
    assert (shares(p, docs, grp, cal, "pcc")["method"] == "pcc").all()  # PCC needs no calibration


def test_six_way_labels():
    """k=7 works for every method; ACC/PACC recover the truth (EM trusts these uncalibrated
    posteriors and is off, as in test_corrects_classify_and_count_under_prior_shift)."""
    rng = np.random.default_rng(16)
    cal, *_ = calibration(rng, 2100, 7, SIX)
    y, p, docs, grp = target(rng, 6000, 7, [0.3, 0.05, 0.2, 0.05, 0.1, 0.1, 0.2], groups=3)
    truth = pd.DataFrame(np.eye(7)[y]).groupby(grp).mean().to_numpy().ravel()
    for method in Method:
        out = shares(p, docs, grp, cal, method, n_boot=40)
        assert len(out) == 3 * 7 and out["category"].tolist()[:7] == list(SIX)
        err = np.abs(out["share"].to_numpy() - truth).mean()
        if method in (Method.ACC, Method.PACC):
            assert err < 0.02, (method, err)


def test_input_errors():
    rng = np.random.default_rng(17)
    cal, *_ = calibration(rng, 100)
    _, p, docs, grp = target(rng, 50)
    with pytest.raises(InputError, match="unknown quantification method") as err:
        shares(p, docs, grp, cal, "median")
    assert "pacc" in str(err.value)
    with pytest.raises(InputError, match="outside the label order"):
        shares(p, docs, grp, cal, "acc", labels=["纪律建设"] * 50)
    with pytest.raises(InputError, match=r"shape \(50, 3\)"):
        shares(p[:, :3], docs, grp, cal, "acc")
    with pytest.raises(InputError, match="do not sum to 1"):
        shares(p * 3, docs, grp, cal, "acc")
    with pytest.raises(InputError, match="doc_ids has 49"):
        shares(p, docs[:49], grp, cal, "acc")
    with pytest.raises(InputError, match="Calibration"):
        shares(p, docs, grp, {"labels": FOUR}, "acc")
    with pytest.raises(InputError, match="outside the label order"):
        Calibration.from_arrays(["x"], [[1, 0, 0, 0]], ["d"], FOUR)


# --------------------------------------------------------------------------- calibration object
def test_calibration_round_trips_through_json():
    rng = np.random.default_rng(18)
    cal, *_ = calibration(rng, 250, weights=True)
    text = json.dumps(cal.to_dict(), ensure_ascii=False)
    back = Calibration.from_dict(json.loads(text))
    assert back.labels == cal.labels and len(back) == len(cal)
    for name in ("true", "pred", "posteriors", "weights", "groups"):
        np.testing.assert_array_equal(getattr(back, name), getattr(cal, name))
    _, p, docs, grp = target(rng, 400, groups=2)
    pd.testing.assert_frame_equal(shares(p, docs, grp, cal, "pacc", n_boot=30), shares(p, docs, grp, back, "pacc", n_boot=30))
    assert cal.class_counts() == {lab: int((cal.true == i).sum()) for i, lab in enumerate(FOUR)}
    with pytest.raises(InputError, match="not a calibration set"):
        Calibration.from_dict({"format": "something/9"})


def test_method_notes():
    for method in Method:
        note = method_note(method)
        assert note == method_note(method.value) and "\n" not in note
    assert method_note("pacc").startswith("shares corrected by PACC")
    assert "not corrected" in method_note("cc")
    with pytest.raises(InputError):
        method_note("x")


# --------------------------------------------------------------------------- layering and speed
def test_import_is_light():
    """The trends layer: numpy/pandas/scipy only; importing the module pulls in no sklearn."""
    import ast
    from pathlib import Path

    import pipeline.quantify as q

    code = "import sys, pipeline.quantify; print(sorted(m for m in ('sklearn', 'quapy', 'matplotlib') if m in sys.modules))"
    assert subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.strip() == "[]"
    allowed = {"numpy", "pandas", "scipy", "pipeline.errors", "pipeline.schema", "__future__", "dataclasses", "enum", "typing"}
    allowed |= {"pipeline.quantify.calibration", "pipeline.quantify.solve", "pipeline.quantify.estimate"}
    for path in sorted(Path(q.__file__).parent.glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else [node.module] if isinstance(node, ast.ImportFrom) else []
            for name in names:
                assert name in allowed or name.split(".")[0] in {"numpy", "pandas", "scipy"}, name


def test_bootstrap_is_fast():
    """40 groups x 4 categories x 200 replicates over 20,000 paragraphs (1,667 documents),
    1,000 calibration rows: well under a second for the default method (~0.3 s measured on a
    loaded 2-core machine; the bound leaves room for a busy CI)."""
    rng = np.random.default_rng(19)
    base, *_ = calibration(rng, 1000, weights=True)
    cal = with_sources(base, [f"kind{i % 7}" for i in range(1000)])  # the between-source term on
    _, p, docs, _ = target(rng, 20000, docs_per=12)
    grp = np.asarray([int(d[1:]) % 40 for d in docs])
    w = rng.integers(20, 400, size=len(p))
    best = np.inf
    for _ in range(2):
        t = time.perf_counter()
        out = estimate_shares(p, None, w, docs, grp, cal, n_boot=200)
        best = min(best, time.perf_counter() - t)
    assert len(out) == 160 and out["share_low"].notna().all()
    assert out.attrs["sources"] == 7 and "7 kinds of source" in out.attrs["method_note"]
    assert best < 2.0, f"{best:.2f}s"


# --------------------------------------------------------------------------- blend, sources, the between-source term
def with_sources(cal: Calibration, sources) -> Calibration:
    return Calibration.from_arrays(
        np.asarray(cal.labels, dtype=object)[cal.true], cal.posteriors, cal.groups, cal.labels, weights=cal.weights, sources=sources
    )


def test_default_is_the_blend_of_cc_and_pacc():
    rng = np.random.default_rng(21)
    cal, *_ = calibration(rng, 800)
    _, p, docs, grp = target(rng, 1500, prior=[0.1, 0.2, 0.1, 0.6], groups=3)
    assert DEFAULT_METHOD is Method.BLEND
    blend = shares(p, docs, grp, cal, "blend")
    cc, pacc = shares(p, docs, grp, cal, "cc"), shares(p, docs, grp, cal, "pacc")
    np.testing.assert_allclose(blend["share"], 0.5 * (cc["share"] + pacc["share"]), atol=1e-12)
    np.testing.assert_allclose(blend["share_raw"], cc["share"])
    assert (blend["method"] == "blend").all() and "mean of classify-and-count and PACC" in blend.attrs["method_note"]
    boot = shares(p, docs, grp, cal, "blend", n_boot=100)
    assert ((boot["share_low"] <= boot["share"]) & (boot["share"] <= boot["share_high"])).all()


def test_sources_round_trip_and_default():
    rng = np.random.default_rng(22)
    cal, *_ = calibration(rng, 200)
    assert set(cal.sources) == {""}
    tagged = with_sources(cal, ["a" if i % 3 else "b" for i in range(200)])
    back = Calibration.from_dict(json.loads(json.dumps(tagged.to_dict())))
    assert back.sources.tolist() == tagged.sources.tolist()
    legacy = {k: v for k, v in tagged.to_dict().items() if k != "sources"}  # written before sources existed
    assert set(Calibration.from_dict(legacy).sources) == {""}
    with pytest.raises(InputError):
        Calibration.from_arrays(["其他"] * 3, np.full((3, 4), 0.25), ["d"] * 3, FOUR, sources=["a", "b"])


def _two_sources(rng, n=1500, shift=1.2):
    """A calibration set of two kinds of source: in the second, 其他 leans much more towards
    组织建设 (a source-specific error), as between our labelled sources."""
    k = 4
    y = rng.choice(k, size=2 * n)
    mu = 2.0 * np.eye(k)
    z = mu[y] + rng.normal(size=(2 * n, k))
    second = np.arange(2 * n) >= n
    z[second & (y == 3), 1] += shift
    p = np.exp(z - z.max(axis=1, keepdims=True))
    p /= p.sum(axis=1, keepdims=True)
    docs = [f"c{i // 5}" for i in range(2 * n)]
    src = np.where(second, "kind-b", "kind-a")
    return Calibration.from_arrays(np.asarray(FOUR, dtype=object)[y], p, docs, FOUR, sources=src), y, p


def test_between_source_term_widens_by_the_spread_of_the_correction():
    rng = np.random.default_rng(23)
    cal, cal_y, cal_p = _two_sources(rng)
    _, p, docs, grp = target(rng, 3000, prior=[0.15, 0.15, 0.1, 0.6], groups=2, docs_per=20)
    wide = shares(p, docs, grp, cal, "pacc", n_boot=100, seed=3, kappa=0.0)
    narrow = shares(p, docs, grp, cal, "pacc", n_boot=100, seed=3, shift=False)
    np.testing.assert_allclose(wide["share"], narrow["share"])  # the point estimate does not move
    assert ((wide["share_low"] <= narrow["share_low"] + 1e-12) & (wide["share_high"] >= narrow["share_high"] - 1e-12)).all()
    # the spread: half the distance between the two per-source corrections (two sources: the
    # root mean square of the differences from the pooled estimate, 1 degree of freedom)
    per = [
        shares(p, docs, grp, with_sources(Calibration.from_arrays(np.asarray(FOUR)[cal_y[m]], cal_p[m], cal.groups[m], FOUR), None), "pacc")[
            "share"
        ].to_numpy()
        for m in (cal.sources == "kind-a", cal.sources == "kind-b")
    ]
    tau = np.sqrt((per[0] - wide["share"]) ** 2 + (per[1] - wide["share"]) ** 2)
    assert tau.max() > 0.03  # the two kinds of source disagree
    half_before = (narrow["share_high"] - narrow["share"]).to_numpy()
    expect = np.clip(wide["share"] + np.sqrt(half_before**2 + (Z95 * tau) ** 2), 0, 1)
    np.testing.assert_allclose(wide["share_high"], expect, atol=1e-9)
    shrunk = shares(p, docs, grp, cal, "pacc", n_boot=100, seed=3)  # kappa 20: a little narrower
    assert (shrunk["share_high"] <= wide["share_high"] + 1e-12).all() and (shrunk["share_high"] >= narrow["share_high"] - 1e-12).all()
    assert "2 kinds of source" in wide.attrs["method_note"] and "source" not in narrow.attrs["method_note"].split(";")[-1]


def test_between_source_term_is_nil_for_one_source_or_identical_sources():
    rng = np.random.default_rng(24)
    cal, *_ = calibration(rng, 1000)
    _, p, docs, grp = target(rng, 1500, groups=2)
    plain = shares(p, docs, grp, cal, "blend", n_boot=60, seed=1)
    one = shares(p, docs, grp, with_sources(cal, ["only"] * 1000), "blend", n_boot=60, seed=1)
    pd.testing.assert_frame_equal(plain, one)
    assert one.attrs["sources"] == 1
    # two sources with the very same rows: every per-source correction is the pooled one
    twice = Calibration.from_arrays(
        np.concatenate([np.asarray(FOUR, dtype=object)[cal.true]] * 2),
        np.vstack([cal.posteriors] * 2),
        np.concatenate([cal.groups, cal.groups]),
        FOUR,
        sources=["a"] * 1000 + ["b"] * 1000,
    )
    same = shares(p, docs, grp, twice, "pacc", n_boot=60, seed=1)
    nil = shares(p, docs, grp, twice, "pacc", n_boot=60, seed=1, shift=False)
    np.testing.assert_allclose(same[["share_low", "share_high"]], nil[["share_low", "share_high"]], atol=1e-6)
    # the blend stops half-way to the correction: its spread is its distance from it (x sqrt 2: 1 df)
    blend = shares(p, docs, grp, twice, "blend", n_boot=60, seed=1, kappa=0.0)
    blend0 = shares(p, docs, grp, twice, "blend", n_boot=60, seed=1, shift=False)
    tau = np.sqrt(2) * np.abs(blend["share"] - same["share"])
    expect = np.clip(blend["share"] + np.sqrt((blend0["share_high"] - blend["share"]) ** 2 + (Z95 * tau) ** 2), 0, 1)
    np.testing.assert_allclose(blend["share_high"], expect, atol=1e-6)


def test_kappa_shrinks_a_source_with_few_rows_towards_the_pool():
    rng = np.random.default_rng(25)
    cal, *_ = _two_sources(rng, 1500, shift=1.5)
    _, p, docs, grp = target(rng, 3000, prior=[0.15, 0.15, 0.1, 0.6], groups=2, docs_per=20)
    width = {
        kappa: (shares(p, docs, grp, cal, "pacc", n_boot=60, seed=2, kappa=kappa).eval("share_high - share_low")).mean() for kappa in (0.0, 20.0, 1e9)
    }
    assert width[0.0] > width[20.0] > width[1e9]
    no_term = shares(p, docs, grp, cal, "pacc", n_boot=60, seed=2, shift=False).eval("share_high - share_low").mean()
    assert abs(width[1e9] - no_term) < 1e-6
