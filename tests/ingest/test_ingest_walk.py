"""File discovery: report files in path order, metadata sheets apart, folder descriptions and hidden files skipped."""

from __future__ import annotations

from pipeline.ingest import discover


def test_discover_sorts_files_and_sets_sheets_apart(tmp_path):
    (tmp_path / "b").mkdir()
    (tmp_path / "b" / "2.txt").write_text("加强党的建设", encoding="utf-8")
    (tmp_path / "a.txt").write_text("加强党的建设", encoding="utf-8")
    (tmp_path / "b" / "metadata.csv").write_text("file,year\n2.txt,2020\n", encoding="utf-8")
    (tmp_path / "README.md").write_text("about this folder", encoding="utf-8")
    (tmp_path / ".hidden.txt").write_text("x", encoding="utf-8")
    (tmp_path / "~$lock.docx").write_bytes(b"x")
    files, sheets, log = discover(tmp_path)
    assert [p.relative_to(tmp_path).as_posix() for p in files] == ["a.txt", "b/2.txt"]
    assert sheets == [tmp_path / "b" / "metadata.csv"]
    assert [(r.path, r.status) for r in log] == [("README.md", "unsupported")]
