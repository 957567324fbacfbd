"""Concordance: keyword in context, with the matching rules of :class:`~pipeline.terms.TermMatcher`
and the requests of :class:`~pipeline.terms.query.TermQuery` (formulations, strings, patterns)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from pipeline.terms.query import TermQuery

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

    from pipeline.lexicon import Lexicon


def kwic(
    paragraphs: pd.DataFrame,
    documents: pd.DataFrame,
    term: str | TermQuery,
    *,
    window: int = 20,
    lexicon: Lexicon | None = None,
) -> pd.DataFrame:
    """Keyword in context, like quanteda's ``kwic``: one row per occurrence of ``term``.

    ``term`` is any request of :class:`~pipeline.terms.query.TermQuery`: a lexicon formulation
    (every surface form of the entry matches, with the folding, quote and simplified-view rules of
    :class:`TermMatcher`, even where it sits inside a longer formulation), any other string
    (matched literally, same rules), ``两个*`` or ``re:REGEX``.
    Columns: ``doc_id, year, title, left, match, right, para_id, term`` (``match`` is the original
    text, ``left``/``right`` at most ``window`` characters of the same paragraph, ``term`` the
    formulation the occurrence counts under: for a pattern, the one found).
    """
    import pandas as pd

    columns = ["doc_id", "year", "title", "left", "match", "right", "para_id", "term"]
    query = term if isinstance(term, TermQuery) else (TermQuery(term, lexicon) if (term or "").strip() else None)
    docs = (
        documents.drop_duplicates("doc_id").set_index(documents.drop_duplicates("doc_id")["doc_id"].astype(str))
        if documents is not None and "doc_id" in documents
        else None
    )
    rows = []
    if query is not None and paragraphs is not None and len(paragraphs):
        texts = paragraphs["text"].tolist()
        doc_ids = paragraphs["doc_id"].astype(str).tolist()
        para_ids = paragraphs["para_id"].tolist() if "para_id" in paragraphs else list(range(len(texts)))
        for i, m in query.findall(texts):
            text = texts[i]
            left = text[max(0, m.start - window) : m.start]
            right = text[m.end : m.end + window]
            rows.append([doc_ids[i], None, "", " ".join(left.split()), text[m.start : m.end], " ".join(right.split()), para_ids[i], m.term])
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
