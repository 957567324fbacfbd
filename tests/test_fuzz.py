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


@settings(max_examples=300, deadline=None)
@given(st.lists(st.text(max_size=12), max_size=30), st.integers(min_value=0, max_value=40), st.sampled_from(["\n", ""]))
def test_budget_runs_keep_every_text_in_order_within_budget(texts, budget, sep):
    runs = list(T.budget_runs(texts, budget, sep))
    assert [t for run in runs for t in run] == texts  # nothing lost, split or reordered
    assert all(run for run in runs)
    for run, nxt in zip(runs, runs[1:] + [None]):
        size = sum(map(len, run)) + len(sep) * (len(run) - 1)
        assert len(run) == 1 or size <= budget + len(sep)  # over budget only as a text alone
        if nxt is not None:  # a run closes only when the next text would not fit
            assert size + len(sep) + len(nxt[0]) > budget


def test_budget_runs_on_real_paragraphs():
    paras = ["坚持和加强党的全面领导。", "落实全面从严治党主体责任。" * 3, "深化作风建设。"]
    assert list(T.budget_runs(paras, 10**6)) == [paras]
    assert list(T.budget_runs(paras, 1)) == [[p] for p in paras]
    assert next(T.budget_runs(paras, len(paras[0]) + 1 + len(paras[1]), sep="\n")) == paras[:2]
