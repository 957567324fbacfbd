"""Shared pieces of the aggregates: the tables' columns (from :mod:`pipeline.schema`), and the
document frame every aggregate groups by (year, organization, or any document column)."""

from __future__ import annotations

from typing import Sequence

import pandas as pd

from pipeline import schema
from pipeline.schema import EXAMPLE_COLUMNS, FIRST_APPEARANCE_COLUMNS, YEAR_WORD_COLUMNS  # noqa: F401 - re-exported

TERM_COUNT_COLUMNS = schema.columns("term_counts")
TERM_TREND_COLUMNS = schema.columns("term_trends")
KEYWORD_FREQ_COLUMNS = schema.columns("keyword_frequencies")
KEYWORDS_BY_YEAR_COLUMNS = schema.columns("keywords_by_year")
CATEGORY_SHARE_COLUMNS = schema.columns("category_shares")

MEASURES = ("per_10k", "doc_share", "count")
UNKNOWN_GROUP = "(未知)"


def empty(columns: Sequence[str]) -> pd.DataFrame:
    return pd.DataFrame({c: pd.Series(dtype=object) for c in columns})


def as_year(series: pd.Series) -> pd.Series:
    """Years as nullable integers; '', None, 'nan' and junk become <NA>."""
    return pd.to_numeric(series.replace("", pd.NA), errors="coerce").round().astype("Int64")


def doc_frame(documents: pd.DataFrame, by: str | None = None) -> pd.DataFrame:
    """doc_id, year (Int64), n_chars (int), group (org, else source, else unknown), and ``key``:
    the group each document belongs to for ``by`` (see :func:`group_values`) when ``by`` is given."""
    docs = pd.DataFrame({"doc_id": documents["doc_id"].astype(str)})
    docs["year"] = as_year(documents["year"]) if "year" in documents else pd.Series(pd.NA, index=docs.index, dtype="Int64")
    n_chars = pd.to_numeric(documents["n_chars"], errors="coerce") if "n_chars" in documents else pd.Series(0, index=docs.index)
    docs["n_chars"] = n_chars.fillna(0).astype("int64")
    group = pd.Series("", index=docs.index, dtype=object)
    for col in ("source", "org"):  # org wins over source
        if col in documents:
            val = documents[col].astype(object).where(documents[col].notna(), "").astype(str).str.strip()
            group = val.where(val != "", group)
    docs["group"] = group.where(group != "", UNKNOWN_GROUP)
    if by is not None:
        docs["key"] = docs["year"] if by == "year" else (docs["group"] if by in ("org", "source") else group_values(documents, by))
    return docs.drop_duplicates("doc_id")


def group_values(documents: pd.DataFrame, by: str) -> pd.Series:
    """The group of each document for grouping by document column ``by`` (any column of
    documents.csv, the analyst's sheet columns included): its text, stripped; empty ->
    :data:`UNKNOWN_GROUP`. A column the documents do not have is a ValueError naming those they do."""
    if by not in documents.columns:
        usable = [
            c
            for c in documents.columns
            if c not in ("doc_id", "path", "title", "n_chars", "n_paragraphs", "flags") and not str(c).startswith("share_")
        ]
        raise ValueError(f"documents have no column {by!r}; group by one of: {', '.join(map(str, usable))}")
    val = documents[by].astype(object).where(documents[by].notna(), "").astype(str).str.strip()
    val = val.str.replace(r"\.0$", "", regex=True)  # integer columns read back as floats
    return val.where(val != "", UNKNOWN_GROUP)


def per_10k(count, n_chars):
    count = pd.to_numeric(count, errors="coerce").astype(float)
    n_chars = pd.to_numeric(n_chars, errors="coerce").astype(float)
    return (count * 10_000 / n_chars.where(n_chars > 0)).astype(float)


def group_key(by: str) -> str:
    """The first column of a table grouped ``by``: ``year``, ``org`` (for org or source), else ``by``."""
    if not isinstance(by, str) or not by:
        raise ValueError(f"by must be a document column name, not {by!r}")
    if by == "year":
        return "year"
    if by in ("org", "source"):
        return "org"
    return by
