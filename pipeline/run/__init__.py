"""The run stage: orchestration of the stages over a folder (see :mod:`pipeline.run.orchestrate`).

    inputs -> executors (pool / Dask) -> worker (ingest + analysis, cached) -> collector
           -> aggregate -> tables, candidates, reporting -> manifest

Public names are re-exported lazily from the submodules below (nothing heavy at import); each
access looks the name up in its submodule, so a test that patches the submodule is seen here.
"""

from __future__ import annotations

import importlib
from pathlib import Path

#: public name -> the submodule that holds it
_EXPORTS: dict[str, str] = {
    # orchestration
    "run": "orchestrate",
    "ingest_only": "orchestrate",
    "RunSummary": "summary",
    "RunInterrupted": "signals",
    "discover": "inputs",
    # cache, fingerprints, manifest
    "CACHE_DIR": "cache",
    "Cache": "cache",
    "ingest_fingerprint": "fingerprints",
    "analysis_fingerprint": "fingerprints",
    "model_fingerprint": "fingerprints",
    "run_key": "fingerprints",
    "static_key": "fingerprints",
    "code_hash": "fingerprints",
    "MANIFEST": "manifest",
    "OUTPUT_NAMES": "manifest",
    # per-document work
    "Resources": "resources",
    "model_labels": "resources",
    "analyse": "analysis",
    "analyse_many": "analysis",
    "process_files": "worker",
    "process_file": "worker",
    "chunked": "executors",
    "start_pool": "executors",
    "stop_pool": "executors",
    # tables and side outputs
    "PMI_CHAR_BUDGET": "candidates",
    "DISCOVERY_CHAR_BUDGET": "collector",
    "CHART_TABLES": "reporting",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str):
    if name in _EXPORTS:
        return getattr(importlib.import_module(f"{__name__}.{_EXPORTS[name]}"), name)
    if not name.startswith("_") and (Path(__file__).parent / f"{name}.py").is_file():  # a submodule
        return importlib.import_module(f"{__name__}.{name}")
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_EXPORTS))
