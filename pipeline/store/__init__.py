"""The store stage. Public names are re-exported lazily from the submodules (nothing heavy at import)."""

from __future__ import annotations

import importlib
from pathlib import Path

_SUBMODULES: tuple[str, ...] = ("tables", "lock", "generation", "filehash", "runs")


def __getattr__(name: str):
    if (Path(__file__).parent / f"{name}.py").is_file():  # a submodule (``from pkg import sub``)
        return importlib.import_module(f"{__name__}.{name}")
    if not name.startswith("_"):
        for sub in _SUBMODULES:
            module = importlib.import_module(f"{__name__}.{sub}")
            if name in vars(module):
                return vars(module)[name]
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
