"""Aggregate per-document counts into tables by year (or organization), normalized.

Pure functions on pandas DataFrames: no file I/O, no plotting (charts live in ``report``).

Conventions
-----------
* ``per_10k`` is occurrences per 10,000 characters of text (document characters, or the sum of
  the characters of all documents of a year/organization - including those that do not use
  the term, so a rare term in a big year is not inflated).
* ``doc_share`` is the share of a year's (organization's) documents that use the term at least
  once: a number in [0, 1].
* Documents whose year is unknown are **excluded from every by-year table** (they still count in
  ``term_counts`` with an empty year, in ``by="org"`` tables and in ``first_appearance.n_docs``).
* Tables by year hold one row per year *that has documents*. Years with no documents are not
  invented as zeros: the chart helpers (``trend_matrix``, ``category_matrix``, ``year_range``)
  reindex over the full span of years and leave those years as NaN, which charts draw as gaps.
* A corpus of a single year works everywhere (keyword distinctiveness then falls back to
  frequency).
"""

from __future__ import annotations

import bisect
import re
from typing import Iterable, Sequence

import numpy as np
import pandas as pd

from pipeline import schema
from pipeline.schema import EXAMPLE_COLUMNS, FIRST_APPEARANCE_COLUMNS, YEAR_WORD_COLUMNS

TERM_COUNT_COLUMNS = schema.columns("term_counts")
TERM_TREND_COLUMNS = schema.columns("term_trends")
KEYWORD_FREQ_COLUMNS = schema.columns("keyword_frequencies")
KEYWORDS_BY_YEAR_COLUMNS = schema.columns("keywords_by_year")
CATEGORY_SHARE_COLUMNS = schema.columns("category_shares")

MEASURES = ("per_10k", "doc_share", "count")
UNKNOWN_GROUP = "(未知)"

__all__ = [
    "term_counts",
    "term_trends",
    "keyword_frequencies",
    "keywords_by_year",
    "category_shares",
    "document_shares",
    "first_appearance",
    "docs_per_year",
    "year_range",
    "trend_matrix",
    "category_matrix",
    "top_terms",
    "examples",
    "lexicon_aliases",
]


# --------------------------------------------------------------------------- helpers
def _empty(columns: Sequence[str]) -> pd.DataFrame:
    return pd.DataFrame({c: pd.Series(dtype=object) for c in columns})


def _as_year(series: pd.Series) -> pd.Series:
    """Years as nullable integers; '', None, 'nan' and junk become <NA>."""
    return pd.to_numeric(series.replace("", pd.NA), errors="coerce").round().astype("Int64")


def _doc_frame(documents: pd.DataFrame) -> pd.DataFrame:
    """doc_id, year (Int64), n_chars (int), group (org, else source, else unknown)."""
    docs = pd.DataFrame({"doc_id": documents["doc_id"].astype(str)})
    docs["year"] = _as_year(documents["year"]) if "year" in documents else pd.Series(pd.NA, index=docs.index, dtype="Int64")
    n_chars = pd.to_numeric(documents["n_chars"], errors="coerce") if "n_chars" in documents else pd.Series(0, index=docs.index)
    docs["n_chars"] = n_chars.fillna(0).astype("int64")
    group = pd.Series("", index=docs.index, dtype=object)
    for col in ("source", "org"):  # org wins over source
        if col in documents:
            val = documents[col].astype(object).where(documents[col].notna(), "").astype(str).str.strip()
            group = val.where(val != "", group)
    docs["group"] = group.where(group != "", UNKNOWN_GROUP)
    return docs.drop_duplicates("doc_id")


def _per_10k(count, n_chars):
    count = pd.to_numeric(count, errors="coerce").astype(float)
    n_chars = pd.to_numeric(n_chars, errors="coerce").astype(float)
    return (count * 10_000 / n_chars.where(n_chars > 0)).astype(float)


def _group_column(by: str) -> str:
    if by == "year":
        return "year"
    if by in ("org", "source"):
        return "org"
    raise ValueError(f"by must be 'year' or 'org', not {by!r}")


# --------------------------------------------------------------------------- formulations
def term_counts(term_hits: pd.DataFrame, documents: pd.DataFrame) -> pd.DataFrame:
    """One row per document x formulation used: ``doc_id, year, term, count, per_10k``.

    ``per_10k`` is per 10,000 characters of that document. Rows with a zero count are dropped;
    hits for a doc_id absent from ``documents`` are dropped too (they cannot be normalized).
    """
    if term_hits is None or term_hits.empty or documents is None or documents.empty:
        return _empty(TERM_COUNT_COLUMNS).astype({"year": "Int64"})
    hits = term_hits[["doc_id", "term", "count"]].copy()
    hits["doc_id"] = hits["doc_id"].astype(str)
    hits["count"] = pd.to_numeric(hits["count"], errors="coerce").fillna(0).astype("int64")
    hits = hits.groupby(["doc_id", "term"], as_index=False, sort=False)["count"].sum()
    hits = hits[hits["count"] > 0]
    docs = _doc_frame(documents)
    out = hits.merge(docs[["doc_id", "year", "n_chars"]], on="doc_id", how="inner")
    out["per_10k"] = _per_10k(out["count"], out["n_chars"])
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
    key = _group_column(by)
    columns = [key] + TERM_TREND_COLUMNS[1:] + ["n_docs"]
    if documents is None or documents.empty:
        return _empty(columns)
    docs = _doc_frame(documents)
    docs["key"] = docs["year"] if key == "year" else docs["group"]
    docs = docs[docs["key"].notna()]
    groups = docs.groupby("key").agg(n_docs=("doc_id", "size"), n_chars=("n_chars", "sum"))
    if term_counts is None or term_counts.empty or groups.empty:
        return _empty(columns)
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
    out["per_10k"] = _per_10k(out["count"], out["n_chars"])
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
        return _empty(FIRST_APPEARANCE_COLUMNS)
    tc = term_counts[["doc_id", "term", "count"]].copy()
    tc["doc_id"] = tc["doc_id"].astype(str)
    tc = tc[pd.to_numeric(tc["count"], errors="coerce").fillna(0) > 0]
    if documents is not None and not documents.empty:
        tc = tc.merge(_doc_frame(documents)[["doc_id", "year"]], on="doc_id", how="left")
    else:
        tc["year"] = _as_year(term_counts.get("year", pd.Series(pd.NA, index=term_counts.index)))
    out = tc.groupby("term").agg(
        first_year_corpus=("year", "min"), last_year_corpus=("year", "max"), n_docs=("doc_id", "nunique")
    )
    national = pd.Series(dtype="Int64")
    if lexicon is not None and not lexicon.empty and "first_year" in lexicon:
        national = pd.Series(_as_year(lexicon["first_year"]).values, index=lexicon["term"].astype(str))
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


# --------------------------------------------------------------------------- keywords


def year_word_table(word_counts: pd.DataFrame, documents: pd.DataFrame) -> pd.DataFrame:
    """Per-document word counts -> ``year, word, count, doc_freq`` (unknown years dropped).

    The keyword tables are computed from this year-level table, so a caller holding huge
    corpora can build it incrementally (see ``pipeline.run.core``) and never materialize one
    row per document and word."""
    if word_counts is None or word_counts.empty or documents is None or documents.empty:
        return _empty(YEAR_WORD_COLUMNS)
    docs = _doc_frame(documents)
    docs = docs[docs["year"].notna()]
    wc = _word_frame(word_counts).merge(docs[["doc_id", "year"]], on="doc_id", how="inner")
    if wc.empty:
        return _empty(YEAR_WORD_COLUMNS)
    return wc.groupby(["year", "word"]).agg(count=("count", "sum"), doc_freq=("doc_id", "nunique")).reset_index()


def _year_chars(documents: pd.DataFrame) -> pd.Series:
    docs = _doc_frame(documents)
    docs = docs[docs["year"].notna()]
    return docs.groupby("year")["n_chars"].sum()


def keyword_frequencies(word_counts: pd.DataFrame, documents: pd.DataFrame, top: int = 200, *, year_words: pd.DataFrame | None = None) -> pd.DataFrame:
    """Top ``top`` words per year: ``year, word, count, per_10k, doc_freq``.

    ``per_10k`` is per 10,000 characters of the year's documents; ``doc_freq`` is the number of
    that year's documents containing the word. Unknown-year documents are excluded. Pass a
    precomputed ``year_words`` table (see :func:`year_word_table`) instead of ``word_counts``
    for large corpora.
    """
    if year_words is None:
        year_words = year_word_table(word_counts, documents)
    if year_words is None or year_words.empty or documents is None or documents.empty:
        return _empty(KEYWORD_FREQ_COLUMNS)
    out = year_words[YEAR_WORD_COLUMNS].copy()
    out["per_10k"] = _per_10k(out["count"], out["year"].map(_year_chars(documents)))
    out = out.sort_values(["year", "count", "word"], ascending=[True, False, True])
    out = out.groupby("year", sort=True).head(top)
    out["year"] = out["year"].astype("Int64")
    return out[KEYWORD_FREQ_COLUMNS].reset_index(drop=True)


def _word_frame(word_counts: pd.DataFrame) -> pd.DataFrame:
    wc = word_counts[["doc_id", "word", "count"]].copy()
    wc["doc_id"] = wc["doc_id"].astype(str)
    wc["word"] = wc["word"].astype(str)
    wc["count"] = pd.to_numeric(wc["count"], errors="coerce").fillna(0).astype("int64")
    return wc[(wc["count"] > 0) & (wc["word"].str.strip() != "")]


def _g2(a, b, c, d):
    """Dunning log-likelihood of a word seen ``a`` times in ``c`` tokens vs ``b`` in ``d``."""
    total = a + b
    e1 = c * total / (c + d)
    e2 = d * total / (c + d)
    term1 = a * np.log((a / e1).where(a > 0, 1).astype(float))
    term2 = b * np.log((b / e2).where(b > 0, 1).astype(float))
    return 2 * (term1 + term2)


def keywords_by_year(word_counts: pd.DataFrame, documents: pd.DataFrame, top: int = 30, *, min_count: int = 3, year_words: pd.DataFrame | None = None) -> pd.DataFrame:
    """Distinctive words of each year: ``year, word, score, count, method``.

    ``score`` is the log-likelihood G2 of the word's frequency in that year against all other
    years, keeping only words used *more* than elsewhere and at least ``min_count`` times in
    the year. With a single year there is nothing to contrast: the score is then the frequency
    per 10,000 tokens (``method`` says which).
    """
    columns = KEYWORDS_BY_YEAR_COLUMNS + ["count", "method"]
    if year_words is None:
        year_words = year_word_table(word_counts, documents)
    if year_words is None or year_words.empty:
        return _empty(columns)
    by_year = year_words[["year", "word", "count"]].rename(columns={"count": "a"}).copy()
    year_tokens = by_year.groupby("year")["a"].sum()
    if len(year_tokens) == 1:
        by_year["score"] = by_year["a"] * 10_000 / year_tokens.iloc[0]
        by_year["method"] = "frequency"
    else:
        word_total = by_year.groupby("word")["a"].transform("sum")
        all_tokens = year_tokens.sum()
        c = by_year["year"].map(year_tokens).astype(float)
        d = all_tokens - c
        a = by_year["a"].astype(float)
        b = word_total.astype(float) - a
        by_year["score"] = _g2(a, b, c, d)
        overused = (a / c) > (b / d.where(d > 0))
        by_year = by_year[overused & (by_year["a"] >= min_count)].copy()
        by_year["method"] = "g2"
    by_year = by_year.rename(columns={"a": "count"})
    by_year = by_year.sort_values(["year", "score", "word"], ascending=[True, False, True])
    out = by_year.groupby("year", sort=True).head(top)
    out["year"] = out["year"].astype("Int64")
    out["score"] = out["score"].astype(float).round(4)
    return out[columns].reset_index(drop=True)


# --------------------------------------------------------------------------- categories
def _labelled(paragraphs: pd.DataFrame, labels: Sequence[str]) -> pd.DataFrame:
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
    """Character-weighted share of each category per year: ``year, category, share, n_paragraphs, n_chars``.

    Every category appears for every year that has labelled paragraphs (share 0 when absent),
    in the order of ``labels``; shares sum to 1 per year. Unknown-year documents are excluded.
    ``by="org"`` groups by organization (or source) instead.
    """
    key = _group_column(by)
    columns = [key] + CATEGORY_SHARE_COLUMNS[1:]
    labels = list(labels)
    p = _labelled(paragraphs, labels)
    if p.empty or documents is None or documents.empty:
        return _empty(columns)
    docs = _doc_frame(documents)
    docs["key"] = docs["year"] if key == "year" else docs["group"]
    p = p.merge(docs[["doc_id", "key"]], on="doc_id", how="inner")
    p = p[p["key"].notna()]
    if p.empty:
        return _empty(columns)
    agg = p.groupby(["key", "label"]).agg(n_paragraphs=("doc_id", "size"), n_chars=("n_chars", "sum"))
    keys = sorted(p["key"].unique())
    grid = pd.MultiIndex.from_product([keys, labels], names=["key", "label"])
    out = agg.reindex(grid, fill_value=0).reset_index()
    total_chars = out.groupby("key")["n_chars"].transform("sum")
    total_paras = out.groupby("key")["n_paragraphs"].transform("sum")
    # weight by characters; if a year's paragraphs are all empty, fall back to paragraph counts
    out["share"] = (out["n_chars"] / total_chars.where(total_chars > 0)).fillna(out["n_paragraphs"] / total_paras)
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
    p = _labelled(paragraphs, labels)
    if p.empty:
        return _empty(columns)
    chars = p.pivot_table(index="doc_id", columns="label", values="n_chars", aggfunc="sum", fill_value=0)
    counts = p.pivot_table(index="doc_id", columns="label", values="n_chars", aggfunc="size", fill_value=0)
    chars = chars.reindex(columns=labels, fill_value=0)
    counts = counts.reindex(index=chars.index, columns=labels, fill_value=0)
    total = chars.sum(axis=1)
    shares = chars.div(total.where(total > 0), axis=0)
    shares = shares.fillna(counts.div(counts.sum(axis=1), axis=0))
    shares.columns = [f"share_{c}" for c in labels]
    return shares.reset_index()[columns]


# --------------------------------------------------------------------------- chart helpers
def docs_per_year(documents: pd.DataFrame) -> pd.Series:
    """Number of documents per known year, over the full span (missing years -> 0)."""
    if documents is None or documents.empty:
        return pd.Series(dtype="int64", name="n_docs")
    years = _as_year(documents["year"]).dropna()
    if years.empty:
        return pd.Series(dtype="int64", name="n_docs")
    counts = years.astype(int).value_counts().sort_index()
    return counts.reindex(year_range(counts.index), fill_value=0).rename("n_docs").rename_axis("year")


def year_range(years: Iterable) -> list[int]:
    """Every year from the smallest to the largest of ``years`` (so missing ones show as gaps)."""
    ys = [int(y) for y in pd.to_numeric(pd.Series(list(years), dtype=object), errors="coerce").dropna()]
    return list(range(min(ys), max(ys) + 1)) if ys else []


def _year_pivot(table: pd.DataFrame, column: str, value: str) -> pd.DataFrame:
    """Known years x ``column`` sums of ``value`` (as numbers), integer year index."""
    t = table.copy()
    t["year"] = _as_year(t["year"])
    t = t[t["year"].notna()]
    t[value] = pd.to_numeric(t[value], errors="coerce")
    mat = t.pivot_table(index="year", columns=column, values=value, aggfunc="sum")
    mat.index = mat.index.astype(int)
    return mat


def trend_matrix(term_trends: pd.DataFrame, terms: Sequence[str] | None = None, measure: str = "per_10k", *, years: Iterable | None = None) -> pd.DataFrame:
    """Year x term table of ``measure`` over the full span of years.

    Years without documents are NaN (gaps), years with documents but no use of a term are 0.
    A requested term never used in the corpus is an all-zero column over the years with documents.
    """
    if measure not in MEASURES:
        raise ValueError(f"measure must be one of {', '.join(MEASURES)}, not {measure!r}")
    terms = list(terms) if terms else None
    if term_trends is None or term_trends.empty:
        return pd.DataFrame(columns=terms or [], dtype=float).rename_axis("year")
    mat = _year_pivot(term_trends, "term", measure)
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
    mat = _year_pivot(category_shares, "category", value)
    order = list(labels) if labels else list(dict.fromkeys(category_shares.loc[_as_year(category_shares["year"]).notna(), "category"]))
    mat = mat.reindex(index=year_range(mat.index), columns=order).astype(float)
    mat.index.name = "year"
    return mat


# --------------------------------------------------------------------------- examples
_ALIAS_SPLIT = re.compile(r"[|;；、,，/]+")


def lexicon_aliases(lexicon: pd.DataFrame | None, term: str) -> list[str]:
    """``term`` and its aliases from a lexicon table (``aliases`` split on | ; 、 , /)."""
    names = [term]
    if lexicon is not None and not lexicon.empty and "term" in lexicon and "aliases" in lexicon:
        for raw in lexicon.loc[lexicon["term"].astype(str) == term, "aliases"].dropna().astype(str):
            names += [a.strip() for a in _ALIAS_SPLIT.split(raw) if a.strip()]
    return list(dict.fromkeys(n for n in names if n))


EXAMPLE_MIN_CHARS = 20  # body paragraphs at least this long are preferred as examples


class ExampleIndex:
    """Paragraphs and their documents indexed once, for many example queries (the report asks
    a few dozen): plain lists, a text of all paragraphs joined by NUL for term search, and the
    picking rule of :func:`examples`.

    Rule: body/item paragraphs of at least ``min_chars`` characters first; at most one per
    document before a second one; then by year (unknown last), document and paragraph order.
    """

    def __init__(self, paragraphs: pd.DataFrame, documents: pd.DataFrame | None, *, lexicon: pd.DataFrame | None = None, min_chars: int = EXAMPLE_MIN_CHARS):
        p = paragraphs if paragraphs is not None else pd.DataFrame()
        self.paragraphs = p
        self.lexicon = lexicon

        def column(frame: pd.DataFrame, name: str, default) -> list:
            return frame[name].tolist() if name in frame else [default] * len(frame)

        self.meta: dict[str, tuple] = {}  # doc_id -> (title, year or None); the first row wins
        self._title_dtype = documents["title"].dtype if documents is not None and "title" in documents else None
        if documents is not None and not documents.empty and "doc_id" in documents:
            years = _as_year(documents["year"]).tolist() if "year" in documents else [None] * len(documents)
            for d, title, year in zip(column(documents, "doc_id", ""), column(documents, "title", ""), years):
                self.meta.setdefault(str(d), (title, None if pd.isna(year) else int(year)))
        self.doc = [str(d) for d in column(p, "doc_id", "")]
        self.para = column(p, "para_id", None)
        self.label = column(p, "label", "")
        self.text = [t if isinstance(t, str) else ("" if pd.isna(t) else str(t)) for t in column(p, "text", "")]
        self.rank = [0 if str(k) in ("body", "item") and len(t) >= min_chars else 1 for k, t in zip(column(p, "kind", "body"), self.text)]
        self.by_label: dict[str, list[int]] = {}
        for i, lab in enumerate(self.label):
            self.by_label.setdefault(str(lab), []).append(i)
        self.joined = "\0".join(self.text)  # a name holds no NUL, so no match spans two paragraphs
        self.starts = [0]
        for t in self.text[:-1]:
            self.starts.append(self.starts[-1] + len(t) + 1)

    def year_of(self, i: int) -> int | None:
        return self.meta.get(self.doc[i], ("", None))[1]

    def containing(self, names: Iterable[str]) -> list[int]:
        """Rows whose text contains any of ``names`` (literally), in order."""
        rows: set[int] = set()
        if not self.text:
            return []
        for name in names:
            at = self.joined.find(name)
            while at >= 0:
                row = bisect.bisect_right(self.starts, at) - 1
                rows.add(row)
                at = self.joined.find(name, self.starts[row + 1]) if row + 1 < len(self.starts) else -1
        return sorted(rows)

    def rows(self, *, category: str | None = None, term: str | None = None, year: int | None = None, names: Sequence[str] | None = None) -> list[int]:
        """Rows of the paragraphs that pass the filters, in order (``names``: the term's
        spellings, default the term and its aliases in the lexicon)."""
        rows = self.by_label.get(str(category), []) if category is not None else range(len(self.text))
        if year is not None:
            rows = [i for i in rows if self.year_of(i) == int(year)]
        if term is not None:
            found = set(self.containing(names if names is not None else lexicon_aliases(self.lexicon, term)))
            rows = [i for i in rows if i in found]
        return list(rows)

    def pick(self, rows: Iterable[int], n: int) -> list[int]:
        """The first ``n`` of ``rows`` by the rule above."""
        import heapq

        nth: dict[str, int] = {}
        keyed = []
        for i in rows:
            doc = self.doc[i]
            k = nth[doc] = nth.get(doc, -1) + 1
            year = self.year_of(i)
            keyed.append((self.rank[i], k, year is None, year or 0, doc, i))
        return [i for *_, i in heapq.nsmallest(n, keyed)]  # the row number last: ties keep order

    def records(self, rows: Iterable[int]) -> list[dict]:
        """``doc_id, para_id, title, year, text`` of each row (title '' for an unknown document)."""
        out = []
        for i in rows:
            title, year = self.meta.get(self.doc[i], ("", None))
            out.append({"doc_id": self.doc[i], "para_id": self.para[i], "title": title, "year": year, "text": self.text[i]})
        return out

    def frame(self, rows: Sequence[int]) -> pd.DataFrame:
        """The rows as :func:`examples` returns them (years Int64, title NaN when the document
        is not in ``documents``)."""
        rows = list(rows)
        if not rows:
            return _empty(EXAMPLE_COLUMNS)
        known = [self.doc[i] in self.meta for i in rows]
        return pd.DataFrame({
            "doc_id": [self.doc[i] for i in rows],
            "para_id": self.paragraphs["para_id"].iloc[rows].reset_index(drop=True),
            "title": pd.Series([self.meta[self.doc[i]][0] if k else np.nan for i, k in zip(rows, known)], dtype=self._title_dtype),
            "year": pd.array([self.year_of(i) for i in rows], dtype="Int64"),
            "label": [self.label[i] for i in rows],
            "text": [self.text[i] for i in rows],
        })


def examples(
    paragraphs: pd.DataFrame,
    documents: pd.DataFrame,
    *,
    category: str | None = None,
    term: str | None = None,
    year: int | None = None,
    n: int = 5,
    lexicon: pd.DataFrame | None = None,
    min_chars: int = EXAMPLE_MIN_CHARS,
) -> pd.DataFrame:
    """Example paragraphs with their document: ``doc_id, para_id, title, year, label, text``.

    Filters by category (paragraph label), term (literal match of the term or its lexicon
    aliases) and year. Body paragraphs of at least ``min_chars`` characters are preferred;
    at most one example per document first, then more, in document/paragraph order (see
    :class:`ExampleIndex`, which serves many queries over the same paragraphs).
    """
    if paragraphs is None or paragraphs.empty:
        return _empty(EXAMPLE_COLUMNS)
    index = ExampleIndex(paragraphs, documents, lexicon=lexicon, min_chars=min_chars)
    return index.frame(index.pick(index.rows(category=category, term=term, year=year), n))
