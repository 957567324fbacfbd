"""The ingest entry point: one file -> (log row, document or None), and a folder -> a stream
of them in path order with duplicates resolved.

    read bytes -> decode (formats, decode) -> normalize -> drop boilerplate lines
    -> title / byline / dates -> paragraphs with heading paths -> Document   (assemble)

Every failure becomes a :class:`LogRow` with a one-line reason; nothing here raises for bad
input. ``data/raw`` is only ever opened for reading.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from pipeline.config import Settings
from pipeline.ingest.assemble import build_document
from pipeline.ingest.files import open_regular, relative_name
from pipeline.ingest.formats import SUPPORTED_EXT, decode_source
from pipeline.ingest.model import Document, LogRow, Skip, display_path
from pipeline.ingest.readable import measure
from pipeline.ingest.sheets import read_sheets, sheet_lookup
from pipeline.ingest.walk import discover


def ingest_file(path: Path, raw_dir: Path, sheet_meta: dict | None = None, settings: Settings = Settings()) -> tuple[LogRow, Document | None]:
    """One file -> (log row, document or None). Never raises for bad input.

    The file is opened once (:func:`pipeline.ingest.files.open_regular`: no FIFO, device or
    link swapped in after discovery is followed or waited on) and read from that handle."""
    path = Path(path)
    rel = relative_name(path, raw_dir)
    try:
        if path.suffix.lower() not in SUPPORTED_EXT | {".doc"}:
            raise Skip("unsupported", f"unsupported file type '{path.suffix.lower() or path.name}' (supported: .txt .md .html .htm .docx .pdf)")
        with open_regular(path, follow_links=settings.follow_links, raw_dir=raw_dir, max_bytes=settings.max_file_bytes) as src:
            if src.size > settings.max_file_bytes:
                raise Skip(
                    "unreadable", f"file is {src.size / 1e6:.0f} MB, over the {settings.max_file_bytes / 1e6:.0f} MB limit (Settings.max_file_bytes)"
                )
            try:
                if src.is_blank():
                    raise Skip("empty", "empty file" if not src.size else "only whitespace")
                decoded = decode_source(path, src, settings)
            except OSError as err:
                raise Skip("unreadable", f"read error: {err.strerror or err}") from err
        if not decoded.has_text:
            raise Skip("empty", "no text after decoding")
        doc = build_document(rel, decoded, sheet_meta, settings)
        if not doc.paragraphs:
            raise Skip("empty", f"no body text left after removing {len(doc.removed)} boilerplate line(s)")
        readability = measure(p.text for p in doc.paragraphs)
        if not readability.plausible:
            raise Skip("unreadable", readability.reason())
    except Skip as skip:
        return LogRow(rel, skip.status, skip.reason), None
    except MemoryError:
        return LogRow(rel, "unreadable", "out of memory while reading; file too large"), None
    except RecursionError:
        return LogRow(rel, "unreadable", "structure nested too deeply to parse"), None
    except Exception as err:
        return LogRow(rel, "unreadable", f"unexpected {type(err).__name__}: {err}"[:300]), None
    reason = f"{len(doc.paragraphs)} paragraphs, {doc.n_chars} chars, {doc.encoding}; year {doc.year or '?'} ({doc.year_source or 'unknown'})"
    if doc.flags:
        reason += "; " + "; ".join(doc.flags)
    return LogRow(rel, "ok", reason, doc.doc_id), doc


def iter_documents(raw_dir: Path, settings: Settings = Settings(), out_dir: Path | None = None) -> Iterator[tuple[LogRow, Document | None]]:
    """Stream (log row, document) over a folder in path order, duplicates resolved. Links
    into ``out_dir`` (when given) are never followed."""
    raw_dir = Path(raw_dir)
    files, sheets, log = discover(raw_dir, settings, out_dir)
    meta, sheet_log = read_sheets(sheets, raw_dir, settings)
    for row in log + sheet_log:
        yield row, None
    seen: dict[str, str] = {}
    for path in files:
        rel = relative_name(path, raw_dir)
        row, doc = ingest_file(path, raw_dir, sheet_lookup(meta, rel), settings)
        if doc is not None:
            if doc.doc_id in seen:
                yield LogRow(rel, "duplicate", f"same text as {display_path(seen[doc.doc_id])} (doc_id {doc.doc_id}); kept once", doc.doc_id), None
                continue
            seen[doc.doc_id] = rel
        yield row, doc
