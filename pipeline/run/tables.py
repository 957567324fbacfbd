"""The run's tables: the columns of the streamed tables (paragraphs, removed lines, documents),
their writers, and writing finished frames as CSV (+ Parquet) with :mod:`pipeline.store`."""

from __future__ import annotations

from pathlib import Path

from pipeline import schema

PARA_COLUMNS = schema.columns("paragraphs")
REMOVED_COLUMNS = schema.columns("removed_lines")
REMOVED_TYPES = dict(schema.REMOVED_LINES.types)
DOC_COLUMNS = schema.columns("documents")


def para_spec(labels: list[str] | None) -> tuple[list[str], dict]:
    """Columns and Parquet types of paragraphs.csv (with label and p_<category> columns when
    the run classifies): :func:`pipeline.schema.paragraph_columns`."""
    return schema.paragraph_columns(labels)


def document_columns(rows: list[dict]) -> list[str]:
    """documents.csv's columns: the contract columns, then every other column the rows carry (the
    analyst's sheet columns), in the order first seen."""
    extra = dict.fromkeys(k for row in rows for k in row if k not in DOC_COLUMNS)
    return DOC_COLUMNS + list(extra)


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
