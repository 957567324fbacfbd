"""The analyst's metadata sheets (``metadata.csv`` / ``.tsv`` / ``.xlsx`` anywhere under
``data/raw``): file -> year, date and optional title, org and source, which override what
is found in the text.

A sheet is opened like any input (:func:`pipeline.ingest.files.open_regular`) and guarded
before a parser sees it: at most MAX_SHEET_BYTES of CSV, or of worksheet XML inflated from an
.xlsx (checked on the zip's directory), at most MAX_SHEET_ROWS rows and MAX_SHEET_CELLS cells
(an .xlsx's declared dimension, then its row and cell tags counted on the bytes, all before
openpyxl loads anything; pandas never reads more rows than the limit). A sheet over a limit is
one ``unreadable`` log row with the reason, within seconds (a 3-million-row sheet took 178 s
to load before)."""

from __future__ import annotations

import re
import zipfile
from pathlib import Path

from pipeline.config import Settings
from pipeline.ingest.dates import parse_date, parse_year
from pipeline.ingest.files import open_regular, relative_name
from pipeline.ingest.model import LogRow, Skip

MAX_SHEET_BYTES = 64 * 1024 * 1024
MAX_SHEET_ROWS = 200_000
MAX_SHEET_CELLS = 5_000_000
_DIMENSION = re.compile(rb"<(?:\w+:)?dimension\s+ref=[\"']([A-Z]+)(\d+)(?::([A-Z]+)(\d+))?[\"']")


_FILE_COLS = ("file", "path", "filename", "file_name", "文件", "文件名", "路径")
_YEAR_COLS = ("year", "年份", "年度")
_DATE_COLS = ("date", "日期", "发布日期", "published")


def _col_number(letters: str) -> int:
    n = 0
    for ch in letters:
        n = n * 26 + ord(ch) - 64
    return n


_ROW_TAG = re.compile(rb"<(?:\w+:)?row[\s>/]")
_CELL_TAG = re.compile(rb"<(?:\w+:)?c[\s>/]")


def _count_tags(part) -> tuple[int, int]:
    """(rows, cells) of a worksheet XML stream, counted on the bytes (no parser); chunks are
    cut after a '>' so no tag is split."""
    rows = cells = 0
    carry = b""
    while True:
        chunk = part.read(1 << 20)
        data = carry + chunk
        cut = data.rfind(b">") + 1 if chunk else len(data)
        rows += len(_ROW_TAG.findall(data, 0, cut))
        cells += len(_CELL_TAG.findall(data, 0, cut))
        carry = data[cut:]
        if not chunk:
            return rows, cells


def _check_xlsx(fh) -> None:
    """Refuse an .xlsx whose worksheets inflate past MAX_SHEET_BYTES, or declare or hold more
    than MAX_SHEET_ROWS rows or MAX_SHEET_CELLS cells: read from the zip directory, then the
    worksheets' bytes (tags counted, no parser), before openpyxl loads anything."""
    try:
        zf = zipfile.ZipFile(fh)
    except zipfile.BadZipFile as err:
        raise Skip("unreadable", f"metadata sheet cannot be parsed: not a valid .xlsx ({err})") from err
    with zf:
        parts = [i for i in zf.infolist() if i.filename.startswith("xl/worksheets/") or i.filename == "xl/sharedStrings.xml"]
        total = sum(i.file_size for i in parts)
        if total > MAX_SHEET_BYTES:
            raise Skip(
                "unreadable",
                f"metadata sheet refused: its worksheets inflate to {total / 1e6:.0f} MB (limit {MAX_SHEET_BYTES / 1e6:.0f} MB); split it or keep one row per report",
            )
        for info in parts:
            if not info.filename.endswith(".xml") or "sharedStrings" in info.filename:
                continue
            with zf.open(info) as part:
                m = _DIMENSION.search(part.read(4096))
            if m and m.group(3):
                rows = int(m.group(4)) - int(m.group(2)) + 1
                cols = _col_number(m.group(3).decode()) - _col_number(m.group(1).decode()) + 1
                _check_shape(rows, cols, "declares")
            with zf.open(info) as part:
                rows, cells = _count_tags(part)
            _check_shape(rows, 1, "has")
            if cells > MAX_SHEET_CELLS:
                raise Skip("unreadable", f"metadata sheet refused: it has {cells:,} cells (limit {MAX_SHEET_CELLS:,})")


def _check_shape(rows: int, cols: int, verb: str = "has") -> None:
    if rows > MAX_SHEET_ROWS:
        raise Skip("unreadable", f"metadata sheet refused: it {verb} {rows:,} rows (limit {MAX_SHEET_ROWS:,}); keep one row per report")
    if rows * cols > MAX_SHEET_CELLS:
        raise Skip("unreadable", f"metadata sheet refused: it {verb} {rows * cols:,} cells (limit {MAX_SHEET_CELLS:,})")


def _read_sheet(sheet: Path, raw_dir: Path, settings: Settings):
    import io

    import pandas as pd

    with open_regular(sheet, follow_links=settings.follow_links, raw_dir=raw_dir) as src:
        if src.size > MAX_SHEET_BYTES:
            raise Skip("unreadable", f"metadata sheet refused: {src.size / 1e6:.0f} MB (limit {MAX_SHEET_BYTES / 1e6:.0f} MB)")
        data = io.BytesIO(src.read())
    if sheet.suffix.lower() == ".xlsx":
        _check_xlsx(data)
        data.seek(0)
        read = lambda: pd.read_excel(data, dtype=str, nrows=MAX_SHEET_ROWS + 1)
    else:
        sep = "\t" if sheet.suffix.lower() == ".tsv" else ","
        read = lambda: pd.read_csv(data, sep=sep, dtype=str, encoding="utf-8-sig", keep_default_na=False, nrows=MAX_SHEET_ROWS + 1)
    try:
        df = read()
    except Exception as err:
        raise Skip("unreadable", f"metadata sheet cannot be parsed: {type(err).__name__}: {err}"[:300]) from err
    _check_shape(len(df), len(df.columns))
    return df


def read_sheets(sheets: list[Path], raw_dir: Path, settings: Settings = Settings()) -> tuple[dict[str, dict], list[LogRow]]:
    """Analyst metadata sheets -> {relative path or file name: {year, date, title, org}}."""
    meta: dict[str, dict] = {}
    log: list[LogRow] = []
    for sheet in sheets:
        rel = relative_name(sheet, raw_dir)
        try:
            df = _read_sheet(sheet, raw_dir, settings)
        except Skip as skip:
            log.append(LogRow(rel, skip.status, skip.reason))
            continue
        cols = {str(c).strip().lower(): c for c in df.columns}
        fcol = next((cols[c] for c in _FILE_COLS if c in cols), None)
        ycol = next((cols[c] for c in _YEAR_COLS if c in cols), None)
        dcol = next((cols[c] for c in _DATE_COLS if c in cols), None)
        if fcol is None or (ycol is None and dcol is None):
            log.append(LogRow(rel, "unsupported", "metadata sheet needs a file column and a year or date column"))
            continue
        base = sheet.parent.relative_to(raw_dir)
        n = 0
        for _, row in df.fillna("").iterrows():
            fname = str(row[fcol]).strip()
            if not fname:
                continue
            year = parse_year(str(row[ycol])) if ycol is not None else None
            iso = parse_date(str(row[dcol])) if dcol is not None else ""
            if year is None and iso:
                year = int(iso[:4])
            entry = {"year": year, "date": iso}
            for extra in ("title", "org", "source"):
                if extra in cols and str(row[cols[extra]]).strip():
                    entry[extra] = str(row[cols[extra]]).strip()
            meta[(base / fname).as_posix()] = entry
            meta.setdefault(Path(fname).name, entry)
            n += 1
        log.append(LogRow(rel, "ok", f"metadata sheet: {n} rows"))
    return meta, log


def sheet_lookup(meta: dict[str, dict], rel: str) -> dict | None:
    return meta.get(rel) or meta.get(Path(rel).name)
