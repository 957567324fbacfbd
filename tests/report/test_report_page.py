"""report.html (pipeline/report/page.py and templates/report.html.j2): escaped, self-contained,
the run's numbers; optionally rendered in headless Chromium."""

from __future__ import annotations

import base64
import hashlib
import html
import io
import json
import re
import shutil
import subprocess

import pandas as pd
import pytest
from report_helpers import built_run
from test_trends import LABELS, XSS, build_out_dir

from pipeline.report import page
from pipeline.report.figures import load_tables, make_figures
from pipeline.report.page import write_report

CSP = '<meta http-equiv="Content-Security-Policy" content="{{ csp }}">'


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
    assert lone.count("<circle") == 1 and lone.count("<polyline") == 1 and "<title>2016–2019, max 3.00</title>" in lone


# --------------------------------------------------------------------------- report.html
def _json_block(html_text: str) -> dict:
    import json

    m = re.search(r'<script type="application/json" id="dj-data">(.*?)</script>', html_text, re.S)
    assert m, "no JSON block"
    return json.loads(m.group(1))


def _inline(html_text: str, tag: str) -> list[str]:
    """The contents of the page's inline <tag> elements without attributes (the JSON block has one)."""
    return re.findall(f"<{tag}>(.*?)</{tag}>", html_text, re.S)


def test_report_escapes_script(html_text):
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html_text
    assert XSS not in html_text and "<script>alert(1)" not in html_text
    assert "&lt;b&gt;bad&lt;/b&gt;.txt" in html_text  # ingest log paths escaped too
    # the only script elements: the JSON block and the page's own script; in the JSON no < > &
    scripts = re.findall(r"<script[^>]*>", html_text)
    assert scripts == ['<script type="application/json" id="dj-data">', "<script>"]
    block = re.search(r'<script type="application/json" id="dj-data">(.*?)</script>', html_text, re.S).group(1)
    assert not set("<>&\u2028\u2029") & set(block)
    assert XSS in json.dumps(_json_block(html_text), ensure_ascii=False)  # the text itself is intact
    # no markup the policy would refuse: no inline handlers, no style attributes, no javascript: URLs
    assert not re.search(r"<[^>]+\son[a-z]+\s*=", html_text) and not re.search(r"<[^>]+\sstyle\s*=", html_text)
    assert "javascript:" not in html_text.lower()


def test_json_script_escapes_everything_that_could_end_the_block():
    nasty = {"a": "</script><script>alert(1)</script>", "b": "<!-- & -->", "c": "line\u2028sep\u2029para", "d": "「提法」"}
    out = str(page.json_script(nasty))
    assert "</" not in out and "<!--" not in out and "&" not in out and "\u2028" not in out and "\u2029" not in out
    assert "「提法」" in out  # Chinese stays as UTF-8
    assert json.loads(out) == nasty


def test_report_policy_allows_only_its_own_script_and_style(html_text):
    """The Content-Security-Policy lists the sha256 of the exact inline style and script and
    nothing else: no 'unsafe-inline', no sources but data: images and fonts."""
    m = re.search(r'<meta http-equiv="Content-Security-Policy" content="([^"]+)">', html_text)
    assert m and html_text.splitlines()[1] == m.group(0)
    policy = html.unescape(m.group(1))
    (style,) = _inline(html_text, "style")
    (script,) = _inline(html_text, "script")
    assert policy == page.content_security_policy(style, script)
    assert f"style-src {page.csp_hash(style)};" in policy and f"script-src {page.csp_hash(script)};" in policy
    digest = base64.b64encode(hashlib.sha256(script.encode("utf-8")).digest()).decode()
    assert f"'sha256-{digest}'" in policy
    assert "unsafe" not in policy and "http" not in policy and "default-src 'none'" in policy
    assert script == page.script_text() and style.startswith(page.style_text(None))


def test_report_is_self_contained(html_text):
    # every src/href is data: or a link within the page
    assert not re.search(r"""(src|href)\s*=\s*["'](?!data:|#)""", html_text)
    assert "<link" not in html_text and "@import" not in html_text
    assert "http://" not in html_text and "https://" not in html_text
    assert html_text.count('src="data:image/png;base64,') >= 5
    for anchor in re.findall(r'href="#([^"]+)"', html_text):
        assert f'id="{anchor}"' in html_text


def _term_rows(html_text: str) -> list[dict]:
    table = re.search(r'<table id="term-table".*?</table>', html_text, re.S).group(0)
    return [dict(re.findall(r'data-([a-z]+)="([^"]*)"', attrs)) for attrs in re.findall(r"<tr (data-term=[^>]+)>", table)]


def test_report_sections_and_numbers(html_text):
    # corpus summary: documents per year incl. a year without documents, ingest problems
    assert "<td>2019</td><td>2</td>" in html_text and "<td>2021</td><td>0</td>" in html_text
    assert "broken.pdf" in html_text and "PDF has no text layer" in html_text
    assert "年份未知 unknown year: 1" in html_text
    for cat in LABELS:
        assert f"{cat}：例段" in html_text
    # candidates, keywords; formula guard removed again
    assert "四强党支部" in html_text and "-负面清单" in html_text
    assert "各年特征词" in html_text
    assert "=SUM(A1:A2)" in html_text and "'=SUM" not in html_text
    # one line per piece: no empty lines from the template
    assert "\n\n" not in html_text and html_text.endswith("</body></html>")
    for section in ("corpus", "terms", "categories", "quality", "candidates", "keywords"):
        assert f'<h2 id="{section}">' in html_text


def test_report_lists_every_formulation_counted_tifa_first(run_dir, html_text):
    tc = pd.read_parquet(run_dir / "term_counts.parquet")
    rows = _term_rows(html_text)
    assert [r["term"] for r in rows] and {r["term"] for r in rows} == set(tc["term"])
    kinds = [r["kind"] for r in rows]
    assert kinds == sorted(kinds, key=lambda k: k != "提法") and "提法" in kinds and "术语" in kinds
    for kind in ("提法", "术语"):  # by count within each kind
        counts = [int(r["count"]) for r in rows if r["kind"] == kind]
        assert counts == sorted(counts, reverse=True)
    row = next(r for r in rows if r["term"] == "两个维护")
    used = tc[tc["term"] == "两个维护"]
    assert int(row["count"]) == used["count"].sum()  # every document, unknown year included
    assert int(row["docs"]) == used["doc_id"].nunique()
    assert row["national"] == "2018" and row["last"] == "2022" and row["kind"] == "提法"
    assert re.search(r'<tr data-term="两个维护"[^>]*>.*?<svg class="spark"', html_text)
    # the filter box searches aliases too
    assert "坚决做到“两个维护”" in row["search"] or "做到两个维护" in row["search"]


def test_report_concordance_lines_are_counted_occurrences_with_their_file(run_dir, html_text):
    data = _json_block(html_text)
    rows = _term_rows(html_text)
    tc = pd.read_parquet(run_dir / "term_counts.parquet")
    docs = pd.read_parquet(run_dir / "documents.parquet")
    assert len(data["terms"]) == len(rows) and data["counts"] == [int(r["count"]) for r in rows]
    for r in rows:
        lines = data["terms"][int(r["i"])]
        used = tc[tc["term"] == r["term"]]
        assert 0 < len(lines) <= min(page.lookup.TERM_LINES, int(used["count"].sum()))
        for d, left, match, right in lines:
            title, path, year = data["docs"][d]
            assert path in set(docs["path"]) and title in set(docs["title"])
            assert r["term"] in match or match in ("做到两个维护", "坚决做到“两个维护”")
            assert len(left) <= page.lookup.CONTEXT_CHARS and len(right) <= page.lookup.CONTEXT_CHARS
        # spread across the years the term is used in (each year once before any twice)
        years = [data["docs"][d][2] for d, *_ in lines]
        want = used.assign(year=used["year"].astype("Int64"))["year"].dropna().nunique() + int(used["year"].isna().any())
        assert len(set(years)) == min(want, len(lines))
    # the command for all of them is on the page
    assert "dangjian kwic TERM --out RUN_DIR --csv FILE" in html_text


def test_report_categories_show_confident_body_paragraphs_across_years(run_dir, html_text):
    c = load_tables(run_dir)
    docs = page.lookup.DocList(c.documents)
    got = page.lookup.category_examples(c.paragraphs, docs, c.labels)
    p = c.paragraphs.set_index(c.paragraphs["text"])
    for cat, items in got.items():
        assert f"{cat}：例段 {len(items)} example paragraphs" in html_text
        for ex in items:
            rec = p.loc[ex.text.rstrip("…")] if not ex.text.endswith("…") else None
            if rec is not None:
                rec = rec.iloc[0] if isinstance(rec, pd.DataFrame) else rec
                assert rec["kind"] in ("body", "item") and len(rec["text"]) >= 20 and rec["label"] == cat
        years = [docs.year(ex.doc) for ex in items]
        first_round = years[: len(set(years))]
        assert len(set(first_round)) == len(first_round)  # one per year before a second
    # the file path of an example is shown, not the hex doc_id
    assert "sample/003_bd08b3d372a54d52.txt" in html_text and "《样本报告 003》, 2020" in html_text


def test_category_examples_rules():
    docs = pd.DataFrame(
        {
            "doc_id": ["a", "b", "c"],
            "year": pd.array([2019, 2020, 2020], dtype="Int64"),
            "title": ["A", "B", "C"],
            "path": ["a.txt", "b.txt", "c.txt"],
        }
    )
    long = "这是一个足够长的正文段落，讲的是党的组织建设工作。"
    paras = pd.DataFrame(
        {
            "doc_id": ["a", "a", "b", "b", "c", "a", "b"],
            "kind": ["body", "item", "body", "heading", "body", "salutation", "table"],
            "text": [long + "1", long + "2", long + "3", long + "4", long + "5", long + "6", long + "7"],
            "label": ["组织建设"] * 7,
            "p_组织建设": [0.6, 0.9, 0.7, 0.99, 0.8, 0.99, 0.99],
        }
    )
    got = page.lookup.category_examples(paras, page.lookup.DocList(docs), ["组织建设"], n=4)["组织建设"]
    # headings, salutations, table rows out; each year's best first (2019: 0.9, 2020: c 0.8), then
    # each year's next (2020: b 0.7 -- a document's first before a second -- 2019: a 0.6)
    assert [ex.text[-1] for ex in got] == ["2", "5", "3", "1"]
    assert [round(ex.confidence, 2) for ex in got] == [0.9, 0.8, 0.7, 0.6]


def test_report_candidates_in_csv_order_with_variants_apart(tmp_path):
    out = build_out_dir(tmp_path / "out")
    cand = pd.DataFrame(
        {
            "term": ["四强党支部", "一岗双职", "-负面清单", XSS, "统计候选"],
            "method": ["pattern", "pattern+quoted", "quoted", "pmi", "pmi"],
            "score": [1.0, 9.0, 2.1, 8.0, 0.5],
            "doc_freq": [2, 2, 1, 1, 1],
            "years": ["2019", "2019|2020", "2019|2020", "2022", "2020"],
            "example": ["深化“四强”党支部创建", "落实“一岗双职”", "@example", XSS, "统计候选"],
            "variant_of": ["", "一岗双责", "", "", ""],
        }
    )
    from pipeline import store

    store.write_csv(out / "candidates.csv", cand, parquet=True)
    text = write_report(out).read_text(encoding="utf-8")
    table = re.search(r'<table id="cand-table".*?</table>', text, re.S).group(0)
    assert re.findall(r'<tr data-term="([^"]*)"', table) == ["四强党支部", "-负面清单", html.escape(XSS), "统计候选"]  # not by score
    variants = re.search(r'<table id="variant-table".*?</table>', text, re.S).group(0)
    assert "一岗双职" in variants and "一岗双责" in variants and "一岗双职" not in table
    assert "2019–2020 (2)" in table and XSS not in text


def test_report_says_classifier_not_measured_without_classifier_json(html_text):
    assert "分类器质量 Classifier quality" in html_text and "未测量 not measured" in html_text


def test_report_classifier_quality_and_corrected_shares(tmp_path):
    """With classifier.json and a category_shares table with intervals (what the run will write):
    macro-F1 with its interval, per-category F1, uncertain share, correction; the shares table
    with [low–high] and † for years of fewer than 5 documents; 'experimental' when so."""
    out = build_out_dir(tmp_path / "out")
    cs = pd.read_parquet(out / "category_shares.parquet")
    n_docs = pd.read_parquet(out / "documents.parquet").groupby("year").size()
    cs = cs.assign(
        share_raw=cs["share"],
        share_low=(cs["share"] - 0.05).clip(lower=0),
        share_high=(cs["share"] + 0.05).clip(upper=1),
        n_docs=cs["year"].map(n_docs).astype("Int64"),
    )
    cs["small_group"] = cs["n_docs"] < 5
    from pipeline import store

    store.write_csv(out / "category_shares.csv", cs, parquet=False)
    (out / "category_shares.parquet").unlink()
    info = {
        "taxonomy": "six",
        "model": "tfidf-logreg",
        "evaluation": "leave-one-source-group-out",
        "macro_f1": 0.87,
        "macro_f1_low": 0.84,
        "macro_f1_high": 0.9,
        "per_class_f1": {"政治建设": 0.9, "组织建设": 0.81},
        "cv_macro_f1": 0.88,
        "uncertain_share": 0.12,
        "share_method": "PACC (probabilistic adjusted classify-and-count)",
        "experimental": True,
        "n_labels": 2862,
    }
    (out / "classifier.json").write_text(json.dumps(info, ensure_ascii=False), encoding="utf-8")
    text = write_report(out).read_text(encoding="utf-8")
    assert "0.87 [95% 区间 interval 0.84–0.90]" in text and "leave-one-source-group-out" in text
    assert "<td>组织建设</td><td>0.81</td>" in text and "12.0%" in text and "2862" in text
    assert text.count("PACC (probabilistic adjusted classify-and-count)") >= 2  # quality and shares sections
    assert "Category shares — 实验性 experimental" in text and "实验性 experimental" in text
    assert "方括号为 95% 区间" in text and "fewer than 5 documents" in text
    assert re.search(r"<td>2019 †</td><td>2</td><td>\d+\.\d \[\d+\.\d–\d+\.\d\]</td>", text)
    assert "shares before correction" in text
    # the chart was drawn with the intervals and says experimental
    svg = (out / "figures" / "category_shares.svg").read_text(encoding="utf-8")
    assert "95% intervals" in svg and "experimental" in svg


def test_report_without_optional_tables(tmp_path):
    out = build_out_dir(tmp_path / "out", candidates=False, parquet=False)
    for name in ("keywords_by_year", "keyword_frequencies", "ingest_log"):
        (out / f"{name}.csv").unlink()
    html = write_report(out).read_text(encoding="utf-8")
    assert "没有 candidates.csv" in html and "没有关键词" in html
    # read from CSV: the formula guard is removed again, the XSS still escaped
    assert "=SUM(A1:A2)" in html and "'=SUM" not in html
    assert "&lt;script&gt;" in html and "<script>alert" not in html
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


def lookup_run(out_dir):
    """The seed run plus a document using 一岗双责 (in the lexicon as a national 提法), for the
    browser tests: its row must be found by typing into the filter."""
    from test_trends import LEXICON

    from pipeline import store, trends

    out = build_out_dir(out_dir)
    docs = pd.read_parquet(out / "documents.parquet")
    paras = pd.read_parquet(out / "paragraphs.parquet")
    text = ["落实党风廉政建设“一岗双责”，领导干部履行一岗双责情况纳入考核。", "严格落实一岗双责，<i>不</i>搞形式主义。"]
    new_doc = {c: docs.iloc[-1][c] for c in docs.columns} | {
        "doc_id": "d99",
        "path": "sample/一岗双责.txt",
        "title": "履行一岗双责的报告",
        "year": 2021,
        "n_chars": sum(map(len, text)),
        "n_paragraphs": 2,
    }
    docs = pd.concat([docs, pd.DataFrame([new_doc])], ignore_index=True)
    docs["year"] = docs["year"].astype("Int64")
    rows = [
        {c: paras.iloc[0][c] for c in paras.columns}
        | {"doc_id": "d99", "para_id": j, "kind": "body", "text": t, "n_chars": len(t), "label": "作风建设"}
        for j, t in enumerate(text)
    ]
    paras = pd.concat([paras, pd.DataFrame(rows)], ignore_index=True)
    tc = pd.read_parquet(out / "term_counts.parquet")[["doc_id", "term", "count"]]
    tc = trends.term_counts(pd.concat([tc, pd.DataFrame([{"doc_id": "d99", "term": "一岗双责", "count": 3}])], ignore_index=True), docs)
    lexicon = pd.concat(
        [
            LEXICON,
            pd.DataFrame(
                [
                    {
                        "term": "一岗双责",
                        "aliases": "",
                        "category": "作风建设",
                        "first_year": 2005,
                        "level": "national",
                        "expansion": "",
                        "kind": "提法",
                    }
                ]
            ),
        ],
        ignore_index=True,
    )
    for name, df in {"documents": docs, "paragraphs": paras, "term_counts": tc, "term_trends": trends.term_trends(tc, docs)}.items():
        store.write_csv(out / f"{name}.csv", df, parquet=True)
    store.write_csv(out / "formulations.csv", lexicon)
    write_report(out, figures=make_figures(out))
    return out


def test_report_renders_in_chromium_without_console_errors(tmp_path):
    """Optional: dump report.html's DOM from headless Chromium (its script has run) and check
    the log: no console message, no CSP refusal, no uncaught error. Skips without Chromium."""
    exe = _chromium()
    out = lookup_run(tmp_path / "out")
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
    bad = [line for line in log.splitlines() if ":CONSOLE" in line or "Refused to" in line or "Content Security Policy" in line or "Uncaught" in line]
    assert not bad, bad
    assert 'data-shown="term-table">显示 shown ' in dom  # the script ran: it counted the rows
    assert XSS not in dom and "<script>alert" not in dom  # the injected markup stays text


def test_report_is_usable_in_chromium(tmp_path):
    """Optional: drive report.html in headless Chromium over the DevTools protocol (pipe, no
    network): type into the filter -> only the 一岗双责 row is left; click it -> its
    concordance lines with file path and year; sort; no console error, exception or CSP
    violation. Skips without Chromium."""
    from cdp_pipe import Browser

    exe = _chromium()
    out = lookup_run(tmp_path / "out")
    # the watcher works: a page with an inline script its policy does not allow is reported
    bad_page = tmp_path / "bad.html"
    bad_page.write_text(
        '<!DOCTYPE html><meta http-equiv="Content-Security-Policy" content="script-src \'none\'"><script>1</script>', encoding="utf-8"
    )
    with Browser(exe, tmp_path / "profile") as browser:
        bad = browser.open(bad_page.resolve().as_uri())
        assert any(p.startswith(("csp:", "log:")) for p in bad.problems()), bad.problems()
        page_ = browser.open((out / "report.html").resolve().as_uri())
        visible = "Array.from(document.querySelectorAll('#term-table > tbody > tr:not(.conc)')).filter(r => !r.hidden).map(r => r.dataset.term)"
        everything = page_.eval(visible)
        assert "一岗双责" in everything and "两个维护" in everything and len(everything) > 5
        page_.type("#term-filter", "一岗双责")
        assert page_.eval(visible) == ["一岗双责"]
        assert page_.eval("document.querySelector('[data-shown=\"term-table\"]').textContent") == f"显示 shown 1 / {len(everything)}"
        page_.eval("document.querySelector('#term-table tr[data-term=\"一岗双责\"] button.kwic').click()")
        lines = page_.eval("Array.from(document.querySelectorAll('#term-table tr.conc table.kwic tr')).map(r => r.innerText)")
        assert len(lines) >= 3 and all("一岗双责" in ln and ".txt" in ln for ln in lines), lines  # the seeds use it too
        assert sum("sample/一岗双责.txt" in ln and "2021" in ln for ln in lines) == 3, lines
        assert page_.eval("document.querySelector('#term-table tr.conc i')") is None  # the <i> in the text stays text
        assert "<i>不</i>" in page_.eval("document.querySelector('#term-table tr.conc').innerText")
        assert "dangjian kwic 一岗双责 --out RUN_DIR --csv 一岗双责.csv" in page_.eval("document.querySelector('#term-table tr.conc').innerText")
        assert page_.eval("document.querySelector('#term-table tr[data-term=\"一岗双责\"] button.kwic').getAttribute('aria-expanded')") == "true"
        # clearing the filter shows every row again; the kind filter keeps 提法 only
        page_.eval("const f = document.querySelector('#term-filter'); f.value = ''; f.dispatchEvent(new Event('input'))")
        assert len(page_.eval(visible)) == len(everything)
        page_.eval("const k = document.querySelector('#term-kind'); k.value = '提法'; k.dispatchEvent(new Event('change'))")
        kinds = page_.eval(
            "Array.from(document.querySelectorAll('#term-table > tbody > tr:not(.conc)')).filter(r => !r.hidden).map(r => r.dataset.kind)"
        )
        assert kinds and set(kinds) == {"提法"}
        # sorting by count puts the largest first; the open concordance moves with its row
        page_.eval("document.querySelector('#term-table button[data-sort=\"count\"]').click()")
        counts = page_.eval("Array.from(document.querySelectorAll('#term-table > tbody > tr:not(.conc)')).map(r => +r.dataset.count)")
        assert counts == sorted(counts, reverse=True)
        assert page_.eval("document.querySelector('#term-table tr[data-term=\"一岗双责\"]').nextElementSibling.classList.contains('conc')")
        # a candidate's concordance
        page_.eval("document.querySelector('#cand-table tr[data-term=\"四强党支部\"] button.kwic').click()")
        assert page_.eval("document.querySelectorAll('#cand-table tr.conc').length") == 1
        assert page_.problems() == []


def test_rounds_spread_lines_over_the_years():
    from pipeline.report.lookup import evenly, rounds

    assert evenly(list(range(21)), 3) == [0, 10, 20] and evenly([1, 2], 5) == [1, 2] and evenly([1, 2, 3], 1) == [2]
    # one per group in turn; a round with more groups than places spreads them evenly
    assert rounds([[1], [2, 3], [4], [5, 6, 7]], 6) == [1, 2, 4, 5, 3, 6]
    assert rounds([[y] for y in range(1964, 2023)], 4) == [1964, 1983, 2003, 2022]
    assert rounds([], 3) == [] and rounds([[1, 2, 3]], 2) == [1, 2]
