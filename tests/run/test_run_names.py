"""The run stage carries file names as bytes: its keys hash a name's bytes (never
``str.encode``), the worker reads inputs only through the ingest helpers (no blocking open,
regular files only), and every log row it makes shows the name escaped."""

from __future__ import annotations

import hashlib
import json
import os
import signal
from pathlib import Path

from pipeline.config import Settings
from pipeline.run import fingerprints, worker
from pipeline.run.cache import CACHE_DIR

GBK = "党建报告".encode("gbk") + b".txt"  # shown as \xb5\xb3\xbd\xa8\xb1\xa8\xb8\xe6.txt
TEXT = "中共某校委员会2020年度党建工作总结\n一、加强政治建设，坚决做到两个维护。\n"


def _name(folder: Path, name: bytes) -> Path:
    return Path(os.fsdecode(os.path.join(os.fsencode(folder), name)))


class Blocked(Exception):
    """Not an OSError (the old worker swallowed OSErrors raised while it hashed a file)."""


def _deadline(seconds: int):
    def expired(signum, frame):
        raise Blocked("blocked: a FIFO opened for reading?")

    signal.signal(signal.SIGALRM, expired)
    signal.alarm(seconds)


def test_run_key_hashes_the_bytes_of_names(tmp_path):
    """A GBK name, a Big5 name and a lone 0xff byte give a key (the old key crashed with
    'surrogates not allowed'); a file whose real name is the escaped text of the GBK name is
    another file, with another key."""
    a, b = tmp_path / "a", tmp_path / "b"
    for folder, names in ((a, [GBK, "報告".encode("big5") + b".txt", b"\xff.txt"]), (b, [b"\\xb5\\xb3\\xbd\\xa8\\xb1\\xa8\\xb8\\xe6.txt"])):
        folder.mkdir()
        for name in names:
            _name(folder, name).write_text(TEXT, encoding="utf-8")
    s = Settings()
    key_a = fingerprints.run_key(a, s, "local", False, static="s")
    key_b = fingerprints.run_key(b, s, "local", False, static="s")
    assert len(key_a) == 64 and key_a != key_b


def test_ingest_key_of_utf8_names_is_the_old_key():
    """Names that are UTF-8 keep the key they had (their cached blobs stay valid)."""
    meta = {"title": "标题", "columns": {"单位": "某校"}}
    old = hashlib.sha256(f"{'ab' * 32}|报告/2020.txt|{json.dumps(meta, sort_keys=True, ensure_ascii=False)}|fp".encode()).hexdigest()
    assert worker._ingest_key("ab" * 32, "报告/2020.txt", meta, "fp") == old
    assert worker._ingest_key("ab" * 32, os.fsdecode(GBK), meta, "fp") != worker._ingest_key("ab" * 32, "x.txt", meta, "fp")


def test_worker_caches_a_gbk_name_and_shows_it_escaped(tmp_path):
    raw = tmp_path / "raw"
    raw.mkdir()
    path = _name(raw, GBK)
    path.write_text(TEXT, encoding="utf-8")
    cache = tmp_path / CACHE_DIR
    first = worker._ingest_cached(path, raw, None, Settings(), "fp", worker.Cache(cache))
    again = worker._ingest_cached(path, raw, None, Settings(), "fp", worker.Cache(cache))
    assert first[1] == 0 and again[1] == 1  # the blob was written under a key of the name's bytes
    assert first[0]["log"]["path"] == "\\xb5\\xb3\\xbd\\xa8\\xb1\\xa8\\xb8\\xe6.txt" and first[0]["log"]["status"] == "ok"
    assert first[2][5] == hashlib.sha256(TEXT.encode()).hexdigest()


def test_worker_does_not_block_on_a_fifo_swapped_in(tmp_path):
    """A FIFO where a listed file was: one unreadable row, at once (the old worker opened it for
    hashing with a blocking open())."""
    raw = tmp_path / "raw"
    raw.mkdir()
    fifo = _name(raw, GBK)
    os.mkfifo(fifo)
    _deadline(30)
    try:
        row, hit, source = worker._ingest_cached(fifo, raw, None, Settings(), "fp", worker.Cache(tmp_path / CACHE_DIR))
    finally:
        signal.alarm(0)
    assert row["log"]["status"] == "unreadable" and "FIFO" in row["log"]["reason"] and source is None and hit == 0
    assert row["log"]["path"] == "\\xb5\\xb3\\xbd\\xa8\\xb1\\xa8\\xb8\\xe6.txt"


def test_a_file_changed_while_it_was_ingested_is_not_cached(tmp_path, monkeypatch):
    """The blob's key names the bytes that were hashed; if the file is rewritten before ingest
    reads it, the result is not stored under that key (nor its hash learned)."""
    raw = tmp_path / "raw"
    raw.mkdir()
    path = raw / "a.txt"
    path.write_text(TEXT, encoding="utf-8")
    real = worker._hash_source

    def hash_then_edit(*args):
        out = real(*args)
        path.write_text(TEXT + "二、新增的一段。\n", encoding="utf-8")
        return out

    monkeypatch.setattr(worker, "_hash_source", hash_then_edit)
    cache = worker.Cache(tmp_path / CACHE_DIR)
    ing, hit, source = worker._ingest_cached(path, raw, None, Settings(), "fp", cache)
    assert ing["log"]["status"] == "ok" and source is None
    assert not list((tmp_path / CACHE_DIR).glob("ingest/*/*.zst"))


def test_failed_rows_show_names_escaped():
    row = worker.failed(os.fsdecode(b"\xb9\xa4/\x1b[31m.txt"), "worker died on \x1b[2J")["log"]
    assert row["path"] == "\\xb9\\xa4/\\x1b[31m.txt" and row["reason"] == "worker died on \\x1b[2J"
