"""Pure text-to-text normalization steps that compose (no I/O, never raise on any str).

``normalize`` is what ingest applies to every document. ``fold_width`` is a 1:1 character
mapping used for matching, so offsets found on folded text are valid on the original.
``budget_runs`` cuts a stream of texts into runs of about a character budget (counting, the
readability sample and discovery's reading budget share it).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator

HAN = r"\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
# CJK and full-width punctuation, plus ASCII brackets/punctuation that sit next to Han text
CJK_PUNCT = r"\u3000-\u303f\uff00-\uffef\u2018-\u201f\u2026\u2014\u00b7()\[\]<>,.;:!?\"'"

_ZERO_WIDTH = re.compile("[\ufeff\u200b\u200c\u200d\u2060\u180e\u00ad]")
_SPACES = re.compile("[\u00a0\u1680\u2000-\u200a\u202f\u205f\u3000\t\v\f]")
# C0/C1 control characters other than \n (\r handled first)
_CONTROL = re.compile(r"[\x00-\x08\x0e-\x1f\x7f-\x9f\ufffe\uffff]")
_HAN_GAP = re.compile(rf"(?<=[{HAN}]) +(?=[{HAN}{CJK_PUNCT}0-9])|(?<=[{HAN}{CJK_PUNCT}0-9]) +(?=[{HAN}])")
_PUNCT_GAP = re.compile(rf"(?<=[{HAN}]) +(?=[{CJK_PUNCT}])|(?<=[\u3000-\u303f\uff00-\uffef]) +(?=[{HAN}{CJK_PUNCT}])")
_MULTISPACE = re.compile(r" {2,}")
_HAN_CHAR = re.compile(rf"[{HAN}]")
_HAN_RUN = re.compile(rf"[{HAN}]+")


def normalize_newlines(text: str) -> str:
    return text.replace("\r\n", "\n").replace("\r", "\n").replace("\u2028", "\n").replace("\u2029", "\n")


def strip_invisible(text: str) -> str:
    """Drop BOM, zero-width characters and control characters; NBSP and other spaces -> ' '."""
    text = _SPACES.sub(" ", _ZERO_WIDTH.sub("", text))
    return _CONTROL.sub("", text)


def remove_han_spaces(text: str) -> str:
    """'党组(党 委 )' -> '党组(党委)': spaces between Han characters, or between Han and
    punctuation or digits, carry no meaning in Chinese and break term matching."""
    if " " not in text:
        return text
    if "\n" in text:  # only lines holding a space need the (slow) look-around patterns
        return "\n".join(remove_han_spaces(line) if " " in line else line for line in text.split("\n"))
    prev = None
    while prev != text:  # overlapping gaps like '党 委 会' need a second pass
        prev = text
        text = _HAN_GAP.sub("", text)
        text = _PUNCT_GAP.sub("", text)
    return text


_PHRASE_GAP = re.compile(rf"(?<=[{HAN}]{{2}}) (?=[{HAN}]{{2}})")

#: Marks, in :func:`normalize_marked` text, a space between two phrases of Han text. NUL never
#: survives :func:`strip_invisible`, so it cannot come from the input.
PHRASE_MARK = "\x00"


def normalize_marked(text: str) -> str:
    """:func:`normalize` with each space between two phrases of Han text (two or more Han
    characters on each side, as in '弘扬建党精神 践行时代使命' or '中共中央 国务院') kept as
    :data:`PHRASE_MARK`: ``normalize_marked(t).replace(PHRASE_MARK, "") == normalize(t)``
    (a space between Han characters goes in :func:`normalize` whatever its neighbours, and
    whether any other space goes depends only on its own neighbours)."""
    text = collapse_spaces(strip_invisible(normalize_newlines(text)))
    if " " not in text:
        return text
    if "\n" in text:
        return "\n".join(_marked_line(line) if " " in line else line for line in text.split("\n"))
    return _marked_line(text)


def _marked_line(line: str) -> str:
    return collapse_spaces(remove_han_spaces(_PHRASE_GAP.sub(PHRASE_MARK, line)))


def keep_phrase_spaces(text: str) -> str:
    """:func:`normalize` for a title: a space between two phrases of Han text is kept as one
    space ('弘扬建党精神 践行时代使命', '中共中央 国务院关于…'); stray gaps of web or Word
    layout ('党 委 工作总结', '党组(党 委 )', runs of spaces) go as in :func:`normalize`."""
    return normalize_marked(text).replace(PHRASE_MARK, " ")


def collapse_spaces(text: str) -> str:
    """Runs of spaces -> one space; no space at the start or end of a line."""
    if " " not in text:
        return text
    text = _MULTISPACE.sub(" ", text)
    return "\n".join(line.strip(" ") for line in text.split("\n"))


def normalize(text: str) -> str:
    """The ingest normalization: idempotent, keeps the original punctuation style."""
    text = normalize_newlines(text)
    text = strip_invisible(text)
    text = collapse_spaces(text)
    text = remove_han_spaces(text)
    return collapse_spaces(text)


_WIDTH_TABLE = {cp: cp - 0xFEE0 for cp in range(0xFF01, 0xFF5F)}
_WIDTH_TABLE[0x3000] = 0x20


def fold_width(text: str) -> str:
    """Full-width ASCII forms -> half-width, one character for one (offsets are preserved)."""
    return text.translate(_WIDTH_TABLE)


def han_count(text: str) -> int:
    return sum(map(len, _HAN_RUN.findall(text)))


def has_han(text: str) -> bool:
    return _HAN_CHAR.search(text) is not None


def budget_runs(texts: Iterable[str], budget: int, sep: str = "\n") -> Iterator[list[str]]:
    """Consecutive runs of ``texts`` whose joined length (with ``sep`` between them) stays within
    ``budget``, cut only at text ends: a run closes before the text that would overflow it, and
    a text longer than the budget is a run of its own (never split, never dropped). Lazy: the
    first run of a huge stream reads one text past it."""
    run: list[str] = []
    size = 0
    for text in texts:
        if run and size + len(text) > budget:
            yield run
            run, size = [], 0
        run.append(text)
        size += len(text) + len(sep)
    if run:
        yield run
