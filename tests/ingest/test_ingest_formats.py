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
