"""The ingest data model: a :class:`Document` with its :class:`Paragraph` rows, one
:class:`LogRow` per input file, and :class:`Skip`, the exception that turns a file into a
log row with a reason.

Paths and reasons are data: a :class:`LogRow`'s path and reason and a :class:`Document`'s
path are escaped for display when built (see :func:`pipeline.ingest.files.display_text`:
undecodable bytes as ``\\xNN``, control characters escaped), so no table and no terminal
ever receives a raw file name."""

from __future__ import annotations

import os
import unicodedata
from dataclasses import dataclass, field

#: which rule gave ``year``: the analyst's sheet; a covered period (pipeline.ingest.period); else the
#: publication date's source; else a year in the title or the latest year the body mentions
YEAR_SOURCES = ("sheet", "stated", "annual-previous", "annual-current", "plan", "published", "signature", "filename", "title", "text")
#: ``link``: a symlink that resolves outside the input folder (or into the output folder or a
#: system folder) and was not followed
STATUSES = ("ok", "duplicate", "empty", "unreadable", "unsupported", "link", "sheet-row")


def display_text(text: str) -> str:
    """A str -> the same text with undecodable bytes (surrogate escapes) as ``\\xNN`` and
    control, format, surrogate and line-separator characters escaped (``\\n``, ``\\x1b``,
    ``\\u202e``). Idempotent (backslashes are kept); printable text is returned unchanged."""
    if text.isprintable():
        return text
    out = []
    for ch in text:
        if unicodedata.category(ch) not in ("Cc", "Cf", "Cs", "Zl", "Zp"):
            out.append(ch)
            continue
        cp = ord(ch)
        if 0xDC80 <= cp <= 0xDCFF:  # a byte that was not UTF-8 (os.fsdecode's surrogate escape)
            out.append(f"\\x{cp - 0xDC00:02x}")
        elif ch in "\n\r\t":
            out.append({"\n": "\\n", "\r": "\\r", "\t": "\\t"}[ch])
        elif cp < 0x100:
            out.append(f"\\x{cp:02x}")
        else:
            out.append(f"\\u{cp:04x}")
    return "".join(out)


def display_path(path) -> str:
    """A path (str with surrogate escapes, bytes or Path) -> printable one-line text."""
    return display_text(os.fsdecode(path))


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
    """One ingested document. ``pub_date``/``pub_year``: when it was published; ``report_year``: the
    period it covers (None when unknown); ``year``: the analysis year, ``report_year`` when known,
    else ``pub_year`` (``year_source`` names the rule). ``meta``: every column of the analyst's
    sheet row, carried into documents.csv as it was written."""

    doc_id: str
    path: str
    title: str
    pub_date: str
    year: int | None
    year_source: str
    org: str
    source: str
    encoding: str
    paragraphs: list[Paragraph]
    removed: list[tuple[int, str, str]] = field(default_factory=list)  # (line_no, rule, text)
    flags: list[str] = field(default_factory=list)
    pub_year: int | None = None
    report_year: int | None = None
    genre: str = ""
    meta: dict = field(default_factory=dict)

    @property
    def date(self) -> str:  # the name before pub_date
        return self.pub_date

    def __post_init__(self) -> None:
        self.path = display_path(self.path)

    @property
    def n_chars(self) -> int:
        return sum(p.n_chars for p in self.paragraphs)

    def as_row(self) -> dict:
        return {
            "doc_id": self.doc_id,
            "path": self.path,
            "title": self.title,
            "pub_date": self.pub_date,
            "pub_year": self.pub_year,
            "report_year": self.report_year,
            "year": self.year,
            "year_source": self.year_source,
            "genre": self.genre,
            "org": self.org,
            "source": self.source,
            "n_chars": self.n_chars,
            "n_paragraphs": len(self.paragraphs),
            "encoding": self.encoding,
            "flags": "|".join(self.flags),
        } | {k: v for k, v in self.meta.items() if k not in _CORE_COLUMNS}


_CORE_COLUMNS = frozenset(
    {
        "doc_id",
        "path",
        "title",
        "pub_date",
        "pub_year",
        "report_year",
        "year",
        "year_source",
        "genre",
        "org",
        "source",
        "n_chars",
        "n_paragraphs",
        "encoding",
        "flags",
    }
)


@dataclass
class LogRow:
    path: str
    status: str
    reason: str
    doc_id: str = ""

    def __post_init__(self) -> None:
        self.path = display_path(self.path)
        self.reason = display_text(self.reason)

    def as_row(self) -> dict:
        return {"path": self.path, "status": self.status, "reason": self.reason, "doc_id": self.doc_id}


class Skip(Exception):
    """A file that cannot become a document; ``status`` is one of STATUSES."""

    def __init__(self, status: str, reason: str):
        super().__init__(reason)
        self.status = status
        self.reason = reason
