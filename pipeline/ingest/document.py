"""The ingest entry point: one file -> (log row, document or None), and a folder -> a stream
of them in path order with duplicates resolved.

    read bytes -> decode (formats, decode) -> normalize -> drop boilerplate lines
    -> title / byline / dates -> paragraphs with heading paths -> Document   (assemble)

Every failure becomes a :class:`LogRow` with a one-line reason; nothing here raises for bad
input. ``data/raw`` is only ever opened for reading.
"""

from __future__ import annotations

import stat
from pathlib import Path
from typing import Iterator

from pipeline.config import Settings
from pipeline.ingest.assemble import build_document
from pipeline.ingest.formats import SUPPORTED_EXT, decode_file
from pipeline.ingest.model import Document, LogRow, Skip
from pipeline.ingest.sheets import read_sheets, sheet_lookup
from pipeline.ingest.walk import discover


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
            raise Skip(
                "unreadable", f"file is {st.st_size / 1e6:.0f} MB, over the {settings.max_file_bytes / 1e6:.0f} MB limit (Settings.max_file_bytes)"
            )
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
    except Exception as err:
        return LogRow(rel, "unreadable", f"unexpected {type(err).__name__}: {err}"[:300]), None
    reason = f"{len(doc.paragraphs)} paragraphs, {doc.n_chars} chars, {doc.encoding}; year {doc.year or '?'} ({doc.year_source or 'unknown'})"
    if doc.flags:
        reason += "; " + "; ".join(doc.flags)
    return LogRow(rel, "ok", reason, doc.doc_id), doc


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
