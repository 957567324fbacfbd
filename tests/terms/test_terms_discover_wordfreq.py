"""pipeline.terms.discover_wordfreq: the dict.txt reader gives jieba's own frequencies."""

from __future__ import annotations

import pytest

from pipeline.terms.discover_wordfreq import _WORD_FREQ_CACHE, default_word_freq


def test_word_freq_reader_matches_jieba():
    jieba = pytest.importorskip("jieba")
    import logging

    jieba.setLogLevel(logging.WARNING)
    tok = jieba.Tokenizer()
    tok.initialize()
    for floor in (100, 1000, 7):
        _WORD_FREQ_CACHE.clear()
        assert default_word_freq(floor) == {w: f for w, f in tok.FREQ.items() if f >= floor}
    assert default_word_freq(7) is default_word_freq(7)  # kept for the process
