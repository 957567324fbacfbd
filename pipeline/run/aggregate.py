"""The aggregate tables of a run (term counts and trends, keyword tables, category shares,
documents with their shares), computed by :mod:`pipeline.trends` from the collector's frames."""

from __future__ import annotations


def aggregate_tables(docs, paras, log, hits, words, labels: list[str]) -> dict:
    """name -> frame of every table written from the frames (see ``collector.frames``)."""
    from pipeline import trends

    term_counts = trends.term_counts(hits, docs)
    return {
        "documents": docs.merge(trends.document_shares(paras, labels), on="doc_id", how="left") if len(docs) else docs,
        "ingest_log": log,
        "term_counts": term_counts,
        "term_trends": trends.term_trends(term_counts, docs),
        "keyword_frequencies": trends.keyword_frequencies(None, docs, year_words=words),
        "keywords_by_year": trends.keywords_by_year(None, docs, year_words=words),
        "category_shares": trends.category_shares(paras, docs, labels),
    }


def import_aggregates() -> None:
    """The aggregates' imports (~0.35 s), done while the workers start on the first files."""
    import pandas  # noqa: F401
    import pyarrow.parquet  # noqa: F401
