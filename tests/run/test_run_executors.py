"""The executors: the local pool and Dask give the single process's tables; a worker that dies
costs only its file."""

from __future__ import annotations

import shutil

import pytest
from run_helpers import csvs, reference_run

from pipeline import run as engine
from pipeline.run import worker
from pipeline.run.executors import chunked, sized_chunks


@pytest.fixture(scope="module")
def local_run(tmp_path_factory, sample_dir):
    return reference_run(tmp_path_factory, sample_dir)


def test_local_engine_matches_single_process(tmp_path, sample_dir, local_run):
    out = tmp_path / "one"
    engine.run(sample_dir, out, workers=1, report=False, progress=False)
    assert csvs(out) == csvs(local_run)


def test_dask_engine_gives_identicalcsvs(tmp_path, sample_dir, local_run):
    pytest.importorskip("dask.distributed")
    out = tmp_path / "dask"
    summary = engine.run(sample_dir, out, workers=2, engine="dask", report=False, progress=False)
    assert summary.n_documents == 5
    assert csvs(out) == csvs(local_run)


def _dies_on_killer(tasks):
    import os

    if any("killer" in str(t[0]) for t in tasks):
        os._exit(3)  # the worker process dies, as on an out-of-memory kill
    return worker._real_process_files(tasks)


def test_worker_death_costs_one_file(tmp_path, sample_dir, monkeypatch):
    raw = tmp_path / "raw"
    shutil.copytree(sample_dir, raw)
    (raw / "killer.txt").write_text("加强党的建设,严格落实三会一课。", encoding="utf-8")
    monkeypatch.setattr(worker, "_real_process_files", worker.process_files, raising=False)
    monkeypatch.setattr(worker, "process_files", _dies_on_killer)
    summary = engine.run(raw, tmp_path / "out", workers=2, report=False, progress=False)
    assert summary.n_documents == 5
    import pandas as pd

    log = pd.read_csv(tmp_path / "out" / "ingest_log.csv", encoding="utf-8-sig", dtype=str, keep_default_na=False)
    row = log[log["path"] == "killer.txt"].iloc[0]
    assert row["status"] == "unreadable" and "worker process died" in row["reason"]


def test_chunked_keeps_order_and_bounds(tmp_path):
    files = []
    for i, size in enumerate([10, 10, 500, 10, 10, 10]):
        p = tmp_path / f"{i}.txt"
        p.write_bytes(b"x" * size)
        files.append((p,))
    chunks = chunked(files, max_files=2, max_bytes=100)
    assert [t for c in chunks for t in c] == files
    assert all(len(c) <= 2 for c in chunks)
    assert [len(c) for c in chunks] == [2, 1, 2, 1]  # the big file starts a chunk of its own
    assert chunked([]) == []
    sized = sized_chunks(files + [(tmp_path / "gone.txt",)], max_files=2, max_bytes=100)
    assert [c for c, _ in sized][:3] == chunks[:3] and [n for _, n in sized] == [20, 500, 20, 10]  # a missing file counts 0
    assert sized[-1][0] == [files[-1], (tmp_path / "gone.txt",)]
