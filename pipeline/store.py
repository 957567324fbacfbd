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
_PREFIX_SET = frozenset(FORMULA_PREFIXES)


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def _publish(tmp: Path, path: Path) -> None:
    """mkstemp creates 0600 files: give the output the usual permissions, then rename."""
    os.chmod(tmp, 0o666 & ~_umask())
    os.replace(tmp, path)


@contextlib.contextmanager
def atomic_path(path: Path | str, *, fsync: bool = True) -> Iterator[Path]:
    """Yield a temporary path next to ``path``; rename it over ``path`` only on success.

    ``fsync=False`` skips the flush to disk (for caches, where a lost file is recomputed)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(fd)
    tmp_path = Path(tmp)
    try:
        yield tmp_path
        if fsync:
            with open(tmp_path, "rb+") as fh:
                os.fsync(fh.fileno())
        _publish(tmp_path, path)
    finally:
        if tmp_path.exists():
            tmp_path.unlink()


def write_bytes(path: Path | str, data: bytes, *, fsync: bool = True) -> Path:
    with atomic_path(path, fsync=fsync) as tmp:
        tmp.write_bytes(data)
    return Path(path)


def write_text(path: Path | str, text: str) -> Path:
    return write_bytes(path, text.encode("utf-8"))


def _escaped(values: list) -> list:
    """OWASP CSV-injection defence over a column: a text cell starting with = + - @ TAB CR gets a
    leading quote; numbers are left alone (a negative number is data, not a formula)."""
    return [("'" + v) if isinstance(v, str) and v[:1] in _PREFIX_SET else v for v in values]


def _csv_text(columns: Sequence[list], header: Sequence[str] | None = None) -> str:
    """Columns of cells -> CSV text (CRLF, formula-escaped), with a header row if given."""
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\r\n")
    if header is not None:
        writer.writerow(header)
    writer.writerows(zip(*[_escaped(col) for col in columns]))
    return buf.getvalue()


def write_csv(path: Path | str, df, *, parquet: bool = False) -> Path:
    """Write a DataFrame as UTF-8-with-BOM CSV, formula cells escaped; optional Parquet copy
    that keeps the original text."""
    cells = df.astype(object).where(df.notna(), "")
    columns = [cells.iloc[:, i].tolist() for i in range(cells.shape[1])]
    write_bytes(path, ("\ufeff" + _csv_text(columns, list(df.columns))).encode("utf-8"))
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
    text = _csv_text([cols[c] for c in columns])
    for c in columns:
        if types.get(c, "string") != "string":  # '' means missing for numbers
            cols[c] = [None if v == "" else v for v in cols[c]]
    return text, cols


class TableWriter:
    """Stream rows into ``path`` (.csv, BOM, formula-escaped) and a ``.parquet`` copy with the
    original text, in bounded memory; both appear atomically on ``commit``, never half-written.

    Use as a context manager: committed on a clean exit, discarded on an exception.
    """

    def __init__(self, path: Path | str, columns: Sequence[str], *, parquet: bool = True, types: dict | None = None, batch: int = 5000):
        self.path = Path(path)
        self.columns = list(columns)
        self.types = types or {}
        self.batch = batch
        self._cols: dict[str, list] = {c: [] for c in self.columns}
        self._buffered = 0
        self.n = 0
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{self.path.name}.", suffix=".tmp", dir=self.path.parent)
        self._csv_tmp = Path(tmp)
        self._fh = os.fdopen(fd, "w", encoding="utf-8", newline="")
        self._fh.write("\ufeff")
        csv.writer(self._fh, lineterminator="\r\n").writerow(self.columns)
        self._pq_tmp: Path | None = None
        self._pq = None
        self._schema = None
        if parquet:
            fd, tmp = tempfile.mkstemp(prefix=f".{self.path.stem}.parquet.", suffix=".tmp", dir=self.path.parent)
            os.close(fd)
            self._pq_tmp = Path(tmp)

    def write(self, rows: Iterable[dict]) -> None:
        self.write_rendered(render_rows(rows, self.columns, self.types))

    def write_rendered(self, rendered: tuple[str, dict[str, list]]) -> None:
        """Append rows already rendered by :func:`render_rows` with this writer's columns."""
        text, cols = rendered
        n = len(cols[self.columns[0]]) if self.columns else 0
        if not n:
            return
        self._fh.write(text)
        self.n += n
        if self._pq_tmp is None:
            return
        for c in self.columns:
            self._cols[c].extend(cols[c])
        self._buffered += n
        if self._buffered >= self.batch:
            self._flush_parquet()

    def _flush_parquet(self) -> None:
        if self._pq_tmp is None or not self._buffered:
            return
        import pyarrow as pa
        import pyarrow.parquet as pq

        if self._schema is None:
            self._schema = self._arrow_schema()
            self._pq = pq.ParquetWriter(self._pq_tmp, self._schema)
        self._pq.write_table(pa.Table.from_pydict(self._cols, schema=self._schema))
        self._cols = {c: [] for c in self.columns}
        self._buffered = 0

    def _arrow_schema(self):
        import pyarrow as pa

        kinds = {"string": pa.string(), "int": pa.int64(), "float": pa.float64(), "bool": pa.bool_()}
        return pa.schema([pa.field(c, kinds[self.types.get(c, "string")]) for c in self.columns])

    def commit(self) -> None:
        self._flush_parquet()
        if self._pq_tmp is not None and self._pq is None:  # no rows at all: an empty table
            import pyarrow as pa
            import pyarrow.parquet as pq

            pq.write_table(pa.Table.from_pylist([], schema=self._arrow_schema()), self._pq_tmp)
        elif self._pq is not None:
            self._pq.close()
        self._fh.flush()
        os.fsync(self._fh.fileno())
        self._fh.close()
        _publish(self._csv_tmp, self.path)
        if self._pq_tmp is not None:
            _publish(self._pq_tmp, self.path.with_suffix(".parquet"))

    def abort(self) -> None:
        try:
            self._fh.close()
            if self._pq is not None:
                self._pq.close()
        finally:
            for p in (self._csv_tmp, self._pq_tmp):
                if p is not None and p.exists():
                    p.unlink()

    def __enter__(self):
        return self

    def __exit__(self, exc_type, exc, tb):
        if exc_type is None:
            self.commit()
        else:
            self.abort()
        return False
