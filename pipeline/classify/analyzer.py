"""sklearn's char analyzer on code points, numpy only (used by the fast scorer).

``TfidfVectorizer(analyzer="char", preprocessor=char_preprocess)`` first maps digit runs to
'0' (``features.char_preprocess``: [0-9０-９]), then replaces runs of two or more whitespace
characters by one space (``\\s\\s+``; a single tab or newline stays). Here the same happens on
the concatenated code points of many texts at once.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

import numpy as np

WS_LIMIT = 0x3000  # every character Python's re counts as \s is <= U+3000 (checked in the tests)
CLASS_LIMIT = 0xFF1A  # one past '９'
_CLASSES: np.ndarray | None = None
DIGIT, SPACE = 1, 2


def char_classes() -> np.ndarray:
    """int8[cp] for cp < U+FF1A (+1 slot for everything above): 1 = a digit of
    ``features.char_preprocess`` ([0-9０-９]), 2 = whitespace as ``re``'s ``\\s``, 0 = other."""
    global _CLASSES
    if _CLASSES is None:
        table = np.zeros(CLASS_LIMIT + 1, dtype=np.int8)
        chars = "".join(map(chr, range(WS_LIMIT + 1)))
        table[[m.start() for m in re.finditer(r"\s", chars)]] = SPACE
        table[0x30:0x3A] = DIGIT
        table[0xFF10:0xFF1A] = DIGIT
        _CLASSES = table
    return _CLASSES


def code_points(texts: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
    """(uint32 code points of all texts concatenated, int64 lengths). Lone surrogates count as
    one character each, as in Python."""
    lens = np.fromiter(map(len, texts), dtype=np.int64, count=len(texts))
    cp = np.frombuffer("".join(texts).encode("utf-32-le", "surrogatepass"), dtype=np.uint32)
    return cp, lens


def normalise(cp: np.ndarray, lens: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``char_preprocess`` then sklearn's whitespace rule on concatenated code points: each run of
    [0-9０-９] -> '0', each run of >= 2 whitespace characters -> ' ' (a single whitespace
    character stays as it is; runs never cross texts). Returns the new code points (intp) and
    lengths. The reference for the tests: the scorer does the same fused with its alphabet
    lookup (``LinearScorer._char_ids``)."""
    cp = cp.astype(np.intp)
    n_chars = len(cp)
    if n_chars == 0:
        return cp, lens
    cls = char_classes()[np.minimum(cp, CLASS_LIMIT)]
    cp[cls == DIGIT] = 0x30
    return collapse_runs(cp, cls, lens, 0x20)


def collapse_runs(values: np.ndarray, cls: np.ndarray, lens: np.ndarray, space) -> tuple[np.ndarray, np.ndarray]:
    """Keep the first character of each run of digits / whitespace (classes ``cls``) within each
    text; the survivor of a whitespace run of >= 2 becomes ``space``. Returns (values, lengths)."""
    n_chars = len(values)
    ends = np.cumsum(lens)
    starts = ends - lens
    cont = (cls[1:] == cls[:-1]) & (cls[1:] != 0)  # char i+1 continues char i's digit/space run ...
    cont[starts[(starts > 0) & (starts < n_chars)] - 1] = False  # ... within one text
    values[:-1][cont & (cls[:-1] == SPACE)] = space  # a space run's first char (the survivor)
    if not cont.any():
        return values, lens
    drop = np.zeros(n_chars, dtype=bool)
    drop[1:] = cont
    before = np.concatenate(([0], np.cumsum(drop)))  # dropped characters before each position
    return values[~drop], lens - (before[ends] - before[starts])
