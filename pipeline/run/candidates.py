"""New formulations: candidates.csv from the collector's discovery sample (run in a forked child
while the main process writes the tables)."""

from __future__ import annotations

from pathlib import Path

from pipeline.config import Settings
from pipeline.run import tables
from pipeline.run.resources import resources_for

PMI_CHAR_BUDGET = 250_000  # statistical discovery samples this much; patterns/quotes see everything


def write_candidates(out_dir: Path, docs: list[tuple], settings: Settings) -> list[str]:
    from pipeline.terms import discover_candidates

    res = resources_for(settings)
    candidates = discover_candidates(docs, res.lexicon, stopwords=res.stopwords, max_chars=PMI_CHAR_BUDGET)
    return tables.write_tables(out_dir, {"candidates": candidates})
