"""Which paragraphs the annotation guideline (``docs/annotation.md``, section 1) lets an analyst
label, for ``dangjian label export``: real body text only.

:func:`codebook_reason` names why a paragraph is left out ('' when it can be labelled):

* ``heading`` -- the ingest marked it a heading (``kind``), or it is its own heading path's last
  step (a CSV without ``kind``);
* ``table row`` -- a flattened table: ``kind`` table, cells joined by `` | ``, or a row of many
  short cells separated by tabs or spaces (``7月底前 党政办 信息处 …``);
* ``under 20 characters`` / ``over 600 characters``;
* ``boilerplate`` -- what the ingest's page-boilerplate rules recognise (menus, prev/next links,
  date-and-source lines, editor, phone and e-mail lines: pipeline.ingest.boilerplate), e-mail
  addresses, attachment notes and lines with HTML entities left in (``&nbsp;``);

and :func:`dedup_key` is what "the same text" means for duplicates (the guideline keeps one of
each): NFKC, no list marker at the start (一、 (二) 3. ①), no spaces, punctuation or symbols --
so the same heading or paragraph from several documents counts once.
"""

from __future__ import annotations

import re
import unicodedata

MIN_CHARS = 20
MAX_CHARS = 600
TABLE_MIN_CELLS = 4  # a row of at least this many cells ...
TABLE_CELL_CHARS = 8  # ... most of them (TABLE_SHORT_SHARE) at most this long, is a table row
TABLE_SHORT_SHARE = 0.75

_CELL_SPLIT = re.compile(r"\t+|[ \u3000\xa0]+")
_ENTITY = re.compile(r"&(?:[a-zA-Z]{2,8}|#\d{2,6}|#x[0-9a-fA-F]{2,6});")
_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
_ATTACHMENT = re.compile(r"^(?:附件|附表)\s*[0-9０-９一二三四五六七八九十]*\s*[:：．.、]")
_LIST_MARKER = re.compile(
    r"^\s*(?:[（(]\s*[一二三四五六七八九十百0-9０-９]+\s*[)）]|[一二三四五六七八九十百]+\s*[、.．]|[0-9０-９]+\s*[、.．)）](?![0-9０-９])|[①-⑳])\s*"
)


def is_table_row(text: str) -> bool:
    """Cells of a flattened table: joined by ' | ', or many short cells split by tabs/spaces."""
    if " | " in text:
        return True
    cells = [c for c in _CELL_SPLIT.split(text.strip()) if c]
    if len(cells) < TABLE_MIN_CELLS:
        return False
    return sum(len(c) <= TABLE_CELL_CHARS for c in cells) >= TABLE_SHORT_SHARE * len(cells)


def codebook_reason(text: str, kind: str = "", heading: str = "") -> str:
    """Why the guideline leaves this paragraph out of labelling, or '' when it can be labelled."""
    from pipeline.ingest.boilerplate import classify_line

    s = (text or "").strip()
    kind = (kind or "").strip()
    if kind == "heading" or (not kind and heading and s == heading.split(" > ")[-1].strip()):
        return "heading"
    if kind == "table" or " | " in s:
        return "table row"
    if _ENTITY.search(s) or _EMAIL.search(s) or _ATTACHMENT.match(s) or classify_line(s):
        return "boilerplate"
    if is_table_row(s):
        return "table row"
    if len(s) < MIN_CHARS:
        return "under 20 characters"
    if len(s) > MAX_CHARS:
        return "over 600 characters"
    return ""


def dedup_key(text: str) -> str:
    """The text as duplicates are compared: NFKC, list marker at the start dropped, no spaces,
    punctuation or symbols."""
    s = _LIST_MARKER.sub("", unicodedata.normalize("NFKC", _LIST_MARKER.sub("", text or "")))
    return "".join(ch for ch in s if unicodedata.category(ch)[0] not in "PZSC")
