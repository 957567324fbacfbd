"""The analyst's metadata sheets (``metadata.csv`` / ``.tsv`` / ``.xlsx`` anywhere under
``data/raw``): file -> publication date, year, covered year (report_year), title, org, source,
genre and every other column, which override what is found in the text."""

from __future__ import annotations

from pathlib import Path

from pipeline.ingest.model import LogRow
from pipeline.ingest.period import parse_when

_FILE_COLS = ("file", "path", "filename", "file_name", "文件", "文件名", "路径")
_YEAR_COLS = ("year", "年份", "年度")
_REPORT_YEAR_COLS = ("report_year", "covered_year", "报告年度", "所属年度")
_DATE_COLS = ("pub_date", "date", "日期", "发布日期", "发布时间", "published")
_TEXT_COLS = ("title", "org", "source", "genre")


def _first(cols: dict, names) -> str | None:
    return next((cols[c] for c in names if c in cols), None)


def read_sheets(sheets: list[Path], raw_dir: Path) -> tuple[dict[str, dict], list[LogRow]]:
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
        import pandas as pd

        rel = sheet.relative_to(raw_dir).as_posix()
        try:
            if sheet.suffix.lower() == ".xlsx":
                df = pd.read_excel(sheet, dtype=str)
            else:
                sep = "\t" if sheet.suffix.lower() == ".tsv" else ","
                df = pd.read_csv(sheet, sep=sep, dtype=str, encoding="utf-8-sig", keep_default_na=False)
        except Exception as err:
            log.append(LogRow(rel, "unreadable", f"metadata sheet cannot be parsed: {type(err).__name__}: {err}"[:300]))
            continue
        cols = {str(c).strip().lower(): c for c in df.columns}
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
