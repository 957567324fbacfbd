"""Crash safety and concurrency: SIGKILL at random moments never leaves a truncated output,
two runs on one folder never interleave, and a stale lock is taken over."""

from __future__ import annotations

import os
import random
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SAMPLE = ROOT / "data" / "raw" / "sample"
CMD = [sys.executable, "-m", "pipeline.cli", "run"]
KILLS = 20
KILL_LOOP_BUDGET = 600  # seconds


def _run(raw: Path, out: Path, *extra: str) -> subprocess.CompletedProcess:
    return subprocess.run(CMD + [str(raw), "--out", str(out), "--workers", "2", *extra], cwd=ROOT, capture_output=True, text=True, timeout=600)


def _snapshot(out: Path) -> dict[str, bytes]:
    """CSV bytes and report.html (which must end complete)."""
    snap = {p.name: p.read_bytes() for p in sorted(out.glob("*.csv"))}
    report = out / "report.html"
    if report.exists():
        data = report.read_bytes()
        assert data.rstrip().endswith(b"</html>"), "truncated report.html"
        snap["report.html"] = data
    return snap


@pytest.mark.slow
def test_sigkill_never_truncates(tmp_path):
    raw = tmp_path / "raw"
    shutil.copytree(SAMPLE, raw / "sample")
    old_out, new_out, out = tmp_path / "old", tmp_path / "new", tmp_path / "out"
    assert _run(raw, old_out).returncode == 0
    old = _snapshot(old_out)
    # the new version: one more report, so every table changes
    (raw / "2021_new.txt").write_text("2021年党支部工作总结\n\n全年坚决做到两个维护,严格落实三会一课,深入整治四风问题。\n", encoding="utf-8")
    t0 = time.monotonic()
    assert _run(raw, new_out).returncode == 0
    span = 0.9 * (time.monotonic() - t0)  # kill moments spread over a whole run, however fast
    new = _snapshot(new_out)
    assert old != new
    rng = random.Random(20261122)
    t_end = time.monotonic() + KILL_LOOP_BUDGET
    kills = 0
    for i in range(KILLS):
        if time.monotonic() > t_end:
            break
        shutil.rmtree(out, ignore_errors=True)
        shutil.copytree(old_out, out)  # a previous complete run
        proc = subprocess.Popen(
            CMD + [str(raw), "--out", str(out), "--workers", "2"],
            cwd=ROOT,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        time.sleep(rng.uniform(0.05, span))
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            kills += 1
        proc.wait()
        snap = _snapshot(out)
        for name, data in snap.items():
            assert data == old.get(name) or data == new.get(name), f"kill {i}: {name} is neither the old nor the new version"
    assert kills >= 10, f"only {kills} runs were killed mid-way; the run is too fast for this test"
    # a final run completes (taking over the stale lock) and equals a clean run
    final = _run(raw, out)
    assert final.returncode == 0, final.stdout + final.stderr
    assert _snapshot(out) == new


def test_second_run_stops_with_clear_message(tmp_path):
    from pipeline.errors import OutputLocked
    from pipeline.store.lock import LOCK_NAME, output_lock

    out = tmp_path / "out"
    with output_lock(out):
        proc = _run(SAMPLE, out, "--no-report")
        assert proc.returncode == 1
        assert "in use by another dangjian run" in proc.stderr and str(os.getpid()) in proc.stderr
        assert not (out / "documents.csv").exists()
        with pytest.raises(OutputLocked):
            with output_lock(out):
                pass
    assert not (out / LOCK_NAME).exists()


def test_waiting_run_gets_the_lock(tmp_path):
    import threading

    from pipeline.store.lock import output_lock

    out = tmp_path / "out"
    order = []

    def holder():
        with output_lock(out):
            order.append("first in")
            time.sleep(0.6)
            order.append("first out")

    t = threading.Thread(target=holder)
    t.start()
    time.sleep(0.1)
    # same process, so take the lock file's pid as foreign: wait until released
    with output_lock(out, wait=5):
        order.append("second in")
    t.join()
    assert order == ["first in", "first out", "second in"]


def test_stale_lock_taken_over(tmp_path):
    import json

    from pipeline.store.lock import LOCK_NAME

    out = tmp_path / "out"
    out.mkdir()
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    import socket

    (out / LOCK_NAME).write_text(json.dumps({"pid": dead.pid, "host": socket.gethostname(), "started": 0}))
    proc = _run(SAMPLE, out, "--no-report")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert (out / "documents.csv").exists() and not (out / LOCK_NAME).exists()
