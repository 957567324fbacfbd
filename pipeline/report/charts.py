"""The charts of a run, as pure drawing: each function takes the numbers (DataFrames and Series
made by :mod:`pipeline.trends` / :class:`pipeline.store.runs.RunTables`) and returns a
:class:`pipeline.report.canvas.Chart`. Computes no statistics and writes no files.

(a) :func:`category_chart`, (b) :func:`heatmap_chart`, (c) :func:`trend_chart`,
(d) :func:`timeline_chart`, (e) :func:`keywords_chart`, (f) :func:`documents_chart`.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import pandas as pd

from pipeline.report.canvas import (
    AXIS,
    NO_DATA,
    TAB10,
    YLORRD,
    Axes,
    Chart,
    empty_chart,
    hatch,
    legend,
    legend_size,
    nice_ticks,
    ramp,
    tick_label_width,
)
from pipeline.report.layout import (
    BLUE,
    GREY,
    LABEL,
    MEASURE_LABELS,
    MISSING,
    RED,
    SMALL,
    TICK,
    TITLE,
    draw_title,
    floats,
    plot_width,
    year_chart,
    year_xticks,
)

TIMELINE_TERMS = 30
KEYWORDS_PER_YEAR = 8
KEYWORD_PANELS = 20
SMALL_GROUP_LABEL = "少于5份文件 (fewer than 5 documents)"
INTERVAL_LABEL = "95% 区间 (95% interval)"
EXPERIMENTAL_LABEL = "实验性 experimental"


def _isolated(ok: Sequence[bool]) -> bool:
    """True if some known year has unknown years on both sides (an area would not show it)."""
    return any(v and (i == 0 or not ok[i - 1]) and (i == len(ok) - 1 or not ok[i + 1]) for i, v in enumerate(ok))


# --------------------------------------------------------------------------- charts (pure drawing)
def category_chart(
    shares: pd.DataFrame,
    n_docs: pd.Series | None = None,
    *,
    low: pd.DataFrame | None = None,
    high: pd.DataFrame | None = None,
    small: Sequence[int] = (),
    experimental: bool = False,
) -> Chart:
    """(a) Category shares by year. With the run's 95% intervals (``low``/``high``, year x
    category like ``shares``): one panel per category, a bar per year with its interval
    (:func:`category_interval_chart`). Without: stacked areas (bars with < 3 years or isolated
    years), documents per year written above. Either way years without documents are shaded,
    years in ``small`` (fewer than 5 documents) hatched, and "experimental" in the title when
    the classifier is."""
    if shares is None or shares.empty or shares.notna().sum().sum() == 0:
        return empty_chart("没有已知年份的已分类段落 (no classified paragraphs with a known year)")
    if low is not None and high is not None and not low.empty and not high.empty:
        return category_interval_chart(shares, low, high, n_docs, small=small, experimental=experimental)
    years = [int(y) for y in shares.index]
    cats = [str(c) for c in shares.columns]
    ok = shares.notna().all(axis=1).tolist()
    values = [floats(row) for row in shares.fillna(0).itertuples(index=False, name=None)]
    missing = [y for y, known in zip(years, ok) if not known]
    hatched = [y for y, known in zip(years, ok) if known and y in set(small)]
    entries = [(cat, "patch", TAB10[i % 10]) for i, cat in enumerate(cats)]
    if missing:
        entries.append(("无文档 (no documents)", "patch", NO_DATA))
    if hatched:
        entries.append((SMALL_GROUP_LABEL, "hatch", GREY))
    title = "党建类别占比（按年） Category shares by year" + (f" — {EXPERIMENTAL_LABEL}" if experimental else "")
    chart, ax = year_chart(title, years, "按字数计的段落占比 (share of characters)", 1.0, entries, n_docs)
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
    half = 0.35 if sum(ok) < 3 or _isolated(ok) else 0.5
    for y in hatched:
        x0, x1 = ax.X(max(y - half, ax.xlim[0])), ax.X(min(y + half, ax.xlim[1]))
        hatch(chart, x0, ax.Y(1.0), x1 - x0, ax.Y(0.0) - ax.Y(1.0), kind="small")
    ax.frame()
    return chart


def category_interval_chart(
    shares: pd.DataFrame,
    low: pd.DataFrame,
    high: pd.DataFrame,
    n_docs: pd.Series | None = None,
    *,
    small: Sequence[int] = (),
    experimental: bool = False,
) -> Chart:
    """Category shares with their 95% intervals: one panel per category on one scale; a bar
    per year (the corrected share) with a whisker from ``low`` to ``high``; hatched bars for
    years of fewer than 5 documents, grey columns for years without documents."""
    cats = [str(c) for c in shares.columns]
    years = [int(y) for y in shares.index]
    low = low.reindex(index=shares.index, columns=shares.columns)
    high = high.reindex(index=shares.index, columns=shares.columns)
    known = shares.notna().any(axis=1).tolist()
    small = set(int(y) for y in small)
    top_value = max(float(pd.concat([shares, high]).max().max() or 0.0), 0.05)
    ticks, decimals = nice_ticks(top_value * 1.05)
    if ticks[-1] > 1.0:  # a share is at most 100%: the scale ends there
        ticks, decimals = [0.0, 0.25, 0.5, 0.75, 1.0], 2
    tick_labels = [f"{t * 100:.{max(0, decimals - 2)}f}%" for t in ticks]
    ncols = 1 if len(cats) == 1 else 2 if len(cats) <= 4 else 3
    nrows = math.ceil(len(cats) / ncols)
    plot_w = min(max(6.0 * len(years), 170.0), 840.0 / ncols)
    plot_h = 96.0
    left_pad = tick_label_width(tick_labels, SMALL) + 10
    panel_w, panel_h = left_pad + plot_w + 16, 18 + plot_h + 22
    title = "党建类别占比（按年，95% 区间） Category shares by year with 95% intervals"
    if experimental:
        title += f" — {EXPERIMENTAL_LABEL}"
    entries = [("占比（已校正） share (corrected)", "patch", TAB10[0]), (INTERVAL_LABEL, "errorbar", AXIS)]
    if small & set(y for y, k in zip(years, known) if k):
        entries.append((SMALL_GROUP_LABEL, "hatch", TAB10[0]))
    if not all(known):
        entries.append(("无文档 (no documents)", "patch", NO_DATA))
    legend_w, legend_h = legend_size(entries, TICK, horizontal=True)
    width = max(16 + ncols * panel_w, legend_w + 32, Chart.text_width(title, TITLE) + 32)
    top = 12 + TITLE + 10
    chart = Chart(width, top + nrows * panel_h + 12 + legend_h + 10, title)
    draw_title(chart, width / 2, title)
    bar = 0.4 if len(years) < 40 else 0.5
    for n, cat in enumerate(cats):
        px, py = 16 + (n % ncols) * panel_w, top + (n // ncols) * panel_h
        ax = Axes(chart, (px + left_pad, py + 16, plot_w, plot_h), (years[0] - 0.6, years[-1] + 0.6), (0.0, ticks[-1]))
        chart.text(ax.x, py + 11, cat, LABEL, va="baseline", kind="panel")
        color, pale = TAB10[n % 10], ramp(("#ffffff", TAB10[n % 10]), 0.45)
        for y, ok in zip(years, known):
            if not ok:
                chart.rect(ax.X(y - 0.5), ax.y, ax.X(y + 0.5) - ax.X(y - 0.5), ax.h, NO_DATA, kind="gap")
        ax.yticks(list(zip(ticks, tick_labels)), SMALL, grid=True)
        for y, ok, v, lo, hi in zip(years, known, floats(shares[shares.columns[n]]), floats(low[low.columns[n]]), floats(high[high.columns[n]])):
            if not ok or math.isnan(v):
                continue
            x0, x1 = ax.X(y - bar), ax.X(y + bar)
            if v > 0:
                chart.rect(x0, ax.Y(v), x1 - x0, ax.Y(0) - ax.Y(v), pale if y in small else color, kind="bar")
                if y in small:
                    hatch(chart, x0, ax.Y(v), x1 - x0, ax.Y(0) - ax.Y(v), kind="small")
            if not (math.isnan(lo) or math.isnan(hi)):
                xc = ax.X(y)
                chart.line([(xc, ax.Y(lo)), (xc, ax.Y(hi))], AXIS, 0.9, kind="interval")
                if x1 - x0 >= 3:
                    for yy in (lo, hi):
                        chart.line([(x0, ax.Y(yy)), (x1, ax.Y(yy))], AXIS, 0.9, kind="interval")
        ax.frame("lb")
        year_xticks(ax, years[0], years[-1], size=SMALL)
    legend(chart, (width - legend_w) / 2, top + nrows * panel_h + 8, entries, TICK, horizontal=True)
    return chart


def heatmap_chart(matrix: pd.DataFrame, measure: str = "per_10k") -> Chart:
    """(b) Heatmap: formulations (rows) x years (columns); grey = year without documents."""
    if matrix is None or matrix.empty or matrix.shape[1] == 0:
        return empty_chart("没有提法计数 (no formulation counts)")
    data = matrix.T  # rows: terms, columns: years
    terms = [str(t) for t in data.index]
    years = [int(y) for y in data.columns]
    rows = [floats(r) for r in data.itertuples(index=False, name=None)]
    finite = [v for r in rows for v in r if not math.isnan(v)]
    vmax = max(finite, default=0.0) or 1.0
    row_h = 14.0
    plot_w, plot_h = plot_width(len(years), 12.0), row_h * len(terms)
    ticks, decimals = nice_ticks(vmax)
    ticks = [t for t in ticks if t <= vmax * (1 + 1e-9)]
    tick_labels = [f"{t:.{decimals}f}" for t in ticks]
    left = 12 + tick_label_width(terms, 8.5) + 6
    top = 12 + TITLE + 12
    cb_x = left + plot_w + 14
    title = f"主要提法逐年热力图 Top formulations by year ({measure})"
    chart = Chart(cb_x + 10 + 5 + tick_label_width(tick_labels, SMALL) + 8 + TICK + 12, top + plot_h + 44, title)
    draw_title(chart, left + plot_w / 2, title)
    ax = Axes(chart, (left, top, plot_w, plot_h), (years[0] - 0.5, years[-1] + 0.5), (0.0, 1.0))
    for r, (term, row) in enumerate(zip(terms, rows)):
        y0 = top + r * row_h
        for year, v in zip(years, row):
            x0 = ax.X(year - 0.5)
            # 0.3 pt overlap: no hairline seams between cells where SVG viewers anti-alias edges
            chart.rect(x0, y0, ax.X(year + 0.5) - x0 + 0.3, row_h + 0.3, MISSING if math.isnan(v) else ramp(YLORRD, v / vmax), kind="cell")
        chart.text(left - 5, y0 + row_h / 2, term, 8.5, ha="right", va="center", kind="ytick")
    ax.frame()
    year_xticks(ax, years[0], years[-1])
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
    series = [floats(matrix[t]) for t in matrix.columns]
    top = max((v for s in series for v in s if not math.isnan(v)), default=0.0)
    entries = [(t, "line+o", TAB10[i % 10]) for i, t in enumerate(terms)]
    chart, ax = year_chart(
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
    fc = floats(first["first_year_corpus"])
    lc = [f if math.isnan(v) else v for f, v in zip(fc, floats(first["last_year_corpus"]))]
    nat = floats(pd.to_numeric(first["first_year_national"], errors="coerce"))
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
    draw_title(chart, left + plot_w / 2, title)
    ax = Axes(chart, (left, top, plot_w, plot_h), (min(span) - 0.6, max(span) + 0.6), (0.0, 1.0))
    year_xticks(ax, math.ceil(ax.xlim[0]), math.floor(ax.xlim[1]), grid=True)
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
    draw_title(chart, chart.width / 2, title)
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
    counts = floats(n_docs.values)
    chart, ax = year_chart("每年文件数 Documents per year", years, "文件数 (documents)", max(counts, default=1.0) * 1.05, [], integer=True)
    for y, n in zip(years, counts):
        if n > 0:
            chart.rect(ax.X(y - 0.4), ax.Y(n), ax.X(y + 0.4) - ax.X(y - 0.4), ax.Y(0) - ax.Y(n), BLUE, kind="bar")
    ax.frame()
    return chart
