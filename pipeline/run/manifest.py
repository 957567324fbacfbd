"""The up-to-date manifest (OUT_DIR/.cache/manifest.json): the run key of the last finished run
and its summary, so an unchanged re-run is answered without reading a document."""

from __future__ import annotations

import json
import time
from collections import Counter
from pathlib import Path

from pipeline.run.cache import CACHE_DIR
from pipeline.run.summary import RunSummary

MANIFEST = "manifest.json"
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
    return Path(out_dir) / CACHE_DIR / MANIFEST


def up_to_date(out_dir: Path, key: str, report: bool) -> dict | None:
    """The manifest when it has ``key`` and every output is there, else None."""
    try:
        manifest = json.loads(manifest_path(out_dir).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if manifest.get("key") != key:
        return None
    needed = [out_dir / f"{n}.csv" for n in OUTPUT_NAMES] + ([out_dir / "report.html"] if report else [])
    return manifest if all(p.exists() for p in needed) else None


def unchanged_summary(out_dir: Path, manifest: dict, t0: float) -> RunSummary:
    """The summary of a run answered from the manifest (``t0``: its start, perf_counter)."""
    s = RunSummary(out_dir=out_dir, counts=Counter(manifest["counts"]), n_documents=manifest["n_documents"], n_paragraphs=manifest["n_paragraphs"])
    s.files = ["unchanged since the last run: outputs are up to date"]
    s.problems = manifest.get("problems", [])
    s.seconds = time.perf_counter() - t0
    return s


def write_manifest(out_dir: Path, key: str, summary: RunSummary) -> None:
    """Record a finished run (written last: a run that fails leaves no manifest)."""
    from pipeline.store import write_text

    write_text(
        manifest_path(out_dir),
        json.dumps(
            {
                "key": key,
                "counts": dict(summary.counts),
                "n_documents": summary.n_documents,
                "n_paragraphs": summary.n_paragraphs,
                "problems": summary.problems,
            },
            ensure_ascii=False,
        ),
    )
