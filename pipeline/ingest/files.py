"""Input files, opened safely, and file names as data.

* ``display_path`` / ``display_text`` (in :mod:`~pipeline.ingest.model`, which applies them
  to every log row and document): any path or message -> one printable line.
  Bytes that are not UTF-8 (a GBK name unzipped on Linux) arrive as surrogate escapes
  (``os.fsdecode``) and are shown as ``\\xNN``; control, format and line-separator
  characters (a name holding ``ESC[31m`` or a newline) are escaped too, so a name never
  reaches a log, a CSV cell or the terminal raw. Backslashes are kept as they are, so the
  rule is idempotent. :func:`path_bytes` is what hashes use (``os.fsencode``, never
  ``str.encode``).
* :func:`link_refusal`: whether a symlink may be followed: never into ``/proc``, ``/sys``,
  ``/dev`` or the output folder; outside the input folder only with ``follow_links``.
* :func:`open_regular` opens a file once (``O_NONBLOCK``, ``O_NOFOLLOW`` unless links are
  followed, ``O_NOCTTY``), ``fstat``\\s that handle, refuses anything but a regular file and
  reads from the same handle: a file swapped for a FIFO, a device or a link after it was
  listed cannot hang or redirect the read. :func:`read_regular_file` and
  :func:`hash_regular_file` are the one-call forms (the run stage hashes files for its cache).

Every refusal raises :class:`Skip` with a status and a one-line reason.
"""

from __future__ import annotations

import errno
import hashlib
import io
import os
import stat
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from pipeline.ingest.model import Skip, display_path

CHUNK = 1 << 20
SPECIAL_ROOTS = ("/proc", "/sys", "/dev")


# --------------------------------------------------------------------------- names as data
def path_bytes(path: str | bytes | os.PathLike) -> bytes:
    """The bytes of a path as the file system holds them: what a hash of a name must use."""
    return os.fsencode(path)


def relative_name(path: Path, raw_dir: Path) -> str:
    """``path`` relative to ``raw_dir`` as a POSIX str (surrogate escapes kept)."""
    try:
        return Path(path).relative_to(raw_dir).as_posix()
    except ValueError:
        return Path(path).as_posix()


# --------------------------------------------------------------------------- links
def is_within(path: str, root: str) -> bool:
    """Both real paths: ``path`` is ``root`` or below it."""
    return path == root or path.startswith(root.rstrip("/") + "/")


def is_special(real: str) -> bool:
    return any(is_within(real, root) for root in SPECIAL_ROOTS)


def link_refusal(target: str, raw_real: str, out_real: str | None, follow_links: bool) -> str | None:
    """None when a link resolving to ``target`` (a real path) may be followed, else the reason
    it is not (the log row's text)."""
    shown = display_path(target)
    if is_special(target):
        return f"link to {shown} (a system folder); not read, even with --follow-links"
    if out_real and is_within(target, out_real):
        return f"link to {shown} inside the output folder; not read"
    if out_real and is_within(out_real, target):
        return f"link to {shown}, which holds the output folder; not read"
    if is_within(target, raw_real) or follow_links:
        return None
    return f"link to {shown} outside the input folder; not read (use --follow-links to read it)"


# --------------------------------------------------------------------------- opening
def _kind(mode: int) -> str:
    for test, name in (
        (stat.S_ISFIFO, "FIFO"),
        (stat.S_ISSOCK, "socket"),
        (stat.S_ISCHR, "character device"),
        (stat.S_ISBLK, "block device"),
        (stat.S_ISDIR, "folder"),
    ):
        if test(mode):
            return name
    return "special file"


_SPECIAL_DEVS: set[int] | None = None


def _special_devs() -> set[int]:
    global _SPECIAL_DEVS
    if _SPECIAL_DEVS is None:
        devs = set()
        try:
            top = os.stat("/").st_dev
        except OSError:
            top = None
        for root in SPECIAL_ROOTS:
            try:
                dev = os.stat(root).st_dev
            except OSError:
                continue
            if dev != top:  # only a real mount (a container's /dev may be the root file system)
                devs.add(dev)
        _SPECIAL_DEVS = devs
    return _SPECIAL_DEVS


def _opened_path(fd: int) -> str | None:
    """The real path of an open descriptor (Linux), None where /proc cannot say."""
    try:
        return os.readlink(f"/proc/self/fd/{fd}").removesuffix(" (deleted)")
    except OSError:
        return None


class RegularFile:
    """A regular file opened by :func:`open_regular`: its ``fstat`` and reads from that handle
    (``pread``: no shared position, so several readers may pass over it)."""

    def __init__(self, fd: int, st: os.stat_result, max_bytes: int | None = None):
        self.fd = fd
        self.stat = st
        self.max_bytes = max_bytes

    @property
    def size(self) -> int:
        return self.stat.st_size

    def chunks(self, start: int = 0, size: int | None = None) -> Iterator[bytes]:
        """The bytes from ``start`` to the end, ``size`` (CHUNK) at a time; a file grown past
        ``max_bytes`` since it was opened raises :class:`Skip`."""
        offset = start
        size = size or CHUNK
        while True:
            data = os.pread(self.fd, size, offset)
            if not data:
                return
            offset += len(data)
            if self.max_bytes is not None and offset > self.max_bytes:
                raise Skip("unreadable", f"file grew past the {self.max_bytes / 1e6:.0f} MB limit while it was read (Settings.max_file_bytes)")
            yield data

    def head(self, n: int) -> bytes:
        return os.pread(self.fd, n, 0)

    def read(self) -> bytes:
        return b"".join(self.chunks())

    def fileobj(self) -> io.BufferedReader:
        """A seekable file object over a duplicate of the handle (for zipfile, pypdf)."""
        return os.fdopen(os.dup(self.fd), "rb")

    def is_blank(self) -> bool:
        """True when the file holds only ASCII whitespace (or nothing)."""
        return all(not chunk.strip() for chunk in self.chunks())


class BytesFile(RegularFile):
    """The same interface over bytes already in memory (tests, callers holding the data)."""

    def __init__(self, data: bytes):
        self.data = data
        self.max_bytes = None

    @property
    def size(self) -> int:
        return len(self.data)

    def chunks(self, start: int = 0, size: int | None = None) -> Iterator[bytes]:
        if start < len(self.data):
            yield self.data[start:] if start else self.data  # in memory already: one piece

    def head(self, n: int) -> bytes:
        return self.data[:n]

    def read(self) -> bytes:
        return self.data

    def fileobj(self) -> io.BytesIO:
        return io.BytesIO(self.data)


@contextmanager
def open_regular(
    path: str | os.PathLike, *, follow_links: bool = False, raw_dir: str | os.PathLike | None = None, max_bytes: int | None = None
) -> Iterator[RegularFile]:
    """Open ``path`` once and yield it as a :class:`RegularFile`; raise :class:`Skip` for
    anything that is not a regular file one may read.

    Without ``follow_links``: with ``raw_dir`` the path is resolved and must stay inside it
    (links between files of the input folder are fine), then opened with ``O_NOFOLLOW`` (a
    link swapped in afterwards is refused, not followed); without ``raw_dir`` a link is
    refused. With ``follow_links`` any link is followed, but never to a FIFO, socket, device
    or a file of ``/proc``, ``/sys`` or ``/dev``."""
    target = os.fspath(path)
    flags = os.O_RDONLY | os.O_NONBLOCK | os.O_NOCTTY | getattr(os, "O_CLOEXEC", 0)
    raw_real = os.path.realpath(raw_dir) if raw_dir is not None else None
    if raw_real is not None:
        here = os.path.abspath(target)
        if not (is_within(here, os.path.abspath(raw_dir)) or is_within(here, raw_real)):
            raw_real = None  # a file named outside the folder on purpose: no containment to check
    if not follow_links:
        flags |= getattr(os, "O_NOFOLLOW", 0)
        if raw_real is not None:
            target = os.path.realpath(target)
            if not is_within(target, raw_real):
                raise Skip("link", link_refusal(target, raw_real, None, False) or "link outside the input folder; not read")
    real = os.path.realpath(target)
    if is_special(real) and not (raw_real is not None and is_within(real, raw_real)):
        raise Skip("unreadable", f"{display_path(os.path.realpath(target))} is a system file; not read")
    try:
        fd = os.open(target, flags)
    except FileNotFoundError:
        raise Skip("unreadable", "file disappeared before it could be read") from None
    except PermissionError:
        raise Skip("unreadable", "permission denied") from None
    except OSError as err:
        if err.errno == errno.ELOOP:
            raise Skip("link", "symlink; not read (use --follow-links to read it)") from None
        if err.errno in (errno.ENXIO, errno.EOPNOTSUPP):
            raise Skip("unreadable", "not a regular file (socket)") from None
        raise Skip("unreadable", f"read error: {err.strerror or err}") from None
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            raise Skip("unreadable", f"not a regular file ({_kind(st.st_mode)})")
        if st.st_dev in _special_devs() and not (raw_real is not None and is_within(real, raw_real)):
            raise Skip("unreadable", "a system file (/proc, /sys or /dev); not read")
        if raw_real is not None and not follow_links:
            opened = _opened_path(fd)  # what was really opened, after any swap
            if opened is not None and not is_within(opened, raw_real):
                raise Skip("link", link_refusal(opened, raw_real, None, False) or "link outside the input folder; not read")
        yield RegularFile(fd, st, max_bytes)
    finally:
        os.close(fd)


def read_regular_file(path: str | os.PathLike, *, max_bytes: int, follow_links: bool = False, raw_dir: str | os.PathLike | None = None) -> bytes:
    """The bytes of a regular file, opened and read as :func:`open_regular` does; a file over
    ``max_bytes`` raises :class:`Skip` (status ``unreadable``) instead of being read."""
    with open_regular(path, follow_links=follow_links, raw_dir=raw_dir, max_bytes=max_bytes) as fh:
        _check_size(fh.size, max_bytes)
        return fh.read()


def hash_regular_file(path: str | os.PathLike, *, max_bytes: int, follow_links: bool = False, raw_dir: str | os.PathLike | None = None) -> str:
    """SHA-256 (hex) of a regular file's bytes, read 1 MiB at a time (memory does not grow
    with the file); equal to ``hashlib.sha256(read_regular_file(...)).hexdigest()``."""
    h = hashlib.sha256()
    with open_regular(path, follow_links=follow_links, raw_dir=raw_dir, max_bytes=max_bytes) as fh:
        _check_size(fh.size, max_bytes)
        for chunk in fh.chunks():
            h.update(chunk)
    return h.hexdigest()


def _check_size(size: int, max_bytes: int) -> None:
    if size > max_bytes:
        raise Skip("unreadable", f"file is {size / 1e6:.0f} MB, over the {max_bytes / 1e6:.0f} MB limit (Settings.max_file_bytes)")
