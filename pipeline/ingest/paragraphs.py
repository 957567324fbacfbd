"""Lines -> paragraphs with heading paths: numbered markers and heading levels, self-titled
items, flattened tables, long paragraphs split at sentence ends. Heading markers are read on the
simplified view of a line (:mod:`pipeline.simplify`: ``第兩部分``, ``最後，``); the text is kept as written."""

from __future__ import annotations

import functools
import re
from collections import deque
from collections.abc import Iterable

from pipeline.ingest.model import Paragraph
from pipeline.simplify import simplified, traditional_chars

# --------------------------------------------------------------------------- headings
_CN_NUM = "一二三四五六七八九十百零〇两"
_HEADING_RX: list[tuple[int, re.Pattern]] = [
    (1, re.compile(rf"^第[{_CN_NUM}\d]+(部分|章|篇)")),
    (2, re.compile(rf"^[{_CN_NUM}]+\s*[、．.]")),
    (3, re.compile(rf"^[(（]\s*[{_CN_NUM}]+\s*[)）]")),
    (4, re.compile(r"^\d{1,2}\s*[、．.](?!\d)")),
    (5, re.compile(r"^[(（]\s*\d{1,2}\s*[)）]")),
    (6, re.compile(r"^[①②③④⑤⑥⑦⑧⑨⑩⑪⑫⑬⑭⑮⑯⑰⑱⑲⑳]")),
]
SHI_RX = re.compile(rf"^(第?[{_CN_NUM}]+是|首先|其次|再次|最后)[,，:：]?")


# all levels in one pattern: the first alternative that matches is the first level in order
_HEADING_ANY = re.compile("|".join(f"(?P<h{level}>{rx.pattern.removeprefix('^')})" for level, rx in _HEADING_RX))


#: the characters a heading or an enumerating word can start with (a digit aside)
_HEADING_STARTS = frozenset("第(（①②③④⑤⑥⑦⑧⑨⑩⑪⑫⑬⑭⑮⑯⑰⑱⑲⑳" + _CN_NUM)
_SHI_STARTS = frozenset("第首其再最" + _CN_NUM)


@functools.lru_cache(maxsize=8)
def _traditional_starts(starts: frozenset) -> frozenset:
    """The traditional characters whose simplified form is in ``starts`` (a set lookup per line
    instead of converting each line's first character)."""
    return frozenset(c for c in traditional_chars() if simplified(c) in starts)


def _match_view(rx: re.Pattern, line: str, starts: frozenset) -> re.Match | None:
    """``rx.match`` on the simplified view of ``line``. No character of the patterns is one the
    view changes, so a match on the line is the match on the view; the view is made only when
    the line does not match and its view starts with a character a match can start with."""
    m = rx.match(line)
    if m is None and line:
        first = line[0]
        if first in starts or (first >= "\u3400" and first in _traditional_starts(starts)):
            view = simplified(line)
            if view is not line:
                m = rx.match(view)
    return m


def heading_level(line: str) -> tuple[int, re.Match | None]:
    """(level, match) of a line's heading marker, read on its simplified view; (0, None) for none.
    The match may be on the view, whose offsets are the line's."""
    m = _match_view(_HEADING_ANY, line, _HEADING_STARTS)
    return (int(m.lastgroup[1:]), m) if m else (0, None)


_TERMINAL = "。！？!?；;…"


def is_shi(line: str) -> bool:
    """Does the line open with an enumerating word (第一是, 其次, 最后), read on its simplified view?"""
    return _match_view(SHI_RX, line, _SHI_STARTS) is not None


def _is_short_title(line: str, limit: int = 40) -> bool:
    return len(line) <= limit and line[-1] not in _TERMINAL + "：:，," and "。" not in line


def _lead(line: str, limit: int = 40) -> str:
    """The leading phrase of a self-titled item ('1.带头做到“两个维护”。把…' -> '1.带头做到“两个维护”')."""
    m = re.match(r"^(.{2,%d}?)[。；;：:！!？?]" % limit, line)
    return m.group(1) if m else ""


# --------------------------------------------------------------------------- paragraphs
_CELL_PUNCT = re.compile("[。，,；;：:！!？?、]")


def _split_long(text: str, limit: int) -> list[str]:
    """A paragraph longer than ``limit`` is split at sentence ends (hard cut as last resort)."""
    if len(text) <= limit:
        return [text]
    out: list[str] = []
    buf = ""
    for sent in re.findall(r"[^。！？!?]*[。！？!?]+[”’」』]?|[^。！？!?]+$", text):
        if buf and len(buf) + len(sent) > limit:
            out.append(buf)
            buf = ""
        while len(sent) > limit:
            out.append(sent[:limit])
            sent = sent[limit:]
        buf += sent
    if buf:
        out.append(buf)
    return out


class _Ahead:
    """An iterator one can peek a few items into."""

    def __init__(self, items: Iterable[tuple[str, str]]):
        self._it = iter(items)
        self._buf: deque[tuple[str, str]] = deque()

    def peek(self, k: int = 0) -> tuple[str, str] | None:
        while len(self._buf) <= k:
            item = next(self._it, None)
            if item is None:
                return None
            self._buf.append(item)
        return self._buf[k]

    def pop(self) -> tuple[str, str]:
        self.peek()
        return self._buf.popleft()


def structure(lines: Iterable[tuple[str, str]], doc_id: str, max_chars: int = 3000, *, numbered_top: bool | None = None) -> list[Paragraph]:
    """(kind hint, text) lines -> paragraphs with heading paths and kinds.

    Numbered markers (一、 (一) 1. (1) ①) set heading levels; a short line without sentence
    punctuation is a heading when a paragraph follows; a numbered item that carries its own
    text is an ``item`` whose lead phrase joins its heading path; runs of short cells
    (flattened tables) are merged into one ``table`` paragraph, cells joined by ' | '.

    The lines are read once, a few ahead (any iterable, e.g. a stream); ``numbered_top``
    (whether any line has a level-1 or level-2 marker) must then be given, else the lines are
    listed to find it.
    """
    if numbered_top is None:
        lines = list(lines)
        numbered_top = any(heading_level(t)[0] in (1, 2) for _, t in lines)
    paras: list[Paragraph] = []
    stack: list[tuple[int, str]] = []  # (level, heading text)

    def path(extra: str = "") -> str:
        items = [h for _, h in stack] + ([extra] if extra else [])
        return " > ".join(items)

    def push(level: int, text: str) -> None:
        while stack and stack[-1][0] >= level:
            stack.pop()
        stack.append((level, text))

    def emit(kind: str, text: str, heading: str) -> None:
        for piece in _split_long(text, max_chars):
            paras.append(Paragraph(doc_id, len(paras), heading, kind, piece))

    def cell(item: tuple[str, str] | None) -> bool:
        return item is not None and (item[0] == "table" or (item[0] == "" and _is_cell(item[1])))

    ahead = _Ahead(lines)
    while ahead.peek() is not None:
        hint, line = ahead.peek()
        # flattened tables: >= 4 consecutive short cells without sentence punctuation
        if hint == "table":
            while cell(ahead.peek()):
                emit("table", ahead.pop()[1], path())
            continue
        if hint == "" and _is_cell(line) and all(cell(ahead.peek(k)) for k in range(1, 4)):
            row: list[str] = []
            width = 0
            while cell(ahead.peek()):
                text = ahead.pop()[1]
                row.append(text)
                width += len(text)
                if width >= 60:
                    emit("table", " | ".join(row), path())
                    row, width = [], 0
            if row:
                emit("table", " | ".join(row), path())
            continue
        ahead.pop()
        level, m = heading_level(line)
        following = ahead.peek()
        next_line = following[1] if following is not None else ""
        if hint == "heading":
            push(level or 7, line)
            emit("heading", line, path())
        elif level:
            if _is_short_title(line, 50):
                push(level, line)
                emit("heading", line, path())
            else:
                lead = _lead(line)
                if level <= 3 and lead:
                    push(level, lead)
                    emit("item", line, path())
                else:
                    while stack and stack[-1][0] >= level:
                        stack.pop()
                    emit("item", line, path(lead))
        elif is_shi(line):
            emit("item", line, path(_lead(line)))
        elif _is_short_title(line, 30) and next_line and not _is_short_title(next_line, 30) and not heading_level(next_line)[0]:
            push(2 if not numbered_top else 8, line)
            emit("heading", line, path())
        else:
            emit("body", line, path())
    return paras


def _is_cell(line: str) -> bool:
    return len(line) <= 12 and not _CELL_PUNCT.search(line) and not heading_level(line)[0]
