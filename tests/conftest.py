"""Shared fixtures. Tests needing ../shared skip cleanly when it is absent."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SAMPLE_DIR = ROOT / "data" / "raw" / "sample"
SHARED = Path(os.environ.get("DANGJIAN_SHARED", ROOT.parent / "shared"))
CORPUS = SHARED / "corpus"


def heldout_files() -> set[str]:
    """Paths (relative to corpus/) of the evaluation split."""
    path = CORPUS / "HELDOUT.md"
    if not path.exists():
        return set()
    return {line.strip() for line in path.read_text(encoding="utf-8").splitlines() if line.strip().endswith(".txt")}


def write_label_sample(dest: Path, per_label: int, seed: int) -> Path:
    """A stratified sample of the shipped labels (``per_label`` rows of each label), written as
    ``dest/paragraphs.csv`` in the labels format: a small labels folder for fast fits."""
    from pipeline import classify
    from pipeline.config import LABELS_DIR

    data = classify.load_labels(LABELS_DIR)
    part = data.groupby("label").sample(n=per_label, random_state=seed)
    part[["doc", "para_id", "text", "label", "note"]].to_csv(dest / "paragraphs.csv", index=False)
    return dest


@pytest.fixture(scope="session")
def sample_dir() -> Path:
    return SAMPLE_DIR


@pytest.fixture(scope="session")
def seed_texts() -> dict[str, str]:
    return {p.name: p.read_text(encoding="utf-8") for p in sorted(SAMPLE_DIR.glob("*.txt"))}


@pytest.fixture(scope="session")
def corpus_dir() -> Path:
    if not CORPUS.is_dir():
        pytest.skip("../shared/corpus is absent")
    return CORPUS
