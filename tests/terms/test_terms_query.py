"""pipeline.terms.query: requests (lexicon, literal, 两个*, re:) found with the matcher's rules."""

from __future__ import annotations

import pandas as pd
import pytest

from pipeline.errors import InputError
from pipeline.lexicon import Entry, Lexicon
from pipeline.terms import TermQuery, kwic, parse_queries, suggest
from pipeline.terms.query import CONTINUATION_STOPS, PATTERN_MAX, key_of


def entry(term, *aliases):
    return Entry(term, tuple(aliases), "政治", None, "national", "", 0)


LEX = Lexicon(
    [
        entry("两个维护", "两个坚决维护"),
        entry("两个确立"),
        entry("四个意识"),
        entry("四个自信"),
        entry("三个代表重要思想", "三个代表"),
        entry("一个中心、两个基本点", "一个中心，两个基本点"),
        entry("一岗双责"),
    ]
)
TEXT = (
    "坚持“两个务必”，做到兩個「維護」、两个确立。这两个问题都很重要，分两个阶段进行。树立四个意识，坚定四個自信，做到两个坚决维护；三个代表重要思想"
)


def found(request: str, text: str = TEXT) -> list[tuple[str, str]]:
    return [(m.term, text[m.start : m.end]) for m in TermQuery(request, LEX).finditer(text)]


def test_kinds_and_lexicon_resolution():
    kinds = {
        r: q.kind
        for r, q in zip(
            ["两个维护", "兩個維護", "两个“坚决”维护", "五星三名", "两个*", "re:四个.."],
            parse_queries(["两个维护", "兩個維護", "两个“坚决”维护", "五星三名", "两个*", "re:四个.."], LEX),
        )
    }
    assert kinds == {
        "两个维护": "lexicon",
        "兩個維護": "lexicon",
        "两个“坚决”维护": "lexicon",
        "五星三名": "literal",
        "两个*": "prefix",
        "re:四个..": "regex",
    }
    assert TermQuery("两个坚决维护", LEX).name == "两个维护"  # an alias counts under its term
    assert TermQuery("一个中心两个基本点", LEX).name == "一个中心、两个基本点"  # separators folded
    assert TermQuery("五星三名", LEX).on_the_fly and not TermQuery("两个维护", LEX).on_the_fly
    assert TermQuery("五星三名", None).kind == "literal"


@pytest.mark.parametrize("bad", ["", "  ", "*", "两*个", "re:四个(", "re:"])
def test_bad_requests_say_what_to_write(bad):
    with pytest.raises(InputError):
        TermQuery(bad, LEX)


def test_lexicon_and_literal_requests():
    assert found("兩個維護") == [("两个维护", "兩個「維護"), ("两个维护", "两个坚决维护")]
    assert found("两个问题") == [("两个问题", "两个问题")]
    trad = "推進「五星三名」創建，五星三名"
    assert found("五星三名", trad) == [("五星三名", "五星三名"), ("五星三名", "五星三名")]
    assert found("五星三名", "五星“三名”") == [("五星三名", "五星“三名")]  # quote marks fold as in the matcher


def test_prefix_pattern_rule():
    got = found("两个*")
    assert got == [
        ("两个务必", "两个务必"),  # literal, ends at the quote mark
        ("两个维护", "兩個「維護"),  # lexicon first, traditional characters
        ("两个确立", "两个确立"),
        ("两个问题", "两个问题"),  # cut at the function character 都
        ("两个阶段进行", "两个阶段进行"),  # literal: the whole run up to the comma
        ("两个维护", "两个坚决维护"),  # an alias of the lexicon, under its term
    ]
    assert found("四个*") == [("四个意识", "四个意识"), ("四个自信", "四個自信")]
    assert found("三个*") == [("三个代表重要思想", "三个代表重要思想")]  # 代表重要思想: 6 characters
    assert found("三个*", "三个代表重要思想理论") == [("三个代表重要思想", "三个代表重要思想")]
    assert found("一个*", "一个中心、两个基本点") == [("一个中心", "一个中心")]  # a form with 、 is not 一个 + Han
    # a continuation longer than PATTERN_MAX characters is prose; 1..6 counts
    assert found("两个*", "这两个" + "问" * (PATTERN_MAX + 1) + "。") == []
    assert found("两个*", "这两个" + "问" * PATTERN_MAX + "。") == [("两个" + "问" * PATTERN_MAX,) * 2]
    assert found("两个*", "两个两个维护") == [("两个维护", "两个维护")]
    assert "的" in CONTINUATION_STOPS and found("两个*", "两个的") == []


def test_regex_pattern():
    assert found("re:四个(意识|自信)") == [("四个意识", "四个意识"), ("四个自信", "四個自信")]
    assert found("re:兩個(维护|確立)") == [("两个维护", "兩個「維護"), ("两个确立", "两个确立")]  # the pattern is simplified too
    assert found("re:两个(坚决)?维护") == [("两个维护", "兩個「維護"), ("两个维护", "两个坚决维护")]
    assert found("re:x*") == []  # empty matches are skipped


def test_every_match_points_at_its_characters():
    for request in ("两个*", "四个*", "re:四个(意识|自信)", "兩個維護", "两个问题"):
        for m in TermQuery(request, LEX).finditer(TEXT):
            assert key_of(TEXT[m.start : m.end]) == key_of(m.surface)


def test_suggest_nearest_lexicon_entries():
    assert suggest("两个维户", LEX)[0] == "两个维护"
    assert suggest("四个自性", LEX)[0] == "四个自信"
    assert suggest("完全无关的词语", LEX) == []
    assert suggest("两个维户", None) == []


def test_kwic_of_patterns_names_each_formulation():
    paragraphs = pd.DataFrame({"doc_id": ["d1", "d2"], "para_id": [0, 1], "text": [TEXT, "增强“四个意识”"]})
    documents = pd.DataFrame({"doc_id": ["d1", "d2"], "year": [2020, 2021], "title": ["甲", "乙"]})
    out = kwic(paragraphs, documents, "re:四个(意识|自信)", window=4, lexicon=LEX)
    assert out["term"].tolist() == ["四个意识", "四个自信", "四个意识"]
    assert out["match"].tolist() == ["四个意识", "四個自信", "四个意识"]
    assert out["year"].tolist() == [2020, 2020, 2021]
    assert len(kwic(paragraphs, documents, "两个*", lexicon=LEX)) == 6
