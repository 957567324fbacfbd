"""Formulation tables: per-document counts, trends by year or group, first appearance, top terms."""

from __future__ import annotations

import pandas as pd

from pipeline.trends.frames import FIRST_APPEARANCE_COLUMNS, TERM_COUNT_COLUMNS, TERM_TREND_COLUMNS, as_year, doc_frame, empty, group_key, per_10k


def term_counts(term_hits: pd.DataFrame, documents: pd.DataFrame) -> pd.DataFrame:
    """One row per document x formulation used: ``doc_id, year, term, count, per_10k``.

    ``per_10k`` is per 10,000 characters of that document. Rows with a zero count are dropped;
    hits for a doc_id absent from ``documents`` are dropped too (they cannot be normalized).
    """
    if term_hits is None or term_hits.empty or documents is None or documents.empty:
        return empty(TERM_COUNT_COLUMNS).astype({"year": "Int64"})
    hits = term_hits[["doc_id", "term", "count"]].copy()
    hits["doc_id"] = hits["doc_id"].astype(str)
    hits["count"] = pd.to_numeric(hits["count"], errors="coerce").fillna(0).astype("int64")
    hits = hits.groupby(["doc_id", "term"], as_index=False, sort=False)["count"].sum()
    hits = hits[hits["count"] > 0]
    docs = doc_frame(documents)
    out = hits.merge(docs[["doc_id", "year", "n_chars"]], on="doc_id", how="inner")
    out["per_10k"] = per_10k(out["count"], out["n_chars"])
    out = out.sort_values(["year", "doc_id", "count", "term"], ascending=[True, True, False, True], na_position="last")
    return out[TERM_COUNT_COLUMNS].reset_index(drop=True)


def term_trends(term_counts: pd.DataFrame, documents: pd.DataFrame, *, by: str = "year") -> pd.DataFrame:
    """One row per year (or org) x formulation: ``year, term, count, per_10k, doc_share, n_docs``.

    Every formulation used anywhere in the corpus gets a row for every year that has documents
    (zero when unused that year), so a chart can tell "not used" (0) from "no documents" (gap).
    ``per_10k`` divides by the characters of *all* the year's documents; ``doc_share`` is the
    share of the year's documents using the term. Documents of unknown year are excluded.
    ``by="org"`` groups by organization (falling back to source) instead: first column ``org``.
    """
    key = group_key(by)
    columns = [key] + TERM_TREND_COLUMNS[1:] + ["n_docs"]
    if documents is None or documents.empty:
        return empty(columns)
    docs = doc_frame(documents, by)
    docs = docs[docs["key"].notna()]
    groups = docs.groupby("key").agg(n_docs=("doc_id", "size"), n_chars=("n_chars", "sum"))
    if term_counts is None or term_counts.empty or groups.empty:
        return empty(columns)
    tc = term_counts[["doc_id", "term", "count"]].copy()
    tc["doc_id"] = tc["doc_id"].astype(str)
    tc["count"] = pd.to_numeric(tc["count"], errors="coerce").fillna(0)
    tc = tc[tc["count"] > 0].merge(docs[["doc_id", "key"]], on="doc_id", how="inner")
    terms = sorted(tc["term"].unique())
    agg = tc.groupby(["key", "term"]).agg(count=("count", "sum"), docs_using=("doc_id", "nunique"))
    grid = pd.MultiIndex.from_product([groups.index, terms], names=["key", "term"])
    out = agg.reindex(grid, fill_value=0).reset_index()
    out = out.merge(groups, left_on="key", right_index=True)
    out["count"] = out["count"].astype("int64")
    out["per_10k"] = per_10k(out["count"], out["n_chars"])
    out["doc_share"] = out["docs_using"] / out["n_docs"]
    out = out.rename(columns={"key": key})
    if key == "year":
        out["year"] = out["year"].astype("Int64")
    out = out.sort_values([key, "count", "term"], ascending=[True, False, True])
    return out[columns].reset_index(drop=True)


def first_appearance(term_counts: pd.DataFrame, documents: pd.DataFrame, lexicon: pd.DataFrame | None = None) -> pd.DataFrame:
    """Per formulation found in the corpus: first and last year used, national first year.

    ``first_year_national`` comes from the lexicon's ``first_year`` (NaN when unknown).
    ``n_docs`` counts every document using the term, including those of unknown year.
    Sorted by first year in the corpus.
    """
    if term_counts is None or term_counts.empty:
        return empty(FIRST_APPEARANCE_COLUMNS)
    tc = term_counts[["doc_id", "term", "count"]].copy()
    tc["doc_id"] = tc["doc_id"].astype(str)
    tc = tc[pd.to_numeric(tc["count"], errors="coerce").fillna(0) > 0]
    if documents is not None and not documents.empty:
        tc = tc.merge(doc_frame(documents)[["doc_id", "year"]], on="doc_id", how="left")
    else:
        tc["year"] = as_year(term_counts.get("year", pd.Series(pd.NA, index=term_counts.index)))
    out = tc.groupby("term").agg(first_year_corpus=("year", "min"), last_year_corpus=("year", "max"), n_docs=("doc_id", "nunique"))
    national = pd.Series(dtype="Int64")
    if lexicon is not None and not lexicon.empty and "first_year" in lexicon:
        national = pd.Series(as_year(lexicon["first_year"]).values, index=lexicon["term"].astype(str))
        national = national[~national.index.duplicated()]
    out["first_year_national"] = national.reindex(out.index).astype("Int64")
    for col in ("first_year_corpus", "last_year_corpus"):
        out[col] = out[col].astype("Int64")
    out = out.reset_index().sort_values(["first_year_corpus", "n_docs", "term"], ascending=[True, False, True], na_position="last")
    return out[FIRST_APPEARANCE_COLUMNS].reset_index(drop=True)


def top_terms(term_trends: pd.DataFrame, n: int = 6, *, by: str = "count") -> list[str]:
    """The ``n`` formulations with the highest total ``count`` (or mean ``per_10k``/``doc_share``)."""
    if term_trends is None or term_trends.empty:
        return []
    values = pd.to_numeric(term_trends[by], errors="coerce")
    how = "sum" if by == "count" else "mean"
    totals = values.groupby(term_trends["term"]).agg(how)
    totals = totals[totals > 0]
    ranked = sorted(totals.items(), key=lambda kv: (-kv[1], kv[0]))
    return [t for t, _ in ranked[:n]]
