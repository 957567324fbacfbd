"""pipeline.terms.discover_pmi: the array n-gram statistics agree with a Counter reference."""

from __future__ import annotations

import pytest
from discovery_reference import reference_pmi
from hypothesis import given, settings
from hypothesis import strategies as st

from pipeline.terms.discover_pmi import pmi_candidates


@settings(max_examples=300, deadline=None)
@given(
    st.lists(st.text(alphabet=st.sampled_from("一二三党课学习服务改进的"), min_size=1, max_size=12), min_size=1, max_size=30),
    st.integers(min_value=1, max_value=4),
    st.integers(min_value=2, max_value=5),
    st.sampled_from([(3.0, 1.2), (0.0, 0.0), (1.0, 0.5)]),
)
def test_pmi_matches_counter_reference(runs, min_count, max_n, thresholds):
    min_pmi, min_entropy = thresholds
    got = pmi_candidates("。".join(runs), max_n=max_n, min_count=min_count, min_pmi=min_pmi, min_entropy=min_entropy, limit=10**6)
    want = reference_pmi(runs, max_n, min_count, min_pmi, min_entropy)
    assert set(got) == set(want)
    for gram, score in got.items():
        assert score == pytest.approx(round(want[gram], 4), abs=2e-4)


def test_pmi_ties_and_limit():
    # 甲乙 and 丙丁 score the same: the first occurrence comes first
    text = "。".join(["丙丁", "甲乙", "丙丁", "甲乙", "丙丁", "甲乙", "戊", "己", "庚", "辛"] * 3)
    scores = pmi_candidates(text, max_n=3, min_count=2, min_pmi=0.0, min_entropy=0.0, limit=10)
    assert list(scores)[:2] == ["丙丁", "甲乙"]
    assert list(pmi_candidates(text, max_n=3, min_count=2, min_pmi=0.0, min_entropy=0.0, limit=1)) == ["丙丁"]
    assert pmi_candidates("abc。", max_n=3, min_count=1, min_pmi=0.0, min_entropy=0.0, limit=5) == {}
