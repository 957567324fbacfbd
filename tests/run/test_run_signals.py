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
        with signals.interruptible("OUT") as stop:
            stop.arm()
            os.kill(os.getpid(), signal.SIGTERM)
            time.sleep(5)
    assert info.value.code == 143 and info.value.name == "SIGTERM"
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "stopped by SIGTERM" in err[0] and "OUT keeps the previous outputs" in err[0]
    assert signal.getsignal(signal.SIGTERM) == before


def test_deferred_holds_the_signal_until_the_block_ends():
    done = []
    with pytest.raises(signals.RunInterrupted) as info:
        with signals.interruptible() as stop:
            stop.arm()
            with signals.deferred():
                os.kill(os.getpid(), signal.SIGINT)
                time.sleep(0.2)
                done.append("switch-over finished")
            done.append("never")
    assert info.value.code == 130 and done == ["switch-over finished"]


def test_a_second_signal_while_stopping_is_ignored():
    cleaned = []
    with pytest.raises(signals.RunInterrupted):
        with signals.interruptible() as stop:
            stop.arm()
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


def test_a_signal_while_the_block_is_entered_is_raised_in_its_body(capsys):
    """Until the body arms the handlers, a signal is held; arm() raises it inside the body, where
    the block's exit prints the line (raised in the context manager's __enter__, it escaped with
    no line: the kill loop's silent exit 130)."""
    reached = []
    with pytest.raises(signals.RunInterrupted) as info:
        with signals.interruptible("OUT") as stop:
            os.kill(os.getpid(), signal.SIGTERM)  # lands before the body is armed
            time.sleep(0.1)
            reached.append("body")
            stop.arm()
            reached.append("never")
    assert reached == ["body"] and info.value.said
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "stopped by SIGTERM" in err[0]


def test_an_unarmed_block_still_ends_with_its_signal(capsys):
    with pytest.raises(signals.RunInterrupted) as info:
        with signals.interruptible():
            os.kill(os.getpid(), signal.SIGINT)
            time.sleep(0.1)
    assert info.value.code == 130 and info.value.said
    assert len(capsys.readouterr().err.strip().splitlines()) == 1


def test_the_console_entry_says_an_unsaid_interrupt(capsys):
    err = signals.RunInterrupted(signal.SIGINT)
    signals.say_unsaid(err)
    signals.say_unsaid(err)
    lines = capsys.readouterr().err.strip().splitlines()
    assert len(lines) == 1 and "stopped by SIGINT" in lines[0] and err.said


def test_a_signal_while_a_session_hands_over_is_raised_in_the_callers_body(capsys):
    """A context manager built on interruptible() (as pipeline.run's session is) holds signals
    across its yield; the caller's body arms them and the signal ends the block with its line."""
    import contextlib

    @contextlib.contextmanager
    def session():
        with signals.interruptible("OUT") as stop:
            stop.arm()
            stop.hold()
            os.kill(os.getpid(), signal.SIGTERM)  # lands while the state is handed over
            time.sleep(0.1)
            yield stop

    reached = []
    with pytest.raises(signals.RunInterrupted) as info:
        with session() as stop:
            reached.append("body")
            stop.arm()
            reached.append("never")
    assert reached == ["body"] and info.value.said and info.value.code == 143
    assert len(capsys.readouterr().err.strip().splitlines()) == 1


def test_hold_is_a_no_op_inside_a_deferred_block():
    with pytest.raises(signals.RunInterrupted):
        with signals.interruptible() as stop:
            stop.arm()
            with signals.deferred():
                stop.hold()
                stop.arm()  # not armable: the deferred block still holds the signal
                os.kill(os.getpid(), signal.SIGINT)
                time.sleep(0.1)
                held = True
            assert held
