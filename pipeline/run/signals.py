"""SIGINT and SIGTERM during a run: stop cleanly, say so in one line, exit 130 or 143.

While :func:`interruptible` is active (the whole of a run, main thread only) both signals raise
:class:`RunInterrupted` in the main thread. It is a ``SystemExit`` (code 128 + the signal's
number), so no ``except Exception`` swallows it and the CLI exits with that code; on its way out
every ``finally`` of the run does its part: the pool's processes are stopped (bounded joins, then
terminate and kill), the staging folder and temp files are removed, the lock is released. Then
one line is printed to stderr.

* The handlers are installed holding signals back; the block's body arms them with
  :meth:`Stop.arm` as its first statement. A signal that lands while the block is being entered
  (after the handlers exist, before the body runs) is so raised inside the body, where the
  block's exit sees it and prints the line; raised in the context manager's ``__enter__`` it
  would escape without the exit ever running (the kill loop caught that silent exit 130).
* A second signal while the run is stopping is ignored (the clean-up is bounded); a watchdog
  ends the process with ``os._exit`` if the clean-up ever takes longer than :data:`EXIT_GRACE`.
* :func:`deferred` holds a signal back during the switch-over of the outputs (it is raised when
  the block ends), so SIGINT and SIGTERM never leave a half-published set; only SIGKILL can, and
  the next run repairs that (``pipeline.store.generation.recover``).
* Processes forked during a run (pool workers, the side jobs) ignore SIGINT, which a terminal
  sends to the whole process group, and take SIGTERM's default: the parent decides when they stop.
* Outside a run's block the console entry's handlers (:func:`console`) raise the same
  exception, so a signal while a command imports its libraries, parses its arguments or prints
  its summary also ends with one line and 130/143. Without them typer turns SIGINT into a silent
  ``Exit(130)`` (the kill loop caught that too) and SIGTERM ends the process with no line.
"""

from __future__ import annotations

import contextlib
import os
import signal
import sys
import threading

#: seconds a stopping run may take to clean up before the watchdog ends the process
EXIT_GRACE = 30.0
SIGNALS = (signal.SIGINT, signal.SIGTERM)


class RunInterrupted(SystemExit):
    """SIGINT or SIGTERM arrived during a run (``code``: 130 or 143, the shell's convention)."""

    def __init__(self, signum: int):
        super().__init__(128 + signum)
        self.signum = signum
        self.name = signal.Signals(signum).name
        self.said = False  # its one line printed (by interruptible(); the console entry checks)


class Stop:
    """The state of one :func:`interruptible` block."""

    def __init__(self) -> None:
        self.active = False
        self.deferring = False
        self.pending = 0
        self.stopping = False
        self.published = False  # set by the run once its outputs are switched into place
        self.watchdog: threading.Timer | None = None
        self.armable = False  # set by the outermost interruptible() block, cleared by arm()
        self.ended = False  # the block is over (what a later signal's line reports)
        self.out_dir = None

    def arm(self) -> None:
        """Let signals interrupt from here on (the first statement of the block's body); one
        that arrived while the block was entered is raised now."""
        if not self.armable or self.stopping:
            return  # not this block's first arm (a nested block, a second call)
        self.armable = False
        self.deferring = False
        if self.pending:
            signum, self.pending = self.pending, 0
            raise self.stop(signum)

    def hold(self) -> None:
        """Hold signals back again until the next :meth:`arm`: before handing the state across a
        context manager's ``yield`` to the code that enters it (whose body arms it first), so a
        signal in between is raised inside that body, never in ``__enter__``. A no-op inside a
        :func:`deferred` block, outside a run and while stopping."""
        if self.active and not self.stopping and not self.deferring:
            self.deferring = self.armable = True

    def stop(self, signum: int) -> RunInterrupted:
        self.stopping = True
        self.watchdog = threading.Timer(EXIT_GRACE, _forced_exit, args=(signum,))
        self.watchdog.daemon = True
        self.watchdog.start()
        return RunInterrupted(signum)


def _forced_exit(signum: int) -> None:
    """The watchdog's end: the clean-up took longer than :data:`EXIT_GRACE`. Still one line on
    stderr (written directly: the main thread may hold the stream's lock), then exit 128 + signum."""
    name = signal.Signals(signum).name
    line = f"dangjian: stopped by {name}: clean-up took over {EXIT_GRACE:g}s, ended at once; the next run cleans up\n"
    with contextlib.suppress(OSError):
        os.write(2, line.encode())
    os._exit(128 + signum)


_STATE = Stop()


def _handler(signum, frame) -> None:
    state = _STATE
    if state.stopping:
        return  # already stopping: the clean-up is bounded
    if state.deferring:
        state.pending = state.pending or signum
        return
    raise state.stop(signum)


def reset_in_child() -> None:
    """In a process forked during a run: SIGINT ignored, SIGTERM's default action."""
    global _STATE
    if not _STATE.active:
        return
    _STATE = Stop()
    with contextlib.suppress(ValueError, OSError):
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.signal(signal.SIGTERM, signal.SIG_DFL)


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=reset_in_child)


@contextlib.contextmanager
def interruptible(out_dir=None):
    """Turn SIGINT/SIGTERM into :class:`RunInterrupted` for the duration of the block (only in
    the main thread, and only the outermost block; elsewhere nothing changes). Yields the
    :class:`Stop` state; prints the one line when the block ends by a signal."""
    global _STATE
    if threading.current_thread() is not threading.main_thread() or _STATE.active:
        yield _STATE
        return
    state = _STATE = Stop()
    state.out_dir = out_dir
    old = {s: signal.getsignal(s) for s in SIGNALS}
    state.active = True
    state.deferring = state.armable = True  # held back until the body arms them (Stop.arm): see the module docstring
    children = _children()
    try:
        for s in SIGNALS:
            signal.signal(s, _handler)
        yield state
        state.deferring = True  # the block is done: a signal from here on is held back (below)
    except RunInterrupted as err:
        _end_children(children)
        _say(err, out_dir, state.published)
        raise
    except BaseException:
        state.deferring = True  # an error is on its way out: a signal now must not replace it
        _end_children(children)
        raise
    finally:
        state.armable = False
        state.deferring = True  # restoring the handlers is not cut in half by a signal
        for s, handler in old.items():
            signal.signal(s, handler if handler is not None else signal.SIG_DFL)
        state.active = False
        state.ended = True
        if state.watchdog is not None:
            state.watchdog.cancel()
    if state.pending and not state.stopping:  # a signal in the block's last instant: still one line
        err = RunInterrupted(state.pending)
        _say(err, out_dir, state.published)
        raise err


class _Outside:
    """The console entry's handler outside a run's block: the first signal raises
    :class:`RunInterrupted`; a later one, or one after a run's block has begun stopping, is
    ignored (its line is said or about to be)."""

    def __init__(self) -> None:
        self.raised = False

    def __call__(self, signum, frame) -> None:
        if self.raised or _STATE.stopping:
            return
        self.raised = True
        raise RunInterrupted(signum)


@contextlib.contextmanager
def console():
    """The console entry's whole command: SIGINT/SIGTERM raise :class:`RunInterrupted` outside
    a run's block too (a run's :func:`interruptible` replaces the handlers and restores these).
    Only in the main thread; the previous handlers are restored after."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    old = {s: signal.getsignal(s) for s in SIGNALS}
    handler = _Outside()
    for s in SIGNALS:
        signal.signal(s, handler)
    try:
        yield
    finally:
        for s, previous in old.items():
            signal.signal(s, previous if previous is not None else signal.SIG_DFL)


def say_unsaid(err: RunInterrupted) -> None:
    """The console entry's safety net: a RunInterrupted that no run's block reported (it came
    before the block began, or after it ended) still ends with one line. After a block it says
    what that block left in its output folder; before any, there is nothing to report."""
    if err.said:
        return
    last = _STATE
    if last.ended:
        _say(err, last.out_dir, last.published)
    else:
        _line(err, "")


def _say(err: RunInterrupted, out_dir, published: bool) -> None:
    """The one line an interrupted run prints; ``err`` is marked as said."""
    from pipeline.ingest import display_path

    where = f" {display_path(out_dir)}" if out_dir is not None else " the output folder"
    outcome = "has the new outputs" if published else "keeps the previous outputs"
    _line(err, f": workers stopped, temp files removed;{where} {outcome}")


def _line(err: RunInterrupted, detail: str) -> None:
    """``dangjian: stopped by <SIGNAL><detail>`` on stderr, flushed; ``err`` marked as said."""
    print(f"dangjian: stopped by {err.name}{detail}", file=sys.stderr, flush=True)
    err.said = True


def _children() -> set[int]:
    """The pids of this process's multiprocessing children now (pool workers, side jobs)."""
    if "multiprocessing" not in sys.modules:
        return set()
    import multiprocessing

    return {p.pid for p in multiprocessing.active_children()}


def _end_children(before: set[int]) -> None:
    """A run that ends by an error or a signal: any child process it started and did not stop
    (one forked in the instant the signal came) is ended now, bounded, so that the interpreter's
    exit, which joins every child, cannot wait for it."""
    if "multiprocessing" not in sys.modules:
        return
    import multiprocessing

    left = [p for p in multiprocessing.active_children() if p.pid not in before]
    for step in ("terminate", "kill"):
        for p in left:
            with contextlib.suppress(OSError, ValueError, AttributeError):
                getattr(p, step)()
        for p in left:
            p.join(1.0)
        left = [p for p in left if p.is_alive()]
        if not left:
            return


@contextlib.contextmanager
def deferred():
    """A block SIGINT/SIGTERM do not interrupt; a signal that arrives meanwhile is raised as
    :class:`RunInterrupted` when the block ends."""
    state = _STATE
    if not state.active or state.deferring:
        yield
        return
    state.deferring = True
    try:
        yield
    finally:
        state.deferring = False
        if state.pending and not state.stopping:
            signum, state.pending = state.pending, 0
            raise state.stop(signum)
