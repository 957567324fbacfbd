"""pipeline.run.signals: a clean-up that overruns the grace period still ends with one line on
stderr and exit code 128 + the signal's number (the watchdog's forced exit)."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

PROBE = """
import os, signal, time
from pipeline.run import signals
signals.EXIT_GRACE = 0.5
with signals.interruptible() as stop:
    stop.arm()
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


HANG_AT_EXIT = """
import sys, threading, time, atexit
from pipeline.cli import common
from pipeline.run.signals import RunInterrupted
import signal
import time

atexit.register(time.sleep, 60)  # an exit join that hangs (as the process pool's was seen to)


@common.app.command()
def stopped():
    raise RunInterrupted(signal.SIGTERM)


@common.app.command()
def other():
    pass


common.app(["stopped"])
"""


def test_console_exit_after_an_interrupt_is_bounded():
    """The console entry ends an interrupted command at once, with the run's exit code and its
    one line, even when an exit handler would hang (no atexit handler runs)."""
    t0 = time.monotonic()
    done = subprocess.run([sys.executable, "-c", HANG_AT_EXIT], cwd=ROOT, capture_output=True, text=True, timeout=50)
    assert done.returncode == 128 + signal.SIGTERM, done.stderr
    assert time.monotonic() - t0 < 30
    lines = [line for line in done.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and "stopped by SIGTERM" in lines[0], done.stderr


LAST_INSTANT = """
import os, signal
from pipeline.run import signals
with signals.interruptible() as stop:
    stop.published = True
    # the block's work is done; the signal lands while the block unwinds (patched restore)
    real = signal.signal
    def restore(sig, handler):
        if sig == signal.SIGINT:
            os.kill(os.getpid(), signal.SIGINT)
        return real(sig, handler)
    signal.signal = restore
"""


def test_a_signal_while_the_block_unwinds_still_prints_its_line():
    """A signal that arrives while interruptible() restores the handlers (the run is complete)
    ends with 130 and the one line, not a silent exit (the kill loop caught that window)."""
    done = subprocess.run([sys.executable, "-c", LAST_INSTANT], cwd=ROOT, capture_output=True, text=True, timeout=60)
    lines = [line for line in done.stderr.splitlines() if line.strip()]
    assert done.returncode == 128 + signal.SIGINT and len(lines) == 1 and "has the new outputs" in lines[0], (done.returncode, done.stderr)
