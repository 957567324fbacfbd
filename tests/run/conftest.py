"""Fixtures of the run package's tests (tests/run/); the shared ones are in tests/conftest.py."""

from __future__ import annotations

import pytest


@pytest.fixture(scope="session")
def local_run(tmp_path_factory, sample_dir):
    """The seed reports run once with the local pool (2 workers, no report): the reference
    tables other runs are compared with."""
    from pipeline import run as engine

    out = tmp_path_factory.mktemp("local")
    summary = engine.run(sample_dir, out, workers=2, report=False, progress=False)
    assert summary.n_documents == 5
    return out
