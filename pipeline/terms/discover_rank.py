"""The exclusions (lexicon overlaps, junk, ordinary words) and the ranking of the candidates.

Statistical candidates (PMI alone) are judged by :mod:`pipeline.terms.discover_filter` only as
far down the ranking as the ``top`` rows reach (names, places, organisations and stock phrases
are left out; the tagger loads only then), and every row kept gets ``variant_of``: the lexicon
term it is a one-character variant of (near-synonym characters, much rarer in the corpus than
the entry: :func:`~pipeline.terms.discover_filter.variants_of`), or ''."""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from typing import TYPE_CHECKING

from pipeline import schema
from pipeline.automaton import make_automaton
from pipeline.terms.discover_corpus import DiscoveryCorpus
from pipeline.terms.discover_filter import statistical_rejects, variants_of
from pipeline.terms.discover_rules import (
    FUNCTION_EDGE,
    FUNCTION_END,
    METHOD_ORDER,
    REPEATED_NUMERAL,
    is_junk,
    make_example,
    pattern_score,
    swallows,
)
from pipeline.terms.discover_trie import Trie, leftmost_longest_hits
from pipeline.terms.folding import KEY_TABLE, match_key
from pipeline.terms.simplify import simplified

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

    from pipeline.lexicon import Lexicon


#: candidates.csv's columns (pipeline.schema.CANDIDATES): the six of OUTPUTS.md, then the lexicon
#: term a candidate is a variant of
COLUMNS = schema.columns("candidates")
STATISTICAL_TIER = 3  # PMI alone: ranked last


class Kept(dict):
    """What :func:`exclude` returns: candidate -> methods, and the ``lexicon`` they were checked
    against (for :func:`rank` to mark the variants among the rows it keeps)."""

    def __init__(self, items=(), lexicon: "Lexicon | None" = None):
        super().__init__(items)
        self.lexicon = lexicon


def exclude(
    found: dict[str, set[str]], quoted_count: Counter, lexicon: "Lexicon", stop: frozenset[str], word_freq: "dict[str, int]", ordinary_freq: int
) -> Kept:
    """The candidates that survive the exclusions of :func:`discover_candidates`."""
    forms = [simplified(match_key(f)) for f in lexicon.surface_forms()]  # candidates come from the simplified view
    forms = list(dict.fromkeys(f for f in forms if f))
    keys: dict[str, str] = {}
    for cand, how in found.items():
        key = cand.translate(KEY_TABLE)  # match_key(cand)
        if is_junk(key, stop) or key in stop:
            continue
        if how == {"pmi"} and (key[-1] in FUNCTION_END or key[0] in FUNCTION_EDGE):
            continue
        if quoted_count[cand] < 2:  # ordinary words: 一线, 三级; 一起部署, 五一劳动奖
            if word_freq.get(cand, 0) >= ordinary_freq:
                continue
            if (
                "pattern" in how
                and not REPEATED_NUMERAL.match(cand)
                and len(cand) > 2
                and cand[1] not in "个项条种大类型级"
                and word_freq.get(cand[:2], 0) >= 10 * ordinary_freq
            ):
                continue
        keys[cand] = key
    lexical = _lexicon_overlaps(list(keys.values()), forms) if keys and forms else set()
    return Kept({cand: found[cand] for cand, key in keys.items() if key not in lexical}, lexicon)


def rank(corpus: DiscoveryCorpus, kept: dict[str, set[str]], quoted_count: Counter, pmi_scores: dict[str, float], top: int) -> "pd.DataFrame":
    """Occurrences of the kept candidates (leftmost-longest among them over all text), scores,
    ranking; years, example and ``variant_of`` (of ``kept.lexicon`` when ``kept`` is what
    :func:`exclude` returned) for the ``top`` rows."""
    import numpy as np
    import pandas as pd

    names = list(kept)
    starts, lens, which = Trie(names).find(corpus.cp)
    sel = leftmost_longest_hits(starts, lens, which)
    starts, which = starts[sel], which[sel]
    entry = corpus.entries(starts)
    k = len(names)
    count = np.bincount(which, minlength=k).tolist()
    n_docs = corpus.n_docs
    doc_freq = np.bincount(np.unique(which * n_docs + corpus.entry_doc[entry]) // n_docs, minlength=k).tolist()
    first_hit = np.full(k, -1, dtype=np.int64)
    seen, at = np.unique(which, return_index=True)  # hits are in text order: the first is the leftmost
    first_hit[seen] = at

    rows = []
    for i, (cand, how) in enumerate(kept.items()):
        c = count[i]
        if not c or (how == {"pmi"} and c < 2):
            continue
        score = 0.0
        if "pattern" in how:
            score += pattern_score(cand) or 0.0
        if "quoted" in how:
            score += 1.0 + math.log1p(quoted_count[cand])
        if "pmi" in how:
            score += pmi_scores.get(cand, 0.0)
        score += math.log1p(c)
        tier = 0 if {"pattern", "quoted"} <= how else 1 if "quoted" in how else 2 if "pattern" in how else 3
        rows.append((tier, -doc_freq[i], -score, cand, i))
    rows.sort()
    rows = top_rows(rows, top)
    if not rows:
        return pd.DataFrame(columns=COLUMNS)

    # years and example only for the rows kept
    wanted = np.zeros(k, dtype=bool)
    wanted[[r[4] for r in rows]] = True
    mask = wanted[which]
    hit_year = corpus.entry_year[entry[mask]]
    dated = hit_year >= 0
    years_of: dict[int, list[int]] = defaultdict(list)
    if dated.any():
        base = int(hit_year.max()) + 1
        for code in np.unique(which[mask][dated] * base + hit_year[dated]).tolist():
            years_of[code // base].append(code % base)
    out = []
    for _, neg_df, neg_score, cand, i in rows:
        text, local = corpus.paragraph(int(starts[first_hit[i]]))
        method = "+".join(m for m in METHOD_ORDER if m in kept[cand])
        out.append(
            (cand, method, round(-neg_score, 3), -neg_df, "|".join(map(str, years_of.get(i, []))), make_example(text, local, local + len(cand)))
        )
    lexicon = getattr(kept, "lexicon", None)
    variants = variants_of([row[0] for row in out], lexicon, count=corpus.text.count) if lexicon is not None else [""] * len(out)
    return pd.DataFrame([(*row, v) for row, v in zip(out, variants)], columns=COLUMNS)


def top_rows(rows: list[tuple], top: int) -> list[tuple]:
    """The first ``top`` of the sorted ``rows`` (``(tier, ..., candidate, ...)``), leaving out the
    statistical ones (tier 3, last) that :func:`statistical_rejects` rejects -- judged in batches,
    only as many as it takes to fill ``top``."""
    head = [r for r in rows if r[0] < STATISTICAL_TIER][:top]
    if len(head) >= top:
        return head
    stat = rows[len([r for r in rows if r[0] < STATISTICAL_TIER]) :]
    out, at = head, 0
    while len(out) < top and at < len(stat):
        batch = stat[at : at + 2 * (top - len(out)) + 20]
        at += len(batch)
        rejected = statistical_rejects(r[3] for r in batch)
        out += [r for r in batch if r[3] not in rejected][: top - len(out)]
    return out


def _lexicon_overlaps(keys: list[str], forms: list[str]) -> set[str]:
    """The keys that are a lexicon form, lie inside one, or contain one (also with their 、 left
    out) other than as the base of a numbered coinage (:func:`swallows`)."""
    import bisect

    out: set[str] = set()
    # inside a form (or equal): binary search among the forms' suffixes
    bare_forms = [f.replace("、", "") for f in forms]
    longest = max(map(len, keys))
    suffixes = sorted({f[i : i + longest] for f in forms + bare_forms for i in range(len(f))})
    for key in keys:
        j = bisect.bisect_left(suffixes, key)
        if j < len(suffixes) and suffixes[j].startswith(key):
            out.add(key)
    # containing a form: one Aho-Corasick pass of the forms over all keys (and their bare variants)
    texts = list(dict.fromkeys(keys + [key.replace("、", "") for key in keys]))
    owners: dict[str, list[str]] = defaultdict(list)
    for key in keys:
        owners[key].append(key)
        bare = key.replace("、", "")
        if bare != key:
            owners[bare].append(key)
    starts, at = [], 0
    for text in texts:
        starts.append(at)
        at += len(text) + 1
    automaton = make_automaton({form: i for i, form in enumerate(forms)})
    pairs = set()
    for end, (length, i) in automaton.iter("\n".join(texts)):
        text = texts[bisect.bisect_right(starts, end) - 1]
        for key in owners[text]:
            pairs.add((key, i))
    for key, i in sorted(pairs):
        if key not in out and swallows(key, forms[i]):
            out.add(key)
    return out
