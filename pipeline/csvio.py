"""Excel-safe CSV cells and files: UTF-8 with BOM, CRLF, formula cells escaped (OWASP CSV
injection), an optional Parquet copy with the original text; and tolerant reading of CSVs we or
an analyst wrote. Bottom layer: the stages read analysts' CSVs with it, the store writes tables."""

from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import Iterable, Sequence

from pipeline.atomic import atomic_path, write_bytes

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
_PREFIX_SET = frozenset(FORMULA_PREFIXES)


def escape_column(values: list) -> list:
    """OWASP CSV-injection defence over a column: a text cell starting with = + - @ TAB CR gets a
    leading quote; numbers are left alone (a negative number is data, not a formula)."""
    return [("'" + v) if isinstance(v, str) and v[:1] in _PREFIX_SET else v for v in values]


def csv_text(columns: Sequence[list], header: Sequence[str] | None = None) -> str:
    """Columns of cells -> CSV text (CRLF, formula-escaped), with a header row if given."""
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\r\n")
    if header is not None:
        writer.writerow(header)
    writer.writerows(zip(*[escape_column(col) for col in columns]))
    return buf.getvalue()


def escape_frame(df):
    """``df`` with the formula guard of :func:`escape_column` applied to every text cell, vectorised
    (column by column with pandas string methods; numbers and missing values untouched)."""
    import pandas as pd

    out = {}
    for col in df.columns:
        s = df[col]
        if s.dtype == object or pd.api.types.is_string_dtype(s):
            is_text = s.map(type).eq(str) if s.dtype == object else s.notna()
            first = s.where(is_text, "").astype(str).str[:1]
            hit = first.isin(FORMULA_PREFIXES) & is_text
            if hit.any():
                s = s.mask(hit, "'" + s[hit].astype(str))
        out[col] = s
    return pd.DataFrame(out, index=df.index, columns=df.columns)


def write_csv(path: Path | str, df, *, parquet: bool = False) -> Path:
    """Write a DataFrame as UTF-8-with-BOM CSV (CRLF), formula cells escaped, through
    ``DataFrame.to_csv``; optional Parquet copy that keeps the original text."""
    text = escape_frame(df).to_csv(index=False, lineterminator="\r\n", na_rep="")
    write_bytes(path, ("\ufeff" + text).encode("utf-8"))
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


def render_rows(rows: Iterable[dict], columns: Sequence[str], types: dict | None = None) -> tuple[str, dict[str, list]]:
    """Rows -> (CSV text, formula-escaped; columns as lists for Parquet, original text, None
    for a missing number). Pure, so worker processes can do it for :meth:`TableWriter.write_rendered`."""
    types = types or {}
    rows = rows if isinstance(rows, list) else list(rows)
    # column by column; a missing value (None, NaN) is '' (inlined: once per cell)
    cols = {c: ["" if v is None or (isinstance(v, float) and v != v) else v for v in [row.get(c) for row in rows]] for c in columns}
    text = csv_text([cols[c] for c in columns])
    for c in columns:
        if types.get(c, "string") != "string":  # '' means missing for numbers
            cols[c] = [None if v == "" else v for v in cols[c]]
    return text, cols
