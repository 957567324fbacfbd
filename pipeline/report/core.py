"""Charts (PNG + SVG) and one self-contained HTML report from a finished run's OUT_DIR.

Computes no statistics: every number comes from the run's tables or from
:mod:`pipeline.trends`. The six charts are :class:`pipeline.report.canvas.Chart` pages drawn with the
bundled CJK font (no matplotlib: ~0.3 s for all six as PNG + SVG, where matplotlib took ~10 s),
written atomically through :mod:`pipeline.store`. Only :func:`terms_figure`
(``Corpus.plot_trend`` in notebooks) still returns a matplotlib figure.
"""

from __future__ import annotations

import base64
import hashlib
import html
import math
import re
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path

import pandas as pd

from pipeline import trends
from pipeline.errors import InputError
from pipeline.report.canvas import (
    AXIS,
    NO_DATA,
    TAB10,
    YLORRD,
    Axes,
    Chart,
    empty_chart,
    legend,
    legend_size,
    nice_ticks,
    ramp,
    tick_label_width,
    year_ticks,
)

MEASURE_LABELS = {
    "per_10k": "每万字出现次数 (per 10,000 chars)",
    "doc_share": "使用该提法的文件占比 (share of documents)",
    "count": "出现次数 (count)",
}
FIGURE_FORMATS = ("png", "svg")  # what Chart.save writes
HEATMAP_TERMS = 20
TREND_TERMS = 6
TIMELINE_TERMS = 30
KEYWORDS_PER_YEAR = 8
KEYWORD_PANELS = 20
REPORT_TERMS = 20
REPORT_EXAMPLES = 3
EXAMPLE_MIN_CHARS = trends.EXAMPLE_MIN_CHARS
# chart text sizes (points)
TITLE, LABEL, TICK, SMALL = 12.0, 9.0, 8.0, 7.0
BLUE, RED, GREY = TAB10[0], TAB10[3], "#999999"
MISSING = "#d9d9d9"  # heatmap cell of a year without documents


def slug(text: str, max_len: int = 60) -> str:
    """File-name-safe slug that keeps Chinese characters: '两个维护 四个意识' -> '两个维护_四个意识'."""
    s = re.sub(r"[^\w]+", "_", text, flags=re.UNICODE).strip("_") or "terms"
    if len(s) > max_len:
        s = s[: max_len - 9] + "_" + hashlib.sha1(text.encode("utf-8")).hexdigest()[:8]
    return s


def _isolated(ok: Sequence[bool]) -> bool:
    """True if some known year has unknown years on both sides (an area would not show it)."""
    return any(v and (i == 0 or not ok[i - 1]) and (i == len(ok) - 1 or not ok[i + 1]) for i, v in enumerate(ok))


def _floats(values) -> list[float]:
    return [float("nan") if pd.isna(v) else float(v) for v in values]


# --------------------------------------------------------------------------- chart layout helpers
def _plot_width(n_years: int, per_year: float = 16.0) -> float:
    return min(max(per_year * n_years, 260.0), 880.0)


def _count_labels(years: Sequence[int], n_docs: pd.Series | None, plot_w: float) -> tuple[list[str], int, float]:
    """'n=…' above each year: (labels, rotation, height); rotated when narrow, none if too narrow."""
    if n_docs is None or not len(n_docs):
        return [], 0, 0.0
    labels = [f"n={0 if pd.isna(n_docs.get(y, 0)) else int(n_docs.get(y, 0))}" for y in years]
    slot = plot_w / (len(years) + 0.2)
    widest = tick_label_width(labels, SMALL)
    if slot >= widest + 3:
        return labels, 0, SMALL * 1.4
    if slot >= SMALL + 1:
        return labels, 90, widest + 4
    return [], 0, 0.0


def _draw_count_labels(ax: Axes, years: Sequence[int], labels: list[str], rotate: int) -> None:
    for y, label in zip(years, labels):
        if rotate:
            ax.chart.text(ax.X(y), ax.y - 3, label, SMALL, color=AXIS, va="center", rotate=90, kind="count")
        else:
            ax.chart.text(ax.X(y), ax.y - 3, label, SMALL, color=AXIS, ha="center", va="bottom", kind="count")


def _title(chart: Chart, x: float, text: str) -> None:
    """The chart title centred on ``x``, moved inwards if it would stick out of the page."""
    half = Chart.text_width(text, TITLE) / 2 + 8
    chart.text(min(max(x, half), max(chart.width - half, half)), 12, text, TITLE, ha="center", va="top", kind="title")


def _year_xticks(ax: Axes, first: int, last: int, *, size: float = TICK, grid: bool = False) -> None:
    fits = int(ax.w // (Chart.text_width("0000", size) + 10))
    ax.xticks([(y, str(y)) for y in year_ticks(first, last, fits)], size, grid=grid)


def _year_chart(title: str, years: Sequence[int], ylabel: str, top_value: float, entries, n_docs=None, *, integer: bool = False, grid: bool = False):
    """A page with a title, year axis, value axis from 0, optional n= row and legend on the
    right: returns (chart, axes) ready for the data."""
    plot_w = _plot_width(len(years))
    counts, rotate, counts_h = _count_labels(years, n_docs, plot_w)
    ticks, decimals = nice_ticks(top_value, integer=integer)
    tick_labels = [f"{v:.{decimals}f}" for v in ticks]
    legend_w, legend_h = legend_size(entries, TICK) if entries else (0.0, 0.0)
    left = 10 + LABEL + 8 + tick_label_width(tick_labels, TICK) + 8
    top = 12 + TITLE + 8 + counts_h + 4
    plot_h = max(220.0, legend_h)
    right = 14 + legend_w + 10 if entries else 20
    chart = Chart(left + plot_w + right, top + plot_h + 26, title)
    _title(chart, left + plot_w / 2, title)
    ax = Axes(chart, (left, top, plot_w, plot_h), (min(years) - 0.6, max(years) + 0.6), (0.0, ticks[-1]))
    ax.yticks(list(zip(ticks, tick_labels)), TICK, grid=grid)
    chart.text(10 + LABEL / 2, top + plot_h / 2, ylabel, LABEL, ha="center", va="center", rotate=90, kind="ylabel")
    _year_xticks(ax, min(years), max(years))
    _draw_count_labels(ax, years, counts, rotate)
    if entries:
        legend(chart, left + plot_w + 14, top, entries, TICK)
    return chart, ax


# --------------------------------------------------------------------------- charts (pure drawing)
def category_chart(shares: pd.DataFrame, n_docs: pd.Series | None = None) -> Chart:
    """(a) Category shares by year: stacked areas (bars with < 3 years or isolated years);
    years without documents shaded; documents per year written above."""
    if shares is None or shares.empty or shares.notna().sum().sum() == 0:
        return empty_chart("没有已知年份的已分类段落 (no classified paragraphs with a known year)")
    years = [int(y) for y in shares.index]
    cats = [str(c) for c in shares.columns]
    ok = shares.notna().all(axis=1).tolist()
    values = [_floats(row) for row in shares.fillna(0).itertuples(index=False, name=None)]
    missing = [y for y, known in zip(years, ok) if not known]
    entries = [(cat, "patch", TAB10[i % 10]) for i, cat in enumerate(cats)]
    if missing:
        entries.append(("无文档 (no documents)", "patch", NO_DATA))
    chart, ax = _year_chart("党建类别占比（按年） Category shares by year", years, "按字数计的段落占比 (share of characters)", 1.0, entries, n_docs)
    for y in missing:
        chart.rect(ax.X(y - 0.5), ax.y, ax.X(y + 0.5) - ax.X(y - 0.5), ax.h, NO_DATA, kind="gap")
    if sum(ok) < 3 or _isolated(ok):
        for y, known, row in zip(years, ok, values):
            base = 0.0
            for i, v in enumerate(row):
                if known and v > 0:
                    chart.rect(
                        ax.X(y - 0.35), ax.Y(base + v), ax.X(y + 0.35) - ax.X(y - 0.35), ax.Y(base) - ax.Y(base + v), TAB10[i % 10], kind="bar"
                    )
                base += v
    else:
        runs, run = [], []
        for i, known in enumerate(ok + [False]):
            if known:
                run.append(i)
            elif run:
                runs.append(run)
                run = []
        for run in runs:
            base = [0.0] * len(run)
            for c in range(len(cats)):
                top = [b + values[i][c] for b, i in zip(base, run)]
                upper = [(ax.X(years[i]), ax.Y(t)) for i, t in zip(run, top)]
                lower = [(ax.X(years[i]), ax.Y(b)) for i, b in zip(run, base)]
                chart.polygon(upper + lower[::-1], TAB10[c % 10], kind="area")
                base = top
    ax.frame()
    return chart


def heatmap_chart(matrix: pd.DataFrame, measure: str = "per_10k") -> Chart:
    """(b) Heatmap: formulations (rows) x years (columns); grey = year without documents."""
    if matrix is None or matrix.empty or matrix.shape[1] == 0:
        return empty_chart("没有提法计数 (no formulation counts)")
    data = matrix.T  # rows: terms, columns: years
    terms = [str(t) for t in data.index]
    years = [int(y) for y in data.columns]
    rows = [_floats(r) for r in data.itertuples(index=False, name=None)]
    finite = [v for r in rows for v in r if not math.isnan(v)]
    vmax = max(finite, default=0.0) or 1.0
    row_h = 14.0
    plot_w, plot_h = _plot_width(len(years), 12.0), row_h * len(terms)
    ticks, decimals = nice_ticks(vmax)
    ticks = [t for t in ticks if t <= vmax * (1 + 1e-9)]
    tick_labels = [f"{t:.{decimals}f}" for t in ticks]
    left = 12 + tick_label_width(terms, 8.5) + 6
    top = 12 + TITLE + 12
    cb_x = left + plot_w + 14
    title = f"主要提法逐年热力图 Top formulations by year ({measure})"
    chart = Chart(cb_x + 10 + 5 + tick_label_width(tick_labels, SMALL) + 8 + TICK + 12, top + plot_h + 44, title)
    _title(chart, left + plot_w / 2, title)
    ax = Axes(chart, (left, top, plot_w, plot_h), (years[0] - 0.5, years[-1] + 0.5), (0.0, 1.0))
    for r, (term, row) in enumerate(zip(terms, rows)):
        y0 = top + r * row_h
        for year, v in zip(years, row):
            x0 = ax.X(year - 0.5)
            # 0.3 pt overlap: no hairline seams between cells where SVG viewers anti-alias edges
            chart.rect(x0, y0, ax.X(year + 0.5) - x0 + 0.3, row_h + 0.3, MISSING if math.isnan(v) else ramp(YLORRD, v / vmax), kind="cell")
        chart.text(left - 5, y0 + row_h / 2, term, 8.5, ha="right", va="center", kind="ytick")
    ax.frame()
    _year_xticks(ax, years[0], years[-1])
    if any(math.isnan(v) for r in rows for v in r):
        legend(chart, left, top + plot_h + 24, [("无文档 (no documents)", "patch", MISSING)], SMALL, horizontal=True)
    # colour bar
    steps = 64
    for i in range(steps):
        chart.rect(cb_x, top + plot_h * (1 - (i + 1) / steps), 10, plot_h / steps + 0.3, ramp(YLORRD, (i + 0.5) / steps), kind="colorbar")
    bar = Axes(chart, (cb_x, top, 10, plot_h), (0.0, 1.0), (0.0, vmax))
    bar.frame()
    for t, label in zip(ticks, tick_labels):
        chart.line([(cb_x + 10, bar.Y(t)), (cb_x + 13, bar.Y(t))], AXIS, 0.8, kind="tick")
        chart.text(cb_x + 15, bar.Y(t), label, SMALL, va="center", kind="ytick")
    chart.text(
        chart.width - 8 - TICK / 2, top + plot_h / 2, MEASURE_LABELS.get(measure, measure), TICK, ha="center", va="center", rotate=90, kind="ylabel"
    )
    return chart


def trend_chart(matrix: pd.DataFrame, measure: str = "per_10k", n_docs: pd.Series | None = None, title: str | None = None) -> Chart:
    """(c) Trend of chosen formulations: lines with markers (gaps where a year has no
    documents); grouped bars when fewer than 3 years have documents."""
    if matrix is None or matrix.empty or matrix.shape[1] == 0:
        return empty_chart("没有可画的提法 (no formulations to plot)")
    years = [int(y) for y in matrix.index]
    terms = [str(t) for t in matrix.columns]
    series = [_floats(matrix[t]) for t in matrix.columns]
    top = max((v for s in series for v in s if not math.isnan(v)), default=0.0)
    entries = [(t, "line+o", TAB10[i % 10]) for i, t in enumerate(terms)]
    chart, ax = _year_chart(
        title or f"提法趋势 Formulation trends ({measure})", years, MEASURE_LABELS.get(measure, measure), top * 1.05, entries, n_docs, grid=True
    )
    if int(matrix.notna().any(axis=1).sum()) < 3:
        width = 0.8 / len(terms)
        for i, values in enumerate(series):
            for y, v in zip(years, values):
                if v > 0:
                    x0 = ax.X(y - 0.4 + width * i)
                    chart.rect(x0, ax.Y(v), ax.X(y - 0.4 + width * (i + 1)) - x0, ax.Y(0) - ax.Y(v), TAB10[i % 10], kind="bar")
    else:
        for i, values in enumerate(series):
            color, segment = TAB10[i % 10], []
            for y, v in list(zip(years, values)) + [(None, float("nan"))]:
                if not math.isnan(v):
                    segment.append((ax.X(y), ax.Y(v)))
                    continue
                if len(segment) > 1:
                    chart.line(segment, color, 1.5, kind="line")
                for x, yy in segment:
                    chart.marker(x, yy, "o", color, 4.0, kind="point")
                segment = []
    ax.frame()
    return chart


def timeline_chart(first: pd.DataFrame) -> Chart:
    """(d) Years each formulation is used in the corpus (first to last) against its national
    first year from the lexicon."""
    if first is None or first.empty:
        return empty_chart("没有提法计数 (no formulation counts)")
    first = first.dropna(subset=["first_year_corpus"]).head(TIMELINE_TERMS)
    if first.empty:
        return empty_chart("提法的年份未知 (years unknown)")
    terms = [str(t) for t in first["term"]]
    fc = _floats(first["first_year_corpus"])
    lc = [f if math.isnan(v) else v for f, v in zip(fc, _floats(first["last_year_corpus"]))]
    nat = _floats(pd.to_numeric(first["first_year_national"], errors="coerce"))
    # a national year long before the corpus (e.g. 1921) would squash the chart: clip it to the
    # left edge, drawn as an arrow with its year written next to it
    left_year = int(min(fc)) - 6
    inside = [not math.isnan(v) and v >= left_year for v in nat]
    span = [v for v in fc + lc if not math.isnan(v)] + [v for v, ok in zip(nat, inside) if ok] + [left_year]
    row_h, plot_w = 15.0, 430.0
    label_w = tick_label_width(terms, LABEL)
    entries = [
        ("语料中使用年份 (used in corpus)", "line", GREY),
        ("语料中首次出现 (first in corpus)", "o", BLUE),
        ("全国首次提出 (national first year)", "D", RED),
    ]
    legend_w, legend_h = legend_size(entries, TICK, horizontal=True)
    left, top = 12 + label_w + 8, 12 + TITLE + 14
    plot_h = row_h * len(terms) + row_h
    width = max(left + plot_w + 20, legend_w + 24)
    title = "提法首次出现：语料 vs 全国 First appearance: corpus vs national"
    chart = Chart(width, top + plot_h + 30 + legend_h + 10, title)
    _title(chart, left + plot_w / 2, title)
    ax = Axes(chart, (left, top, plot_w, plot_h), (min(span) - 0.6, max(span) + 0.6), (0.0, 1.0))
    _year_xticks(ax, math.ceil(ax.xlim[0]), math.floor(ax.xlim[1]), grid=True)
    for i, term in enumerate(terms):
        y = top + row_h * (i + 1)
        chart.text(left - 5, y, term, LABEL, ha="right", va="center", kind="ytick")
        chart.line([(ax.X(fc[i]), y), (ax.X(lc[i]), y)], GREY, 2.0, kind="range")
        chart.marker(ax.X(fc[i]), y, "o", BLUE, 5.0, kind="first")
        if inside[i]:
            chart.marker(ax.X(nat[i]), y, "D", RED, 5.0, kind="national")
        elif not math.isnan(nat[i]):
            chart.marker(ax.X(left_year), y, "<", RED, 5.5, kind="national")
            chart.text(ax.X(left_year) + 6, y, str(int(nat[i])), SMALL, color=RED, va="center", kind="clipped")
    ax.frame()
    legend(chart, (width - legend_w) / 2, top + plot_h + 30, entries, TICK, horizontal=True)
    return chart


def keywords_chart(keywords: pd.DataFrame, per_year: int = KEYWORDS_PER_YEAR) -> Chart:
    """(e) Small multiples: the most distinctive words of each year (latest years if many)."""
    if keywords is None or keywords.empty:
        return empty_chart("没有关键词 (no keywords)")
    kw = keywords.copy()
    kw["year"] = pd.to_numeric(kw["year"], errors="coerce")
    kw["score"] = pd.to_numeric(kw["score"], errors="coerce").fillna(0.0)
    kw = kw.dropna(subset=["year"])
    years = sorted(int(y) for y in kw["year"].unique())[-KEYWORD_PANELS:]
    if not years:
        return empty_chart("没有关键词 (no keywords)")
    panels = []
    for year in years:
        sub = kw[kw["year"] == year].sort_values("score", ascending=False, kind="stable").head(per_year)
        words = [w if len(w) <= 8 else w[:7] + "…" for w in map(str, sub["word"])]
        panels.append((year, words, [float(s) for s in sub["score"]]))
    ncols = min(4, len(years))
    nrows = math.ceil(len(years) / ncols)
    bar_h, bar_w = 12.0, 120.0
    label_w = tick_label_width([w for _, words, _ in panels for w in words], 8.5)
    panel_w, panel_h = label_w + 6 + bar_w + 22, 16 + per_year * bar_h + 30
    method = str(kw["method"].iloc[0]) if "method" in kw and len(kw) else "g2"
    title = f"各年特征词 Distinctive keywords per year (score: {method})"
    chart = Chart(max(16 + ncols * panel_w, Chart.text_width(title, TITLE) + 32), 12 + TITLE + 12 + nrows * panel_h, title)
    _title(chart, chart.width / 2, title)
    for n, (year, words, scores) in enumerate(panels):
        px, py = 16 + (n % ncols) * panel_w, 12 + TITLE + 12 + (n // ncols) * panel_h
        ticks, decimals = nice_ticks(max(scores, default=0.0), 4)
        ax = Axes(chart, (px + label_w + 6, py + 16, bar_w, per_year * bar_h), (0.0, ticks[-1]), (0.0, 1.0))
        chart.text(ax.x + bar_w / 2, py + 12, str(year), 10, ha="center", va="baseline", kind="panel")
        for i, (word, score) in enumerate(zip(words, scores)):
            y = ax.y + i * bar_h
            if score > 0:
                chart.rect(ax.x, y + 1.5, ax.X(score) - ax.x, bar_h - 3, "#e05d5e", kind="bar")
            chart.text(ax.x - 4, y + bar_h / 2, word, 8.5, ha="right", va="center", kind="ytick")
        ax.frame("lb")
        ax.xticks(ax.value_ticks(decimals, ticks), SMALL)
    return chart


def documents_chart(n_docs: pd.Series) -> Chart:
    """(f) Number of documents per year."""
    if n_docs is None or n_docs.empty:
        return empty_chart("没有已知年份的文件 (no documents with a year)")
    years = [int(y) for y in n_docs.index]
    counts = _floats(n_docs.values)
    chart, ax = _year_chart("每年文件数 Documents per year", years, "文件数 (documents)", max(counts, default=1.0) * 1.05, [], integer=True)
    for y, n in zip(years, counts):
        if n > 0:
            chart.rect(ax.X(y - 0.4), ax.Y(n), ax.X(y + 0.4) - ax.X(y - 0.4), ax.Y(0) - ax.Y(n), BLUE, kind="bar")
    ax.frame()
    return chart


# --------------------------------------------------------------------------- from a run folder
def _corpus(out_dir, skip: Iterable[str] = ()):
    from pipeline.store.runs import RunTables

    out_dir = Path(out_dir)
    if not out_dir.is_dir():
        raise InputError(f"output folder {out_dir} does not exist", f"run `dangjian run RAW_DIR --out {out_dir}` first")
    return RunTables.load(out_dir, skip=skip)


def _term_trends(c) -> pd.DataFrame:
    return c._term_trends()


FIGURE_NAMES = ("category_shares", "heatmap_terms", "trend_terms", "first_appearance", "keywords_by_year", "documents_per_year")
#: tables the charts do not read (left unloaded)
_NOT_FOR_CHARTS = ("paragraphs", "candidates", "keyword_frequencies", "ingest_log")


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

    (a) category_shares, (b) heatmap_terms, (c) trend_terms (``terms``, default the top 6 by
    count), (d) first_appearance, (e) keywords_by_year, (f) documents_per_year. ``only`` draws a
    subset (names from FIGURE_NAMES). ``corpus`` is the run's tables when the caller already
    has them (default: read from ``out_dir``)."""
    measure = getattr(measure, "value", measure)
    if measure not in ("per_10k", "doc_share"):
        raise InputError(f"unknown measure {measure!r}", "use per_10k or doc_share")
    wanted = set(FIGURE_NAMES if only is None else only)
    c = corpus if corpus is not None else _corpus(out_dir, skip=_NOT_FOR_CHARTS)
    fig_dir = Path(out_dir) / "figures"
    tt = _term_trends(c)
    n_docs = c.docs_per_year()
    paths: list[Path] = []
    if "category_shares" in wanted:
        shares = c.shares(by="year")
        paths += category_chart(shares.reindex(columns=c.labels) if not shares.empty else shares, n_docs).save(fig_dir, "category_shares", dpi=dpi)
    if "heatmap_terms" in wanted:
        heat_terms = trends.top_terms(tt, HEATMAP_TERMS)
        paths += heatmap_chart(trends.trend_matrix(tt, heat_terms, measure, years=n_docs.index), measure).save(fig_dir, "heatmap_terms", dpi=dpi)
    if "trend_terms" in wanted:
        chosen = list(terms) if terms else trends.top_terms(tt, TREND_TERMS)
        paths += trend_chart(trends.trend_matrix(tt, chosen, measure, years=n_docs.index), measure, n_docs).save(fig_dir, "trend_terms", dpi=dpi)
    if "first_appearance" in wanted:
        first = c.first_appearance()
        if not first.empty:
            first = first.sort_values("n_docs", ascending=False, kind="stable").head(TIMELINE_TERMS)
            first = first.sort_values(["first_year_corpus", "term"], na_position="last")
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
    c = corpus if corpus is not None else _corpus(out_dir, skip=_NOT_FOR_CHARTS)
    chart = trend_chart(c.trend(*terms, measure=measure), measure, c.docs_per_year())
    return chart.save(Path(out_dir) / "figures", f"terms_{slug(' '.join(terms))}", dpi=dpi)


# --------------------------------------------------------------------------- matplotlib (notebooks)
def terms_figure(matrix: pd.DataFrame, measure: str = "per_10k", n_docs: pd.Series | None = None, title: str | None = None):
    """:func:`trend_chart` as a matplotlib ``Figure`` (used by ``Corpus.plot_trend``); call it
    inside :func:`pipeline.report.fonts.font_context`. Lines with markers, gaps where a year has no
    documents; grouped bars when fewer than 3 years have documents."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    from matplotlib.ticker import MaxNLocator

    if matrix is None or matrix.empty or matrix.shape[1] == 0:
        fig = Figure(figsize=(6, 2))
        FigureCanvasAgg(fig)
        ax = fig.subplots()
        ax.axis("off")
        ax.text(0.5, 0.5, "没有可画的提法 (no formulations to plot)", ha="center", va="center", fontsize=12)
        return fig
    years = [int(y) for y in matrix.index]
    fig = Figure(figsize=(max(6.5, 0.45 * len(years) + 3), 4.5))
    FigureCanvasAgg(fig)
    ax = fig.subplots()
    if int(matrix.notna().any(axis=1).sum()) < 3:
        width = 0.8 / matrix.shape[1]
        for i, term in enumerate(matrix.columns):
            ax.bar([y - 0.4 + width * (i + 0.5) for y in years], matrix[term].fillna(0), width=width, label=str(term))
    else:
        for term in matrix.columns:
            ax.plot(years, matrix[term], marker="o", markersize=4, label=str(term))
    if n_docs is not None and len(n_docs):
        for y in years:
            n = n_docs.get(y, 0)
            ax.text(y, 1.01, f"n={0 if pd.isna(n) else int(n)}", ha="center", va="bottom", fontsize=7, transform=ax.get_xaxis_transform())
    ax.xaxis.set_major_locator(MaxNLocator(integer=True, nbins=min(12, max(len(years), 1))))
    ax.set_xlim(min(years) - 0.6, max(years) + 0.6)
    ax.set_ylim(bottom=0)
    ax.set_ylabel(MEASURE_LABELS.get(measure, measure))
    ax.set_title(title or f"提法趋势 Formulation trends ({measure})", pad=16)
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1), fontsize=9, frameon=False)
    ax.grid(axis="y", alpha=0.3)
    return fig


# --------------------------------------------------------------------------- HTML
def e(value) -> str:
    """HTML-escape anything (None/NaN -> empty)."""
    if value is None or (isinstance(value, float) and math.isnan(value)) or value is pd.NA:
        return ""
    return html.escape(str(value), quote=True)


def _fmt(value, digits: int = 2) -> str:
    if value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value)):
        return "–"
    if isinstance(value, float):
        return f"{value:.{digits}f}"
    return e(value)


def _table(df: pd.DataFrame, columns: Sequence[str] | None = None, *, headers: Sequence[str] | None = None, digits: int = 2) -> str:
    if df is None or df.empty:
        return '<p class="muted">（无 none）</p>'
    columns = [c for c in (columns or list(df.columns)) if c in df.columns]
    heads = headers or columns
    out = ["<table><thead><tr>", *[f"<th>{e(h)}</th>" for h in heads], "</tr></thead><tbody>"]
    for rec in df[columns].itertuples(index=False, name=None):
        out.append("<tr>" + "".join(f"<td>{_fmt(v, digits)}</td>" for v in rec) + "</tr>")
    out.append("</tbody></table>")
    return "".join(out)


def sparkline(values: pd.Series, *, width: int = 120, height: int = 24) -> str:
    """Inline SVG polyline of a year series; NaN (no documents) breaks the line."""
    vals = pd.to_numeric(values, errors="coerce").astype(float)
    if vals.empty or vals.notna().sum() == 0:
        return ""
    top = float(vals.max()) or 1.0
    n = len(vals)
    pad = 2
    xs = [pad + (width - 2 * pad) * (i / (n - 1) if n > 1 else 0.5) for i in range(n)]
    segments, current = [], []
    for x, v in zip(xs, vals):
        if math.isnan(v):
            if current:
                segments.append(current)
            current = []
        else:
            current.append((x, height - pad - (height - 2 * pad) * v / top))
    if current:
        segments.append(current)
    parts = []
    for seg in segments:
        if len(seg) == 1:
            parts.append(f'<circle cx="{seg[0][0]:.1f}" cy="{seg[0][1]:.1f}" r="1.5" fill="#c0392b"/>')
        else:
            pts = " ".join(f"{x:.1f},{y:.1f}" for x, y in seg)
            parts.append(f'<polyline points="{pts}" fill="none" stroke="#c0392b" stroke-width="1.5"/>')
    years = [int(y) for y in values.index]
    label = e(f"{years[0]}–{years[-1]}, max {top:.2f}")
    return f'<svg class="spark" width="{width}" height="{height}" viewBox="0 0 {width} {height}" role="img" aria-label="{label}"><title>{label}</title>{"".join(parts)}</svg>'


def _img(path: Path, alt: str) -> str:
    data = base64.b64encode(Path(path).read_bytes()).decode("ascii")
    return f'<figure><img alt="{e(alt)}" src="data:image/png;base64,{data}"><figcaption>{e(alt)}</figcaption></figure>'


def _examples(index: trends.ExampleIndex, *, category: str | None = None, term: str | None = None, names=None) -> list[dict]:
    """The report's examples of a category or a term, by the rule of ``Corpus.examples``."""
    return index.records(index.pick(index.rows(category=category, term=term, names=names), REPORT_EXAMPLES))


def _term_examples(index: trends.ExampleIndex, terms: Sequence[str]) -> dict[str, list[dict]]:
    lex = index.lexicon
    if lex is not None and not lex.empty and "term" in lex:  # look up the aliases of these terms only
        lex = lex[lex["term"].astype(str).isin(list(terms))]
    return {term: _examples(index, term=term, names=trends.lexicon_aliases(lex, term)) for term in terms}


def _examples_html(ex: list[dict], *, max_chars: int = 300) -> str:
    if not ex:
        return '<p class="muted">（没有例句 no examples）</p>'
    items = []
    for rec in ex:
        text = str(rec.get("text", ""))
        if len(text) > max_chars:
            text = text[:max_chars] + "…"
        year = rec.get("year")
        year = "年份未知" if year is None or pd.isna(year) else int(year)
        items.append(f'<li><q>{e(text)}</q> <span class="src">— 《{e(rec.get("title", ""))}》, {e(year)} ({e(rec.get("doc_id"))})</span></li>')
    return '<ul class="ex">' + "".join(items) + "</ul>"


CSS = """
body{font-family:"Noto Sans CJK SC","Source Han Sans SC","PingFang SC","Microsoft YaHei","WenQuanYi Micro Hei","DJ CJK",sans-serif;margin:2em auto;max-width:1100px;padding:0 1em;color:#222;line-height:1.5}
h1{border-bottom:3px solid #c0392b}h2{border-bottom:1px solid #ddd;margin-top:2em}
table{border-collapse:collapse;margin:.5em 0;font-size:.9em}th,td{border:1px solid #ddd;padding:.25em .5em;text-align:left;vertical-align:top}
th{background:#f6f6f6}figure{margin:1em 0}img{max-width:100%}figcaption{color:#666;font-size:.85em}
.muted{color:#888}.ex li{margin:.3em 0}.src{color:#666;font-size:.85em}details{margin:.3em 0}summary{cursor:pointer}
.note{background:#fafafa;border-left:3px solid #ccc;padding:.5em 1em;font-size:.9em}
"""


def _current_figures(out_dir: Path) -> list[Path] | None:
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


def write_report(out_dir: Path | str, *, figures: Iterable[Path] | Callable[[], Iterable[Path]] | None = None) -> Path:
    """Write ``OUT_DIR/report.html``: one self-contained, fully escaped page (no scripts, no
    external requests). Embeds ``figures`` (PNG paths, or a function returning them, called
    once the rest of the page is built); by default the standard figures in ``OUT_DIR/figures``
    when they are newer than the tables, else it draws them first."""
    from pipeline import store

    out_dir = Path(out_dir)
    c = _corpus(out_dir)
    figs = _FigureSlots(out_dir, figures)
    tt = _term_trends(c)
    n_docs = c.docs_per_year()
    docs = c.documents
    years = pd.to_numeric(docs["year"], errors="coerce") if "year" in docs else pd.Series(dtype=float)
    n_unknown = int(years.isna().sum())
    examples = trends.ExampleIndex(c.paragraphs, c.documents, lexicon=c.lexicon, min_chars=EXAMPLE_MIN_CHARS)
    parts: list[str] = []
    add = parts.append

    add('<!DOCTYPE html><html lang="zh-CN"><head><meta charset="utf-8">')
    add("<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; img-src data:; font-src data:; style-src 'unsafe-inline'\">")
    add('<meta name="viewport" content="width=device-width, initial-scale=1">')
    add(f"<title>{e('党建报告趋势 Party-building report trends')}</title><style>{CSS}</style></head><body>")
    add("<h1>党建报告趋势 Party-building report trends</h1>")

    # ---- corpus summary
    span = f"{int(years.min())}–{int(years.max())}" if years.notna().any() else "–"
    add("<h2>语料概况 Corpus summary</h2>")
    add(
        f"<p>{e(len(docs))} 份文件 documents, {e(len(c.paragraphs))} 个段落 paragraphs, 年份 years {e(span)}"
        f"; 年份未知 unknown year: {e(n_unknown)} (excluded from by-year tables).</p>"
    )
    if not n_docs.empty:
        add("<h3>每年文件数 Documents per year</h3>")
        add(_table(n_docs.reset_index(), ["year", "n_docs"], headers=["年份 year", "文件数 documents"]))
    for col, name in (("org", "机构 Organizations"), ("source", "来源 Sources")):
        if col in docs and docs[col].astype(str).str.strip().ne("").any():
            vc = docs[col].astype(str).str.strip().replace("", "(未知)").value_counts().head(20).rename_axis(col).reset_index(name="n")
            add(f"<h3>{e(name)}</h3>" + _table(vc, [col, "n"], headers=[name, "文件数 documents"]))
    log = c.ingest_log
    if not log.empty and "status" in log:
        problems = log[log["status"].astype(str) != "ok"]
        status = log["status"].astype(str).value_counts().rename_axis("status").reset_index(name="n")
        add("<h3>导入情况 Ingest</h3>" + _table(status, ["status", "n"]))
        if not problems.empty:
            add(f"<details><summary>{e(len(problems))} 个文件未导入 files not ingested</summary>")
            add(_table(problems.head(200), ["path", "status", "reason"]) + "</details>")
    figs.add(parts, "documents_per_year", "每年文件数 Documents per year")

    # ---- category shares
    add("<h2>党建类别占比 Category shares</h2>")
    add(
        '<p class="note">按段落字数加权，每年合计为 1；无文档的年份留空。 Shares are weighted by paragraph characters and sum to 1 per year; years without documents are gaps.</p>'
    )
    figs.add(parts, "category_shares", "党建类别占比（按年） Category shares by year")
    shares = c.shares(by="year")
    if not shares.empty:
        pct = (shares * 100).round(1).reset_index()
        add(_table(pct, ["year", *shares.columns], headers=["年份 year", *[f"{x} %" for x in shares.columns]], digits=1))
    for cat in c.labels:
        add(f"<details><summary>{e(cat)}：例段 example paragraphs</summary>")
        add(_examples_html(_examples(examples, category=cat)) + "</details>")

    # ---- formulations
    add("<h2>主要提法 Top formulations</h2>")
    add(
        "<p class=\"note\">per_10k：每万字出现次数（以当年全部文件字数为分母）；doc_share：当年使用该提法的文件占比。 per_10k = occurrences per 10,000 characters of all of the year's documents; doc_share = share of the year's documents using it.</p>"
    )
    for key, alt in (
        ("heatmap_terms", "主要提法逐年热力图 Top formulations by year"),
        ("trend_terms", "提法趋势 Formulation trends"),
        ("first_appearance", "提法首次出现 First appearance"),
    ):
        figs.add(parts, key, alt)
    top = trends.top_terms(tt, REPORT_TERMS)
    if top:
        first = c.first_appearance().set_index("term")
        totals = tt.groupby("term")["count"].sum()
        mat = trends.trend_matrix(tt, top, "per_10k", years=n_docs.index)
        add(
            "<table><thead><tr><th>提法 term</th><th>次数 count</th><th>文件数 docs</th><th>语料首年 first</th><th>语料末年 last</th><th>全国首提 national</th><th>趋势 per_10k</th></tr></thead><tbody>"
        )
        for term in top:
            row = first.loc[term] if term in first.index else {}
            get = lambda k: row.get(k) if hasattr(row, "get") else None
            add(
                f"<tr><td>{e(term)}</td><td>{_fmt(totals.get(term))}</td><td>{_fmt(get('n_docs'))}</td>"
                f"<td>{_fmt(get('first_year_corpus'))}</td><td>{_fmt(get('last_year_corpus'))}</td>"
                f"<td>{_fmt(get('first_year_national'))}</td><td>{sparkline(mat[term])}</td></tr>"
            )
        add("</tbody></table>")
        add("<h3>提法例句 Examples of each formulation</h3>")
        term_examples = _term_examples(examples, top)
        for term in top:
            add(f"<details><summary>{e(term)}</summary>{_examples_html(term_examples[term])}</details>")
    else:
        add('<p class="muted">（没有提法计数 no formulation counts）</p>')

    # ---- candidates
    add("<h2>候选新提法 Candidate new formulations</h2>")
    cand = c.candidates
    if cand is not None and not cand.empty:
        if "score" in cand:
            cand = cand.assign(_s=pd.to_numeric(cand["score"], errors="coerce")).sort_values("_s", ascending=False, kind="stable")
        add(_table(cand.head(30), ["term", "method", "score", "doc_freq", "years", "example"]))
    else:
        add('<p class="muted">（没有 candidates.csv 或为空 none）</p>')

    # ---- keywords
    add("<h2>各年特征词 Keywords by year</h2>")
    figs.add(parts, "keywords_by_year", "各年特征词 Distinctive keywords per year")
    kw = c.keywords_by_year
    if kw is not None and not kw.empty:
        kw = kw.assign(_s=pd.to_numeric(kw["score"], errors="coerce")).sort_values(["year", "_s"], ascending=[True, False])
        rows = kw.groupby("year", sort=True)["word"].apply(lambda s: "、".join(map(str, s.head(15)))).reset_index()
        method = ", ".join(sorted(set(map(str, kw["method"])))) if "method" in kw else "g2"
        add(_table(rows, ["year", "word"], headers=["年份 year", f"特征词 distinctive words ({method})"]))
    else:
        add('<p class="muted">（没有关键词 none）</p>')
    add('<p class="muted">Generated by dangjian. Every number links back to documents.csv / paragraphs.csv in this folder.</p>')
    add("</body></html>")
    path = out_dir / "report.html"
    page = figs.fill("\n".join(parts))
    store.write_text(path, page.replace("</style></head>", _embedded_font_css(page) + "</style></head>", 1))
    return path


class _FigureSlots:
    """The report's figures: ``figures`` is a list of paths, None (the current figures of
    OUT_DIR, drawn if stale), or a function that returns the paths when a drawing process
    finishes; then the page is built with placeholders first and the figures go in last, so
    the page and the charts are made at the same time."""

    def __init__(self, out_dir: Path, figures):
        self._wait = figures if callable(figures) else None
        self.pngs: dict[str, Path] = {}
        if self._wait is None:
            figures = list(figures) if figures is not None else (_current_figures(out_dir) or make_figures(out_dir))
            self.pngs = self._pngs(figures)
        self._alts: dict[str, str] = {}

    @staticmethod
    def _pngs(figures) -> dict[str, Path]:
        return {Path(p).stem: Path(p) for p in figures if Path(p).suffix == ".png" and Path(p).is_file()}

    def add(self, parts: list[str], key: str, alt: str) -> None:
        if self._wait is not None:
            self._alts[key] = alt
            parts.append(f"\0figure:{key}\0")  # NUL never occurs in the escaped page
        elif key in self.pngs:
            parts.append(_img(self.pngs[key], alt))

    def fill(self, page: str) -> str:
        if self._wait is None:
            return page
        self.pngs = self._pngs(self._wait())
        for key, alt in self._alts.items():
            page = page.replace(f"\n\0figure:{key}\0", "\n" + _img(self.pngs[key], alt) if key in self.pngs else "")
        return page


EMBEDDED_FONT = "DJ CJK"


def _embedded_font_css(page: str) -> str:
    """An ``@font-face`` holding a subset of the bundled CJK font with exactly the characters of
    the page (~100-300 kB), so the report's Chinese text renders on machines without CJK fonts
    (the CSS lists system CJK fonts first). Returns '' if the font cannot be read."""
    chars = {ch for ch in set(page) if ord(ch) > 127}
    if not chars:
        return ""
    try:
        from pipeline.report.fonts import bundled_font

        woff = bundled_font().woff("".join(sorted(chars)) + "".join(chr(i) for i in range(32, 127)))
    except Exception:
        return ""
    data = base64.b64encode(woff).decode("ascii")
    return f'@font-face{{font-family:"{EMBEDDED_FONT}";src:url(data:font/woff;base64,{data}) format("woff")}}'
