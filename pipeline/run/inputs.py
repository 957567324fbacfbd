"""The run's input folder: what it holds (via :mod:`pipeline.ingest`), and the checks that it
exists and that the output folder is not inside it."""

from __future__ import annotations

from pathlib import Path

from pipeline.config import Settings
from pipeline.errors import InputError


def discover(raw_dir: Path, settings: Settings, out_dir: Path | None = None):
    """The input files, sheets and log rows; links into ``out_dir`` are never followed."""
    from pipeline.ingest import discover as _discover

    return _discover(raw_dir, settings, out_dir)


def require_folder(raw_dir: Path) -> None:
    if not Path(raw_dir).is_dir():
        raise InputError(f"input folder not found: {raw_dir}", "give the folder that holds your reports, e.g. data/raw")


def guard_out(raw_dir: Path, out_dir: Path) -> None:
    raw = Path(raw_dir).resolve()
    out = Path(out_dir).resolve()
    if out == raw or raw in out.parents:
        raise InputError(f"output folder {out_dir} is inside the input folder {raw_dir}", "write outputs elsewhere (data/raw is never written to)")
