"""Match and count formulations of the lexicon in a text. No file I/O.

Matching rules (:class:`TermMatcher`)
-------------------------------------
* Every term and alias of the lexicon is a key of one Aho-Corasick automaton (pyahocorasick,
  built on first use). Matches are **leftmost-longest and non-overlapping**: at each position
  the longest key wins, and the scan resumes after it. An alias is reported under its
  canonical term.
* Text and keys are *folded* with a 1:1 character mapping, so offsets on the folded text are
  offsets on the original: full-width ASCII (U+FF01..U+FF5E) -> ASCII, ideographic space ->
  space, and the list separators ``，`` ``,`` -> ``、``.
* Quote marks ``“”‘’"'「」『』`` are removed from text and keys before matching (an offset map
  leads back to the original), so ``两个“维护”`` counts as 两个维护.
* Traditional characters count as their simplified forms: text and keys are matched in their
  simplified view (:mod:`pipeline.terms.simplify`, one character for one, so offsets are those of
  the original), and ``堅決做到「兩個維護」`` counts 两个维护 at the characters 兩個維護.
* Separator-insensitive terms: a key with an internal ``、`` (after folding ``，`` and ``,``)
  also matches with the separator left out. So the lexicon writes ``不忘初心、牢记使命`` once and
  ``不忘初心，牢记使命`` / ``不忘初心,牢记使命`` / ``不忘初心牢记使命`` all count under it. We chose
  this over asking analysts to list every variant as an alias: the three spellings are one
  formulation in every source we read, and the rule is applied to every such term uniformly.

Every :class:`Match` satisfies ``simplified(match_key(text[m.start:m.end])) ==
simplified(match_key(m.surface))``; ``m.surface`` is the lexicon form (or its separator-less
variant) that matched, ``text[m.start:m.end]`` the characters as written.
"""

from __future__ import annotations

import bisect
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

from pipeline.automaton import leftmost_longest, make_automaton
from pipeline.terms.folding import QUOTE_RE, SEPARATORS_IN_TERMS, match_key, unfold
from pipeline.terms.simplify import simplified

if TYPE_CHECKING:  # pragma: no cover
    from pipeline.lexicon import Lexicon


@dataclass(frozen=True)
class Match:
    """A formulation found in a text: canonical ``term``, the lexicon ``surface`` form that
    matched, and character offsets ``[start, end)`` into the original text."""

    term: str
    surface: str
    start: int
    end: int


class TermMatcher:
    """Leftmost-longest formulation matcher over a :class:`~pipeline.lexicon.Lexicon`.

    Construction is cheap; the automaton is built on the first call to :meth:`finditer`.
    """

    def __init__(self, lexicon: Lexicon):
        self.lexicon = lexicon
        self._automaton = None
        self._empty = False

    @classmethod
    def from_forms(cls, forms: Mapping[str, str]) -> TermMatcher:
        """A matcher of ``forms`` (surface form -> the name to report it under) without a lexicon."""
        return cls(_Forms(dict(forms)))

    def keys(self) -> dict[str, tuple[str, str]]:
        """match key -> (canonical term, surface form reported)."""
        keys: dict[str, tuple[str, str]] = {}
        variants: dict[str, tuple[str, str]] = {}
        for surface, term in self.lexicon.surface_forms().items():
            key = simplified(match_key(surface))
            if not key.strip():
                continue
            keys.setdefault(key, (term, surface))
            if SEPARATORS_IN_TERMS in key.strip(SEPARATORS_IN_TERMS):
                bare = key.replace(SEPARATORS_IN_TERMS, "")
                variants.setdefault(bare, (term, surface.translate(dict.fromkeys(map(ord, "、，,")))))
        for key, value in variants.items():
            keys.setdefault(key, value)  # an explicit lexicon form always wins
        return keys

    def initialize(self) -> TermMatcher:
        if self._automaton is None and not self._empty:
            keys = {variant: payload for key, payload in self.keys().items() for variant in unfold(key)}
            if keys:
                self._automaton = make_automaton(keys)
            else:
                self._empty = True
        return self

    def _raw(self, text: str):
        """(start, end, (term, surface)) in original offsets, leftmost-longest.

        Folding is compiled into the automaton (every key is added in all spellings that fold
        to it, see :func:`unfold`), so the text itself is never translated; quote marks are
        removed with an offset map only from texts that contain one. The automaton reads the
        simplified view of ``text`` (the same length: offsets need no map)."""
        if not text or not isinstance(text, str):
            return []
        self.initialize()
        if self._automaton is None:
            return []
        text = simplified(text)
        if QUOTE_RE.search(text) is None:
            return leftmost_longest(self._automaton, text)
        removed = [m.start() for m in QUOTE_RE.finditer(text)]
        stripped = QUOTE_RE.sub("", text)
        # stripped index k -> original index k + #removed characters before it
        shifted = [pos - i for i, pos in enumerate(removed)]
        out = []
        for start, end, payload in leftmost_longest(self._automaton, stripped):
            start = start + bisect.bisect_right(shifted, start)
            last = end - 1
            out.append((start, last + bisect.bisect_right(shifted, last) + 1, payload))
        return out

    def scan_keys(self, keys: str) -> list[tuple[int, int, tuple[str, str]]]:
        """(start, end, (term, surface)) in ``keys``, a text already simplified and without
        quote marks (as :func:`pipeline.terms.query.keyspace` prepares it), leftmost-longest."""
        self.initialize()
        return leftmost_longest(self._automaton, keys) if self._automaton is not None and keys else []

    def finditer(self, text: str) -> Iterator[Match]:
        """Matches in ``text`` in order, non-overlapping, leftmost-longest."""
        for start, end, (term, surface) in self._raw(text):
            yield Match(term, surface, start, end)

    def findall(self, text: str) -> list[Match]:
        return list(self.finditer(text))

    def count(self, text: str) -> Counter:
        """Counter of canonical term -> occurrences in ``text`` (empty for empty text)."""
        return Counter([payload[0] for _, _, payload in self._raw(text)])


class _Forms:
    """The part of a Lexicon a TermMatcher reads: surface form -> reported name."""

    def __init__(self, forms: dict[str, str]):
        self._forms = forms

    def surface_forms(self) -> Mapping[str, str]:
        return self._forms


def count_document(paragraph_texts: Iterable[str], *, matcher: TermMatcher | None = None) -> Counter:
    """Sum of :meth:`TermMatcher.count` over a document's paragraphs (default lexicon if no
    matcher is given). Non-string paragraphs (NaN from a CSV) count as empty."""
    if matcher is None:
        from pipeline.lexicon import load_lexicon

        matcher = TermMatcher(load_lexicon())
    total: Counter = Counter()
    for text in paragraph_texts:
        if isinstance(text, str) and text:
            total.update(matcher.count(text))
    return total
