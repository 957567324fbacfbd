"""The run package's lazy re-exports: every public name resolves to its submodule's object,
and importing the package (or reading its names) loads nothing heavy."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

import pipeline.run as run_pkg
from pipeline.run import _EXPORTS

ROOT = Path(__file__).resolve().parents[2]


def test_every_export_is_its_submodules_object():
    import importlib

    for name, sub in _EXPORTS.items():
        module = importlib.import_module(f"pipeline.run.{sub}")
        assert getattr(run_pkg, name) is getattr(module, name), name
    assert run_pkg.__all__ == sorted(_EXPORTS)
    assert set(_EXPORTS) <= set(dir(run_pkg))


def test_submodules_import_and_unknown_names_fail():
    from pipeline.run import orchestrate, worker

    assert run_pkg.worker is worker and orchestrate.run is run_pkg.run
    with pytest.raises(AttributeError):
        run_pkg.no_such_name  # noqa: B018


def test_a_patched_submodule_is_seen_through_the_package(monkeypatch):
    from pipeline.run import worker

    monkeypatch.setattr(worker, "process_files", len)
    assert run_pkg.process_files is len


def test_import_is_light():
    code = (
        "import sys, pipeline.run as r\n"
        "[getattr(r, n) for n in r.__all__]\n"
        "heavy = [m for m in ('pandas', 'numpy', 'sklearn', 'jieba', 'matplotlib', 'pyarrow', 'rich', 'dask') if m in sys.modules]\n"
        "print(','.join(heavy))\n"
    )
    env = {**os.environ, "PYTHONPATH": str(ROOT)}  # this checkout, not an installed copy
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, env=env)
    assert out.stdout.strip() == ""
