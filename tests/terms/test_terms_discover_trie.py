"""pipeline.terms.discover_trie: the trie and its leftmost-longest selection give what
pyahocorasick and pipeline.automaton.leftmost_longest give, on generated and on real text."""

from __future__ import annotations

from collections import Counter

import pytest
from discovery_reference import ALPHABET
from hypothesis import given, settings
from hypothesis import strategies as st

from pipeline import config
from pipeline.automaton import leftmost_longest
from pipeline.automaton import make_automaton as _make_automaton
from pipeline.lexicon import Lexicon, load_lexicon
from pipeline.terms.discover import discover_candidates
from pipeline.terms.discover_corpus import DiscoveryCorpus, codepoints
from pipeline.terms.discover_trie import Trie, leftmost_longest_hits

TRIE_CHARS = st.sampled_from(ALPHABET[:12] + ["、", "𠀀"])


@settings(max_examples=400, deadline=None)
@given(
    st.one_of(
        st.lists(st.text(alphabet=TRIE_CHARS, min_size=1, max_size=5), max_size=12, unique=True),
        st.lists(st.text(alphabet=TRIE_CHARS, min_size=2, max_size=5), max_size=12, unique=True),
    ),
    st.text(alphabet=st.sampled_from(ALPHABET[:12] + ["、", "𠀀", "。"]), max_size=80),
    st.sampled_from([1, 2, 3, 7, Trie.BLOCK]),
)
def test_trie_finds_what_aho_corasick_finds(patterns, text, block):
    trie = Trie(patterns)
    trie.BLOCK = block  # the first step runs block by block: boundaries anywhere
    starts, lengths, which = trie.find(codepoints(text))
    got = sorted(zip(starts.tolist(), lengths.tolist(), which.tolist()))
    want = []
    if patterns and text:
        automaton = _make_automaton({p: i for i, p in enumerate(patterns)})
        want = sorted((end - length + 1, length, i) for end, (length, i) in automaton.iter(text))
    assert got == want
    # leftmost-longest selection agrees with the matcher's
    sel = leftmost_longest_hits(starts, lengths, which)
    got_ll = [(int(starts[i]), int(starts[i] + lengths[i]), int(which[i])) for i in sel]
    want_ll = leftmost_longest(automaton, text) if patterns and text else []
    assert got_ll == want_ll


def test_trie_without_dense_rows_and_with_one_character_patterns(monkeypatch):
    text = "一二三四五一二三。一二两三"
    patterns = ["一", "一二", "一二三", "三四", "二两三", "五"]
    dense = Trie(patterns).find(codepoints(text))
    monkeypatch.setattr(Trie, "DENSE_LIMIT", 1)  # only the root's row: deeper steps search
    sparse = Trie(patterns).find(codepoints(text))
    for a, b in zip(dense, sparse):
        assert sorted(a.tolist()) == sorted(b.tolist())
    assert sorted(zip(*(x.tolist() for x in dense))) == sorted(
        [(0, 1, 0), (0, 2, 1), (0, 3, 2), (2, 2, 3), (4, 1, 5), (5, 1, 0), (5, 2, 1), (5, 3, 2), (9, 1, 0), (9, 2, 1), (10, 3, 4)]
    )


# --------------------------------------------------------------------------- real text
def assert_same_hits_as_pyahocorasick(docs, patterns) -> int:
    """Trie + leftmost_longest_hits (what discover_rank uses) == pyahocorasick + leftmost_longest
    over the joined corpus; returns the number of hits."""
    corpus = DiscoveryCorpus(docs)
    patterns = sorted(patterns)
    starts, lengths, which = Trie(patterns).find(corpus.cp)
    sel = leftmost_longest_hits(starts, lengths, which)
    got = list(zip(starts[sel].tolist(), (starts[sel] + lengths[sel]).tolist(), which[sel].tolist()))
    want = leftmost_longest(_make_automaton({p: i for i, p in enumerate(patterns)}), corpus.text)
    assert got == want
    everything = sorted(
        (end - length + 1, length, i) for end, (length, i) in _make_automaton({p: i for i, p in enumerate(patterns)}).iter(corpus.text)
    )
    assert sorted(zip(starts.tolist(), lengths.tolist(), which.tolist())) == everything
    return len(got)


def test_trie_agrees_with_pyahocorasick_on_the_seeds(seed_texts):
    """On real text: the seeds' candidates, the project lexicon's forms and every 2..4-gram that
    occurs at least twice (many overlapping patterns)."""
    docs = [(name[:3], 2019 + i, text.split("\n")) for i, (name, text) in enumerate(sorted(seed_texts.items()))]
    lexicon = load_lexicon() if (config.LEXICON_DIR / config.FORMULATIONS_FILE).exists() else Lexicon.empty()
    patterns = set(discover_candidates(docs, lexicon, top=10**6, word_freq={})["term"]) | set(lexicon.surface_forms())
    grams = Counter(p[i : i + n] for _, _, paras in docs for p in paras for n in (2, 3, 4) for i in range(len(p) - n + 1))
    patterns |= {g for g, c in grams.items() if c >= 2 and "\n" not in g}
    assert len(patterns) > 5000
    assert assert_same_hits_as_pyahocorasick(docs, patterns) > 5000


@pytest.mark.shared
def test_trie_agrees_with_pyahocorasick_on_the_shared_corpus(corpus_dir):
    """The whole shared corpus (every .txt, non-empty lines) with the candidates discovery keeps
    there and the lexicon forms: the input on which discover_trie.Trie was measured."""
    docs = []
    for path in sorted(corpus_dir.rglob("*.txt")):
        lines = path.read_text(encoding="utf-8-sig", errors="replace").splitlines()
        docs.append((path.stem, None, [line.strip() for line in lines if line.strip()]))
    lexicon = load_lexicon()
    patterns = set(discover_candidates(docs, lexicon, top=10**6)["term"]) | set(lexicon.surface_forms())
    assert assert_same_hits_as_pyahocorasick(docs, patterns) > 10_000
