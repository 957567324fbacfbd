"""report.html (pipeline/report/page.py and templates/report.html.j2): escaped, self-contained,
the run's numbers; optionally rendered in headless Chromium."""

from __future__ import annotations

import io
import re
import shutil
import subprocess

import pandas as pd
import pytest
from report_helpers import built_run
from test_trends import LABELS, XSS, build_out_dir

from pipeline import trends
from pipeline.report import page
from pipeline.report.figures import load_tables, make_figures, term_trends
from pipeline.report.page import write_report

CSP = "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; img-src data:; font-src data:; style-src 'unsafe-inline'\">"


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory):
    return built_run(tmp_path_factory)


@pytest.fixture(scope="module")
def html_text(run_dir) -> str:
    return (run_dir / "report.html").read_text(encoding="utf-8")


# --------------------------------------------------------------------------- template and escaping
def test_template_is_package_data_rendered_with_autoescape():
    from importlib import resources

    template = resources.files("pipeline.report").joinpath("templates", page.TEMPLATE)
    assert template.is_file() and CSP in template.read_text(encoding="utf-8")
    env = page.environment()
    assert env.autoescape is True and env.finalize is page.escape
    assert env.get_template(page.TEMPLATE).filename.endswith("report.html.j2")
    # a value the template writes is escaped, even without our finalize
    plain = type(env)(autoescape=True)
    assert plain.from_string("{{ x }}").render(x=XSS) == "&lt;script&gt;alert(1)&lt;/script&gt;"


def test_escape_spells_entities_like_html_escape():
    from markupsafe import Markup

    assert page.escape("<a href='x'>\"&\"</a>") == "&lt;a href=&#x27;x&#x27;&gt;&quot;&amp;&quot;&lt;/a&gt;"
    assert page.escape(None) == page.escape(float("nan")) == page.escape(pd.NA) == ""
    assert page.escape(Markup("<b>ok</b>")) == "<b>ok</b>" and page.escape(0) == "0"
    assert page.fmt(None) == page.fmt(float("nan")) == page.fmt(pd.NA) == "–"
    assert page.fmt(1.0 / 3) == "0.33" and page.fmt(1.0 / 3, 1) == "0.3" and page.fmt(7) == 7


def test_sparkline_breaks_at_missing_years():
    s = pd.Series([1.0, 2.0, float("nan"), 3.0, 4.0], index=[2016, 2017, 2018, 2019, 2020])
    svg = page.sparkline(s)
    assert svg.count("<polyline") == 2 and svg.startswith("<svg")
    assert page.sparkline(pd.Series([float("nan")], index=[2020])) == ""
    lone = page.sparkline(pd.Series([1.0, float("nan"), 2.0, 3.0], index=[2016, 2017, 2018, 2019]))
    assert lone.count("<circle") == 1 and lone.count("<polyline") == 1 and 'aria-label="2016–2019, max 3.00"' in lone


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
    assert html_text.splitlines()[1] == CSP


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
    # one line per piece: no empty lines from the template
    assert "\n\n" not in html_text and html_text.endswith("</body></html>")


def test_report_examples_match_trends_examples(run_dir):
    """report.html picks example paragraphs by the rule of Corpus.examples, without pandas."""
    c = load_tables(run_dir)
    index = trends.ExampleIndex(c.paragraphs, c.documents, lexicon=c.lexicon, min_chars=page.EXAMPLE_MIN_CHARS)
    asked = [(page._examples(index, category=cat), c.examples(category=cat, n=page.REPORT_EXAMPLES)) for cat in c.labels]
    top = trends.top_terms(term_trends(c), 20) + ["不存在的提法"]
    asked += [(page._term_examples(index, top)[t], c.examples(term=t, n=page.REPORT_EXAMPLES)) for t in top]
    assert any(len(mine) == page.REPORT_EXAMPLES for mine, _ in asked)
    for mine, ref in asked:
        assert [(r["doc_id"], r["para_id"], r["text"]) for r in mine] == [
            (str(d), p, t) for d, p, t in zip(ref["doc_id"], ref["para_id"], ref["text"])
        ]


def test_report_without_optional_tables(tmp_path):
    out = build_out_dir(tmp_path / "out", candidates=False, parquet=False)
    for name in ("keywords_by_year", "keyword_frequencies", "ingest_log"):
        (out / f"{name}.csv").unlink()
    html = write_report(out).read_text(encoding="utf-8")
    assert "没有 candidates.csv" in html and "没有关键词" in html
    # read from CSV: the formula guard is removed again, the XSS still escaped
    assert "=SUM(A1:A2)" in html and "'=SUM" not in html
    assert "&lt;script&gt;" in html and "<script" not in html
    assert (out / "figures" / "keywords_by_year.png").is_file()


def test_report_reuses_fresh_figures(run_dir):
    before = {p: p.stat().st_mtime_ns for p in (run_dir / "figures").glob("*.png")}
    write_report(run_dir)
    after = {p: p.stat().st_mtime_ns for p in (run_dir / "figures").glob("*.png")}
    assert before == after


def test_figures_from_a_function_or_a_list_give_the_same_page(run_dir, tmp_path):
    """The run passes a function (the charts are drawn meanwhile); called once, after the page's
    values are gathered. A figure that is missing leaves out its line, nothing else."""
    copy = tmp_path / "copy"
    shutil.copytree(run_dir, copy)
    figs = sorted((copy / "figures").glob("*"))
    listed = write_report(copy, figures=figs).read_bytes()
    calls = []
    waited = write_report(copy, figures=lambda: calls.append(1) or figs).read_bytes()
    assert waited == listed and calls == [1]
    fewer = write_report(copy, figures=[p for p in figs if p.stem != "trend_terms"]).read_text(encoding="utf-8")
    full = listed.decode("utf-8")
    assert 'alt="提法趋势 Formulation trends"' in full and 'alt="提法趋势 Formulation trends"' not in fewer
    assert len(fewer.splitlines()) == len(full.splitlines()) - 1 and "\n\n" not in fewer


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
    from pipeline.report.fonts import bundled_font

    page_chars = {ord(ch) for ch in html_text.replace(m.group(0), "") if ord(ch) > 127}  # every character the font has
    assert {cp for cp in page_chars if bundled_font().glyph_id(chr(cp))} <= set(cmap)


def test_report_bytes_are_reproducible(run_dir, tmp_path):
    """Same tables -> byte-identical report.html (no timestamps, e.g. in the embedded font), so
    a re-run or a crash-recovery run equals a clean run."""
    import time

    copy = tmp_path / "copy"
    shutil.copytree(run_dir, copy)
    first = write_report(copy, figures=list((copy / "figures").glob("*"))).read_bytes()
    time.sleep(1.1)
    second = write_report(copy, figures=list((copy / "figures").glob("*"))).read_bytes()
    assert first == second


# --------------------------------------------------------------------------- in a browser (optional)
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--enable-logging=stderr",
    "--v=0",
]


def _chromium() -> str:
    for name in ("chromium", "chromium-browser", "google-chrome"):
        exe = shutil.which(name)
        if exe:
            return exe
    pytest.skip("headless Chromium is not installed (Debian package: chromium)")


def test_report_renders_in_chromium_without_console_errors(tmp_path):
    """Optional: open report.html in headless Chromium and check it renders without console
    errors or blocked requests. Skips when Chromium is not installed (`.ci/run` tries to install it)."""
    exe = _chromium()
    out = build_out_dir(tmp_path / "out")
    write_report(out, figures=make_figures(out))
    url = (out / "report.html").resolve().as_uri()
    proc = subprocess.run(
        [exe, *FLAGS, f"--user-data-dir={tmp_path / 'profile'}", "--dump-dom", url],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    dom, log = proc.stdout, proc.stderr
    assert "Party-building report trends" in dom
    assert "<img" in dom and "data:image/png;base64," in dom  # charts are embedded
    # nothing from the page reached the console: no script ran, no CSP refusal, no failed load
    console = [line for line in log.splitlines() if ":CONSOLE" in line or "Refused to" in line]
    assert not console, console
    assert "<script" not in dom.lower()
    assert XSS not in dom  # the injected markup stays text
