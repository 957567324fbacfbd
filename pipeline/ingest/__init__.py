"""The ingest stage: raw files -> documents with metadata and structured paragraphs. Never segments.

The submodules, in the order the data flows through them (each imports only the ones above it):

    model        Document, Paragraph, LogRow, Skip; display_path / display_text (file names as data)
    files        opening inputs safely (regular files only, no link out of the folder); hashes
    walk         discover: the files under data/raw, sheets found, folders and links skipped
    dates        dates and years in strings (publication lines, signatures, file names)
    sheets       the analyst's metadata sheets: file -> dates, years, title, org, genre, every column
                 (guarded by size, rows, cells)
    period       publication vs covered year (report_year), genre
    readable     is a text plausibly Chinese or English (garbage fonts, mojibake are not)
    lines        normalised lines held compactly; decoded text streamed into them
    decode       bytes -> str for any common Chinese encoding (chosen and decoded incrementally)
    paragraphs   heading levels; lines -> paragraphs with heading paths
    formats      txt / md / html / docx / pdf -> decoded text
    boilerplate  which lines are web boilerplate; dropping them
    assemble     decoded text -> Document (title, byline, dates, year, paragraphs)
    document     ingest_file (one file -> log row, document) and iter_documents (a folder)

Every failure becomes a :class:`LogRow` with a one-line reason; nothing here raises for bad
input. ``data/raw`` is only ever opened for reading, and only through
:func:`~pipeline.ingest.files.open_regular` (regular files, no link out of the folder).

Public names are re-exported lazily: importing the package imports no submodule (and nothing
heavy). A name is looked up in its submodule on every access, not cached here, so a test
that patches ``pipeline.ingest.<submodule>.<name>`` is seen by callers that use
``from pipeline.ingest import <name>``.
"""

from __future__ import annotations

import importlib

_EXPORTS: dict[str, str] = {
    # model
    "Document": "model",
    "LogRow": "model",
    "Paragraph": "model",
    "STATUSES": "model",
    "Skip": "model",
    "YEAR_SOURCES": "model",
    "display_path": "model",
    "display_text": "model",
    # files
    "BytesFile": "files",
    "RegularFile": "files",
    "hash_regular_file": "files",
    "link_refusal": "files",
    "open_regular": "files",
    "path_bytes": "files",
    "read_regular_file": "files",
    # walk
    "SHEET_NAMES": "walk",
    "SKIP_NAMES": "walk",
    "discover": "walk",
    # sheets
    "read_sheets": "sheets",
    "sheet_lookup": "sheets",
    "unmatched_rows": "sheets",
    # period
    "covered_year": "period",
    "genre_of": "period",
    "parse_when": "period",
    # readable
    "Readability": "readable",
    "measure": "readable",
    # lines
    "Lines": "lines",
    "text_lines": "lines",
    # decode
    "Decoded": "decode",
    "decode_bytes": "decode",
    "looks_binary": "decode",
    # paragraphs
    "structure": "paragraphs",
    # formats
    "HTML_EXT": "formats",
    "SUPPORTED_EXT": "formats",
    "TEXT_EXT": "formats",
    "decode_docx": "formats",
    "decode_file": "formats",
    "decode_html": "formats",
    "decode_pdf": "formats",
    "decode_source": "formats",
    "markdown_lines": "formats",
    # boilerplate
    "classify_line": "boilerplate",
    # assemble
    "MIN_YEAR": "assemble",
    "build_document": "assemble",
    # document
    "ingest_file": "document",
    "iter_documents": "document",
}
_SUBMODULES = (
    "model",
    "files",
    "walk",
    "dates",
    "sheets",
    "period",
    "readable",
    "lines",
    "decode",
    "paragraphs",
    "formats",
    "boilerplate",
    "assemble",
    "document",
)

__all__ = sorted(_EXPORTS)


def __getattr__(name: str):
    if name in _EXPORTS:
        return getattr(importlib.import_module(f"{__name__}.{_EXPORTS[name]}"), name)
    if name in _SUBMODULES:  # ``pipeline.ingest.walk`` before anything imported it
        return importlib.import_module(f"{__name__}.{name}")
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_EXPORTS) | set(_SUBMODULES))
