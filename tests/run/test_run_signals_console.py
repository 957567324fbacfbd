"""The console entry outside a run's block: a SIGINT/SIGTERM while a command imports, parses or
prints its summary still ends with exactly one line and 130/143 (typer alone turns SIGINT into
a silent exit 130, and SIGTERM would end with no line: the kill loop caught the first)."""

from __future__ import annotations

import signal
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

# a real `dangjian` console entry with one extra command, whose body is the case under test
PROBE = """
import os, signal, sys, time
from pipeline.cli import app
from pipeline.run import signals

@app.command("probe")
def probe():
    {body}

sys.argv = ["dangjian", "probe"]
app()
"""

BEFORE = "os.kill(os.getpid(), signal.{sig}); time.sleep(5)"
AFTER_PUBLISHED = """with signals.interruptible("OUT") as stop:
        stop.arm()
        stop.published = True
    os.kill(os.getpid(), signal.{sig}); time.sleep(5)"""
SECOND_WHILE_STOPPING = """try:
        with signals.interruptible("OUT") as stop:
            stop.arm()
            os.kill(os.getpid(), signal.SIGTERM); time.sleep(5)
    finally:
        os.kill(os.getpid(), signal.SIGINT); time.sleep(0.3)"""


def _probe(body: str) -> tuple[int, list[str]]:
    done = subprocess.run([sys.executable, "-c", PROBE.format(body=body)], cwd=ROOT, capture_output=True, text=True, timeout=120)
    return done.returncode, [line for line in done.stderr.splitlines() if line.strip()]


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
def test_a_signal_before_any_run_ends_with_one_line(sig):
    rc, lines = _probe(BEFORE.format(sig=sig.name))
    assert rc == 128 + sig and lines == [f"dangjian: stopped by {sig.name}"], (rc, lines)


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
def test_a_signal_after_a_run_says_what_the_run_left(sig):
    rc, lines = _probe(AFTER_PUBLISHED.format(sig=sig.name))
    assert rc == 128 + sig and len(lines) == 1, (rc, lines)
    assert f"stopped by {sig.name}" in lines[0] and "OUT has the new outputs" in lines[0], lines


def test_a_second_signal_while_the_stop_leaves_is_ignored():
    rc, lines = _probe(SECOND_WHILE_STOPPING)
    assert rc == 128 + signal.SIGTERM and len(lines) == 1, (rc, lines)
    assert "stopped by SIGTERM" in lines[0] and "OUT keeps the previous outputs" in lines[0], lines
