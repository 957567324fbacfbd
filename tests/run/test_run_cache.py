"""The blob cache: damaged blobs read as misses and are recomputed; values round-trip."""

from __future__ import annotations

import pytest
from run_helpers import csvs, reference_run

from pipeline import run as engine
from pipeline.run.cache import Cache


@pytest.fixture(scope="module")
def local_run(tmp_path_factory, sample_dir):
    return reference_run(tmp_path_factory, sample_dir)


def test_damaged_cache_blobs_are_recomputed(tmp_path, sample_dir, local_run):
    """Truncated, garbage or empty blobs (a killed run, a bad disk) read as misses: the run
    recomputes those documents and its tables equal a cold run's."""
    out = tmp_path / "out"
    engine.run(sample_dir, out, workers=1, report=False, progress=False)
    blobs = sorted((out / engine.CACHE_DIR).glob("*/*/*.json.zst"))
    assert len(blobs) == 10
    blobs[0].write_bytes(blobs[0].read_bytes()[:20])
    blobs[1].write_bytes(b"not zstd at all")
    blobs[2].write_bytes(b"")
    (out / engine.MANIFEST).unlink()  # the generation manifest: no unchanged-run shortcut
    again = engine.run(sample_dir, out, workers=1, report=False, progress=False)
    assert again.cached == 7
    assert again.recomputed == 3 and "3 cache blobs recomputed" in again.text()
    assert csvs(out) == csvs(local_run)
    cache = engine.Cache(out / engine.CACHE_DIR)
    assert cache.get("ingest", "0" * 64) is None


def test_put_get_round_trip_and_unstorable_values(tmp_path):
    cache = Cache(tmp_path / "c")
    value = {"doc": {"doc_id": "ab", "year": None}, "paragraphs": [{"text": "两个维护", "n": 3}], "removed": [[1, "rule", "x"]]}
    cache.put("ingest", "ab" * 32, value)
    assert cache.get("ingest", "ab" * 32) == value
    assert list((tmp_path / "c").rglob("*.tmp")) == []  # the temp file was renamed
    cache.put("analysis", "cd" * 32, {"not json": object()})  # skipped, not raised
    assert cache.get("analysis", "cd" * 32) is None
