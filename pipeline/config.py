"""Paths and settings in one place. Nothing here reads files or logs at import time."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

VERSION = "0.1.0"
PACKAGE_DIR = Path(__file__).resolve().parent
PROJECT_ROOT = PACKAGE_DIR.parent
#: the files the package ships (a wheel's copy of lexicons/ and data/labels/, see setup.py)
RESOURCES_DIR = PACKAGE_DIR / "resources"
#: running from the repository checkout (an editable install): its folders are the defaults
IN_CHECKOUT = (PROJECT_ROOT / "pyproject.toml").is_file() and (PROJECT_ROOT / "lexicons").is_dir()

LEXICON_DIR = PROJECT_ROOT / "lexicons" if IN_CHECKOUT else RESOURCES_DIR / "lexicons"
DATA_DIR = PROJECT_ROOT / "data"
RAW_DIR = DATA_DIR / "raw"
PROCESSED_DIR = DATA_DIR / "processed"
LABELS_DIR = DATA_DIR / "labels" if IN_CHECKOUT else RESOURCES_DIR / "labels"
SHARED_DIR = PROJECT_ROOT.parent / "shared"


def user_models_dir() -> Path:
    """Models trained outside a workspace and outside the checkout: a per-user cache folder,
    never site-packages."""
    from platformdirs import user_cache_path

    return user_cache_path("dangjian") / "models"


MODELS_DIR = PROJECT_ROOT / "models" if IN_CHECKOUT else user_models_dir()

FORMULATIONS_FILE = "formulations.csv"
TAXONOMY_FILE = "taxonomy.yaml"
STOPWORD_FILES = ("stopwords_general.txt", "stopwords_party.txt")


def default_workers() -> int:
    return max(1, os.cpu_count() or 1)


@dataclass(frozen=True)
class Settings:
    """Everything that changes a run's results. Frozen so it can be hashed into cache keys."""

    lexicon_dir: Path = LEXICON_DIR
    labels_dir: Path = LABELS_DIR
    models_dir: Path = MODELS_DIR
    segmenter: str = "jieba"
    taxonomy: str = "four"
    # ingest limits: refuse, with a reason, rather than exhaust memory
    max_file_bytes: int = 200 * 1024 * 1024
    max_docx_uncompressed: int = 300 * 1024 * 1024
    max_docx_ratio: float = 200.0
    max_paragraph_chars: int = 3000
    max_tree_depth: int = 64
    # read files and folders reached through symlinks that leave the input folder (never
    # /proc, /sys, /dev, the output folder, FIFOs or devices)
    follow_links: bool = False
    # classification
    uncertain_below: float = 0.5
    # keyword tables
    top_keywords: int = 200
    # extra tables grouped by these document columns (`dangjian run --by genre`)
    group_by: tuple[str, ...] = ()
    # category shares: corrected for the classifier's measured errors; headings and table rows out
    correct_shares: bool = True
    shares_all_paragraphs: bool = False
    extra: dict = field(default_factory=dict, compare=False, hash=False)
