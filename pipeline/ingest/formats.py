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
from pipeline.ingest.decode import Decoded, decode_bytes, looks_binary
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
    from lxml import etree, html as lxml_html

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


def _cfb_reason(data: bytes) -> str:
    """Why a .docx that is an OLE2 container cannot be read: Word saves a password-protected
    .docx as a CFB holding ``EncryptedPackage``; anything else is a legacy .doc renamed."""
    if _ENCRYPTED_PACKAGE in data:
        return "encrypted .docx (password required); save an unprotected copy and re-run"
    return "legacy Word .doc saved with a .docx name: save it as .docx and re-run"


def decode_docx(path: Path, data: bytes, settings: Settings) -> Decoded:
    """.docx -> paragraphs and table rows, after checking the zip is not a bomb."""
    import io

    if data.startswith(_CFB_MAGIC):
        raise Skip("unreadable", _cfb_reason(data))
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
