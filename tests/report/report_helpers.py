"""Shared by the tests of pipeline/report: one OUT_DIR from the seed reports with its figures and
report.html drawn once per test session (the charts, figures and page tests all read it)."""

from __future__ import annotations

import struct
import warnings
from pathlib import Path

from test_trends import build_out_dir

STANDARD = ["category_shares", "heatmap_terms", "trend_terms", "first_appearance", "keywords_by_year"]
_BUILT: dict[str, Path] = {}


def built_run(tmp_path_factory) -> Path:
    """A complete OUT_DIR from the seed reports (CSV + Parquet), figures and report drawn once."""
    if "run" not in _BUILT:
        from pipeline.report import make_figures, write_report

        out = build_out_dir(tmp_path_factory.mktemp("run") / "out")
        with warnings.catch_warnings():
            warnings.simplefilter("error")  # a missing glyph (or any other matplotlib warning) fails
            figs = make_figures(out)
            write_report(out, figures=figs)
        _BUILT["run"] = out
    return _BUILT["run"]


def png_size(path: Path) -> tuple[int, int]:
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n", f"{path} is not a PNG"
    return struct.unpack(">II", data[16:24])
