"""The analyst's metadata sheet overrides what the text says."""

from __future__ import annotations

from pathlib import Path

from pipeline.ingest import iter_documents

SEED = "000_0251f9872aab0630.txt"  # the first seed report


def _docs(folder: Path):
    return [(row, doc) for row, doc in iter_documents(folder)]


def test_metadata_sheet_overrides(tmp_path, sample_dir):
    (tmp_path / "r.txt").write_text((sample_dir / SEED).read_text(encoding="utf-8"), encoding="utf-8")
    (tmp_path / "metadata.csv").write_text("file,year,title\nr.txt,2018,我的标题\n", encoding="utf-8")
    docs = [d for _, d in _docs(tmp_path) if d]
    assert docs[0].year == 2018 and docs[0].year_source == "sheet" and docs[0].title == "我的标题"
