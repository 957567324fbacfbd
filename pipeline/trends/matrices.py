"""Year x term / year x category matrices for charts, over the full span of years (gaps as NaN)."""

from __future__ import annotations

from typing import Iterable, Sequence

import pandas as pd

from pipeline.trends.frames import MEASURES, as_year


def docs_per_year(documents: pd.DataFrame) -> pd.Series:
    """Number of documents per known year, over the full span (missing years -> 0)."""
    if documents is None or documents.empty:
        return pd.Series(dtype="int64", name="n_docs")
    years = as_year(documents["year"]).dropna()
    if years.empty:
        return pd.Series(dtype="int64", name="n_docs")
    counts = years.astype(int).value_counts().sort_index()
    return counts.reindex(year_range(counts.index), fill_value=0).rename("n_docs").rename_axis("year")


def year_range(years: Iterable) -> list[int]:
    """Every year from the smallest to the largest of ``years`` (so missing ones show as gaps)."""
    ys = [int(y) for y in pd.to_numeric(pd.Series(list(years), dtype=object), errors="coerce").dropna()]
    return list(range(min(ys), max(ys) + 1)) if ys else []


def year_pivot(table: pd.DataFrame, column: str, value: str) -> pd.DataFrame:
    """Known years x ``column`` sums of ``value`` (as numbers), integer year index."""
    t = table.copy()
    t["year"] = as_year(t["year"])
    t = t[t["year"].notna()]
    t[value] = pd.to_numeric(t[value], errors="coerce")
    mat = t.pivot_table(index="year", columns=column, values=value, aggfunc="sum")
    mat.index = mat.index.astype(int)
    return mat


def trend_matrix(
    term_trends: pd.DataFrame, terms: Sequence[str] | None = None, measure: str = "per_10k", *, years: Iterable | None = None
) -> pd.DataFrame:
    """Year x term table of ``measure`` over the full span of years.

    Years without documents are NaN (gaps), years with documents but no use of a term are 0.
    A requested term never used in the corpus is an all-zero column over the years with documents.
    """
    if measure not in MEASURES:
        raise ValueError(f"measure must be one of {', '.join(MEASURES)}, not {measure!r}")
    terms = list(terms) if terms else None
    if term_trends is None or term_trends.empty:
        return pd.DataFrame(columns=terms or [], dtype=float).rename_axis("year")
    mat = year_pivot(term_trends, "term", measure)
    with_docs = mat.index
    if terms is not None:
        mat = mat.reindex(columns=terms)
        mat.loc[with_docs] = mat.loc[with_docs].fillna(0.0)
    span = year_range(list(with_docs) + (list(years) if years is not None else []))
    mat = mat.reindex(span).astype(float)
    mat.index.name = "year"
    mat.columns.name = "term"
    return mat


def category_matrix(category_shares: pd.DataFrame, labels: Sequence[str] | None = None, *, value: str = "share") -> pd.DataFrame:
    """Year x category table of shares over the full span of years (missing years NaN)."""
    if category_shares is None or category_shares.empty:
        return pd.DataFrame(columns=list(labels or []), dtype=float).rename_axis("year")
    mat = year_pivot(category_shares, "category", value)
    order = list(labels) if labels else list(dict.fromkeys(category_shares.loc[as_year(category_shares["year"]).notna(), "category"]))
    mat = mat.reindex(index=year_range(mat.index), columns=order).astype(float)
    mat.index.name = "year"
    return mat
