"""Decoded text -> :class:`Document`: drop boilerplate lines; find the title, byline (org),
source and publication date; build the paragraphs; pick the year by precedence (sheet >
published > title > filename > text). Pure: no file access."""

from __future__ import annotations

import hashlib
import re
from datetime import date as _date
from pathlib import Path

from pipeline import text as T
from pipeline.config import Settings
from pipeline.ingest.boilerplate import clean_lines
from pipeline.ingest.dates import PUBDATE, SIGN_DATE, filename_date, iso, text_year
from pipeline.ingest.decode import Decoded
from pipeline.ingest.model import Document
from pipeline.ingest.paragraphs import SHI_RX, heading_level, structure
from pipeline.ingest.period import covered_year, genre_of

MIN_YEAR = 1900
_SOURCE = re.compile(r"(?:来源|稿件来源|文章来源|信息来源|转自|出处)\s*[:：]\s*([^\s,，;；)）]{2,40}?)(?=\s|$|[,，;；)）]|编辑|作者|发布|浏览|打印)")
_AUTHOR_SYS = re.compile(r"作者系\s*([^)）;；。]{2,60})")
_ORG_SUFFIX = re.compile(
    r"(党委|党组|工委|委员会|党支部|总支|机关|办公室|办公厅|政府|中学|大学|学院|学校|研究院|研究所|集团|公司|宣传部|组织部|纪委|监委|协会|编辑部)$"
)


def _spaced(text: str) -> str:
    """The text as written, with its spaces (invisible characters dropped, runs of spaces joined)."""
    return T.collapse_spaces(T.strip_invisible(T.normalize_newlines(text)))


def build_document(rel_path: str, decoded: Decoded, sheet_meta: dict | None, settings: Settings) -> Document:
    """Decoded text -> Document (metadata + paragraphs). Pure: no file access."""
    if decoded.lines_hint is not None:
        items = [(no, T.normalize(t).replace("\n", " "), k) for no, (k, t) in enumerate(decoded.lines_hint, start=1)]
        raw = {no: _spaced(t).replace("\n", " ") for no, (_, t) in enumerate(decoded.lines_hint, start=1)}
    else:
        items = [(no, t, "") for no, t in enumerate(T.normalize(decoded.text).split("\n"), start=1)]
        raw = dict(enumerate(_spaced(decoded.text).split("\n"), start=1))
    kept, removed = clean_lines(items)

    # metadata from removed meta lines and the kept text
    published = ""
    source = ""
    org = ""
    # the lines as written, spaces kept: an info line's fields are separated by (ideographic) spaces
    all_lines = sorted([(no, raw.get(no, t)) for no, _, t in removed] + [(no, raw.get(no, t)) for no, t, _ in kept])
    for _, t in all_lines:
        if not published:
            m = PUBDATE.search(t)
            if m and (len(t) <= 80 or re.search(r"来源|编辑|浏览|作者|打印|点击", t)):
                published = iso(m)
        if not source:
            m = _SOURCE.search(t)
            if m:
                source = m.group(1)
        m = _AUTHOR_SYS.search(t)
        if m and not org:
            org = m.group(1).strip()

    # title: first kept line that is short and reads like a title; optional subtitle '——…'
    title = ""
    title_idx: list[int] = []
    byline = -1
    for idx, (no, t, k) in enumerate(kept[:6]):
        if k == "table":
            continue
        if len(t) <= 80 and t[-1] not in "。；;，,：:" and not SHI_RX.match(t) and not (heading_level(t)[0] and idx > 0):
            title = T.keep_phrase_spaces(raw.get(no, t))
            title_idx.append(idx)
            if idx + 1 < len(kept) and re.match(r"^[—－-]{1,2}", kept[idx + 1][1]) and len(kept[idx + 1][1]) <= 80:
                title += T.keep_phrase_spaces(raw.get(kept[idx + 1][0], kept[idx + 1][1]))
                title_idx.append(idx + 1)
            break
        if len(t) > 80:
            break
    if title_idx:
        # a byline right after the title ('中央网信办机关党委') is the issuing body
        nxt = title_idx[-1] + 1
        if nxt < len(kept):
            cand = kept[nxt][1]
            if len(cand) <= 25 and _ORG_SUFFIX.search(cand) and not heading_level(cand)[0]:
                org = org or cand
                title_idx.append(nxt)
                byline = nxt
        for idx in title_idx:
            no, t, _ = kept[idx]
            removed.append((no, "byline" if idx == byline else "title", t))
        kept = [row for i, row in enumerate(kept) if i not in set(title_idx)]

    # a signature date on its own line near the end ('2020年1月15日') is a publication date
    signature = ""
    body_max = text_year("\n".join(t for _, t, _ in kept), _date.today().year + 1) or 0
    for no, t, _ in kept[-3:]:
        m = SIGN_DATE.match(t)
        # a closing date no earlier than any year the text mentions (not a list entry)
        if m and int(m.group(1)) >= body_max:
            signature = iso(m)
    if not org:
        for no, t, _ in kept[-4:]:
            if len(t) <= 25 and _ORG_SUFFIX.search(t) and not heading_level(t)[0]:
                org = t

    body_text = "\n".join(t for _, t, _ in kept)
    doc_id = hashlib.sha256((title + "\n" + body_text).encode("utf-8")).hexdigest()[:16]
    paragraphs = structure([(k, t) for _, t, k in kept], doc_id, settings.max_paragraph_chars)

    dates = _dates(title, [t for _, t, k in kept[:3] if k != "table"], Path(rel_path).name, published, signature, body_text, sheet_meta)
    meta = dict(sheet_meta.get("columns", {})) if sheet_meta else {}
    genre = genre_of(title)
    if sheet_meta:
        title = sheet_meta.get("title") or title
        org = sheet_meta.get("org") or org
        source = sheet_meta.get("source") or source
        genre = sheet_meta.get("genre") or genre

    flags = list(decoded.flags)
    if paragraphs and T.han_count(body_text) < 0.05 * max(1, len(body_text)):
        flags.append("no Chinese text")
    if "\ufffd" in body_text and not any("U+FFFD" in f for f in flags):
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


def _dates(title: str, opening: list[str], name: str, published: str, signature: str, body: str, sheet: dict | None) -> dict:
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
        m = re.search(r"(?<!\d)((?:19|20)\d\d)\s*(年|学年|年度)", title)
        ty = text_year(body, max_year)
        year, year_source = (int(m.group(1)), "title") if m else ((ty, "text") if ty else (None, ""))
    return {"pub_date": pub_date, "pub_year": pub_year, "report_year": report_year, "year": year, "year_source": year_source}
