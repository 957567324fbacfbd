"""The terms stage: count lexicon formulations in texts, show them in context, discover new ones.

Data flow, one job per module (nothing heavy is imported until a name is used):

* ``folding``      -- 1:1 folding, quote stripping, match keys
* ``simplify``     -- the simplified view (traditional -> simplified, one character for one)
* ``match``        -- :class:`TermMatcher` (leftmost-longest), :class:`Match`, :func:`count_document`
* ``concordance``  -- :func:`kwic`
* ``query``        -- :class:`TermQuery`: what an analyst asks for (a formulation, a literal
  string, ``两个*``, ``re:…``), counted on paragraphs, with suggestions when found nowhere
* ``discover``     -- :func:`discover_candidates`, composing ``discover_corpus`` (the corpus as
  one array), ``discover_scan`` (numbered patterns, quotations), ``discover_pmi`` (statistical
  new words), ``discover_wordfreq`` (jieba's dictionary), ``discover_rank`` (exclusions,
  ranking; occurrences found by ``discover_trie``) and ``discover_rules`` (string rules)
* ``nlp``          -- a spaCy ``Language`` on our segmenter (spaCy imported on use)
"""

from __future__ import annotations

import importlib

#: public name -> submodule that holds it
_EXPORTS: dict[str, str] = {
    "MAX_SPELLINGS": "folding",
    "QUOTES": "folding",
    "SEPARATORS_IN_TERMS": "folding",
    "fold": "folding",
    "match_key": "folding",
    "has_traditional": "simplify",
    "simplified": "simplify",
    "traditional_chars": "simplify",
    "Match": "match",
    "TermMatcher": "match",
    "count_document": "match",
    "kwic": "concordance",
    "TermQuery": "query",
    "parse_queries": "query",
    "suggest": "query",
    "CANDIDATE_COLUMNS": "discover_rules",
    "HAN_CLASS": "discover_rules",
    "METHOD_ORDER": "discover_rules",
    "NUMERALS": "discover_rules",
    "discover_candidates": "discover",
    "COMPONENT": "nlp",
    "SPANS_KEY": "nlp",
    "FormulationSpans": "nlp",
    "SegmenterTokenizer": "nlp",
    "make_nlp": "nlp",
}
_SUBMODULES = frozenset(_EXPORTS.values()) | {
    "discover_corpus",
    "discover_pmi",
    "discover_rank",
    "discover_scan",
    "discover_trie",
    "discover_wordfreq",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str):
    module = _EXPORTS.get(name)
    if module is not None:
        return getattr(importlib.import_module(f"{__name__}.{module}"), name)
    if name in _SUBMODULES:  # ``pipeline.terms.match`` before anything imported it
        return importlib.import_module(f"{__name__}.{name}")
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_EXPORTS) | _SUBMODULES)
