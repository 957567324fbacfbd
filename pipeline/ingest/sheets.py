"""The analyst's metadata sheets (``metadata.csv`` / ``.tsv`` / ``.xlsx`` anywhere under
``data/raw``): file -> year, date and optional title, org and source, which override what
is found in the text."""

from __future__ import annotations

from pathlib import Path

from pipeline.ingest.dates import parse_date, parse_year
from pipeline.ingest.model import LogRow


_FILE_COLS = ("file", "path", "filename", "file_name", "文件", "文件名", "路径")
_YEAR_COLS = ("year", "年份", "年度")
_DATE_COLS = ("date", "日期", "发布日期", "published")


def read_sheets(sheets: list[Path], raw_dir: Path) -> tuple[dict[str, dict], list[LogRow]]:
    """Analyst metadata sheets -> {relative path or file name: {year, date, title, org}}."""
    meta: dict[str, dict] = {}
    log: list[LogRow] = []
    for sheet in sheets:
        import pandas as pd

        rel = sheet.relative_to(raw_dir).as_posix()
        try:
            if sheet.suffix.lower() == ".xlsx":
                df = pd.read_excel(sheet, dtype=str)
            else:
                sep = "\t" if sheet.suffix.lower() == ".tsv" else ","
                df = pd.read_csv(sheet, sep=sep, dtype=str, encoding="utf-8-sig", keep_default_na=False)
        except Exception as err:  # noqa: BLE001 - any parser failure is one log line
            log.append(LogRow(rel, "unreadable", f"metadata sheet cannot be parsed: {type(err).__name__}: {err}"[:300]))
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
