"""Concordance: keyword in context, with the matching rules of :class:`~pipeline.terms.TermMatcher`."""

from __future__ import annotations

from typing import TYPE_CHECKING

from pipeline.terms.match import TermMatcher

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

    from pipeline.lexicon import Lexicon


def kwic(
    paragraphs: "pd.DataFrame",
    documents: "pd.DataFrame",
    term: str,
    *,
    window: int = 20,
    lexicon: "Lexicon | None" = None,
) -> "pd.DataFrame":
    """Keyword in context, like quanteda's ``kwic``: one row per occurrence of ``term``.

    When ``lexicon`` knows ``term`` (as a term or an alias), every surface form of that entry
    matches (with the folding and quote rules of :class:`TermMatcher`), even where it sits
    inside a longer formulation; otherwise ``term`` is matched literally (same rules).
    Columns: ``doc_id, year, title, left, match, right, para_id`` (``match`` is the original
    text, ``left``/``right`` at most ``window`` characters of the same paragraph).
    """
    import pandas as pd

    from pipeline.lexicon import Entry, Lexicon

    columns = ["doc_id", "year", "title", "left", "match", "right", "para_id"]
    term = (term or "").strip()
    entry = lexicon.by_term(term) if lexicon is not None else None
    if entry is None:
        entry = Entry(term, (), "综合", None, "local", "", 0)
    matcher = TermMatcher(Lexicon([entry]))
    docs = (
        documents.drop_duplicates("doc_id").set_index(documents.drop_duplicates("doc_id")["doc_id"].astype(str))
        if documents is not None and "doc_id" in documents
        else None
    )
    rows = []
    if term and paragraphs is not None and len(paragraphs):
        texts = paragraphs["text"].tolist()
        doc_ids = paragraphs["doc_id"].astype(str).tolist()
        para_ids = paragraphs["para_id"].tolist() if "para_id" in paragraphs else list(range(len(texts)))
        for text, doc_id, para_id in zip(texts, doc_ids, para_ids):
            if not isinstance(text, str) or not text:
                continue
            for m in matcher.finditer(text):
                left = text[max(0, m.start - window) : m.start]
                right = text[m.end : m.end + window]
                rows.append([doc_id, None, "", " ".join(left.split()), text[m.start : m.end], " ".join(right.split()), para_id])
    out = pd.DataFrame(rows, columns=columns)
    if docs is not None and len(out):
        if "year" in docs:
            years = pd.to_numeric(docs["year"], errors="coerce")
            out["year"] = out["doc_id"].map(years).astype("Int64")
        if "title" in docs:
            out["title"] = out["doc_id"].map(docs["title"]).fillna("").astype(str)
    else:
        out["year"] = out["year"].astype("Int64")
    return out
