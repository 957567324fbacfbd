"""The report package's lazy re-exports: every public name resolves to its submodule's object,
importing the package loads no submodule, and nothing loads matplotlib until a notebook figure
is made."""

from __future__ import annotations

import importlib
import os
import subprocess
import sys
from pathlib import Path

import pytest

import pipeline.report as report_pkg
from pipeline.report import _EXPORTS

ROOT = Path(__file__).resolve().parents[2]


def test_every_export_is_its_submodules_object():
    for name, sub in _EXPORTS.items():
        module = importlib.import_module(f"pipeline.report.{sub}")
        assert getattr(report_pkg, name) is getattr(module, name), name
    assert report_pkg.__all__ == sorted(_EXPORTS)
    assert set(_EXPORTS) <= set(dir(report_pkg))
    # what other packages use: run and cli (make_figures, write_report, plot_terms), api (terms_figure, fonts.font_context)
    assert {"make_figures", "write_report", "plot_terms", "terms_figure", "FIGURE_NAMES"} <= set(_EXPORTS)


def test_submodules_import_and_unknown_names_fail():
    from pipeline.report import figures, fonts, page

    assert report_pkg.page is page and report_pkg.fonts is fonts and figures.make_figures is report_pkg.make_figures
    with pytest.raises(AttributeError):
        report_pkg.no_such_name  # noqa: B018
    with pytest.raises(AttributeError):
        report_pkg.core  # noqa: B018 - the old module is gone


def test_a_patched_submodule_is_seen_through_the_package(monkeypatch):
    from pipeline.report import figures

    monkeypatch.setattr(figures, "make_figures", len)
    assert report_pkg.make_figures is len


def test_import_is_light():
    code = (
        "import sys, pipeline.report as r\n"
        "subs = [m for m in sys.modules if m.startswith('pipeline.report.')]\n"
        "heavy = [m for m in ('pandas', 'matplotlib', 'PIL', 'jinja2', 'fontTools') if m in sys.modules]\n"
        "[getattr(r, n) for n in r.__all__]\n"
        "late = [m for m in ('matplotlib', 'fontTools', 'sklearn', 'jieba') if m in sys.modules]\n"  # pandas brings pyarrow
        "print(','.join(subs + heavy) + '|' + ','.join(late))\n"
    )
    env = {**os.environ, "PYTHONPATH": str(ROOT)}  # this checkout, not an installed copy
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, env=env)
    assert out.stdout.strip() == "|"
