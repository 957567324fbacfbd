"""The analyst's metadata sheets (``metadata.csv`` / ``.tsv`` / ``.xlsx`` anywhere under
``data/raw``): file -> publication date, year, covered year (report_year), title, org, source,
genre and every other column, which override what is found in the text.

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
from pipeline.ingest.files import open_regular, relative_name
from pipeline.ingest.model import LogRow, Skip
from pipeline.ingest.period import parse_when
from pipeline.simplify import simplified

MAX_SHEET_BYTES = 64 * 1024 * 1024
MAX_SHEET_ROWS = 200_000
MAX_SHEET_CELLS = 5_000_000
_DIMENSION = re.compile(rb"<(?:\w+:)?dimension\s+ref=[\"']([A-Z]+)(\d+)(?::([A-Z]+)(\d+))?[\"']")

_FILE_COLS = ("file", "path", "filename", "file_name", "文件", "文件名", "路径")
_YEAR_COLS = ("year", "年份", "年度")
_REPORT_YEAR_COLS = ("report_year", "covered_year", "报告年度", "所属年度")
_DATE_COLS = ("pub_date", "date", "日期", "发布日期", "发布时间", "published")
_TEXT_COLS = ("title", "org", "source", "genre")


def _first(cols: dict, names) -> str | None:
    return next((cols[c] for c in names if c in cols), None)


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
    """Analyst metadata sheets -> {relative path or file name: entry}, and their log rows.

    An entry holds ``pub_date`` (ISO at the precision written), ``year``, ``report_year``, the
    text columns ``title``, ``org``, ``source``, ``genre`` when filled, ``columns`` (every column of
    the row, as written, for documents.csv), and ``sheet``/``row`` (where it came from). A year, a
    year-month, a full date, ``2020年``, ``2020.12`` and Excel dates are read
    (:func:`pipeline.ingest.period.parse_when`). A value that cannot be read, or a file named twice,
    is one log row (status ``sheet-row``) with the reason; the rest of the row is still used."""
    meta: dict[str, dict] = {}
    log: list[LogRow] = []
    for sheet in sheets:
        rel = relative_name(sheet, raw_dir)
        try:
            df = _read_sheet(sheet, raw_dir, settings)
        except Skip as skip:
            log.append(LogRow(rel, skip.status, skip.reason))
            continue
        cols = {simplified(str(c).strip().lower()): c for c in df.columns}  # 報告年度 names 报告年度
        fcol = _first(cols, _FILE_COLS)
        ycol, rcol, dcol = _first(cols, _YEAR_COLS), _first(cols, _REPORT_YEAR_COLS), _first(cols, _DATE_COLS)
        if fcol is None:
            log.append(LogRow(rel, "unsupported", f"metadata sheet needs a file column (one of: {', '.join(_FILE_COLS)})"))
            continue
        base = sheet.parent.relative_to(raw_dir)
        n = 0
        for number, (_, row) in enumerate(df.fillna("").iterrows(), start=2):
            fname = str(row[fcol]).strip()
            if not fname:
                continue
            where = f"{rel}:{number}"
            entry: dict = {"sheet": rel, "row": number, "file": fname, "year_is_publication": rcol is not None}
            for key, col in (("year", ycol), ("report_year", rcol), ("pub_date", dcol)):
                raw = str(row[col]).strip() if col is not None else ""
                if not raw:
                    continue
                year, iso = parse_when(raw)
                if year is None:
                    log.append(LogRow(where, "sheet-row", f"{col}={raw!r} is not a year or date (write e.g. 2020, 2020-12 or 2020-12-31); ignored"))
                    continue
                entry[key] = iso if key == "pub_date" else year
            if "pub_date" in entry and "year" not in entry and "report_year" not in entry and rcol is None:
                entry["year"] = int(entry["pub_date"][:4])
            for extra in _TEXT_COLS:
                if extra in cols and str(row[cols[extra]]).strip():
                    entry[extra] = str(row[cols[extra]]).strip()
            entry["columns"] = {str(c).strip(): str(row[c]) for c in df.columns if c != fcol}
            key = (base / fname).as_posix()
            if key in meta:
                first = meta[key]
                log.append(LogRow(where, "sheet-row", f"{fname} is already described at {first['sheet']}:{first['row']}; this row is used"))
            meta[key] = entry
            name = Path(fname).name
            if name in meta and meta[name] is not entry and meta[name].get("file") != key and name != key:
                meta[name] = {**meta[name], "ambiguous": True}
            else:
                meta.setdefault(name, entry)
            n += 1
        log.append(LogRow(rel, "ok", f"metadata sheet: {n} rows"))
    return meta, log


def sheet_lookup(meta: dict[str, dict], rel: str) -> dict | None:
    """The sheet entry of input file ``rel``: by its path relative to the sheet's folder, else by
    its bare file name (unless two sheet rows share that name)."""
    entry = meta.get(rel)
    if entry is not None:
        return entry
    entry = meta.get(Path(rel).name)
    return None if entry is None or entry.get("ambiguous") else entry


def unmatched_rows(meta: dict[str, dict], files: list[str]) -> list[LogRow]:
    """One log row per sheet row that names no input file, and per input file that two rows
    match (by name, in different folders)."""
    files = list(files)
    names: dict[str, int] = {}
    for rel in files:
        names[Path(rel).name] = names.get(Path(rel).name, 0) + 1
    used = {id(sheet_lookup(meta, rel)) for rel in files}
    out, seen = [], set()
    for entry in meta.values():
        if id(entry) in seen or entry.get("ambiguous"):
            continue
        seen.add(id(entry))
        if id(entry) not in used:
            out.append(LogRow(f"{entry['sheet']}:{entry['row']}", "sheet-row", f"{entry['file']} matches no input file; row not used"))
        elif "/" not in entry["file"] and names.get(entry["file"], 0) > 1:
            out.append(
                LogRow(
                    f"{entry['sheet']}:{entry['row']}",
                    "sheet-row",
                    f"{entry['file']} matches {names[entry['file']]} input files by name; write its folder too (e.g. sub/{entry['file']})",
                )
            )
    return out
