"""Lines -> paragraphs with heading paths: numbered markers and heading levels, self-titled
items, flattened tables, long paragraphs split at sentence ends."""

from __future__ import annotations

import re

from pipeline.ingest.model import Paragraph

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


def heading_level(line: str) -> tuple[int, re.Match | None]:
    m = _HEADING_ANY.match(line)
    return (int(m.lastgroup[1:]), m) if m else (0, None)


_TERMINAL = "。！？!?；;…"


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


def structure(lines: list[tuple[str, str]], doc_id: str, max_chars: int = 3000) -> list[Paragraph]:
    """(kind hint, text) lines -> paragraphs with heading paths and kinds.

    Numbered markers (一、 (一) 1. (1) ①) set heading levels; a short line without sentence
    punctuation is a heading when a paragraph follows; a numbered item that carries its own
    text is an ``item`` whose lead phrase joins its heading path; runs of short cells
    (flattened tables) are merged into one ``table`` paragraph, cells joined by ' | '.
    """
    paras: list[Paragraph] = []
    stack: list[tuple[int, str]] = []  # (level, heading text)
    has_numbered_top = any(heading_level(t)[0] in (1, 2) for _, t in lines)

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

    i = 0
    n = len(lines)
    while i < n:
        hint, line = lines[i]
        # flattened tables: >= 4 consecutive short cells without sentence punctuation
        if hint == "table" or (hint == "" and _is_cell(line)):
            j = i
            cells = []
            while j < n and (lines[j][0] == "table" or (lines[j][0] == "" and _is_cell(lines[j][1]))):
                cells.append(lines[j][1])
                j += 1
            if hint == "table" or len(cells) >= 4:
                if hint == "table":
                    for cell_row in cells:
                        emit("table", cell_row, path())
                else:
                    row: list[str] = []
                    for cell in cells:
                        row.append(cell)
                        if sum(len(c) for c in row) >= 60:
                            emit("table", " | ".join(row), path())
                            row = []
                    if row:
                        emit("table", " | ".join(row), path())
                i = j
                continue
        level, m = heading_level(line)
        next_line = lines[i + 1][1] if i + 1 < n else ""
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
        elif SHI_RX.match(line):
            emit("item", line, path(_lead(line)))
        elif _is_short_title(line, 30) and next_line and not _is_short_title(next_line, 30) and not heading_level(next_line)[0]:
            push(2 if not has_numbered_top else 8, line)
            emit("heading", line, path())
        else:
            emit("body", line, path())
        i += 1
    return paras


def _is_cell(line: str) -> bool:
    return len(line) <= 12 and not _CELL_PUNCT.search(line) and not heading_level(line)[0]
