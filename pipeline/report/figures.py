"""The run's figures, from a finished run's OUT_DIR: :func:`make_figures` draws the six charts
of :mod:`pipeline.report.charts` into ``OUT_DIR/figures/`` (PNG + SVG, written atomically through
:mod:`pipeline.store`), :func:`plot_terms` the trend of chosen formulations.

The numbers come from :class:`pipeline.store.runs.RunTables` and :mod:`pipeline.trends`; this
module only picks which rows each chart shows: the formulation charts prefer 提法 (numbered and
fixed formulations) to 术语 (institutional terms), see :func:`pipeline.report.lookup.preferred_terms`;
the category chart draws the 95% intervals of ``category_shares.csv`` when the run wrote them
(:func:`category_intervals`) and says "experimental" when ``classifier.json`` does.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterable, Sequence
from pathlib import Path

import pandas as pd

from pipeline import trends
from pipeline.errors import InputError
from pipeline.report.charts import (
    TIMELINE_TERMS,
    category_chart,
    documents_chart,
    heatmap_chart,
    keywords_chart,
    timeline_chart,
    trend_chart,
)
from pipeline.report.lookup import TIFA, preferred_terms, term_kinds

FIGURE_NAMES = ("category_shares", "heatmap_terms", "trend_terms", "first_appearance", "keywords_by_year", "documents_per_year")
FIGURE_FORMATS = ("png", "svg")  # what Chart.save writes
HEATMAP_TERMS = 20
TREND_TERMS = 6
#: tables the charts do not read (left unloaded)
NOT_FOR_CHARTS = ("paragraphs", "candidates", "keyword_frequencies", "ingest_log")
SMALL_GROUP_DOCS = 5  # a year with fewer documents is marked in the category chart
CLASSIFIER_FILE = "classifier.json"


def slug(text: str, max_len: int = 60) -> str:
    """File-name-safe slug that keeps Chinese characters: '两个维护 四个意识' -> '两个维护_四个意识'."""
    s = re.sub(r"[^\w]+", "_", text, flags=re.UNICODE).strip("_") or "terms"
    if len(s) > max_len:
        s = s[: max_len - 9] + "_" + hashlib.sha1(text.encode("utf-8")).hexdigest()[:8]
    return s


# --------------------------------------------------------------------------- from a run folder
def load_tables(out_dir, skip: Iterable[str] = ()):
    """The run's tables (:class:`pipeline.store.runs.RunTables`); an input error if ``out_dir``
    is not a finished run."""
    from pipeline.store.runs import RunTables

    out_dir = Path(out_dir)
    if not out_dir.is_dir():
        raise InputError(f"output folder {out_dir} does not exist", f"run `dangjian run RAW_DIR --out {out_dir}` first")
    return RunTables.load(out_dir, skip=skip)


def term_trends(tables) -> pd.DataFrame:
    """The run's ``term_trends`` table; computed by :func:`pipeline.trends.term_trends` from
    ``term_counts`` when the run has none (as ``RunTables.trend`` does)."""
    if not tables.term_trends.empty or tables.term_counts.empty:
        return tables.term_trends
    return trends.term_trends(tables.term_counts, tables.documents)


def classifier_info(tables) -> dict | None:
    """How good the run's classifier is (``OUT_DIR/classifier.json``, written by the run): a dict
    with ``macro_f1``, ``per_class_f1``, ``experimental``, ...; None when the run wrote none (or
    it cannot be read). ``tables.classifier`` is used when the run's tables carry it."""
    info = getattr(tables, "classifier", None)
    if isinstance(info, dict):
        return info
    path = Path(getattr(tables, "out_dir", ".")) / CLASSIFIER_FILE
    try:
        info = json.loads(path.read_text(encoding="utf-8-sig"))
    except (OSError, ValueError):
        return None
    return info if isinstance(info, dict) else None


def is_experimental(info: dict | None) -> bool:
    return bool(info) and info.get("experimental") in (True, "true", "True", 1, "1", "yes")


def _as_bool(values: pd.Series) -> pd.Series:
    if pd.api.types.is_bool_dtype(values):
        return values.fillna(False).astype(bool)
    return values.astype(str).str.strip().str.lower().isin(["true", "1", "yes"])


def category_intervals(tables, labels, n_docs: pd.Series) -> tuple[pd.DataFrame | None, pd.DataFrame | None, list[int]]:
    """(share_low, share_high) as year x category tables when ``category_shares`` has them (the
    run's 95% intervals; None for a table without, or with only empty ones: classify and count),
    and the years of fewer than SMALL_GROUP_DOCS documents (the table's ``small_group``, else
    from ``n_docs``)."""
    cs = tables.category_shares
    low = high = None
    if cs is not None and not cs.empty and {"share_low", "share_high"} <= set(cs.columns) and cs["share_low"].notna().any():
        low = trends.category_matrix(cs, labels, value="share_low")
        high = trends.category_matrix(cs, labels, value="share_high")
    small: list[int] = []
    if cs is not None and not cs.empty and "small_group" in cs.columns and "year" in cs.columns:
        years = trends.as_year(cs["year"])
        flag = _as_bool(cs["small_group"])
        small = sorted({int(y) for y, f in zip(years, flag) if f and not pd.isna(y)})
    elif n_docs is not None and len(n_docs):
        small = [int(y) for y, n in n_docs.items() if not pd.isna(n) and 0 < int(n) < SMALL_GROUP_DOCS]
    return low, high, small


def current_figures(out_dir: Path) -> list[Path] | None:
    """The standard figures if all exist and are newer than every table (else None: redraw)."""
    fig_dir = out_dir / "figures"
    paths = [fig_dir / f"{n}.png" for n in FIGURE_NAMES]
    if not all(p.is_file() for p in paths):
        return None
    tables = [p for p in out_dir.iterdir() if p.suffix in (".csv", ".parquet")]
    newest_table = max((p.stat().st_mtime for p in tables), default=0)
    if min(p.stat().st_mtime for p in paths) < newest_table:
        return None
    return paths


def make_figures(
    out_dir: Path | str,
    *,
    dpi: int = 150,
    terms: Sequence[str] | None = None,
    measure: str = "per_10k",
    only: Iterable[str] | None = None,
    corpus=None,
) -> list[Path]:
    """Draw every chart of a finished run into ``OUT_DIR/figures/`` (PNG and SVG); return paths.

    (a) category_shares, (b) heatmap_terms (the 20 most used, 提法 first), (c) trend_terms
    (``terms``, default the 6 most used 提法), (d) first_appearance (the 30 used in most
    documents, 提法 first), (e) keywords_by_year, (f) documents_per_year. ``only`` draws a
    subset (names from FIGURE_NAMES). ``corpus`` is the run's tables when the caller already
    has them (default: read from ``out_dir``)."""
    measure = getattr(measure, "value", measure)
    if measure not in ("per_10k", "doc_share"):
        raise InputError(f"unknown measure {measure!r}", "use per_10k or doc_share")
    wanted = set(FIGURE_NAMES if only is None else only)
    c = corpus if corpus is not None else load_tables(out_dir, skip=NOT_FOR_CHARTS)
    fig_dir = Path(out_dir) / "figures"
    tt = term_trends(c)
    n_docs = c.docs_per_year()
    paths: list[Path] = []
    if "category_shares" in wanted:
        shares = c.shares(by="year")
        shares = shares.reindex(columns=c.labels) if not shares.empty else shares
        low, high, small = category_intervals(c, c.labels, n_docs)
        chart = category_chart(shares, n_docs, low=low, high=high, small=small, experimental=is_experimental(classifier_info(c)))
        paths += chart.save(fig_dir, "category_shares", dpi=dpi)
    if "heatmap_terms" in wanted:
        heat_terms = preferred_terms(tt, c.lexicon, HEATMAP_TERMS)
        paths += heatmap_chart(trends.trend_matrix(tt, heat_terms, measure, years=n_docs.index), measure).save(fig_dir, "heatmap_terms", dpi=dpi)
    if "trend_terms" in wanted:
        chosen = list(terms) if terms else preferred_terms(tt, c.lexicon, TREND_TERMS)
        paths += trend_chart(trends.trend_matrix(tt, chosen, measure, years=n_docs.index), measure, n_docs).save(fig_dir, "trend_terms", dpi=dpi)
    if "first_appearance" in wanted:
        first = c.first_appearance()
        if not first.empty:
            kinds = term_kinds(c.lexicon, first["term"].astype(str))
            first = first.assign(_other=[kinds[t] != TIFA for t in first["term"].astype(str)])  # 提法 first
            first = first.sort_values(["_other", "n_docs"], ascending=[True, False], kind="stable").head(TIMELINE_TERMS)
            first = first.drop(columns="_other").sort_values(["first_year_corpus", "term"], na_position="last")
        paths += timeline_chart(first).save(fig_dir, "first_appearance", dpi=dpi)
    if "keywords_by_year" in wanted:
        paths += keywords_chart(c.keywords_by_year).save(fig_dir, "keywords_by_year", dpi=dpi)
    if "documents_per_year" in wanted:
        paths += documents_chart(n_docs).save(fig_dir, "documents_per_year", dpi=dpi)
    return paths


def plot_terms(out_dir: Path | str, terms: Sequence[str], *, measure: str = "per_10k", dpi: int = 150, corpus=None) -> list[Path]:
    """``figures/terms_<slug>.png/.svg``: trend of the given formulations (``RunTables.trend``:
    terms outside the lexicon and patterns are counted on the fly). ``corpus`` is the run's
    tables when the caller already has them (default: read from ``out_dir``)."""
    measure = getattr(measure, "value", measure)
    c = corpus if corpus is not None else load_tables(out_dir, skip=NOT_FOR_CHARTS)
    chart = trend_chart(c.trend(*terms, measure=measure), measure, c.docs_per_year())
    return chart.save(Path(out_dir) / "figures", f"terms_{slug(' '.join(terms))}", dpi=dpi)
