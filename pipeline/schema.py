"""Every output table's columns and types, in one place (OUTPUTS.md is the contract).

Writers (pipeline.run, pipeline.store), readers (pipeline.store.runs, the notebook API) and the
aggregates (pipeline.trends) all take their columns from here, so a new column is declared once.
Types are the writers' kinds: ``string`` (the default), ``int`` (nullable), ``float``, ``bool``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Mapping


@dataclass(frozen=True)
class Table:
    """One output table: its file stem, its contract columns in order, and their kinds."""

    name: str
    columns: tuple[str, ...]
    types: Mapping[str, str] = field(default_factory=dict)

    def kind(self, column: str) -> str:
        return self.types.get(column, "string")


def _table(name: str, columns: list[str], **types: str) -> Table:
    unknown = set(types) - set(columns)
    if unknown:  # pragma: no cover - a mistake in this file
        raise ValueError(f"{name}: types for unknown columns {sorted(unknown)}")
    return Table(name, tuple(columns), MappingProxyType(dict(types)))


DOCUMENTS = _table(
    "documents",
    [
        "doc_id",
        "path",
        "title",
        "pub_date",
        "pub_year",
        "report_year",
        "year",
        "year_source",
        "genre",
        "org",
        "org_raw",
        "source",
        "n_chars",
        "n_paragraphs",
        "encoding",
        "flags",
    ],
    pub_year="int",
    report_year="int",
    year="int",
    n_chars="int",
    n_paragraphs="int",
)
PARAGRAPHS = _table("paragraphs", ["doc_id", "para_id", "heading", "kind", "text", "n_chars"], para_id="int", n_chars="int")
REMOVED_LINES = _table("removed_lines", ["doc_id", "path", "line_no", "rule", "text"], line_no="int")
INGEST_LOG = _table("ingest_log", ["path", "status", "reason"])
TERM_COUNTS = _table("term_counts", ["doc_id", "year", "term", "count", "per_10k"], year="int", count="int", per_10k="float")
TERM_TRENDS = _table("term_trends", ["year", "term", "count", "per_10k", "doc_share"], year="int", count="int", per_10k="float", doc_share="float")
#: ``variant_of``: the lexicon term a candidate is a variant of ('' for a new formulation), pipeline.terms.discover_filter
CANDIDATES = _table("candidates", ["term", "method", "score", "doc_freq", "years", "example", "variant_of"], score="float", doc_freq="int")
KEYWORD_FREQUENCIES = _table(
    "keyword_frequencies", ["year", "word", "count", "per_10k", "doc_freq"], year="int", count="int", per_10k="float", doc_freq="int"
)
KEYWORDS_BY_YEAR = _table("keywords_by_year", ["year", "word", "score"], year="int", score="float")
#: ``share`` corrected for the classifier's errors (``method``), ``share_raw`` classify-and-count,
#: ``share_low``/``share_high`` its 95% interval, ``small_group`` fewer than 5 documents
CATEGORY_SHARES = _table(
    "category_shares",
    ["year", "category", "share", "share_raw", "share_low", "share_high", "n_docs", "n_paragraphs", "n_chars", "small_group", "method"],
    year="int",
    share="float",
    share_raw="float",
    share_low="float",
    share_high="float",
    n_docs="int",
    n_paragraphs="int",
    n_chars="int",
    small_group="bool",
)
SMALL_GROUP_DOCS = 5  # a group with fewer documents is ``small_group``

#: the tables of a run, by name, in the order a run writes them
TABLES: Mapping[str, Table] = MappingProxyType(
    {
        t.name: t
        for t in (
            DOCUMENTS,
            PARAGRAPHS,
            INGEST_LOG,
            TERM_COUNTS,
            TERM_TRENDS,
            CANDIDATES,
            KEYWORD_FREQUENCIES,
            KEYWORDS_BY_YEAR,
            CATEGORY_SHARES,
            REMOVED_LINES,
        )
    }
)

# derived frames (not files) whose columns the API and the report rely on
FIRST_APPEARANCE_COLUMNS = ["term", "first_year_corpus", "first_year_national", "last_year_corpus", "n_docs"]
YEAR_WORD_COLUMNS = ["year", "word", "count", "doc_freq"]
EXAMPLE_COLUMNS = ["doc_id", "para_id", "title", "year", "label", "text"]
KWIC_COLUMNS = ["doc_id", "para_id", "title", "year", "left", "match", "right"]

#: how a reader types a column of a CSV (every cell a string) by its name
INT_COLUMNS = frozenset(
    {
        "year",
        "pub_year",
        "report_year",
        "count",
        "n_chars",
        "n_paragraphs",
        "n_docs",
        "doc_freq",
        "para_id",
        "line_no",
        "first_year",
        "first_year_corpus",
        "last_year_corpus",
        "first_year_national",
    }
)
FLOAT_COLUMNS = frozenset({"per_10k", "doc_share", "share", "score"})
BOOL_COLUMNS = frozenset({"uncertain", "small_group"})
PROBABILITY_PREFIX = "p_"


def paragraph_columns(labels: list[str] | None) -> tuple[list[str], dict[str, str]]:
    """paragraphs.csv's columns and kinds: the base columns, then (when classified) ``label``, one
    ``p_<category>`` per label and ``uncertain``."""
    cols = list(PARAGRAPHS.columns) + (["label"] + [f"{PROBABILITY_PREFIX}{lab}" for lab in labels] + ["uncertain"] if labels else [])
    types = dict(PARAGRAPHS.types) | ({"uncertain": "bool"} if labels else {}) | {f"{PROBABILITY_PREFIX}{lab}": "float" for lab in labels or []}
    return cols, types


def columns(name: str) -> list[str]:
    """The contract columns of table ``name`` (a list, to extend)."""
    return list(TABLES[name].columns)
