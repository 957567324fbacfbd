"""Findings 2, 3 and 9 end to end through `dangjian run` (the run stage, not only ingest): a file
whose name is not UTF-8 (GBK, Big5, Shift-JIS, a lone 0xff byte, a folder with a GBK name), a
name holding a terminal escape sequence, a FIFO in the folder, and a FIFO or a link swapped in
for a file after the folder was listed. Before the run stage used the ingest helpers,
``dangjian run`` died with ``UnicodeEncodeError: ... surrogates not allowed`` (the ingest
cache key, the run key, the file-hash cache) and hung on the swapped-in FIFO (it was opened
for hashing with a blocking ``open()``)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from contextlib import contextmanager
from pathlib import Path

import pandas as pd
import pytest
from test_hostile_run_helpers import leftovers

from pipeline import run as engine
from pipeline.ingest import display_path
from pipeline.run import orchestrate

ROOT = Path(__file__).resolve().parents[2]
SAMPLE = ROOT / "data" / "raw" / "sample"
SEED = SAMPLE / "002_6e530d1dddefc870.txt"

# (the name's bytes, relative to RAW, and how every table and the terminal must show it)
NAMES = [
    ("党建报告".encode("gbk") + b".txt", "\\xb5\\xb3\\xbd\\xa8\\xb1\\xa8\\xb8\\xe6.txt"),
    ("報告".encode("big5") + b".txt", "\\xb3\\xf8\\xa7i.txt"),
    ("資料".encode("shift_jis") + b".txt", "\\x8e\\x91\\x97\\xbf.txt"),
    (b"\xff.txt", "\\xff.txt"),
    ("红\x1b[31m色\x1b[0m.txt".encode(), "红\\x1b[31m色\\x1b[0m.txt"),
    ("党组".encode("gbk") + b"/inner.txt", "\\xb5\\xb3\\xd7\\xe9/inner.txt"),  # a folder named in GBK
    # a real name that reads like the escaped GBK name above: the same text in the tables,
    # two files for the run (keys and the file-hash cache use the bytes)
    (b"\\xb5\\xb3\\xbd\\xa8\\xb1\\xa8\\xb8\\xe6.txt", "\\xb5\\xb3\\xbd\\xa8\\xb1\\xa8\\xb8\\xe6.txt"),
]
FIFOS = [(b"pipe.txt", "pipe.txt"), ("管线".encode("gbk") + b".txt", "\\xb9\\xdc\\xcf\\xdf.txt")]
SHOWN = sorted(shown for _, shown in NAMES)


def _bpath(raw: Path, name: bytes) -> bytes:
    return os.path.join(os.fsencode(raw), name)


def _write(raw: Path, name: bytes, i: int) -> None:
    target = _bpath(raw, name)
    os.makedirs(os.path.dirname(target), exist_ok=True)
    body = SEED.read_bytes() + f"\n第{i}份副本：坚决做到两个维护，用于测试文件名。\n".encode()
    with open(target, "wb") as fh:
        fh.write(body)


def make_named_raw(base: Path) -> Path:
    raw = base / "raw"
    raw.mkdir()
    for i, (name, _) in enumerate(NAMES):
        _write(raw, name, i)
    for name, _ in FIFOS:
        os.mkfifo(_bpath(raw, name))
    return raw


def _cli(*args: str | bytes, timeout: float = 600) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.run([sys.executable, "-m", "pipeline.cli", *args], cwd=ROOT, env=env, capture_output=True, timeout=timeout)


def _table(out: Path, name: str) -> pd.DataFrame:
    return pd.read_csv(out / f"{name}.csv", encoding="utf-8-sig", dtype=str, keep_default_na=False)


def _clean_terminal(proc: subprocess.CompletedProcess) -> str:
    """stdout as text, after checking that neither stream got a raw escape, BEL or traceback."""
    for stream in (proc.stdout, proc.stderr):
        assert b"\x1b" not in stream and b"\x07" not in stream, stream[-2000:]
    assert b"Traceback" not in proc.stderr, proc.stderr.decode(errors="replace")[-3000:]
    return proc.stdout.decode("utf-8")  # no surrogate ever reached the terminal


@pytest.fixture(scope="module")
def named_run(tmp_path_factory):
    """`dangjian run RAW` (the local pool of 2 workers: the names cross process boundaries),
    then the same command again."""
    base = tmp_path_factory.mktemp("names")
    raw = make_named_raw(base)
    out = base / "out"
    first = _cli("run", str(raw), "--out", str(out), "--workers", "2")
    second = _cli("run", str(raw), "--out", str(out), "--workers", "2")
    return raw, out, first, second


def test_run_with_non_utf8_and_escape_names_writes_every_table_and_report(named_run):
    raw, out, first, _ = named_run
    assert first.returncode == 0, first.stderr.decode(errors="replace")[-3000:]
    printed = _clean_terminal(first)
    for _, shown in FIFOS:  # listed as problems, escaped
        assert f"{shown}: unreadable: not a regular file" in printed
    docs = _table(out, "documents")
    assert sorted(docs["path"]) == SHOWN  # every named file is a document (the look-alike too)
    assert docs["doc_id"].nunique() == len(NAMES)
    log = _table(out, "ingest_log")
    assert sorted(log.loc[log["status"] == "ok", "path"]) == SHOWN
    assert set(log.loc[log["status"] == "unreadable", "path"]) == {shown for _, shown in FIFOS}
    assert set(_table(out, "removed_lines")["path"]) <= set(SHOWN)
    paragraphs = _table(out, "paragraphs")
    assert set(paragraphs["doc_id"]) == set(docs["doc_id"])
    html = (out / "report.html").read_bytes()
    assert b"\x1b" not in html
    text = html.decode("utf-8")
    fifo = FIFOS[1][1]
    assert fifo in text or json.dumps(fifo)[1:-1] in text  # the FIFO's row (in the page or its data)
    json.loads((out / ".dangjian-run.json").read_text(encoding="utf-8"))
    assert leftovers(out) == []


def test_file_hash_cache_keeps_the_real_names_and_the_rerun_is_unchanged(named_run):
    raw, out, _, second = named_run
    hashes = json.loads((out / ".cache" / "filehashes.json").read_text(encoding="ascii"))["files"]
    for name, _ in NAMES:  # learned under the name on disk, not under its escaped form
        assert os.fsdecode(os.path.abspath(_bpath(raw, name))) in hashes
    assert second.returncode == 0, second.stderr.decode(errors="replace")[-3000:]
    printed = _clean_terminal(second)
    assert "unchanged since the last run" in printed


def test_ingest_command_with_the_same_names(tmp_path):
    from typer.testing import CliRunner

    from pipeline.cli import app

    raw = make_named_raw(tmp_path)
    out = tmp_path / "out"
    result = CliRunner().invoke(app, ["ingest", str(raw), "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "\x1b" not in result.output and f"{FIFOS[1][1]}: unreadable" in result.output
    assert sorted(_table(out, "documents")["path"]) == SHOWN


def test_kwic_csv_after_such_a_run(named_run, tmp_path):
    from typer.testing import CliRunner

    from pipeline.cli import app

    _, out, first, _ = named_run
    assert first.returncode == 0
    target = os.fsdecode(os.path.join(os.fsencode(tmp_path), "索引".encode("gbk") + b".csv"))  # a CSV named in GBK too
    result = CliRunner().invoke(app, ["kwic", "两个维护", "--out", str(out), "--csv", target])
    assert result.exit_code == 0, result.output
    table = pd.read_csv(target, encoding="utf-8-sig", dtype=str)
    docs = _table(out, "documents")
    assert set(docs["doc_id"]) <= set(table["doc_id"])  # each named copy has its added line


class Blocked(Exception):
    """Not an OSError (the old worker swallowed OSErrors raised while it hashed a file)."""


@contextmanager
def _deadline(seconds: int):
    """Fail instead of hanging (the old run blocked for ever in open() on a FIFO)."""

    def expired(signum, frame):
        raise Blocked(f"still running after {seconds} s: blocked on a FIFO?")

    old = signal.signal(signal.SIGALRM, expired)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, old)


UTF8_NAMES = [(f"报告{i}.txt".encode(), f"报告{i}.txt") for i in range(3)]


@pytest.mark.parametrize("names", [NAMES, UTF8_NAMES], ids=["non-utf8-names", "utf8-names"])
def test_a_fifo_or_link_swapped_in_after_listing_costs_one_log_row(tmp_path, monkeypatch, names):
    """After a complete run, the next run lists the folder, and then one report is replaced by
    a FIFO and another by a link to a file outside the folder. The run key (hashes every
    input), the workers (hash, then ingest) and the final key must neither block nor read the
    outside file. With UTF-8 names too: the old run hung there whatever the names."""
    raw = tmp_path / "raw"
    raw.mkdir()
    for i, (name, _) in enumerate(names):
        _write(raw, name, i)
    secret = tmp_path / "secret.txt"
    secret.write_text("机密文件内容：不得出现在任何输出里。\n" * 20, encoding="utf-8")
    out = tmp_path / "out"
    with _deadline(600):
        engine.run(raw, out, workers=1, report=False, progress=False)
    real_discover = orchestrate.discover
    fifo_name, link_name = names[1][0], names[2][0]  # Big5 and Shift-JIS names in NAMES

    def discover_then_swap(*args, **kw):
        found = real_discover(*args, **kw)
        for name in (fifo_name, link_name):
            os.unlink(_bpath(raw, name))
        os.mkfifo(_bpath(raw, fifo_name))
        os.symlink(secret, _bpath(raw, link_name))
        return found

    monkeypatch.setattr(orchestrate, "discover", discover_then_swap)
    with _deadline(300):  # ~10 s here; the old code blocked until this fired
        summary = engine.run(raw, out, workers=1, report=False, progress=False)
    assert summary.n_documents == len(names) - 2
    rows = _table(out, "ingest_log").set_index("path")
    fifo_row = rows.loc[display_path(fifo_name)]
    assert fifo_row["status"] == "unreadable" and "FIFO" in fifo_row["reason"], fifo_row
    link_row = rows.loc[display_path(link_name)]
    assert link_row["status"] == "link" and "outside the input folder" in link_row["reason"], link_row
    assert not any("机密" in p for p in _table(out, "paragraphs")["text"])
    assert leftovers(out) == []
