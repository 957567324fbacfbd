"""Formats: encoding and format variants of the seeds (GB18030, BOM + CRLF, .docx, HTML), PDF, web pages, Markdown, .docx styles."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from pipeline.ingest import ingest_file

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"


SEEDS = [
    "000_0251f9872aab0630.txt",
    "001_52700c0b7c2082a9.txt",
    "002_6e530d1dddefc870.txt",
    "003_bd08b3d372a54d52.txt",
    "004_573ecb3e10642919.txt",
]


def _paragraphs(folder: Path, name: str):
    row, doc = ingest_file(folder / name, folder)
    assert row.status == "ok", row
    return [(p.kind, p.heading, p.text) for p in doc.paragraphs], doc


def _make_docx(lines: list[str]) -> bytes:
    import docx

    d = docx.Document()
    for line in lines:
        d.add_paragraph(line)
    buf = io.BytesIO()
    d.save(buf)
    return buf.getvalue()


def _make_html(lines: list[str], charset: str) -> bytes:
    import html

    body = "\n".join(f"<p>{html.escape(line)}</p>" for line in lines)
    page = (
        f'<html><head><meta http-equiv="Content-Type" content="text/html; charset={charset}">'
        f"<title>t</title><style>p {{color: red}}</style><script>var x = '上一篇';</script></head>"
        f'<body><div class="nav">首页 | 党建 | 关于我们 | 联系我们</div><div id="content">{body}</div>'
        f'<div class="footer">版权所有 某某网站</div></body></html>'
    )
    return page.encode(charset)


@pytest.mark.parametrize("seed", SEEDS)
def test_variants_yield_same_paragraphs(tmp_path, sample_dir, seed):
    original, odoc = _paragraphs(sample_dir, seed)
    raw = (sample_dir / seed).read_text(encoding="utf-8")
    lines = raw.split("\n")
    variants = {
        "gb.txt": raw.encode("gb18030"),
        "bom_crlf.txt": b"\xef\xbb\xbf" + raw.replace("\n", "\r\n").encode("utf-8"),
        "doc.docx": _make_docx(lines),
        "gb.html": _make_html(lines, "gb18030"),
    }
    for suffix, data in variants.items():
        folder = tmp_path / suffix.replace(".", "_")
        folder.mkdir()
        (folder / f"{seed[:-4]}_{suffix}").write_bytes(data)
        got, doc = _paragraphs(folder, f"{seed[:-4]}_{suffix}")
        assert got == original, suffix
        assert doc.title == odoc.title, suffix
        assert doc.year == odoc.year, suffix
        assert doc.doc_id == odoc.doc_id, suffix


def test_pdf_with_text_layer(tmp_path):
    """A real PDF with a Chinese text layer (drawn with matplotlib and an embedded CJK font):
    hard line breaks are re-joined, headings found."""
    import os

    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import paperang_p2_fonts_cjk
    from matplotlib import font_manager

    font = os.path.join(os.path.dirname(paperang_p2_fonts_cjk.__file__), "fonts", "wqy-microhei.ttc")
    font_manager.fontManager.addfont(font)
    family = font_manager.FontProperties(fname=font).get_name()
    lines = [
        "2020年党支部工作总结",
        "一、加强政治建设",
        "全年坚决做到两个维护，严格落实三会一课制度，",
        "深入开展主题党日活动。",
        "二、加强作风建设",
        "持续整治四风问题。",
    ]
    with matplotlib.rc_context({"font.family": family, "pdf.fonttype": 42}):
        fig = plt.figure(figsize=(8.27, 11.69))
        for i, line in enumerate(lines):
            fig.text(0.1, 0.9 - i * 0.04, line, fontsize=12)
        fig.savefig(tmp_path / "report.pdf")
        plt.close(fig)
    row, doc = ingest_file(tmp_path / "report.pdf", tmp_path)
    assert row.status == "ok", row
    assert (doc.title, doc.year, doc.year_source) == ("2020年党支部工作总结", 2020, "stated")
    assert [(p.kind, p.text) for p in doc.paragraphs] == [
        ("heading", "一、加强政治建设"),
        ("body", "全年坚决做到两个维护，严格落实三会一课制度，深入开展主题党日活动。"),
        ("heading", "二、加强作风建设"),
        ("body", "持续整治四风问题。"),
    ]
    assert doc.paragraphs[1].heading == "一、加强政治建设"


def test_government_web_page(tmp_path):
    """A typical government notice page: menus, breadcrumb, info bar with full-width colons,
    share widget, prev/next links and footer are gone; title, date, source and org are kept."""
    import shutil

    shutil.copy(FIXTURES / "gov_notice.html", tmp_path / "notice.html")
    row, doc = ingest_file(tmp_path / "notice.html", tmp_path)
    assert row.status == "ok"
    assert doc.title == "关于开展2021年党史学习教育的通知"
    assert (doc.date, doc.year, doc.year_source) == ("2021-03-05", 2021, "published")
    assert doc.source == "市委教育工委" and doc.org == "中共某某市教育局委员会"
    texts = [p.text for p in doc.paragraphs]
    joined = "\n".join(texts)
    for junk in ("当前位置", "浏览次数", "分享到", "上一篇", "版权所有", "ICP备", "机构概况", "_hmt"):
        assert junk not in joined, junk
    assert texts[0] == "各党支部："
    item = next(p for p in doc.paragraphs if p.text.startswith("（一）专题学习"))
    assert item.kind == "item" and item.heading.startswith("二、主要内容")


def test_markdown_structure(tmp_path):
    """Markdown headings, bullets, emphasis, tables and quotes lose their markup."""
    import shutil

    shutil.copy(FIXTURES / "summary_2022.md", tmp_path / "summary.md")
    row, doc = ingest_file(tmp_path / "summary.md", tmp_path)
    assert row.status == "ok"
    assert (doc.title, doc.year, doc.year_source) == ("2022年党委工作总结", 2022, "stated")
    got = [(p.kind, p.text) for p in doc.paragraphs]
    assert ("heading", "一、加强政治建设") in got
    assert ("body", "坚决做到两个维护，深入学习贯彻党的二十大精神。") in got
    assert ("table", "警示教育 | 4") in got
    assert ("body", "持续整治“四风”问题，驰而不息纠治形式主义、官僚主义。") in got
    assert not any(t.startswith(("#", "-", ">", "|")) or "**" in t or "](" in t for _, t in got)
    quote = next(p for p in doc.paragraphs if p.text.startswith("持续整治"))
    assert quote.heading == "二、加强作风建设"


def test_docx_heading_styles_and_tables(tmp_path):
    import docx

    d = docx.Document()
    d.add_heading("2021年党支部工作总结", level=0)
    d.add_heading("加强政治建设", level=1)
    d.add_paragraph("全年坚决做到两个维护，严格落实三会一课制度。")
    table = d.add_table(rows=2, cols=2)
    for (r, c), value in {(0, 0): "项目", (0, 1): "次数", (1, 0): "主题党日", (1, 1): "12"}.items():
        table.cell(r, c).text = value
    d.add_heading("加强作风建设", level=1)
    d.add_paragraph("持续整治四风问题。")
    d.save(tmp_path / "summary.docx")
    row, doc = ingest_file(tmp_path / "summary.docx", tmp_path)
    assert row.status == "ok" and (doc.title, doc.year) == ("2021年党支部工作总结", 2021)
    assert [(p.kind, p.heading, p.text) for p in doc.paragraphs] == [
        ("heading", "加强政治建设", "加强政治建设"),
        ("body", "加强政治建设", "全年坚决做到两个维护，严格落实三会一课制度。"),
        ("table", "加强政治建设", "项目 | 次数"),
        ("table", "加强政治建设", "主题党日 | 12"),
        ("heading", "加强作风建设", "加强作风建设"),
        ("body", "加强作风建设", "持续整治四风问题。"),
    ]


# titles of the school corpus as written (../shared/corpus/sx1z-party-committee), and what ingest keeps
TITLES = [
    ("弘扬建党精神 践行时代使命", "弘扬建党精神 践行时代使命"),
    ("学党史 悟思想 办实事 开新局  ——绍兴一中党史学习教育动员大会顺利召开", "学党史 悟思想 办实事 开新局——绍兴一中党史学习教育动员大会顺利召开"),
    ("中共中央 国务院关于表彰改革开放杰出贡献人员的决定", "中共中央 国务院关于表彰改革开放杰出贡献人员的决定"),
    ("不忘初心   牢筑信仰", "不忘初心 牢筑信仰"),
    ("党建育人｜红色记忆凝于心\u3000\u3000砥砺奋进谋创新", "党建育人｜红色记忆凝于心 砥砺奋进谋创新"),
    ("绍 兴 一 中 党 委 工 作 总 结", "绍兴一中党委工作总结"),  # letter-spaced layout
    ("2021年 党支部 工作总结", "2021年党支部 工作总结"),
]
BODY = [
    "发布时间：2021-03-26\u3000来源：党政办\u3000点击数：1234",
    "为深入学习宣传贯彻习近平总书记在党史学习教育动员大会上的重要讲话精神，我校召开党史学习教育动员大会。",
    "会议指出，党史学习教育是伟业复兴之途，是国家兴盛之要，要以学党史深化悟思想，以悟思想促进办实事。",
]


@pytest.mark.parametrize("written,kept", TITLES)
def test_titles_keep_their_phrase_spaces_in_every_format(tmp_path, written, kept):
    """A space between two phrases of a title stays (one space); stray layout spaces go; the
    same title from .txt, .html (<h1> or only <title>) and .docx; the body is unchanged."""
    import html

    import docx

    (tmp_path / "a.txt").write_text("\n".join([written, *BODY]), encoding="utf-8")
    body_html = "".join(f"<p>{html.escape(line)}</p>" for line in BODY)
    (tmp_path / "b.html").write_text(
        f"<html><head><title>x</title></head><body><h1>{html.escape(written)}</h1>{body_html}</body></html>", encoding="utf-8"
    )
    (tmp_path / "c.html").write_text(
        f"<html><head><title>{html.escape(written)}_绍兴一中</title></head><body>{body_html}</body></html>", encoding="utf-8"
    )
    d = docx.Document()
    d.add_heading(written, level=0)
    for line in BODY:
        d.add_paragraph(line)
    d.save(tmp_path / "d.docx")
    bodies = set()
    # a <title> is cut at '_' or '｜' (the site's name follows); such a title is tested through <h1>
    for name in ("a.txt", "b.html", "d.docx") if "｜" in written else ("a.txt", "b.html", "c.html", "d.docx"):
        row, doc = ingest_file(tmp_path / name, tmp_path)
        assert row.status == "ok" and doc.title == kept, (name, doc.title)
        assert (doc.source, doc.pub_date) == ("党政办", "2021-03-26"), name
        assert ("title", written.replace("\u3000", " ").replace(" ", "")[:6]) == (doc.removed[0][1], doc.removed[0][2].replace(" ", "")[:6])
        bodies.add(tuple(p.text for p in doc.paragraphs))
    assert len(bodies) == 1 and len(next(iter(bodies))) == 2


def test_school_corpus_titles_keep_their_separators(corpus_dir):
    """Every title of the school corpus whose first line separates two phrases with spaces keeps one space there."""
    import re

    from pipeline import text as T

    folder = corpus_dir / "sx1z-party-committee"
    seen = 0
    for path in sorted(folder.glob("*.txt"))[:400]:
        first = path.read_text(encoding="utf-8").split("\n", 1)[0].strip()
        if not re.search(rf"[{T.HAN}]{{2}}[ \u3000]+[{T.HAN}]{{2}}", first):
            continue
        row, doc = ingest_file(path, folder)
        assert row.status == "ok" and " " in doc.title and "  " not in doc.title, (path.name, doc.title)
        assert T.normalize(first).startswith(T.normalize(doc.title)), path.name
        seen += 1
    assert seen >= 10
