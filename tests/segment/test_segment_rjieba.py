"""pipeline.segment: rjieba (the jieba-rs binding) agrees with pure-Python jieba on the seeds."""

from __future__ import annotations

import pytest
from lexicon_helpers import project_or_small_lexicon

from pipeline.lexicon import Lexicon
from pipeline.segment import JiebaSegmenter


@pytest.fixture(scope="module")
def lexicon() -> Lexicon:
    return project_or_small_lexicon()


def agreement(a: list[tuple[str, int, int]], b: list[tuple[str, int, int]]) -> float:
    sa, sb = {(s, e) for _, s, e in a}, {(s, e) for _, s, e in b}
    return len(sa & sb) / max(len(sa), len(sb), 1)


@pytest.mark.parametrize("hmm, floor", [(False, 1.0), (True, 0.995)])
def test_rjieba_agrees_with_pure_jieba_on_seeds(lexicon, seed_texts, hmm, floor):
    pytest.importorskip("rjieba")
    fast = JiebaSegmenter(lexicon, hmm=hmm, backend="rjieba").initialize()
    slow = JiebaSegmenter(lexicon, hmm=hmm, backend="jieba").initialize()
    same = total = 0
    for text in seed_texts.values():
        a, b = slow.raw_tokenize(text), fast.raw_tokenize(text)
        rate = agreement(a, b)
        same += rate * len(a)
        total += len(a)
        assert fast.tokenize(text) == slow.tokenize(text) or rate < 1.0
    overall = same / total
    print(f"rjieba vs jieba, hmm={hmm}: token agreement {overall:.4%} over {total} tokens")
    assert overall >= floor
