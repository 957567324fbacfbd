"""pipeline.terms.match: exact leftmost-longest counting, folding, quotes, aliases."""

from __future__ import annotations

from collections import Counter

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pipeline import config
from pipeline.lexicon import Entry, Lexicon, load_lexicon
from pipeline.terms.folding import match_key
from pipeline.terms.match import Match, TermMatcher, count_document

CORE = ["两个维护", "四个意识", "一岗双责", "三会一课", "两学一做", "四种形态", "全面从严治党", "两张皮"]


def entry(term, *aliases, category="组织"):
    return Entry(term, tuple(aliases), category, None, "national", "", 0)


SMALL = Lexicon(
    [
        entry("两个维护"),
        entry("四个意识"),
        entry("一岗双责"),
        entry("三会一课"),
        entry("两学一做"),
        entry("四种形态"),
        entry("全面从严治党"),
        entry("两张皮"),
        entry("四强", "四强党支部"),
        entry("不忘初心、牢记使命"),
        entry("全面从严治党主体责任"),
        entry("主体责任"),
        entry("互联网+党建"),
    ]
)


@pytest.fixture(scope="module")
def project_lexicon() -> Lexicon:
    if not (config.LEXICON_DIR / config.FORMULATIONS_FILE).exists():
        pytest.skip("lexicons/formulations.csv not written yet")
    return load_lexicon()


@pytest.fixture(scope="module", params=["small", "project"])
def lexicon(request) -> Lexicon:
    """The project lexicon, and a small one without compounds that contain a core term (a
    compound such as 全面从严治党主体责任 is counted instead of the core term it contains)."""
    if request.param == "small":
        return Lexicon([e for e in SMALL.entries if e.term != "全面从严治党主体责任"])
    return request.getfixturevalue("project_lexicon")


def test_exact_counts_on_seeds(seed_texts, lexicon):
    matcher = TermMatcher(lexicon)
    assert len(seed_texts) == 5
    found = Counter()
    expected = Counter()
    for text in seed_texts.values():
        counts = matcher.count(text)
        for term in CORE:
            expected[term] += text.count(term)
            found[term] += counts[term]
    assert found == expected
    assert all(expected[t] > 0 for t in CORE)
    assert expected["两个维护"] == 13 and expected["全面从严治党"] == 7


def test_compound_term_takes_the_occurrence(seed_texts):
    """Leftmost-longest: 全面从严治党主体责任 in the text counts once, under the compound."""
    text = "".join(seed_texts.values())
    counts = TermMatcher(SMALL).count(text)
    compound = text.count("全面从严治党主体责任")
    assert compound > 0
    assert counts["全面从严治党主体责任"] == compound
    assert counts["全面从严治党"] == text.count("全面从严治党") - compound


def test_count_document_equals_sum_over_paragraphs(seed_texts):
    matcher = TermMatcher(SMALL)
    text = seed_texts["000_0251f9872aab0630.txt"]
    paragraphs = text.split("\n")
    assert count_document(paragraphs, matcher=matcher) == matcher.count(text)
    assert count_document(paragraphs, matcher=matcher)["两个维护"] == 5
    assert count_document(["", float("nan"), None], matcher=matcher) == Counter()


def test_leftmost_longest_and_aliases():
    m = TermMatcher(SMALL)
    text = "落实全面从严治党主体责任，压实主体责任，建设四强党支部和四强。"
    assert [(x.term, x.surface, text[x.start : x.end]) for x in m.finditer(text)] == [
        ("全面从严治党主体责任", "全面从严治党主体责任", "全面从严治党主体责任"),
        ("主体责任", "主体责任", "主体责任"),
        ("四强", "四强党支部", "四强党支部"),
        ("四强", "四强", "四强"),
    ]
    assert m.count(text) == Counter({"全面从严治党主体责任": 1, "主体责任": 1, "四强": 2})


def test_quotes_width_and_separators():
    m = TermMatcher(SMALL)
    text = "增强“四个意识”、做到两个“维护”，「三会一课」，互联网＋党建，不忘初心，牢记使命、不忘初心,牢记使命；不忘初心牢记使命"
    matches = m.findall(text)
    assert [x.term for x in matches] == ["四个意识", "两个维护", "三会一课", "互联网+党建"] + ["不忘初心、牢记使命"] * 3
    assert text[matches[1].start : matches[1].end] == "两个“维护"
    assert text[matches[3].start : matches[3].end] == "互联网＋党建"
    assert matches[-1].surface == "不忘初心牢记使命"


def test_empty_and_non_chinese_text_give_zero_counts():
    m = TermMatcher(SMALL)
    for text in ["", " ", "\n\n", "Hello, world! 12345", "😀🎉", "\x00\ufeff", "ｆｕｌｌ　ｗｉｄｔｈ"]:
        assert m.count(text) == Counter()
    assert TermMatcher(Lexicon.empty()).count("两个维护") == Counter()


FORMS = sorted(SMALL.surface_forms())
pieces = st.one_of(
    st.sampled_from(FORMS),
    st.sampled_from(list("“”‘’\"'「」『』，,、　Ｂ１ 两个维护四强一课")),
    st.text(max_size=5),
)


@settings(max_examples=300, deadline=None)
@given(st.lists(pieces, max_size=12).map("".join))
def test_property_matches_trace_back_to_text(text):
    m = TermMatcher(SMALL)
    matches = m.findall(text)
    pos = 0
    for x in matches:
        assert isinstance(x, Match)
        assert pos <= x.start < x.end <= len(text)
        assert match_key(text[x.start : x.end]) == match_key(x.surface)
        assert SMALL.surface_forms().get(x.surface, x.term) == x.term
        pos = x.end
    # every plain occurrence of a form is covered by some match
    for form in FORMS:
        start = text.find(form)
        if start >= 0:
            assert any(x.start <= start < x.end or start <= x.start < start + len(form) for x in matches)


@settings(max_examples=300, deadline=None)
@given(st.text())
def test_property_never_raises(text):
    assert sum(TermMatcher(SMALL).count(text).values()) >= 0
