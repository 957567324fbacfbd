"""Charts, fonts, report.html and the `report` / `plot` commands (pipeline/report.py, fonts.py)."""

from __future__ import annotations

import io
import re
import struct
import warnings
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from pipeline import trends
from pipeline.report import core as report
from pipeline.cli import app
from pipeline.errors import InputError
from test_trends import LABELS, XSS, build_out_dir, build_tables

STANDARD = ["category_shares", "heatmap_terms", "trend_terms", "first_appearance", "keywords_by_year"]


def _png_size(path: Path) -> tuple[int, int]:
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n", f"{path} is not a PNG"
    return struct.unpack(">II", data[16:24])


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory) -> Path:
    """A complete OUT_DIR from the seed reports (CSV + Parquet), figures and report drawn once."""
    out = build_out_dir(tmp_path_factory.mktemp("run") / "out")
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a missing glyph (or any other matplotlib warning) fails
        figs = report.make_figures(out)
        report.write_report(out, figures=figs)
    return out


@pytest.fixture(scope="module")
def html_text(run_dir) -> str:
    return (run_dir / "report.html").read_text(encoding="utf-8")


# --------------------------------------------------------------------------- fonts
def test_cjk_font_renders_chinese_without_missing_glyph_warnings():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from pipeline.report.fonts import cjk_font, font_context

    family = cjk_font()
    assert family  # e.g. "WenQuanYi Micro Hei" from paperang-p2-fonts-cjk, or a system font
    from matplotlib import font_manager

    path = font_manager.findfont(font_manager.FontProperties(family=family), fallback_to_default=False)
    assert "DejaVu" not in Path(path).name
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with font_context():
            fig, ax = plt.subplots()
            ax.set_title("两个维护 四个意识 全面从严治党 -1")
            ax.plot([-1, 1])
            fig.savefig(io.BytesIO(), format="png")
            fig.savefig(io.BytesIO(), format="svg")
            plt.close(fig)
    # the global rcParams are untouched
    assert family not in matplotlib.rcParams["font.sans-serif"]


def test_truetype_reader_matches_fonttools():
    """Our struct-based reader gives fontTools' glyph ids, advances and outlines, and its WOFF
    subset holds exactly the glyphs asked for, renumbered, with composite parts."""
    from fontTools.pens.boundsPen import BoundsPen
    from fontTools.ttLib import TTFont

    from pipeline.report.fonts import bundled_font

    font = bundled_font()
    ref = TTFont(str(font.path), fontNumber=font.index, lazy=True)
    cmap, glyphs = ref.getBestCmap(), ref.getGlyphSet()
    text = "党建报告趋势语料概况两个维护Aa1"
    for ch in text:
        assert font.glyph_id(ch) == ref.getGlyphID(cmap[ord(ch)])
        assert font.advance(ch) == ref["hmtx"][cmap[ord(ch)]][0]
        assert font.outline(ch).startswith("M")
    assert font.glyph_id("\U0010fffd") == 0 and not font.covers("\U0010fffd")
    sub = TTFont(io.BytesIO(font.woff(text)))
    sub_cmap, sub_glyphs = sub.getBestCmap(), sub.getGlyphSet()
    assert set(sub_cmap) == {ord(ch) for ch in text}
    assert sub["maxp"].numGlyphs < 100  # only the glyphs asked for (+ composite parts)
    for ch in text:
        a, b = BoundsPen(glyphs), BoundsPen(sub_glyphs)
        glyphs[cmap[ord(ch)]].draw(a)
        sub_glyphs[sub_cmap[ord(ch)]].draw(b)
        assert a.bounds == b.bounds, ch
    assert font.woff(text) == font.woff(text[::-1])  # same characters, same bytes


def test_missing_glyph_check_can_fail():
    """Control: the same text in a Latin-only font does warn, so the check above is real."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    with matplotlib.rc_context({"font.family": "sans-serif", "font.sans-serif": ["DejaVu Sans"]}):
        fig, ax = plt.subplots()
        ax.set_title("两个维护")
        with pytest.warns(UserWarning, match="missing from font"):
            fig.savefig(io.BytesIO(), format="png")
        plt.close(fig)


# --------------------------------------------------------------------------- figures
def test_make_figures_writes_png_and_svg(run_dir):
    fig_dir = run_dir / "figures"
    for name in STANDARD + ["documents_per_year"]:
        png, svg = fig_dir / f"{name}.png", fig_dir / f"{name}.svg"
        assert png.stat().st_size > 10_000, name
        w, h = _png_size(png)
        assert w > 400 and h > 200, name
        text = svg.read_text(encoding="utf-8")
        assert text.lstrip().startswith("<?xml") and "<svg" in text and len(text) > 10_000, name
    assert not list(fig_dir.glob("*.tmp")) and not list(fig_dir.glob(".*"))  # atomic writes left no temp files


def test_dpi_300_doubles_resolution(run_dir, tmp_path):
    out = build_out_dir(tmp_path / "out", parquet=False)
    paths = report.make_figures(out, dpi=300, measure="doc_share")
    hi = _png_size(out / "figures" / "category_shares.png")
    lo = _png_size(run_dir / "figures" / "category_shares.png")
    assert hi[0] == pytest.approx(2 * lo[0], rel=0.05)
    assert len([p for p in paths if p.suffix == ".png"]) >= 5


def test_single_year_corpus_draws_bars(tmp_path):
    from pipeline import store

    t = build_tables(xss=False)
    docs = t["documents"].assign(year=pd.array([2020] * len(t["documents"]), dtype="Int64"))
    tc = trends.term_counts(t["term_hits"], docs)
    out = tmp_path / "one"
    for name, df in {
        "documents": docs,
        "paragraphs": t["paragraphs"],
        "term_counts": tc,
        "term_trends": trends.term_trends(tc, docs),
        "keywords_by_year": trends.keywords_by_year(t["word_counts"], docs),
        "category_shares": trends.category_shares(t["paragraphs"], docs, LABELS),
    }.items():
        store.write_csv(out / f"{name}.csv", df)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        paths = report.make_figures(out)
        html = report.write_report(out, figures=paths).read_text(encoding="utf-8")
    assert len([p for p in paths if p.suffix == ".png"]) >= 5
    assert "<td>2020</td>" in html and "distinctive words (frequency)" in html
    shares = trends.category_matrix(pd.read_csv(out / "category_shares.csv", encoding="utf-8-sig"), LABELS)
    chart = report.category_chart(shares, trends.docs_per_year(docs))
    assert chart.count("bar") == int((shares.iloc[0] > 0).sum()) >= 2 and not chart.count("area")  # one stacked bar


def test_category_chart_bars_for_few_years_area_for_many():
    shares = pd.DataFrame({"政治建设": [0.5, 0.4, 0.3], "其他": [0.5, 0.6, 0.7]}, index=[2019, 2020, 2021])
    chart = report.category_chart(shares, pd.Series({2019: 2, 2020: 3, 2021: 1}))
    assert chart.count("area") == 2 and not chart.count("bar")  # areas
    assert chart.strings("count") == ["n=2", "n=3", "n=1"]
    assert "政治建设" in chart.strings("legend") and "无文档 (no documents)" not in chart.strings("legend")
    two = report.category_chart(shares.loc[[2019, 2020]], None)
    assert two.count("bar") == 4 and not two.strings("count")  # 2 years x 2 categories as bars
    gap = shares.reindex([2018, 2019, 2020, 2021, 2022, 2023])
    gap.loc[2023] = [0.5, 0.5]
    chart = report.category_chart(gap, None)  # 2023 is isolated: bars, and shaded missing years
    assert chart.count("bar") == 8 and chart.count("gap") == 2 and "无文档 (no documents)" in chart.strings("legend")


def test_trend_chart_keeps_gaps():
    mat = pd.DataFrame({"两个维护": [1.0, float("nan"), 3.0, 4.0]}, index=[2018, 2019, 2020, 2021])
    chart = report.trend_chart(mat, "per_10k")
    lines = [s for s in chart.shapes if s[1] == "line"]
    assert len(lines) == 1 and len(lines[0][4]) == 2  # 2020-2021 joined, 2019 a gap (not 0)
    assert chart.count("point") == 3  # 2018 stays a lone point
    assert chart.strings("legend") == ["两个维护"]
    bars = report.trend_chart(mat.loc[[2020, 2021]], "doc_share")  # fewer than 3 years: bars
    assert bars.count("bar") == 2 and not bars.count("line")


def test_heatmap_and_timeline_charts():
    mat = pd.DataFrame({"两个维护": [1.0, float("nan"), 2.0], "四个意识": [0.0, float("nan"), 4.0]}, index=[2019, 2020, 2021])
    heat = report.heatmap_chart(mat, "per_10k")
    cells = {s[2] for s in heat.shapes if s[1] == "cell"}
    assert heat.count("cell") == 6 and report.MISSING in cells  # 2020: grey, not the lightest colour
    assert heat.strings("ytick")[:2] == ["两个维护", "四个意识"]
    first = pd.DataFrame({"term": ["两个维护", "党章"], "first_year_corpus": [2016, 2018], "last_year_corpus": [2022, 2020],
                          "first_year_national": [2016, 1922], "n_docs": [3, 1]})
    timeline = report.timeline_chart(first)
    assert timeline.count("range") == 2 and timeline.count("national") == 2
    assert timeline.strings("clipped") == ["1922"]  # far-away national year: arrow at the edge, year written
    for empty in (report.heatmap_chart(pd.DataFrame(), "per_10k"), report.timeline_chart(pd.DataFrame()), report.keywords_chart(pd.DataFrame()),
                  report.documents_chart(pd.Series(dtype=float)), report.category_chart(pd.DataFrame(), None)):
        assert empty.count("message") == 1 and empty.png(72)[:4] == b"\x89PNG"


def test_charts_escape_text_and_render_every_glyph(run_dir):
    """SVG is well-formed XML with hostile text inside; every character of every chart exists
    in the bundled font (the check matplotlib did with its missing-glyph warning)."""
    import xml.etree.ElementTree as ET

    from pipeline.report.fonts import bundled_font

    kw = pd.DataFrame({"year": [2020, 2020], "word": [XSS, "两个\x0b维护"], "score": [2.0, 1.0], "method": ["g2", "g2"]})
    svg = report.keywords_chart(kw).svg()
    ET.fromstring(svg.encode("utf-8"))
    assert "<script" not in svg and "&lt;script" in svg  # the label (cut to 8 characters) is escaped
    font = bundled_font()
    c = report._corpus(run_dir)
    tt = report._term_trends(c)
    charts = [report.keywords_chart(c.keywords_by_year), report.trend_chart(c.trend(), "per_10k", c.docs_per_year()),
              report.heatmap_chart(trends.trend_matrix(tt, trends.top_terms(tt, 20), "per_10k"), "per_10k"),
              report.timeline_chart(c.first_appearance()), report.category_chart(c.shares(), c.docs_per_year())]
    for chart in charts:
        for text in chart.strings():
            assert font.covers(text), text


def test_figures_are_reproducible(run_dir, tmp_path):
    import shutil

    copy = tmp_path / "copy"
    shutil.copytree(run_dir, copy)
    report.make_figures(copy)
    for path in (run_dir / "figures").iterdir():
        assert (copy / "figures" / path.name).read_bytes() == path.read_bytes(), path.name


def test_nice_ticks_and_year_ticks():
    from pipeline.report.canvas import nice_ticks, year_ticks

    assert nice_ticks(1.0) == ([0.0, 0.2, 0.4, 0.6, 0.8, 1.0], 1)
    assert nice_ticks(14.7)[0][-1] >= 14.7 and nice_ticks(14.7)[1] == 0
    assert nice_ticks(2, integer=True) == ([0.0, 1.0, 2.0], 0)
    assert nice_ticks(0.0)[0][-1] == 1.0  # nothing to show: still an axis
    assert year_ticks(1921, 2025, 12) == list(range(1930, 2021, 10))
    assert year_ticks(2019, 2021, 12) == [2019, 2020, 2021]


def test_slug_keeps_chinese_and_is_safe():
    assert report.slug("两个维护 四个意识") == "两个维护_四个意识"
    assert "/" not in report.slug("../../etc/passwd")
    assert len(report.slug("提法" * 100)) <= 60


def test_sparkline_breaks_at_missing_years():
    s = pd.Series([1.0, 2.0, float("nan"), 3.0, 4.0], index=[2016, 2017, 2018, 2019, 2020])
    svg = report.sparkline(s)
    assert svg.count("<polyline") == 2 and svg.startswith("<svg")
    assert report.sparkline(pd.Series([float("nan")], index=[2020])) == ""


# --------------------------------------------------------------------------- report.html
def test_report_escapes_script(html_text):
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html_text
    assert XSS not in html_text and "<script>alert(1)" not in html_text
    assert "<script" not in html_text.lower()  # no scripts at all
    assert "&lt;b&gt;bad&lt;/b&gt;.txt" in html_text  # ingest log paths escaped too


def test_report_is_self_contained(html_text):
    assert not re.search(r"""(src|href)\s*=\s*["'](?!data:)""", html_text)
    assert "<link" not in html_text and "@import" not in html_text
    assert "http://" not in html_text and "https://" not in html_text
    assert html_text.count('src="data:image/png;base64,') >= 5
    assert "Content-Security-Policy" in html_text


def test_report_sections_and_numbers(run_dir, html_text):
    # corpus summary: documents per year incl. a year without documents, ingest problems
    assert "<td>2019</td><td>2</td>" in html_text and "<td>2021</td><td>0</td>" in html_text
    assert "broken.pdf" in html_text and "PDF has no text layer" in html_text
    assert "年份未知 unknown year: 1" in html_text
    # category shares as percentages that sum to 100 for each year
    for cat in LABELS:
        assert f"{cat}：例段" in html_text
    # top formulations with first/last year and a sparkline
    row = re.search(r"<tr><td>两个维护</td><td>(\d+)</td><td>(\d+)</td><td>(\d+)</td><td>(\d+)</td><td>2018</td><td><svg", html_text)
    assert row, "两个维护 row with national year 2018 and a sparkline"
    tc = pd.read_parquet(run_dir / "term_counts.parquet")
    used = tc[tc["term"] == "两个维护"]
    assert int(row.group(1)) == used.loc[used["year"].notna(), "count"].sum()  # by-year total (known years)
    assert int(row.group(2)) == used["doc_id"].nunique()
    assert int(row.group(4)) == 2022
    # candidates, keywords, examples with document title and year
    assert "四强党支部" in html_text and "-负面清单" in html_text
    assert "各年特征词" in html_text
    assert "《样本报告 003》, 2020" in html_text
    assert "=SUM(A1:A2)" in html_text and "'=SUM" not in html_text


def test_report_examples_match_trends_examples(run_dir):
    """report.html picks example paragraphs by the rule of Corpus.examples, without pandas."""
    c = report._corpus(run_dir)
    index = trends.ExampleIndex(c.paragraphs, c.documents, lexicon=c.lexicon, min_chars=report.EXAMPLE_MIN_CHARS)
    asked = [(report._examples(index, category=cat), c.examples(category=cat, n=report.REPORT_EXAMPLES)) for cat in c.labels]
    top = trends.top_terms(report._term_trends(c), 20) + ["不存在的提法"]
    asked += [(report._term_examples(index, top)[t], c.examples(term=t, n=report.REPORT_EXAMPLES)) for t in top]
    assert any(len(mine) == report.REPORT_EXAMPLES for mine, _ in asked)
    for mine, ref in asked:
        assert [(r["doc_id"], r["para_id"], r["text"]) for r in mine] == [(str(d), p, t) for d, p, t in zip(ref["doc_id"], ref["para_id"], ref["text"])]


def test_report_without_optional_tables(tmp_path):
    out = build_out_dir(tmp_path / "out", candidates=False, parquet=False)
    for name in ("keywords_by_year", "keyword_frequencies", "ingest_log"):
        (out / f"{name}.csv").unlink()
    html = report.write_report(out).read_text(encoding="utf-8")
    assert "没有 candidates.csv" in html and "没有关键词" in html
    # read from CSV: the formula guard is removed again, the XSS still escaped
    assert "=SUM(A1:A2)" in html and "'=SUM" not in html
    assert "&lt;script&gt;" in html and "<script" not in html
    assert (out / "figures" / "keywords_by_year.png").is_file()


def test_report_reuses_fresh_figures(run_dir):
    before = {p: p.stat().st_mtime_ns for p in (run_dir / "figures").glob("*.png")}
    report.write_report(run_dir)
    after = {p: p.stat().st_mtime_ns for p in (run_dir / "figures").glob("*.png")}
    assert before == after


def test_missing_out_dir_is_an_input_error(tmp_path):
    with pytest.raises(InputError, match="dangjian run"):
        report.make_figures(tmp_path / "nope")
    (tmp_path / "empty").mkdir()
    with pytest.raises(InputError, match="dangjian run"):
        report.write_report(tmp_path / "empty")


# --------------------------------------------------------------------------- CLI
def test_cli_report_and_plot(tmp_path):
    out = build_out_dir(tmp_path / "out", parquet=False)
    runner = CliRunner()
    res = runner.invoke(app, ["plot", "terms", "两个维护", "四个意识", "--out-dir", str(out), "--measure", "doc_share", "--dpi", "100"])
    assert res.exit_code == 0, res.output
    png = out / "figures" / "terms_两个维护_四个意识.png"
    assert str(png) in res.output and png.stat().st_size > 10_000
    assert (out / "figures" / "terms_两个维护_四个意识.svg").is_file()
    res = runner.invoke(app, ["plot", "all", str(out), "--dpi", "80"])
    assert res.exit_code == 0, res.output
    assert res.output.count(".png") >= 5
    res = runner.invoke(app, ["report", str(out)])
    assert res.exit_code == 0, res.output
    assert "report.html" in res.output and (out / "report.html").stat().st_size > 50_000
    res = runner.invoke(app, ["plot", "terms", "两个维护", "--measure", "bogus", "--out-dir", str(out)])
    assert res.exit_code != 0


@pytest.mark.parametrize("args", [["report", "{missing}"], ["plot", "all", "{missing}"], ["plot", "terms", "两个维护", "--out-dir", "{missing}"]])
def test_cli_without_a_run_says_run_first(tmp_path, args):
    args = [a.format(missing=tmp_path / "missing") for a in args]
    res = CliRunner().invoke(app, args)
    assert res.exit_code == 1
    assert "Error:" in res.output and "dangjian run" in res.output


def test_report_embeds_a_cjk_font_subset(html_text):
    """The page carries the glyphs of its own Chinese text (a WOFF subset of the bundled font),
    so it renders on machines without CJK fonts; the CSP allows only data: fonts."""
    import base64

    m = re.search(r'@font-face\{font-family:"DJ CJK";src:url\(data:font/woff;base64,([A-Za-z0-9+/=]+)\)', html_text)
    assert m, "no embedded font"
    woff = base64.b64decode(m.group(1))
    assert woff[:4] == b"wOFF" and 10_000 < len(woff) < 2_000_000
    assert "font-src data:" in html_text
    from fontTools.ttLib import TTFont

    cmap = TTFont(io.BytesIO(woff)).getBestCmap()
    for ch in "党建报告趋势语料概况":
        assert ord(ch) in cmap, ch


def test_report_bytes_are_reproducible(run_dir, tmp_path):
    """Same tables -> byte-identical report.html (no timestamps, e.g. in the embedded font), so
    a re-run or a crash-recovery run equals a clean run."""
    import shutil
    import time

    copy = tmp_path / "copy"
    shutil.copytree(run_dir, copy)
    first = report.write_report(copy, figures=list((copy / "figures").glob("*"))).read_bytes()
    time.sleep(1.1)
    second = report.write_report(copy, figures=list((copy / "figures").glob("*"))).read_bytes()
    assert first == second
