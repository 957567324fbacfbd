"""Content hashes of files, cached by ``(inode, size, mtime_ns, ctime_ns)``.

A run is "unchanged" only when the bytes of its inputs and of its outputs are what they were, not
when sizes and mtimes are (an edit can keep both: ``touch -r``, ``cp -p``, an editor that restores
the mtime). Hashing every file on every run would cost the unchanged run its speed, so a file's
SHA-256 is kept with the stat fields no user-level tool can set back: ``ctime`` changes on every
write, rename and ``utime``, the inode on every replace. A file whose stat still matches is not read.

Racy entries (git's "racily clean" problem): an entry is trusted only if the file's ctime was
older than the moment it was hashed by more than a timestamp tick, so a write in the same tick as
the hash cannot hide behind an unchanged ctime; such a file is simply hashed again next time. A
ctime with nanoseconds comes from the kernel's clock tick (at most 10 ms): :data:`FINE_RACY_NS`;
one in whole seconds may be from a file system with 1-2 s timestamps: :data:`RACY_NS`.
"""

from __future__ import annotations

import errno
import hashlib
import json
import os
import stat
import time
from pathlib import Path

from pipeline.atomic import write_bytes
from pipeline.ingest import display_path

#: ctimes this close to the moment of hashing are not trusted (covers 1-2 s timestamp clocks)
RACY_NS = 2_000_000_000
#: the same for ctimes with nanoseconds (a clock tick is at most 10 ms)
FINE_RACY_NS = 50_000_000
_BLOCK = 1 << 20


def stat_key(st: os.stat_result) -> list[int]:
    return [st.st_ino, st.st_size, st.st_mtime_ns, st.st_ctime_ns]


def sha256_file(path: Path | str, limit: int | None = None) -> tuple[str, os.stat_result]:
    """SHA-256 of the file's bytes (the first ``limit`` bytes when given) and its stat taken
    *before* reading, so a write during the read shows as a changed ctime next time.

    The rule of :func:`pipeline.ingest.open_regular`: opened once without blocking
    (``O_NONBLOCK``, ``O_NOCTTY``), ``fstat`` on that handle, read from it. A FIFO, socket or
    device put where a file was listed raises :class:`NotRegularFile` (an OSError) at once
    instead of hanging the run; other errors are the OSErrors of the system (their errno kept)."""
    h = hashlib.sha256()
    fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_NOCTTY | getattr(os, "O_CLOEXEC", 0))
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            raise NotRegularFile(errno.EINVAL, "not a regular file; not read", display_path(path))
        left = limit if limit is not None else -1
        while left:
            block = os.read(fd, _BLOCK if left < 0 else min(_BLOCK, left))
            if not block:
                break
            h.update(block)
            if left > 0:
                left -= len(block)
    finally:
        os.close(fd)
    return h.hexdigest(), st


class NotRegularFile(OSError):
    """A path :func:`sha256_file` does not read: a FIFO, socket, device or folder."""


class FileHashes:
    """path -> SHA-256, remembered in a JSON file (``OUT_DIR/.cache/filehashes.json``) and
    trusted while the file's ``(inode, size, mtime_ns, ctime_ns)`` is unchanged. Losing the
    file only costs a re-hash."""

    def __init__(self, path: Path | str | None):
        self.path = Path(path) if path is not None else None
        self._entries: dict[str, list] = {}
        self._used: set[str] = set()  # entries looked up or learned: the ones saved
        self._memo: dict[str, str] = {}  # this process's first answer per file (see digest)
        self._dirty = False
        self.hashed = 0  # files read to hash them (tests and timings)
        if self.path is not None:
            try:
                data = json.loads(self.path.read_text(encoding="utf-8"))
                if isinstance(data, dict) and data.get("format") == 1 and isinstance(data.get("files"), dict):
                    self._entries = data["files"]
            except (OSError, ValueError):
                pass

    def learn(self, path: Path | str, key: list[int], digest: str, hashed_at: int | None = None) -> None:
        """Record that the file with stat ``key`` (see :func:`stat_key`) hashed to ``digest``
        (e.g. a worker that read the file); :meth:`digest` answers it from now on."""
        name = os.path.abspath(path)
        self._entries[name] = [*key, hashed_at if hashed_at is not None else time.time_ns(), digest]
        self._memo[name] = digest
        self._used.add(name)
        self._dirty = True

    def cached(self, path: Path | str, st: os.stat_result) -> str | None:
        """The remembered digest if the file's stat is the one it was hashed with (and not racy)."""
        name = os.path.abspath(path)
        entry = self._entries.get(name)
        if not isinstance(entry, list) or len(entry) != 6:
            return None
        *key, hashed_at, digest = entry
        if key != stat_key(st) or not isinstance(digest, str) or not isinstance(hashed_at, int):
            return None
        racy = RACY_NS if st.st_ctime_ns % 1_000_000_000 == 0 else min(RACY_NS, FINE_RACY_NS)
        if hashed_at - st.st_ctime_ns < racy:  # written in the same tick as it was hashed
            return None
        self._used.add(name)
        self._memo[name] = digest
        return digest

    def digest(self, path: Path | str, limit: int | None = None) -> str | None:
        """The file's SHA-256 (from the cache when its stat is unchanged); None if unreadable.
        Within one process the first answer for a file stays (or what :meth:`learn` was told):
        a key computed at the end of a run names the bytes the run read, not later edits."""
        memo = self._memo.get(os.path.abspath(path))
        if memo is not None:
            return memo
        try:
            st = os.stat(path)
        except OSError:
            return None
        hit = self.cached(path, st)
        if hit is not None:
            return hit
        try:
            digest, st = sha256_file(path, limit)
        except OSError:
            return None
        self.hashed += 1
        self.learn(path, stat_key(st), digest)
        return digest

    def forget(self, path: Path | str) -> None:
        """Drop this process's answer for a file (it is rewritten: ask the disk again)."""
        self._memo.pop(os.path.abspath(path), None)

    def save(self) -> None:
        """Write back the entries used since loading (so files gone from the inputs drop out),
        if anything changed; not fsynced (it is only a cache); a failure is ignored."""
        if self.path is None or not (self._dirty or len(self._used) < len(self._entries)):
            return
        try:
            files = {k: v for k, v in self._entries.items() if k in self._used}
            # ASCII: a name that is not UTF-8 is kept as JSON escapes of its surrogates, which
            # json.loads gives back exactly; such a str cannot be encoded to UTF-8
            data = json.dumps({"format": 1, "files": files}, ensure_ascii=True, separators=(",", ":"))
            write_bytes(self.path, data.encode("ascii"), fsync=False)
            self._dirty = False
        except OSError:
            pass
