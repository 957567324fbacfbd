"""A PDF's text layer comes as lines, cut where the page was full, with page numbers and running
headers between pages. This rejoins them into paragraphs.

A line continues the paragraph before it unless:

* it is a heading or a numbered item (``一、`` ``（一）`` ``1.`` ``第一章`` ...,
  :func:`pipeline.ingest.paragraphs.heading_level`), or the line before was a short one (a numbered
  item that fills the line goes on in the next);
* the line before was short (under :data:`SHORT` of the document's typical line width) and does not
  end in a comma or an opening bracket: the last line of a paragraph, a title or a heading without a marker;
* it starts indented (two or more spaces or an ideographic space: how Chinese paragraphs begin),
  or, in a document that never indents, the line before ended a sentence (``。！？；``).

Page numbers (``- 3 -``, ``第 3 页``, ``3/12``) and running lines repeated at the same place on most
pages are dropped. Pure: strings in, string out.
"""

from __future__ import annotations

import re
from collections import Counter

from pipeline import text as T
from pipeline.ingest.paragraphs import heading_level

SHORT = 0.8
SENTENCE_END = "。！？!?；;"
#: a line ending in one of these never ends a paragraph, however short
CONTINUES = "，,、（(“‘《"
_CLOSERS = "”’」』)）】"
_PAGE_NO = re.compile(r"[-—–\s]*\d{1,4}[-—–\s]*|第\s*\d+\s*页.*|\d{1,4}\s*/\s*\d{1,4}|page\s*\d+.*", re.I)
_INDENT = re.compile(r"^(?:\u3000|\s{2,})")


def _ends_sentence(line: str) -> bool:
    stripped = line.rstrip(_CLOSERS)
    return bool(stripped) and stripped[-1] in SENTENCE_END


def _running_lines(pages: list[list[str]]) -> set[str]:
    """Lines that stand first or last on most pages (headers, footers)."""
    if len(pages) < 3:
        return set()
    edges: Counter = Counter()
    for lines in pages:
        seen = {ln.strip() for ln in lines[:2] + lines[-2:] if ln.strip()}
        edges.update(seen)
    return {ln for ln, n in edges.items() if n >= max(3, 0.6 * len(pages)) and len(ln) <= 60}


def join_pdf_lines(pages: list[str]) -> str:
    """The text of each page (as the PDF library extracted it) -> paragraphs, one a line."""
    page_lines = [T.strip_invisible(T.normalize_newlines(p)).split("\n") for p in pages]
    running = _running_lines(page_lines)
    lines: list[tuple[str, bool]] = []  # (text, indented)
    for page in page_lines:
        for raw in page:
            text = raw.strip()
            if not text or _PAGE_NO.fullmatch(text) or text in running:
                continue
            lines.append((T.normalize(text), bool(_INDENT.match(raw.rstrip()))))
    if not lines:
        return ""
    widths = sorted(len(t) for t, _ in lines)
    typical = widths[int(0.9 * (len(widths) - 1))]
    uses_indent = sum(ind for _, ind in lines) >= 2
    out: list[str] = []
    prev_heading = False
    prev_len = 0
    for text, indented in lines:
        heading = bool(heading_level(text)[0])
        new = (
            not out
            or heading
            or (prev_len < SHORT * typical and (prev_heading or out[-1][-1:] not in CONTINUES))
            or (indented if uses_indent else _ends_sentence(out[-1]))
        )
        if new:
            out.append(text)
        else:
            out[-1] += text
        prev_heading, prev_len = heading, len(text)
    return "\n".join(out)
