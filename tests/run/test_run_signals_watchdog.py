"""pipeline.run.signals: a clean-up that overruns the grace period still ends with one line on
stderr and exit code 128 + the signal's number (the watchdog's forced exit)."""

from __future__ import annotations

import signal
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

PROBE = """
import os, signal, time
from pipeline.run import signals
signals.EXIT_GRACE = 0.5
with signals.interruptible():
    try:
        os.kill(os.getpid(), signal.SIGTERM)
        time.sleep(5)
    finally:
        time.sleep(30)  # a clean-up that hangs: the watchdog must end the process
"""


def test_watchdog_exit_says_so_in_one_line():
    done = subprocess.run([sys.executable, "-c", PROBE], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert done.returncode == 128 + signal.SIGTERM, done.stderr
    lines = [line for line in done.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and "SIGTERM" in lines[0] and "clean-up took over" in lines[0], done.stderr


def test_interrupted_run_says_so_in_one_line():
    probe = PROBE.replace("time.sleep(30)", "pass")
    done = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert done.returncode == 128 + signal.SIGTERM, done.stderr
    lines = [line for line in done.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and "stopped by SIGTERM" in lines[0], done.stderr
