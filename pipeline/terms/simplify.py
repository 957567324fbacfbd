"""The simplified view of a text (traditional -> simplified, one character for one), for the
stages above ingest, and its identity for cache keys.

The character table lives in the bottom layer (:mod:`pipeline.simplify`), so that ingest's rules
read the same view as formulation matching, discovery and the classifier; its functions are
re-exported here for their callers. :func:`view_fingerprint` (the OpenCC version, the config and
the bytes of its dictionaries) enters the run's ingest and analysis fingerprints and run key, so
an OpenCC upgrade recomputes every result read on the view.
"""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path

from pipeline.simplify import ASTRAL_RANGE, BMP_RANGES, CONFIG, HAN_RANGES, has_traditional, simplified, simplified_all, traditional_chars

__all__ = [
    "ASTRAL_RANGE",
    "BMP_RANGES",
    "CONFIG",
    "HAN_RANGES",
    "has_traditional",
    "simplified",
    "simplified_all",
    "traditional_chars",
    "view_fingerprint",
]


def _package_dir() -> Path | None:
    """The installed ``opencc`` package folder (found, not imported)."""
    import importlib.util

    try:
        spec = importlib.util.find_spec("opencc")
    except (ImportError, ValueError):
        return None
    tops = list(spec.submodule_search_locations or []) if spec is not None else []
    return Path(tops[0]) if tops else None


def _version(package: Path | None) -> str:
    """OpenCC's version from the dist-info next to the package (importlib.metadata scans all of
    site-packages: ~0.4 s), else from importlib.metadata."""
    if package is not None:
        for info in sorted(package.parent.glob("opencc-*.dist-info")):
            try:
                head = (info / "METADATA").read_text(encoding="utf-8", errors="replace")[:4000]
            except OSError:
                continue
            m = re.search(r"^Version:\s*(\S+)", head, re.M)
            if m:
                return m.group(1)
    from importlib import metadata

    try:
        return metadata.version("opencc")
    except metadata.PackageNotFoundError:
        return "absent"


def _dict_files(node) -> list[str]:
    """The dictionary file names a config (parsed JSON) refers to, in order."""
    if isinstance(node, dict):
        found = [node["file"]] if isinstance(node.get("file"), str) else []
        return found + [f for value in node.values() for f in _dict_files(value)]
    if isinstance(node, list):
        return [f for value in node for f in _dict_files(value)]
    return []


def view_fingerprint() -> str:
    """Identity of the simplified view, for cache keys: the installed OpenCC's version, the
    config (:data:`CONFIG`) and the bytes of the config file and of every dictionary it names.
    Upgrading (or patching) OpenCC changes it; reads ~80 KB and imports nothing (~1 ms)."""
    package = _package_dir()
    h = hashlib.sha256(f"opencc {_version(package)}|{CONFIG}".encode())
    folder = package / "clib" / "share" / "opencc" if package is not None else None
    config = folder / f"{CONFIG}.json" if folder is not None else None
    if config is not None and config.is_file():
        raw = config.read_bytes()
        h.update(b"|config|" + raw)
        try:
            names = _dict_files(json.loads(raw))
        except ValueError:
            names = []
        for name in names:
            path = folder / name
            h.update(f"|{name}|".encode() + (path.read_bytes() if path.is_file() else b"<missing>"))
    return h.hexdigest()[:16]
