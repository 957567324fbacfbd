"""Keyness: the words and formulations most distinctive of one group of documents against
another (Dunning's log-likelihood G2, as quanteda's ``textstat_keyness`` and as
``keywords_by_year`` does for years)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from pipeline.trends.keywords import g2

KEYNESS_COLUMNS = ["item", "kind", "count_a", "count_b", "per_10k_a", "per_10k_b", "g2", "p_value", "key_for"]


def keyness(
    counts_a: pd.Series,
    counts_b: pd.Series,
    *,
    total_a: float | None = None,
    total_b: float | None = None,
    kind: str = "word",
    top: int = 30,
    min_count: int = 3,
) -> pd.DataFrame:
    """Items (index) over-used in group a and in group b: ``item, kind, count_a, count_b,
    per_10k_a, per_10k_b, g2, p_value, key_for``.

    ``counts_*`` are counts per item; ``total_*`` the groups' sizes the rates are per (default: the
    sum of the counts, i.e. tokens). ``g2`` is signed: positive when the item is relatively more
    frequent in a. Items seen fewer than ``min_count`` times in both groups together are left out;
    the ``top`` items each way are kept, strongest first (a's, then b's). ``p_value`` is the
    chi-squared (1 df) tail of G2 — with thousands of items tested, read it as a ranking aid, not
    as a test."""
    from scipy.stats import chi2

    a = pd.to_numeric(counts_a, errors="coerce").fillna(0).groupby(level=0).sum()
    b = pd.to_numeric(counts_b, errors="coerce").fillna(0).groupby(level=0).sum()
    frame = pd.DataFrame({"count_a": a, "count_b": b}).fillna(0)
    frame = frame[(frame["count_a"] + frame["count_b"]) >= min_count]
    ta = float(total_a if total_a is not None else a.sum())
    tb = float(total_b if total_b is not None else b.sum())
    if frame.empty or ta <= 0 or tb <= 0:
        return pd.DataFrame(columns=KEYNESS_COLUMNS)
    ca, cb = frame["count_a"].astype(float), frame["count_b"].astype(float)
    score = g2(ca, cb, pd.Series(ta, index=frame.index), pd.Series(tb, index=frame.index)).astype(float)
    over_a = (ca / ta) >= (cb / tb)
    frame["g2"] = np.where(over_a, score, -score).round(4)
    frame["p_value"] = chi2.sf(score.to_numpy(), 1)
    frame["per_10k_a"] = (ca * 10_000 / ta).round(4)
    frame["per_10k_b"] = (cb * 10_000 / tb).round(4)
    frame["key_for"] = np.where(over_a, "a", "b")
    frame["kind"] = kind
    frame = frame.rename_axis("item").reset_index()
    frame["count_a"] = frame["count_a"].astype("int64")
    frame["count_b"] = frame["count_b"].astype("int64")
    top_a = frame[frame["key_for"] == "a"].sort_values(["g2", "item"], ascending=[False, True]).head(top)
    top_b = frame[frame["key_for"] == "b"].sort_values(["g2", "item"], ascending=[True, True]).head(top)
    return pd.concat([top_a, top_b], ignore_index=True)[KEYNESS_COLUMNS]
