"""One run per output folder, held with the kernel's ``flock`` on ``OUT_DIR/.dangjian.lock``.

The kernel releases the lock when its holder dies (SIGKILL, OOM, power loss of the process), so
a killed run never blocks the next one, and a zombie or a reused pid cannot fool it (the earlier
pid-file lock could be fooled by both). The file holds the holder's pid, host and start time only
for the message a second run prints; a killed holder leaves it behind, unlocked and harmless.

A forked child (a pool worker, the chart process) would share the locked file description and
keep the lock after its parent died; each closes its copy right after the fork, so the lock
lives exactly as long as the run that took it.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import json
import os
import socket
import time
from pathlib import Path

from pipeline.errors import OutputLocked

LOCK_NAME = ".dangjian.lock"
_POLL_SECONDS = 0.1
#: a holder that died leaves its forked workers holding the lock until the kernel kills them too
#: (they are started with PR_SET_PDEATHSIG); a new run waits this long for them
ORPHAN_GRACE_SECONDS = 10.0


def _gone(pid) -> bool:
    """Whether the recorded holder is dead or a zombie (its workers may still hold the flock)."""
    if not isinstance(pid, int) or pid <= 0:
        return False
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except FileNotFoundError:
        return True
    except OSError:
        return False
    return stat.rpartition(")")[2].split()[:1] == ["Z"]


_HELD: set[int] = set()  # descriptors of the locks this process holds


def _close_in_child() -> None:
    for fd in _HELD:
        with contextlib.suppress(OSError):
            os.close(fd)
    _HELD.clear()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_close_in_child)


def _read(path: Path) -> dict:
    try:
        info = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return info if isinstance(info, dict) else {}


def _try_flock(fd: int) -> bool:
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError as err:
        if err.errno in (errno.EWOULDBLOCK, errno.EAGAIN, errno.EACCES):
            return False
        raise
    return True


def _describe(fd: int) -> None:
    """Write who holds the lock into the (locked) file; a failure here is only a worse message."""
    payload = json.dumps({"pid": os.getpid(), "host": socket.gethostname(), "started": time.time()}).encode()
    try:
        os.ftruncate(fd, 0)
        os.pwrite(fd, payload, 0)
    except OSError:
        pass


def _same_file(fd: int, path: Path) -> bool:
    """Whether ``path`` still names the file ``fd`` locked (a releasing holder unlinks it)."""
    try:
        return os.path.samestat(os.fstat(fd), os.stat(path, follow_symlinks=False))
    except OSError:
        return False


@contextlib.contextmanager
def output_lock(out_dir: Path | str, *, wait: float = 0.0):
    """Hold OUT_DIR/.dangjian.lock (an exclusive flock) for the duration of a run.

    A second run on the same folder waits up to ``wait`` seconds, then raises
    :class:`~pipeline.errors.OutputLocked` naming the holder. A clean exit removes the file
    (while still holding the lock, so a waiter that opened it retries on the new one)."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / LOCK_NAME
    deadline = time.monotonic() + wait
    grace_given = False
    while True:
        fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC | os.O_NOFOLLOW, 0o644)
        if _try_flock(fd):
            if _same_file(fd, path):
                break
            os.close(fd)  # the holder removed it as we opened it: lock the new one
            continue
        os.close(fd)
        info = _read(path)
        if not grace_given and info.get("host") == socket.gethostname() and _gone(info.get("pid")):
            deadline = max(deadline, time.monotonic() + ORPHAN_GRACE_SECONDS)  # once: its workers are dying
            grace_given = True
        if time.monotonic() >= deadline:
            raise OutputLocked(
                f"{out_dir} is in use by another dangjian run (pid {info.get('pid', '?')} on {info.get('host', '?')})",
                "wait for it to finish, or use another --out folder",
            )
        time.sleep(_POLL_SECONDS)
    _HELD.add(fd)
    try:
        _describe(fd)
        yield path
    finally:
        with contextlib.suppress(OSError):
            path.unlink()
        _HELD.discard(fd)
        os.close(fd)  # closing the last descriptor releases the flock
