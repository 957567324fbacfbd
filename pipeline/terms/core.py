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

from pipeline.automaton import leftmost_longest, make_automaton

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


_PREIMAGES: dict[str, str] = {}
for _cp, _to in _FOLD_TABLE.items():
    _PREIMAGES.setdefault(chr(_to), chr(_to))
    _PREIMAGES[chr(_to)] += chr(_cp)
MAX_SPELLINGS = 729


def _unfold(key: str) -> list[str]:
    """Every string that folds to ``key`` (``、`` -> 、，, ; ``A`` -> A Ａ; space -> space, U+3000).
    Beyond MAX_SPELLINGS combinations, only the uniform spellings (all half-width / all full-width
    / one separator throughout) are kept."""
    choices = [_PREIMAGES.get(ch, ch) for ch in key]
    total = 1
    for c in choices:
        total *= len(c)
    if total <= MAX_SPELLINGS:
        import itertools

        return ["".join(p) for p in itertools.product(*choices)]
    width = max(len(c) for c in choices)
    return list({"".join(c[min(i, len(c) - 1)] for c in choices) for i in range(width)})


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
            keys = {variant: payload for key, payload in self.keys().items() for variant in _unfold(key)}
            if keys:
                self._automaton = make_automaton(keys)
            else:
                self._empty = True
        return self

    def _raw(self, text: str):
        """(start, end, (term, surface)) in original offsets, leftmost-longest.

        Folding is compiled into the automaton (every key is added in all spellings that fold
        to it, see :func:`_unfold`), so the text itself is never translated; quote marks are
        removed with an offset map only from texts that contain one."""
        if not text or not isinstance(text, str):
            return []
        self.initialize()
        if self._automaton is None:
            return []
        if _QUOTE_RE.search(text) is None:
            return leftmost_longest(self._automaton, text)
        removed = [m.start() for m in _QUOTE_RE.finditer(text)]
        stripped = _QUOTE_RE.sub("", text)
        # stripped index k -> original index k + #removed characters before it
        shifted = [pos - i for i, pos in enumerate(removed)]
        out = []
        for start, end, payload in leftmost_longest(self._automaton, stripped):
            start = start + bisect.bisect_right(shifted, start)
            last = end - 1
            out.append((start, last + bisect.bisect_right(shifted, last) + 1, payload))
        return out

    def finditer(self, text: str) -> Iterator[Match]:
        """Matches in ``text`` in order, non-overlapping, leftmost-longest."""
        for start, end, (term, surface) in self._raw(text):
            yield Match(term, surface, start, end)

    def findall(self, text: str) -> list[Match]:
        return list(self.finditer(text))

    def count(self, text: str) -> Counter:
        """Counter of canonical term -> occurrences in ``text`` (empty for empty text)."""
        return Counter([payload[0] for _, _, payload in self._raw(text)])


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


# --------------------------------------------------------------------------- discovery
# Everything below works on the whole corpus joined into one string (paragraphs separated by
# "\n", which no candidate contains) and on its code points as a numpy array: the numbered
# patterns and quotations, the n-gram statistics and every occurrence count come from array
# operations, and Python loops run over candidates, never over characters. _QUOTED,
# _NUMBERED_RUN and _SERIES define what the array scans find (tests compare the two).
import functools as _functools

HAN_CLASS = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
NUMERALS = "一二两三四五六七八九十百千双"
_OPEN_QUOTES, _CLOSE_QUOTES = "“「『", "”」』"
_QUOTED = re.compile(r"[“「『]([^“”「」『』\n]{2,12})[”」』]")
#: a whole Han run that starts with a numeral (patterns use those of 2..8 characters)
_NUMBERED_RUN = re.compile(f"(?<![{HAN_CLASS}])[{NUMERALS}][{HAN_CLASS}]*")
#: a run of numbered abbreviations joined by 、 such as 一题一写、一人一讲 (each item 2..6 chars)
_SERIES = re.compile(f"(?<![{HAN_CLASS}、])[{NUMERALS}][{HAN_CLASS}]{{1,5}}(?:、[{NUMERALS}][{HAN_CLASS}]{{1,5}})+(?![{HAN_CLASS}、])")
_ORDINAL = re.compile(f"^[{NUMERALS}](是|要|则|来|方面|层次|阶段|部分|季度|批次)")
#: numeral + unit of time / quantity: 两年, 三次, 五名, 十余, 一百, 一半
_QUANTITY = re.compile(f"^[{NUMERALS}]+(年|月|日|天|周|次|名|人|家|份|篇|届|批|位|万|亿|余|多|点|时|分|秒|岁|倍|成|半|处|所|只|轮|场|期|节|堂|门|本|页|号|楼|层|组)")
_CONGRESS = re.compile(f"^(十[{NUMERALS}]?[大届]|[十]?[一二三四五六七八九]五$|[一二三四五六七八九十]+中全会)")
#: dates written as numerals (八一 Army Day, 七一, 五四), school names (一中, 二小) and honour titles
#: (十佳, 百佳): numbered, but not abbreviations of a policy
_NAMES = re.compile(f"^(八一|七一|五一|五四|六一|十一|[{NUMERALS}]{{1,2}}[中小](?![{NUMERALS}])|十佳|百佳|百强)")
_ONLY_NUMERALS = re.compile(f"^[{NUMERALS}〇零0-9０-９.．%]+$")
_DATE = re.compile(r"(\d|[〇零一二三四五六七八九十]{2,})(年|月|日|号)")
_REPEATED_NUMERAL = re.compile(f"^[{NUMERALS}][{HAN_CLASS}]{{1,3}}[{NUMERALS}][{HAN_CLASS}]{{1,3}}")
_HAS_HAN = re.compile("[\u3400-\u9fff\uf900-\ufaff]")
_SENTENCE_PUNCT_RE = re.compile("[。！？；：!?;:\n]")
_FUNCTION_EDGE = set("的和是了在与及或等之而也就都把被对从向为于将并且其这那个着过吗呢吧啊")
_FUNCTION_END = set("的了和与及或等之着过吗呢吧啊")
METHOD_ORDER = ("pattern", "quoted", "pmi")
CANDIDATE_COLUMNS = ["term", "method", "score", "doc_freq", "years", "example"]


@_functools.lru_cache(maxsize=1 << 16)
def _pattern_score(term: str) -> float | None:
    """Structure score of a numbered abbreviation (None when it is not one)."""
    items = term.split("、")
    if any(not it or it[0] not in NUMERALS for it in items):
        return None
    first = items[0]
    if not 2 <= len(first) <= 8 or len(term) > 20:
        return None
    if _ORDINAL.match(first) or _CONGRESS.match(first) or _ONLY_NUMERALS.match(first) or _NAMES.match(first):
        return None
    if _QUANTITY.match(first) and not _REPEATED_NUMERAL.match(first):
        return None
    if first[-1] in _FUNCTION_END or "的" in term:
        return None
    score = 1.0
    if len(items) > 1:
        score = 3.0  # 一题一写、一人一讲
    elif _REPEATED_NUMERAL.match(first):
        score = 2.5  # 两服务一改进, 一支部一清单
    elif len(first) >= 3 and first[1] in "个项条种大类型级":
        score = 2.0  # 三个更加突出, 五大质量提升, 三级联述联评联考
    elif len(first) == 2:
        score = 1.5  # 五感, 三严
    return score


def _is_junk(term: str, stopwords: frozenset[str]) -> bool:
    if len(term) < 2 or term in stopwords:
        return True
    if _ONLY_NUMERALS.match(term) or _DATE.search(term):
        return True
    if _SENTENCE_PUNCT_RE.search(term):
        return True
    return not _HAS_HAN.search(term)


def _swallows(candidate: str, form: str) -> bool:
    """True when ``candidate`` contains lexicon ``form`` and is not a numbered coinage built on
    it (五型党课 is new although 党课 is known; 四强党支部创建 is just 四强 in context)."""
    for cand in dict.fromkeys((candidate, candidate.replace("、", ""))):
        if form in cand:
            rest = cand.replace(form, "", 1)
            if not (rest and rest[0] in NUMERALS and cand.startswith(rest)):
                return True
    return False


def _example(text: str, start: int, end: int, width: int = 40) -> str:
    side = max(4, (width - (end - start)) // 2)
    left, right = text[max(0, start - side): start], text[end: end + side]
    return " ".join(f"{left}{text[start:end]}{right}".split())


def _codepoints(text: str):
    """``text`` as a numpy array of code points (index i is ``text[i]``): uint16 when every
    character is in the BMP (the usual case, half the memory traffic), else uint32."""
    import numpy as np

    raw = text.encode("utf-16-le", "surrogatepass")
    if len(raw) == 2 * len(text):
        return np.frombuffer(raw, dtype="<u2")
    return np.frombuffer(text.encode("utf-32-le", "surrogatepass"), dtype="<u4")


def _han_mask(cp):
    """Boolean array: which code points are in HAN_CLASS (unsigned wrap-around range tests)."""
    return ((cp - 0x3400) < 0x19C0) | ((cp - 0x4E00) < 0x5200) | ((cp - 0xF900) < 0x200)


class _Trie:
    """Exact search of many strings at once in a code-point array: a trie walked one character
    per step for all text positions together (a position drops out as soon as its prefix leaves
    the trie). The root and the nodes at depth 1 and 2 have dense transition rows (index
    ``row << shift | char``), so the first steps are a few gathers over the text; deeper nodes use
    a binary search among sorted edge keys ``node * alphabet + char``. Same results as an
    Aho-Corasick scan, without per-character Python work."""

    DENSE_LIMIT = 4_000_000  # entries (int32) of the dense transition rows
    BLOCK = 1 << 16  # text positions per block of the first step
    DENSE_DEPTH = 2  # nodes this deep or shallower get a dense row (while they fit)

    def __init__(self, patterns: Sequence[str]):
        import numpy as np

        self.n_patterns = len(patterns)
        chars = sorted(set("".join(patterns)))
        code = {ch: i for i, ch in enumerate(chars, 1)}
        self.alphabet = alphabet = len(chars) + 1
        self.shift = shift = alphabet.bit_length()
        edges: dict[int, int] = {}
        terminal = [-1]
        depth = [0]
        for k, pattern in enumerate(patterns):
            node = 0
            for ch in pattern:
                key = node * alphabet + code[ch]
                child = edges.get(key)
                if child is None:
                    child = edges[key] = len(terminal)
                    terminal.append(-1)
                    depth.append(depth[node] + 1)
                node = child
            if node:
                terminal[node] = k
        keys = np.fromiter(edges.keys(), dtype=np.int64, count=len(edges))
        nexts = np.fromiter(edges.values(), dtype=np.int64, count=len(edges))
        order = np.argsort(keys)
        self.keys, self.nexts = keys[order], nexts[order]
        self.terminal = np.array(terminal, dtype=np.int64)
        self.maxlen = max(map(len, patterns), default=0)
        self.lengths = {len(p) for p in patterns}
        # dense rows: the root (row 0), then internal nodes by depth, as many as fit
        depth_a = np.array(depth, dtype=np.int64)
        parents = np.unique(self.keys // alphabet)
        parents = parents[np.argsort(depth_a[parents], kind="stable")]
        parents = parents[depth_a[parents] <= self.DENSE_DEPTH][:max(1, (self.DENSE_LIMIT >> shift) - 1)]
        n_rows = len(parents)
        self.row = np.full(len(terminal), -1, dtype=np.int32)
        self.row[parents] = np.arange(n_rows)
        none_row = n_rows  # all -1
        leaves = np.ones(len(terminal), dtype=bool)
        leaves[np.unique(self.keys // alphabet)] = False
        self.row[leaves] = none_row  # no children: the dense path finds none
        self.dense = np.full((n_rows + 1) << shift, -1, dtype=np.int32)
        r = self.row[self.keys // alphabet]
        at = r >= 0
        self.dense[(r[at] << shift) | (self.keys[at] % alphabet)] = self.nexts[at]
        self.has_edge = self.dense >= 0
        # code point -> (row of its depth-1 node << shift) | char id, for the two-character step
        depth1 = self.dense[:alphabet]  # row 0 is the root's: char id -> depth-1 node
        row1 = np.where(depth1 >= 0, self.row[np.maximum(depth1, 0)], -1)
        has1 = depth1 >= 0
        self.two_step = bool(has1.any()) and bool((row1[has1] >= 0).all()) and not (self.terminal[depth1[has1]] >= 0).any()
        per_char = (np.where(row1 >= 0, row1, none_row) << shift) | np.arange(alphabet)
        self.size = max(0x10000, max((ord(ch) for ch in chars), default=0) + 1)
        self.packed = np.full(self.size + 1, none_row << shift, dtype=np.int32)  # char id 0: in no pattern
        if chars:
            self.packed[[ord(ch) for ch in chars]] = per_char[1:]

    def find(self, cp):
        """All occurrences, overlapping: arrays ``(start, length, pattern index)``."""
        import numpy as np

        empty = np.zeros(0, dtype=np.int64)
        n = len(cp)
        if not self.n_patterns or not n:
            return empty, empty, empty
        shift, low = self.shift, (1 << self.shift) - 1
        alphabet, dense, row, terminal = self.alphabet, self.dense, self.row, self.terminal
        two = self.two_step and n >= 2  # no one-character pattern: start at depth 2
        # the first step looks at every position: in blocks, so that temporaries stay in cache;
        # np.take(mode="clip") is the fast gather (code points past the table read its last entry)
        starts, nodes = [], []
        for a in range(0, n - two, self.BLOCK):
            b = min(a + self.BLOCK, n - two)
            packed = np.take(self.packed, cp[a:b + two], mode="clip")
            if two:
                key = packed[:-1] & ~low
                key |= packed[1:] & low
            else:
                key = packed & low  # the root's row
            p = np.flatnonzero(np.take(self.has_edge, key, mode="clip"))
            starts.append(p + a)
            nodes.append(dense[key[p]])
        pos, node = np.concatenate(starts), np.concatenate(nodes)
        depth = 2 if two else 1
        found: list[tuple] = []
        keys, nexts = self.keys, self.nexts
        while pos.size:
            if depth in self.lengths:
                hit = terminal[node]
                at = np.flatnonzero(hit >= 0)
                if at.size:
                    found.append((pos[at], depth, hit[at]))
            if depth >= self.maxlen:
                break
            if pos[-1] + depth >= n:  # (positions stay sorted)
                inside = pos + depth < n
                pos, node = pos[inside], node[inside]
            c = np.take(self.packed, cp[pos + depth], mode="clip") & low
            r = row[node]
            d = r >= 0
            if d.all():
                child = dense[(r << shift) | c]
            else:
                child = np.full(len(node), -1, dtype=np.int32)
                child[d] = dense[(r[d] << shift) | c[d]]
                s = np.flatnonzero(~d)
                key = node[s].astype(np.int64) * alphabet + c[s]
                slot = np.searchsorted(keys, key)
                slot[slot == len(keys)] = 0
                ok = keys[slot] == key
                child[s[ok]] = nexts[slot[ok]]
            ok = child >= 0
            pos, node = pos[ok], child[ok]
            depth += 1
        if not found:
            return empty, empty, empty
        return (np.concatenate([f[0] for f in found]),
                np.concatenate([np.full(len(f[0]), f[1], dtype=np.int64) for f in found]),
                np.concatenate([f[2] for f in found]))


def _leftmost_longest_hits(starts, lengths, which):
    """Non-overlapping subset of trie hits: the leftmost match wins, the longest at that start
    (as :func:`leftmost_longest`). Returns indices into the hits, in text order."""
    import numpy as np

    if not len(starts):
        return np.zeros(0, dtype=np.int64)
    order = np.lexsort((-lengths, starts))
    s = starts[order]
    order = order[np.r_[True, s[1:] != s[:-1]]]  # the longest hit at each start
    s = starts[order]
    e = s + lengths[order]
    # clusters of overlapping hits: a lone hit is kept, a cluster is resolved left to right
    reach = np.maximum.accumulate(e)
    new = np.r_[True, s[1:] >= reach[:-1]]
    keep = new & np.r_[new[1:], True]
    heads = np.flatnonzero(new & ~keep).tolist()
    if heads:
        s_l, e_l, new_l = s.tolist(), e.tolist(), new.tolist()
        for i in heads:
            pos, j = -1, i
            while j < len(s_l) and (j == i or not new_l[j]):
                if s_l[j] >= pos:
                    keep[j] = True
                    pos = e_l[j]
                j += 1
    return order[keep]


def _sorted_groups(key, pos, n_text: int):
    """Sort the pairs (key, position) by key, then position: sorted keys and positions. Packs
    both into one int64 and uses a plain sort when they fit (much faster than a stable argsort)."""
    import numpy as np

    shift = int(n_text).bit_length()
    if not len(key) or (int(key.max()) + 1) << shift < 1 << 62:
        packed = np.sort((key << shift) | pos)
        return packed >> shift, packed & ((1 << shift) - 1)
    order = np.argsort(key, kind="stable")  # pragma: no cover - astronomically large inputs
    return key[order], pos[order]


def _pmi_candidates(text: str, *, max_n: int, min_count: int | None, min_pmi: float, min_entropy: float,
                    limit: int) -> dict[str, float]:
    """New-word discovery on ``text`` (Han runs; anything else is a boundary): cohesion (minimum
    PMI over the split points) plus left/right branching entropy (a word is free on both sides).
    Returns word -> score, best first (ties: shorter first, then first occurrence).

    N-grams are counted Apriori-style with integer ids: an n-gram is the pair (id of its
    (n-1)-gram prefix, last character), counted by sorting, only at positions whose prefix and
    suffix (n-1)-grams are frequent, so counts are exact for every frequent n-gram."""
    import numpy as np

    cp = _codepoints(text)
    n_text = len(cp)
    han = _han_mask(cp)
    # character ids by code point (all Han code points are below 0x10000); 0 = boundary
    per_cp = np.bincount(cp[han], minlength=0x10000)
    chars = np.flatnonzero(per_cp)
    total = int(per_cp.sum())
    if not total:
        return {}
    if min_count is None:
        min_count = max(3, min(10, total // 100_000))
    min_count = max(1, min_count)
    width = len(chars) + 1
    lut = np.zeros(0x10000, dtype=np.int32)
    lut[chars] = np.arange(1, width, dtype=np.int32)
    ids = np.take(lut, cp, mode="clip")
    ids[~han] = 0
    counts1 = np.zeros(width, dtype=np.int64)
    counts1[1:] = per_cp[chars]
    # per level n: gram id at each position (-1: not a frequent n-gram), counts, first positions
    frequent1 = counts1 >= min_count
    gid = {1: np.where(frequent1[ids], ids, -1).astype(np.int32)}
    cnt = {1: counts1}
    first: dict[int, "np.ndarray"] = {}
    for n in range(2, max_n + 1):
        prev = gid[n - 1]
        pos = np.flatnonzero((prev[:-1] >= 0) & (prev[1:] >= 0))
        if not pos.size:
            break
        key = prev[pos].astype(np.int64) * width + ids[pos + n - 1]
        keys, where = _sorted_groups(key, pos, n_text)
        head = np.empty(len(keys), dtype=bool)
        head[0] = True
        np.not_equal(keys[1:], keys[:-1], out=head[1:])
        heads = np.flatnonzero(head)
        c = np.diff(np.append(heads, len(keys)))
        keep = c >= min_count
        if not keep.any():
            break
        gram = np.full(len(heads), -1, dtype=np.int32)
        gram[keep] = np.arange(int(np.count_nonzero(keep)), dtype=np.int32)
        level = np.full(n_text - n + 1, -1, dtype=np.int32)
        level[where] = gram[np.cumsum(head) - 1]
        gid[n], cnt[n], first[n] = level, c[keep], where[heads[keep]]

    scores, sizes, firsts = [], [], []
    for n in sorted(first):
        c, p = cnt[n], first[n]
        pmi = np.full(len(c), np.inf)
        for k in range(1, n):
            a = cnt[k][gid[k][p]]
            b = cnt[n - k][gid[n - k][p + k]]
            pmi = np.minimum(pmi, np.log(c * total / (a * b)))
        scored = pmi >= min_pmi
        if not scored.any():
            continue
        # branching entropy over all occurrences of the scored n-grams: H = log T - sum(m log m) / T
        # over neighbour characters (a boundary is a distinct neighbour each time: m = 1)
        level = gid[n]
        occ = np.flatnonzero(level >= 0)
        g = level[occ]
        sel = scored[g]
        occ, g = occ[sel], g[sel].astype(np.int64)
        h = np.full(len(c), np.inf)
        left = np.zeros(len(occ), dtype=np.int32)
        inner = occ > 0
        left[inner] = ids[occ[inner] - 1]
        right = np.zeros(len(occ), dtype=np.int32)
        inner = occ + n < n_text
        right[inner] = ids[occ[inner] + n]
        for nb in (left, right):
            real = nb > 0
            pair = np.sort(g[real] * width + nb[real])
            if not len(pair):
                h = np.minimum(h, np.log(c))
                continue
            heads = np.flatnonzero(np.r_[True, pair[1:] != pair[:-1]])
            m = np.diff(np.append(heads, len(pair)))
            mlogm = np.bincount(pair[heads] // width, weights=m * np.log(m), minlength=len(c))
            h = np.minimum(h, np.maximum(np.log(c) - mlogm / c, 0.0))  # 0, not -1e-16, for one neighbour
        good = np.flatnonzero(scored & (h >= min_entropy))
        scores.append(pmi[good] * h[good] * np.log1p(c[good]) / 10)
        sizes.append(np.full(len(good), n))
        firsts.append(p[good])
    if not scores:
        return {}
    score = np.array([round(s, 4) for s in np.concatenate(scores).tolist()])
    size, where = np.concatenate(sizes), np.concatenate(firsts)
    best = np.lexsort((where, size, -score))[:limit]
    return {text[q:q + n]: s for s, n, q in zip(score[best].tolist(), size[best].tolist(), where[best].tolist())}


_WORD_FREQ_CACHE: dict[tuple, dict[str, int]] = {}


def _default_word_freq(min_freq: int = 1) -> "dict[str, int]":
    """jieba's dictionary frequencies (to drop ordinary words such as 一线, 一起), only for words
    with frequency >= ``min_freq``: read straight from jieba's ``dict.txt`` (``word freq [tag]``
    lines) with array operations -- without importing jieba or building its prefix dictionary
    (about 1 s) -- and kept for the process. Empty when jieba is not installed."""
    import importlib.util
    import os

    import numpy as np

    try:
        spec = importlib.util.find_spec("jieba")
    except (ImportError, ValueError):  # pragma: no cover
        spec = None
    if spec is None or not spec.origin:  # pragma: no cover
        return {}
    path = os.path.join(os.path.dirname(spec.origin), "dict.txt")
    try:
        stat = os.stat(path)
    except OSError:  # pragma: no cover
        return {}
    cache_key = (path, stat.st_size, stat.st_mtime_ns, min_freq)
    cached = _WORD_FREQ_CACHE.get(cache_key)
    if cached is not None:
        return cached
    raw = bytearray(stat.st_size + 2)  # the file between two newlines
    raw[0] = raw[-1] = 0x0A
    with open(path, "rb") as fh:
        got = fh.readinto(memoryview(raw)[1:-1])
    del raw[got + 1:-1]
    b = np.frombuffer(raw, dtype=np.uint8)
    # a space and then at least as many digits as min_freq has starts a frequency field (words
    # hold no spaces, tags no digits): byte-wise tests over the whole file, then only those
    digits = len(str(max(1, min_freq)))
    n = len(b) - digits
    at = b[:n] == 0x20
    for j in range(1, digits + 1):
        at &= (b[j:n + j] - 0x30) < 10
    sep = np.flatnonzero(at)
    value = np.zeros(len(sep), dtype=np.int64)
    active = np.arange(len(sep))
    j = 1
    while active.size:
        d = b[sep[active] + j].astype(np.int64) - 0x30
        ok = (d >= 0) & (d < 10)
        active, d = active[ok], d[ok]
        value[active] = value[active] * 10 + d
        j += 1
    keep = value >= min_freq
    sep, value = sep[keep], value[keep]
    # the word runs back to the previous newline
    start = sep.copy()
    active = np.arange(len(sep))
    while active.size:
        active = active[b[start[active] - 1] != 0x0A]
        start[active] -= 1
    first = np.ones(len(sep), dtype=bool)  # only the first space of a line separates the word
    first[1:] = start[1:] != start[:-1]
    sep, start, value = sep[first], start[first], value[first]
    if not len(sep):
        return {}
    # gather the words' bytes, newline-separated, and decode them at once
    size = sep - start + 1
    offsets = np.cumsum(size) - size
    index = np.arange(int(size.sum())) - np.repeat(offsets - start, size)
    gathered = b[index].copy()
    gathered[offsets + size - 1] = 0x0A
    words = gathered.tobytes().decode("utf-8", "replace").split("\n")[:-1]
    freq = dict(zip(words, value.tolist()))
    _WORD_FREQ_CACHE[cache_key] = freq
    return freq


def discover_candidates(
    docs: Iterable[tuple[str, "int | None", Sequence[str]]],
    lexicon: "Lexicon",
    *,
    top: int = 300,
    stopwords: Iterable[str] = (),
    max_chars: int = 5_000_000,
    max_n: int = 6,
    min_count: int | None = None,
    word_freq: "dict[str, int] | None" = None,
    ordinary_freq: int = 100,
    methods: Sequence[str] = METHOD_ORDER,
) -> "pd.DataFrame":
    """Candidate new formulations, best first: columns ``term, method, score, doc_freq, years,
    example``.

    ``docs`` yields ``(doc_id, year, paragraph_texts)``. Methods:

    * ``pattern`` -- numbered abbreviations written as a unit between punctuation/quotes:
      数词+语素 (五感), 数词+量词+语素 (三个更加突出, 五大质量提升), 数词+语素+数词+语素
      (两服务一改进, 三级联述联评联考) and 、-series of them (一题一写、一人一讲). Ordinals (一是),
      quantities (两年, 三次), congress/plan names (十九大, 十三五) and ordinary dictionary words
      (jieba frequency >= ``ordinary_freq``: 一线, 一起) are dropped.
    * ``quoted`` -- spans of 2..12 characters in “…” 「…」 『…』 that recur (>= 2 occurrences or
      >= 2 documents).
    * ``pmi`` -- statistical new words of 2..``max_n`` Han characters (never across punctuation):
      minimum PMI over split points >= 3 and left/right branching entropy >= 1.2, counted on at
      most ``max_chars`` characters (every k-th paragraph when the corpus is larger).

    Anything in the lexicon, containing a lexicon form or contained in one (compared after
    folding and quote removal) is excluded, as are dates, numbers, stopwords and fragments
    that begin or end with a function character (的/和/是/了/在...).

    Ranking: tier (pattern+quoted, then quoted, then pattern, then pmi), then ``doc_freq``,
    then ``score``, then the term. ``doc_freq``/``years``/``example`` come from all occurrences of
    the candidates in all paragraphs, counted leftmost-longest among the candidates (``years`` =
    sorted distinct years joined by ``|``; ``example`` = the first occurrence in input order).
    """
    import pandas as pd

    stop = frozenset(stopwords)
    corpus = _Corpus(docs)
    if not corpus.paras:
        return pd.DataFrame(columns=CANDIDATE_COLUMNS)
    found, quoted_count = _scan(corpus, methods)
    pmi_scores: dict[str, float] = {}
    if "pmi" in methods:  # on a sample: every k-th paragraph
        step = max(1, math.ceil(corpus.n_chars / max_chars))
        pmi_scores = _pmi_candidates("\n".join(corpus.paras[::step]), max_n=max_n, min_count=min_count, min_pmi=3.0,
                                     min_entropy=1.2, limit=max(top * 4, 500))
        for gram in pmi_scores:
            if gram[0] in _FUNCTION_EDGE or gram[-1] in _FUNCTION_EDGE:
                continue
            found.setdefault(gram, set()).add("pmi")
    if word_freq is None:
        word_freq = _default_word_freq(ordinary_freq)
    kept = _exclude(found, quoted_count, lexicon, stop, word_freq, ordinary_freq)
    if not kept:
        return pd.DataFrame(columns=CANDIDATE_COLUMNS)
    return _rank(corpus, kept, quoted_count, pmi_scores, top)


class _Corpus:
    """All paragraphs joined by "\n" (no candidate contains one), with the map from a text
    position to its paragraph, entry of ``docs``, document and year."""

    def __init__(self, docs: Iterable[tuple[str, "int | None", Sequence[str]]]):
        import numpy as np

        paras: list[str] = []
        para_entry: list[int] = []
        entry_doc: list[int] = []
        entry_year: list[int] = []
        doc_index: dict[str, int] = {}
        for e, (doc_id, year, texts) in enumerate(docs):
            entry_doc.append(doc_index.setdefault(str(doc_id), len(doc_index)))
            entry_year.append(_year(year))
            good = [p for p in texts if isinstance(p, str) and p]
            paras += good
            para_entry += [e] * len(good)
        self.paras = paras
        self.text = "\n".join(paras)
        lengths = np.fromiter(map(len, paras), dtype=np.int64, count=len(paras))
        self.n_chars = int(lengths.sum())
        self.para_start = np.zeros(len(paras), dtype=np.int64)
        if len(paras) > 1:
            np.cumsum(lengths[:-1] + 1, out=self.para_start[1:])
        self.para_entry = np.array(para_entry, dtype=np.int64)
        self.entry_doc = np.array(entry_doc, dtype=np.int64)
        self.entry_year = np.array(entry_year, dtype=np.int64)
        self.n_docs = max(1, len(doc_index))
        self.cp = _codepoints(self.text)

    def entries(self, positions):
        """The ``docs`` entry of each text position."""
        import numpy as np

        return self.para_entry[np.searchsorted(self.para_start, positions, side="right") - 1]

    def paragraph(self, position: int) -> tuple[str, int]:
        """The paragraph holding a text position and the position's offset in it."""
        import numpy as np

        p = int(np.searchsorted(self.para_start, position, side="right") - 1)
        return self.paras[p], position - int(self.para_start[p])


_OTHER, _HAN, _NUMERAL, _OPEN, _CLOSE, _BREAK, _LIST_SEP = range(7)
#: match_key in one str.translate: fold, and delete quotation marks (also folded ones)
_KEY_TABLE: dict[int, "int | None"] = {cp: (None if chr(to) in QUOTES else to) for cp, to in _FOLD_TABLE.items()}
_KEY_TABLE.update(_QUOTE_DEL)
_CLASS_LUT: dict = {}


def _char_classes(cp):
    """Class of each code point: _HAN (HAN_CLASS), _NUMERAL (a Han numeral of NUMERALS), _OPEN /
    _CLOSE (the quotation marks of _QUOTED), _BREAK (newline), _LIST_SEP (、) or _OTHER."""
    import numpy as np

    lut = _CLASS_LUT.get("lut")
    if lut is None:
        lut = np.zeros(0x10001, dtype=np.uint8)
        for lo, hi in ((0x3400, 0x4DBF), (0x4E00, 0x9FFF), (0xF900, 0xFAFF)):
            lut[lo:hi + 1] = _HAN
        for chars, cls in ((NUMERALS, _NUMERAL), (_OPEN_QUOTES, _OPEN), (_CLOSE_QUOTES, _CLOSE), ("\n", _BREAK),
                           ("、", _LIST_SEP)):
            lut[[ord(ch) for ch in chars]] = cls
        _CLASS_LUT["lut"] = lut
    return np.take(lut, cp, mode="clip")  # the last entry (0x10000 and beyond): _OTHER


def _numbered_runs(text: str, cls) -> tuple[list[str], list[str]]:
    """Whole Han runs of 2..8 characters that start with a numeral, and 、-series of such runs of
    2..6 characters each (一题一写、一人一讲) -- what the regexes ``[numeral][Han]*`` between
    non-Han characters and _SERIES find, from the character classes."""
    import numpy as np

    n = len(cls)
    han = (cls == _HAN) | (cls == _NUMERAL)
    head = cls == _NUMERAL
    head[1:] &= ~han[:-1]
    starts = np.flatnonzero(head)
    length = np.ones(len(starts), dtype=np.int64)
    alive = np.ones(len(starts), dtype=bool)
    for j in range(1, 9):  # lengths up to 8; still alive after 8 steps: longer
        at = starts + j
        alive &= (at < n) & han[np.minimum(at, n - 1)]
        length += alive
    length[alive] = 99
    s_l, len_l = starts.tolist(), length.tolist()
    runs = [text[s:s + k] for s, k in zip(s_l, len_l) if 2 <= k <= 8]
    # series: chains run、run、run of item runs (2..6 characters); a chain counts only when all of
    # its runs are items, it has two or more, and no 、 touches it from outside
    ends = starts + length
    after_sep = (ends < n) & (cls[np.minimum(ends, n - 1)] == _LIST_SEP)
    series = []
    if after_sep.any():
        # the run after each 、 (-1: none starts right there)
        follow = np.searchsorted(starts, ends + 1)
        linked = after_sep & (follow < len(starts))
        linked[linked] = starts[follow[linked]] == ends[linked] + 1
        follow = np.where(linked, follow, -1)
        before_sep = (starts > 0) & (cls[np.maximum(starts - 1, 0)] == _LIST_SEP)
        after_l, follow_l = after_sep.tolist(), follow.tolist()
        for i in np.flatnonzero(after_sep & ~before_sep).tolist():
            j, ok = i, 2 <= len_l[i] <= 6
            while ok and after_l[j]:
                j = follow_l[j]
                ok = j >= 0 and 2 <= len_l[j] <= 6
            if ok and j != i:
                series.append(text[s_l[i]:s_l[j] + len_l[j]])
    return runs, series


def _quoted_spans(cls) -> tuple:
    """(start, end) of the text inside the quotations _QUOTED finds: an opening mark, 2..12
    characters without quotation marks or newlines, a closing mark."""
    import numpy as np

    special = np.flatnonzero((cls >= _OPEN) & (cls <= _BREAK))
    kind = cls[special]
    opening = np.flatnonzero(kind[:-1] == _OPEN)
    o, q = special[opening], special[opening + 1]
    ok = (kind[opening + 1] == _CLOSE) & (q - o >= 3) & (q - o <= 13)
    return o[ok] + 1, q[ok]


def _scan(corpus: _Corpus, methods: Sequence[str]) -> tuple[dict[str, set[str]], Counter]:
    """Numbered patterns and recurring quotations over all paragraphs: candidate -> methods,
    and the number of times each quoted span was quoted."""
    text = corpus.text
    cls = _char_classes(corpus.cp)
    found: dict[str, set[str]] = {}
    if "pattern" in methods:
        runs, series = _numbered_runs(text, cls)
        for run in dict.fromkeys(runs + series):
            if _pattern_score(run) is not None:
                found[run] = {"pattern"}  # a whole Han run between punctuation or quotes, or a series
    starts, ends = _quoted_spans(cls)
    spans = [text[a:b].strip() for a, b in zip(starts.tolist(), ends.tolist())]
    quoted_count: Counter = Counter(spans)
    n_docs = Counter(span for span, _ in set(zip(spans, corpus.entry_doc[corpus.entries(starts)].tolist())))
    for span, c in quoted_count.items():
        if "quoted" in methods and (c >= 2 or n_docs[span] >= 2):
            found.setdefault(span, set()).add("quoted")
        elif span in found:
            found[span].add("quoted")  # a pattern corroborated by quotation marks once
    return found, quoted_count


def _exclude(found: dict[str, set[str]], quoted_count: Counter, lexicon: "Lexicon", stop: frozenset[str],
             word_freq: "dict[str, int]", ordinary_freq: int) -> dict[str, set[str]]:
    """The candidates that survive the exclusions of :func:`discover_candidates`."""
    forms = [match_key(f) for f in lexicon.surface_forms()]
    forms = list(dict.fromkeys(f for f in forms if f))
    keys: dict[str, str] = {}
    for cand, how in found.items():
        key = cand.translate(_KEY_TABLE)  # match_key(cand)
        if _is_junk(key, stop) or key in stop:
            continue
        if how == {"pmi"} and (key[-1] in _FUNCTION_END or key[0] in _FUNCTION_EDGE):
            continue
        if quoted_count[cand] < 2:  # ordinary words: 一线, 三级; 一起部署, 五一劳动奖
            if word_freq.get(cand, 0) >= ordinary_freq:
                continue
            if "pattern" in how and not _REPEATED_NUMERAL.match(cand) and len(cand) > 2 \
                    and cand[1] not in "个项条种大类型级" and word_freq.get(cand[:2], 0) >= 10 * ordinary_freq:
                continue
        keys[cand] = key
    lexical = _lexicon_overlaps(list(keys.values()), forms) if keys and forms else set()
    return {cand: found[cand] for cand, key in keys.items() if key not in lexical}


def _rank(corpus: _Corpus, kept: dict[str, set[str]], quoted_count: Counter, pmi_scores: dict[str, float],
          top: int) -> "pd.DataFrame":
    """Occurrences of the kept candidates (leftmost-longest among them over all text), scores,
    ranking; years and example for the ``top`` rows."""
    import numpy as np
    import pandas as pd

    names = list(kept)
    starts, lens, which = _Trie(names).find(corpus.cp)
    sel = _leftmost_longest_hits(starts, lens, which)
    starts, which = starts[sel], which[sel]
    entry = corpus.entries(starts)
    k = len(names)
    count = np.bincount(which, minlength=k).tolist()
    n_docs = corpus.n_docs
    doc_freq = np.bincount(np.unique(which * n_docs + corpus.entry_doc[entry]) // n_docs, minlength=k).tolist()
    first_hit = np.full(k, -1, dtype=np.int64)
    seen, at = np.unique(which, return_index=True)  # hits are in text order: the first is the leftmost
    first_hit[seen] = at

    rows = []
    for i, (cand, how) in enumerate(kept.items()):
        c = count[i]
        if not c or (how == {"pmi"} and c < 2):
            continue
        score = 0.0
        if "pattern" in how:
            score += _pattern_score(cand) or 0.0
        if "quoted" in how:
            score += 1.0 + math.log1p(quoted_count[cand])
        if "pmi" in how:
            score += pmi_scores.get(cand, 0.0)
        score += math.log1p(c)
        tier = 0 if {"pattern", "quoted"} <= how else 1 if "quoted" in how else 2 if "pattern" in how else 3
        rows.append((tier, -doc_freq[i], -score, cand, i))
    rows.sort()
    rows = rows[:top]
    if not rows:
        return pd.DataFrame(columns=CANDIDATE_COLUMNS)

    # years and example only for the rows kept
    wanted = np.zeros(k, dtype=bool)
    wanted[[r[4] for r in rows]] = True
    mask = wanted[which]
    hit_year = corpus.entry_year[entry[mask]]
    dated = hit_year >= 0
    years_of: dict[int, list[int]] = defaultdict(list)
    if dated.any():
        base = int(hit_year.max()) + 1
        for code in np.unique(which[mask][dated] * base + hit_year[dated]).tolist():
            years_of[code // base].append(code % base)
    out = []
    for _, neg_df, neg_score, cand, i in rows:
        text, local = corpus.paragraph(int(starts[first_hit[i]]))
        method = "+".join(m for m in METHOD_ORDER if m in kept[cand])
        out.append((cand, method, round(-neg_score, 3), -neg_df, "|".join(map(str, years_of.get(i, []))),
                    _example(text, local, local + len(cand))))
    return pd.DataFrame(out, columns=CANDIDATE_COLUMNS)


def _year(year) -> int:
    """A document's year as an int, -1 when missing (None, "", NaN, NA)."""
    if year is None or (isinstance(year, str) and not year.strip()):
        return -1
    try:
        return -1 if math.isnan(float(year)) else int(year)
    except (TypeError, ValueError):  # pd.NA, unparsable
        return -1


def _lexicon_overlaps(keys: list[str], forms: list[str]) -> set[str]:
    """The keys that are a lexicon form, lie inside one, or contain one (also with their 、 left
    out) other than as the base of a numbered coinage (:func:`_swallows`)."""
    import bisect

    out: set[str] = set()
    # inside a form (or equal): binary search among the forms' suffixes
    bare_forms = [f.replace("、", "") for f in forms]
    longest = max(map(len, keys))
    suffixes = sorted({f[i:i + longest] for f in forms + bare_forms for i in range(len(f))})
    for key in keys:
        j = bisect.bisect_left(suffixes, key)
        if j < len(suffixes) and suffixes[j].startswith(key):
            out.add(key)
    # containing a form: one Aho-Corasick pass of the forms over all keys (and their bare variants)
    texts = list(dict.fromkeys(keys + [key.replace("、", "") for key in keys]))
    owners: dict[str, list[str]] = defaultdict(list)
    for key in keys:
        owners[key].append(key)
        bare = key.replace("、", "")
        if bare != key:
            owners[bare].append(key)
    starts, at = [], 0
    for text in texts:
        starts.append(at)
        at += len(text) + 1
    automaton = make_automaton({form: i for i, form in enumerate(forms)})
    pairs = set()
    for end, (length, i) in automaton.iter("\n".join(texts)):
        text = texts[bisect.bisect_right(starts, end) - 1]
        for key in owners[text]:
            pairs.add((key, i))
    for key, i in sorted(pairs):
        if key not in out and _swallows(key, forms[i]):
            out.add(key)
    return out
