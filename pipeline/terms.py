"""Match and count formulations; discover new candidates; concordance (kwic). No file I/O.

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
* Separator-insensitive terms: a key with an internal ``、`` (after folding ``，`` and ``,``)
  also matches with the separator left out. So the lexicon writes ``不忘初心、牢记使命`` once and
  ``不忘初心，牢记使命`` / ``不忘初心,牢记使命`` / ``不忘初心牢记使命`` all count under it. We chose
  this over asking analysts to list every variant as an alias: the three spellings are one
  formulation in every source we read, and the rule is applied to every such term uniformly.

Every :class:`Match` satisfies ``match_key(text[m.start:m.end]) == match_key(m.surface)``;
``m.surface`` is the lexicon form (or its separator-less variant) that matched.
"""

from __future__ import annotations

import bisect
import math
import re
from collections import Counter, defaultdict
from dataclasses import dataclass
from typing import TYPE_CHECKING, Iterable, Iterator, Sequence

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

    from pipeline.lexicon import Lexicon

QUOTES = "“”‘’\"'「」『』"
SEPARATORS_IN_TERMS = "、"  # after folding ，and , to 、

_FOLD_TABLE: dict[int, int] = {cp: cp - 0xFEE0 for cp in range(0xFF01, 0xFF5F)}
_FOLD_TABLE[0x3000] = 0x20
_FOLD_TABLE[0xFF0C] = ord("、")  # ，
_FOLD_TABLE[ord(",")] = ord("、")
_QUOTE_RE = re.compile("[" + re.escape(QUOTES) + "]")
_QUOTE_DEL = dict.fromkeys(map(ord, QUOTES))


def fold(text: str) -> str:
    """The 1:1 character folding used for matching (``len(fold(t)) == len(t)``)."""
    return text.translate(_FOLD_TABLE)


def match_key(text: str) -> str:
    """What matching compares: folded text without quote marks."""
    return fold(text).translate(_QUOTE_DEL)


@dataclass(frozen=True)
class Match:
    """A formulation found in a text: canonical ``term``, the lexicon ``surface`` form that
    matched, and character offsets ``[start, end)`` into the original text."""

    term: str
    surface: str
    start: int
    end: int


def leftmost_longest(automaton, text: str) -> list[tuple[int, int, object]]:
    """Non-overlapping (start, end, value) matches of a pyahocorasick automaton whose values
    are ``(key_length, payload)``: the leftmost match wins, the longest one at that start."""
    best: dict[int, tuple[int, object]] = {}
    for end_index, (length, payload) in automaton.iter(text):
        start = end_index - length + 1
        current = best.get(start)
        if current is None or length > current[0]:
            best[start] = (length, payload)
    out = []
    pos = 0
    for start in sorted(best):
        if start >= pos:
            length, payload = best[start]
            out.append((start, start + length, payload))
            pos = start + length
    return out


def _make_automaton(keys: dict[str, object]):
    import ahocorasick

    automaton = ahocorasick.Automaton()
    for key, payload in keys.items():
        automaton.add_word(key, (len(key), payload))
    automaton.make_automaton()
    return automaton


class TermMatcher:
    """Leftmost-longest formulation matcher over a :class:`~pipeline.lexicon.Lexicon`.

    Construction is cheap; the automaton is built on the first call to :meth:`finditer`.
    """

    def __init__(self, lexicon: "Lexicon"):
        self.lexicon = lexicon
        self._automaton = None
        self._empty = False

    def keys(self) -> dict[str, tuple[str, str]]:
        """match key -> (canonical term, surface form reported)."""
        keys: dict[str, tuple[str, str]] = {}
        variants: dict[str, tuple[str, str]] = {}
        for surface, term in self.lexicon.surface_forms().items():
            key = match_key(surface)
            if not key.strip():
                continue
            keys.setdefault(key, (term, surface))
            if SEPARATORS_IN_TERMS in key.strip(SEPARATORS_IN_TERMS):
                bare = key.replace(SEPARATORS_IN_TERMS, "")
                variants.setdefault(bare, (term, surface.translate(dict.fromkeys(map(ord, "、，,")))))
        for key, value in variants.items():
            keys.setdefault(key, value)  # an explicit lexicon form always wins
        return keys

    def initialize(self) -> "TermMatcher":
        if self._automaton is None and not self._empty:
            keys = self.keys()
            if keys:
                self._automaton = _make_automaton(keys)
            else:
                self._empty = True
        return self

    def finditer(self, text: str) -> Iterator[Match]:
        """Matches in ``text`` in order, non-overlapping, leftmost-longest."""
        if not text or not isinstance(text, str):
            return
        self.initialize()
        if self._automaton is None:
            return
        folded = fold(text)
        removed = [m.start() for m in _QUOTE_RE.finditer(folded)]
        if removed:
            stripped = folded.translate(_QUOTE_DEL)
            # stripped index k -> original index k + #removed before it
            shifted = [pos - i for i, pos in enumerate(removed)]

            def orig(k: int) -> int:
                return k + bisect.bisect_right(shifted, k)
        else:
            stripped = folded
            orig = None
        for start, end, (term, surface) in leftmost_longest(self._automaton, stripped):
            if orig is not None:
                start, end = orig(start), orig(end - 1) + 1
            yield Match(term, surface, start, end)

    def findall(self, text: str) -> list[Match]:
        return list(self.finditer(text))

    def count(self, text: str) -> Counter:
        """Counter of canonical term -> occurrences in ``text`` (empty for empty text)."""
        return Counter(m.term for m in self.finditer(text))


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


# --------------------------------------------------------------------------- concordance
def kwic(
    paragraphs: "pd.DataFrame",
    documents: "pd.DataFrame",
    term: str,
    *,
    window: int = 20,
    lexicon: "Lexicon | None" = None,
) -> "pd.DataFrame":
    """Keyword in context, like quanteda's ``kwic``: one row per occurrence of ``term``.

    When ``lexicon`` knows ``term`` (as a term or an alias), every surface form of that entry
    matches (with the folding and quote rules of :class:`TermMatcher`), even where it sits
    inside a longer formulation; otherwise ``term`` is matched literally (same rules).
    Columns: ``doc_id, year, title, left, match, right, para_id`` (``match`` is the original
    text, ``left``/``right`` at most ``window`` characters of the same paragraph).
    """
    import pandas as pd

    from pipeline.lexicon import Entry, Lexicon

    columns = ["doc_id", "year", "title", "left", "match", "right", "para_id"]
    term = (term or "").strip()
    entry = lexicon.by_term(term) if lexicon is not None else None
    if entry is None:
        entry = Entry(term, (), "综合", None, "local", "", 0)
    matcher = TermMatcher(Lexicon([entry]))
    docs = documents.drop_duplicates("doc_id").set_index(documents.drop_duplicates("doc_id")["doc_id"].astype(str)) \
        if documents is not None and "doc_id" in documents else None
    rows = []
    if term and paragraphs is not None and len(paragraphs):
        texts = paragraphs["text"].tolist()
        doc_ids = paragraphs["doc_id"].astype(str).tolist()
        para_ids = paragraphs["para_id"].tolist() if "para_id" in paragraphs else list(range(len(texts)))
        for text, doc_id, para_id in zip(texts, doc_ids, para_ids):
            if not isinstance(text, str) or not text:
                continue
            for m in matcher.finditer(text):
                left = text[max(0, m.start - window): m.start]
                right = text[m.end: m.end + window]
                rows.append([doc_id, None, "", " ".join(left.split()), text[m.start:m.end], " ".join(right.split()), para_id])
    out = pd.DataFrame(rows, columns=columns)
    if docs is not None and len(out):
        if "year" in docs:
            years = pd.to_numeric(docs["year"], errors="coerce")
            out["year"] = out["doc_id"].map(years).astype("Int64")
        if "title" in docs:
            out["title"] = out["doc_id"].map(docs["title"]).fillna("").astype(str)
    else:
        out["year"] = out["year"].astype("Int64")
    return out
