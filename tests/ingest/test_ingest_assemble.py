"""Decoded text -> Document: year from the file name, flattened tables, flags, and building any text."""

from __future__ import annotations

from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from pipeline import text as T
from pipeline.config import Settings
from pipeline.ingest import Decoded, build_document, iter_documents

# text biased towards what reports contain (as in tests/test_fuzz.py)
pieces = st.sampled_from(
    list("党的建设两个维护一、(一)1.。，,；“”  \t\r\n\u3000\u00a0\u200b\ufeff0123456789abc>|-=+@")
    + ["\r\n", "一是", "发布时间:2020年04月17日", "上一篇", "首页 > "]
)
report_text = st.lists(st.one_of(pieces, st.text(max_size=5)), max_size=60).map("".join)


def _docs(folder: Path):
    return [(row, doc) for row, doc in iter_documents(folder)]


def test_filename_year_and_flattened_table(tmp_path):
    body = "党支部工作总结\n\n" + "\n".join(["姓名", "职务", "支部", "得分"] * 10) + "\n今年支部严格落实三会一课制度,组织生活质量明显提升。\n"
    (tmp_path / "2019-09-20_支部总结.txt").write_text(body, encoding="utf-8")
    doc = [d for _, d in _docs(tmp_path) if d][0]
    assert (doc.year, doc.year_source, doc.date) == (2019, "filename", "2019-09-20")
    tables = [p for p in doc.paragraphs if p.kind == "table"]
    assert tables and all(" | " in p.text for p in tables)
    assert len(doc.paragraphs) < 10


def test_english_document_flagged(tmp_path):
    (tmp_path / "en.txt").write_text("This is an English report.\nIt has no Chinese at all, only words.\n", encoding="utf-8")
    row, doc = next((r, d) for r, d in _docs(tmp_path))
    assert row.status == "ok" and "no Chinese text" in doc.flags


@settings(max_examples=200, deadline=None)
@given(st.one_of(st.text(), report_text))
def test_document_building_never_raises_and_loses_no_text(s):
    doc = build_document("x.txt", Decoded(s, "utf-8"), None, Settings())
    kept = "".join(p.text for p in doc.paragraphs)
    removed = "".join(t for _, _, t in doc.removed)
    for line in T.normalize(s).split("\n"):
        line = line.strip()
        if line and len(line) <= 3000:
            assert line in kept or line in removed or line in T.normalize(doc.title) or all(part in kept for part in line.split(" | "))
    for p in doc.paragraphs:
        assert p.text and len(p.text) <= Settings().max_paragraph_chars


def test_info_line_fields_split_on_ideographic_spaces():
    from pipeline.config import Settings
    from pipeline.ingest.assemble import build_document
    from pipeline.ingest.decode import Decoded

    body = "学校党委召开专题民主生活会，深入学习贯彻党的十九届六中全会精神，严肃认真开展批评和自我批评。\n" * 3
    for info in ("发布时间：2022-01-26　来源：党政办　点击数：1234", "发布时间：2022-01-26 来源：党政办 点击数：1234"):
        doc = build_document("x.txt", Decoded(text="弘扬建党精神 践行时代使命\n" + info + "\n" + body, encoding="utf-8"), None, Settings())
        assert (doc.source, doc.pub_date) == ("党政办", "2022-01-26")
    doc = build_document("y.txt", Decoded(text="党 委 工作总结\n" + body, encoding="utf-8"), None, Settings())
    assert doc.title == "党委工作总结"  # typesetting gaps still go
