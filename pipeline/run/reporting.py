"""The run's report: figures drawn (in a forked child) from the aggregate frames in memory,
then report.html, which takes the figures in last."""

from __future__ import annotations

import os
import time
from collections.abc import Iterable
from pathlib import Path

#: the tables the charts are drawn from
CHART_TABLES = ("documents", "term_counts", "term_trends", "keywords_by_year", "category_shares")


def draw_charts(out_dir: Path, frames: dict) -> list[Path]:
    from pipeline import report as report_mod
    from pipeline.store import RunTables

    return report_mod.make_figures(out_dir, corpus=RunTables.from_frames(out_dir, frames))


def _touch(paths: Iterable[Path]) -> None:
    now = time.time_ns()
    for p in paths:
        try:
            os.utime(p, ns=(now, now))
        except OSError:
            pass


def write_report(out_dir: Path, charts) -> list[str]:
    """report.html with the figures ``charts`` (a :class:`~pipeline.run.forked.Forked` of
    :func:`draw_charts`) gives; returns the entries for the summary's file list. A failure is
    reported there, not raised: the tables are written by then; but a fault of the output
    folder (full disk, read-only) is raised, so that the run publishes nothing."""
    from pipeline import report as report_mod
    from pipeline.errors import output_error

    files: list[str] = []
    try:  # the page is built while a child process draws the charts; they go in last
        report_mod.write_report(out_dir, figures=charts)
        _touch(charts.result)  # drawn from the tables just written: not stale
        files.append(f"figures/ ({len(charts.result)} files)")
        files.append("report.html")
    except Exception as err:
        if output_error(err, out_dir) is not None:
            raise
        files.append(f"(report failed: {type(err).__name__}: {err})")
    return files
