"""Streaming table writers: CSV (Excel-safe) and Parquet, both published atomically on commit.

Every file the pipeline writes goes through here, so a killed run leaves either the previous
complete file or the new complete file, never a truncated one.
"""

from __future__ import annotations

import csv
import os
import tempfile
from pathlib import Path
from typing import Iterable, Sequence

from pipeline.atomic import atomic_path, publish, write_bytes, write_text  # noqa: F401 - re-exported
from pipeline.csvio import (  # noqa: F401 - re-exported
    FORMULA_PREFIXES,
    csv_text,
    escape_column,
    escape_frame,
    read_csv,
    render_rows,
    unescape_formula,
    write_csv,
    write_parquet,
)


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
        publish(self._csv_tmp, self.path)
        if self._pq_tmp is not None:
            publish(self._pq_tmp, self.path.with_suffix(".parquet"))

    def abort(self) -> None:
        """Discard the temp files (a close that fails, e.g. on a full disk, does not stop that)."""
        for close in (self._fh.close, getattr(self._pq, "close", None)):
            if close is not None:
                try:
                    close()
                except Exception:
                    pass
        for p in (self._csv_tmp, self._pq_tmp):
            if p is not None:
                p.unlink(missing_ok=True)

    def __enter__(self):
        return self

    def __exit__(self, exc_type, exc, tb):
        if exc_type is None:
            self.commit()
        else:
            self.abort()
        return False
