"""The output lock is the kernel's flock: a holder killed at any moment (even left a zombie,
or with its pid reused) never blocks the next run."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from pipeline.errors import OutputLocked
from pipeline.store.lock import LOCK_NAME, output_lock

HOLD = "import sys, time\nfrom pipeline.store.lock import output_lock\nwith output_lock(sys.argv[1]):\n    print('held', flush=True)\n    time.sleep(60)\n"
ROOT = Path(__file__).resolve().parents[2]


def _holder(out: Path) -> subprocess.Popen:
    proc = subprocess.Popen([sys.executable, "-c", HOLD, str(out)], stdout=subprocess.PIPE, text=True, cwd=ROOT)
    assert proc.stdout.readline().strip() == "held"
    return proc


def test_a_live_holder_blocks_with_its_pid_in_the_message(tmp_path):
    proc = _holder(tmp_path)
    try:
        with pytest.raises(OutputLocked, match=str(proc.pid)):
            with output_lock(tmp_path):
                pass
    finally:
        proc.kill()
        proc.wait()


def test_a_sigkilled_holder_left_as_a_zombie_does_not_block(tmp_path):
    proc = _holder(tmp_path)
    os.kill(proc.pid, signal.SIGKILL)
    time.sleep(0.2)  # not reaped: the pid is a zombie, which fooled the old os.kill(pid, 0) check
    assert (tmp_path / LOCK_NAME).exists()
    with output_lock(tmp_path):  # at once, no waiting
        pass
    proc.wait()
    assert not (tmp_path / LOCK_NAME).exists()


def test_a_lock_file_naming_a_live_foreign_pid_does_not_block(tmp_path):
    # a reused pid: the file names a process that is alive (our own parent) but holds no lock
    (tmp_path / LOCK_NAME).write_text(json.dumps({"pid": os.getppid(), "host": socket.gethostname(), "started": 0}))
    with output_lock(tmp_path):
        pass


def test_waiting_gets_the_lock_once_the_holder_ends(tmp_path):
    proc = _holder(tmp_path)
    t0 = time.monotonic()
    subprocess.Popen(["sh", "-c", f"sleep 0.5; kill -9 {proc.pid}"])
    with output_lock(tmp_path, wait=10):
        assert time.monotonic() - t0 < 5
    proc.wait()


@pytest.mark.parametrize("delay", [0.3, 0.9, 1.6, 2.4, 3.5])
def test_a_run_killed_at_a_random_moment_is_followed_at_once_by_a_run_that_completes(tmp_path, delay):
    from typer.testing import CliRunner

    from pipeline.cli import app

    raw = ROOT / "data" / "raw"
    out = tmp_path / "out"
    proc = subprocess.Popen(
        [sys.executable, "-c", "from pipeline.cli import app; app()", "run", str(raw), "--out", str(out)],
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    time.sleep(delay)
    proc.send_signal(signal.SIGKILL)  # not reaped before the next run starts
    result = CliRunner().invoke(app, ["run", str(raw), "--out", str(out)])
    proc.wait()
    assert result.exit_code == 0, result.output
    assert (out / "documents.csv").is_file() and not (out / LOCK_NAME).exists()
