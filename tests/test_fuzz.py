"""Property tests: normalization on any Unicode input. (The ingest property tests, line cleaning and
paragraph structure, are in tests/ingest/.)"""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from pipeline import text as T

# text biased towards what reports contain: Han, CJK punctuation, spaces, digits, markers
pieces = st.sampled_from(
    list("党的建设两个维护一、(一)1.。，,；“”  \t\r\n\u3000\u00a0\u200b\ufeff0123456789abc>|-=+@")
    + ["\r\n", "一是", "发布时间:2020年04月17日", "上一篇", "首页 > "]
)
report_text = st.lists(st.one_of(pieces, st.text(max_size=5)), max_size=60).map("".join)


@settings(max_examples=300, deadline=None)
@given(st.one_of(st.text(), report_text))
def test_normalize_idempotent_and_total(s):
    once = T.normalize(s)
    assert T.normalize(once) == once
    assert "\r" not in once and "\ufeff" not in once and "\u200b" not in once
    assert T.fold_width(once).__len__() == len(once)
