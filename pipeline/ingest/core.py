"""Raw files -> documents with metadata and structured paragraphs. Never segments.

One function per concern, composed by :func:`ingest_file`:

    read bytes -> decode (txt/md/html/docx/pdf) -> normalize -> drop boilerplate lines
    -> title / byline / dates -> paragraphs with heading paths -> Document

Every failure becomes a :class:`LogRow` with a one-line reason; nothing here raises for bad
input. ``data/raw`` is only ever opened for reading.
"""

from __future__ import annotations

import hashlib
import os
import re
import stat
import zipfile
from dataclasses import dataclass, field
from datetime import date as _date
from pathlib import Path
from typing import Iterator

from pipeline import text as T
from pipeline.config import Settings

TEXT_EXT = {".txt", ".md", ".text", ".markdown"}
HTML_EXT = {".html", ".htm", ".xhtml", ".shtml"}
SUPPORTED_EXT = TEXT_EXT | HTML_EXT | {".docx", ".pdf"}
SHEET_NAMES = {"metadata.csv", "metadata.tsv", "metadata.xlsx"}
SKIP_NAMES = {"readme.md", "readme.txt", "source.md", "license", "license.txt", "license.md"}
YEAR_SOURCES = ("sheet", "published", "title", "filename", "text")
STATUSES = ("ok", "duplicate", "empty", "unreadable", "unsupported")
MIN_YEAR = 1900


# --------------------------------------------------------------------------- data model
@dataclass
class Paragraph:
    doc_id: str
    para_id: int
    heading: str
    kind: str  # heading | body | item | table
    text: str

    @property
    def n_chars(self) -> int:
        return len(self.text)

    def as_row(self) -> dict:
        return {
            "doc_id": self.doc_id,
            "para_id": self.para_id,
            "heading": self.heading,
            "kind": self.kind,
            "text": self.text,
            "n_chars": self.n_chars,
        }


@dataclass
class Document:
    doc_id: str
    path: str
    title: str
    date: str
    year: int | None
    year_source: str
    org: str
    source: str
    encoding: str
    paragraphs: list[Paragraph]
    removed: list[tuple[int, str, str]] = field(default_factory=list)  # (line_no, rule, text)
    flags: list[str] = field(default_factory=list)

    @property
    def n_chars(self) -> int:
        return sum(p.n_chars for p in self.paragraphs)

    def as_row(self) -> dict:
        return {
            "doc_id": self.doc_id,
            "path": self.path,
            "title": self.title,
            "date": self.date,
            "year": self.year,
            "year_source": self.year_source,
            "org": self.org,
            "source": self.source,
            "n_chars": self.n_chars,
            "n_paragraphs": len(self.paragraphs),
            "encoding": self.encoding,
            "flags": "|".join(self.flags),
        }


@dataclass
class LogRow:
    path: str
    status: str
    reason: str
    doc_id: str = ""

    def as_row(self) -> dict:
        return {"path": self.path, "status": self.status, "reason": self.reason, "doc_id": self.doc_id}


class Skip(Exception):
    """A file that cannot become a document; ``status`` is one of STATUSES."""

    def __init__(self, status: str, reason: str):
        super().__init__(reason)
        self.status = status
        self.reason = reason


# --------------------------------------------------------------------------- discovery
def discover(raw_dir: Path, settings: Settings = Settings()) -> tuple[list[Path], list[Path], list[LogRow]]:
    """Walk ``raw_dir`` recursively, safely: symlink loops are visited once, depth is capped,
    unreadable folders are logged. Returns (document files, metadata sheets, log rows)."""
    raw_dir = Path(raw_dir)
    files: list[Path] = []
    sheets: list[Path] = []
    log: list[LogRow] = []
    seen_dirs: set[tuple[int, int]] = set()

    def rel(p: Path) -> str:
        try:
            return p.relative_to(raw_dir).as_posix()
        except ValueError:
            return p.as_posix()

    stack: list[tuple[Path, int]] = [(raw_dir, 0)]
    while stack:
        folder, depth = stack.pop()
        try:
            st = folder.stat()
        except OSError as err:
            log.append(LogRow(rel(folder), "unreadable", f"folder cannot be opened: {err.strerror or err}"))
            continue
        key = (st.st_dev, st.st_ino)
        if key in seen_dirs:
            log.append(LogRow(rel(folder), "unsupported", "folder already visited (symlink loop or duplicate link); skipped"))
            continue
        seen_dirs.add(key)
        if depth > settings.max_tree_depth:
            log.append(LogRow(rel(folder), "unsupported", f"folder nested deeper than {settings.max_tree_depth} levels; skipped"))
            continue
        try:
            entries = sorted(os.scandir(folder), key=lambda e: e.name)
        except OSError as err:
            log.append(LogRow(rel(folder), "unreadable", f"folder cannot be listed: {err.strerror or err}"))
            continue
        subdirs = []
        for entry in entries:
            path = Path(entry.path)
            if entry.name.startswith(".") or entry.name.startswith("~$"):
                continue
            try:
                is_dir = entry.is_dir(follow_symlinks=True)
                is_file = not is_dir and entry.is_file(follow_symlinks=True)
            except OSError as err:
                log.append(LogRow(rel(path), "unreadable", f"cannot stat: {err.strerror or err}"))
                continue
            if is_dir:
                subdirs.append((path, depth + 1))
            elif is_file:
                name = entry.name.lower()
                if name in SHEET_NAMES:
                    sheets.append(path)
                elif name in SKIP_NAMES:
                    log.append(LogRow(rel(path), "unsupported", "README/SOURCE/LICENSE file describes the folder; not a report"))
                else:
                    files.append(path)
            else:
                reason = "broken symlink" if entry.is_symlink() else "not a regular file"
                log.append(LogRow(rel(path), "unreadable", reason))
        stack.extend(reversed(subdirs))
    files.sort(key=lambda p: rel(p))
    return files, sheets, log


# --------------------------------------------------------------------------- metadata sheet
_FILE_COLS = ("file", "path", "filename", "file_name", "文件", "文件名", "路径")
_YEAR_COLS = ("year", "年份", "年度")
_DATE_COLS = ("date", "日期", "发布日期", "published")


def read_sheets(sheets: list[Path], raw_dir: Path) -> tuple[dict[str, dict], list[LogRow]]:
    """Analyst metadata sheets -> {relative path or file name: {year, date, title, org}}."""
    meta: dict[str, dict] = {}
    log: list[LogRow] = []
    for sheet in sheets:
        import pandas as pd

        rel = sheet.relative_to(raw_dir).as_posix()
        try:
            if sheet.suffix.lower() == ".xlsx":
                df = pd.read_excel(sheet, dtype=str)
            else:
                sep = "\t" if sheet.suffix.lower() == ".tsv" else ","
                df = pd.read_csv(sheet, sep=sep, dtype=str, encoding="utf-8-sig", keep_default_na=False)
        except Exception as err:  # noqa: BLE001 - any parser failure is one log line
            log.append(LogRow(rel, "unreadable", f"metadata sheet cannot be parsed: {type(err).__name__}: {err}"[:300]))
            continue
        cols = {str(c).strip().lower(): c for c in df.columns}
        fcol = next((cols[c] for c in _FILE_COLS if c in cols), None)
        ycol = next((cols[c] for c in _YEAR_COLS if c in cols), None)
        dcol = next((cols[c] for c in _DATE_COLS if c in cols), None)
        if fcol is None or (ycol is None and dcol is None):
            log.append(LogRow(rel, "unsupported", "metadata sheet needs a file column and a year or date column"))
            continue
        base = sheet.parent.relative_to(raw_dir)
        n = 0
        for _, row in df.fillna("").iterrows():
            fname = str(row[fcol]).strip()
            if not fname:
                continue
            year = _parse_year(str(row[ycol])) if ycol is not None else None
            iso = _parse_date(str(row[dcol])) if dcol is not None else ""
            if year is None and iso:
                year = int(iso[:4])
            entry = {"year": year, "date": iso}
            for extra in ("title", "org", "source"):
                if extra in cols and str(row[cols[extra]]).strip():
                    entry[extra] = str(row[cols[extra]]).strip()
            meta[(base / fname).as_posix()] = entry
            meta.setdefault(Path(fname).name, entry)
            n += 1
        log.append(LogRow(rel, "ok", f"metadata sheet: {n} rows"))
    return meta, log


def _parse_year(value: str) -> int | None:
    m = re.search(r"(1[89]\d\d|20\d\d)", value or "")
    return int(m.group(1)) if m else None


def _parse_date(value: str) -> str:
    m = _DATE_RE.search(value or "")
    return _iso(m) if m else ""


# --------------------------------------------------------------------------- decoding
class Decoded:
    def __init__(self, text: str, encoding: str, flags: list[str] | None = None, lines_hint: list[tuple[str, str]] | None = None):
        self.text = text
        self.encoding = encoding
        self.flags = flags or []
        self.lines_hint = lines_hint  # (kind, text) pairs from structured formats (docx tables)


def looks_binary(data: bytes) -> bool:
    head = data[:8192]
    if not head:
        return False
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        return False
    if b"\x00" in head:
        return True
    ctrl = len(head) - len(head.translate(None, _CTRL_BYTES))
    return ctrl / len(head) > 0.1


_CTRL_BYTES = bytes(b for b in range(32) if b < 9 or 13 < b < 32)


def _codec_share(text: str, codec: str) -> float:
    """Share of the Han characters that ``codec`` can encode. Real simplified Chinese is ~1.0
    for gb2312, real traditional Chinese ~1.0 for big5; bytes decoded with the wrong codec
    produce rare characters and score low."""
    han = re.findall(rf"[{T.HAN}]", text[:20000])
    if not han:
        return 1.0
    ok = 0
    for ch in han:
        try:
            ch.encode(codec)
            ok += 1
        except UnicodeEncodeError:
            pass
    return ok / len(han)


def decode_bytes(data: bytes, declared: str | None = None) -> Decoded:
    """Bytes -> str for any common Chinese encoding. Strict decodings are preferred; when none
    fits, decode GB18030 with replacement and flag how many bytes were bad."""
    if data.startswith(b"\xef\xbb\xbf"):
        return _strict_or_replace(data[3:], "utf-8", "utf-8-sig")
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return _strict_or_replace(data, "utf-16", "utf-16")
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
            return Decoded(decoded[enc], enc)
    if "gb18030" in decoded and "big5" in decoded:
        gb_q, b5_q = _codec_share(decoded["gb18030"], "gb2312"), _codec_share(decoded["big5"], "big5")
        if gb_q >= 0.97 or gb_q >= b5_q:
            return Decoded(decoded["gb18030"], "gb18030")
        return Decoded(decoded["big5"], "big5")
    if "gb18030" in decoded:
        return Decoded(decoded["gb18030"], "gb18030")
    if "big5" in decoded:
        return Decoded(decoded["big5"], "big5")
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
                return Decoded(text, best.encoding)
        except (UnicodeDecodeError, LookupError):
            pass
    utf8_bad = _count_bad(data, "utf-8")
    gb_bad = _count_bad(data, "gb18030")
    enc = "utf-8" if utf8_bad <= gb_bad else "gb18030"
    return _strict_or_replace(data, enc, enc)


def _count_bad(data: bytes, enc: str) -> int:
    return data.decode(enc, errors="replace").count("\ufffd")


def _strict_or_replace(data: bytes, codec: str, label: str) -> Decoded:
    try:
        return Decoded(data.decode(codec), label)
    except UnicodeDecodeError:
        text = data.decode(codec, errors="replace")
        bad = text.count("\ufffd")
        return Decoded(text, label, [f"decoded as {label} with {bad} invalid byte sequence(s) replaced by U+FFFD"])


def _canonical_codec(name: str) -> str | None:
    import codecs

    name = name.strip().strip("\"'").lower()
    if name in ("gb2312", "gbk", "gb18030", "x-gbk", "cp936", "euc-cn"):
        return "gb18030"
    if name in ("big5", "big5-hkscs", "cp950", "x-x-big5"):
        return "big5"
    try:
        return codecs.lookup(name).name
    except LookupError:
        return None


# --------------------------------------------------------------------------- formats
_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9_\-]+)""", re.I)
_HTML_DROP = ("script", "style", "noscript", "nav", "header", "footer", "aside", "form", "iframe", "button", "select", "svg", "template", "object")
_HTML_BLOCK = {
    "p", "div", "br", "li", "ul", "ol", "tr", "table", "h1", "h2", "h3", "h4", "h5", "h6",
    "section", "article", "blockquote", "pre", "dd", "dt", "dl", "hr", "td", "th", "main", "body", "title",
}
_BOILER_ATTR = re.compile(r"(^|[\s_\-])(nav|navbar|menu|breadcrumbs?|crumbs?|location|position|footer|foot|bottom|share|sharing|bdshare|sidebar|side-bar|toolbar|copyright|header|topbar|related|pager|pagination|pre_?next|prev_?next)([\s_\-]|$)", re.I)


def decode_html(data: bytes) -> Decoded:
    """HTML -> main text lines. Honours a BOM or the page's declared charset; drops scripts,
    styles, navigation, headers/footers and elements whose class/id says menu/share/footer."""
    m = _META_CHARSET.search(data[:4096])
    declared = m.group(1).decode("ascii", "ignore") if m else None
    decoded = decode_bytes(data, declared)
    from lxml import etree, html as lxml_html

    markup = re.sub(r"^<\?xml[^>]*\?>", "", decoded.text.lstrip())
    if not markup.strip():
        return Decoded("", decoded.encoding, decoded.flags)
    try:
        parser = lxml_html.HTMLParser(remove_comments=True, remove_pis=True, huge_tree=False)
        root = lxml_html.document_fromstring(markup, parser=parser)
    except (etree.ParserError, ValueError) as err:
        raise Skip("unreadable", f"malformed HTML: {err}") from err
    title_el = root.find(".//title")
    page_title = T.normalize(title_el.text_content()) if title_el is not None and title_el.text else ""
    for bad in root.iter(*_HTML_DROP, "head"):
        bad.drop_tree() if bad.getparent() is not None else None
    for el in list(root.iter()):
        if not isinstance(el.tag, str) or el.getparent() is None:
            continue
        attrs = " ".join(filter(None, [el.get("class"), el.get("id"), el.get("role")]))
        if attrs and _BOILER_ATTR.search(attrs) and el.tag not in ("body", "html", "main", "article"):
            el.drop_tree()
    body = next((el for el in (root.find(".//article"), root.find(".//main"), root.find(".//body")) if el is not None), root)
    parts: list[str] = []
    # iterative walk (no recursion: deeply nested pages must not overflow the stack)
    for event, el in etree.iterwalk(body, events=("start", "end")):
        if not isinstance(el.tag, str):
            if event == "end" and el.tail:
                parts.append(el.tail)
            continue
        tag = el.tag.lower()
        if event == "start":
            if tag in _HTML_BLOCK:
                parts.append("\n")
            if el.text:
                parts.append(el.text)
        else:
            if tag in _HTML_BLOCK:
                parts.append("\n")
            if el.tail and el is not body:
                parts.append(el.tail)
    text = "".join(parts)
    flags = list(decoded.flags)
    has_h1 = body.find(".//h1") is not None
    if page_title and not has_h1:
        page_title = re.split(r"\s*[_|｜]\s*|\s+[-–—]\s+", page_title)[0].strip()
        if page_title and page_title not in text[:500]:
            text = page_title + "\n" + text
    return Decoded(text, decoded.encoding + (f" (declared {declared})" if declared else ""), flags)


def decode_docx(path: Path, data: bytes, settings: Settings) -> Decoded:
    """.docx -> paragraphs and table rows, after checking the zip is not a bomb."""
    import io

    try:
        zf = zipfile.ZipFile(io.BytesIO(data))
    except zipfile.BadZipFile as err:
        raise Skip("unreadable", f"corrupt .docx (not a valid zip archive: {err})") from err
    with zf:
        infos = zf.infolist()
        total = sum(i.file_size for i in infos)
        packed = max(1, sum(i.compress_size for i in infos))
        if total > settings.max_docx_uncompressed or (total > 10_000_000 and total / packed > settings.max_docx_ratio):
            raise Skip(
                "unreadable",
                f"refused: .docx would inflate to {total / 1e6:.0f} MB ({total / packed:.0f}x its size); looks like a zip bomb",
            )
        if "word/document.xml" not in zf.namelist():
            raise Skip("unreadable", "corrupt .docx: word/document.xml is missing")
    try:
        import docx  # python-docx
        from docx.oxml.ns import qn
    except ImportError as err:  # pragma: no cover
        raise Skip("unsupported", "python-docx is not installed: pip install python-docx") from err
    try:
        document = docx.Document(io.BytesIO(data))
    except Exception as err:  # noqa: BLE001
        raise Skip("unreadable", f"corrupt .docx: {type(err).__name__}: {err}"[:300]) from err
    lines: list[tuple[str, str]] = []
    body = document.element.body
    for child in body.iterchildren():
        if child.tag == qn("w:p"):
            text = "".join(t.text or "" for t in child.iter(qn("w:t")))
            style = ""
            ppr = child.find(qn("w:pPr"))
            if ppr is not None:
                ps = ppr.find(qn("w:pStyle"))
                if ps is not None:
                    style = (ps.get(qn("w:val")) or "").lower()
            kind = "heading" if style.startswith("heading") or style.startswith("title") or style in ("1", "2", "3") else ""
            lines.append((kind, text))
        elif child.tag == qn("w:tbl"):
            for tr in child.iter(qn("w:tr")):
                cells = []
                for tc in tr.iter(qn("w:tc")):
                    cells.append("".join(t.text or "" for t in tc.iter(qn("w:t"))).strip())
                row = " | ".join(c for c in cells if c)
                if row:
                    lines.append(("table", row))
    return Decoded("\n".join(t for _, t in lines), "docx", lines_hint=lines)


def decode_pdf(path: Path, data: bytes) -> Decoded:
    """PDF with a text layer -> text with hard line breaks re-joined into paragraphs."""
    import io
    import logging

    try:
        from pypdf import PdfReader
        from pypdf.errors import PdfReadError
    except ImportError as err:  # pragma: no cover
        raise Skip("unsupported", "pypdf is not installed: pip install pypdf") from err
    logging.getLogger("pypdf").setLevel(logging.ERROR)
    try:
        reader = PdfReader(io.BytesIO(data), strict=False)
        if reader.is_encrypted:
            try:
                if not reader.decrypt(""):
                    raise Skip("unreadable", "encrypted PDF (password required); export an unprotected copy")
            except Skip:
                raise
            except Exception as err:  # noqa: BLE001
                raise Skip("unreadable", f"encrypted PDF cannot be opened: {err}"[:300]) from err
        pages = []
        for page in reader.pages:
            pages.append(page.extract_text() or "")
    except Skip:
        raise
    except (PdfReadError, Exception) as err:  # noqa: BLE001
        raise Skip("unreadable", f"corrupt or malformed PDF: {type(err).__name__}: {err}"[:300]) from err
    raw = "\n".join(pages)
    if T.han_count(raw) < 10 and len(re.sub(r"\s", "", raw)) < 50:
        raise Skip("unreadable", f"PDF has no text layer ({len(pages)} page(s), looks scanned); run OCR first")
    return Decoded(_join_pdf_lines(raw), "pdf")


_ENTITY = re.compile(r"&(?:nbsp|ensp|emsp|thinsp|quot|amp|lt|gt|apos|middot|hellip|mdash|ndash|ldquo|rdquo|lsquo|rsquo|#\d{2,6}|#x[0-9a-fA-F]{2,6});")
_SENT_END = "。！？!?；;：:”」』)）"


def _join_pdf_lines(raw: str) -> str:
    out: list[str] = []
    for line in T.normalize(raw).split("\n"):
        line = line.strip()
        if not line:
            continue
        if re.fullmatch(r"[-—\s]*\d+[-—\s]*|第\s*\d+\s*页.*", line):
            continue  # page numbers
        if out and out[-1] and out[-1][-1] not in _SENT_END and not _heading_level(line)[0] and not _heading_level(out[-1])[0]:
            out[-1] += line
        else:
            out.append(line)
    return "\n".join(out)


_MD_HEADING = re.compile(r"^\s{0,3}(#{1,6})\s+(.*?)\s*#*\s*$")
_MD_RULE = re.compile(r"^\s{0,3}([-*_])(\s*\1){2,}\s*$")
_MD_TABLE_SEP = re.compile(r"^\s*\|?\s*:?-{2,}:?\s*(\|\s*:?-{2,}:?\s*)*\|?\s*$")
_MD_BULLET = re.compile(r"^\s*[-*+]\s+")
_MD_QUOTE = re.compile(r"^\s*(>\s?)+")
_MD_IMAGE = re.compile(r"!\[[^\]]*\]\([^)]*\)")
_MD_LINK = re.compile(r"\[([^\]]*)\]\([^)]*\)")
_MD_EMPH = re.compile(r"(\*\*|__|\*|`)(?=\S)(.+?)(?<=\S)\1")


def markdown_lines(text: str) -> list[tuple[str, str]]:
    """Markdown -> (kind hint, plain text) lines: '#' headings become headings, table rows
    become table rows (cells joined by ' | '), bullets, quotes, emphasis, links and images
    lose their markup; rules and table separators are dropped."""
    out: list[tuple[str, str]] = []
    for line in T.normalize_newlines(text).split("\n"):
        if _MD_RULE.match(line) or _MD_TABLE_SEP.match(line):
            continue
        kind = ""
        m = _MD_HEADING.match(line)
        if m:
            kind, line = "heading", m.group(2)
        elif line.strip().startswith("|") and line.strip().endswith("|") and line.count("|") >= 2:
            cells = [c.strip() for c in line.strip().strip("|").split("|")]
            kind, line = "table", " | ".join(c for c in cells if c)
        line = _MD_QUOTE.sub("", _MD_BULLET.sub("", line))
        line = _MD_LINK.sub(r"\1", _MD_IMAGE.sub("", line))
        prev = None
        while prev != line:
            prev, line = line, _MD_EMPH.sub(r"\2", line)
        out.append((kind, line))
    return out


def decode_file(path: Path, data: bytes, settings: Settings) -> Decoded:
    ext = path.suffix.lower()
    if ext == ".docx":
        return decode_docx(path, data, settings)
    if ext == ".pdf":
        if not data.startswith(b"%PDF"):
            raise Skip("unreadable", "not a PDF (no %PDF header); file is truncated or mislabelled")
        return decode_pdf(path, data)
    if ext == ".doc":
        raise Skip("unsupported", "legacy Word .doc: save it as .docx and re-run")
    if looks_binary(data):
        raise Skip("unreadable", "binary content in a text file (NUL/control bytes)")
    if ext in HTML_EXT:
        return decode_html(data)
    if ext in TEXT_EXT:
        decoded = decode_bytes(data)
        if _ENTITY.search(decoded.text):  # web-scraped text often keeps '&nbsp;', '&quot;'
            import html

            decoded.text = _ENTITY.sub(lambda m: html.unescape(m.group(0)), decoded.text)
        if ext in (".md", ".markdown"):
            decoded.lines_hint = markdown_lines(decoded.text)
        return decoded
    raise Skip("unsupported", f"unsupported file type '{ext or path.name}' (supported: .txt .md .html .htm .docx .pdf)")


# --------------------------------------------------------------------------- boilerplate
_WIDGET_WORDS = (
    "微信扫一扫", "扫一扫", "分享到", "分享至", "打印本页", "打印 纠错", "纠错", "收听本文", "关闭窗口", "【关闭】", "【打印】",
    "返回顶部", "字号", "浏览次数", "点击数", "阅读次数", "访问量", "手机版", "加入收藏", "设为首页", "无障碍", "繁体",
    "微博", "QQ空间", "朋友圈", "小程序", "公众号", "登录", "注册",
)
_WIDGET_RE = re.compile("|".join(map(re.escape, _WIDGET_WORDS)))  # any of them, as a substring
_EXACT_WIDGETS = {"打印", "关闭", "分享", "收藏", "×", "x", "X", "返回", "更多", "【打印】", "【关闭】", "[打印]", "[关闭]", "相关信息", "相关阅读", "相关新闻", "相关链接", "推荐阅读", "延伸阅读", "热点推荐", "热门文章", "相关文章"}
_RULES: list[tuple[str, re.Pattern]] = [
    ("prev/next", re.compile(r"^(上一篇|下一篇|上一条|下一条|上篇|下篇)\s*[:：]?")),
    ("breadcrumb", re.compile(r"^(当前位置|您的位置|你的位置|您现在的位置|所在位置|位置)\s*[:：]|^(首页|主页|网站首页)\s*(>|＞|»|›|/|\||｜)")),
    ("phone", re.compile(r"(服务热线|咨询热线|热线电话|联系电话|联系方式|传真|邮编|邮政编码|电子邮箱|举报电话|客服电话|电话)\s*[:：]|^[\d\s\-()（）+转]{7,}$")),
    ("editor", re.compile(r"^[•·\s(（\[【]*(责任编辑|责编|编辑|审核|审校|校对|作者|撰稿|摄影|供稿|通讯员|初审|复审|终审)\s*[:：]")),
    ("copyright", re.compile(r"版权所有|Copyright|copyright|©|ICP备|ICP证|公网安备|技术支持\s*[:：]|主办单位\s*[:：]|承办单位\s*[:：]|网站标识码|本站声明|转载请注明")),
    ("welcome", re.compile(r"^欢迎(来到|访问|光临).{0,40}(网|网站|平台|主页)[!!。]?$")),
    ("site header", re.compile(r"^.{0,20}-{4,}.{0,60}$")),
]
_ANY_RULE = re.compile("|".join(f"(?:{rx.pattern})" for _, rx in _RULES))  # one search for content lines
_MENU_SEP = re.compile(r"\s*[|｜]\s*|\s{2,}| (?=\S{1,8}(?: |$))")
_PUBDATE = re.compile(
    r"(发布时间|发布日期|发表时间|发表日期|发文日期|发稿时间|更新时间|录入时间|时间|日期|来源时间|published)\s*[:：]?\s*"
    r"((?:19|20)\d\d)\s*[-年/.]\s*(\d{1,2})\s*[-月/.]\s*(\d{1,2})"
)
_DATE_RE = re.compile(r"((?:19|20)\d\d)\s*[-年/.]\s*(\d{1,2})\s*[-月/.]\s*(\d{1,2})\s*日?")
_SOURCE = re.compile(r"(?:来源|稿件来源|文章来源|信息来源|转自|出处)\s*[:：]\s*([^\s,，;；)）]{2,40}?)(?=\s|$|[,，;；)）]|编辑|作者|发布|浏览|打印)")
_AUTHOR_SYS = re.compile(r"作者系\s*([^)）;；。]{2,60})")
_SIGN_DATE = re.compile(r"^((?:19|20)\d\d)\s*年\s*(\d{1,2})\s*月\s*(\d{1,2})\s*日$")
_ORG_SUFFIX = re.compile(r"(党委|党组|工委|委员会|党支部|总支|机关|办公室|办公厅|政府|中学|大学|学院|学校|研究院|研究所|集团|公司|宣传部|组织部|纪委|监委|协会|编辑部)$")
_TERMINAL = "。！？!?；;…"


def _iso(m: re.Match) -> str:
    y, mo, d = int(m.group(m.lastindex - 2)), int(m.group(m.lastindex - 1)), int(m.group(m.lastindex))
    try:
        return _date(y, mo, d).isoformat()
    except ValueError:
        return ""


_SENTENCE_PUNCT = re.compile("[。，,；;!！?？]")
_CELL_PUNCT = re.compile("[。，,；;：:！!？?、]")


def _is_menu(line: str) -> bool:
    if len(line) > 120 or _SENTENCE_PUNCT.search(line):
        return False
    bars = [p for p in re.split(r"\s*[|｜]\s*", line) if p.strip()]
    if len(bars) >= 3 and all(len(p) <= 12 for p in bars):
        return True  # 'Home | About | Contact', '主页 | 关于 | 联系'
    parts = [p for p in re.split(r"\s+", line) if p]
    if len(parts) < 3 or not all(T.has_han(p) for p in parts):
        return False
    return all(len(p) <= 8 for p in parts) and sum(len(p) for p in parts) <= 90


def classify_line(line: str) -> str | None:
    """Name of the boilerplate rule a line matches, or None for content."""
    s = line.strip()
    if not s:
        return None
    if len(s) > 150:  # long lines are content unless they are a prev/next link line
        return "prev/next" if _RULES[0][1].search(s) else None
    if s in _EXACT_WIDGETS:
        return "widget"
    if not T.has_han(s) and not re.search(r"[A-Za-z]{2,}", s):
        return "no text"  # '1 1 1', '…………', '00:00/00:00'
    if _ANY_RULE.search(s):
        for name, rx in _RULES:
            if rx.search(s) and (name not in ("phone", "copyright", "editor") or len(s) <= 80):
                return name
    if len(s) <= 40 and _WIDGET_RE.search(s):
        return "widget"
    if _PUBDATE.search(s) and (len(s) <= 60 or re.search(r"来源|编辑|浏览|作者|打印|点击", s)):
        return "metadata"
    if _is_menu(s):
        return "menu"
    return None


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
_SHI_RX = re.compile(rf"^(第?[{_CN_NUM}]+是|首先|其次|再次|最后)[,，:：]?")


# all levels in one pattern: the first alternative that matches is the first level in order
_HEADING_ANY = re.compile("|".join(f"(?P<h{level}>{rx.pattern.removeprefix('^')})" for level, rx in _HEADING_RX))


def _heading_level(line: str) -> tuple[int, re.Match | None]:
    m = _HEADING_ANY.match(line)
    return (int(m.lastgroup[1:]), m) if m else (0, None)


def _is_short_title(line: str, limit: int = 40) -> bool:
    return len(line) <= limit and line[-1] not in _TERMINAL + "：:，," and "。" not in line


def _lead(line: str, limit: int = 40) -> str:
    """The leading phrase of a self-titled item ('1.带头做到“两个维护”。把…' -> '1.带头做到“两个维护”')."""
    m = re.match(r"^(.{2,%d}?)[。；;：:！!？?]" % limit, line)
    return m.group(1) if m else ""


# --------------------------------------------------------------------------- document assembly
def _clean_lines(items: list[tuple[int, str, str]]) -> tuple[list[tuple[int, str, str]], list[tuple[int, str, str]]]:
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
    has_numbered_top = any(_heading_level(t)[0] in (1, 2) for _, t in lines)

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
        level, m = _heading_level(line)
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
        elif _SHI_RX.match(line):
            emit("item", line, path(_lead(line)))
        elif _is_short_title(line, 30) and next_line and not _is_short_title(next_line, 30) and not _heading_level(next_line)[0]:
            push(2 if not has_numbered_top else 8, line)
            emit("heading", line, path())
        else:
            emit("body", line, path())
        i += 1
    return paras


def _is_cell(line: str) -> bool:
    return len(line) <= 12 and not _CELL_PUNCT.search(line) and not _heading_level(line)[0]


def _filename_date(name: str) -> tuple[int | None, str]:
    m = re.search(r"(?<!\d)((?:19|20)\d\d)[-_.]?(\d{2})[-_.]?(\d{2})(?!\d)", name)
    if m:
        try:
            return int(m.group(1)), _date(int(m.group(1)), int(m.group(2)), int(m.group(3))).isoformat()
        except ValueError:
            pass
    m = re.search(r"(?<!\d)((?:19|20)\d\d)(?!\d)", name)
    if m:
        return int(m.group(1)), ""
    return None, ""


_TEXT_YEAR = re.compile(r"(?<![\d到至迄])((?:19|20)\d\d)\s*年(?!代|远景|前后)")


def _text_year(body: str, max_year: int) -> int | None:
    years = [int(y) for y in _TEXT_YEAR.findall(body)]
    years = [y for y in years if 1921 <= y <= max_year]
    return max(years) if years else None


def build_document(rel_path: str, decoded: Decoded, sheet_meta: dict | None, settings: Settings) -> Document:
    """Decoded text -> Document (metadata + paragraphs). Pure: no file access."""
    if decoded.lines_hint is not None:
        items = [(no, T.normalize(t).replace("\n", " "), k) for no, (k, t) in enumerate(decoded.lines_hint, start=1)]
    else:
        items = [(no, t, "") for no, t in enumerate(T.normalize(decoded.text).split("\n"), start=1)]
    kept, removed = _clean_lines(items)

    # metadata from removed meta lines and the kept text
    published = ""
    source = ""
    org = ""
    all_lines = sorted([(no, t) for no, _, t in removed] + [(no, t) for no, t, _ in kept])
    for _, t in all_lines:
        if not published:
            m = _PUBDATE.search(t)
            if m and (len(t) <= 80 or re.search(r"来源|编辑|浏览|作者|打印|点击", t)):
                published = _iso(m)
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
        if len(t) <= 80 and t[-1] not in "。；;，,：:" and not _SHI_RX.match(t) and not (_heading_level(t)[0] and idx > 0):
            title = t
            title_idx.append(idx)
            if idx + 1 < len(kept) and re.match(r"^[—－-]{1,2}", kept[idx + 1][1]) and len(kept[idx + 1][1]) <= 80:
                title += kept[idx + 1][1]
                title_idx.append(idx + 1)
            break
        if len(t) > 80:
            break
    if title_idx:
        # a byline right after the title ('中央网信办机关党委') is the issuing body
        nxt = title_idx[-1] + 1
        if nxt < len(kept):
            cand = kept[nxt][1]
            if len(cand) <= 25 and _ORG_SUFFIX.search(cand) and not _heading_level(cand)[0]:
                org = org or cand
                title_idx.append(nxt)
        for idx in title_idx:
            no, t, _ = kept[idx]
            removed.append((no, "title" if t in title else "byline", t))
        kept = [row for i, row in enumerate(kept) if i not in set(title_idx)]

    # a signature date on its own line near the end ('2020年1月15日') is a publication date
    if not published:
        body_max = _text_year("\n".join(t for _, t, _ in kept), _date.today().year + 1) or 0
        for no, t, _ in kept[-3:]:
            m = _SIGN_DATE.match(t)
            # a closing date no earlier than any year the text mentions (not a list entry)
            if m and int(m.group(1)) >= body_max:
                published = _iso(m)
    if not org:
        for no, t, _ in kept[-4:]:
            if len(t) <= 25 and _ORG_SUFFIX.search(t) and not _heading_level(t)[0]:
                org = t

    body_text = "\n".join(t for _, t, _ in kept)
    doc_id = hashlib.sha256((title + "\n" + body_text).encode("utf-8")).hexdigest()[:16]
    paragraphs = structure([(k, t) for _, t, k in kept], doc_id, settings.max_paragraph_chars)

    # year, by precedence
    max_year = _date.today().year + 1
    year = None
    year_source = ""
    date_iso = ""
    name = Path(rel_path).name
    title_year = None
    m = re.search(r"(?<!\d)((?:19|20)\d\d)\s*(年|学年|年度)", title)
    if m:
        title_year = int(m.group(1))
    fn_year, fn_date = _filename_date(name)
    if sheet_meta and sheet_meta.get("year"):
        year, year_source = int(sheet_meta["year"]), "sheet"
        date_iso = sheet_meta.get("date", "")
    elif published:
        year, year_source, date_iso = int(published[:4]), "published", published
    elif title_year:
        year, year_source = title_year, "title"
    elif fn_year and MIN_YEAR <= fn_year <= max_year:
        year, year_source, date_iso = fn_year, "filename", fn_date
    else:
        ty = _text_year(body_text, max_year)
        if ty:
            year, year_source = ty, "text"
    if not date_iso:
        date_iso = published or fn_date if year_source != "sheet" else date_iso
    if sheet_meta:
        title = sheet_meta.get("title") or title
        org = sheet_meta.get("org") or org
        source = sheet_meta.get("source") or source

    flags = list(decoded.flags)
    if paragraphs and T.han_count(body_text) < 0.05 * max(1, len(body_text)):
        flags.append("no Chinese text")
    if "\ufffd" in body_text and not any("U+FFFD" in f for f in flags):
        flags.append("contains U+FFFD replacement characters")
    return Document(
        doc_id=doc_id,
        path=rel_path,
        title=title,
        date=date_iso,
        year=year,
        year_source=year_source,
        org=org,
        source=source,
        encoding=decoded.encoding,
        paragraphs=paragraphs,
        removed=sorted(removed),
        flags=flags,
    )


def ingest_file(path: Path, raw_dir: Path, sheet_meta: dict | None = None, settings: Settings = Settings()) -> tuple[LogRow, Document | None]:
    """One file -> (log row, document or None). Never raises for bad input."""
    path = Path(path)
    try:
        rel = path.relative_to(raw_dir).as_posix()
    except ValueError:
        rel = path.as_posix()
    try:
        try:
            st = path.stat()
        except FileNotFoundError:
            raise Skip("unreadable", "file disappeared before it could be read")
        if not stat.S_ISREG(st.st_mode):
            raise Skip("unreadable", "not a regular file")
        if path.suffix.lower() not in SUPPORTED_EXT | {".doc"}:
            raise Skip("unsupported", f"unsupported file type '{path.suffix.lower() or path.name}' (supported: .txt .md .html .htm .docx .pdf)")
        if st.st_size > settings.max_file_bytes:
            raise Skip("unreadable", f"file is {st.st_size / 1e6:.0f} MB, over the {settings.max_file_bytes / 1e6:.0f} MB limit (Settings.max_file_bytes)")
        try:
            with open(path, "rb") as fh:
                data = fh.read(settings.max_file_bytes + 1)
        except FileNotFoundError:
            raise Skip("unreadable", "file disappeared before it could be read")
        except PermissionError:
            raise Skip("unreadable", "permission denied")
        except OSError as err:
            raise Skip("unreadable", f"read error: {err.strerror or err}")
        if not data.strip():
            raise Skip("empty", "empty file" if not data else "only whitespace")
        decoded = decode_file(path, data, settings)
        if not decoded.text.strip():
            raise Skip("empty", "no text after decoding")
        doc = build_document(rel, decoded, sheet_meta, settings)
        if not doc.paragraphs:
            raise Skip("empty", f"no body text left after removing {len(doc.removed)} boilerplate line(s)")
    except Skip as skip:
        return LogRow(rel, skip.status, skip.reason), None
    except MemoryError:
        return LogRow(rel, "unreadable", "out of memory while reading; file too large"), None
    except RecursionError:
        return LogRow(rel, "unreadable", "structure nested too deeply to parse"), None
    except Exception as err:  # noqa: BLE001 - one bad file never stops a batch
        return LogRow(rel, "unreadable", f"unexpected {type(err).__name__}: {err}"[:300]), None
    reason = f"{len(doc.paragraphs)} paragraphs, {doc.n_chars} chars, {doc.encoding}; year {doc.year or '?'} ({doc.year_source or 'unknown'})"
    if doc.flags:
        reason += "; " + "; ".join(doc.flags)
    return LogRow(rel, "ok", reason, doc.doc_id), doc


def sheet_lookup(meta: dict[str, dict], rel: str) -> dict | None:
    return meta.get(rel) or meta.get(Path(rel).name)


def iter_documents(raw_dir: Path, settings: Settings = Settings()) -> Iterator[tuple[LogRow, Document | None]]:
    """Stream (log row, document) over a folder in path order, duplicates resolved."""
    raw_dir = Path(raw_dir)
    files, sheets, log = discover(raw_dir, settings)
    meta, sheet_log = read_sheets(sheets, raw_dir)
    for row in log + sheet_log:
        yield row, None
    seen: dict[str, str] = {}
    for path in files:
        rel = path.relative_to(raw_dir).as_posix()
        row, doc = ingest_file(path, raw_dir, sheet_lookup(meta, rel), settings)
        if doc is not None:
            if doc.doc_id in seen:
                yield LogRow(rel, "duplicate", f"same text as {seen[doc.doc_id]} (doc_id {doc.doc_id}); kept once", doc.doc_id), None
                continue
            seen[doc.doc_id] = rel
        yield row, doc
