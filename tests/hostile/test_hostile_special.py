"""Finding 3: a file replaced by a FIFO (or a device, a socket, a link) after it was listed
must not hang or redirect the run: inputs are opened once with O_NONBLOCK (and O_NOFOLLOW),
the handle is fstat'ed and anything but a regular file is refused, then read from that handle.

Before the fix ingest stat'ed the path, then opened it: a FIFO swapped in between blocked
``open`` forever (and the run stage's cache hash opened it even before that)."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

import pytest

from pipeline.config import Settings

ROOT = Path(__file__).resolve().parents[2]
SAMPLE = ROOT / "data" / "raw" / "sample"
LIMIT = 30  # seconds: the old code blocks forever


def _run(script: str, timeout: float = LIMIT) -> str:
    env = {"PYTHONPATH": str(ROOT), **os.environ}
    try:
        proc = subprocess.run(
            [sys.executable, "-c", textwrap.dedent(script)], cwd=tempfile.gettempdir(), env=env, capture_output=True, text=True, timeout=timeout
        )
    except subprocess.TimeoutExpired:
        pytest.fail(f"blocked for over {timeout}s (opened a FIFO before checking it)")
    assert proc.returncode == 0, proc.stderr[-3000:]
    return proc.stdout


def test_fifo_swapped_in_between_check_and_open_does_not_hang(tmp_path):
    """The check and the read use one handle: even if the path looked like a regular file a
    moment earlier (Path.stat patched to say so), the FIFO is refused, not waited on."""
    raw = tmp_path / "raw"
    raw.mkdir()
    shutil.copy(SAMPLE / "000_0251f9872aab0630.txt", raw / "regular.txt")
    os.mkfifo(raw / "report.txt")
    out = _run(f"""
        import os, pathlib
        from pipeline.ingest import ingest_file
        real_stat = pathlib.Path.stat
        regular = real_stat(pathlib.Path({str(raw / "regular.txt")!r}))
        def stat(self, *a, **k):  # 'it was a regular file when it was checked'
            return regular if self.name == "report.txt" else real_stat(self, *a, **k)
        pathlib.Path.stat = stat
        os.stat = lambda p, *a, **k: regular if str(p).endswith("report.txt") else real_stat(pathlib.Path(p))
        row, doc = ingest_file(pathlib.Path({str(raw / "report.txt")!r}), pathlib.Path({str(raw)!r}))
        print(row.status, "|", row.reason)
    """)
    status, reason = out.strip().split(" | ")
    assert status == "unreadable" and "not a regular file" in reason and "FIFO" in reason


def test_fifo_swapped_in_after_discovery_costs_one_log_line(tmp_path):
    raw = tmp_path / "raw"
    shutil.copytree(SAMPLE, raw)
    out_dir = tmp_path / "out"
    out = _run(f"""
        import os, pathlib
        from pipeline.ingest import walk
        from pipeline import run as engine
        raw = pathlib.Path({str(raw)!r})
        real = walk.discover
        def discover_then_swap(folder, settings, *a, **k):
            files, sheets, log = real(folder, settings, *a, **k)
            victim = files[0]
            victim.unlink()
            os.mkfifo(victim)
            return files, sheets, log
        walk.discover = discover_then_swap
        s = engine.ingest_only(raw, pathlib.Path({str(out_dir)!r}), progress=False)
        print(s.n_documents)
    """)
    assert out.strip() == "4"


def test_read_regular_file_refuses_special_files(tmp_path):
    from pipeline.ingest import Skip, hash_regular_file, read_regular_file

    os.mkfifo(tmp_path / "fifo.txt")
    sock = socket.socket(socket.AF_UNIX)
    sock.bind(str(tmp_path / "sock.txt"))
    (tmp_path / "dev.txt").symlink_to("/dev/zero")
    (tmp_path / "tty.txt").symlink_to("/dev/tty")
    (tmp_path / "proc.txt").symlink_to("/proc/self/environ")
    (tmp_path / "real.txt").write_bytes(b"abc")
    (tmp_path / "link.txt").symlink_to(tmp_path / "real.txt")
    t0 = time.monotonic()
    try:
        for name in ("fifo.txt", "sock.txt", "dev.txt", "tty.txt", "proc.txt"):
            for follow in (False, True):
                with pytest.raises(Skip) as err:
                    read_regular_file(tmp_path / name, max_bytes=1 << 20, follow_links=follow)
                assert err.value.status in ("unreadable", "link"), (name, err.value.reason)
                with pytest.raises(Skip):
                    hash_regular_file(tmp_path / name, max_bytes=1 << 20, follow_links=follow)
    finally:
        sock.close()
    assert time.monotonic() - t0 < 5
    assert read_regular_file(tmp_path / "real.txt", max_bytes=10, follow_links=False) == b"abc"
    with pytest.raises(Skip) as err:  # a link without follow_links and without raw_dir: refused
        read_regular_file(tmp_path / "link.txt", max_bytes=10, follow_links=False)
    assert err.value.status == "link"
    assert read_regular_file(tmp_path / "link.txt", max_bytes=10, follow_links=False, raw_dir=tmp_path) == b"abc"
    assert read_regular_file(tmp_path / "link.txt", max_bytes=10, follow_links=True) == b"abc"
    import hashlib

    assert hash_regular_file(tmp_path / "real.txt", max_bytes=10) == hashlib.sha256(b"abc").hexdigest()
    with pytest.raises(Skip) as err:
        read_regular_file(tmp_path / "real.txt", max_bytes=2)
    assert "limit" in err.value.reason


def test_special_files_in_the_input_folder_are_logged(tmp_path):
    from pipeline.ingest import iter_documents

    raw = tmp_path / "raw"
    shutil.copytree(SAMPLE, raw)
    os.mkfifo(raw / "pipe.txt")
    (raw / "zero.txt").symlink_to("/dev/zero")
    sock = socket.socket(socket.AF_UNIX)
    sock.bind(str(raw / "sock.txt"))
    try:
        for settings in (Settings(), Settings(follow_links=True)):
            log = {r.path: r for r, _ in iter_documents(raw, settings)}
            assert log["pipe.txt"].status == "unreadable" and log["sock.txt"].status == "unreadable"
            assert log["zero.txt"].status == "link" and "system folder" in log["zero.txt"].reason
            assert sum(r.status == "ok" for r in log.values()) == 5
    finally:
        sock.close()
