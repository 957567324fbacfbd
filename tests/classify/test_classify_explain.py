"""pipeline.classify.explain: feature contributions -> the phrases a reader can check in the
paragraph (no branch prefixes, no function characters alone, n-grams joined into words)."""

from __future__ import annotations

import pytest

from pipeline.classify.explain import Explainer, is_filler, readable_name, readable_parts, trim

TEXT = "1.带头做到“两个维护”，和党支部一起学习，在2023年3月的会上是第一次。"


def test_names_lose_their_branch_prefix():
    assert readable_name("char__两个") == ("char", "两个", False)
    assert readable_name("word__党支部") == ("word", "党支部", False)
    assert readable_name("lex__lex:政治建设") == ("lex", "提法·政治建设", True)
    assert readable_name("lex__kw:作风建设") == ("lex", "关键词·作风建设", True)
    assert readable_name("两个") == ("", "两个", False)


@pytest.mark.parametrize("term", ["的", "和", "了", "在", "是", "与", "及", "等", "在是", "，的", "0", "00", "2023", "。", " ", "“”"])
def test_function_characters_punctuation_and_digits_are_filler(term):
    assert is_filler(term)


@pytest.mark.parametrize("term", ["党", "两个", "0月", "的党", "维护”"])
def test_a_content_character_is_enough(term):
    assert not is_filler(term)


def test_trim_drops_function_characters_and_punctuation_at_the_ends():
    assert trim("的党支部，") == "党支部" and trim("“两个维护”") == "两个维护" and trim("在2023年") == "2023年" and trim("的和") == ""


def test_ngrams_join_into_the_phrase_they_cover():
    names = ["char__两个", "char__个维", "char__维护", "char__党支", "char__支部", "char__的", "char__和", "char__，和", "char__0", "char__护”"]
    contrib = [0.10, 0.08, 0.13, 0.07, 0.05, 0.50, 0.40, 0.30, 0.20, 0.01]
    got = readable_parts(names, contrib, TEXT, top=5)
    assert got == ["两个维护(+0.32)", "党支部(+0.12)"]  # 0.10+0.08+0.13+0.01; 的/和/，和/0 are no reasons


def test_negative_weights_and_counts():
    got = readable_parts(["char__两个", "char__党支", "lex__lex:政治建设"], [-0.2, 0.05, 0.3], TEXT)
    assert got == ["提法·政治建设(+0.30)", "党支(+0.05)"]


def test_phrases_are_shown_as_written_with_their_digits():
    # the model sees digit runs as "0": 0年 is laid on 2023年
    assert readable_parts(["char__0年", "char__年0"], [0.2, 0.1], TEXT) == ["2023年3(+0.30)"]


def test_an_ngram_seen_twice_shares_its_weight():
    got = readable_parts(["char__党支"], [0.4], "党支部要建强，党支部要带头。")
    assert got == ["党支(+0.40)"]  # both places give the same phrase: the shares add up again
    got = readable_parts(["char__党支", "char__部要", "char__带头"], [0.4, 0.2, 0.3], "党支部要建强，党支书记带头。")
    assert got == ["党支部要(+0.40)", "带头(+0.30)", "党支(+0.20)"]


def test_words_widen_ngrams_to_whole_words():
    words = Explainer().words()
    if words is None:
        pytest.skip("jieba is not installed")
    got = readable_parts(["char__家机", "char__机关"], [0.2, 0.1], "中央和国家机关党的建设", words=words)
    assert got == ["国家机关(+0.30)"]
