"""The run's blob cache: content-addressed JSON blobs under OUT_DIR/.cache (ingest and analysis
results per document, keyed by :mod:`pipeline.run.fingerprints`)."""

from __future__ import annotations

import os
from pathlib import Path

#: the cache folder inside an output folder (blobs and the manifest)
CACHE_DIR = ".cache"


class Cache:
    """Content-addressed blobs under OUT_DIR/.cache: JSON (orjson), zstd-compressed. Safe to
    load (data, not code); a missing or damaged blob reads as None and is recomputed."""

    def __init__(self, root: Path):
        self.root = Path(root)
        self._zc = self._zd = None

    def _path(self, kind: str, key: str) -> Path:
        return self.root / kind / key[:2] / f"{key}.json.zst"

    def get(self, kind: str, key: str):
        import orjson
        import zstandard

        path = self._path(kind, key)
        try:
            data = path.read_bytes()
        except OSError:
            return None
        if self._zd is None:
            self._zd = zstandard.ZstdDecompressor()
        try:
            return orjson.loads(self._zd.decompress(data))
        except (zstandard.ZstdError, ValueError):
            return None  # damaged (e.g. a killed run): recompute

    def put(self, kind: str, key: str, value) -> None:
        """Write a blob atomically (temp file + rename; no fsync: a lost blob is recomputed)."""
        import orjson
        import zstandard

        if self._zc is None:
            self._zc = zstandard.ZstdCompressor(level=1)
        try:
            data = self._zc.compress(orjson.dumps(value))
        except TypeError:  # a value JSON cannot hold: not cached, recomputed next time
            return
        path = self._path(kind, key)
        tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")  # one writer per process
        try:
            try:
                fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o666)
            except FileNotFoundError:  # first blob of its folder
                path.parent.mkdir(parents=True, exist_ok=True)
                fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o666)
            try:
                os.write(fd, data)
            finally:
                os.close(fd)
            os.replace(tmp, path)
        except OSError:
            tmp.unlink(missing_ok=True)  # a cache that cannot be written only costs speed
