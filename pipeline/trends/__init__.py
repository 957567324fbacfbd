"""Aggregate per-document counts into tables by year, organization or any document column, normalized.

Pure functions on pandas DataFrames: no file I/O, no plotting (charts live in ``report``).

Conventions
-----------
* ``per_10k`` is occurrences per 10,000 characters of text (document characters, or the sum of
  the characters of all documents of a year/organization - including those that do not use
  the term, so a rare term in a big year is not inflated).
* ``doc_share`` is the share of a year's (organization's) documents that use the term at least
  once: a number in [0, 1].
* Documents whose year is unknown are **excluded from every by-year table** (they still count in
  ``term_counts`` with an empty year, in ``by="org"`` tables and in ``first_appearance.n_docs``).
* Tables by year hold one row per year *that has documents*. Years with no documents are not
  invented as zeros: the chart helpers (``trend_matrix``, ``category_matrix``, ``year_range``)
  reindex over the full span of years and leave those years as NaN, which charts draw as gaps.
* A corpus of a single year works everywhere (keyword distinctiveness then falls back to
  frequency).
"""

from __future__ import annotations

from pipeline.trends.categories import (  # noqa: F401 - the package's names
    category_shares,
    document_shares,
    labelled,
)
from pipeline.trends.formulations import (
    first_appearance,
    term_counts,
    term_trends,
    top_terms,
)
from pipeline.trends.frames import (  # noqa: F401 - the package's names
    CATEGORY_SHARE_COLUMNS,
    EXAMPLE_COLUMNS,
    FIRST_APPEARANCE_COLUMNS,
    KEYWORD_FREQ_COLUMNS,
    KEYWORDS_BY_YEAR_COLUMNS,
    MEASURES,
    TERM_COUNT_COLUMNS,
    TERM_TREND_COLUMNS,
    UNKNOWN_GROUP,
    YEAR_WORD_COLUMNS,
    as_year,
    doc_frame,
    empty,
    group_key,
    group_values,
    per_10k,
)
from pipeline.trends.keyness import KEYNESS_COLUMNS, keyness  # noqa: F401
from pipeline.trends.keywords import (  # noqa: F401 - the package's names
    g2,
    keyword_frequencies,
    keywords_by_year,
    word_frame,
    year_chars,
    year_word_table,
)
from pipeline.trends.matrices import (  # noqa: F401 - the package's names
    category_matrix,
    docs_per_year,
    trend_matrix,
    year_pivot,
    year_range,
)
from pipeline.trends.samples import (  # noqa: F401 - the package's names
    EXAMPLE_MIN_CHARS,
    ExampleIndex,
    examples,
    lexicon_aliases,
)
from pipeline.trends.series import series_gaps  # noqa: F401

__all__ = [
    "term_counts",
    "term_trends",
    "keyword_frequencies",
    "keywords_by_year",
    "category_shares",
    "document_shares",
    "first_appearance",
    "docs_per_year",
    "year_range",
    "trend_matrix",
    "category_matrix",
    "top_terms",
    "examples",
    "lexicon_aliases",
    "keyness",
]
