"""Simple reference implementations (regexes, Counters, pyahocorasick) that the array-based
discovery of pipeline.terms is compared with, and the characters the discovery tests draw from.
Imported by the tests/terms/test_terms_discover*.py modules (not a test module itself)."""

from __future__ import annotations

import math
import re
from collections import Counter, defaultdict

import pandas as pd

from pipeline.automaton import leftmost_longest
from pipeline.automaton import make_automaton as _make_automaton
from pipeline.lexicon import Entry
from pipeline.terms.discover_rules import HAN_CLASS, METHOD_ORDER, NUMERALS
from pipeline.terms.discover_scan import _NUMBERED_RUN, _QUOTED, _SERIES

#: the regexes the scans replace
HAN_RUN = re.compile(f"[{HAN_CLASS}]+")
SERIES = re.compile(f"(?<![{HAN_CLASS}、])([{NUMERALS}][{HAN_CLASS}]{{1,5}}(?:、[{NUMERALS}][{HAN_CLASS}]{{1,5}})+)(?![{HAN_CLASS}、])")
QUOTED = re.compile(r"[“「『]([^“”「」『』\n]{2,12})[”」』]")


def reference_scan(paragraphs):
    """The module's regexes, per paragraph (and the regexes of the first implementation)."""
    runs, series, quoted = Counter(), Counter(), Counter()
    for text in paragraphs:
        runs.update(r for r in _NUMBERED_RUN.findall(text) if 2 <= len(r) <= 8)
        series.update(_SERIES.findall(text))
        quoted.update(m.group(1) for m in _QUOTED.finditer(text))
        assert [r for r in HAN_RUN.findall(text) if r[0] in NUMERALS] == _NUMBERED_RUN.findall(text)
        assert SERIES.findall(text) == _SERIES.findall(text)
    return runs, series, quoted


def reference_pmi(runs, max_n, min_count, min_pmi=3.0, min_entropy=1.2):
    """Counter-based n-gram statistics: word -> unrounded score (no limit)."""
    counts = {n: Counter() for n in range(1, max_n + 1)}
    left, right = defaultdict(Counter), defaultdict(Counter)
    for r, run in enumerate(runs):
        for n in range(1, max_n + 1):
            for i in range(len(run) - n + 1):
                gram = run[i : i + n]
                counts[n][gram] += 1
                if n > 1:  # a run boundary is a distinct neighbour each time
                    left[gram][run[i - 1] if i else ("^", r, i)] += 1
                    right[gram][run[i + n] if i + n < len(run) else ("$", r, i)] += 1
    total = sum(counts[1].values())
    out = {}
    for n in range(2, max_n + 1):
        for gram, c in counts[n].items():
            if c < min_count:
                continue
            pmi = min(math.log(c * total / (counts[k][gram[:k]] * counts[n - k][gram[k:]])) for k in range(1, n))
            if pmi < min_pmi:
                continue
            h = min(-sum(v / c * math.log(v / c) for v in side[gram].values()) for side in (left, right))
            if h >= min_entropy:
                out[gram] = pmi * h * math.log1p(c) / 10
    return out


def entry(term, *aliases):
    return Entry(term, tuple(aliases), "组织", None, "national", "", 0)


# --------------------------------------------------------------------------- text strategies
# characters that matter to the scans: numerals, other Han, 、 and the separators it is folded
# from, quotation marks, sentence punctuation, ASCII, a non-BMP character and a CJK one outside
# HAN_CLASS
ALPHABET = list(NUMERALS[:6]) + list("个项大级服务改进党课学习讲写题人的是") + list("、，,“”「」『』‘’。；：！ a1") + ["𠀀", "〇"]


def reference_discover(docs, lexicon, *, top=300, stopwords=(), max_chars=5_000_000, max_n=6, word_freq, ordinary_freq=100, methods=METHOD_ORDER):
    """The straightforward per-paragraph implementation (regexes, Counters, pyahocorasick) that
    :func:`discover_candidates` replaced; same rules, same output."""
    from pipeline.terms.discover_rules import (
        CANDIDATE_COLUMNS,
        FUNCTION_EDGE,
        FUNCTION_END,
        REPEATED_NUMERAL,
        is_junk,
        make_example,
        pattern_score,
        swallows,
    )
    from pipeline.terms.folding import match_key

    stop = frozenset(stopwords)
    docs = [(str(d), y, [p for p in paras if isinstance(p, str) and p]) for d, y, paras in docs]
    total_chars = sum(len(p) for _, _, paras in docs for p in paras)
    found = defaultdict(set)
    quoted_count, quoted_docs = Counter(), defaultdict(set)
    for doc_id, _, paras in docs:
        for text in paras:
            if "pattern" in methods:
                for run in HAN_RUN.findall(text):
                    if run[0] in NUMERALS and pattern_score(run) is not None:
                        found[run].add("pattern")
                for m in SERIES.finditer(text):
                    if pattern_score(m.group(1)) is not None:
                        found[m.group(1)].add("pattern")
            for m in QUOTED.finditer(text):
                span = m.group(1).strip()
                quoted_count[span] += 1
                quoted_docs[span].add(doc_id)
    for span, c in quoted_count.items():
        if ("quoted" in methods and (c >= 2 or len(quoted_docs[span]) >= 2)) or span in found:
            found[span].add("quoted")
    pmi_scores = {}
    if "pmi" in methods and total_chars:
        step = max(1, math.ceil(total_chars / max_chars))
        runs = [r for p in [p for _, _, paras in docs for p in paras][::step] for r in HAN_RUN.findall(p)]
        mc = max(3, min(10, sum(map(len, runs)) // 100_000))
        scores = {g: round(s, 4) for g, s in reference_pmi(runs, max_n, mc).items()}
        # ties: shorter first, then first occurrence in the sample
        joined = "\n".join(runs)
        best = sorted(scores, key=lambda g: (-scores[g], len(g), joined.find(g)))[: max(top * 4, 500)]
        pmi_scores = {g: scores[g] for g in best}
        for gram in pmi_scores:
            if gram[0] not in FUNCTION_EDGE and gram[-1] not in FUNCTION_EDGE:
                found[gram].add("pmi")
    forms = [f for f in (match_key(f) for f in lexicon.surface_forms()) if f]
    joined = "\n".join(forms + [f.replace("、", "") for f in forms])
    kept = {}
    for cand, how in found.items():
        key = match_key(cand)
        if is_junk(key, stop) or key in joined or any(swallows(key, f) for f in forms):
            continue
        if quoted_count[cand] < 2:
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
        if how == {"pmi"} and (key[-1] in FUNCTION_END or key[0] in FUNCTION_EDGE):
            continue
        kept[cand] = how
    if not kept:
        return pd.DataFrame(columns=CANDIDATE_COLUMNS)
    automaton = _make_automaton({c: c for c in kept})
    count, doc_sets, year_sets, example = Counter(), defaultdict(set), defaultdict(set), {}
    for doc_id, year, paras in docs:
        for text in paras:
            for start, end, cand in leftmost_longest(automaton, text):
                count[cand] += 1
                doc_sets[cand].add(doc_id)
                if year not in (None, "") and not (isinstance(year, float) and math.isnan(year)):
                    year_sets[cand].add(int(year))
                example.setdefault(cand, make_example(text, start, end))
    rows = []
    for cand, how in kept.items():
        if not count[cand] or (how == {"pmi"} and count[cand] < 2):
            continue
        score = (pattern_score(cand) or 0.0) if "pattern" in how else 0.0
        if "quoted" in how:
            score += 1.0 + math.log1p(quoted_count[cand])
        if "pmi" in how:
            score += pmi_scores.get(cand, 0.0)
        score += math.log1p(count[cand])
        tier = 0 if {"pattern", "quoted"} <= how else 1 if "quoted" in how else 2 if "pattern" in how else 3
        rows.append(
            (
                tier,
                -len(doc_sets[cand]),
                -score,
                cand,
                "+".join(m for m in METHOD_ORDER if m in how),
                round(score, 3),
                len(doc_sets[cand]),
                "|".join(map(str, sorted(year_sets[cand]))),
                example[cand],
            )
        )
    rows.sort()
    return pd.DataFrame([r[3:] for r in rows[:top]], columns=CANDIDATE_COLUMNS)
