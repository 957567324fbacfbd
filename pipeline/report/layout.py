"""Chart layout helpers shared by the charts: text sizes and colours, the title, the year axis,
the 'n=…' row and the page of a by-year chart (:func:`year_chart`).

Only plain Python values and :mod:`pipeline.report.canvas` primitives; no statistics.
"""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

from pipeline.report.canvas import AXIS, TAB10, Axes, Chart, legend, legend_size, nice_ticks, tick_label_width, year_ticks

MEASURE_LABELS = {
    "per_10k": "每万字出现次数 (per 10,000 chars)",
    "doc_share": "使用该提法的文件占比 (share of documents)",
    "count": "出现次数 (count)",
}
# chart text sizes (points)
TITLE, LABEL, TICK, SMALL = 12.0, 9.0, 8.0, 7.0
BLUE, RED, GREY = TAB10[0], TAB10[3], "#999999"
MISSING = "#d9d9d9"  # heatmap cell of a year without documents


def floats(values) -> list[float]:
    """Plain floats, NaN for missing values (None, NaN, pd.NA)."""
    return [float("nan") if pd.isna(v) else float(v) for v in values]


# --------------------------------------------------------------------------- chart layout helpers
def plot_width(n_years: int, per_year: float = 16.0) -> float:
    return min(max(per_year * n_years, 260.0), 880.0)


def count_labels(years: Sequence[int], n_docs: pd.Series | None, plot_w: float) -> tuple[list[str], int, float]:
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


def draw_count_labels(ax: Axes, years: Sequence[int], labels: list[str], rotate: int) -> None:
    for y, label in zip(years, labels):
        if rotate:
            ax.chart.text(ax.X(y), ax.y - 3, label, SMALL, color=AXIS, va="center", rotate=90, kind="count")
        else:
            ax.chart.text(ax.X(y), ax.y - 3, label, SMALL, color=AXIS, ha="center", va="bottom", kind="count")


def draw_title(chart: Chart, x: float, text: str) -> None:
    """The chart title centred on ``x``, moved inwards if it would stick out of the page."""
    half = Chart.text_width(text, TITLE) / 2 + 8
    chart.text(min(max(x, half), max(chart.width - half, half)), 12, text, TITLE, ha="center", va="top", kind="title")


def year_xticks(ax: Axes, first: int, last: int, *, size: float = TICK, grid: bool = False) -> None:
    fits = int(ax.w // (Chart.text_width("0000", size) + 10))
    ax.xticks([(y, str(y)) for y in year_ticks(first, last, fits)], size, grid=grid)


def year_chart(title: str, years: Sequence[int], ylabel: str, top_value: float, entries, n_docs=None, *, integer: bool = False, grid: bool = False):
    """A page with a title, year axis, value axis from 0, optional n= row and legend on the
    right: returns (chart, axes) ready for the data."""
    plot_w = plot_width(len(years))
    counts, rotate, counts_h = count_labels(years, n_docs, plot_w)
    ticks, decimals = nice_ticks(top_value, integer=integer)
    tick_labels = [f"{v:.{decimals}f}" for v in ticks]
    legend_w, legend_h = legend_size(entries, TICK) if entries else (0.0, 0.0)
    left = 10 + LABEL + 8 + tick_label_width(tick_labels, TICK) + 8
    top = 12 + TITLE + 8 + counts_h + 4
    plot_h = max(220.0, legend_h)
    right = 14 + legend_w + 10 if entries else 20
    chart = Chart(left + plot_w + right, top + plot_h + 26, title)
    draw_title(chart, left + plot_w / 2, title)
    ax = Axes(chart, (left, top, plot_w, plot_h), (min(years) - 0.6, max(years) + 0.6), (0.0, ticks[-1]))
    ax.yticks(list(zip(ticks, tick_labels)), TICK, grid=grid)
    chart.text(10 + LABEL / 2, top + plot_h / 2, ylabel, LABEL, ha="center", va="center", rotate=90, kind="ylabel")
    year_xticks(ax, min(years), max(years))
    draw_count_labels(ax, years, counts, rotate)
    if entries:
        legend(chart, left + plot_w + 14, top, entries, TICK)
    return chart, ax
