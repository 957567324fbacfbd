"""The ingest stage: raw files -> documents with metadata and structured paragraphs. Never segments.

The submodules, in the order the data flows through them (each imports only the ones above it):

    model        Document, Paragraph, LogRow, Skip
    walk         discover: the files under data/raw, sheets found, folders skipped
    dates        dates and years in strings (publication lines, signatures, file names)
    sheets       the analyst's metadata sheets: file -> dates, years, title, org, genre, every column
    period       publication vs covered year (report_year), genre
    decode       bytes -> str for any common Chinese encoding
    paragraphs   heading levels; lines -> paragraphs with heading paths
    formats      txt / md / html / docx / pdf -> decoded text
    boilerplate  which lines are web boilerplate; dropping them
    assemble     decoded text -> Document (title, byline, dates, year, paragraphs)
    document     ingest_file (one file -> log row, document) and iter_documents (a folder)

Every failure becomes a :class:`LogRow` with a one-line reason; nothing here raises for bad
input. ``data/raw`` is only ever opened for reading.

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
_SUBMODULES = ("model", "files", "walk", "dates", "sheets", "period", "decode", "paragraphs", "formats", "boilerplate", "assemble", "document")

__all__ = sorted(_EXPORTS)


def __getattr__(name: str):
    if name in _EXPORTS:
        return getattr(importlib.import_module(f"{__name__}.{_EXPORTS[name]}"), name)
    if name in _SUBMODULES:  # ``pipeline.ingest.walk`` before anything imported it
        return importlib.import_module(f"{__name__}.{name}")
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_EXPORTS) | set(_SUBMODULES))
