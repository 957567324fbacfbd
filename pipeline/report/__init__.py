"""The report stage: charts (PNG + SVG) and one self-contained report.html from a finished run.

Computes no statistics: every number comes from the run's tables
(:class:`pipeline.store.runs.RunTables`) or from :mod:`pipeline.trends`.

- :mod:`~pipeline.report.fonts` the bundled CJK font (and matplotlib's font settings),
  read by :mod:`~pipeline.report.truetype`
- :mod:`~pipeline.report.canvas` a chart page of shapes and text, written as SVG and PNG
- :mod:`~pipeline.report.layout` layout helpers shared by the charts
- :mod:`~pipeline.report.charts` the pure drawing of each chart
- :mod:`~pipeline.report.figures` the run's figures from a run folder (``make_figures``)
- :mod:`~pipeline.report.notebook` matplotlib figures for notebooks (``Corpus.plot_trend``)
- :mod:`~pipeline.report.lookup` the look-up rows of report.html: every counted formulation
  (提法 first), category example paragraphs, candidates, and capped concordance lines
- :mod:`~pipeline.report.page` report.html from the Jinja2 template ``templates/report.html.j2``
  (its own script ``report.js`` and style ``report.css``, allowed by hash in its CSP)

Public names are re-exported lazily: importing the package imports no submodule (and nothing
heavy). A name is looked up in its submodule on every access, not cached here, so a test that
patches ``pipeline.report.<submodule>.<name>`` is seen through ``pipeline.report.<name>``.
"""

from __future__ import annotations

import importlib

#: public name -> submodule that defines it
_EXPORTS: dict[str, str] = {
    # figures of a run folder
    "FIGURE_NAMES": "figures",
    "FIGURE_FORMATS": "figures",
    "make_figures": "figures",
    "plot_terms": "figures",
    "slug": "figures",
    "classifier_info": "figures",
    # the look-up rows of report.html
    "preferred_terms": "lookup",
    "term_kinds": "lookup",
    # report.html
    "write_report": "page",
    "sparkline": "page",
    # charts
    "category_chart": "charts",
    "heatmap_chart": "charts",
    "trend_chart": "charts",
    "timeline_chart": "charts",
    "keywords_chart": "charts",
    "documents_chart": "charts",
    "MEASURE_LABELS": "layout",
    # canvas
    "Chart": "canvas",
    "Axes": "canvas",
    # notebooks
    "terms_figure": "notebook",
    "font_context": "fonts",
    "cjk_font": "fonts",
    "bundled_font": "fonts",
}
_SUBMODULES = ("canvas", "charts", "figures", "fonts", "layout", "lookup", "notebook", "page", "truetype")

__all__ = sorted(_EXPORTS)


def __getattr__(name: str):
    if name in _EXPORTS:
        return getattr(importlib.import_module(f"{__name__}.{_EXPORTS[name]}"), name)
    if name in _SUBMODULES:  # ``pipeline.report.<sub>`` as an attribute (``from pipeline import report``)
        return importlib.import_module(f"{__name__}.{name}")
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted({*globals(), *_EXPORTS, *_SUBMODULES})
