"""Numbered patterns and quotations found by array scans over the corpus's character classes.

_QUOTED, _NUMBERED_RUN and _SERIES define what the array scans find (tests compare the two).
"""

from __future__ import annotations

import re
from collections import Counter
from typing import Sequence

from pipeline.terms.discover_corpus import DiscoveryCorpus
from pipeline.terms.discover_rules import HAN_CLASS, NUMERALS, pattern_score

_OPEN_QUOTES, _CLOSE_QUOTES = "“「『", "”」』"
_QUOTED = re.compile(r"[“「『]([^“”「」『』\n]{2,12})[”」』]")
#: a whole Han run that starts with a numeral (patterns use those of 2..8 characters)
_NUMBERED_RUN = re.compile(f"(?<![{HAN_CLASS}])[{NUMERALS}][{HAN_CLASS}]*")
#: a run of numbered abbreviations joined by 、 such as 一题一写、一人一讲 (each item 2..6 chars)
_SERIES = re.compile(f"(?<![{HAN_CLASS}、])[{NUMERALS}][{HAN_CLASS}]{{1,5}}(?:、[{NUMERALS}][{HAN_CLASS}]{{1,5}})+(?![{HAN_CLASS}、])")

_OTHER, _HAN, _NUMERAL, _OPEN, _CLOSE, _BREAK, _LIST_SEP = range(7)
_CLASS_LUT: dict = {}


def _char_classes(cp):
    """Class of each code point: _HAN (HAN_CLASS), _NUMERAL (a Han numeral of NUMERALS), _OPEN /
    _CLOSE (the quotation marks of _QUOTED), _BREAK (newline), _LIST_SEP (、) or _OTHER."""
    import numpy as np

    lut = _CLASS_LUT.get("lut")
    if lut is None:
        lut = np.zeros(0x10001, dtype=np.uint8)
        for lo, hi in ((0x3400, 0x4DBF), (0x4E00, 0x9FFF), (0xF900, 0xFAFF)):
            lut[lo : hi + 1] = _HAN
        for chars, cls in ((NUMERALS, _NUMERAL), (_OPEN_QUOTES, _OPEN), (_CLOSE_QUOTES, _CLOSE), ("\n", _BREAK), ("、", _LIST_SEP)):
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
    runs = [text[s : s + k] for s, k in zip(s_l, len_l) if 2 <= k <= 8]
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
                series.append(text[s_l[i] : s_l[j] + len_l[j]])
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


def scan(corpus: DiscoveryCorpus, methods: Sequence[str]) -> tuple[dict[str, set[str]], Counter]:
    """Numbered patterns and recurring quotations over all paragraphs: candidate -> methods,
    and the number of times each quoted span was quoted."""
    text = corpus.text
    cls = _char_classes(corpus.cp)
    found: dict[str, set[str]] = {}
    if "pattern" in methods:
        runs, series = _numbered_runs(text, cls)
        for run in dict.fromkeys(runs + series):
            if pattern_score(run) is not None:
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
