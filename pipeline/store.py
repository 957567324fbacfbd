"""Atomic, Excel-safe writing of outputs (temp file + rename), and tolerant reading of CSVs.

Every file the pipeline writes goes through here, so a killed run leaves either the previous
complete file or the new complete file, never a truncated one.
"""

from __future__ import annotations

import contextlib
import csv
import io
import os
import tempfile
from pathlib import Path
from typing import Iterable, Iterator, Sequence

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def escape_formula(value):
    """OWASP CSV-injection defence: a cell starting with = + - @ TAB CR gets a leading quote.

    Numbers are left alone (a negative number is data, not a formula).
    """
    if isinstance(value, str) and value and value[0] in FORMULA_PREFIXES:
        return "'" + value
    return value


@contextlib.contextmanager
def atomic_path(path: Path | str) -> Iterator[Path]:
    """Yield a temporary path next to ``path``; rename it over ``path`` only on success."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(fd)
    tmp_path = Path(tmp)
    try:
        yield tmp_path
        with open(tmp_path, "rb+") as fh:
            os.fsync(fh.fileno())
        os.replace(tmp_path, path)
    finally:
        if tmp_path.exists():
            tmp_path.unlink()


def write_bytes(path: Path | str, data: bytes) -> Path:
    with atomic_path(path) as tmp:
        tmp.write_bytes(data)
    return Path(path)


def write_text(path: Path | str, text: str) -> Path:
    return write_bytes(path, text.encode("utf-8"))


def csv_bytes(rows: Iterable[Sequence], header: Sequence[str]) -> bytes:
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\r\n")
    writer.writerow(header)
    for row in rows:
        writer.writerow([escape_formula(v) for v in row])
    return ("\ufeff" + buf.getvalue()).encode("utf-8")


def write_csv(path: Path | str, df, *, parquet: bool = False) -> Path:
    """Write a DataFrame as UTF-8-with-BOM CSV, formula cells escaped; optional Parquet copy
    that keeps the original text."""
    cols = list(df.columns)
    rows = df.astype(object).where(df.notna(), "").itertuples(index=False, name=None)
    write_bytes(path, csv_bytes(rows, cols))
    if parquet:
        write_parquet(Path(path).with_suffix(".parquet"), df)
    return Path(path)


def write_parquet(path: Path | str, df) -> Path:
    with atomic_path(path) as tmp:
        df.to_parquet(tmp, index=False)
    return Path(path)


def unescape_formula(value):
    if isinstance(value, str) and len(value) > 1 and value[0] == "'" and value[1] in FORMULA_PREFIXES:
        return value[1:]
    return value


def read_csv(path: Path | str, **kwargs):
    """Read a CSV we or an analyst wrote: UTF-8 with or without BOM, all cells as strings."""
    import pandas as pd

    kwargs.setdefault("dtype", str)
    kwargs.setdefault("keep_default_na", False)
    return pd.read_csv(path, encoding="utf-8-sig", **kwargs)
