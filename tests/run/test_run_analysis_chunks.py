"""A document's words and formulations are counted in pieces of COUNT_CHUNK_CHARS characters
cut at paragraph ends (a 200 MB text file segmented as one string took 9 GiB). The counts must
be exactly those of the whole document in one call, whatever the piece size."""

from __future__ import annotations

import random

from pipeline.config import Settings
from pipeline.ingest import iter_documents
from pipeline.run import analysis
from pipeline.run.resources import resources_for


def _documents(folder, limit: int) -> list[list[dict]]:
    docs = [[p.as_row() for p in doc.paragraphs] for _, doc in iter_documents(folder) if doc is not None]
    return docs[:limit]


def _same_counts_in_pieces(docs: list[list[dict]], monkeypatch) -> int:
    res = resources_for(Settings())
    checked = 0
    for paras in docs:
        monkeypatch.setattr(analysis, "COUNT_CHUNK_CHARS", 10**12)
        whole = analysis._counts(paras, res)
        for budget in (1, 97, 2000):
            monkeypatch.setattr(analysis, "COUNT_CHUNK_CHARS", budget)
            pieces = analysis._counts(paras, res)
            assert pieces == whole, budget
            assert list(pieces[1]) == list(whole[1])  # same order of first appearance too
        checked += sum(whole[0].values())
    return checked


def test_counts_in_pieces_equal_the_whole_on_the_sample(sample_dir, monkeypatch):
    hits = _same_counts_in_pieces(_documents(sample_dir, 10), monkeypatch)
    assert hits > 50  # formulations were found, so the comparison had something to compare


def test_counts_in_pieces_equal_the_whole_on_the_corpus(corpus_dir, monkeypatch):
    """40 reports of the shared corpus (a fixed random choice, held-out files left out although
    this is no tuning), the longest congress and government work reports among them."""
    from conftest import heldout_files

    from pipeline.ingest import ingest_file

    held = heldout_files()
    files = sorted(p for p in corpus_dir.rglob("*.txt") if p.relative_to(corpus_dir).as_posix() not in held)
    chosen = random.Random(16).sample(files, min(40, len(files)))
    docs = []
    for path in chosen:
        _, doc = ingest_file(path, path.parent)
        if doc is not None:
            docs.append([p.as_row() for p in doc.paragraphs])
    assert len(docs) >= 30
    assert _same_counts_in_pieces(docs, monkeypatch) > 500


def test_pieces_are_cut_at_paragraph_ends():
    paras = [{"text": t} for t in ["甲" * 5, "乙" * 5, "丙" * 20, "丁"]]
    assert list(analysis._joined(paras, 11)) == ["甲" * 5 + "\n" + "乙" * 5, "丙" * 20, "丁"]
    assert list(analysis._joined(paras, 10**6)) == ["\n".join(p["text"] for p in paras)]
