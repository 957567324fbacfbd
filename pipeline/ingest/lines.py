"""A document's normalised lines, held compactly, and decoded text streamed into them.

:class:`Lines` keeps the text in chunks of about a megabyte joined by newlines and one kind
byte per line, so a file of millions of tiny lines costs its text plus a byte a line, not a
Python object per line; it can be iterated any number of times (assembly makes two passes).

:func:`text_lines` turns decoded text, piece by piece, into :class:`Lines`: the pieces are cut
at line ends into blocks of about a megabyte and each block is normalised on its own. That
equals ``T.normalize(text).split("\\n")`` on the whole text, because every normalisation step
works within a line (``tests/ingest/test_ingest_lines.py`` checks it on arbitrary text cut at
arbitrary places); a line longer than a block is kept whole.

A space between two phrases of Han text (``T.normalize_marked``) is stored as
``T.PHRASE_MARK``: iterating gives the normalised lines (marks dropped), :meth:`Lines.marked`
gives them with their marks, from which a title keeps its separator space.
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable, Iterable, Iterator

from pipeline import text as T

KINDS = ("", "heading", "table")
_KIND_CODE = {k: i for i, k in enumerate(KINDS)}
BLOCK = 1 << 20  # characters per normalised block / stored chunk
_ENTITY = re.compile(r"&(?:nbsp|ensp|emsp|thinsp|quot|amp|lt|gt|apos|middot|hellip|mdash|ndash|ldquo|rdquo|lsquo|rsquo|#\d{2,6}|#x[0-9a-fA-F]{2,6});")


def unescape_entities(text: str) -> str:
    """'&nbsp;', '&quot;', '&#8220;' left in web-scraped text -> the characters."""
    if "&" not in text or not _ENTITY.search(text):
        return text
    return _ENTITY.sub(lambda m: html.unescape(m.group(0)), text)


class Lines:
    """Normalised, stripped lines with a kind each ('', 'heading' or 'table'), in order; the
    text is stored as ``T.normalize_marked`` gives it (phrase gaps marked)."""

    def __init__(self) -> None:
        self._chunks: list[str] = []
        self._pending: list[str] = []
        self._pending_chars = 0
        self._kinds = bytearray()
        self.has_text = False  # the decoded text held something besides whitespace

    def __len__(self) -> int:
        return len(self._kinds)

    def append(self, kind: str, text: str) -> None:
        """One line (already normalised by ``T.normalize_marked``; it must not hold a newline)."""
        self._kinds.append(_KIND_CODE[kind])
        self._add(text)

    def extend(self, block: str) -> None:
        """Several lines of kind '' at once: a ``T.normalize_marked`` block, lines separated by newlines."""
        self._kinds.extend(bytes(block.count("\n") + 1))
        self._add(block)

    def _add(self, text: str) -> None:
        self._pending.append(text)
        self._pending_chars += len(text) + 1
        if self._pending_chars >= BLOCK:
            self._flush()

    def _flush(self) -> None:
        if self._pending:
            self._chunks.append("\n".join(self._pending))
            self._pending = []
            self._pending_chars = 0

    def __iter__(self) -> Iterator[tuple[str, str]]:
        """(kind, normalised line): ``T.normalize`` of the text, phrase marks dropped."""
        return self._iter(marked=False)

    def marked(self) -> Iterator[tuple[str, str]]:
        """(kind, line with its phrase gaps as ``T.PHRASE_MARK``), as stored."""
        return self._iter(marked=True)

    def _iter(self, marked: bool) -> Iterator[tuple[str, str]]:
        self._flush()
        kinds = self._kinds
        i = 0
        for chunk in self._chunks:
            if not marked and T.PHRASE_MARK in chunk:
                chunk = chunk.replace(T.PHRASE_MARK, "")
            for line in chunk.split("\n"):
                yield KINDS[kinds[i]], line
                i += 1

    def add_raw(self, kind: str, text: str) -> None:
        """One line of a structured format, not yet normalised (newlines inside become spaces)."""
        if not self.has_text and text.strip():
            self.has_text = True
        self.append(kind, T.normalize_marked(text).replace("\n", " ").strip())

    @classmethod
    def from_hints(cls, hints: Iterable[tuple[str, str]]) -> Lines:
        """(kind, raw text) pairs from a structured format -> normalised lines."""
        lines = cls()
        for kind, text in hints:
            lines.add_raw(kind, text)
        return lines

    @classmethod
    def from_text(cls, text: str) -> Lines:
        return text_lines([text])


def _blocks(pieces: Iterable[str]) -> Iterator[tuple[str, bool]]:
    """Decoded pieces -> (raw block, ends the text): every block but the last ends with a
    newline, so no '\\r\\n' pair and no line is cut; blocks are about BLOCK characters."""
    buf: list[str] = []
    size = 0
    for piece in pieces:
        buf.append(piece)
        size += len(piece)
        if size < BLOCK or "\n" not in piece:
            continue
        joined = "".join(buf)
        cut = joined.rfind("\n") + 1
        yield joined[:cut], False
        rest = joined[cut:]
        buf, size = ([rest], len(rest)) if rest else ([], 0)
    yield "".join(buf), True


def text_lines(pieces: Iterable[str], *, entities: bool = False, markdown: Callable[[str], list[tuple[str, str]]] | None = None) -> Lines:
    """Decoded text, piece by piece -> :class:`Lines` (the lines of ``T.normalize(text)``,
    stored as ``T.normalize_marked`` gives them).

    ``entities``: HTML entities left in web-scraped text are unescaped first. ``markdown``:
    a text -> (kind, text) lines function (``formats.markdown_lines``) that sets kinds and
    drops markup; its lines are normalised one by one."""
    lines = Lines()
    for block, last in _blocks(pieces):
        if entities:
            block = unescape_entities(block)
        if not lines.has_text and block.strip():
            lines.has_text = True
        block = T.normalize_newlines(block)
        if not last:
            block = block[:-1]  # the newline that ends the block starts the next line
        if markdown:
            has_text = lines.has_text
            for kind, text in markdown(block):
                lines.add_raw(kind, text)
            lines.has_text = has_text
        else:
            lines.extend(T.normalize_marked(block))
    return lines
