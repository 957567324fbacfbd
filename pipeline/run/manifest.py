"""The unchanged-run shortcut: the generation manifest (``OUT_DIR/.dangjian-run.json``, see
:mod:`pipeline.store.generation`) records the run key of the outputs it names and the run's
summary, so an unchanged re-run is answered without reading a document, but only after checking
that the inputs' bytes (their content hashes, cached by inode/size/mtime/ctime) and every
output file (present, same size and SHA-256) are what that run saw and wrote."""

from __future__ import annotations

import time
from collections import Counter
from pathlib import Path

from pipeline.run.summary import RunSummary
from pipeline.store.generation import GENERATION, read_generation, verify

#: the generation manifest's file name, in OUT_DIR
MANIFEST = GENERATION
OUTPUT_NAMES = (
    "documents",
    "paragraphs",
    "ingest_log",
    "removed_lines",
    "term_counts",
    "term_trends",
    "candidates",
    "keyword_frequencies",
    "keywords_by_year",
    "category_shares",
)


def manifest_path(out_dir: Path) -> Path:
    return Path(out_dir) / MANIFEST


def previous_run(out_dir: Path) -> dict | None:
    """The generation manifest of the outputs now in ``out_dir`` (None: none)."""
    return read_generation(out_dir)


def up_to_date(out_dir: Path, manifest: dict | None, key: str, report: bool, hashes=None) -> bool:
    """Whether ``manifest`` has ``key``, names every output a run writes (report.html too when
    ``report``) and every file it names is in ``out_dir`` whole (size and SHA-256)."""
    if manifest is None or manifest.get("key") != key or not isinstance(manifest.get("summary"), dict):
        return False
    needed = [f"{n}.csv" for n in OUTPUT_NAMES] + (["report.html"] if report else [])
    if any(n not in manifest["files"] for n in needed):
        return False
    return not verify(out_dir, manifest, hashes)


def unchanged_summary(out_dir: Path, manifest: dict, t0: float) -> RunSummary:
    """The summary of a run answered from the manifest (``t0``: its start, perf_counter)."""
    rec = manifest["summary"]
    s = RunSummary(
        out_dir=out_dir, counts=Counter(rec.get("counts", {})), n_documents=rec.get("n_documents", 0), n_paragraphs=rec.get("n_paragraphs", 0)
    )
    s.files = ["unchanged since the last run: outputs are up to date"]
    s.problems = rec.get("problems", [])
    s.classifier = str(rec.get("classifier", ""))
    s.seconds = time.perf_counter() - t0
    return s


def run_record(key: str | None, static: str | None, summary: RunSummary) -> dict:
    """What the generation manifest keeps of a run besides its files."""
    return {
        "key": key,
        "static_key": static,
        "summary": {
            "counts": dict(summary.counts),
            "n_documents": summary.n_documents,
            "n_paragraphs": summary.n_paragraphs,
            "problems": summary.problems,
            "classifier": summary.classifier,
        },
    }
