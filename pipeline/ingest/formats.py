"""File formats -> :class:`Decoded` text: plain text and Markdown, HTML (the main text
without page furniture), ``.docx`` (paragraphs, heading styles and tables, after a zip-bomb
check) and PDF (the text layer, hard line breaks re-joined). :func:`decode_file` picks one
by extension; a file that cannot be read raises :class:`Skip` with a reason."""

from __future__ import annotations

import re
import zipfile
from pathlib import Path

from pipeline import text as T
from pipeline.config import Settings
from pipeline.ingest.decode import Decoded, choose_codec, decode_bytes, iter_text, looks_binary
from pipeline.ingest.files import BytesFile, RegularFile
from pipeline.ingest.lines import Lines, text_lines
from pipeline.ingest.model import Skip
from pipeline.ingest.paragraphs import heading_level

TEXT_EXT = {".txt", ".md", ".text", ".markdown"}
HTML_EXT = {".html", ".htm", ".xhtml", ".shtml"}
SUPPORTED_EXT = TEXT_EXT | HTML_EXT | {".docx", ".pdf"}


_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9_\-]+)""", re.I)
_HTML_DROP = ("script", "style", "noscript", "nav", "header", "footer", "aside", "form", "iframe", "button", "select", "svg", "template", "object")
_HTML_BLOCK = {
    "p", "div", "br", "li", "ul", "ol", "tr", "table", "h1", "h2", "h3", "h4", "h5", "h6",
    "section", "article", "blockquote", "pre", "dd", "dt", "dl", "hr", "td", "th", "main", "body", "title",
}
_BOILER_ATTR = re.compile(r"(^|[\s_\-])(nav|navbar|menu|breadcrumbs?|crumbs?|location|position|footer|foot|bottom|share|sharing|bdshare|sidebar|side-bar|toolbar|copyright|header|topbar|related|pager|pagination|pre_?next|prev_?next)([\s_\-]|$)", re.I)


_DATA_URI = re.compile(r"data:[\w/+.;=-]{0,100},[A-Za-z0-9+/=%\s]{256,}")
_INVISIBLE = re.compile(r"<script\b.*?</script\s*>|<style\b.*?</style\s*>|<!--.*?-->", re.I | re.S)
_TAG = re.compile(r"<[^>]*>")
SHRINK_TOLERANCE = 0.9  # the parse must keep this share of the markup's Han characters


def _visible(markup: str) -> str:
    """A page's text as a regex sees it (no parser): scripts, styles, comments and tags
    removed. The yardstick for what the parser must deliver, and what a charset is judged on."""
    return _TAG.sub(" ", _INVISIBLE.sub(" ", markup))


def _overrule_charset(data: bytes, declared: str, decoded: Decoded) -> Decoded:
    """A declared charset whose decoding is not plausible text (a GBK page declaring
    iso-8859-1 becomes 'Â¼ÓÇ¿'), while the bytes read as UTF-8 / GB18030 / Big5 give plausible
    Chinese, is overruled; the encoding says so and the document is flagged."""
    from pipeline.ingest.readable import measure

    if not re.search(rb"[\x80-\xff]", data) or measure([_visible(decoded.text)]).plausible:
        return decoded
    found = decode_bytes(data)
    text = _visible(found.text)
    if found.encoding == decoded.encoding or T.han_count(text) < 10 or not measure([text]).plausible:
        return decoded
    found.flags = [*found.flags, f"declared charset {declared} overruled: the bytes are {found.encoding} Chinese text"]
    found.encoding = f"{found.encoding} (declared {declared}, overruled)"
    return found


def _parse_html(markup: str, huge: bool):
    from lxml import etree
    from lxml import html as lxml_html

    try:
        parser = lxml_html.HTMLParser(remove_comments=True, remove_pis=True, huge_tree=huge)
        return lxml_html.document_fromstring(markup, parser=parser)
    except (etree.ParserError, ValueError) as err:
        raise Skip("unreadable", f"malformed HTML: {err}") from err


def decode_html(data: bytes) -> Decoded:
    """HTML -> main text lines. Honours a BOM or the page's declared charset (overruled when it
    turns Chinese bytes into mojibake); drops scripts, styles, navigation, headers/footers and
    elements whose class/id says menu/share/footer. Inline ``data:`` URIs (a 10 MB base64
    image) are dropped before parsing, and a parse that loses text (libxml2 stops at a node
    over 10 MB) is retried without that limit, then flagged if text is still missing."""
    m = _META_CHARSET.search(data[:4096])
    declared = m.group(1).decode("ascii", "ignore") if m else None
    decoded = decode_bytes(data, declared)
    if declared and not data.startswith((b"\xef\xbb\xbf", b"\xff\xfe", b"\xfe\xff")):
        decoded = _overrule_charset(data, declared, decoded)
        declared = None if "overruled" in decoded.encoding else declared
    from lxml import etree

    markup = re.sub(r"^<\?xml[^>]*\?>", "", decoded.text.lstrip())
    if not markup.strip():
        return Decoded("", decoded.encoding, decoded.flags)
    if "data:" in markup:
        markup = _DATA_URI.sub("data:,", markup)
    root = _parse_html(markup, huge=False)
    expected = T.han_count(_visible(markup))
    got = T.han_count(root.text_content())
    if got < SHRINK_TOLERANCE * expected and expected - got >= 20:
        root = _parse_html(markup, huge=True)  # bounded: the page is under Settings.max_file_bytes
        got = T.han_count(root.text_content())
    lost = got < SHRINK_TOLERANCE * expected and expected - got >= 20
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
    if lost:
        flags.append(f"HTML parser lost text: {got:,} of the page's {expected:,} Han characters came out")
    has_h1 = body.find(".//h1") is not None
    if page_title and not has_h1:
        page_title = re.split(r"\s*[_|｜]\s*|\s+[-–—]\s+", page_title)[0].strip()
        if page_title and page_title not in text[:500]:
            text = page_title + "\n" + text
    return Decoded(text, decoded.encoding + (f" (declared {declared})" if declared else ""), flags)


_CFB_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # an OLE2 / Compound File Binary container
_ENCRYPTED_PACKAGE = "EncryptedPackage".encode("utf-16-le")  # the stream Office writes for a password


def _cfb_reason(src: RegularFile) -> str:
    """Why a .docx that is an OLE2 container cannot be read: Word saves a password-protected
    .docx as a CFB holding ``EncryptedPackage``; anything else is a legacy .doc renamed."""
    if _contains(src, _ENCRYPTED_PACKAGE):
        return "encrypted .docx (password required); save an unprotected copy and re-run"
    return "legacy Word .doc saved with a .docx name: save it as .docx and re-run"


_W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"


def _contains(src: RegularFile, needle: bytes) -> bool:
    tail = b""
    for chunk in src.chunks():
        if needle in tail + chunk[: len(needle)] or needle in chunk:
            return True
        tail = chunk[-len(needle) :]
    return False


def decode_docx(path: Path, data: bytes | RegularFile, settings: Settings) -> Decoded:
    """.docx -> paragraphs and table rows, after checking the zip is not a bomb.

    ``word/document.xml`` is read with ``lxml.etree.iterparse`` and every top-level element
    is cleared once its text is taken: memory follows the largest paragraph or table, not the
    document (a 40 MB .docx of tiny paragraphs held 7.7 GiB as a python-docx tree)."""
    src = data if isinstance(data, RegularFile) else BytesFile(data)
    if src.head(len(_CFB_MAGIC)) == _CFB_MAGIC:
        raise Skip("unreadable", _cfb_reason(src))
    with src.fileobj() as fh:
        try:
            zf = zipfile.ZipFile(fh)
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
                with zf.open("word/document.xml") as xml:
                    lines = _docx_lines(xml)
            except Skip:
                raise
            except Exception as err:  # noqa: BLE001 - XML errors, a damaged zip member
                raise Skip("unreadable", f"corrupt .docx: {type(err).__name__}: {err}"[:300]) from err
    return Decoded("", "docx", lines=lines)


def _docx_lines(xml) -> Lines:
    """The body's paragraphs (kind 'heading' for heading and title styles) and table rows
    (cells joined by ' | '), streamed; entities are not resolved, nothing is fetched."""
    from lxml import etree

    lines = Lines()
    body, para, table = _W + "body", _W + "p", _W + "tbl"
    text_tag, row_tag, cell_tag = _W + "t", _W + "tr", _W + "tc"
    events = etree.iterparse(xml, events=("end",), tag=(para, table), resolve_entities=False, no_network=True, huge_tree=True, load_dtd=False)
    for _, el in events:
        parent = el.getparent()
        if parent is None or parent.tag != body:
            continue  # a paragraph inside a table: read with its table
        if el.tag == para:
            text = "".join(el.itertext(text_tag, with_tail=False))
            style = ""
            ppr = el.find(_W + "pPr")
            if ppr is not None:
                ps = ppr.find(_W + "pStyle")
                if ps is not None:
                    style = (ps.get(_W + "val") or "").lower()
            kind = "heading" if style.startswith("heading") or style.startswith("title") or style in ("1", "2", "3") else ""
            lines.add_raw(kind, text)
        else:
            for tr in el.iter(row_tag):
                cells = ["".join(tc.itertext(text_tag, with_tail=False)).strip() for tc in tr.iter(cell_tag)]
                row = " | ".join(c for c in cells if c)
                if row:
                    lines.add_raw("table", row)
        el.clear()
        while el.getprevious() is not None:  # what came before (done, or not p/tbl) is freed
            del parent[0]
    return lines


def decode_text(src: RegularFile, *, markdown: bool = False) -> Decoded:
    """A text or Markdown file -> :class:`Lines`, decoded incrementally from the handle (the
    encoding is chosen by passes that stop at their first error): memory follows the largest
    line, not the file."""
    plan = choose_codec(src)
    bad = 0

    def pieces():
        nonlocal bad
        for piece in iter_text(src, plan):
            if not plan.strict:
                bad += piece.count("\ufffd")
            yield piece

    lines = text_lines(pieces(), entities=True, markdown=markdown_lines if markdown else None)
    return Decoded("", plan.label, plan.flags(bad), lines=lines)


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


_SENT_END = "。！？!?；;：:”」』)）"


def _join_pdf_lines(raw: str) -> str:
    out: list[str] = []
    for line in T.normalize(raw).split("\n"):
        line = line.strip()
        if not line:
            continue
        if re.fullmatch(r"[-—\s]*\d+[-—\s]*|第\s*\d+\s*页.*", line):
            continue  # page numbers
        if out and out[-1] and out[-1][-1] not in _SENT_END and not heading_level(line)[0] and not heading_level(out[-1])[0]:
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


def decode_source(path: Path, src: RegularFile, settings: Settings) -> Decoded:
    """An opened file -> :class:`Decoded`, by extension. Text and .docx are streamed from the
    handle; HTML and PDF are read whole (their parsers need it; the file is under
    Settings.max_file_bytes)."""
    ext = path.suffix.lower()
    if ext == ".docx":
        return decode_docx(path, src, settings)
    if ext == ".pdf":
        if not src.head(4).startswith(b"%PDF"):
            raise Skip("unreadable", "not a PDF (no %PDF header); file is truncated or mislabelled")
        return decode_pdf(path, src.read())
    if ext == ".doc":
        raise Skip("unsupported", "legacy Word .doc: save it as .docx and re-run")
    if looks_binary(src.head(8192)):
        raise Skip("unreadable", "binary content in a text file (NUL/control bytes)")
    if ext in HTML_EXT:
        return decode_html(src.read())
    if ext in TEXT_EXT:
        return decode_text(src, markdown=ext in (".md", ".markdown"))
    raise Skip("unsupported", f"unsupported file type '{ext or path.name}' (supported: .txt .md .html .htm .docx .pdf)")


def decode_file(path: Path, data: bytes, settings: Settings) -> Decoded:
    """Bytes in memory -> :class:`Decoded` (see :func:`decode_source`)."""
    return decode_source(path, BytesFile(data), settings)
