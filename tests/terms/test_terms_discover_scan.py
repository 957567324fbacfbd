"""pipeline.terms.discover_scan: the array scans find what the regexes find."""

from __future__ import annotations

from collections import Counter

import pytest
from discovery_reference import ALPHABET, SERIES, reference_scan
from hypothesis import given, settings
from hypothesis import strategies as st

from pipeline.terms.discover_corpus import DiscoveryCorpus
from pipeline.terms.discover_rules import NUMERALS
from pipeline.terms.discover_scan import _SERIES, _char_classes, _numbered_runs, _quoted_spans

#: plus longer pieces so that series, runs of every length and quotations of 2..13 characters occur
TOKENS = ALPHABET + [
    "一题一写",
    "一人一讲",
    "两服务一改进",
    "三个更加突出",
    "五感",
    "加强理论学习",
    "学习贯彻落实精神",
    "、",
    "“",
    "”",
    "「",
    "」",
    "。",
]
han = st.text(alphabet=st.sampled_from("个项大级服务改进党课学习讲写题人的是" + NUMERALS[:3]), max_size=9)
numbered = st.builds(lambda n, rest: n + rest, st.sampled_from(NUMERALS), han)
series = st.lists(numbered, min_size=2, max_size=4).map("、".join)
quotation = st.builds(
    lambda o, body, c: o + body + c,
    st.sampled_from("“「『"),
    st.text(alphabet=st.sampled_from(TOKENS[:30] + ["”", "\n"]), max_size=15),
    st.sampled_from("”」』"),
)
paragraph = st.lists(st.one_of(st.sampled_from(TOKENS), numbered, series, quotation), max_size=12).map("".join)
paragraphs = st.lists(paragraph, max_size=8)


@settings(max_examples=500, deadline=None)
@given(paragraphs)
def test_scans_match_the_regexes(paras):
    corpus = DiscoveryCorpus([("d", 2020, paras)])
    if not corpus.paras:
        return
    cls = _char_classes(corpus.cp)
    runs, series = _numbered_runs(corpus.text, cls)
    starts, ends = _quoted_spans(cls)
    quoted = Counter(corpus.text[a:b] for a, b in zip(starts.tolist(), ends.tolist()))
    want_runs, want_series, want_quoted = reference_scan(corpus.paras)
    assert Counter(runs) == want_runs
    assert Counter(series) == want_series
    assert quoted == want_quoted


@pytest.mark.parametrize(
    "text, series",
    [
        ("以“一题一写、一人一讲”为载体", ["一题一写、一人一讲"]),
        ("一题一写、一人一讲、三严", ["一题一写、一人一讲、三严"]),
        ("一题一写、一人一讲、加强学习", []),  # an item that is not numbered
        ("学习、一题一写、一人一讲", []),  # 、 before the series
        ("一题一写、一人一讲活动中", []),  # the last item runs on (7 characters)
        ("一题一写、、一人一讲", []),
        ("一题一写一二三、一人一讲", []),  # an item longer than 6
        ("一题、一人一讲。二是、三严", ["一题、一人一讲", "二是、三严"]),  # (pattern_score drops 二是)
        ("𠀀一题一写、一人一讲𠀀", ["一题一写、一人一讲"]),  # non-BMP text
    ],
)
def test_series_examples(text, series):
    corpus = DiscoveryCorpus([("d", None, [text])])
    assert _numbered_runs(corpus.text, _char_classes(corpus.cp))[1] == series
    assert _SERIES.findall(text) == SERIES.findall(text) == series
