"""Matplotlib figures for notebooks: :func:`terms_figure` is ``Corpus.plot_trend``. The run's own
charts do not use matplotlib (see :mod:`pipeline.report.charts`); matplotlib is imported only
when a figure is made. Create and show figures inside :func:`pipeline.report.fonts.font_context`.
"""

from __future__ import annotations

import pandas as pd

from pipeline.report.layout import MEASURE_LABELS


def terms_figure(matrix: pd.DataFrame, measure: str = "per_10k", n_docs: pd.Series | None = None, title: str | None = None):
    """:func:`pipeline.report.charts.trend_chart` as a matplotlib ``Figure`` (used by ``Corpus.plot_trend``); call it
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
