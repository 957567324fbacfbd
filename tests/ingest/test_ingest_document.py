"""ingest_file and iter_documents: the seed reports end to end, duplicates, bad inputs, the shared corpus."""

from __future__ import annotations

import io
import os
from pathlib import Path

import pytest

from pipeline import text as T
from pipeline.ingest import ingest_file, iter_documents

SEEDS = [
    "000_0251f9872aab0630.txt",
    "001_52700c0b7c2082a9.txt",
    "002_6e530d1dddefc870.txt",
    "003_bd08b3d372a54d52.txt",
    "004_573ecb3e10642919.txt",
]


EXPECTED_YEARS = [(2020, "published"), (2023, "text"), (2019, "published"), (2020, "stated"), (2016, "published")]


BOILERPLATE = [
    "手机版",
    "1 1 1",
    "共产党员网 打印 纠错",
    "微信扫一扫 ×",
    "收听本文 00:00/00:00",
    "欢迎来到成都燃气集团股份有限公司官方网站",
    "服务热线:",
    "0755-28132397",
    "当前位置:首页>>党建政法",
    "发布日期:2019-05-31 05:47:39",
    "相关信息",
    "分享到微信",
    "关闭",
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


def _make_docx(lines: list[str]) -> bytes:
    import docx

    d = docx.Document()
    for line in lines:
        d.add_paragraph(line)
    buf = io.BytesIO()
    d.save(buf)
    return buf.getvalue()


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
        "empty.txt": "empty",
        "blank.txt": "empty",
        "binary.txt": "unreadable",
        "broken.docx": "unreadable",
        "truncated.docx": "unreadable",
        "fake.pdf": "unreadable",
        "notpdf.pdf": "unreadable",
        "photo.jpg": "unsupported",
        "old.doc": "unsupported",
        "menu_only.html": "empty",
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
