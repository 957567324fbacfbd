"""Helpers shared by the run package's tests (tests/run/), imported as ``from run_helpers import ...``.

Not a conftest.py: the suite's other tests ``from conftest import ...``, and a second conftest
module would shadow tests/conftest.py.
"""

from __future__ import annotations

from pathlib import Path

_DONE: dict[str, Path] = {}


def csvs(out: Path) -> dict[str, bytes]:
    """name -> bytes of every CSV table in an output folder."""
    return {p.name: p.read_bytes() for p in sorted(out.glob("*.csv"))}


def reference_run(tmp_path_factory, sample_dir: Path) -> Path:
    """The seed reports run with the local pool (2 workers, no report): the reference tables
    other runs are compared with, made once per session, whichever test module asks first."""
    if "out" not in _DONE:
        from pipeline import run as engine

        out = tmp_path_factory.mktemp("local")
        summary = engine.run(sample_dir, out, workers=2, report=False, progress=False)
        assert summary.n_documents == 5
        _DONE["out"] = out
    return _DONE["out"]
