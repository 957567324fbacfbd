"""dangjian: party-building reports -> formulation counts, paragraph labels, trends.

Import is cheap: heavy modules (jieba, sklearn, matplotlib, pandas) load on first use.
"""

from __future__ import annotations

from pipeline.config import VERSION as __version__

__all__ = ["Corpus", "__version__"]


def __getattr__(name: str):
    if name == "Corpus":
        from pipeline.api import Corpus

        return Corpus
    raise AttributeError(f"module 'pipeline' has no attribute {name!r}")
