"""One run per output folder: a lock file holding the owner's pid, host and start time.

A second run on the same folder stops with a clear message (or waits, with ``wait``); a lock
left by a dead process is taken over safely.
"""

from __future__ import annotations

import contextlib
import json
import os
import socket
import time
from pathlib import Path

from pipeline.errors import OutputLocked

LOCK_NAME = ".dangjian.lock"


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _read(path: Path) -> dict:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}


def _try_acquire(path: Path) -> bool:
    payload = json.dumps({"pid": os.getpid(), "host": socket.gethostname(), "started": time.time()})
    try:
        fd = os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
    except FileExistsError:
        return False
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write(payload)
    return True


def _stale(path: Path) -> bool:
    info = _read(path)
    pid = info.get("pid")
    if not isinstance(pid, int):
        # unreadable or half-written lock: stale only if it is old (a writer may be mid-write)
        try:
            return time.time() - path.stat().st_mtime > 10
        except OSError:
            return True
    if info.get("host") not in (None, socket.gethostname()):
        return False  # another machine's run: we cannot tell, so respect it
    return not _alive(pid)


@contextlib.contextmanager
def output_lock(out_dir: Path | str, *, wait: float = 0.0):
    """Hold OUT_DIR/.dangjian.lock for the duration of a run."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / LOCK_NAME
    deadline = time.monotonic() + wait
    while not _try_acquire(path):
        if _stale(path):
            # take over: rename the stale lock away atomically, so two takers cannot both win
            grave = path.with_name(f"{LOCK_NAME}.stale.{os.getpid()}")
            try:
                os.replace(path, grave)
                grave.unlink(missing_ok=True)
            except OSError:
                pass
            continue
        if time.monotonic() >= deadline:
            info = _read(path)
            raise OutputLocked(
                f"{out_dir} is in use by another dangjian run (pid {info.get('pid', '?')} on {info.get('host', '?')})",
                f"wait for it to finish, or use another --out folder; if no such process exists, delete {path}",
            )
        time.sleep(0.2)
    try:
        yield path
    finally:
        info = _read(path)
        if info.get("pid") == os.getpid():
            path.unlink(missing_ok=True)
