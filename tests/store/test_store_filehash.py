"""pipeline.store.filehash: SHA-256 of files, trusted while (inode, size, mtime_ns, ctime_ns) hold."""

from __future__ import annotations

import hashlib
import os

from pipeline.store import filehash
from pipeline.store.filehash import FileHashes


def test_digest_is_cached_and_an_edit_with_the_same_size_and_mtime_is_seen(tmp_path, monkeypatch):
    monkeypatch.setattr(filehash, "RACY_NS", 0)
    p = tmp_path / "a.txt"
    p.write_bytes(b"two words")
    cache = tmp_path / "h.json"
    h = FileHashes(cache)
    assert h.digest(p) == hashlib.sha256(b"two words").hexdigest() and h.hashed == 1
    h.save()
    again = FileHashes(cache)
    assert again.digest(p) == hashlib.sha256(b"two words").hexdigest() and again.hashed == 0  # not read
    st = p.stat()
    p.write_bytes(b"two wordz")
    os.utime(p, ns=(st.st_atime_ns, st.st_mtime_ns))  # same size, same mtime: only ctime tells
    third = FileHashes(cache)
    assert third.digest(p) == hashlib.sha256(b"two wordz").hexdigest() and third.hashed == 1


def test_racy_entries_are_hashed_again(tmp_path, monkeypatch):
    monkeypatch.setattr(filehash, "FINE_RACY_NS", 10 * 10**9)  # "the same tick", however slow this machine is
    p = tmp_path / "a.txt"
    p.write_bytes(b"x")
    h = FileHashes(tmp_path / "h.json")
    h.digest(p)
    h.save()
    fresh = FileHashes(tmp_path / "h.json")
    fresh.digest(p)
    assert fresh.hashed == 1  # hashed in the same moment it was written: not trusted


def test_first_answer_in_a_process_stays_and_learn_overrides(tmp_path):
    p = tmp_path / "a.txt"
    p.write_bytes(b"x")
    h = FileHashes(None)
    first = h.digest(p)
    p.write_bytes(b"y")
    assert h.digest(p) == first  # a key computed at the end of a run names what the run read
    h.learn(p, filehash.stat_key(p.stat()), "feed")
    assert h.digest(p) == "feed"
    h.forget(p)
    assert h.digest(p) == hashlib.sha256(b"y").hexdigest()


def test_a_damaged_cache_file_is_ignored(tmp_path):
    (tmp_path / "h.json").write_text("{not json")
    p = tmp_path / "a.txt"
    p.write_bytes(b"x")
    assert FileHashes(tmp_path / "h.json").digest(p) == hashlib.sha256(b"x").hexdigest()
    assert FileHashes(tmp_path / "h.json").digest(tmp_path / "missing") is None


def test_save_keeps_only_the_files_used(tmp_path, monkeypatch):
    monkeypatch.setattr(filehash, "RACY_NS", 0)
    a, b = tmp_path / "a", tmp_path / "b"
    a.write_bytes(b"1")
    b.write_bytes(b"2")
    h = FileHashes(tmp_path / "h.json")
    h.digest(a), h.digest(b)
    h.save()
    h2 = FileHashes(tmp_path / "h.json")
    h2.digest(a)
    h2.save()
    assert list(FileHashes(tmp_path / "h.json")._entries) == [os.path.abspath(a)]


def _gbk_path(folder) -> str:
    return os.fsdecode(os.path.join(os.fsencode(folder), "党建报告".encode("gbk") + b".txt"))


def test_a_name_that_is_not_utf8_is_saved_and_found_again(tmp_path, monkeypatch):
    """The cache file holds the name's surrogate escapes as JSON escapes: saving does not crash
    ('surrogates not allowed') and the entry is found again under the same name."""
    monkeypatch.setattr(filehash, "RACY_NS", 0)
    monkeypatch.setattr(filehash, "FINE_RACY_NS", 0)
    name = _gbk_path(tmp_path)
    with open(name, "wb") as fh:
        fh.write("党建".encode())
    cache = tmp_path / "h.json"
    h = FileHashes(cache)
    assert h.digest(name) == hashlib.sha256("党建".encode()).hexdigest()
    h.save()
    cache.read_bytes().decode("ascii")
    again = FileHashes(cache)
    assert again.digest(name) == hashlib.sha256("党建".encode()).hexdigest() and again.hashed == 0


class Blocked(Exception):
    """Not an OSError: FileHashes.digest must not swallow it."""


def _with_deadline(seconds, fn):
    import signal

    def expired(signum, frame):
        raise Blocked("blocked opening a FIFO")

    old = signal.signal(signal.SIGALRM, expired)
    signal.alarm(seconds)
    try:
        return fn()
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, old)


def test_a_fifo_is_refused_at_once_not_waited_on(tmp_path):
    """A FIFO where a file was listed: sha256_file raises NotRegularFile (an OSError) and
    FileHashes.digest answers None, both without blocking (a plain open() waits for a writer)."""
    import pytest

    fifo = tmp_path / "pipe.txt"
    os.mkfifo(fifo)
    with pytest.raises(filehash.NotRegularFile):
        _with_deadline(10, lambda: filehash.sha256_file(fifo))
    assert _with_deadline(10, lambda: FileHashes(None).digest(fifo)) is None
    assert FileHashes(None).digest(tmp_path) is None  # a folder: not read either
