"""Lines -> paragraphs: long lines split, heading levels, structure on any input."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from pipeline import text as T
from pipeline.ingest import structure

# text biased towards what reports contain (as in tests/test_fuzz.py)
pieces = st.sampled_from(
    list("党的建设两个维护一、(一)1.。，,；“”  \t\r\n\u3000\u00a0\u200b\ufeff0123456789abc>|-=+@")
    + ["\r\n", "一是", "发布时间:2020年04月17日", "上一篇", "首页 > "]
)
report_text = st.lists(st.one_of(pieces, st.text(max_size=5)), max_size=60).map("".join)


def test_long_line_split_and_han_spaces():
    paras = structure([("", "党" * 7000 + "。")], "x", 3000)
    assert len(paras) == 3 and max(len(p.text) for p in paras) <= 3000
    assert T.normalize("党组(党 委 )") == "党组(党委)"
    assert T.normalize("\ufeff第一行\r\n第\u200b二行\u00a0 末") == "第一行\n第二行末"


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(["", "table", "heading"]), report_text), max_size=30))
def test_structure_total(lines):
    paras = structure([(k, t) for k, t in lines if t.strip()], "d", 50)
    assert [p.para_id for p in paras] == list(range(len(paras)))
    assert all(len(p.text) <= 50 for p in paras)


@settings(max_examples=500, deadline=None)
@given(st.text(alphabet="一二三四五六七八九十百零〇两第部分章篇是0123456789、．.（）()①② 加强x", max_size=12))
def test_heading_level_is_the_first_matching_marker(s):
    """The one-pattern heading detector gives the level of the first marker pattern (in order)
    that matches, as checking them one by one does."""
    from pipeline.ingest.paragraphs import _HEADING_RX, heading_level

    expected = next((level for level, rx in _HEADING_RX if rx.match(s)), 0)
    assert heading_level(s)[0] == expected
