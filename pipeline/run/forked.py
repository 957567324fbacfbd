"""Work in a forked child process that dies with its parent (Linux ``prctl``): the side jobs
of a run (candidate discovery, charts) and the pool's workers."""

from __future__ import annotations

import gc
import os


class Forked:
    """``fn(*args)`` computed in a forked child process (arguments inherited, not pickled; the
    child dies with its parent). Calling the object waits for the result, computed here instead
    when the child fails or no process can be forked; ``result`` keeps it."""

    def __init__(self, fn, *args):
        self.fn, self.args = fn, args
        self.result = None
        self._done = False
        self._proc = self._recv = None
        if hasattr(os, "fork"):
            import multiprocessing as mp

            ctx = mp.get_context("fork")
            self._recv, send = ctx.Pipe(duplex=False)
            self._proc = ctx.Process(target=_child, args=(send, fn, args), daemon=True)
            gc.freeze()  # the child's collections leave the inherited objects alone (no copy-on-write)
            try:
                self._proc.start()
            finally:
                gc.unfreeze()
            send.close()

    def __call__(self):
        if self._done:
            return self.result
        got = False
        if self._proc is not None:
            try:
                self.result, got = self._recv.recv(), True
            except (EOFError, OSError):  # the child failed or was killed
                pass
            self._proc.join(5.0)  # it has sent its result (or died): bounded all the same
            if self._proc.is_alive():
                self._proc.kill()
                self._proc.join(1.0)
            self._recv.close()
        if not got:
            self.result = self.fn(*self.args)  # here, so a real error is raised where it is seen
        self._done = True
        return self.result

    def cancel(self) -> None:
        """Stop the child without waiting for its result."""
        if self._proc is not None and not self._done:
            self._proc.kill()
            self._proc.join(2.0)
            self._recv.close()
        self._done = True


def _child(send, fn, args) -> None:
    die_with_parent()
    try:
        result = fn(*args)
    except BaseException:
        os._exit(1)
    send.send(result)
    send.close()


def die_with_parent() -> None:
    """Linux: a child process is killed with its parent, so it never writes after a killed run."""
    try:
        import ctypes
        import signal

        ctypes.CDLL(None).prctl(1, int(signal.SIGKILL))  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass
