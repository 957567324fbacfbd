"""Finding 2: every file name is data. Names that are not UTF-8 (GBK after unzipping on
Chinese Windows, Big5, Latin-1, stray bytes) and names holding terminal escape sequences or
control characters are carried with surrogate escapes and shown escaped in log rows,
documents.csv and on the terminal; nothing crashes with 'surrogates not allowed'."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from pipeline.ingest import ingest_file, iter_documents

ROOT = Path(__file__).resolve().parents[2]
SAMPLE = ROOT / "data" / "raw" / "sample"
SEED = SAMPLE / "002_6e530d1dddefc870.txt"

# (bytes of the name, how it must be shown)
BYTE_NAMES = [
    ("党建报告".encode("gbk") + b".txt", "\\xb5\\xb3\\xbd\\xa8\\xb1\\xa8\\xb8\\xe6.txt"),
    ("工作总结".encode("gbk") + b".txt", "\\xb9\\xa4\\xd7\\xf7\\xd7ܽ\\xe1.txt"),  # d7 f7 invalid; dc bd is UTF-8 for U+073D
    ("報告".encode("big5") + b".txt", "\\xb3\\xf8\\xa7i.txt"),
    (b"caf\xe9.txt", "caf\\xe9.txt"),
    (b"stray\xff\xfe.txt", "stray\\xff\\xfe.txt"),
    ("中文".encode() + b"\x80.txt", "中文\\x80.txt"),  # valid UTF-8 then a broken byte
]
CONTROL_NAMES = [
    ("esc\x1b[31mred\x1b[0m.txt", "esc\\x1b[31mred\\x1b[0m.txt"),
    ("bell\x07.txt", "bell\\x07.txt"),
    ("new\nline.txt", "new\\nline.txt"),
    ("tab\there.txt", "tab\\there.txt"),
    ("rtl\u202etxt.exe.txt", "rtl\\u202etxt.exe.txt"),
    ("osc\x1b]0;pwned\x07.txt", "osc\\x1b]0;pwned\\x07.txt"),
]


def _write(raw: Path, name: bytes | str, i: int) -> None:
    body = SEED.read_bytes() + f"\n第{i}份副本，用于测试文件名。\n".encode()
    fd = os.open(os.path.join(os.fsencode(raw), os.fsencode(name)), os.O_WRONLY | os.O_CREAT, 0o644)
    with os.fdopen(fd, "wb") as fh:
        fh.write(body)


@pytest.fixture()
def raw(tmp_path):
    raw = tmp_path / "raw"
    raw.mkdir()
    for i, (name, _) in enumerate(BYTE_NAMES + CONTROL_NAMES):
        _write(raw, name, i)
    sub = os.path.join(os.fsencode(raw), "报告".encode("gbk"))  # a folder with a GBK name
    os.mkdir(sub)
    _write(Path(os.fsdecode(sub)), b"inner.txt", 99)
    return raw


EXPECTED = {shown for _, shown in BYTE_NAMES + CONTROL_NAMES} | {"\\xb1\\xa8\\xb8\\xe6/inner.txt"}


def test_ingest_file_shows_names_escaped(raw):
    for name, shown in BYTE_NAMES + CONTROL_NAMES:
        path = Path(os.fsdecode(os.path.join(os.fsencode(raw), os.fsencode(name))))
        row, doc = ingest_file(path, raw)
        assert row.status == "ok", row
        assert row.path == shown and doc.path == shown
        row.path.encode("utf-8")  # no surrogates left
        assert row.path.isprintable()


def test_iter_documents_with_non_utf8_names(raw):
    rows = list(iter_documents(raw))
    assert {r.path for r, _ in rows} == EXPECTED
    assert all(r.status == "ok" for r, _ in rows)


def test_ingest_command_writes_escaped_names_and_prints_no_escape_sequence(raw, tmp_path):
    """The CLI end to end: no crash, the tables hold the escaped names, and the terminal never
    receives a raw ESC/BEL/RTL-override (the failing files are listed in the summary)."""
    for name in ("empty\x1b[2J\x1b[H.txt", b"empty_\xb1\xa8.txt"):
        fd = os.open(os.path.join(os.fsencode(raw), os.fsencode(name)), os.O_WRONLY | os.O_CREAT, 0o644)
        os.close(fd)
    out = tmp_path / "out"
    env = {"PYTHONPATH": str(ROOT), **os.environ}
    proc = subprocess.run(
        [sys.executable, "-m", "pipeline.cli", "ingest", str(raw), "--out", str(out)], cwd=tmp_path, env=env, capture_output=True, timeout=300
    )
    assert proc.returncode == 0, proc.stderr.decode(errors="replace")[-3000:]
    for stream in (proc.stdout, proc.stderr):
        assert b"\x1b" not in stream and b"\x07" not in stream and "\u202e".encode() not in stream
    printed = proc.stdout.decode("utf-8")
    assert "empty\\x1b[2J\\x1b[H.txt" in printed and "empty_\\xb1\\xa8.txt" in printed
    log = pd.read_csv(out / "ingest_log.csv", encoding="utf-8-sig", dtype=str, keep_default_na=False)
    assert set(log["path"]) == EXPECTED | {"empty\\x1b[2J\\x1b[H.txt", "empty_\\xb1\\xa8.txt"}
    docs = pd.read_csv(out / "documents.csv", encoding="utf-8-sig", dtype=str, keep_default_na=False)
    assert set(docs["path"]) <= EXPECTED and len(docs) >= 1
    removed = pd.read_csv(out / "removed_lines.csv", encoding="utf-8-sig", dtype=str, keep_default_na=False)
    assert set(removed["path"]) <= EXPECTED


def test_hash_uses_the_bytes_of_the_name():
    from pipeline.ingest import display_path, path_bytes

    name = "党建".encode("gbk") + b".txt"
    text = os.fsdecode(name)
    assert path_bytes(text) == name and path_bytes(Path(text)) == name
    assert display_path(text) == display_path(name) == "\\xb5\\xb3\\xbd\\xa8.txt"
    with pytest.raises(UnicodeEncodeError):
        text.encode("utf-8")  # why str.encode() must never hash a path


def test_display_rule_is_idempotent_and_keeps_printable_names():
    from pipeline.ingest import display_text

    for name in ["中文 名字.txt", "quote'\"s.txt", "a\\b.txt", "全角　空格.txt"]:
        assert display_text(name) == name
    for _, shown in BYTE_NAMES + CONTROL_NAMES:
        assert display_text(shown) == shown


def test_copied_tree_with_gbk_names_matches_utf8_tree(tmp_path):
    """The same reports under GBK names and UTF-8 names give the same documents (only the
    path differs)."""
    a, b = tmp_path / "a", tmp_path / "b"
    a.mkdir()
    b.mkdir()
    for p in sorted(SAMPLE.glob("*.txt")):
        name = "报告" + p.name
        shutil.copy(p, a / name)
        shutil.copy(p, os.path.join(os.fsencode(b), name.encode("gbk")))
    da = sorted((d.doc_id, d.title, len(d.paragraphs)) for _, d in iter_documents(a) if d)
    db = sorted((d.doc_id, d.title, len(d.paragraphs)) for _, d in iter_documents(b) if d)
    assert da == db and len(da) == 5
