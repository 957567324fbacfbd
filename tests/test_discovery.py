"""pipeline.terms discovery internals: the array-based scans, trie search, n-gram statistics and
dictionary reader agree with simple reference implementations (regexes, pyahocorasick,
Counters, jieba), and the candidates do not depend on hash seeds or input order."""

from __future__ import annotations

import math
import os
import random
import re
import subprocess
import sys
from collections import Counter, defaultdict
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pipeline.terms import core as terms
from pipeline.lexicon import Entry, Lexicon
from pipeline.terms.core import (
    HAN_CLASS,
    METHOD_ORDER,
    NUMERALS,
    _Corpus,
    _default_word_freq,
    _leftmost_longest_hits,
    _pmi_candidates,
    _Trie,
    discover_candidates,
)
from pipeline.automaton import leftmost_longest
from pipeline.automaton import make_automaton as _make_automaton

ROOT = Path(__file__).resolve().parent.parent

# --------------------------------------------------------------------------- references
#: the regexes the scans replace
HAN_RUN = re.compile(f"[{HAN_CLASS}]+")
SERIES = re.compile(f"(?<![{HAN_CLASS}、])([{NUMERALS}][{HAN_CLASS}]{{1,5}}(?:、[{NUMERALS}][{HAN_CLASS}]{{1,5}})+)(?![{HAN_CLASS}、])")
QUOTED = re.compile(r"[“「『]([^“”「」『』\n]{2,12})[”」』]")


def reference_scan(paragraphs):
    """The module's regexes, per paragraph (and the regexes of the first implementation)."""
    runs, series, quoted = Counter(), Counter(), Counter()
    for text in paragraphs:
        runs.update(r for r in terms._NUMBERED_RUN.findall(text) if 2 <= len(r) <= 8)
        series.update(terms._SERIES.findall(text))
        quoted.update(m.group(1) for m in terms._QUOTED.finditer(text))
        assert [r for r in HAN_RUN.findall(text) if r[0] in NUMERALS] == terms._NUMBERED_RUN.findall(text)
        assert SERIES.findall(text) == terms._SERIES.findall(text)
    return runs, series, quoted


def reference_pmi(runs, max_n, min_count, min_pmi=3.0, min_entropy=1.2):
    """Counter-based n-gram statistics: word -> unrounded score (no limit)."""
    counts = {n: Counter() for n in range(1, max_n + 1)}
    left, right = defaultdict(Counter), defaultdict(Counter)
    for r, run in enumerate(runs):
        for n in range(1, max_n + 1):
            for i in range(len(run) - n + 1):
                gram = run[i:i + n]
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
#: plus longer pieces so that series, runs of every length and quotations of 2..13 characters occur
TOKENS = ALPHABET + ["一题一写", "一人一讲", "两服务一改进", "三个更加突出", "五感", "加强理论学习", "学习贯彻落实精神",
                     "、", "“", "”", "「", "」", "。"]
han = st.text(alphabet=st.sampled_from("个项大级服务改进党课学习讲写题人的是" + NUMERALS[:3]), max_size=9)
numbered = st.builds(lambda n, rest: n + rest, st.sampled_from(NUMERALS), han)
series = st.lists(numbered, min_size=2, max_size=4).map("、".join)
quotation = st.builds(lambda o, body, c: o + body + c, st.sampled_from("“「『"), st.text(alphabet=st.sampled_from(TOKENS[:30] + ["”", "\n"]), max_size=15), st.sampled_from("”」』"))
paragraph = st.lists(st.one_of(st.sampled_from(TOKENS), numbered, series, quotation), max_size=12).map("".join)
paragraphs = st.lists(paragraph, max_size=8)


@settings(max_examples=500, deadline=None)
@given(paragraphs)
def test_scans_match_the_regexes(paras):
    corpus = _Corpus([("d", 2020, paras)])
    if not corpus.paras:
        return
    cls = terms._char_classes(corpus.cp)
    runs, series = terms._numbered_runs(corpus.text, cls)
    starts, ends = terms._quoted_spans(cls)
    quoted = Counter(corpus.text[a:b] for a, b in zip(starts.tolist(), ends.tolist()))
    want_runs, want_series, want_quoted = reference_scan(corpus.paras)
    assert Counter(runs) == want_runs
    assert Counter(series) == want_series
    assert quoted == want_quoted


@pytest.mark.parametrize("text, series", [
    ("以“一题一写、一人一讲”为载体", ["一题一写、一人一讲"]),
    ("一题一写、一人一讲、三严", ["一题一写、一人一讲、三严"]),
    ("一题一写、一人一讲、加强学习", []),  # an item that is not numbered
    ("学习、一题一写、一人一讲", []),  # 、 before the series
    ("一题一写、一人一讲活动中", []),  # the last item runs on (7 characters)
    ("一题一写、、一人一讲", []),
    ("一题一写一二三、一人一讲", []),  # an item longer than 6
    ("一题、一人一讲。二是、三严", ["一题、一人一讲", "二是、三严"]),  # (_pattern_score drops 二是)
    ("𠀀一题一写、一人一讲𠀀", ["一题一写、一人一讲"]),  # non-BMP text
])
def test_series_examples(text, series):
    corpus = _Corpus([("d", None, [text])])
    assert terms._numbered_runs(corpus.text, terms._char_classes(corpus.cp))[1] == series
    assert terms._SERIES.findall(text) == SERIES.findall(text) == series


TRIE_CHARS = st.sampled_from(ALPHABET[:12] + ["、", "𠀀"])


@settings(max_examples=400, deadline=None)
@given(st.one_of(st.lists(st.text(alphabet=TRIE_CHARS, min_size=1, max_size=5), max_size=12, unique=True),
                 st.lists(st.text(alphabet=TRIE_CHARS, min_size=2, max_size=5), max_size=12, unique=True)),
       st.text(alphabet=st.sampled_from(ALPHABET[:12] + ["、", "𠀀", "。"]), max_size=80),
       st.sampled_from([1, 2, 3, 7, _Trie.BLOCK]))
def test_trie_finds_what_aho_corasick_finds(patterns, text, block):
    trie = _Trie(patterns)
    trie.BLOCK = block  # the first step runs block by block: boundaries anywhere
    starts, lengths, which = trie.find(terms._codepoints(text))
    got = sorted(zip(starts.tolist(), lengths.tolist(), which.tolist()))
    want = []
    if patterns and text:
        automaton = _make_automaton({p: i for i, p in enumerate(patterns)})
        want = sorted((end - length + 1, length, i) for end, (length, i) in automaton.iter(text))
    assert got == want
    # leftmost-longest selection agrees with the matcher's
    sel = _leftmost_longest_hits(starts, lengths, which)
    got_ll = [(int(starts[i]), int(starts[i] + lengths[i]), int(which[i])) for i in sel]
    want_ll = leftmost_longest(automaton, text) if patterns and text else []
    assert got_ll == want_ll


def test_trie_without_dense_rows_and_with_one_character_patterns(monkeypatch):
    text = "一二三四五一二三。一二两三"
    patterns = ["一", "一二", "一二三", "三四", "二两三", "五"]
    dense = _Trie(patterns).find(terms._codepoints(text))
    monkeypatch.setattr(_Trie, "DENSE_LIMIT", 1)  # only the root's row: deeper steps search
    sparse = _Trie(patterns).find(terms._codepoints(text))
    for a, b in zip(dense, sparse):
        assert sorted(a.tolist()) == sorted(b.tolist())
    assert sorted(zip(*(x.tolist() for x in dense))) == sorted(
        [(0, 1, 0), (0, 2, 1), (0, 3, 2), (2, 2, 3), (4, 1, 5), (5, 1, 0), (5, 2, 1), (5, 3, 2), (9, 1, 0),
         (9, 2, 1), (10, 3, 4)])


@settings(max_examples=300, deadline=None)
@given(st.lists(st.text(alphabet=st.sampled_from("一二三党课学习服务改进的"), min_size=1, max_size=12), min_size=1, max_size=30),
       st.integers(min_value=1, max_value=4), st.integers(min_value=2, max_value=5),
       st.sampled_from([(3.0, 1.2), (0.0, 0.0), (1.0, 0.5)]))
def test_pmi_matches_counter_reference(runs, min_count, max_n, thresholds):
    min_pmi, min_entropy = thresholds
    got = _pmi_candidates("。".join(runs), max_n=max_n, min_count=min_count, min_pmi=min_pmi,
                          min_entropy=min_entropy, limit=10**6)
    want = reference_pmi(runs, max_n, min_count, min_pmi, min_entropy)
    assert set(got) == set(want)
    for gram, score in got.items():
        assert score == pytest.approx(round(want[gram], 4), abs=2e-4)


def test_pmi_ties_and_limit():
    # 甲乙 and 丙丁 score the same: the first occurrence comes first
    text = "。".join(["丙丁", "甲乙", "丙丁", "甲乙", "丙丁", "甲乙", "戊", "己", "庚", "辛"] * 3)
    scores = _pmi_candidates(text, max_n=3, min_count=2, min_pmi=0.0, min_entropy=0.0, limit=10)
    assert list(scores)[:2] == ["丙丁", "甲乙"]
    assert list(_pmi_candidates(text, max_n=3, min_count=2, min_pmi=0.0, min_entropy=0.0, limit=1)) == ["丙丁"]
    assert _pmi_candidates("abc。", max_n=3, min_count=1, min_pmi=0.0, min_entropy=0.0, limit=5) == {}


def test_word_freq_reader_matches_jieba():
    jieba = pytest.importorskip("jieba")
    import logging

    jieba.setLogLevel(logging.WARNING)
    tok = jieba.Tokenizer()
    tok.initialize()
    for floor in (100, 1000, 7):
        terms._WORD_FREQ_CACHE.clear()
        assert _default_word_freq(floor) == {w: f for w, f in tok.FREQ.items() if f >= floor}
    assert _default_word_freq(7) is _default_word_freq(7)  # kept for the process


# --------------------------------------------------------------------------- whole function
@pytest.fixture(scope="module")
def project_lexicon() -> Lexicon:
    from pipeline import config
    from pipeline.lexicon import load_lexicon

    if not (config.LEXICON_DIR / config.FORMULATIONS_FILE).exists():
        pytest.skip("lexicons/formulations.csv not written yet")
    return load_lexicon()


SYNTH_LEX = Lexicon([entry("两个维护"), entry("三会一课"), entry("不忘初心、牢记使命"), entry("四强", "四强党支部")])


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(["a", "b", "c"]), st.sampled_from([2019, 2020, None, float("nan")]),
                          st.lists(st.lists(st.sampled_from(ALPHABET + ["两个维护", "三会一课", "四强"]),
                                            max_size=30).map("".join), max_size=6)), max_size=6))
def test_patterns_and_quotes_agree_with_reference(docs):
    methods = ("pattern", "quoted")
    got = discover_candidates(docs, SYNTH_LEX, top=40, word_freq={}, methods=methods)
    want = reference_discover(docs, SYNTH_LEX, top=40, word_freq={}, methods=methods)
    pd.testing.assert_frame_equal(got.reset_index(drop=True), want.reset_index(drop=True), check_dtype=False)


def test_seeds_agree_with_reference(seed_texts, project_lexicon):
    docs = [(name[:3], 2019 + i, text.split("\n")) for i, (name, text) in enumerate(sorted(seed_texts.items()))]
    wf = _default_word_freq(100)
    for kw in ({"top": 300}, {"top": 40, "max_chars": 20_000}, {"top": 500, "methods": ("pmi",)}):
        got = discover_candidates(docs, project_lexicon, word_freq=wf, **kw)
        want = reference_discover(docs, project_lexicon, word_freq=wf, **kw)
        pd.testing.assert_frame_equal(got, want, check_dtype=False)


def test_independent_of_input_order(seed_texts, project_lexicon):
    docs = [(name[:3], 2019 + i, text.split("\n")) for i, (name, text) in enumerate(sorted(seed_texts.items()))]
    base = discover_candidates(docs, project_lexicon, stopwords=["工作", "我们"], word_freq={})
    shuffled = list(project_lexicon.entries)
    random.Random(7).shuffle(shuffled)
    again = discover_candidates(docs, Lexicon(shuffled), stopwords=["我们", "工作"], word_freq={})
    pd.testing.assert_frame_equal(base, again)


def test_same_output_under_other_hash_seeds(tmp_path):
    script = (
        "import sys; from pathlib import Path; from pipeline.lexicon import load_lexicon, load_stopwords\n"
        "from pipeline.terms import discover_candidates\n"
        "paths = sorted(Path('data/raw/sample').glob('*.txt'))\n"
        "docs = [(p.name[:3], 2019 + i, p.read_text(encoding='utf-8').split('\\n')) for i, p in enumerate(paths)]\n"
        "discover_candidates(docs, load_lexicon(), stopwords=load_stopwords()).to_csv(sys.argv[1], index=False)\n"
    )
    outputs = []
    for seed in ("0", "12345"):
        out = tmp_path / f"c{seed}.csv"
        env = dict(os.environ, PYTHONHASHSEED=seed)
        subprocess.run([sys.executable, "-c", script, str(out)], cwd=ROOT, env=env, check=True)
        outputs.append(out.read_bytes())
    assert outputs[0] == outputs[1] and len(outputs[0]) > 1000


# --------------------------------------------------------------------------- the reference
def reference_discover(docs, lexicon, *, top=300, stopwords=(), max_chars=5_000_000, max_n=6, word_freq,
                       ordinary_freq=100, methods=METHOD_ORDER):
    """The straightforward per-paragraph implementation (regexes, Counters, pyahocorasick) that
    :func:`discover_candidates` replaced; same rules, same output."""
    from pipeline.terms.core import (
        _FUNCTION_EDGE,
        _FUNCTION_END,
        _REPEATED_NUMERAL,
        CANDIDATE_COLUMNS,
        _example,
        _is_junk,
        _pattern_score,
        _swallows,
        match_key,
    )

    stop = frozenset(stopwords)
    docs = [(str(d), y, [p for p in paras if isinstance(p, str) and p]) for d, y, paras in docs]
    total_chars = sum(len(p) for _, _, paras in docs for p in paras)
    found = defaultdict(set)
    quoted_count, quoted_docs = Counter(), defaultdict(set)
    for doc_id, _, paras in docs:
        for text in paras:
            if "pattern" in methods:
                for run in HAN_RUN.findall(text):
                    if run[0] in NUMERALS and _pattern_score(run) is not None:
                        found[run].add("pattern")
                for m in SERIES.finditer(text):
                    if _pattern_score(m.group(1)) is not None:
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
        best = sorted(scores, key=lambda g: (-scores[g], len(g), joined.find(g)))[:max(top * 4, 500)]
        pmi_scores = {g: scores[g] for g in best}
        for gram in pmi_scores:
            if gram[0] not in _FUNCTION_EDGE and gram[-1] not in _FUNCTION_EDGE:
                found[gram].add("pmi")
    forms = [f for f in (match_key(f) for f in lexicon.surface_forms()) if f]
    joined = "\n".join(forms + [f.replace("、", "") for f in forms])
    kept = {}
    for cand, how in found.items():
        key = match_key(cand)
        if _is_junk(key, stop) or key in joined or any(_swallows(key, f) for f in forms):
            continue
        if quoted_count[cand] < 2:
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
    automaton = _make_automaton({c: c for c in kept})
    count, doc_sets, year_sets, example = Counter(), defaultdict(set), defaultdict(set), {}
    for doc_id, year, paras in docs:
        for text in paras:
            for start, end, cand in leftmost_longest(automaton, text):
                count[cand] += 1
                doc_sets[cand].add(doc_id)
                if year not in (None, "") and not (isinstance(year, float) and math.isnan(year)):
                    year_sets[cand].add(int(year))
                example.setdefault(cand, _example(text, start, end))
    rows = []
    for cand, how in kept.items():
        if not count[cand] or (how == {"pmi"} and count[cand] < 2):
            continue
        score = (_pattern_score(cand) or 0.0) if "pattern" in how else 0.0
        if "quoted" in how:
            score += 1.0 + math.log1p(quoted_count[cand])
        if "pmi" in how:
            score += pmi_scores.get(cand, 0.0)
        score += math.log1p(count[cand])
        tier = 0 if {"pattern", "quoted"} <= how else 1 if "quoted" in how else 2 if "pattern" in how else 3
        rows.append((tier, -len(doc_sets[cand]), -score, cand, "+".join(m for m in METHOD_ORDER if m in how),
                     round(score, 3), len(doc_sets[cand]), "|".join(map(str, sorted(year_sets[cand]))), example[cand]))
    rows.sort()
    return pd.DataFrame([r[3:] for r in rows[:top]], columns=CANDIDATE_COLUMNS)
