"""pipeline.run.signals: SIGINT/SIGTERM as RunInterrupted (exit 130/143) during a run, held back
in deferred blocks, old handlers restored after."""

from __future__ import annotations

import os
import signal
import time

import pytest

from pipeline.run import signals


def test_a_signal_becomes_run_interrupted_with_one_line(capsys):
    before = signal.getsignal(signal.SIGTERM)
    with pytest.raises(signals.RunInterrupted) as info:
        with signals.interruptible("OUT"):
            os.kill(os.getpid(), signal.SIGTERM)
            time.sleep(5)
    assert info.value.code == 143 and info.value.name == "SIGTERM"
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "stopped by SIGTERM" in err[0] and "OUT keeps the previous outputs" in err[0]
    assert signal.getsignal(signal.SIGTERM) == before


def test_deferred_holds_the_signal_until_the_block_ends():
    done = []
    with pytest.raises(signals.RunInterrupted) as info:
        with signals.interruptible():
            with signals.deferred():
                os.kill(os.getpid(), signal.SIGINT)
                time.sleep(0.2)
                done.append("switch-over finished")
            done.append("never")
    assert info.value.code == 130 and done == ["switch-over finished"]


def test_a_second_signal_while_stopping_is_ignored():
    cleaned = []
    with pytest.raises(signals.RunInterrupted):
        with signals.interruptible():
            try:
                os.kill(os.getpid(), signal.SIGTERM)
                time.sleep(5)
            finally:
                os.kill(os.getpid(), signal.SIGINT)  # the impatient second Ctrl-C
                time.sleep(0.2)
                cleaned.append(True)
    assert cleaned == [True]


def test_outside_a_run_nothing_changes():
    with signals.deferred():  # no run: a no-op
        pass
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler
