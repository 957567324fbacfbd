"""Finding 1: symlinks out of the input folder are not followed (unless the analyst opts in),
and never into /proc, /sys, /dev or the output folder.

Before the fix a link to /etc/shadow put its root line into paragraphs.csv, and lines of
/etc/passwd, of a private file outside RAW_DIR and of /proc/self/* reached the outputs."""

from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd
import pytest

from pipeline.config import Settings
from pipeline.ingest import ingest_file, iter_documents

ROOT = Path(__file__).resolve().parents[2]
SAMPLE = ROOT / "data" / "raw" / "sample"
SECRET = "机密口令甲乙丙丁：不得外传的私人文件内容，坚决做到两个维护。"
FOLDER_SECRET = "外部文件夹中的私人报告：全面从严治党，严格落实三会一课制度。"


@pytest.fixture()
def tree(tmp_path):
    """raw/ with one good report and links of every kind; outside/ holds private files."""
    raw = tmp_path / "raw"
    raw.mkdir()
    shutil.copy(SAMPLE / "000_0251f9872aab0630.txt", raw / "good.txt")
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "private.txt").write_text(SECRET + "\n" + SECRET[::-1] + "\n", encoding="utf-8")
    (outside / "folder").mkdir()
    (outside / "folder" / "report.txt").write_text(FOLDER_SECRET + "\n", encoding="utf-8")
    links = {
        "abs_private.txt": outside / "private.txt",  # absolute link to a file outside
        "rel_private.txt": Path("..") / "outside" / "private.txt",  # relative link
        "passwd.txt": Path("/etc/passwd"),
        "shadow.txt": Path("/etc/shadow"),
        "environ.txt": Path("/proc/self/environ"),
        "status.txt": Path("/proc/self/status"),
        "folder_abs": outside / "folder",  # folder links
        "folder_rel": Path("..") / "outside" / "folder",
        "etc": Path("/etc"),
        "proc_self": Path("/proc/self"),
    }
    for name, target in links.items():
        (raw / name).symlink_to(target)
    (raw / "sub").mkdir()
    (raw / "sub" / "up.txt").symlink_to(Path("..") / ".." / "outside" / "private.txt")  # relative, from a subfolder
    return raw, outside, links


def _all_text(rows) -> str:
    return "\n".join(p.text for _, d in rows if d is not None for p in d.paragraphs)


def test_links_out_of_the_input_folder_are_logged_not_read(tree):
    raw, _, links = tree
    rows = list(iter_documents(raw))
    log = {r.path: r for r, _ in rows}
    text = _all_text(rows)
    assert SECRET[:10] not in text and FOLDER_SECRET[:10] not in text
    assert "root:" not in text
    for name in [*links, "sub/up.txt"]:
        assert name in log, name
        assert log[name].status == "link", (name, log[name])
    for name in ("abs_private.txt", "rel_private.txt", "sub/up.txt", "folder_abs", "folder_rel", "passwd.txt"):
        assert "outside the input folder" in log[name].reason and "--follow-links" in log[name].reason, log[name]
    for name in ("environ.txt", "status.txt", "proc_self"):
        assert "system folder" in log[name].reason, log[name]
    assert log["good.txt"].status == "ok"


def test_follow_links_reads_outside_files_but_never_system_files(tree):
    raw, _, _ = tree
    rows = list(iter_documents(raw, Settings(follow_links=True)))
    log = {r.path: r for r, _ in rows}
    text = _all_text(rows)
    assert SECRET[:10] in text and FOLDER_SECRET[:10] in text  # the analyst opted in
    assert log["folder_abs/report.txt"].status in ("ok", "duplicate")
    for name in ("environ.txt", "status.txt", "proc_self"):
        assert log[name].status == "link" and "even with --follow-links" in log[name].reason, log[name]


def test_links_inside_the_input_folder_are_followed(tmp_path):
    raw = tmp_path / "raw"
    (raw / "a").mkdir(parents=True)
    shutil.copy(SAMPLE / "001_52700c0b7c2082a9.txt", raw / "a" / "report.txt")
    (raw / "same.txt").symlink_to(Path("a") / "report.txt")
    (raw / "b").symlink_to(Path("a"), target_is_directory=True)
    log = {r.path: r.status for r, _ in iter_documents(raw)}
    # the folder link is the same folder: visited once (device + inode), as before
    assert log == {"a/report.txt": "ok", "b": "unsupported", "same.txt": "duplicate"}


def test_file_swapped_for_a_link_after_listing_is_not_followed(tree):
    """ingest_file itself refuses a link that leaves the folder (a file replaced by a link
    between discovery and reading), and so does a file reached through a swapped folder."""
    raw, outside, _ = tree
    for name in ("abs_private.txt", "rel_private.txt", "passwd.txt", "sub/up.txt", "folder_abs/report.txt"):
        row, doc = ingest_file(raw / name, raw)
        assert doc is None and row.status == "link", (name, row)
    row, doc = ingest_file(raw / "environ.txt", raw, settings=Settings(follow_links=True))
    assert doc is None and row.status in ("link", "unreadable"), row


def test_link_to_the_output_folder_is_never_read(tmp_path):
    """A link inside RAW_DIR to OUT_DIR got around the RAW == OUT guard: the run read its own
    report.html back as a document."""
    from pipeline import run as engine

    raw = tmp_path / "raw"
    shutil.copytree(SAMPLE, raw)
    out = tmp_path / "out"
    out.mkdir()
    (out / "report.html").write_text("<html><body><p>上一次运行的报告：坚决做到两个维护。" + "输出" * 50 + "</p></body></html>", encoding="utf-8")
    (raw / "outputs").symlink_to(out, target_is_directory=True)
    (raw / "report_link.html").symlink_to(out / "report.html")
    for settings in (Settings(), Settings(follow_links=True)):
        log = {r.path: r for r, _ in iter_documents(raw, settings, out_dir=out)}
        assert log["outputs"].status == "link" and "output folder" in log["outputs"].reason
        assert log["report_link.html"].status == "link" and "output folder" in log["report_link.html"].reason
        assert not any(p.startswith("outputs/") for p in log)
    engine.ingest_only(raw, out, progress=False)
    ing = pd.read_csv(out / "ingest_log.csv", encoding="utf-8-sig", dtype=str, keep_default_na=False).set_index("path")
    assert ing.loc["outputs", "status"] == "link" and ing.loc["report_link.html", "status"] == "link"
    docs = pd.read_csv(out / "documents.csv", encoding="utf-8-sig", dtype=str, keep_default_na=False)
    assert len(docs) == 5


def test_metadata_sheet_through_an_outside_link_is_not_read(tmp_path):
    raw = tmp_path / "raw"
    raw.mkdir()
    shutil.copy(SAMPLE / "000_0251f9872aab0630.txt", raw / "r.txt")
    (tmp_path / "metadata.csv").write_text("file,year,title\nr.txt,1999,外部标题\n", encoding="utf-8")
    (raw / "metadata.csv").symlink_to(tmp_path / "metadata.csv")
    rows = list(iter_documents(raw))
    log = {r.path: r for r, _ in rows}
    assert log["metadata.csv"].status == "link"
    doc = next(d for _, d in rows if d is not None)
    assert doc.year != 1999 and doc.title != "外部标题"


def test_no_link_row_for_a_plain_folder(tmp_path):
    raw = tmp_path / "raw"
    shutil.copytree(SAMPLE, raw)
    assert all(r.status == "ok" for r, _ in iter_documents(raw))
