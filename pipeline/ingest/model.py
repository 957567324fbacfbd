"""The ingest data model: a :class:`Document` with its :class:`Paragraph` rows, one
:class:`LogRow` per input file, and :class:`Skip`, the exception that turns a file into a
log row with a reason."""

from __future__ import annotations

from dataclasses import dataclass, field

YEAR_SOURCES = ("sheet", "published", "title", "filename", "text")
STATUSES = ("ok", "duplicate", "empty", "unreadable", "unsupported")


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
