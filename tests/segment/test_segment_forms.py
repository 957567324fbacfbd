"""pipeline.segment: lexicon terms are never split (the safety pass), by jieba and pkuseg, on
synthetic sentences and the seeds; offsets trace back to the text; odd input."""

from __future__ import annotations

import pytest
from lexicon_helpers import project_or_small_lexicon

from pipeline.automaton import leftmost_longest
from pipeline.automaton import make_automaton as _make_automaton
from pipeline.lexicon import Lexicon
from pipeline.segment import _enforce_spans, guaranteed_forms, make_segmenter


@pytest.fixture(scope="module")
def lexicon() -> Lexicon:
    return project_or_small_lexicon()


@pytest.fixture(scope="module")
def jieba_seg(lexicon):
    return make_segmenter("jieba", lexicon).initialize()


@pytest.fixture(scope="module")
def pkuseg_seg(lexicon):
    """One pkuseg instance for the module: loading takes seconds and ~800 MB."""
    pytest.importorskip("pkuseg")
    return make_segmenter("pkuseg", lexicon).initialize()


def synthetic_sentences(forms: list[str]) -> list[str]:
    """Each form between ordinary words, glued without punctuation (where segmenters are
    most tempted to attach a neighbour), plus all forms in one run-on paragraph."""
    frames = ["我们要坚持{}不动摇", "进一步落实{}的要求", "{}", "在全体党员中开展{}活动，推动工作", "以{}为抓手"]
    out = [frames[i % len(frames)].format(f) for i, f in enumerate(forms)]
    out.append("，".join(f"推进{f}工作" for f in forms))
    return out


def expected_spans(lexicon, text):
    forms = guaranteed_forms(lexicon)
    return [(s, e) for s, e, _ in leftmost_longest(_make_automaton({f: f for f in forms}), text)]


def assert_forms_are_tokens(seg, lexicon, text):
    tokens = seg.tokenize(text)
    spans = {(s, e) for _, s, e in tokens}
    for word, s, e in tokens:
        assert text[s:e] == word and word.strip() == word and word
    missing = [text[s:e] for s, e in expected_spans(lexicon, text) if (s, e) not in spans]
    assert missing == []
    assert "".join(w for w, _, _ in tokens) == "".join(text.split())
    return len(expected_spans(lexicon, text))


def test_safety_pass_splits_and_merges():
    text = "abcdefgh"
    words, starts, ends = _enforce_spans(text, ["ab", "cde", "fgh"], [0, 2, 5], [2, 5, 8], [(1, 3), (4, 7)])
    assert words == ["a", "bc", "d", "efg", "h"] and starts == [0, 1, 3, 4, 7] and ends == [1, 3, 4, 7, 8]
    words, *_ = _enforce_spans(text, list(text), list(range(8)), list(range(1, 9)), [(0, 8)])
    assert words == ["abcdefgh"]
    words, *_ = _enforce_spans(text, ["abcdefgh"], [0], [8], [(2, 4)])
    assert words == ["ab", "cd", "efgh"]


@pytest.mark.parametrize("hmm", [True, False])
def test_jieba_keeps_every_lexicon_term_one_token(lexicon, hmm):
    seg = make_segmenter("jieba", lexicon, hmm=hmm)
    forms = guaranteed_forms(lexicon)
    assert len(forms) >= (500 if len(lexicon) > 100 else 8)
    for form in forms:
        assert seg.lcut(form) == [form]
    checked = sum(assert_forms_are_tokens(seg, lexicon, s) for s in synthetic_sentences(forms))
    assert checked >= len(forms)


def test_jieba_on_seeds(jieba_seg, lexicon, seed_texts):
    total = sum(assert_forms_are_tokens(jieba_seg, lexicon, t) for t in seed_texts.values())
    assert total >= 40
    tokens = jieba_seg.lcut(seed_texts["000_0251f9872aab0630.txt"])
    assert tokens.count("两个维护") == 5 and tokens.count("一岗双责") == 3


def test_pkuseg_keeps_every_lexicon_term_one_token(pkuseg_seg, lexicon, seed_texts):
    forms = guaranteed_forms(lexicon)
    text = "\n".join(synthetic_sentences(forms))
    assert assert_forms_are_tokens(pkuseg_seg, lexicon, text) >= len(forms)
    seeds = "\n".join(seed_texts.values())
    assert assert_forms_are_tokens(pkuseg_seg, lexicon, seeds) >= 40
    assert pkuseg_seg.lcut("") == [] and pkuseg_seg.lcut("  \n ") == []


def test_empty_and_odd_input(jieba_seg):
    assert jieba_seg.lcut("") == [] and jieba_seg.tokenize("") == []
    assert list(jieba_seg.cut("  \n\t ")) == []
    text = "😀𠀋 Ａ１\x00两个维护"
    assert [w for w, s, e in jieba_seg.tokenize(text) if text[s:e] != w] == []
    assert jieba_seg.lcut(text)[-1] == "两个维护"
