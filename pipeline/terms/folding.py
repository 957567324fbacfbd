"""Folding, quote stripping and match keys: what the term matcher and discovery compare.

* Text and keys are *folded* with a 1:1 character mapping, so offsets on the folded text are
  offsets on the original: full-width ASCII (U+FF01..U+FF5E) -> ASCII, ideographic space ->
  space, and the list separators ``，`` ``,`` -> ``、``.
* Quote marks ``“”‘’"'「」『』`` are removed from text and keys before matching
  (:func:`match_key`); :data:`QUOTE_RE` finds them so that a caller can map offsets back.
* :func:`unfold` lists every spelling that folds to a key, so that folding can be compiled into
  an automaton instead of applied to every text.
"""

from __future__ import annotations

import re

QUOTES = "“”‘’\"'「」『』"
SEPARATORS_IN_TERMS = "、"  # after folding ，and , to 、

_FOLD_TABLE: dict[int, int] = {cp: cp - 0xFEE0 for cp in range(0xFF01, 0xFF5F)}
_FOLD_TABLE[0x3000] = 0x20
_FOLD_TABLE[0xFF0C] = ord("、")  # ，
_FOLD_TABLE[ord(",")] = ord("、")
QUOTE_RE = re.compile("[" + re.escape(QUOTES) + "]")
_QUOTE_DEL = dict.fromkeys(map(ord, QUOTES))


def fold(text: str) -> str:
    """The 1:1 character folding used for matching (``len(fold(t)) == len(t)``)."""
    return text.translate(_FOLD_TABLE)


_PREIMAGES: dict[str, str] = {}
for _cp, _to in _FOLD_TABLE.items():
    _PREIMAGES.setdefault(chr(_to), chr(_to))
    _PREIMAGES[chr(_to)] += chr(_cp)
MAX_SPELLINGS = 729


def unfold(key: str) -> list[str]:
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


#: match_key in one str.translate: fold, and delete quotation marks (also folded ones)
KEY_TABLE: dict[int, "int | None"] = {cp: (None if chr(to) in QUOTES else to) for cp, to in _FOLD_TABLE.items()}
KEY_TABLE.update(_QUOTE_DEL)
