"""What a run tells the CLI: counts, problems, files written, stage timings, the exit code.
Every name in it is shown escaped (:func:`pipeline.ingest.display_text`: no raw control
character, escape sequence or undecodable byte of a file name reaches the terminal)."""

from __future__ import annotations

import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from pipeline.ingest import display_path, display_text


@dataclass
class RunSummary:
    out_dir: Path
    counts: Counter = field(default_factory=Counter)
    n_documents: int = 0
    n_paragraphs: int = 0
    seconds: float = 0.0
    cached: int = 0
    recomputed: int = 0  # cache blobs that failed their checksum, version or shape check
    files: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    timings: dict = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)  # checks on the results (e.g. yearly series with a doubled year)
    classifier: str = ""  # the classifier's measured quality and how the shares were corrected (classifier.json)

    def file_counts(self) -> Counter:
        """Statuses of input files only (metadata sheets and their rows are counted apart), so
        that ``ok`` equals the documents and the counts add up to the files found."""
        return Counter({k: v for k, v in self.counts.items() if not k.startswith("sheet")})

    def failed(self) -> list[str]:
        """The input files that could not become documents (for ``--strict``)."""
        return [p.split(": ", 1)[0] for p in self.problems if not p.split(": ")[1:2] or not p.split(": ")[1].startswith("sheet")]

    def text(self) -> str:
        files = self.file_counts()
        status = ", ".join(f"{k} {v}" for k, v in sorted(files.items()))
        sheet = self.counts.get("sheet-row", 0)
        lines = [
            f"{self.n_documents} documents, {self.n_paragraphs} paragraphs from {sum(files.values())} files ({status}) in {self.seconds:.1f}s"
            + (f"; {self.cached} from cache" if self.cached else "")
            + (f"; metadata sheets: {sheet} row(s) need a look" if sheet else "")
            + (f"; {self.recomputed} cache blobs recomputed (damaged or of another version)" if self.recomputed else ""),
        ]
        for p in self.problems[:20]:
            lines.append(f"  ! {display_text(p)}")
        if len(self.problems) > 20:
            lines.append(f"  ! ... {len(self.problems) - 20} more in ingest_log.csv")
        for note in self.notes[:10]:
            lines.append(f"  ~ {display_text(note)}")
        if self.classifier:
            lines.append(f"Classifier: {self.classifier}")
        lines.append(f"Outputs in {display_path(self.out_dir)}: " + ", ".join(self.files))
        if self.timings:
            lines.append("Stages: " + ", ".join(f"{k} {v:.1f}s" for k, v in self.timings.items()))
        return "\n".join(lines)

    def exit_code(self, strict: bool = False) -> int:
        if self.n_documents == 0:
            return 1
        if strict and any(k not in ("ok", "duplicate") for k in self.file_counts()):
            return 1
        return 0

    def strict_line(self) -> str:
        """The last line of a ``--strict`` run that failed: which files."""
        bad = self.failed()
        shown = ", ".join(bad[:10]) + (f" and {len(bad) - 10} more" if len(bad) > 10 else "")
        return f"strict: {len(bad)} file(s) could not be ingested: {shown} (reasons in ingest_log.csv)"


def summarize(out_dir, acc, docs, paras, files, t0) -> RunSummary:
    """The summary of a finished run from its collector (``acc``: logs, paragraph count, cache
    hits), its documents frame and the files written; ``t0`` is the run's start (perf_counter)."""
    s = RunSummary(out_dir=Path(out_dir))
    s.counts = Counter("sheet" if r["reason"].startswith("metadata sheet") else r["status"] for r in acc.logs)
    s.n_documents = len(docs)
    s.n_paragraphs = acc.n_paragraphs
    s.cached = acc.cached
    s.recomputed = acc.rejected
    s.files = files
    s.problems = [
        display_text(f"{r['path']}: {r['status']}: {r['reason']}")
        for r in acc.logs
        if r["status"] not in ("ok", "duplicate") and not r["reason"].startswith("README/")
    ]
    s.seconds = time.perf_counter() - t0
    return s


def no_documents(raw_dir, out_dir, logs: list[dict]):
    """The error of a run that found no document: what it found instead, in one line."""
    from pipeline.errors import NoDocuments

    raw_dir, out_dir = display_path(raw_dir), display_path(out_dir)
    hint = f"add reports (.txt .md .html .htm .docx .pdf) to {raw_dir}; nothing in {out_dir} was changed"
    if not logs:
        return NoDocuments(f"no report files in {raw_dir}", hint)
    counts = Counter(r["status"] for r in logs)
    status = ", ".join(f"{k} {v}" for k, v in sorted(counts.items()))
    first = "; ".join(f"{r['path']}: {r['reason']}" for r in logs[:3])
    return NoDocuments(f"no documents in {raw_dir}: {len(logs)} files, none usable ({status}; {first[:300]})", hint)
