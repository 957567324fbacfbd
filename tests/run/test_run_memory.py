"""How the run keeps a huge document out of the main process: a chunk over
IN_PROCESS_MAX_BYTES is processed in a one-off worker process, results over SPILL_CHARS come
back through a private file (streamed by pickle), candidate discovery gets at most
DISCOVERY_CHAR_BUDGET characters, and what the collector keeps is compact. The thresholds are
lowered here so the seed reports take those paths: the tables must not change."""

from __future__ import annotations

import os
import pickle
from pathlib import Path

import pytest
from run_helpers import csvs, reference_run

from pipeline import run as engine
from pipeline.run import collector, executors, worker
from pipeline.run.collector import Texts


@pytest.fixture(scope="module")
def local_run(tmp_path_factory, sample_dir):
    return reference_run(tmp_path_factory, sample_dir)


@pytest.fixture
def spills(monkeypatch):
    """Every result goes through a spill file; records the files read (and checks they go)."""
    monkeypatch.setattr(worker, "SPILL_CHARS", 0)
    seen: list[str] = []
    real = worker.unspill

    def unspill(value):
        if isinstance(value, worker.Spilled):
            seen.append(value.path)
        out = real(value)
        assert not isinstance(value, worker.Spilled) or not os.path.exists(os.path.dirname(value.path))
        return out

    monkeypatch.setattr(worker, "unspill", unspill)
    return seen


@pytest.mark.parametrize("workers", [1, 2])
def test_spilled_results_give_the_same_tables(tmp_path, sample_dir, local_run, spills, monkeypatch, workers):
    monkeypatch.setattr(executors, "IN_PROCESS_MAX_BYTES", 0)  # with 1 worker: every chunk in a child
    out = tmp_path / "out"
    summary = engine.run(sample_dir, out, workers=workers, report=False, progress=False)
    assert summary.n_documents == 5 and spills
    assert csvs(out) == csvs(local_run)


class _Marker:
    def __init__(self, path: Path):
        self.path = path

    def __reduce__(self):
        return (self.path.touch, ())


def test_a_spill_file_others_may_write_is_not_loaded(tmp_path):
    folder = tmp_path / "spill-x"
    folder.mkdir(mode=0o777)
    os.chmod(folder, 0o777)
    marker = tmp_path / "code-ran"
    path = folder / worker.SPILL_NAME
    path.write_bytes(pickle.dumps([_Marker(marker)]))
    with pytest.raises(RuntimeError, match="not a private file"):
        worker.unspill(worker.Spilled(str(path)))
    assert not marker.exists() and not folder.exists()


def test_a_spill_that_cannot_be_written_is_sent_as_a_message(tmp_path, monkeypatch):
    monkeypatch.setattr(worker, "SPILL_CHARS", 0)
    blocked = tmp_path / "tmp"
    blocked.write_text("a file where the folder should be")
    assert worker._spill([{"log": {}}], blocked) is None


def test_texts_is_a_compact_sequence_of_the_paragraphs():
    paras = ["甲乙", "", "丙丁戊", "己"]
    texts = Texts(paras)
    assert list(texts) == paras and len(texts) == 4 and texts[-1] == "己" and texts[1:3] == ["", "丙丁戊"]
    assert texts.chars == 6
    with pytest.raises(IndexError):
        texts[4]
    assert list(Texts(paras, 3)) == ["甲乙", ""] and list(Texts(["很长的一段"], 1)) == ["很长的一段"]


def test_discovery_reads_at_most_its_budget_of_a_huge_document(monkeypatch):
    monkeypatch.setattr(collector, "DISCOVERY_CHAR_BUDGET", 50)
    acc = collector.Collector(_Sink(), _Sink())
    for doc_id in ("d1", "d2", "d3"):
        texts = [f"第{i}段落内容" for i in range(20)]  # 6 characters each
        acc.add(
            {
                "log": {"path": doc_id, "status": "ok", "reason": "", "doc_id": doc_id},
                "doc": {"doc_id": doc_id, "year": 2020},
                "para_chunk": ("", {"text": texts}),
                "removed_chunk": ("", {}),
            }
        )
    # 48 characters of d1 (a ninth paragraph would pass 50), one paragraph of d2, nothing of d3
    assert [(d, len(t)) for d, _, t in acc.discovery] == [("d1", 8), ("d2", 1)]
    assert acc.discovery_chars == 54


class _Sink:
    def write_rendered(self, rendered):
        pass


@pytest.mark.parametrize("threshold, calls", [(0, 2), (10**9, 0)])
def test_freed_memory_is_returned_only_after_large_runs(tmp_path, sample_dir, local_run, monkeypatch, threshold, calls):
    """A full collection + malloc_trim after the documents and after the tables, from
    TRIM_FROM_PARAGRAPHS paragraphs on (a small run skips the ~0.1 s it costs); the tables are the same."""
    from pipeline.run import orchestrate

    seen = []
    monkeypatch.setattr(orchestrate, "TRIM_FROM_PARAGRAPHS", threshold)
    monkeypatch.setattr(orchestrate, "release_free_memory", lambda: seen.append(1))
    out = tmp_path / "out"
    engine.run(sample_dir, out, workers=1, report=False, progress=False)
    assert len(seen) == calls
    assert csvs(out) == csvs(local_run)
