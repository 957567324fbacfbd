"""File discovery: walk ``data/raw`` safely and sort what is found into report files,
analyst metadata sheets and log rows for what is skipped. Only reads folder listings.

Symlinks are judged where they are met (:func:`pipeline.ingest.files.link_refusal`): a link
to a file or folder inside the input folder is followed; one that resolves outside it is a
``link`` log row unless ``Settings.follow_links``; one into ``/proc``, ``/sys``, ``/dev`` or
the output folder is never followed. File names are data: a name that is not UTF-8 is carried
with surrogate escapes (``os.fsdecode``) and shown escaped in the log."""

from __future__ import annotations

import os
from pathlib import Path

from pipeline.config import Settings
from pipeline.ingest.files import link_refusal, relative_name
from pipeline.ingest.model import LogRow

SHEET_NAMES = {"metadata.csv", "metadata.tsv", "metadata.xlsx"}
SKIP_NAMES = {"readme.md", "readme.txt", "source.md", "license", "license.txt", "license.md"}


def discover(raw_dir: Path, settings: Settings = Settings(), out_dir: Path | None = None) -> tuple[list[Path], list[Path], list[LogRow]]:
    """Walk ``raw_dir`` recursively, safely: symlink loops are visited once, depth is capped,
    unreadable folders are logged, links leaving the input folder (or into ``out_dir``) are
    logged and not followed. Returns (document files, metadata sheets, log rows)."""
    raw_dir = Path(raw_dir)
    raw_real = os.path.realpath(raw_dir)
    out_real = os.path.realpath(out_dir) if out_dir is not None else None
    files: list[Path] = []
    sheets: list[Path] = []
    log: list[LogRow] = []
    seen_dirs: set[tuple[int, int]] = set()

    def rel(p: Path) -> str:
        return relative_name(p, raw_dir)

    stack: list[tuple[Path, int]] = [(raw_dir, 0)]
    while stack:
        folder, depth = stack.pop()
        try:
            st = folder.stat()
        except OSError as err:
            log.append(LogRow(rel(folder), "unreadable", f"folder cannot be opened: {err.strerror or err}"))
            continue
        key = (st.st_dev, st.st_ino)
        if key in seen_dirs:
            log.append(LogRow(rel(folder), "unsupported", "folder already visited (symlink loop or duplicate link); skipped"))
            continue
        seen_dirs.add(key)
        if depth > settings.max_tree_depth:
            log.append(LogRow(rel(folder), "unsupported", f"folder nested deeper than {settings.max_tree_depth} levels; skipped"))
            continue
        try:
            entries = sorted(os.scandir(folder), key=lambda e: e.name)
        except OSError as err:
            log.append(LogRow(rel(folder), "unreadable", f"folder cannot be listed: {err.strerror or err}"))
            continue
        subdirs = []
        for entry in entries:
            path = Path(entry.path)
            if entry.name.startswith(".") or entry.name.startswith("~$"):
                continue
            try:
                is_link = entry.is_symlink()
                is_dir = entry.is_dir(follow_symlinks=True)
                is_file = not is_dir and entry.is_file(follow_symlinks=True)
            except OSError as err:
                log.append(LogRow(rel(path), "unreadable", f"cannot stat: {err.strerror or err}"))
                continue
            if is_link and (is_dir or is_file or os.path.exists(path)):
                refusal = link_refusal(os.path.realpath(path), raw_real, out_real, settings.follow_links)
                if refusal:
                    log.append(LogRow(rel(path), "link", refusal))
                    continue
            if is_dir:
                subdirs.append((path, depth + 1))
            elif is_file:
                name = entry.name.lower()
                if name in SHEET_NAMES:
                    sheets.append(path)
                elif name in SKIP_NAMES:
                    log.append(LogRow(rel(path), "unsupported", "README/SOURCE/LICENSE file describes the folder; not a report"))
                else:
                    files.append(path)
            else:
                reason = "broken symlink" if is_link and not os.path.lexists(os.path.realpath(path)) else "not a regular file"
                log.append(LogRow(rel(path), "unreadable", reason))
        stack.extend(reversed(subdirs))
    files.sort(key=lambda p: rel(p))
    return files, sheets, log
