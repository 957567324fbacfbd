"""The aggregate tables of a run (term counts and trends, keyword tables, category shares,
documents with their shares), computed by :mod:`pipeline.trends` from the collector's frames."""

from __future__ import annotations


def aggregate_tables(
    docs, paras, log, hits, words, labels: list[str], *, orgs=None, by: tuple[str, ...] = (), group_words: dict | None = None
) -> dict:
    """name -> frame of every table written from the frames (see ``collector.frames``).

    ``orgs`` (a :class:`pipeline.orgs.OrgNames`) normalises ``org`` (the raw name is kept as
    ``org_raw``). Each column of ``by`` adds ``term_trends_by_<col>``, ``category_shares_by_<col>``,
    ``keyword_frequencies_by_<col>`` and ``keywords_by_<col>`` (first column ``<col>``)."""
    from pipeline import trends

    if orgs is not None and len(docs) and "org" in docs:
        raw = docs["org"].astype(object).where(docs["org"].notna(), "").astype(str)
        docs = docs.assign(org=raw.map(orgs), org_raw=raw)
    term_counts = trends.term_counts(hits, docs)
    tables = {
        "documents": docs.merge(trends.document_shares(paras, labels), on="doc_id", how="left") if len(docs) else docs,
        "ingest_log": log,
        "term_counts": term_counts,
        "term_trends": trends.term_trends(term_counts, docs),
        "keyword_frequencies": trends.keyword_frequencies(None, docs, year_words=words),
        "keywords_by_year": trends.keywords_by_year(None, docs, year_words=words),
        "category_shares": trends.category_shares(paras, docs, labels),
    }
    for col in by:
        if col not in docs.columns:
            continue
        tables[f"term_trends_by_{col}"] = trends.term_trends(term_counts, docs, by=col)
        tables[f"category_shares_by_{col}"] = trends.category_shares(paras, docs, labels, by=col)
        gw = (group_words or {}).get(col)
        if gw is not None:
            tables[f"keyword_frequencies_by_{col}"] = trends.keyword_frequencies(None, docs, year_words=gw, by=col)
            tables[f"keywords_by_{col}"] = trends.keywords_by_year(None, docs, year_words=gw, by=col)
    return tables


def import_aggregates() -> None:
    """The aggregates' imports (~0.35 s), done while the workers start on the first files."""
    import pandas  # noqa: F401
    import pyarrow.parquet  # noqa: F401
