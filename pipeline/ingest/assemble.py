"""Decoded text -> :class:`Document`: drop boilerplate lines; find the title, byline (org),
source and publication date; build the paragraphs; pick the year by precedence (sheet >
published > title > filename > text). Pure: no file access; two passes over compact lines,
so the memory is the result's, not a multiple of the text's.

Every rule reads the simplified view of a line (:mod:`pipeline.simplify`, one character for
one): a publication line ``發布時間：``, a source ``來源：黨政辦``, a byline ``中共某某黨委``; what is
stored (title, org, source) is sliced from the line as written."""

from __future__ import annotations

import hashlib
import re
from collections import deque
from datetime import date as _date
from pathlib import Path

from pipeline import text as T
from pipeline.config import Settings
from pipeline.ingest.boilerplate import iter_clean
from pipeline.ingest.dates import PUBDATE, SIGN_DATE, TEXT_YEAR, filename_date, iso
from pipeline.ingest.decode import Decoded
from pipeline.ingest.model import Document
from pipeline.ingest.paragraphs import heading_level, is_shi, structure
from pipeline.ingest.period import covered_year, genre_of
from pipeline.simplify import simplified

MIN_YEAR = 1900
_SOURCE = re.compile(
    r"(?:来源|稿件来源|文章来源|信息来源|转自|出处)\s*[:：]\s*([^\s,，;；)）]{2,40}?)(?=\s|$|[,，;；)）]|编辑|作者|发布|浏览|打印|点击|阅读|访问|字号|责任|时间|日期)"
)
_AUTHOR_SYS = re.compile(r"作者系\s*([^)）;；。]{2,60})")
_ORG_SUFFIX = re.compile(
    r"(党委|党组|工委|委员会|党支部|总支|机关|办公室|办公厅|政府|中学|大学|学院|学校|研究院|研究所|集团|公司|宣传部|组织部|纪委|监委|协会|编辑部)$"
)


_HEAD = 8  # the title, a subtitle and a byline are found among the first kept lines


def _title(kept: list[tuple[int, str, str]], spaced: dict[int, str] | None = None) -> tuple[str, str, list[int]]:
    """(title, byline org, indices into ``kept`` of the title/subtitle/byline lines), from the
    first kept lines: the first short line that reads like a title; an optional subtitle
    '——…'; a byline right after it ('中央网信办机关党委') is the issuing body. The title is
    taken from ``spaced`` (line number -> the line with its phrase spaces, ``T.keep_phrase_spaces``)
    where it holds the line: '弘扬建党精神 践行时代使命' keeps its separator space."""
    spaced = spaced or {}
    title = ""
    org = ""
    title_idx: list[int] = []
    for idx, (no, t, k) in enumerate(kept[:6]):
        if k == "table":
            continue
        if len(t) <= 80 and t[-1] not in "。；;，,：:" and not is_shi(t) and not (heading_level(t)[0] and idx > 0):
            title = spaced.get(no, t)
            title_idx.append(idx)
            if idx + 1 < len(kept) and re.match(r"^[—－-]{1,2}", kept[idx + 1][1]) and len(kept[idx + 1][1]) <= 80:
                title += spaced.get(kept[idx + 1][0], kept[idx + 1][1])
                title_idx.append(idx + 1)
            break
        if len(t) > 80:
            break
    if title_idx:
        nxt = title_idx[-1] + 1
        if nxt < len(kept):
            cand = kept[nxt][1]
            if len(cand) <= 25 and _ORG_SUFFIX.search(simplified(cand)) and not heading_level(cand)[0]:
                org = cand
                title_idx.append(nxt)
    return title, org, title_idx


class _Body:
    """What assembly needs to know about the body text (the kept lines after the title, joined
    by newlines) without joining it: its hash (the doc_id), latest year, Han count, length,
    replacement characters, numbered top-level headings and last lines."""

    def __init__(self, title: str, max_year: int):
        self._hash = hashlib.sha256((title + "\n").encode("utf-8"))
        self.max_year = max_year
        self.year: int | None = None
        self.han = 0
        self.chars = -1  # n lines joined by n - 1 newlines
        self.fffd = False
        self.numbered_top = False
        self.last: deque[tuple[int, str, str]] = deque(maxlen=4)
        self._prev = ""  # the simplified view of the last line
        self._first = True

    def add(self, no: int, t: str, k: str, view: str | None = None) -> None:
        """One body line ``t``; ``view`` is its simplified view (computed when not given)."""
        view = simplified(t) if view is None else view
        self._hash.update((t if self._first else "\n" + t).encode("utf-8"))
        if not self._first:
            self._years(self._prev, view)
        self._first = False
        self._prev = view
        self.han += T.han_count(t)
        self.chars += len(t) + 1
        if not self.fffd and "\ufffd" in t:
            self.fffd = True
        if not self.numbered_top and heading_level(view)[0] in (1, 2):
            self.numbered_top = True
        self.last.append((no, t, k))

    def _years(self, line: str, following: str) -> None:
        """Years of :func:`text_year` that start in ``line``: a year at a line's end may have
        its 年 (and what may not follow it) on the next line, as in the joined text."""
        if "19" not in line and "20" not in line:
            return
        for m in TEXT_YEAR.finditer(line + "\n" + following[:3] if following else line):
            if m.start() < len(line):
                y = int(m.group(1))
                if 1921 <= y <= self.max_year and (self.year is None or y > self.year):
                    self.year = y

    def finish(self) -> None:
        if not self._first:
            self._years(self._prev, "")
            self._first = True
            self._prev = ""
        self.chars = max(self.chars, 0)

    @property
    def doc_id(self) -> str:
        return self._hash.hexdigest()[:16]


def build_document(rel_path: str, decoded: Decoded, sheet_meta: dict | None, settings: Settings) -> Document:
    """Decoded text -> Document (metadata + paragraphs). Pure: no file access.

    Two passes over the lines (:class:`pipeline.ingest.lines.Lines`, compact): the first
    drops boilerplate, finds the metadata, the title and what the body holds; the second
    builds the paragraphs. Nothing is held per line but the removed lines and the result."""
    lines = decoded.to_lines()
    n = len(lines)
    max_year = _date.today().year + 1
    removed: list[tuple[int, str, str]] = []
    keep = bytearray(n + 1)  # by line number: 1 for a body line
    published = source = org = ""
    head: list[tuple[int, str, str]] = []
    title = byline = ""
    body: _Body | None = None

    opening: list[str] = []
    spaced: dict[int, str] = {}  # head lines with a phrase space, as T.keep_phrase_spaces gives them
    current = [""]  # the marked text of the line being read (iter_clean reads one line at a time)

    def start_body() -> _Body:
        nonlocal title, byline
        title, byline, title_idx = _title(head, spaced)
        opening.extend(t for idx, (_, t, k) in enumerate(head) if idx not in title_idx and k != "table")
        del opening[3:]
        for idx in title_idx:
            no, t, _ = head[idx]
            removed.append((no, "byline" if byline and idx == title_idx[-1] else "title", t))
        new = _Body(title, max_year)
        for idx, (no, t, k) in enumerate(head):
            if idx not in title_idx:
                keep[no] = 1
                new.add(no, t, k)
        return new

    def items():
        for no, (k, m) in enumerate(lines.marked(), start=1):
            if T.PHRASE_MARK in m:
                current[0] = m
                yield no, m.replace(T.PHRASE_MARK, ""), k
            else:
                current[0] = ""
                yield no, m, k

    for no, t, k, rule, v in iter_clean(items(), n):
        # metadata from removed meta lines and the kept text, in line order; the rules read the
        # simplified view ``v``, the values are sliced from the line as written (same offsets)
        if not published:
            m = PUBDATE.search(v)
            if m and (len(t) <= 80 or re.search(r"来源|编辑|浏览|作者|打印|点击", v)):
                published = iso(m)
        if not source:
            m = _SOURCE.search(v)
            if m:
                source = t[m.start(1) : m.end(1)]
        if not org:
            m = _AUTHOR_SYS.search(v)
            if m:
                org = t[m.start(1) : m.end(1)].strip()
        if rule:
            removed.append((no, rule, t))
        elif body is None:
            head.append((no, t, k))
            if current[0]:
                spaced[no] = current[0].replace(T.PHRASE_MARK, " ").strip()
            if len(head) == _HEAD:
                body = start_body()
        else:
            keep[no] = 1
            body.add(no, t, k, v)
            if len(opening) < 3 and k != "table":  # the opening: the first three body lines, wherever they are
                opening.append(t)
    if body is None:
        body = start_body()
    body.finish()
    org = org or byline

    # a signature date on its own line near the end ('2020年1月15日') is a publication date
    signature = ""
    body_max = body.year or 0
    for _no, t, _ in list(body.last)[-3:]:
        m = SIGN_DATE.match(simplified(t))
        # a closing date no earlier than any year the text mentions (not a list entry)
        if m and int(m.group(1)) >= body_max:
            signature = iso(m)
    if not org:
        for _no, t, _ in body.last:
            if len(t) <= 25 and _ORG_SUFFIX.search(simplified(t)) and not heading_level(t)[0]:
                org = t

    doc_id = body.doc_id
    body_lines = ((k, t) for no, (k, t) in enumerate(lines, start=1) if keep[no])
    paragraphs = structure(body_lines, doc_id, settings.max_paragraph_chars, numbered_top=body.numbered_top)

    dates = _dates(title, opening, Path(rel_path).name, published, signature, body.year, sheet_meta)
    meta = dict(sheet_meta.get("columns", {})) if sheet_meta else {}
    genre = genre_of(title)
    if sheet_meta:
        title = sheet_meta.get("title") or title
        org = sheet_meta.get("org") or org
        source = sheet_meta.get("source") or source
        genre = sheet_meta.get("genre") or genre

    flags = list(decoded.flags)
    if paragraphs and body.han < 0.05 * max(1, body.chars):
        flags.append("no Chinese text")
    if body.fffd and not any("U+FFFD" in f for f in flags):
        flags.append("contains U+FFFD replacement characters")
    return Document(
        doc_id=doc_id,
        path=rel_path,
        title=title,
        pub_date=dates["pub_date"],
        pub_year=dates["pub_year"],
        report_year=dates["report_year"],
        year=dates["year"],
        year_source=dates["year_source"],
        genre=genre,
        meta=meta,
        org=org,
        source=source,
        encoding=decoded.encoding,
        paragraphs=paragraphs,
        removed=sorted(removed),
        flags=flags,
    )


def _dates(title: str, opening: list[str], name: str, published: str, signature: str, body_year: int | None, sheet: dict | None) -> dict:
    """pub_date, pub_year, report_year, year and year_source of a document.

    Publication: the sheet's ``pub_date``/``date``; else a publication line; else a closing
    signature date; else a date in the file name. Covered period: the sheet's ``report_year``;
    else the sheet's ``year`` (or the year of its ``date``) when the sheet has no ``report_year``
    column (the analyst's year, taken at its word; with such a column ``year`` is the publication
    year); else :func:`pipeline.ingest.period.covered_year`. ``year`` is the covered year when
    known, else the publication year, else a year in the title, else the latest year the body
    mentions."""
    sheet = sheet or {}
    max_year = _date.today().year + 1
    fn_year, fn_date = filename_date(name)
    if fn_year is not None and not MIN_YEAR <= fn_year <= max_year:
        fn_year, fn_date = None, ""
    pub_date, pub_source = "", ""
    for value, rule in (
        (sheet.get("pub_date", ""), "sheet"),
        (published, "published"),
        (signature, "signature"),
        (fn_date or (str(fn_year) if fn_year else ""), "filename"),
    ):
        if value:
            pub_date, pub_source = value, rule
            break
    pub_year = int(pub_date[:4]) if pub_date[:4].isdigit() else None
    sheet_year = int(sheet["year"]) if sheet.get("year") else None
    if sheet_year is not None and sheet.get("year_is_publication") and pub_source != "sheet":
        pub_date, pub_year, pub_source = str(sheet_year), sheet_year, "sheet"  # a sheet with report_year: `year` is when published
    if sheet.get("report_year"):
        report_year, rule = int(sheet["report_year"]), "sheet"
    elif sheet_year is not None and not sheet.get("year_is_publication"):
        report_year, rule = sheet_year, "sheet"  # the analyst's year, taken at its word
    else:
        report_year, rule = covered_year(title, opening, pub_date)
    if report_year is not None:
        year, year_source = report_year, rule
    elif pub_year is not None:
        year, year_source = pub_year, pub_source
    else:
        m = re.search(r"(?<!\d)((?:19|20)\d\d)\s*(年|学年|年度)", simplified(title))
        ty = body_year
        year, year_source = (int(m.group(1)), "title") if m else ((ty, "text") if ty else (None, ""))
    return {"pub_date": pub_date, "pub_year": pub_year, "report_year": report_year, "year": year, "year_source": year_source}
