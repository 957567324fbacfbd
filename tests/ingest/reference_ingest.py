"""The ingest assembly as it was before it streamed (commit d1a9bf8), kept as the oracle of
the differential tests: whole lists in memory, the same rules. Not used by the package."""

# ruff: noqa
from __future__ import annotations

import hashlib
import re
from datetime import date as _date
from pathlib import Path

from pipeline import text as T
from pipeline.config import Settings
from pipeline.ingest.assemble import MIN_YEAR, _AUTHOR_SYS, _ORG_SUFFIX, _SOURCE
from pipeline.ingest.boilerplate import _RELATED, classify_line
from pipeline.ingest.dates import PUBDATE, SIGN_DATE, filename_date, iso, text_year
from pipeline.ingest.model import Document, Paragraph
from pipeline.ingest.decode import _canonical_codec, _codec_share
from pipeline.ingest.paragraphs import SHI_RX, _is_cell, _is_short_title, _lead, _split_long, heading_level


class _Decoded:
    def __init__(self, text, encoding, flags=None, lines_hint=None):
        self.text, self.encoding, self.flags, self.lines_hint = text, encoding, flags or [], lines_hint


def decode_bytes_old(data: bytes, declared: str | None = None) -> Decoded:
    """Bytes -> str for any common Chinese encoding. Strict decodings are preferred; when none
    fits, decode GB18030 with replacement and flag how many bytes were bad."""
    if data.startswith(b"\xef\xbb\xbf"):
        return _strict_or_replace_old(data[3:], "utf-8", "utf-8-sig")
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return _strict_or_replace_old(data, "utf-16", "utf-16")
    candidates = []
    if declared:
        candidates.append(_canonical_codec(declared))
    candidates += ["utf-8", "gb18030", "big5"]
    seen = set()
    decoded: dict[str, str] = {}
    for enc in candidates:
        if enc in seen or enc is None:
            continue
        seen.add(enc)
        try:
            decoded[enc] = data.decode(enc)
        except (UnicodeDecodeError, LookupError):
            continue
        if enc in ("utf-8",) or (declared and enc == _canonical_codec(declared) and enc != "gb18030"):
            return _Decoded(decoded[enc], enc)
    if "gb18030" in decoded and "big5" in decoded:
        gb_q, b5_q = _codec_share(decoded["gb18030"], "gb2312"), _codec_share(decoded["big5"], "big5")
        if gb_q >= 0.97 or gb_q >= b5_q:
            return _Decoded(decoded["gb18030"], "gb18030")
        return _Decoded(decoded["big5"], "big5")
    if "gb18030" in decoded:
        return _Decoded(decoded["gb18030"], "gb18030")
    if "big5" in decoded:
        return _Decoded(decoded["big5"], "big5")
    # nothing strict: ask charset-normalizer, then fall back to replacement
    try:
        from charset_normalizer import from_bytes

        best = from_bytes(data[:200000]).best()
    except Exception:  # noqa: BLE001
        best = None
    if best is not None and best.encoding not in ("utf_8", "gb18030", "big5"):
        try:
            text = data.decode(best.encoding)
            if T.han_count(text) or not re.search(rb"[\x80-\xff]", data):
                return _Decoded(text, best.encoding)
        except (UnicodeDecodeError, LookupError):
            pass
    utf8_bad = _count_bad_old(data, "utf-8")
    gb_bad = _count_bad_old(data, "gb18030")
    enc = "utf-8" if utf8_bad <= gb_bad else "gb18030"
    return _strict_or_replace_old(data, enc, enc)


def _count_bad_old(data: bytes, enc: str) -> int:
    return data.decode(enc, errors="replace").count("\ufffd")


def _strict_or_replace_old(data: bytes, codec: str, label: str) -> Decoded:
    try:
        return _Decoded(data.decode(codec), label)
    except UnicodeDecodeError:
        text = data.decode(codec, errors="replace")
        bad = text.count("\ufffd")
        return _Decoded(text, label, [f"decoded as {label} with {bad} invalid byte sequence(s) replaced by U+FFFD"])


def clean_lines_old(items: list[tuple[int, str, str]]) -> tuple[list[tuple[int, str, str]], list[tuple[int, str, str]]]:
    """(line_no, text, kind hint) -> kept (line_no, text, kind) and removed (line_no, rule, text).

    Beyond line rules: after a '相关信息' marker or a trailing '(来源:…)' line, short lines
    without a full stop are related-article links, not content."""
    kept: list[tuple[int, str, str]] = []
    removed: list[tuple[int, str, str]] = []
    n = max((no for no, _, _ in items), default=0)
    tail_mode = False
    for i, s, kind in items:
        s = s.strip()
        if not s:
            continue
        if kind == "table":
            kept.append((i, s, kind))
            continue
        rule = classify_line(s)
        if rule is None and tail_mode and len(s) <= 60 and s[-1] not in "。":
            rule = "related links"
        if rule == "widget" and s in _RELATED:
            tail_mode = True
        if rule is None and i > n * 0.5 and len(s) <= 120 and re.match(r"^[(（]?\s*(来源|稿件来源|文章来源|本文来源|作者系)", s):
            rule = "source line"
            tail_mode = True
        if rule:
            removed.append((i, rule, s))
        else:
            kept.append((i, s, kind))
    return kept, removed


_RELATED = {"相关信息", "相关阅读", "相关新闻", "相关链接", "推荐阅读", "延伸阅读", "相关文章"}


def structure_old(lines: list[tuple[str, str]], doc_id: str, max_chars: int = 3000) -> list[Paragraph]:
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


def build_document_old(rel_path: str, decoded, sheet_meta: dict | None, settings: Settings) -> Document:
    """Decoded text -> Document (metadata + paragraphs). Pure: no file access."""
    if decoded.lines_hint is not None:
        items = [(no, T.normalize(t).replace("\n", " "), k) for no, (k, t) in enumerate(decoded.lines_hint, start=1)]
        spaced = {no: T.keep_phrase_spaces(t).replace("\n", " ").strip() for no, (k, t) in enumerate(decoded.lines_hint, start=1)}
    else:
        items = [(no, t, "") for no, t in enumerate(T.normalize(decoded.text).split("\n"), start=1)]
        spaced = dict(enumerate(T.keep_phrase_spaces(decoded.text).split("\n"), start=1))
    kept, removed = clean_lines_old(items)

    # metadata from removed meta lines and the kept text
    published = ""
    source = ""
    org = ""
    all_lines = sorted([(no, t) for no, _, t in removed] + [(no, t) for no, t, _ in kept])
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
    for idx, (no, t, k) in enumerate(kept[:6]):
        if k == "table":
            continue
        if len(t) <= 80 and t[-1] not in "。；;，,：:" and not SHI_RX.match(t) and not (heading_level(t)[0] and idx > 0):
            title = spaced[no]  # the title keeps its phrase spaces (current rule)
            title_idx.append(idx)
            if idx + 1 < len(kept) and re.match(r"^[—－-]{1,2}", kept[idx + 1][1]) and len(kept[idx + 1][1]) <= 80:
                title += spaced[kept[idx + 1][0]]
                title_idx.append(idx + 1)
            break
        if len(t) > 80:
            break
    if title_idx:
        # a byline right after the title ('中央网信办机关党委') is the issuing body
        nxt = title_idx[-1] + 1
        byline = -1
        if nxt < len(kept):
            cand = kept[nxt][1]
            if len(cand) <= 25 and _ORG_SUFFIX.search(cand) and not heading_level(cand)[0]:
                org = org or cand
                title_idx.append(nxt)
                byline = nxt
        for idx in title_idx:
            no, t, _ = kept[idx]
            removed.append((no, "byline" if idx == byline else "title", t))  # current rule
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
    paragraphs = structure_old([(k, t) for _, t, k in kept], doc_id, settings.max_paragraph_chars)

    # dates by the current rules (pipeline.ingest.assemble._dates): the reference checks the streaming
    from pipeline.ingest.assemble import _dates
    from pipeline.ingest.period import genre_of

    max_year = _date.today().year + 1
    opening = [t for _, t, k in kept if k != "table"][:3]
    dates = _dates(title, opening, Path(rel_path).name, published, signature, text_year(body_text, max_year), sheet_meta)
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
