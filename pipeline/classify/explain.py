"""Readable explanations of a prediction: the features that pushed a paragraph towards its label,
as a reader would name them (``两个维护(+0.31); 党支部(+0.12)``), for ``dangjian classify --explain``.

The model's features are char 1-3-grams (and, for some candidates, segmenter words and lexicon
counts) named by their sklearn branch (``char__两个``, ``word__党支部``, ``lex__lex:政治建设``).
:class:`Explainer` turns one paragraph's per-feature contributions into phrases:

* the branch prefix goes; lexicon and keyword counts read ``提法·政治建设`` / ``关键词·作风建设``;
* an n-gram made only of function characters (:data:`FUNCTION_CHARS`: 的, 和, 了, 在, 是, 与, 及,
  等 ...), punctuation, symbols or digits is no reason a reader can use and is skipped;
* the strongest char n-grams are laid on the paragraph, widened to the words they cut into (the
  project's jieba segmenter with the lexicon as user words: 家机关 -> 国家机关), and those that
  overlap or touch are joined into the phrase they cover (两个 + 维护 -> 两个维护), never across
  punctuation, with function characters trimmed from its ends. A phrase's weight is the sum of
  its n-grams' weights (an n-gram seen at several places shares its weight among them); it is
  shown as written in the paragraph (digits included: the model sees every digit run as ``0``).

Without a segmenter (jieba missing) phrases keep the n-grams' own edges.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Sequence

#: characters that carry no topic alone: particles, conjunctions, prepositions, copulas and
#: demonstratives of report prose (an n-gram made only of these, punctuation and digits is skipped)
FUNCTION_CHARS = frozenset("的地得之和与及或并且而等了着过是在于对从向为把被将以其也就都又还这那此该各每吗呢吧啊")
#: how the counts of lexicon formulations and of taxonomy keywords (pipeline.classify.steps) read
COUNT_NAMES = {"lex": "提法", "kw": "关键词"}
CHAR_BRANCHES = ("char",)  # n-grams of the paragraph's text (the heading block is shown as is)
SPAN_FEATURES = 3  # lay the strongest top * SPAN_FEATURES char n-grams on the text

_TOKENS = re.compile(r"[0-9０-９]+|\s{2,}|.", re.S)  # what the char vectorizer sees as one character

Words = Callable[[str], list[tuple[str, int, int]]]  # text -> (word, start, end) tokens


def is_content(ch: str) -> bool:
    """A letter (Han included) that is not a function character."""
    return unicodedata.category(ch)[0] == "L" and ch not in FUNCTION_CHARS


def _is_word_char(ch: str) -> bool:
    return unicodedata.category(ch)[0] in "LN"


def is_filler(term: str) -> bool:
    """True when ``term`` has no content character: only function characters, punctuation,
    symbols, digits or spaces (的, 和, 在是, ，的, 00, 。)."""
    return not any(is_content(ch) for ch in term)


def trim(term: str) -> str:
    """``term`` without the function characters, punctuation and spaces at its ends (digits stay)."""
    keep = [i for i, ch in enumerate(term) if is_content(ch) or unicodedata.category(ch)[0] == "N"]
    return term[keep[0] : keep[-1] + 1] if keep else ""


def readable_name(name: str) -> tuple[str, str, bool]:
    """(branch, readable term, whether it is a count) of a feature name: ``char__两个`` ->
    ('char', '两个', False), ``lex__lex:政治建设`` -> ('lex', '提法·政治建设', True), a name
    without a branch -> ('', name, False)."""
    branch, sep, term = str(name).partition("__")
    if not sep:
        branch, term = "", branch
    kind, colon, what = term.partition(":")
    if colon and kind in COUNT_NAMES:
        return branch, f"{COUNT_NAMES[kind]}·{what}", True
    return branch, term, False


def vectorizer_view(text: str) -> tuple[str, list[tuple[int, int]]]:
    """``text`` as the char vectorizer reads it (each digit run '0', each run of >= 2 spaces one
    space: features.char_preprocess and sklearn's whitespace rule) and, for each of its
    characters, the (start, end) it came from in ``text``."""
    chars, where = [], []
    for m in _TOKENS.finditer(text):
        tok = m.group()
        chars.append("0" if tok[0] in "0123456789０１２３４５６７８９" else (" " if len(tok) > 1 else tok))
        where.append(m.span())
    return "".join(chars), where


def _word_run(view: str, a: int, b: int) -> tuple[int, int] | None:
    """[a, b) without non-word characters at its ends; None if one is left inside (an n-gram
    across punctuation) or nothing is left."""
    while a < b and not _is_word_char(view[a]):
        a += 1
    while b > a and not _is_word_char(view[b - 1]):
        b -= 1
    if a >= b or not all(_is_word_char(ch) for ch in view[a:b]):
        return None
    return a, b


def phrases(ngrams: Sequence[tuple[str, float]], text: str, words: Words | None = None) -> dict[str, float]:
    """Char n-grams with their (positive) weights laid on ``text``: phrase as written -> weight.
    ``words`` (a segmenter's ``tokenize``) widens each n-gram to the words it cuts into."""
    view, where = vectorizer_view(text)
    start_of = list(range(len(text)))  # the start / end of the word holding each character
    end_of = list(range(1, len(text) + 1))
    if words is not None:
        for word, s, e in words(text):
            if all(_is_word_char(ch) for ch in word):
                start_of[s:e] = [s] * (e - s)
                end_of[s:e] = [e] * (e - s)
    spans: list[tuple[int, int, int]] = []  # (start, end, n-gram index) in ``text``
    n_seen = [0] * len(ngrams)
    for k, (gram, _) in enumerate(ngrams):
        at = view.find(gram)
        while at >= 0:
            run = _word_run(view, at, at + len(gram))
            if run is not None:
                s, e = where[run[0]][0], where[run[1] - 1][1]
                spans.append((start_of[s], end_of[e - 1], k))
                n_seen[k] += 1
            at = view.find(gram, at + 1)
    spans.sort()
    out: dict[str, float] = {}

    def close(s: int, e: int, weight: float) -> None:
        phrase = trim(text[s:e])
        if phrase and not is_filler(phrase):
            out[phrase] = out.get(phrase, 0.0) + weight

    cur: list | None = None  # [start, end, weight]
    for s, e, k in spans:
        share = ngrams[k][1] / n_seen[k]
        if cur is not None and s <= cur[1]:  # overlaps or touches: one phrase
            cur[1] = max(cur[1], e)
            cur[2] += share
            continue
        if cur is not None:
            close(*cur)
        cur = [s, e, share]
    if cur is not None:
        close(*cur)
    return out


def readable_parts(names: Sequence[str], contrib: Sequence[float], text: str, top: int = 5, words: Words | None = None) -> list[str]:
    """The ``top`` readable reasons behind one prediction, strongest first, as 'phrase(+w)'.
    ``names[i]`` is a feature's name, ``contrib[i]`` its contribution towards the predicted label
    (tf-idf value x centred class weight); only positive ones count."""
    ngrams: list[tuple[str, float]] = []
    out: dict[str, float] = {}
    for name, c in zip(names, contrib):
        c = float(c)
        if not c > 0:
            continue
        branch, term, is_count = readable_name(name)
        if is_count:
            out[term] = out.get(term, 0.0) + c
        elif is_filler(term):
            continue
        elif branch in CHAR_BRANCHES:
            ngrams.append((term, c))
        else:
            shown = trim(term)
            out[shown] = out.get(shown, 0.0) + c
    ngrams.sort(key=lambda t: -t[1])
    for phrase, w in phrases(ngrams[: max(1, top) * SPAN_FEATURES], text, words).items():
        out[phrase] = out.get(phrase, 0.0) + w
    best = sorted(out.items(), key=lambda kv: (-kv[1], kv[0]))[: max(0, top)]
    return [f"{term}({w:+.2f})" for term, w in best if round(w, 2) > 0]


class Explainer:
    """:func:`readable_parts` with the project's jieba segmenter (the lexicon of ``lexicon_dir``
    as user words; its own instance, built on first use) to widen n-grams to whole words."""

    def __init__(self, lexicon_dir=None):
        self.lexicon_dir = lexicon_dir
        self._words: Words | None = None
        self._ready = False

    def words(self) -> Words | None:
        if not self._ready:
            self._ready = True
            from pipeline.errors import DangjianError
            from pipeline.lexicon import load_lexicon
            from pipeline.segment import make_segmenter

            try:
                self._words = make_segmenter("jieba", load_lexicon(self.lexicon_dir)).initialize().tokenize
            except (DangjianError, ImportError, OSError):  # no jieba, a broken lexicon: n-gram edges
                self._words = None
        return self._words

    def parts(self, names: Sequence[str], contrib: Sequence[float], text: str, top: int = 5) -> list[str]:
        return readable_parts(names, contrib, text, top, self.words())
