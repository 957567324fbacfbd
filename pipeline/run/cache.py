"""The run's blob cache: content-addressed JSON blobs under OUT_DIR/.cache (ingest and analysis
results per document, keyed by :mod:`pipeline.run.fingerprints`).

A blob is never trusted blindly: a flipped bit must not reach a table, and a blob of another
shape must not crash the run. Each blob is

    b"DJC" | schema version (1 byte) | SHA-256 of the JSON payload (32 bytes) | zstd frame

and the zstd frame carries its own content checksum (``write_checksum=True``). :meth:`Cache.get`
returns the value only when the header, the version, the frame's checksum, the payload's hash
and the caller's shape check all pass; a blob that fails any of them is counted in
``Cache.rejected`` (the run summary's "N cache blobs recomputed") and its document recomputed
(the new blob replaces it). Temp files are written in ``.cache/tmp/`` and renamed into place, so
a killed worker leaves its half-written blob where the next run clears it.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable
from pathlib import Path

#: the cache folder inside an output folder (blobs and the file-hash cache)
CACHE_DIR = ".cache"
#: the version of the blobs' layout and of the values' shapes: a change makes old blobs misses
SCHEMA_VERSION = 2
MAGIC = b"DJC"
#: no blob's JSON is larger (a document is at most Settings.max_file_bytes of text, 200 MB)
MAX_PAYLOAD = 1 << 30
_HEADER = len(MAGIC) + 1 + 32


class Cache:
    """Content-addressed, checksummed blobs under OUT_DIR/.cache (see the module docstring).
    Safe to load: data, not code."""

    def __init__(self, root: Path):
        self.root = Path(root)
        self._zc = self._zd = None
        self.rejected = 0  # blobs found but failing a check (recomputed)

    def _path(self, kind: str, key: str) -> Path:
        return self.root / kind / key[:2] / f"{key}.json.zst"

    def get(self, kind: str, key: str, valid: Callable[[object], bool] | None = None):
        """The blob's value, or None: missing, or failing a check (then counted in ``rejected``)."""
        path = self._path(kind, key)
        try:
            data = path.read_bytes()
        except OSError:
            return None
        value = self._decode(data)
        if value is None or (valid is not None and not _safe_check(valid, value)):
            self.rejected += 1
            return None
        return value

    def _decode(self, data: bytes):
        import orjson
        import zstandard

        if len(data) <= _HEADER or data[: len(MAGIC)] != MAGIC or data[len(MAGIC)] != SCHEMA_VERSION:
            return None
        if self._zd is None:
            self._zd = zstandard.ZstdDecompressor()
        frame = data[_HEADER:]
        try:  # a flipped bit in the frame's size field must not make us allocate gigabytes
            size = zstandard.frame_content_size(frame)
            if size > MAX_PAYLOAD or size < 0:
                return None
            payload = self._zd.decompress(frame)  # checks the frame's content checksum
        except (zstandard.ZstdError, MemoryError, ValueError):
            return None
        if hashlib.sha256(payload).digest() != data[len(MAGIC) + 1 : _HEADER]:
            return None
        try:
            return orjson.loads(payload)
        except ValueError:
            return None

    def encode(self, value) -> bytes | None:
        """The blob bytes of ``value`` (None: not JSON-able)."""
        import orjson
        import zstandard

        if self._zc is None:
            self._zc = zstandard.ZstdCompressor(level=1, write_checksum=True)
        try:
            payload = orjson.dumps(value)
        except TypeError:
            return None
        return MAGIC + bytes([SCHEMA_VERSION]) + hashlib.sha256(payload).digest() + self._zc.compress(payload)

    def put(self, kind: str, key: str, value) -> None:
        """Write a blob atomically (temp file in .cache/tmp + rename; no fsync: a lost or torn
        blob fails its checks and is recomputed). A value JSON cannot hold is not cached; a
        cache that cannot be written only costs speed."""
        data = self.encode(value)
        if data is None:
            return
        path = self._path(kind, key)
        tmp = self.root / "tmp" / f"{key}.{kind}.{os.getpid()}.tmp"  # one writer per process
        try:
            try:
                fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o666)
            except FileNotFoundError:
                tmp.parent.mkdir(parents=True, exist_ok=True)
                fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o666)
            try:
                view = memoryview(data)
                while view:
                    view = view[os.write(fd, view) :]
            finally:
                os.close(fd)
            try:
                os.replace(tmp, path)
            except FileNotFoundError:  # first blob of its folder
                path.parent.mkdir(parents=True, exist_ok=True)
                os.replace(tmp, path)
        except OSError:
            tmp.unlink(missing_ok=True)


def _safe_check(valid: Callable[[object], bool], value) -> bool:
    try:
        return bool(valid(value))
    except Exception:
        return False
