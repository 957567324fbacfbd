"""The run's tables: the columns of the streamed tables (paragraphs, removed lines, documents),
their writers, and writing finished frames as CSV (+ Parquet) with :mod:`pipeline.store`."""

from __future__ import annotations

from pathlib import Path

PARA_COLUMNS = ["doc_id", "para_id", "heading", "kind", "text", "n_chars"]
REMOVED_COLUMNS = ["doc_id", "path", "line_no", "rule", "text"]
REMOVED_TYPES = {"line_no": "int"}
DOC_COLUMNS = ["doc_id", "path", "title", "date", "year", "year_source", "org", "source", "n_chars", "n_paragraphs", "encoding", "flags"]


def para_spec(labels: list[str] | None) -> tuple[list[str], dict]:
    """Columns and Parquet types of paragraphs.csv (with label and p_<category> columns when
    the run classifies)."""
    cols = PARA_COLUMNS + (["label"] + [f"p_{lab}" for lab in labels] + ["uncertain"] if labels else [])
    types = {"para_id": "int", "n_chars": "int", "uncertain": "bool"} | {f"p_{lab}": "float" for lab in labels or []}
    return cols, types


def para_writer(out_dir: Path, labels: list[str] | None):
    from pipeline.store import TableWriter

    cols, types = para_spec(labels)
    return TableWriter(out_dir / "paragraphs.csv", cols, types=types)


def removed_writer(out_dir: Path):
    from pipeline.store import TableWriter

    return TableWriter(out_dir / "removed_lines.csv", REMOVED_COLUMNS, types=REMOVED_TYPES)


def write_tables(out_dir: Path, tables: dict, parquet: bool = True) -> list[str]:
    from pipeline.store import write_csv

    written = []
    for name, df in tables.items():
        write_csv(out_dir / f"{name}.csv", df, parquet=parquet)
        written.append(f"{name}.csv")
    return written
