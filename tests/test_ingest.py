"""Ingest on the real seed reports and on format/encoding variants built from them."""

from __future__ import annotations

import io
import os
from pathlib import Path

import pytest

from pipeline import text as T
from pipeline.ingest.core import classify_line, decode_bytes, ingest_file, iter_documents, structure

SEEDS = [
    "000_0251f9872aab0630.txt",
    "001_52700c0b7c2082a9.txt",
    "002_6e530d1dddefc870.txt",
    "003_bd08b3d372a54d52.txt",
    "004_573ecb3e10642919.txt",
]
EXPECTED_YEARS = [(2020, "published"), (2023, "text"), (2019, "published"), (2020, "title"), (2016, "published")]

BOILERPLATE = [
    "手机版", "1 1 1", "共产党员网 打印 纠错", "微信扫一扫 ×", "收听本文 00:00/00:00",
    "欢迎来到成都燃气集团股份有限公司官方网站", "服务热线:", "0755-28132397", "当前位置:首页>>党建政法",
    "发布日期:2019-05-31 05:47:39", "相关信息", "分享到微信", "关闭",
    "首页 > 全国机关党建理论研讨会交流发言",
    "主页    |     关于优才    |     行程方案    |     培训基地    |     红色文化",
    "6月开始,全党上下开展“不忘初心、牢记使命”主题教育!",
    "习近平接受俄罗斯主流媒体联合采访",
    "红色培训--------坚决扛起提高机关党建质量的领导责任",
]


def _docs(folder: Path):
    return [(row, doc) for row, doc in iter_documents(folder)]


@pytest.fixture(scope="module")
def seed_docs(sample_dir):
    out = {}
    for name in SEEDS:
        row, doc = ingest_file(sample_dir / name, sample_dir)
        assert row.status == "ok", row
        out[name] = doc
    return out


def test_seed_years_and_sources(seed_docs):
    got = [(seed_docs[n].year, seed_docs[n].year_source) for n in SEEDS]
    assert got == EXPECTED_YEARS
    assert seed_docs[SEEDS[0]].date == "2020-04-17"
    assert seed_docs[SEEDS[2]].date == "2019-05-31"
    assert seed_docs[SEEDS[4]].date == "2016-12-02"
    assert seed_docs[SEEDS[0]].org == "中央网信办机关党委"
    assert seed_docs[SEEDS[0]].source == "旗帜网"
    assert seed_docs[SEEDS[3]].title == "2020年机关党的建设工作要点"
    assert seed_docs[SEEDS[1]].title.startswith("让每个党支部都成为党旗高高飘扬的战斗堡垒")


def test_no_boilerplate_survives(seed_docs):
    texts = [p.text for d in seed_docs.values() for p in d.paragraphs]
    joined = "\n".join(texts)
    for line in BOILERPLATE:
        norm = T.normalize(line)
        assert norm not in texts, line
    for widget in ("微信扫一扫", "上一篇", "下一篇", "责任编辑", "浏览次数", "服务热线", "分享到", "收听本文"):
        assert widget not in joined, widget


def test_no_body_paragraph_lost(sample_dir, seed_docs):
    """Every non-empty line of every seed is a paragraph, the title, or a logged removal."""
    for name, doc in seed_docs.items():
        raw = (sample_dir / name).read_text(encoding="utf-8")
        kept = {p.text for p in doc.paragraphs}
        removed = {t for _, _, t in doc.removed}
        for line in T.normalize(raw).split("\n"):
            line = line.strip()
            if line:
                assert line in kept or line in removed, (name, line)
        # every long line (a real paragraph) is kept, not removed
        for line in T.normalize(raw).split("\n"):
            if len(line) > 60 and "来源" not in line and "上一篇" not in line:
                assert line.strip() in kept, (name, line[:40])


def test_headings_and_items(seed_docs):
    doc = seed_docs[SEEDS[3]]
    heading = next(p for p in doc.paragraphs if p.text.startswith("一、突出政治建设"))
    assert heading.kind == "heading"
    item = next(p for p in doc.paragraphs if p.text.startswith("1.带头做到"))
    assert item.kind == "item"
    assert item.heading.startswith("一、突出政治建设,打造践行“三个表率”模范机关")
    assert item.heading.endswith("1.带头做到“两个维护”")
    last = next(p for p in doc.paragraphs if p.text.startswith("16.严格监督执纪问责"))
    assert last.heading.startswith("五、推进正风肃纪")
    doc0 = seed_docs[SEEDS[0]]
    sub = next(p for p in doc0.paragraphs if p.text.startswith("二是围绕建设队伍抓党建"))
    assert sub.heading.startswith("二、更加突出落实求效")


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


def test_big5_and_gbk_detection():
    text = "中國共產黨黨員應當堅定理想信念,嚴守政治紀律和政治規矩。"
    assert decode_bytes(text.encode("big5")).text == text
    assert decode_bytes(text.encode("big5")).encoding == "big5"
    simp = "全面从严治党,落实一岗双责,严格执行三会一课制度。"
    assert decode_bytes(simp.encode("gbk")).text == simp
    assert decode_bytes(simp.encode("gbk")).encoding == "gb18030"


def test_duplicates_kept_once(tmp_path, sample_dir):
    raw = (sample_dir / SEEDS[2]).read_text(encoding="utf-8")
    (tmp_path / "a.txt").write_text(raw, encoding="utf-8")
    (tmp_path / "b_gbk.txt").write_bytes(raw.encode("gb18030"))
    rows = _docs(tmp_path)
    statuses = {r.path: r.status for r, _ in rows}
    assert statuses == {"a.txt": "ok", "b_gbk.txt": "duplicate"}
    dup = next(r for r, _ in rows if r.status == "duplicate")
    kept = next(d for _, d in rows if d is not None)
    assert kept.doc_id in dup.reason and "a.txt" in dup.reason


def test_bad_inputs_logged_and_batch_goes_on(tmp_path, sample_dir):
    (tmp_path / "good.txt").write_text((sample_dir / SEEDS[3]).read_text(encoding="utf-8"), encoding="utf-8")
    (tmp_path / "empty.txt").write_bytes(b"")
    (tmp_path / "blank.txt").write_text("  \n\n\t \n", encoding="utf-8")
    (tmp_path / "binary.txt").write_bytes(bytes(range(256)) * 20)
    (tmp_path / "broken.docx").write_bytes(b"PK\x03\x04 this is not really a zip")
    (tmp_path / "truncated.docx").write_bytes(_make_docx(["党的建设"])[:500])
    (tmp_path / "fake.pdf").write_bytes(b"%PDF-1.4\n garbage")
    (tmp_path / "notpdf.pdf").write_bytes(b"hello")
    (tmp_path / "photo.jpg").write_bytes(b"\xff\xd8\xff\xe0" + b"\x00" * 100)
    (tmp_path / "old.doc").write_bytes(b"\xd0\xcf\x11\xe0" + b"\x00" * 100)
    (tmp_path / "menu_only.html").write_text("<html><body><div>首页 | 党建 | 关于 | 联系</div></body></html>", encoding="utf-8")
    locked = tmp_path / "locked.txt"
    locked.write_text("加强党的建设", encoding="utf-8")
    locked.chmod(0)
    try:
        rows = {r.path: r for r, _ in _docs(tmp_path)}
    finally:
        locked.chmod(0o644)
    assert rows["good.txt"].status == "ok"
    expect = {
        "empty.txt": "empty", "blank.txt": "empty", "binary.txt": "unreadable", "broken.docx": "unreadable",
        "truncated.docx": "unreadable", "fake.pdf": "unreadable", "notpdf.pdf": "unreadable",
        "photo.jpg": "unsupported", "old.doc": "unsupported", "menu_only.html": "empty",
    }
    for name, status in expect.items():
        assert rows[name].status == status, (name, rows[name])
        assert rows[name].reason and "\n" not in rows[name].reason
    if os.geteuid() != 0:  # root can read anything
        assert rows["locked.txt"].status == "unreadable"
        assert "permission" in rows["locked.txt"].reason


def test_raw_dir_is_never_written(tmp_path, sample_dir):
    import shutil

    raw = tmp_path / "raw"
    shutil.copytree(sample_dir, raw)
    before = {p: (p.stat().st_mtime_ns, p.read_bytes()) for p in raw.rglob("*")}
    list(iter_documents(raw))
    after = {p: (p.stat().st_mtime_ns, p.read_bytes()) for p in raw.rglob("*")}
    assert before == after


def test_metadata_sheet_overrides(tmp_path, sample_dir):
    (tmp_path / "r.txt").write_text((sample_dir / SEEDS[0]).read_text(encoding="utf-8"), encoding="utf-8")
    (tmp_path / "metadata.csv").write_text("file,year,title\nr.txt,2018,我的标题\n", encoding="utf-8")
    docs = [d for _, d in _docs(tmp_path) if d]
    assert docs[0].year == 2018 and docs[0].year_source == "sheet" and docs[0].title == "我的标题"


def test_filename_year_and_flattened_table(tmp_path):
    body = "党支部工作总结\n\n" + "\n".join(["姓名", "职务", "支部", "得分"] * 10) + "\n今年支部严格落实三会一课制度,组织生活质量明显提升。\n"
    (tmp_path / "2019-09-20_支部总结.txt").write_text(body, encoding="utf-8")
    doc = [d for _, d in _docs(tmp_path) if d][0]
    assert (doc.year, doc.year_source, doc.date) == (2019, "filename", "2019-09-20")
    tables = [p for p in doc.paragraphs if p.kind == "table"]
    assert tables and all(" | " in p.text for p in tables)
    assert len(doc.paragraphs) < 10


def test_boilerplate_rules_keep_content():
    assert classify_line("上一篇:深入学习贯彻") == "prev/next"
    assert classify_line("服务热线:400-123-4567") == "phone"
    assert classify_line("版权所有:中共某某市委组织部") == "copyright"
    assert classify_line("发布时间:2020年04月17日 15:15 来源:旗帜网") == "metadata"
    for content in (
        "严格执行“三会一课”制度,打印学习材料发放到每名党员。",
        "一、突出政治建设",
        "坚持以习近平新时代中国特色社会主义思想为指导。",
    ):
        assert classify_line(content) is None, content


def test_long_line_split_and_han_spaces():
    paras = structure([("", "党" * 7000 + "。")], "x", 3000)
    assert len(paras) == 3 and max(len(p.text) for p in paras) <= 3000
    assert T.normalize("党组(党 委 )") == "党组(党委)"
    assert T.normalize("\ufeff第一行\r\n第\u200b二行\u00a0 末") == "第一行\n第二行末"


def test_english_document_flagged(tmp_path):
    (tmp_path / "en.txt").write_text("This is an English report.\nIt has no Chinese at all, only words.\n", encoding="utf-8")
    row, doc = next((r, d) for r, d in _docs(tmp_path))
    assert row.status == "ok" and "no Chinese text" in doc.flags


def test_gbk_with_bad_bytes_flagged(tmp_path):
    data = "加强党的政治建设,坚决做到两个维护。".encode("gbk") * 5 + b"\xff\xfe\x81" + "全面从严治党。".encode("gbk")
    (tmp_path / "bad.txt").write_bytes(data)
    row, doc = next((r, d) for r, d in _docs(tmp_path))
    assert row.status == "ok"
    assert any("replaced" in f for f in doc.flags)
    assert "两个维护" in doc.paragraphs[0].text


@pytest.mark.shared
def test_whole_shared_corpus_ingests(corpus_dir):
    rows = list(iter_documents(corpus_dir))
    docs = [d for _, d in rows if d is not None]
    assert len(docs) > 350
    bad = [r for r, _ in rows if r.status == "unreadable"]
    assert not bad, bad[:5]
    sx = [d for d in docs if d.path.startswith("sx1z-party-committee/")]
    assert all(d.year for d in sx)
    gov = {d.path: d for d in docs if d.path.startswith("gov-work-reports/")}
    assert gov["gov-work-reports/2019.txt"].year == 2019


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
    lines = ["2020年党支部工作总结", "一、加强政治建设", "全年坚决做到两个维护，严格落实三会一课制度，", "深入开展主题党日活动。", "二、加强作风建设", "持续整治四风问题。"]
    with matplotlib.rc_context({"font.family": family, "pdf.fonttype": 42}):
        fig = plt.figure(figsize=(8.27, 11.69))
        for i, line in enumerate(lines):
            fig.text(0.1, 0.9 - i * 0.04, line, fontsize=12)
        fig.savefig(tmp_path / "report.pdf")
        plt.close(fig)
    row, doc = ingest_file(tmp_path / "report.pdf", tmp_path)
    assert row.status == "ok", row
    assert (doc.title, doc.year, doc.year_source) == ("2020年党支部工作总结", 2020, "title")
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

    shutil.copy(Path(__file__).parent / "fixtures" / "gov_notice.html", tmp_path / "notice.html")
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

    shutil.copy(Path(__file__).parent / "fixtures" / "summary_2022.md", tmp_path / "summary.md")
    row, doc = ingest_file(tmp_path / "summary.md", tmp_path)
    assert row.status == "ok"
    assert (doc.title, doc.year, doc.year_source) == ("2022年党委工作总结", 2022, "title")
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
