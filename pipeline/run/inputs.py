"""The run's input folder: what it holds (via :mod:`pipeline.ingest`), and the checks that it
exists and that the output folder is not inside it."""

from __future__ import annotations

from pathlib import Path

from pipeline.config import Settings
from pipeline.errors import InputError
from pipeline.ingest import display_path


def discover(raw_dir: Path, settings: Settings, out_dir: Path | None = None):
    """The input files, sheets and log rows; links into ``out_dir`` are never followed."""
    from pipeline.ingest import discover as _discover

    return _discover(raw_dir, settings, out_dir)


def require_folder(raw_dir: Path) -> None:
    if not Path(raw_dir).is_dir():
        raise InputError(f"input folder not found: {display_path(raw_dir)}", "give the folder that holds your reports, e.g. data/raw")


def guard_out(raw_dir: Path, out_dir: Path) -> None:
    """The output folder is not the input folder or inside it, and its path is UTF-8: input
    file and folder names may be any bytes, but the Parquet writer (pyarrow) cannot open a
    path that is not UTF-8, so such an output folder is refused before anything is written."""
    raw = Path(raw_dir).resolve()
    out = Path(out_dir).resolve()
    try:
        str(out).encode("utf-8")
    except UnicodeEncodeError:
        raise InputError(
            f"output folder {display_path(out_dir)} has a name that is not UTF-8 (the Parquet files cannot be written there)",
            "give an --out folder whose name is UTF-8 (names of input files and folders may be anything)",
        ) from None
    if out == raw or raw in out.parents:
        raise InputError(
            f"output folder {display_path(out_dir)} is inside the input folder {display_path(raw_dir)}",
            "write outputs elsewhere (data/raw is never written to)",
        )
