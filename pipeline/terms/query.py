"""What an analyst asks for -- a formulation, any string, a numbered pattern or a regular
expression -- found in paragraphs with the matcher's rules. No file I/O.

One request is one string (:class:`TermQuery`); ``kwic``, ``Corpus.trend``, ``plot terms`` and
the heatmap all read requests the same way, so they report the same numbers:

* **lexicon** -- a term or alias of the lexicon, compared after folding, quote removal and
  simplification (``兩個維護``, ``两个“维护”`` and ``两个坚决维护`` all name 两个维护). The run
  counted it: trends come from the run's tables, under the canonical term. In kwic every
  surface form of the entry matches, even inside a longer formulation.
* **literal** -- anything else (``五星三名``, a typo): counted on the fly on the stored paragraphs
  with the matcher's normalisation (folding, quote marks, separators, the simplified view),
  every occurrence, also inside a longer formulation.
* **prefix** -- ``P*``: the prefix ``P`` (typically a numeral + 个: ``两个*``, ``四个*``) and a
  continuation ``*`` of 1 to :data:`PATTERN_MAX` Han characters. Each occurrence is named:

  1. *lexicon first*: every lexicon form that is ``P`` + 1..6 Han characters (after folding and
     simplification) is matched, leftmost-longest among those forms, and reported under its
     canonical term (两个坚决维护 -> 两个维护);
  2. *literally otherwise*: at an occurrence of ``P`` outside those matches, the continuation is
     the Han characters that follow, up to the first non-Han character, function character
     (:data:`CONTINUATION_STOPS`: 的 了 和 是 都 在 ...), lexicon match or next ``P``; it
     counts when it is 1..6 characters long (“两个务必”, 两个毫不动摇，, 这两个问题都很重要 ->
     两个问题). A continuation of 7 or more characters is prose, not a formulation: skipped.

  Each name found is its own series, and the request itself (``两个*``) is the pattern's total.
* **regex** -- ``re:REGEX``: Python regular expression semantics (leftmost, non-overlapping,
  empty matches skipped) on each paragraph's simplified, folded text without quote marks (so
  write the list separator as 、 and traditional characters need no alternatives; the pattern's
  Han characters are simplified too). Each distinct match is its own series (a lexicon form is
  named by its canonical term), and the request is the total.

Every :class:`~pipeline.terms.match.Match` gives offsets into the text as written; ``m.term`` is
the series it counts under.
"""

from __future__ import annotations

import bisect
import difflib
import re
from collections.abc import Iterable, Iterator, Sequence
from typing import TYPE_CHECKING

from pipeline.terms.folding import QUOTE_RE, SEPARATORS_IN_TERMS, fold, match_key
from pipeline.terms.match import Match, TermMatcher
from pipeline.terms.simplify import simplified

if TYPE_CHECKING:  # pragma: no cover
    from pipeline.lexicon import Lexicon

LEXICON, LITERAL, PREFIX, REGEX = "lexicon", "literal", "prefix", "regex"
REGEX_PREFIX = "re:"
WILDCARD = "*"
#: the longest continuation ``*`` stands for (Han characters)
PATTERN_MAX = 6
#: characters that end a literal continuation of ``P*`` (particles, conjunctions, the copula)
CONTINUATION_STOPS = frozenset("的了和与及或等着过是都在也把被并而且")
_HAN = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
_HAN_RUN = re.compile(f"[{_HAN}]+")
_ALL_HAN = re.compile(f"[{_HAN}]+$")


def key_of(text: str) -> str:
    """What requests and lexicon forms are compared by: folded, without quote marks, simplified."""
    return simplified(match_key(text or "").strip())


def keyspace(text: str) -> tuple[str, list[int] | None]:
    """``text`` as patterns read it (simplified, without quote marks, folded) and the offset map
    back (None when no quote mark was removed; see :func:`original_span`)."""
    view = simplified(text)
    if QUOTE_RE.search(view) is None:
        return fold(view), None
    removed = [m.start() for m in QUOTE_RE.finditer(view)]
    return fold(QUOTE_RE.sub("", view)), [pos - i for i, pos in enumerate(removed)]


def original_span(start: int, end: int, shifted: list[int] | None) -> tuple[int, int]:
    """A span of :func:`keyspace` text -> the span of the original text (quote marks inside kept)."""
    if shifted is None:
        return start, end
    last = end - 1
    return start + bisect.bisect_right(shifted, start), last + bisect.bisect_right(shifted, last) + 1


class LexiconIndex:
    """The lexicon's forms by :func:`key_of` (and without separators), for resolving requests."""

    def __init__(self, lexicon: Lexicon | None):
        self.lexicon = lexicon
        self.by_key: dict[str, str] = {}
        self.bare: dict[str, str] = {}
        self.forms: dict[str, list[str]] = {}  # canonical term -> its surface forms
        if lexicon is None:
            return
        for surface, term in lexicon.surface_forms().items():
            key = key_of(surface)
            if not key:
                continue
            self.by_key.setdefault(key, term)
            self.bare.setdefault(key.replace(SEPARATORS_IN_TERMS, ""), term)
            self.forms.setdefault(term, []).append(surface)

    def canonical(self, text: str) -> str | None:
        key = key_of(text)
        if not key:
            return None
        return self.by_key.get(key) or self.bare.get(key.replace(SEPARATORS_IN_TERMS, ""))


class TermQuery:
    """One request (see the module docstring): ``kind`` is lexicon, literal, prefix or regex;
    ``name`` the series a lexicon or literal request counts under (the canonical term, or the
    request as typed) and the total column of a pattern."""

    def __init__(self, request: str, lexicon: Lexicon | None = None, *, index: LexiconIndex | None = None):
        from pipeline.errors import InputError

        self.request = (request or "").strip()
        if not self.request:
            raise InputError("empty formulation", "name a formulation, e.g. 两个维护, 两个* or re:四个(意识|自信)")
        self.index = index if index is not None else LexiconIndex(lexicon)
        self.name = self.request
        self.term: str | None = None
        self._matcher: TermMatcher | None = None
        self._regex: re.Pattern | None = None
        self._prefix = ""
        if self.request.startswith(REGEX_PREFIX):
            self.kind = REGEX
            source = simplified(self.request[len(REGEX_PREFIX) :])
            if not source.strip():
                raise InputError("empty regular expression after re:", "write one, e.g. re:四个(意识|自信)")
            try:
                self._regex = re.compile(source)
            except re.error as err:
                raise InputError(f"bad regular expression {source!r}: {err}", "use Python syntax after re:, e.g. re:四个(意识|自信)") from None
        elif self.request.endswith(WILDCARD) and WILDCARD not in self.request[:-1]:
            self.kind = PREFIX
            self._prefix = key_of(self.request[:-1])
            if not self._prefix:
                raise InputError(f"{self.request!r} has no prefix", "write the prefix before *, e.g. 两个*")
            forms = {}
            for key, term in self.index.by_key.items():
                rest = key[len(self._prefix) :]
                if key.startswith(self._prefix) and 1 <= len(rest) <= PATTERN_MAX and _ALL_HAN.match(rest):
                    forms[key] = term
            self._matcher = TermMatcher.from_forms(forms)
        elif WILDCARD in self.request:
            raise InputError(f"{self.request!r}: * only ends a pattern (两个*)", "use re:… for other patterns, e.g. re:两个.{2}")
        else:
            self.term = self.index.canonical(self.request)
            if self.term is not None:
                self.kind = LEXICON
                self.name = self.term
                self._matcher = TermMatcher.from_forms(dict.fromkeys(self.index.forms.get(self.term, [self.term]), self.term))
            else:
                self.kind = LITERAL
                self._matcher = TermMatcher.from_forms({self.request: self.request})

    def __repr__(self) -> str:
        return f"TermQuery({self.request!r}, kind={self.kind!r})"

    @property
    def is_pattern(self) -> bool:
        return self.kind in (PREFIX, REGEX)

    @property
    def on_the_fly(self) -> bool:
        """Counted on the stored paragraphs (not read from the run's tables)?"""
        return self.kind != LEXICON

    # ------------------------------------------------------------------ finding
    def finditer(self, text: str) -> Iterator[Match]:
        """Occurrences in ``text``, in order, non-overlapping; ``m.term`` is the series (for a
        pattern, the formulation found), offsets into ``text`` as written."""
        if not isinstance(text, str) or not text:
            return iter(())
        if self.kind == REGEX:
            return self._regex_iter(text)
        if self.kind == PREFIX:
            return self._prefix_iter(text)
        return self._matcher.finditer(text)

    def _series(self, key: str) -> str:
        return self.index.by_key.get(key) or key

    def _regex_iter(self, text: str) -> Iterator[Match]:
        keys, shifted = keyspace(text)
        for m in self._regex.finditer(keys):
            if m.end() > m.start():
                start, end = original_span(m.start(), m.end(), shifted)
                yield Match(self._series(m.group()), m.group(), start, end)

    def _prefix_iter(self, text: str) -> Iterator[Match]:
        keys, shifted = keyspace(text)
        found = []
        lexical = self._matcher.scan_keys(keys)
        lex_starts = [s for s, _, _ in lexical]
        for start, end, (term, _surface) in lexical:
            found.append((start, end, term, keys[start:end]))
        prefix, n = self._prefix, len(self._prefix)
        at = keys.find(prefix)
        pos = 0  # end of the last literal occurrence
        while at >= 0:
            j = bisect.bisect_right(lex_starts, at) - 1
            if at >= pos and not (j >= 0 and at < lexical[j][1]):  # not inside a lexicon match
                run = _HAN_RUN.match(keys, at + n)
                cont = run.group() if run else ""
                if j + 1 < len(lex_starts):  # up to the next lexicon match
                    cont = cont[: max(0, lex_starts[j + 1] - at - n)]
                again = cont.find(prefix)  # ... the next occurrence of the prefix
                if again >= 0:
                    cont = cont[:again]
                cut = next((i for i, ch in enumerate(cont) if ch in CONTINUATION_STOPS), len(cont))
                if 1 <= cut <= PATTERN_MAX:
                    end = at + n + cut
                    found.append((at, end, self._series(keys[at:end]), keys[at:end]))
                    pos = end
            at = keys.find(prefix, at + 1)
        for start, end, series, surface in sorted(found):
            s, e = original_span(start, end, shifted)
            yield Match(series, surface, s, e)

    def findall(self, texts: Iterable[str]) -> list[tuple[int, Match]]:
        """(row, match) of every occurrence in ``texts`` (non-strings are empty)."""
        return [(i, m) for i, t in enumerate(texts) for m in self.finditer(t)]


def parse_queries(requests: Sequence[str], lexicon: Lexicon | None) -> list[TermQuery]:
    """One :class:`TermQuery` per request (one lexicon index shared)."""
    index = LexiconIndex(lexicon)
    return [TermQuery(r, index=index) for r in requests]


def suggest(request: str, lexicon: Lexicon | None, n: int = 3, *, cutoff: float = 0.45) -> list[str]:
    """The lexicon terms nearest to ``request`` (difflib's ratio on the surface forms, compared
    as :func:`key_of`), best first; empty when none is close."""
    index = LexiconIndex(lexicon)
    key = key_of(request.removeprefix(REGEX_PREFIX).rstrip(WILDCARD))
    if not key or not index.by_key:
        return []
    out: list[str] = []
    for form in difflib.get_close_matches(key, list(index.by_key), n=n * 4, cutoff=cutoff):
        term = index.by_key[form]
        if term not in out:
            out.append(term)
    return out[:n]
