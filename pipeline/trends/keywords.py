"""Keyword tables: word frequencies by year and distinctive words (log-likelihood G2)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from pipeline.trends.frames import KEYWORD_FREQ_COLUMNS, KEYWORDS_BY_YEAR_COLUMNS, YEAR_WORD_COLUMNS, doc_frame, empty, per_10k


def year_word_table(word_counts: pd.DataFrame, documents: pd.DataFrame) -> pd.DataFrame:
    """Per-document word counts -> ``year, word, count, doc_freq`` (unknown years dropped).

    The keyword tables are computed from this year-level table, so a caller holding huge
    corpora can build it incrementally (see ``pipeline.run.core``) and never materialize one
    row per document and word."""
    if word_counts is None or word_counts.empty or documents is None or documents.empty:
        return empty(YEAR_WORD_COLUMNS)
    docs = doc_frame(documents)
    docs = docs[docs["year"].notna()]
    wc = word_frame(word_counts).merge(docs[["doc_id", "year"]], on="doc_id", how="inner")
    if wc.empty:
        return empty(YEAR_WORD_COLUMNS)
    return wc.groupby(["year", "word"]).agg(count=("count", "sum"), doc_freq=("doc_id", "nunique")).reset_index()


def year_chars(documents: pd.DataFrame) -> pd.Series:
    docs = doc_frame(documents)
    docs = docs[docs["year"].notna()]
    return docs.groupby("year")["n_chars"].sum()


def keyword_frequencies(
    word_counts: pd.DataFrame, documents: pd.DataFrame, top: int = 200, *, year_words: pd.DataFrame | None = None, by: str = "year"
) -> pd.DataFrame:
    """Top ``top`` words per year: ``year, word, count, per_10k, doc_freq``.

    ``per_10k`` is per 10,000 characters of the year's documents; ``doc_freq`` is the number of
    that year's documents containing the word. Unknown-year documents are excluded. Pass a
    precomputed ``year_words`` table (see :func:`year_word_table`) instead of ``word_counts``
    for large corpora. ``by`` names another document column: the table's first column is then
    that column and ``year_words`` must be grouped by it.
    """
    columns = [by] + KEYWORD_FREQ_COLUMNS[1:]
    if year_words is None:
        year_words = year_word_table(word_counts, documents)
    if year_words is None or year_words.empty or documents is None or documents.empty:
        return empty(columns)
    out = year_words[[by] + YEAR_WORD_COLUMNS[1:]].copy()
    chars = year_chars(documents) if by == "year" else doc_frame(documents, by).groupby("key")["n_chars"].sum()
    out["per_10k"] = per_10k(out["count"], out[by].map(chars))
    out = out.sort_values([by, "count", "word"], ascending=[True, False, True])
    out = out.groupby(by, sort=True).head(top)
    if by == "year":
        out["year"] = out["year"].astype("Int64")
    return out[columns].reset_index(drop=True)


def word_frame(word_counts: pd.DataFrame) -> pd.DataFrame:
    wc = word_counts[["doc_id", "word", "count"]].copy()
    wc["doc_id"] = wc["doc_id"].astype(str)
    wc["word"] = wc["word"].astype(str)
    wc["count"] = pd.to_numeric(wc["count"], errors="coerce").fillna(0).astype("int64")
    return wc[(wc["count"] > 0) & (wc["word"].str.strip() != "")]


def g2(a, b, c, d):
    """Dunning log-likelihood of a word seen ``a`` times in ``c`` tokens vs ``b`` in ``d``."""
    total = a + b
    e1 = c * total / (c + d)
    e2 = d * total / (c + d)
    term1 = a * np.log((a / e1).where(a > 0, 1).astype(float))
    term2 = b * np.log((b / e2).where(b > 0, 1).astype(float))
    return 2 * (term1 + term2)


def keywords_by_year(
    word_counts: pd.DataFrame, documents: pd.DataFrame, top: int = 30, *, min_count: int = 3, year_words: pd.DataFrame | None = None, by: str = "year"
) -> pd.DataFrame:
    """Distinctive words of each year: ``year, word, score, count, method``.

    ``score`` is the log-likelihood G2 of the word's frequency in that year against all other
    years, keeping only words used *more* than elsewhere and at least ``min_count`` times in
    the year. With a single year there is nothing to contrast: the score is then the frequency
    per 10,000 tokens (``method`` says which).
    """
    columns = [by] + KEYWORDS_BY_YEAR_COLUMNS[1:] + ["count", "method"]
    if year_words is None:
        year_words = year_word_table(word_counts, documents)
    if year_words is None or year_words.empty:
        return empty(columns)
    by_year = year_words[[by, "word", "count"]].rename(columns={"count": "a"}).copy()
    year_tokens = by_year.groupby(by)["a"].sum()
    if len(year_tokens) == 1:
        by_year["score"] = by_year["a"] * 10_000 / year_tokens.iloc[0]
        by_year["method"] = "frequency"
    else:
        word_total = by_year.groupby("word")["a"].transform("sum")
        all_tokens = year_tokens.sum()
        c = by_year[by].map(year_tokens).astype(float)
        d = all_tokens - c
        a = by_year["a"].astype(float)
        b = word_total.astype(float) - a
        by_year["score"] = g2(a, b, c, d)
        overused = (a / c) > (b / d.where(d > 0))
        by_year = by_year[overused & (by_year["a"] >= min_count)].copy()
        by_year["method"] = "g2"
    by_year = by_year.rename(columns={"a": "count"})
    by_year = by_year.sort_values([by, "score", "word"], ascending=[True, False, True])
    out = by_year.groupby(by, sort=True).head(top)
    if by == "year":
        out["year"] = out["year"].astype("Int64")
    out["score"] = out["score"].astype(float).round(4)
    return out[columns].reset_index(drop=True)
