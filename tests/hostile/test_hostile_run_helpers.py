"""Helpers of the run-side hostile tests (tests/hostile/test_hostile_run_*.py): output snapshots
and a fault injector for the file system calls a run makes in its output folder.

Not a conftest.py (a second conftest module would shadow tests/conftest.py); it holds no test; imported as
``from test_hostile_run_helpers import ...`` (pytest puts this folder on sys.path for the test modules).
"""

from __future__ import annotations

import builtins
import errno
import hashlib
import io
import os
import shutil
import traceback
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SAMPLE = ROOT / "data" / "raw" / "sample"
PIPELINE = str(ROOT / "pipeline")
NEW_REPORT = "2021年党支部工作总结\n\n全年坚决做到两个维护,严格落实三会一课,深入整治四风问题。\n"

#: hidden names that are not outputs: the cache, the lock, the generation manifest and journal
HIDDEN = (".cache", ".dangjian.lock", ".dangjian-run.json", ".dangjian-switch.json")


def outputs(out: Path) -> dict[str, str]:
    """relative path -> sha256 of every output file (csv, parquet, figures, report.html)."""
    found = {}
    for root, dirs, files in os.walk(out):
        dirs[:] = [d for d in dirs if not d.startswith(".")]
        for name in files:
            if name.startswith("."):
                continue
            p = Path(root) / name
            found[p.relative_to(out).as_posix()] = hashlib.sha256(p.read_bytes()).hexdigest()
    return found


def leftovers(out: Path) -> list[str]:
    """What a finished or failed run must not leave: temp files, staging folders, the lock, a
    journal, the cache's temp folder."""
    bad = []
    for root, dirs, files in os.walk(out):
        for name in dirs + files:
            rel = (Path(root) / name).relative_to(out).as_posix()
            if name.endswith(".tmp") or name.startswith(".staging-") or name in (".dangjian.lock", ".dangjian-switch.json") or rel == ".cache/tmp":
                bad.append(rel)
    return sorted(bad)


def make_raw(tmp: Path) -> Path:
    raw = tmp / "raw"
    shutil.copytree(SAMPLE, raw / "sample")
    return raw


def add_report(raw: Path) -> None:
    """A sixth report: every table, figure and the report change."""
    (raw / "2021_new.txt").write_text(NEW_REPORT, encoding="utf-8")


_WRITE_FLAGS = os.O_WRONLY | os.O_RDWR | os.O_CREAT | os.O_APPEND | os.O_TRUNC


class Faults:
    """Patch the os/io calls that change files; inside ``out`` they can be recorded by call
    site (the stack of pipeline frames) and made to fail with ``errno`` from a chosen site on
    (a full disk stays full). Forked children inherit the patches; ``log`` (a file outside
    ``out``) receives their sites too."""

    def __init__(self, monkeypatch, out: Path, log: Path | None = None):
        self.out = str(Path(out).resolve())
        self.log = log
        self.fail_site: tuple | None = None
        self.errno = errno.ENOSPC
        self.failing = False
        self.transient = False
        self.sites: list[tuple] = []
        self._fds: set[int] = set()
        import tempfile

        self._flag = Path(tempfile.mkdtemp(prefix="faults-")) / "failing"  # the disk is full: in every process
        orig = {n: getattr(os, n) for n in ("open", "close", "write", "replace", "rename", "link", "mkdir", "fsync", "chmod", "ftruncate", "pwrite")}
        self.orig = orig
        io_open = io.open

        def inside(path) -> bool:
            try:
                return os.path.abspath(os.fspath(path)).startswith(self.out)
            except TypeError:
                return False

        def p_open(path, flags, mode=0o777, *a, **k):
            if flags & _WRITE_FLAGS and inside(path):
                self._hit("os.open", path)
                fd = orig["open"](path, flags, mode, *a, **k)
                self._fds.add(fd)
                return fd
            return orig["open"](path, flags, mode, *a, **k)

        def p_close(fd):
            self._fds.discard(fd)
            return orig["close"](fd)

        def p_fd(name):
            def call(fd, *a, **k):
                if fd in self._fds:
                    self._hit(f"os.{name}", fd)
                return orig[name](fd, *a, **k)

            return call

        def p_path(name, which=(0,)):
            def call(*a, **k):
                if any(inside(a[i]) for i in which if i < len(a)):
                    self._hit(f"os.{name}", a[which[-1]] if which[-1] < len(a) else a[0])
                return orig[name](*a, **k)

            return call

        def p_io_open(file, mode="r", *a, **k):
            if isinstance(file, (str, bytes, os.PathLike)) and any(c in mode for c in "wax+") and inside(file):
                self._hit("open", file)
            return io_open(file, mode, *a, **k)

        monkeypatch.setattr(os, "open", p_open)
        monkeypatch.setattr(os, "close", p_close)
        for name in ("write", "fsync", "ftruncate", "pwrite"):
            monkeypatch.setattr(os, name, p_fd(name))
        monkeypatch.setattr(os, "replace", p_path("replace", (0, 1)))
        monkeypatch.setattr(os, "rename", p_path("rename", (0, 1)))
        monkeypatch.setattr(os, "link", p_path("link", (1,)))
        monkeypatch.setattr(os, "mkdir", p_path("mkdir"))
        monkeypatch.setattr(os, "chmod", p_path("chmod"))
        monkeypatch.setattr(io, "open", p_io_open)
        monkeypatch.setattr(builtins, "open", p_io_open)

    @staticmethod
    def site() -> tuple:
        """The call site: the pipeline frames of the stack (file, line, function)."""
        return tuple(
            f"{Path(f.filename).relative_to(PIPELINE).as_posix()}:{f.lineno}:{f.name}"
            for f in traceback.extract_stack()[:-2]
            if f.filename.startswith(PIPELINE)
        )

    def _hit(self, call: str, target) -> None:
        site = (call, *self.site())
        if self.fail_site is None:
            if site not in self.sites:
                self.sites.append(site)
                if self.log is not None:
                    with io.FileIO(str(self.log), "a") as fh:
                        fh.write((repr(site) + "\n").encode())
            return
        if self.failing or site == self.fail_site or (not self.transient and self._flag.exists()):
            self.failing = not self.transient
            if self.transient:
                self.fail_site = ("done",)
            else:
                self._flag.touch()
            raise OSError(self.errno, os.strerror(self.errno), str(target))

    def recorded(self) -> list[tuple]:
        """Every site seen, in this process and (via ``log``) in forked children, in order."""
        import ast

        sites = list(self.sites)
        if self.log is not None and self.log.exists():
            for line in self.log.read_text().splitlines():
                site = ast.literal_eval(line)
                if site not in sites:
                    sites.append(site)
        return sites

    def fail_at(self, site: tuple, err: int = errno.ENOSPC, *, transient: bool = False) -> None:
        self.fail_site, self.errno, self.failing, self.transient = site, err, False, transient
