"""The pure drawing of each chart (pipeline/report/charts.py) and its layout (layout.py)."""

from __future__ import annotations

import pandas as pd
import pytest
from report_helpers import built_run
from test_trends import XSS

from pipeline import trends
from pipeline.report import charts
from pipeline.report.figures import load_tables, term_trends
from pipeline.report.layout import MISSING


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory):
    return built_run(tmp_path_factory)


def test_category_chart_bars_for_few_years_area_for_many():
    shares = pd.DataFrame({"政治建设": [0.5, 0.4, 0.3], "其他": [0.5, 0.6, 0.7]}, index=[2019, 2020, 2021])
    chart = charts.category_chart(shares, pd.Series({2019: 2, 2020: 3, 2021: 1}))
    assert chart.count("area") == 2 and not chart.count("bar")  # areas
    assert chart.strings("count") == ["n=2", "n=3", "n=1"]
    assert "政治建设" in chart.strings("legend") and "无文档 (no documents)" not in chart.strings("legend")
    two = charts.category_chart(shares.loc[[2019, 2020]], None)
    assert two.count("bar") == 4 and not two.strings("count")  # 2 years x 2 categories as bars
    gap = shares.reindex([2018, 2019, 2020, 2021, 2022, 2023])
    gap.loc[2023] = [0.5, 0.5]
    chart = charts.category_chart(gap, None)  # 2023 is isolated: bars, and shaded missing years
    assert chart.count("bar") == 8 and chart.count("gap") == 2 and "无文档 (no documents)" in chart.strings("legend")


def test_trend_chart_keeps_gaps():
    mat = pd.DataFrame({"两个维护": [1.0, float("nan"), 3.0, 4.0]}, index=[2018, 2019, 2020, 2021])
    chart = charts.trend_chart(mat, "per_10k")
    lines = [s for s in chart.shapes if s[1] == "line"]
    assert len(lines) == 1 and len(lines[0][4]) == 2  # 2020-2021 joined, 2019 a gap (not 0)
    assert chart.count("point") == 3  # 2018 stays a lone point
    assert chart.strings("legend") == ["两个维护"]
    bars = charts.trend_chart(mat.loc[[2020, 2021]], "doc_share")  # fewer than 3 years: bars
    assert bars.count("bar") == 2 and not bars.count("line")


def test_heatmap_and_timeline_charts():
    mat = pd.DataFrame({"两个维护": [1.0, float("nan"), 2.0], "四个意识": [0.0, float("nan"), 4.0]}, index=[2019, 2020, 2021])
    heat = charts.heatmap_chart(mat, "per_10k")
    cells = {s[2] for s in heat.shapes if s[1] == "cell"}
    assert heat.count("cell") == 6 and MISSING in cells  # 2020: grey, not the lightest colour
    assert heat.strings("ytick")[:2] == ["两个维护", "四个意识"]
    first = pd.DataFrame(
        {
            "term": ["两个维护", "党章"],
            "first_year_corpus": [2016, 2018],
            "last_year_corpus": [2022, 2020],
            "first_year_national": [2016, 1922],
            "n_docs": [3, 1],
        }
    )
    timeline = charts.timeline_chart(first)
    assert timeline.count("range") == 2 and timeline.count("national") == 2
    assert timeline.strings("clipped") == ["1922"]  # far-away national year: arrow at the edge, year written
    for empty in (
        charts.heatmap_chart(pd.DataFrame(), "per_10k"),
        charts.timeline_chart(pd.DataFrame()),
        charts.keywords_chart(pd.DataFrame()),
        charts.documents_chart(pd.Series(dtype=float)),
        charts.category_chart(pd.DataFrame(), None),
    ):
        assert empty.count("message") == 1 and empty.png(72)[:4] == b"\x89PNG"


def test_charts_escape_text_and_render_every_glyph(run_dir):
    """SVG is well-formed XML with hostile text inside; every character of every chart exists
    in the bundled font (the check matplotlib did with its missing-glyph warning)."""
    import xml.etree.ElementTree as ET

    from pipeline.report.fonts import bundled_font

    kw = pd.DataFrame({"year": [2020, 2020], "word": [XSS, "两个\x0b维护"], "score": [2.0, 1.0], "method": ["g2", "g2"]})
    svg = charts.keywords_chart(kw).svg()
    ET.fromstring(svg.encode("utf-8"))
    assert "<script" not in svg and "&lt;script" in svg  # the label (cut to 8 characters) is escaped
    font = bundled_font()
    c = load_tables(run_dir)
    tt = term_trends(c)
    drawn = [
        charts.keywords_chart(c.keywords_by_year),
        charts.trend_chart(c.trend(), "per_10k", c.docs_per_year()),
        charts.heatmap_chart(trends.trend_matrix(tt, trends.top_terms(tt, 20), "per_10k"), "per_10k"),
        charts.timeline_chart(c.first_appearance()),
        charts.category_chart(c.shares(), c.docs_per_year()),
    ]
    for chart in drawn:
        for text in chart.strings():
            assert font.covers(text), text


def test_year_chart_layout_rotates_or_drops_the_counts():
    from pipeline.report.layout import SMALL, count_labels, plot_width

    years = list(range(2000, 2010))
    n_docs = pd.Series({y: 100 + y % 3 for y in years})
    labels, rotate, height = count_labels(years, n_docs, plot_width(len(years)))
    assert labels[0] == "n=102" and rotate == 0 and height == SMALL * 1.4  # wide enough: level
    assert count_labels(years, n_docs, 100.0)[1] == 90  # narrow: turned
    assert count_labels(years, n_docs, 60.0) == ([], 0, 0.0)  # too narrow: none
    assert count_labels(years, None, 500.0) == ([], 0, 0.0)
    assert plot_width(1) == 260.0 and plot_width(200) == 880.0


def test_category_interval_chart_panels_whiskers_and_hatching():
    shares = pd.DataFrame({"政治建设": [0.3, None, 0.4], "其他": [0.7, None, 0.6]}, index=[2019, 2020, 2021])
    low, high = shares - 0.05, shares + 0.05
    chart = charts.category_chart(shares, pd.Series({2019: 2, 2020: 0, 2021: 9}), low=low, high=high, small=[2019])
    assert chart.strings("panel") == ["政治建设", "其他"]
    assert chart.count("bar") == 4 and chart.count("gap") == 2  # a bar per known year and category; 2020 shaded
    assert chart.count("interval") == 4 * 3  # whisker and two caps each
    assert chart.count("small") > 0 and charts.SMALL_GROUP_LABEL in chart.strings("legend")
    assert "95% intervals" in chart.title and "experimental" not in chart.title
    assert "experimental" in charts.category_chart(shares, None, low=low, high=high, experimental=True).title
    full = charts.category_chart(shares, None, low=low, high=(high + 0.5).clip(upper=1.0))  # an interval up to 100%
    assert full.strings("ytick")[-1] == "100%" and "125%" not in full.strings("ytick")
    plain = charts.category_chart(shares, None, small=[2019])
    assert plain.count("small") > 0 and charts.SMALL_GROUP_LABEL in plain.strings("legend") and not plain.count("interval")


def test_hatch_lines_stay_inside_their_rectangle():
    from pipeline.report.canvas import Chart, hatch

    chart = Chart(100, 100)
    hatch(chart, 10, 20, 30, 40, spacing=4)
    assert chart.count("hatch") > 5
    for shape in chart.shapes:
        for x, y in shape[4]:
            assert 10 - 1e-9 <= x <= 40 + 1e-9 and 20 - 1e-9 <= y <= 60 + 1e-9
