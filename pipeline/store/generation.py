"""Runs as transactions: the tables, figures and report of one run become visible together.

A run writes every output into a private staging folder, ``OUT_DIR/.staging-<id>/``, then
:meth:`Staging.publish` switches them into place under the output lock:

1. every staged file is hashed; ``.dangjian-run.json`` (the *generation manifest*: the run's id
   and each file's size and SHA-256) and the switch journal are written into the staging folder
   and flushed to disk, and the files the switch will replace or remove get a hard link in
   ``.staging-<id>/.previous/`` (the way back);
2. the journal is renamed to ``OUT_DIR/.dangjian-switch.json``: **the commit point**;
3. each file is renamed into place in a fixed order (tables, figures, report.html), files of the
   previous generation that this run does not write are removed, and the generation manifest is
   renamed into place **last**;
4. the journal and the staging folder are removed.

A kill before step 2 leaves the previous outputs untouched (the next run deletes the staging
folder); a kill after it leaves a journal, and the next run (:func:`recover`) completes the
switch from the staging folder, or rolls it back from the links when it cannot. Readers
(:func:`check_readable`, used by ``RunTables.load``) refuse a folder with a pending journal and
warn about files that differ from the generation manifest. Stale temp files and staging folders
are removed by :func:`sweep` (only our own names, only inside OUT_DIR).
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import secrets
import shutil
import time
import warnings
from collections.abc import Iterable
from pathlib import Path

from pipeline.errors import MixedOutputs
from pipeline.store.filehash import FileHashes, sha256_file, stat_key

GENERATION = ".dangjian-run.json"
JOURNAL = ".dangjian-switch.json"
STAGING_PREFIX = ".staging-"
BACKUP = ".previous"
FORMAT = 1
#: a temp file of ours: ``tempfile.mkstemp(prefix=".<output name>.", suffix=".tmp")`` (pipeline.atomic)
TEMP_FILE = re.compile(r"^\.[^/]+\.(csv|parquet|html|json|png|svg|zst)\.[a-z0-9_]{8}\.tmp$")
#: a cache blob's temp file of the layout before .cache/tmp (``.<key>.json.zst.<pid>.tmp``)
OLD_BLOB_TEMP = re.compile(r"^\.[0-9a-f]{64}\.json\.zst\.\d+\.tmp$")


def new_id() -> str:
    return f"{time.strftime('%Y%m%dT%H%M%S')}-{os.getpid()}-{secrets.token_hex(3)}"


def fsync_dir(path: Path) -> None:
    """Flush a folder's entries (renames) to disk; a file system that cannot is left alone."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def _write_json(path: Path, data: dict) -> None:
    """Write a small JSON file and flush it (inside the private staging folder: no temp needed)."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o666)
    try:
        try:
            payload = json.dumps(data, ensure_ascii=False, indent=1).encode("utf-8")
        except UnicodeEncodeError:  # a str with surrogate escapes (a name that is not UTF-8): JSON escapes
            payload = json.dumps(data, ensure_ascii=True, indent=1).encode("ascii")
        view = memoryview(payload)
        while view:
            view = view[os.write(fd, view) :]
        os.fsync(fd)
    finally:
        os.close(fd)


def _read_json(path: Path) -> dict | None:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def read_generation(out_dir: Path | str) -> dict | None:
    """The generation manifest of the outputs in ``out_dir`` (None: none, or not ours)."""
    data = _read_json(Path(out_dir) / GENERATION)
    if data is None or data.get("format") != FORMAT or not isinstance(data.get("files"), dict):
        return None
    return data


def switch_order(files: Iterable[str]) -> list[str]:
    """The fixed order files are renamed into place: tables (by name), other top-level files,
    figures, report.html last of all (it shows the figures and the tables)."""

    def rank(rel: str) -> tuple:
        if rel == "report.html":
            return (3, rel)
        if "/" in rel:
            return (2, rel)
        return (0 if rel.endswith((".csv", ".parquet")) else 1, rel)

    return sorted(files, key=rank)


class Staging:
    """``OUT_DIR/.staging-<id>/``: a run's outputs are written here, then published together."""

    def __init__(self, out_dir: Path | str):
        self.out_dir = Path(out_dir)
        self.id = new_id()
        self.path = self.out_dir / f"{STAGING_PREFIX}{self.id}"
        self.committed = False
        self.path.mkdir()

    def files(self) -> list[str]:
        """The staged outputs (relative posix paths); hidden names (temp files, our own meta
        files, the backup folder) are not outputs."""
        out = []
        for root, dirs, names in os.walk(self.path):
            dirs[:] = [d for d in dirs if not d.startswith(".")]
            rel_root = Path(root).relative_to(self.path)
            out += [(rel_root / n).as_posix() for n in names if not n.startswith(".")]
        return switch_order(out)

    def publish(self, meta: dict, hashes: FileHashes | None = None) -> dict:
        """Switch the staged files into OUT_DIR (see the module docstring); returns the new
        generation manifest (with ``meta``: the run's key and summary). The caller holds the
        output lock and keeps signals from interrupting this call."""
        out = self.out_dir
        entries = {}
        for rel in self.files():
            digest, st = sha256_file(self.path / rel)
            entries[rel] = {"sha256": digest, "size": st.st_size}
        manifest = {"format": FORMAT, "generation": self.id, "written": time.strftime("%Y-%m-%dT%H:%M:%S%z"), "files": entries, **meta}
        previous = read_generation(out)
        remove = sorted(set(previous["files"]) - set(entries)) if previous else []
        backup, complete = [], True
        for rel in [*entries, *remove, GENERATION]:
            src = out / rel
            if not src.is_file() or src.is_symlink():
                continue
            dst = self.path / BACKUP / rel
            try:
                dst.parent.mkdir(parents=True, exist_ok=True)
                os.link(src, dst)
                backup.append(rel)
            except OSError:  # no hard links here: the switch can still be completed, not undone
                complete = False
        journal = {
            "format": FORMAT,
            "generation": self.id,
            "staging": self.path.name,
            "order": list(entries),
            "remove": remove,
            "backup": backup,
            "backup_complete": complete,
        }
        _write_json(self.path / GENERATION, manifest)
        _write_json(self.path / JOURNAL, journal)
        for folder in {(self.path / rel).parent for rel in entries} | {self.path}:
            fsync_dir(folder)
        os.replace(self.path / JOURNAL, out / JOURNAL)  # the commit point
        self.committed = True
        fsync_dir(out)
        try:
            _roll_forward(out, journal)
        except OSError as err:
            try:  # once more: completed (then the run succeeded after all) or undone
                outcome = recover(out)
            except OSError:
                outcome = None
            if outcome != "completed":
                if outcome is None:  # still pending: say so (OutputError's message reads this)
                    err.pending_switch = True
                raise
        if hashes is not None:  # the published files' stat, so an unchanged re-run need not read them
            for rel, entry in entries.items():
                with contextlib.suppress(OSError):
                    hashes.learn(out / rel, stat_key(os.stat(out / rel)), entry["sha256"])
        return manifest

    def discard(self) -> None:
        """Forget the staged outputs (a failed or stopped run); once committed, the staging
        folder belongs to the journal and :func:`recover` finishes it instead."""
        if not self.committed or not pending(self.out_dir):
            shutil.rmtree(self.path, ignore_errors=True)


def _roll_forward(out: Path, journal: dict) -> None:
    """Move what is still staged into place (in the journal's order), remove the files the new
    generation drops, the manifest last; then forget the journal and the staging folder."""
    staging = out / journal["staging"]
    folders = {out}
    for rel in journal["order"]:
        src, dst = staging / rel, out / rel
        if os.path.lexists(src):  # not moved yet (a rename is all or nothing)
            if dst.parent != out:
                dst.parent.mkdir(parents=True, exist_ok=True)
                folders.add(dst.parent)
            os.replace(src, dst)
    for rel in journal["remove"]:
        with contextlib.suppress(FileNotFoundError):
            (out / rel).unlink()
    if os.path.lexists(staging / GENERATION):
        os.replace(staging / GENERATION, out / GENERATION)
    for folder in folders:
        fsync_dir(folder)
    (out / JOURNAL).unlink()
    fsync_dir(out)
    shutil.rmtree(staging, ignore_errors=True)


def _can_roll_forward(out: Path, journal: dict) -> bool:
    """Every file of the new generation is either still staged whole or already in place."""
    staging = out / journal["staging"]
    manifest = _read_json(staging / GENERATION)
    if manifest is None:
        current = read_generation(out)
        if current is None or current.get("generation") != journal.get("generation"):
            return False  # the manifest is neither staged nor in place: nothing to check against
        manifest = current
    files = manifest.get("files", {})
    for rel in journal["order"]:
        entry = files.get(rel)
        if entry is None:
            return False
        staged = staging / rel
        target = staged if staged.is_file() else out / rel
        try:
            digest, _ = sha256_file(target)
        except OSError:
            return False
        if digest != entry["sha256"]:
            return False
    return True


def _roll_back(out: Path, journal: dict) -> None:
    """Put the previous generation's files back from their links; remove files it did not have."""
    staging = out / journal["staging"]
    backed = set(journal.get("backup", []))
    for rel in [*journal["order"], *journal["remove"], GENERATION]:
        if rel in backed and (staging / BACKUP / rel).is_file():
            os.replace(staging / BACKUP / rel, out / rel)
        elif rel not in backed and journal.get("backup_complete") and rel != GENERATION and rel in journal["order"]:
            with contextlib.suppress(FileNotFoundError):
                (out / rel).unlink()  # new in this generation: the previous one had no such file
    current = read_generation(out)
    if current is not None and current.get("generation") == journal.get("generation") and GENERATION not in backed:
        (out / GENERATION).unlink()  # the new manifest was in place but the previous run had none
    fsync_dir(out)
    (out / JOURNAL).unlink()
    fsync_dir(out)
    shutil.rmtree(staging, ignore_errors=True)


def recover(out_dir: Path | str) -> str | None:
    """Finish a switch-over a killed run left half done (call under the output lock): completed
    from the staging folder when every new file is there whole, else rolled back. Returns
    ``"completed"``, ``"rolled back"`` or None (nothing to do)."""
    out = Path(out_dir)
    path = out / JOURNAL
    if not os.path.lexists(path):
        return None
    journal = _read_json(path)
    ok = (
        journal is not None
        and journal.get("format") == FORMAT
        and isinstance(journal.get("staging"), str)
        and journal["staging"].startswith(STAGING_PREFIX)
        and "/" not in journal["staging"]
        and isinstance(journal.get("order"), list)
        and isinstance(journal.get("remove"), list)
    )
    if not ok:  # not a journal we wrote: nothing can be replayed from it
        path.unlink()
        return "rolled back"
    if _can_roll_forward(out, journal):
        _roll_forward(out, journal)
        return "completed"
    _roll_back(out, journal)
    return "rolled back"


def sweep(out_dir: Path | str, *, deep: bool = False) -> int:
    """Remove what killed runs leave in OUT_DIR: staging folders (not the one a pending
    switch-over names), our temp files (in OUT_DIR, figures/ and .cache/), and the cache's temp folder; ``deep`` also looks through the cache's
    blob folders (for temp files of the older layout). Call under the output lock, after
    :func:`recover`. Returns how many entries were removed."""
    out = Path(out_dir)
    removed = 0
    journal = _read_json(out / JOURNAL) if pending(out) else None
    keep = journal.get("staging") if journal else None  # an unfinished switch-over still needs its folder

    def scan(folder: Path, pattern: re.Pattern, staging: bool = False) -> None:
        nonlocal removed
        try:
            entries = list(os.scandir(folder))
        except OSError:
            return
        for entry in entries:
            try:
                if staging and entry.name.startswith(STAGING_PREFIX) and entry.name != keep and entry.is_dir(follow_symlinks=False):
                    shutil.rmtree(entry.path, ignore_errors=True)
                elif pattern.match(entry.name) and entry.is_file(follow_symlinks=False):
                    os.unlink(entry.path)
                else:
                    continue
            except OSError:
                continue
            removed += 1

    scan(out, TEMP_FILE, staging=True)
    scan(out / "figures", TEMP_FILE)
    scan(out / ".cache", TEMP_FILE)
    tmp = out / ".cache" / "tmp"
    if tmp.is_dir():
        removed += sum(1 for _ in tmp.iterdir())
        shutil.rmtree(tmp, ignore_errors=True)
    if deep:
        for kind in ("ingest", "analysis"):
            try:
                subs = [e.path for e in os.scandir(out / ".cache" / kind) if e.is_dir(follow_symlinks=False)]
            except OSError:
                continue
            for sub in subs:
                scan(Path(sub), OLD_BLOB_TEMP)
    return removed


def pending(out_dir: Path | str) -> bool:
    """Whether a switch-over is under way or was interrupted (a journal is in OUT_DIR)."""
    return os.path.lexists(Path(out_dir) / JOURNAL)


def check_readable(out_dir: Path | str, names: Iterable[str] = (), *, wait: float = 2.0) -> dict | None:
    """Before reading a run's files: refuse a folder whose switch-over is pending (after giving
    a live one ``wait`` seconds to finish) with :class:`~pipeline.errors.MixedOutputs`, and warn
    about each of ``names`` (relative paths) whose size differs from the generation manifest.
    Returns the manifest (None for a folder written before generations existed)."""
    out = Path(out_dir)
    deadline = time.monotonic() + wait
    while pending(out):
        if time.monotonic() >= deadline:
            raise MixedOutputs(
                f"{out} holds files of two runs: a run was stopped while publishing its outputs",
                f"run `dangjian run RAW_DIR --out {out}` again: it completes (or undoes) the switch-over first",
            )
        time.sleep(0.05)
    manifest = read_generation(out)
    if manifest is None:
        return None
    files = manifest["files"]
    changed = []
    for rel in names:
        entry = files.get(rel)
        try:
            size = (out / rel).stat().st_size
        except OSError:
            size = None
        if entry is None:
            if size is not None:
                changed.append(f"{rel} (not written by that run)")
        elif size != entry.get("size"):
            changed.append(f"{rel} ({'missing' if size is None else 'changed since'})")
    if changed:
        warnings.warn(f"{out}: outputs differ from run {manifest.get('generation')}: {', '.join(changed)}", stacklevel=3)
    return manifest


def verify(out_dir: Path | str, manifest: dict, hashes: FileHashes | None = None) -> list[str]:
    """The files of ``manifest`` that are missing or not byte for byte what the run wrote
    (sizes first, then SHA-256 through ``hashes``); empty when the outputs are whole."""
    out = Path(out_dir)
    hashes = hashes or FileHashes(None)
    bad = []
    for rel, entry in manifest.get("files", {}).items():
        path = out / rel
        try:
            size = path.stat().st_size
        except OSError:
            bad.append(rel)
            continue
        if size != entry.get("size") or hashes.digest(path) != entry.get("sha256"):
            bad.append(rel)
    return bad
