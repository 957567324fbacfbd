"""The aggregate tables of a run (term counts and trends, keyword tables, category shares,
documents with their shares), computed by :mod:`pipeline.trends` from the collector's frames."""

from __future__ import annotations


def aggregate_tables(
    docs,
    paras,
    log,
    hits,
    words,
    labels: list[str],
    *,
    orgs=None,
    by: tuple[str, ...] = (),
    group_words: dict | None = None,
    calibration: dict | None = None,
    all_paragraphs: bool = False,
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
    }
    if labels:
        tables.update(share_tables(paras, docs, labels, calibration, by=by, all_paragraphs=all_paragraphs))
    else:
        tables["category_shares"] = trends.category_shares(paras, docs, labels)
    for col in by:
        if col not in docs.columns:
            continue
        tables[f"term_trends_by_{col}"] = trends.term_trends(term_counts, docs, by=col)
        gw = (group_words or {}).get(col)
        if gw is not None:
            tables[f"keyword_frequencies_by_{col}"] = trends.keyword_frequencies(None, docs, year_words=gw, by=col)
            tables[f"keywords_by_{col}"] = trends.keywords_by_year(None, docs, year_words=gw, by=col)
    return tables


def import_aggregates() -> None:
    """The aggregates' imports (~0.35 s), done while the workers start on the first files."""
    import pandas  # noqa: F401
    import pyarrow.parquet  # noqa: F401


SHARE_KINDS = ("body", "item")  # headings and table rows are left out of the shares by default


def share_tables(paras, docs, labels: list[str], calibration: dict | None, *, by: tuple[str, ...] = (), all_paragraphs: bool = False) -> dict:
    """``category_shares`` (by year) and ``category_shares_by_<col>``: character shares corrected
    for the classifier's measured errors (:func:`pipeline.quantify.estimate_shares`, PACC) with 95%
    intervals, ``share_raw`` (classify and count), ``n_docs`` and ``small_group``. Body paragraphs
    only unless ``all_paragraphs``. Without a calibration (six-way scheme, no labels) the shares are
    classify-and-count and the ``method`` column says ``cc``."""
    import numpy as np
    import pandas as pd

    from pipeline import quantify, trends

    body = paras if all_paragraphs or "kind" not in paras else paras[paras["kind"].astype(str).isin(SHARE_KINDS)]
    p_cols = [f"p_{lab}" for lab in labels]
    cal = None
    if calibration is not None and list(calibration.get("labels", [])) == list(labels) and all(c in body for c in p_cols):
        cal = quantify.Calibration.from_arrays(
            np.asarray(calibration["true"], dtype=object),
            np.asarray(calibration["posteriors"], dtype=float),
            np.asarray(calibration["groups"], dtype=object),
            labels,
            weights=np.asarray(calibration["weights"], dtype=float),
        )
    out = {}
    for key in ("year", *by):
        if key != "year" and key not in docs.columns:
            continue
        frame = trends.doc_frame(docs, key)[["doc_id", "key"]]
        p = body.merge(frame, on="doc_id", how="inner")
        p = p[p["key"].notna() & p["label"].isin(labels)]
        name = "category_shares" if key == "year" else f"category_shares_by_{key}"
        col = trends.group_key(key)
        if cal is not None and len(p):
            groups = pd.Series(p["key"].to_numpy(), name=col)
            table = quantify.estimate_shares(
                p[p_cols].to_numpy(), p["label"].to_numpy(), p["n_chars"].to_numpy(), p["doc_id"].to_numpy(), groups, cal
            )
        else:
            table = trends.category_shares(p, docs, labels, by=key)
            table["share_raw"] = table["share"] if len(table) else []
            table["share_low"] = table["share_high"] = np.nan
            n_docs = p.groupby("key")["doc_id"].nunique()
            table["n_docs"] = table[col].map(n_docs).fillna(0).astype("int64") if len(table) else []
            table["small_group"] = table["n_docs"] < 5 if len(table) else []
            table["method"] = "cc"
        if col == "year" and len(table):
            table[col] = pd.array([int(v) for v in table[col]], dtype="Int64")
        out[name] = table.reset_index(drop=True)
    return out


def write_classifier_info(out_dir, settings, calibration: dict | None, paras, shares) -> str:
    """``OUT_DIR/classifier.json``: the classifier's measured quality, the share of paragraphs
    flagged uncertain and how the shares were corrected (for report.html and the analyst)."""
    import json
    from pathlib import Path

    from pipeline import quantify
    from pipeline.atomic import write_text

    method = str(shares["method"].iloc[0]) if shares is not None and len(shares) and "method" in shares else "cc"
    quality = dict((calibration or {}).get("quality") or {})
    info = {
        "taxonomy": settings.taxonomy,
        "experimental": settings.taxonomy != "four",
        "note": "six-way: the four-way probabilities split by keywords; no measured six-way quality yet (experimental)"
        if settings.taxonomy != "four"
        else "",
        **quality,
        "uncertain_share": round(float(paras["uncertain"].mean()), 4) if "uncertain" in paras and len(paras) else None,
        "share_method": quantify.method_note(method) if method != "cc" or calibration is not None else "classify and count (no calibration)",
    }
    write_text(Path(out_dir) / "classifier.json", json.dumps(info, ensure_ascii=False, indent=1))
    return "classifier.json"
