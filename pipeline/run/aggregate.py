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


def stored_calibration(calibration: dict | None, labels: list[str]):
    """The :class:`pipeline.quantify.Calibration` of what the model stored next to itself, or
    None when there is none for these ``labels``. Reads both stored forms: the JSON lists of
    ``pipeline.classify.calibrate`` (``true`` label strings, ``posteriors``, ``groups`` =
    documents, ``weights`` = lengths, ``sources`` = kind of source) and the arrays of a
    ``.calibration.npz`` (``labels`` codes into ``label_order``, ``groups`` codes into ``docs``,
    ``source_group``; no lengths: every row weighs 1)."""
    import numpy as np

    from pipeline import quantify

    if not calibration:
        return None
    if "label_order" in calibration:  # the arrays form
        order = [str(v) for v in np.asarray(calibration["label_order"]).tolist()]
        true = np.asarray(order, dtype=object)[np.asarray(calibration["labels"], dtype=np.int64)]
        groups = (
            np.asarray(calibration["docs"], dtype=object)[np.asarray(calibration["groups"], dtype=np.int64)]
            if "docs" in calibration
            else calibration["groups"]
        )
        weights, sources = None, calibration.get("source_group")
    else:
        order = [str(v) for v in calibration.get("labels", [])]
        true, groups = np.asarray(calibration["true"], dtype=object), np.asarray(calibration["groups"], dtype=object)
        weights, sources = calibration.get("weights"), calibration.get("sources")
    if order != list(labels):
        return None
    return quantify.Calibration.from_arrays(
        true,
        np.asarray(calibration["posteriors"], dtype=float),
        groups,
        labels,
        weights=None if weights is None else np.asarray(weights, dtype=float),
        sources=None if sources is None else np.asarray(sources, dtype=object),
    )


def share_tables(paras, docs, labels: list[str], calibration: dict | None, *, by: tuple[str, ...] = (), all_paragraphs: bool = False) -> dict:
    """``category_shares`` (by year) and ``category_shares_by_<col>``: character shares corrected
    for the classifier's measured errors (:func:`pipeline.quantify.estimate_shares`, its default
    method) with 95% intervals, ``share_raw`` (classify and count), ``n_docs`` and ``small_group``
    (columns: ``pipeline.schema.CATEGORY_SHARES``). Body paragraphs and list items only unless
    ``all_paragraphs`` (headings and table rows are left out by default). Without a calibration
    for ``labels`` (no labels, a model stored without one) the shares are classify-and-count and
    the ``method`` column says ``cc``."""
    import pandas as pd

    from pipeline import quantify, trends

    body = paras if all_paragraphs or "kind" not in paras else paras[paras["kind"].astype(str).isin(SHARE_KINDS)]
    p_cols = [f"p_{lab}" for lab in labels]
    cal = stored_calibration(calibration, labels) if all(c in body for c in p_cols) else None
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
            table = trends.category_shares(p.drop(columns="key"), docs, labels, by=key)
        if col == "year" and len(table):
            table[col] = pd.array([int(v) for v in table[col]], dtype="Int64")
        out[name] = table.reset_index(drop=True)
    return out


def _ci(block: dict, key: str = "macro_f1") -> tuple:
    """(value, low, high) of a quality block in either stored form: ``macro_f1`` with
    ``macro_f1_low``/``macro_f1_high`` or with a ``macro_f1_ci`` pair."""
    ci = block.get(f"{key}_ci")
    low, high = (ci[0], ci[1]) if isinstance(ci, (list, tuple)) and len(ci) == 2 else (block.get(f"{key}_low"), block.get(f"{key}_high"))
    return block.get(key), low, high


def _named_ci(name: str, block: dict | None) -> dict:
    """``<name>_macro_f1``, ``_low`` and ``_high`` of a summary block ({} without one)."""
    if not block:
        return {}
    value, low, high = _ci(block)
    return {f"{name}_macro_f1": value, f"{name}_macro_f1_low": low, f"{name}_macro_f1_high": high}


def classifier_info(settings, calibration: dict | None, paras, shares, model: str | None = None) -> dict:
    """What ``classifier.json`` says: the model, its measured macro-F1 with a 95% interval (the
    headline evaluation, and the document-grouped cross-validation one as ``cv_macro_f1``; the
    leave-one-source-group-out one as ``loso_macro_f1`` and the site-grouped one as
    ``sites_macro_f1`` when measured), per-category F1, the
    share of the run's paragraphs flagged uncertain, and how the shares were corrected."""
    quality = dict((calibration or {}).get("quality") or {})
    method = str(shares["method"].iloc[0]) if shares is not None and len(shares) and "method" in shares else "cc"
    note = (shares.attrs.get("method_note") if shares is not None else None) or ""
    if not note:
        note = "classify and count (not corrected: no measured error rates for this taxonomy)"
    headline, low, high = _ci(quality)
    evaluation = quality.get("evaluation")
    if quality and not evaluation:
        evaluation = (
            "leave one source group out (mean over the groups)" if quality.get("headline") == "loso" else "cross-validation grouped by document"
        )
    cv = quality.get("cv") if isinstance(quality.get("cv"), dict) else None
    if cv is not None:
        cv_f1, cv_low, cv_high = _ci(cv)
    elif "cross-validation" in str(evaluation):  # the headline is the cross-validation
        cv_f1, cv_low, cv_high = headline, low, high
    else:
        cv_f1 = cv_low = cv_high = None
    loso = quality.get("loso") if isinstance(quality.get("loso"), dict) else None
    sites = quality.get("sites") if isinstance(quality.get("sites"), dict) else None
    flags = paras["uncertain"] if "uncertain" in paras else None
    info = {
        "taxonomy": settings.taxonomy,
        "model": model or quality.get("model"),
        "experimental": bool(quality.get("experimental", settings.taxonomy != "four")) if quality else settings.taxonomy != "four",
        "note": str(quality.get("note") or "")
        if quality
        else (
            "six-way: the four-way probabilities split by keywords; no measured six-way quality (experimental)" if settings.taxonomy != "four" else ""
        ),
        "evaluation": evaluation,
        "macro_f1": headline,
        "macro_f1_low": low,
        "macro_f1_high": high,
        "cv_macro_f1": cv_f1,
        "cv_macro_f1_low": cv_low,
        "cv_macro_f1_high": cv_high,
        **_named_ci("loso", loso),
        **_named_ci("sites", sites),
        "per_class_f1": quality.get("per_class_f1"),
        **{k: quality[k] for k in ("by_source_kind", "n_labels", "label_counts") if k in quality},
        "uncertain_share": round(float(flags.mean()), 4) if flags is not None and len(flags) else None,
        "uncertain_below": settings.uncertain_below,
        "share_method": note,
        "share_method_id": method,
    }
    if not quality:
        info["measured"] = False
    return info


def write_classifier_info(out_dir, settings, calibration: dict | None, paras, shares) -> tuple[str, dict]:
    """``OUT_DIR/classifier.json`` (:func:`classifier_info`; for report.html, the charts and the
    analyst), written before the chart process starts; returns its name and its content."""
    import json
    from pathlib import Path

    from pipeline.atomic import write_text

    model = None
    if calibration is not None:
        from pipeline.classify.files import model_path, read_sidecar

        model = (read_sidecar(model_path(settings.models_dir, settings.taxonomy)) or {}).get("model")
    info = classifier_info(settings, calibration, paras, shares, model)
    write_text(Path(out_dir) / "classifier.json", json.dumps(info, ensure_ascii=False, indent=1))
    return "classifier.json", info


def quality_line(info: dict) -> str:
    """One line of the run summary: the classifier's measured quality and the share correction."""

    def f(v):
        return "–" if v is None else f"{float(v):.3f}"

    parts = [f"classifier {info.get('model') or '?'} ({info.get('taxonomy')}{', EXPERIMENTAL' if info.get('experimental') else ''})"]
    if info.get("macro_f1") is not None:
        ci = f" [95% {f(info.get('macro_f1_low'))}–{f(info.get('macro_f1_high'))}]" if info.get("macro_f1_low") is not None else ""
        parts.append(f"macro-F1 {f(info['macro_f1'])}{ci} ({info.get('evaluation') or 'measured'})")
        if info.get("sites_macro_f1") is not None:
            parts.append(f"new organisations of known kinds {f(info['sites_macro_f1'])}")
        if info.get("loso_macro_f1") is not None and info.get("cv_macro_f1") is not None:
            parts.append(f"cross-validation {f(info['cv_macro_f1'])}")
    else:
        parts.append("quality not measured")
    per = info.get("per_class_f1") or {}
    if per:
        parts.append("F1 " + ", ".join(f"{k} {f(v)}" for k, v in per.items()))
    if info.get("uncertain_share") is not None:
        parts.append(f"{float(info['uncertain_share']) * 100:.1f}% of paragraphs uncertain (top probability < {info.get('uncertain_below')})")
    parts.append(str(info.get("share_method") or ""))
    return "; ".join(p for p in parts if p)
