"""Category shares by year or group (classify and count) and per document."""

from __future__ import annotations

from typing import Sequence

import pandas as pd

from pipeline.schema import SMALL_GROUP_DOCS
from pipeline.trends.frames import CATEGORY_SHARE_COLUMNS, doc_frame, empty, group_key


def labelled(paragraphs: pd.DataFrame, labels: Sequence[str]) -> pd.DataFrame:
    if paragraphs is None or paragraphs.empty or "label" not in paragraphs:
        return pd.DataFrame(columns=["doc_id", "label", "n_chars"])
    p = pd.DataFrame({"doc_id": paragraphs["doc_id"].astype(str), "label": paragraphs["label"].astype(object)})
    if "n_chars" in paragraphs:
        n = pd.to_numeric(paragraphs["n_chars"], errors="coerce")
    else:
        n = pd.Series(float("nan"), index=paragraphs.index)
    if "text" in paragraphs:
        n = n.fillna(paragraphs["text"].astype(str).str.len())
    p["n_chars"] = n.fillna(0).astype("int64")
    # paragraphs without a label of the scheme (unclassified) are left out of the shares
    return p[p["label"].isin(list(labels))]


def category_shares(paragraphs: pd.DataFrame, documents: pd.DataFrame, labels: Sequence[str], *, by: str = "year") -> pd.DataFrame:
    """Character-weighted share of each category per year by classify and count: ``year,
    category, share, share_raw, share_low, share_high, n_docs, n_paragraphs, n_chars,
    small_group, method`` (``share_raw`` = ``share``, no interval, ``method`` "cc"; the run's
    corrected shares come from :func:`pipeline.quantify.estimate_shares` with the same columns).

    Every category appears for every year that has labelled paragraphs (share 0 when absent),
    in the order of ``labels``; shares sum to 1 per year; ``n_docs`` counts the documents with
    labelled paragraphs, ``small_group`` is true below ``schema.SMALL_GROUP_DOCS`` of them.
    Unknown-year documents are excluded. ``by="org"`` groups by organization (or source) instead.
    """
    key = group_key(by)
    columns = [key] + CATEGORY_SHARE_COLUMNS[1:]
    labels = list(labels)
    p = labelled(paragraphs, labels)
    if p.empty or documents is None or documents.empty:
        return empty(columns)
    docs = doc_frame(documents, by)
    p = p.merge(docs[["doc_id", "key"]], on="doc_id", how="inner")
    p = p[p["key"].notna()]
    if p.empty:
        return empty(columns)
    agg = p.groupby(["key", "label"]).agg(n_paragraphs=("doc_id", "size"), n_chars=("n_chars", "sum"))
    keys = sorted(p["key"].unique())
    grid = pd.MultiIndex.from_product([keys, labels], names=["key", "label"])
    out = agg.reindex(grid, fill_value=0).reset_index()
    total_chars = out.groupby("key")["n_chars"].transform("sum")
    total_paras = out.groupby("key")["n_paragraphs"].transform("sum")
    # weight by characters; if a year's paragraphs are all empty, fall back to paragraph counts
    out["share"] = (out["n_chars"] / total_chars.where(total_chars > 0)).fillna(out["n_paragraphs"] / total_paras)
    out["share_raw"] = out["share"]
    out["share_low"] = out["share_high"] = float("nan")
    out["n_docs"] = out["key"].map(p.groupby("key")["doc_id"].nunique()).astype("int64")
    out["small_group"] = out["n_docs"] < SMALL_GROUP_DOCS
    out["method"] = "cc"
    out = out.rename(columns={"key": key, "label": "category"})
    if key == "year":
        out[key] = out[key].astype("Int64")
    out["category"] = pd.Categorical(out["category"], categories=labels, ordered=True)
    out = out.sort_values([key, "category"])
    out["category"] = out["category"].astype(str)
    return out[columns].reset_index(drop=True)


def document_shares(paragraphs: pd.DataFrame, labels: Sequence[str]) -> pd.DataFrame:
    """Per document: ``doc_id, share_<category>...`` (character-weighted, sum to 1 per document)."""
    labels = list(labels)
    columns = ["doc_id"] + [f"share_{c}" for c in labels]
    p = labelled(paragraphs, labels)
    if p.empty:
        return empty(columns)
    chars = p.pivot_table(index="doc_id", columns="label", values="n_chars", aggfunc="sum", fill_value=0)
    counts = p.pivot_table(index="doc_id", columns="label", values="n_chars", aggfunc="size", fill_value=0)
    chars = chars.reindex(columns=labels, fill_value=0)
    counts = counts.reindex(index=chars.index, columns=labels, fill_value=0)
    total = chars.sum(axis=1)
    shares = chars.div(total.where(total > 0), axis=0)
    shares = shares.fillna(counts.div(counts.sum(axis=1), axis=0))
    shares.columns = [f"share_{c}" for c in labels]
    return shares.reset_index()[columns]
