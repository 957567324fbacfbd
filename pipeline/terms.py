"""Match and count formulations; discover new candidates; concordance (kwic). No file I/O.

Matching rules (:class:`TermMatcher`)
-------------------------------------
* Every term and alias of the lexicon is a key of one Aho-Corasick automaton (pyahocorasick,
  built on first use). Matches are **leftmost-longest and non-overlapping**: at each position
  the longest key wins, and the scan resumes after it. An alias is reported under its
  canonical term.
* Text and keys are *folded* with a 1:1 character mapping, so offsets on the folded text are
  offsets on the original: full-width ASCII (U+FF01..U+FF5E) -> ASCII, ideographic space ->
  space, and the list separators ``，`` ``,`` -> ``、``.
* Quote marks ``“”‘’"'「」『』`` are removed from text and keys before matching (an offset map
  leads back to the original), so ``两个“维护”`` counts as 两个维护.
* Separator-insensitive terms: a key with an internal ``、`` (after folding ``，`` and ``,``)
  also matches with the separator left out. So the lexicon writes ``不忘初心、牢记使命`` once and
  ``不忘初心，牢记使命`` / ``不忘初心,牢记使命`` / ``不忘初心牢记使命`` all count under it. We chose
  this over asking analysts to list every variant as an alias: the three spellings are one
  formulation in every source we read, and the rule is applied to every such term uniformly.

Every :class:`Match` satisfies ``match_key(text[m.start:m.end]) == match_key(m.surface)``;
``m.surface`` is the lexicon form (or its separator-less variant) that matched.
"""

from __future__ import annotations

import bisect
import math
import re
from collections import Counter, defaultdict
from dataclasses import dataclass
from typing import TYPE_CHECKING, Iterable, Iterator, Sequence

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

    from pipeline.lexicon import Lexicon

QUOTES = "“”‘’\"'「」『』"
SEPARATORS_IN_TERMS = "、"  # after folding ，and , to 、

_FOLD_TABLE: dict[int, int] = {cp: cp - 0xFEE0 for cp in range(0xFF01, 0xFF5F)}
_FOLD_TABLE[0x3000] = 0x20
_FOLD_TABLE[0xFF0C] = ord("、")  # ，
_FOLD_TABLE[ord(",")] = ord("、")
_QUOTE_RE = re.compile("[" + re.escape(QUOTES) + "]")
_QUOTE_DEL = dict.fromkeys(map(ord, QUOTES))


def fold(text: str) -> str:
    """The 1:1 character folding used for matching (``len(fold(t)) == len(t)``)."""
    return text.translate(_FOLD_TABLE)


_PREIMAGES: dict[str, str] = {}
for _cp, _to in _FOLD_TABLE.items():
    _PREIMAGES.setdefault(chr(_to), chr(_to))
    _PREIMAGES[chr(_to)] += chr(_cp)
MAX_SPELLINGS = 729


def _unfold(key: str) -> list[str]:
    """Every string that folds to ``key`` (``、`` -> 、，, ; ``A`` -> A Ａ; space -> space, U+3000).
    Beyond MAX_SPELLINGS combinations, only the uniform spellings (all half-width / all full-width
    / one separator throughout) are kept."""
    choices = [_PREIMAGES.get(ch, ch) for ch in key]
    total = 1
    for c in choices:
        total *= len(c)
    if total <= MAX_SPELLINGS:
        import itertools

        return ["".join(p) for p in itertools.product(*choices)]
    width = max(len(c) for c in choices)
    return list({"".join(c[min(i, len(c) - 1)] for c in choices) for i in range(width)})


def match_key(text: str) -> str:
    """What matching compares: folded text without quote marks."""
    return fold(text).translate(_QUOTE_DEL)


@dataclass(frozen=True)
class Match:
    """A formulation found in a text: canonical ``term``, the lexicon ``surface`` form that
    matched, and character offsets ``[start, end)`` into the original text."""

    term: str
    surface: str
    start: int
    end: int


def leftmost_longest(automaton, text: str) -> list[tuple[int, int, object]]:
    """Non-overlapping (start, end, value) matches of a pyahocorasick automaton whose values
    are ``(key_length, payload)``: the leftmost match wins, the longest one at that start."""
    best: dict[int, tuple[int, object]] = {}
    for end_index, (length, payload) in automaton.iter(text):
        start = end_index - length + 1
        current = best.get(start)
        if current is None or length > current[0]:
            best[start] = (length, payload)
    out = []
    pos = 0
    for start in sorted(best):
        if start >= pos:
            length, payload = best[start]
            out.append((start, start + length, payload))
            pos = start + length
    return out


def _make_automaton(keys: dict[str, object]):
    import ahocorasick

    automaton = ahocorasick.Automaton()
    for key, payload in keys.items():
        automaton.add_word(key, (len(key), payload))
    automaton.make_automaton()
    return automaton


class TermMatcher:
    """Leftmost-longest formulation matcher over a :class:`~pipeline.lexicon.Lexicon`.

    Construction is cheap; the automaton is built on the first call to :meth:`finditer`.
    """

    def __init__(self, lexicon: "Lexicon"):
        self.lexicon = lexicon
        self._automaton = None
        self._empty = False

    def keys(self) -> dict[str, tuple[str, str]]:
        """match key -> (canonical term, surface form reported)."""
        keys: dict[str, tuple[str, str]] = {}
        variants: dict[str, tuple[str, str]] = {}
        for surface, term in self.lexicon.surface_forms().items():
            key = match_key(surface)
            if not key.strip():
                continue
            keys.setdefault(key, (term, surface))
            if SEPARATORS_IN_TERMS in key.strip(SEPARATORS_IN_TERMS):
                bare = key.replace(SEPARATORS_IN_TERMS, "")
                variants.setdefault(bare, (term, surface.translate(dict.fromkeys(map(ord, "、，,")))))
        for key, value in variants.items():
            keys.setdefault(key, value)  # an explicit lexicon form always wins
        return keys

    def initialize(self) -> "TermMatcher":
        if self._automaton is None and not self._empty:
            keys = {variant: payload for key, payload in self.keys().items() for variant in _unfold(key)}
            if keys:
                self._automaton = _make_automaton(keys)
            else:
                self._empty = True
        return self

    def _raw(self, text: str):
        """(start, end, (term, surface)) in original offsets, leftmost-longest.

        Folding is compiled into the automaton (every key is added in all spellings that fold
        to it, see :func:`_unfold`), so the text itself is never translated; quote marks are
        removed with an offset map only from texts that contain one."""
        if not text or not isinstance(text, str):
            return []
        self.initialize()
        if self._automaton is None:
            return []
        if _QUOTE_RE.search(text) is None:
            return leftmost_longest(self._automaton, text)
        removed = [m.start() for m in _QUOTE_RE.finditer(text)]
        stripped = _QUOTE_RE.sub("", text)
        # stripped index k -> original index k + #removed characters before it
        shifted = [pos - i for i, pos in enumerate(removed)]
        out = []
        for start, end, payload in leftmost_longest(self._automaton, stripped):
            start = start + bisect.bisect_right(shifted, start)
            last = end - 1
            out.append((start, last + bisect.bisect_right(shifted, last) + 1, payload))
        return out

    def finditer(self, text: str) -> Iterator[Match]:
        """Matches in ``text`` in order, non-overlapping, leftmost-longest."""
        for start, end, (term, surface) in self._raw(text):
            yield Match(term, surface, start, end)

    def findall(self, text: str) -> list[Match]:
        return list(self.finditer(text))

    def count(self, text: str) -> Counter:
        """Counter of canonical term -> occurrences in ``text`` (empty for empty text)."""
        return Counter([payload[0] for _, _, payload in self._raw(text)])


def count_document(paragraph_texts: Iterable[str], *, matcher: TermMatcher | None = None) -> Counter:
    """Sum of :meth:`TermMatcher.count` over a document's paragraphs (default lexicon if no
    matcher is given). Non-string paragraphs (NaN from a CSV) count as empty."""
    if matcher is None:
        from pipeline.lexicon import load_lexicon

        matcher = TermMatcher(load_lexicon())
    total: Counter = Counter()
    for text in paragraph_texts:
        if isinstance(text, str) and text:
            total.update(matcher.count(text))
    return total


# --------------------------------------------------------------------------- concordance
def kwic(
    paragraphs: "pd.DataFrame",
    documents: "pd.DataFrame",
    term: str,
    *,
    window: int = 20,
    lexicon: "Lexicon | None" = None,
) -> "pd.DataFrame":
    """Keyword in context, like quanteda's ``kwic``: one row per occurrence of ``term``.

    When ``lexicon`` knows ``term`` (as a term or an alias), every surface form of that entry
    matches (with the folding and quote rules of :class:`TermMatcher`), even where it sits
    inside a longer formulation; otherwise ``term`` is matched literally (same rules).
    Columns: ``doc_id, year, title, left, match, right, para_id`` (``match`` is the original
    text, ``left``/``right`` at most ``window`` characters of the same paragraph).
    """
    import pandas as pd

    from pipeline.lexicon import Entry, Lexicon

    columns = ["doc_id", "year", "title", "left", "match", "right", "para_id"]
    term = (term or "").strip()
    entry = lexicon.by_term(term) if lexicon is not None else None
    if entry is None:
        entry = Entry(term, (), "综合", None, "local", "", 0)
    matcher = TermMatcher(Lexicon([entry]))
    docs = documents.drop_duplicates("doc_id").set_index(documents.drop_duplicates("doc_id")["doc_id"].astype(str)) \
        if documents is not None and "doc_id" in documents else None
    rows = []
    if term and paragraphs is not None and len(paragraphs):
        texts = paragraphs["text"].tolist()
        doc_ids = paragraphs["doc_id"].astype(str).tolist()
        para_ids = paragraphs["para_id"].tolist() if "para_id" in paragraphs else list(range(len(texts)))
        for text, doc_id, para_id in zip(texts, doc_ids, para_ids):
            if not isinstance(text, str) or not text:
                continue
            for m in matcher.finditer(text):
                left = text[max(0, m.start - window): m.start]
                right = text[m.end: m.end + window]
                rows.append([doc_id, None, "", " ".join(left.split()), text[m.start:m.end], " ".join(right.split()), para_id])
    out = pd.DataFrame(rows, columns=columns)
    if docs is not None and len(out):
        if "year" in docs:
            years = pd.to_numeric(docs["year"], errors="coerce")
            out["year"] = out["doc_id"].map(years).astype("Int64")
        if "title" in docs:
            out["title"] = out["doc_id"].map(docs["title"]).fillna("").astype(str)
    else:
        out["year"] = out["year"].astype("Int64")
    return out


# --------------------------------------------------------------------------- discovery
HAN_CLASS = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
NUMERALS = "一二两三四五六七八九十百千双"
_HAN_RUN = re.compile(f"[{HAN_CLASS}]+")
_OPEN_QUOTES, _CLOSE_QUOTES = "“「『", "”」』"
_QUOTED = re.compile(r"[“「『]([^“”「」『』\n]{2,12})[”」』]")
#: a run of numbered abbreviations joined by 、 such as 一题一写、一人一讲 (each item 2..6 chars)
_SERIES = re.compile(f"(?<![{HAN_CLASS}、])([{NUMERALS}][{HAN_CLASS}]{{1,5}}(?:、[{NUMERALS}][{HAN_CLASS}]{{1,5}})+)(?![{HAN_CLASS}、])")
_ORDINAL = re.compile(f"^[{NUMERALS}](是|要|则|来|方面|层次|阶段|部分|季度|批次)")
#: numeral + unit of time / quantity: 两年, 三次, 五名, 十余, 一百, 一半
_QUANTITY = re.compile(f"^[{NUMERALS}]+(年|月|日|天|周|次|名|人|家|份|篇|届|批|位|万|亿|余|多|点|时|分|秒|岁|倍|成|半|处|所|只|轮|场|期|节|堂|门|本|页|号|楼|层|组)")
_CONGRESS = re.compile(f"^(十[{NUMERALS}]?[大届]|[十]?[一二三四五六七八九]五$|[一二三四五六七八九十]+中全会)")
#: dates written as numerals (八一 Army Day, 七一, 五四), school names (一中, 二小) and honour titles
#: (十佳, 百佳): numbered, but not abbreviations of a policy
_NAMES = re.compile(f"^(八一|七一|五一|五四|六一|十一|[{NUMERALS}]{{1,2}}[中小](?![{NUMERALS}])|十佳|百佳|百强)")
_ONLY_NUMERALS = re.compile(f"^[{NUMERALS}〇零0-9０-９.．%]+$")
_DATE = re.compile(r"(\d|[〇零一二三四五六七八九十]{2,})(年|月|日|号)")
_REPEATED_NUMERAL = re.compile(f"^[{NUMERALS}][{HAN_CLASS}]{{1,3}}[{NUMERALS}][{HAN_CLASS}]{{1,3}}")
_FUNCTION_EDGE = set("的和是了在与及或等之而也就都把被对从向为于将并且其这那个着过吗呢吧啊")
_FUNCTION_END = set("的了和与及或等之着过吗呢吧啊")
_SENTENCE_PUNCT = set("。！？；：!?;:\n")
METHOD_ORDER = ("pattern", "quoted", "pmi")
CANDIDATE_COLUMNS = ["term", "method", "score", "doc_freq", "years", "example"]


def _pattern_score(term: str) -> float | None:
    """Structure score of a numbered abbreviation (None when it is not one)."""
    items = term.split("、")
    if any(not it or it[0] not in NUMERALS for it in items):
        return None
    first = items[0]
    if not 2 <= len(first) <= 8 or len(term) > 20:
        return None
    if _ORDINAL.match(first) or _CONGRESS.match(first) or _ONLY_NUMERALS.match(first) or _NAMES.match(first):
        return None
    if _QUANTITY.match(first) and not _REPEATED_NUMERAL.match(first):
        return None
    if first[-1] in _FUNCTION_END or "的" in term:
        return None
    score = 1.0
    if len(items) > 1:
        score = 3.0  # 一题一写、一人一讲
    elif _REPEATED_NUMERAL.match(first):
        score = 2.5  # 两服务一改进, 一支部一清单
    elif len(first) >= 3 and first[1] in "个项条种大类型级":
        score = 2.0  # 三个更加突出, 五大质量提升, 三级联述联评联考
    elif len(first) == 2:
        score = 1.5  # 五感, 三严
    return score


def _is_junk(term: str, stopwords: frozenset[str]) -> bool:
    if len(term) < 2 or term in stopwords:
        return True
    if _ONLY_NUMERALS.match(term) or _DATE.search(term):
        return True
    if any(ch in _SENTENCE_PUNCT for ch in term):
        return True
    if not any("\u3400" <= ch <= "\u9fff" or "\uf900" <= ch <= "\ufaff" for ch in term):
        return True
    return False


def _swallows(candidate: str, form: str) -> bool:
    """True when ``candidate`` contains lexicon ``form`` and is not a numbered coinage built on
    it (五型党课 is new although 党课 is known; 四强党支部创建 is just 四强 in context)."""
    for cand in {candidate, candidate.replace("、", "")}:
        if form in cand:
            rest = cand.replace(form, "", 1)
            if not (rest and rest[0] in NUMERALS and cand.startswith(rest)):
                return True
    return False


def _example(text: str, start: int, end: int, width: int = 40) -> str:
    side = max(4, (width - (end - start)) // 2)
    left, right = text[max(0, start - side): start], text[end: end + side]
    return " ".join(f"{left}{text[start:end]}{right}".split())


def _ngram_stats(runs: list[str], max_n: int, min_count: int) -> dict[int, Counter]:
    """Counts of Han n-grams (1..max_n) that occur at least ``min_count`` times, Apriori-style:
    an n-gram is counted only if both its (n-1)-gram prefix and suffix are frequent, so memory
    stays bounded by the frequent n-grams rather than by all n-grams of the text."""
    counts: dict[int, Counter] = {1: Counter()}
    for run in runs:
        counts[1].update(run)
    for n in range(2, max_n + 1):
        prev = counts[n - 1]
        frequent = {g for g, c in prev.items() if c >= min_count}
        if not frequent:
            counts[n] = Counter()
            continue
        level: Counter = Counter()
        for run in runs:
            if len(run) < n:
                continue
            level.update(g for g in (run[i:i + n] for i in range(len(run) - n + 1))
                         if g[:-1] in frequent and g[1:] in frequent)
        counts[n] = Counter({g: c for g, c in level.items() if c >= min_count})
    return counts


def _entropy(counter: Counter) -> float:
    total = sum(counter.values())
    if not total:
        return 0.0
    return -sum(c / total * math.log(c / total) for c in counter.values())


def _pmi_candidates(runs: list[str], *, max_n: int, min_count: int, min_pmi: float, min_entropy: float,
                    limit: int) -> dict[str, float]:
    """New-word discovery: cohesion (minimum PMI over the split points) plus left/right branching
    entropy (a word is free on both sides). Returns word -> score."""
    counts = _ngram_stats(runs, max_n, min_count)
    total = sum(counts[1].values()) or 1
    scored: dict[str, float] = {}
    for n in range(2, max_n + 1):
        for gram, c in counts[n].items():
            pmi = min(math.log(c * total / (counts[len(gram[:k])][gram[:k]] * counts[len(gram[k:])][gram[k:]]))
                      for k in range(1, n))
            if pmi >= min_pmi:
                scored[gram] = pmi
    if not scored:
        return {}
    # branching entropy from the neighbours of each occurrence (one Aho-Corasick pass)
    automaton = _make_automaton({g: g for g in scored})
    left: dict[str, Counter] = defaultdict(Counter)
    right: dict[str, Counter] = defaultdict(Counter)
    for run in runs:
        padded = f"\x02{run}\x03"
        for end_index, (length, gram) in automaton.iter(padded):
            start = end_index - length + 1
            lch, rch = padded[start - 1], padded[end_index + 1]
            # a run boundary is punctuation: count each as a distinct neighbour
            left[gram][lch if lch != "\x02" else f"^{start}{id(run)}"] += 1
            right[gram][rch if rch != "\x03" else f"${end_index}{id(run)}"] += 1
    out = {}
    for gram, pmi in scored.items():
        h = min(_entropy(left[gram]), _entropy(right[gram]))
        if h >= min_entropy:
            out[gram] = round(pmi * h * math.log1p(counts[len(gram)][gram]) / 10, 4)
    best = sorted(out.items(), key=lambda kv: -kv[1])[:limit]
    return dict(best)


def _default_word_freq() -> "dict[str, int]":
    """jieba's dictionary frequencies (to drop ordinary words such as 一线, 一起). Empty when
    jieba is not installed."""
    try:
        import logging

        import jieba
    except ImportError:  # pragma: no cover
        return {}
    jieba.setLogLevel(logging.WARNING)
    tok = jieba.Tokenizer()
    tok.initialize()
    return tok.FREQ


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
    example``.

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
    then ``score``. ``doc_freq``/``years``/``example`` come from all occurrences of the string
    in all paragraphs (``years`` = sorted distinct years joined by ``|``).
    """
    import pandas as pd

    stop = frozenset(stopwords)
    docs = [(str(doc_id), year, [p for p in paras if isinstance(p, str) and p]) for doc_id, year, paras in docs]
    total_chars = sum(len(p) for _, _, paras in docs for p in paras)

    # ---- pattern + quoted, on every paragraph
    found: dict[str, set[str]] = defaultdict(set)  # candidate -> methods
    quoted_count: Counter = Counter()
    quoted_docs: dict[str, set[str]] = defaultdict(set)
    for doc_id, _, paras in docs:
        for text in paras:
            if "pattern" in methods:
                for run in _HAN_RUN.findall(text):
                    if run[0] in NUMERALS and _pattern_score(run) is not None:
                        # a whole Han run between punctuation or quotes
                        found[run].add("pattern")
                for m in _SERIES.finditer(text):
                    if _pattern_score(m.group(1)) is not None:
                        found[m.group(1)].add("pattern")
            for m in _QUOTED.finditer(text):
                span = m.group(1).strip()
                quoted_count[span] += 1
                quoted_docs[span].add(doc_id)
    for span, c in quoted_count.items():
        if "quoted" in methods and (c >= 2 or len(quoted_docs[span]) >= 2):
            found[span].add("quoted")
        elif span in found:
            found[span].add("quoted")  # a pattern corroborated by quotation marks once

    # only whole runs: drop a pattern run that is just part of a found series / quoted span
    # ---- pmi, on a sample
    pmi_scores: dict[str, float] = {}
    if "pmi" in methods and total_chars:
        step = max(1, math.ceil(total_chars / max_chars))
        sample = [p for _, _, paras in docs for p in paras][::step]
        runs = [r for p in sample for r in _HAN_RUN.findall(p)]
        sample_chars = sum(map(len, runs))
        mc = min_count if min_count is not None else max(3, min(10, sample_chars // 100_000))
        pmi_scores = _pmi_candidates(runs, max_n=max_n, min_count=mc, min_pmi=3.0, min_entropy=1.2,
                                     limit=max(top * 4, 500))
        for gram in pmi_scores:
            if gram[0] in _FUNCTION_EDGE or gram[-1] in _FUNCTION_EDGE:
                continue
            found[gram].add("pmi")

    # ---- exclusions
    forms = [match_key(f) for f in lexicon.surface_forms()]
    forms = [f for f in forms if f]
    bare_forms = [f.replace("、", "") for f in forms]
    joined = "\n".join(forms + bare_forms)
    if word_freq is None:
        word_freq = _default_word_freq()
    kept: dict[str, set[str]] = {}
    for cand, how in found.items():
        key = match_key(cand)
        if _is_junk(key, stop) or key in stop:
            continue
        if key in joined or any(_swallows(key, f) for f in forms):
            continue
        if quoted_count[cand] < 2:  # ordinary words: 一线, 三级; 一起部署, 五一劳动奖
            if word_freq.get(cand, 0) >= ordinary_freq:
                continue
            if "pattern" in how and not _REPEATED_NUMERAL.match(cand) and len(cand) > 2 \
                    and cand[1] not in "个项条种大类型级" and word_freq.get(cand[:2], 0) >= 10 * ordinary_freq:
                continue
        if how == {"pmi"} and (key[-1] in _FUNCTION_END or key[0] in _FUNCTION_EDGE):
            continue
        kept[cand] = how
    if not kept:
        return pd.DataFrame(columns=CANDIDATE_COLUMNS)

    # ---- occurrences: count, documents, years, first example (leftmost-longest over all text)
    automaton = _make_automaton({c: c for c in kept})
    count: Counter = Counter()
    doc_sets: dict[str, set[str]] = defaultdict(set)
    year_sets: dict[str, set[int]] = defaultdict(set)
    example: dict[str, str] = {}
    for doc_id, year, paras in docs:
        for text in paras:
            for start, end, cand in leftmost_longest(automaton, text):
                count[cand] += 1
                doc_sets[cand].add(doc_id)
                if year not in (None, "") and not (isinstance(year, float) and math.isnan(year)):
                    year_sets[cand].add(int(year))
                if cand not in example:
                    example[cand] = _example(text, start, end)

    rows = []
    for cand, how in kept.items():
        if not count[cand]:
            continue
        if how == {"pmi"} and count[cand] < 2:
            continue
        score = 0.0
        if "pattern" in how:
            score += _pattern_score(cand) or 0.0
        if "quoted" in how:
            score += 1.0 + math.log1p(quoted_count[cand])
        if "pmi" in how:
            score += pmi_scores.get(cand, 0.0)
        score += math.log1p(count[cand])
        method = "+".join(m for m in METHOD_ORDER if m in how)
        tier = 0 if {"pattern", "quoted"} <= how else 1 if "quoted" in how else 2 if "pattern" in how else 3
        rows.append((tier, -len(doc_sets[cand]), -score, cand, method, round(score, 3), len(doc_sets[cand]),
                     "|".join(str(y) for y in sorted(year_sets[cand])), example.get(cand, "")))
    rows.sort()
    out = pd.DataFrame([r[3:] for r in rows[:top]], columns=CANDIDATE_COLUMNS)
    return out
