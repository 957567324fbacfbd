"""Example paragraphs for the report and the API: spread across years, the most confident first."""

from __future__ import annotations

import bisect
from typing import Iterable, Sequence

import numpy as np
import pandas as pd

from pipeline.lexicon import ALIAS_SEP
from pipeline.trends.frames import EXAMPLE_COLUMNS, as_year, empty


def lexicon_aliases(lexicon: pd.DataFrame | None, term: str) -> list[str]:
    """``term`` and its aliases from a lexicon table, ``aliases`` split as the lexicon file
    splits them: on ``|`` only (:data:`pipeline.lexicon.ALIAS_SEP`), so an alias holding
    、 or ， ('忠诚、干净、担当') is one alias, as the matcher counts it."""
    names = [term]
    if lexicon is not None and not lexicon.empty and "term" in lexicon and "aliases" in lexicon:
        for raw in lexicon.loc[lexicon["term"].astype(str) == term, "aliases"].dropna().astype(str):
            names += [a.strip() for a in raw.split(ALIAS_SEP) if a.strip()]
    return list(dict.fromkeys(n for n in names if n))


EXAMPLE_MIN_CHARS = 20  # body paragraphs at least this long are preferred as examples


class ExampleIndex:
    """Paragraphs and their documents indexed once, for many example queries (the report asks
    a few dozen): plain lists, a text of all paragraphs joined by NUL for term search, and the
    picking rule of :func:`examples`.

    Rule: body/item paragraphs of at least ``min_chars`` characters first; at most one per
    document before a second one; then by year (unknown last), document and paragraph order.
    """

    def __init__(
        self, paragraphs: pd.DataFrame, documents: pd.DataFrame | None, *, lexicon: pd.DataFrame | None = None, min_chars: int = EXAMPLE_MIN_CHARS
    ):
        p = paragraphs if paragraphs is not None else pd.DataFrame()
        self.paragraphs = p
        self.lexicon = lexicon

        def column(frame: pd.DataFrame, name: str, default) -> list:
            return frame[name].tolist() if name in frame else [default] * len(frame)

        self.meta: dict[str, tuple] = {}  # doc_id -> (title, year or None); the first row wins
        self._title_dtype = documents["title"].dtype if documents is not None and "title" in documents else None
        if documents is not None and not documents.empty and "doc_id" in documents:
            years = as_year(documents["year"]).tolist() if "year" in documents else [None] * len(documents)
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
            return empty(EXAMPLE_COLUMNS)
        known = [self.doc[i] in self.meta for i in rows]
        return pd.DataFrame(
            {
                "doc_id": [self.doc[i] for i in rows],
                "para_id": self.paragraphs["para_id"].iloc[rows].reset_index(drop=True),
                "title": pd.Series([self.meta[self.doc[i]][0] if k else np.nan for i, k in zip(rows, known)], dtype=self._title_dtype),
                "year": pd.array([self.year_of(i) for i in rows], dtype="Int64"),
                "label": [self.label[i] for i in rows],
                "text": [self.text[i] for i in rows],
            }
        )


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
        return empty(EXAMPLE_COLUMNS)
    index = ExampleIndex(paragraphs, documents, lexicon=lexicon, min_chars=min_chars)
    return index.frame(index.pick(index.rows(category=category, term=term, year=year), n))
