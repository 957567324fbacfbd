"""Property tests: normalization, line cleaning and paragraph structure on any Unicode input."""

from __future__ import annotations

from hypothesis import given, settings, strategies as st

from pipeline import text as T
from pipeline.ingest.core import Decoded, build_document, classify_line, decode_bytes, structure
from pipeline.config import Settings

# text biased towards what reports contain: Han, CJK punctuation, spaces, digits, markers
pieces = st.sampled_from(list("党的建设两个维护一、(一)1.。，,；“”  \t\r\n\u3000\u00a0\u200b\ufeff0123456789abc>|-=+@") + ["\r\n", "一是", "发布时间:2020年04月17日", "上一篇", "首页 > "])
report_text = st.lists(st.one_of(pieces, st.text(max_size=5)), max_size=60).map("".join)


@settings(max_examples=300, deadline=None)
@given(st.one_of(st.text(), report_text))
def test_normalize_idempotent_and_total(s):
    once = T.normalize(s)
    assert T.normalize(once) == once
    assert "\r" not in once and "\ufeff" not in once and "\u200b" not in once
    assert T.fold_width(once).__len__() == len(once)


@settings(max_examples=200, deadline=None)
@given(st.one_of(st.text(), report_text))
def test_document_building_never_raises_and_loses_no_text(s):
    doc = build_document("x.txt", Decoded(s, "utf-8"), None, Settings())
    kept = "".join(p.text for p in doc.paragraphs)
    removed = "".join(t for _, _, t in doc.removed)
    for line in T.normalize(s).split("\n"):
        line = line.strip()
        if line and len(line) <= 3000:
            assert line in kept or line in removed or line in doc.title or all(
                part in kept for part in line.split(" | ")
            )
    for p in doc.paragraphs:
        assert p.text and len(p.text) <= Settings().max_paragraph_chars


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(["", "table", "heading"]), report_text), max_size=30))
def test_structure_total(lines):
    paras = structure([(k, t) for k, t in lines if t.strip()], "d", 50)
    assert [p.para_id for p in paras] == list(range(len(paras)))
    assert all(len(p.text) <= 50 for p in paras)


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=2000))
def test_decode_any_bytes(data):
    out = decode_bytes(data)
    assert isinstance(out.text, str)


@given(st.text())
def test_classify_line_total(s):
    classify_line(s)


@settings(max_examples=500, deadline=None)
@given(st.text(alphabet="一二三四五六七八九十百零〇两第部分章篇是0123456789、．.（）()①② 加强x", max_size=12))
def test_heading_level_is_the_first_matching_marker(s):
    """The one-pattern heading detector gives the level of the first marker pattern (in order)
    that matches, as checking them one by one does."""
    from pipeline.ingest.core import _HEADING_RX, _heading_level

    expected = next((level for level, rx in _HEADING_RX if rx.match(s)), 0)
    assert _heading_level(s)[0] == expected
