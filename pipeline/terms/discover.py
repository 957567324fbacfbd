"""Discover candidate new formulations in a corpus: composes the scans, PMI, exclusions and
ranking of the ``discover_*`` modules. No file I/O.

Discovery works on the whole corpus joined into one string (paragraphs separated by "\n",
which no candidate contains) and on its code points as a numpy array: the numbered patterns and
quotations, the n-gram statistics and every occurrence count come from array operations, and
Python loops run over candidates, never over characters.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Iterable, Sequence

from pipeline.terms.discover_corpus import DiscoveryCorpus
from pipeline.terms.discover_pmi import pmi_candidates
from pipeline.terms.discover_rank import COLUMNS, exclude, rank
from pipeline.terms.discover_rules import FUNCTION_EDGE, METHOD_ORDER
from pipeline.terms.discover_scan import scan
from pipeline.terms.discover_wordfreq import default_word_freq

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

    from pipeline.lexicon import Lexicon


def discover_candidates(
    docs: Iterable[tuple[str, "int | None", Sequence[str]]],
    lexicon: "Lexicon",
    *,
    top: int = 300,
    stopwords: Iterable[str] = (),
    max_chars: int = 5_000_000,
    max_n: int = 6,
    min_count: int | None = None,
    word_freq: "dict[str, int] | None" = None,
    ordinary_freq: int = 100,
    methods: Sequence[str] = METHOD_ORDER,
) -> "pd.DataFrame":
    """Candidate new formulations, best first: columns ``term, method, score, doc_freq, years,
    example, variant_of`` (pipeline.schema.CANDIDATES).

    ``docs`` yields ``(doc_id, year, paragraph_texts)``. Methods:

    * ``pattern`` -- numbered abbreviations written as a unit between punctuation/quotes:
      数词+语素 (五感), 数词+量词+语素 (三个更加突出, 五大质量提升), 数词+语素+数词+语素
      (两服务一改进, 三级联述联评联考) and 、-series of them (一题一写、一人一讲). Ordinals (一是),
      quantities (两年, 三次), congress/plan names (十九大, 十三五) and ordinary dictionary words
      (jieba frequency >= ``ordinary_freq``: 一线, 一起) are dropped.
    * ``quoted`` -- spans of 2..12 characters in “…” 「…」 『…』 that recur (>= 2 occurrences or
      >= 2 documents).
    * ``pmi`` -- statistical new words of 2..``max_n`` Han characters (never across punctuation):
      minimum PMI over split points >= 3 and left/right branching entropy >= 1.2, counted on at
      most ``max_chars`` characters (every k-th paragraph when the corpus is larger).

    Anything in the lexicon, containing a lexicon form or contained in one (compared after
    folding and quote removal) is excluded, as are dates, numbers, stopwords and fragments
    that begin or end with a function character (的/和/是/了/在...).

    Ranking: tier (pattern+quoted, then quoted, then pattern, then pmi), then ``doc_freq``,
    then ``score``, then the term. ``doc_freq``/``years``/``example`` come from all occurrences of
    the candidates in all paragraphs, counted leftmost-longest among the candidates (``years`` =
    sorted distinct years joined by ``|``; ``example`` = the first occurrence in input order).
    """
    import pandas as pd

    stop = frozenset(stopwords)
    corpus = DiscoveryCorpus(docs)
    if not corpus.paras:
        return pd.DataFrame(columns=COLUMNS)
    found, quoted_count = scan(corpus, methods)
    pmi_scores: dict[str, float] = {}
    if "pmi" in methods:  # on a sample: every k-th paragraph
        step = max(1, math.ceil(corpus.n_chars / max_chars))
        pmi_scores = pmi_candidates(
            "\n".join(corpus.paras[::step]), max_n=max_n, min_count=min_count, min_pmi=3.0, min_entropy=1.2, limit=max(top * 4, 500)
        )
        for gram in pmi_scores:
            if gram[0] in FUNCTION_EDGE or gram[-1] in FUNCTION_EDGE:
                continue
            found.setdefault(gram, set()).add("pmi")
    if word_freq is None:
        word_freq = default_word_freq(ordinary_freq)
    kept = exclude(found, quoted_count, lexicon, stop, word_freq, ordinary_freq)
    if not kept:
        return pd.DataFrame(columns=COLUMNS)
    return rank(corpus, kept, quoted_count, pmi_scores, top)
