"""pipeline.terms.discover_filter: statistical candidates that are names, places, organisations or
stock phrases are left out (patterns and quotations never); variants of lexicon entries are
marked; the tagger is jieba's posseg on its own small tokenizer, equal to a whole-dictionary one."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from discovery_reference import entry

from pipeline.lexicon import Lexicon
from pipeline.terms import discover_filter, discover_rank
from pipeline.terms.discover import discover_candidates
from pipeline.terms.discover_filter import CandidateTagger, statistical_rejects, variants_of

ROOT = Path(__file__).resolve().parents[2]
SX1Z = Path(__file__).resolve().parents[3] / "shared" / "corpus" / "sx1z-party-committee"
if not SX1Z.is_dir():
    SX1Z = Path("/work/shared/corpus/sx1z-party-committee")

NAMES = ["孙洪亮", "陈银伟", "王琛", "校长王琛", "王月琴", "邢秀英", "俞建种", "黄金裕", "余栋材", "王建国"]
PLACES = ["绍兴市", "越城区", "镜湖新区", "嵊州", "绍兴一中", "温州中学", "绍兴文理学院", "获绍兴市", "德育处"]
ORGS = ["市教育局", "校党委", "文科二支部", "市教育局党委", "绍兴市教育局", "各党支部"]
STOCK = ["一年来", "近年来", "多年来", "十年来", "新时代", "进一步", "二是要", "日下午"]
#: local formulations and plain phrases that must stay (some hold a surname, a place-like ending
#: or a word jieba tags nr/ns: 育人/nrt, 格局, 学校)
KEPT = [
    "红色根脉",
    "清廉学校",
    "党建示范学校",
    "党建育人",
    "走深走实",
    "入脑入心",
    "新发展格局",
    "大局意识",
    "以人民为中心",
    "高标准",
    "党小组",
    "全体党员",
    "严格遵守",
    "赓续红色",
    "初心使命",
]


@pytest.fixture(scope="module")
def rejects():
    return statistical_rejects(NAMES + PLACES + ORGS + STOCK + KEPT)


@pytest.mark.parametrize("term", NAMES)
def test_person_names_are_rejected(rejects, term):
    assert rejects.get(term) == "person name", (term, CandidateTagger([term]).tag())


@pytest.mark.parametrize("term", PLACES + ORGS)
def test_places_and_organisations_are_rejected(rejects, term):
    assert rejects.get(term) in ("place", "organisation"), (term, CandidateTagger([term]).tag())


@pytest.mark.parametrize("term", STOCK)
def test_stock_phrases_are_rejected(rejects, term):
    assert rejects.get(term) == "stock phrase"


@pytest.mark.parametrize("term", KEPT)
def test_formulations_and_phrases_are_kept(rejects, term):
    assert term not in rejects, (term, rejects.get(term), CandidateTagger([term]).tag())


def test_tagger_equals_posseg_on_the_whole_dictionary_and_leaves_jieba_dt_alone():
    """The small tokenizer (only the dictionary words inside the strings, the dictionary's total
    frequency) segments and tags like a POSTokenizer on a whole-dictionary jieba.Tokenizer."""
    import jieba
    import jieba.posseg

    strings = NAMES + PLACES + ORGS + STOCK + KEPT + ["党员教师们", "高水平发展", "习近平总书记", "结合学校实际", "张桂梅", "测温"]
    small = CandidateTagger(strings).tag()
    # the global tokenizer is never loaded: checked in a fresh interpreter, since other tests of
    # the same session may have loaded jieba.dt on purpose (tests/segment compares with plain jieba)
    probe = (
        "import jieba\n"
        "from pipeline.terms.discover_filter import CandidateTagger\n"
        f"CandidateTagger({strings!r}).tag()\n"
        "assert not jieba.dt.initialized and not jieba.dt.FREQ\n"
    )
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, cwd=ROOT)
    assert done.returncode == 0, done.stderr[-2000:]
    full = jieba.posseg.POSTokenizer(jieba.Tokenizer())
    assert small == {s: [(p.word, p.flag) for p in full.lcut(s)] for s in strings}


def test_variants_of_lexicon_entries():
    lex = Lexicon([entry("一岗双责"), entry("四个意识"), entry("两个维护", "两个坚决维护"), entry("党课")])
    got = variants_of(["一岗双职", "五个意识", "两个坚决拥护", "党日", "一岗双责", "三会一课", "一岗双“职”"], lex)
    # one character off, same length, near-synonyms (职责 is a word); numerals differ -> another
    # formulation; 拥 and 维 make no word (no sign they stand for each other); two-character terms are too short
    assert got == ["一岗双责", "", "", "", "", "", "一岗双责"]


def test_discovery_marks_variants_and_keeps_patterns_and_quotes():
    lex = Lexicon([entry("一岗双责"), entry("两个维护")])
    docs = [
        ("a", 2020, ["落实“一岗双职”，推进“三个更加突出”。", "孙洪亮同志指出，孙洪亮要求，绍兴市教育局"]),
        ("b", 2021, ["坚持“一岗双职”。孙洪亮强调“三个更加突出”", "绍兴市教育局召开会议，孙洪亮出席"]),
        ("c", 2022, ["孙洪亮，绍兴市教育局"]),
    ]
    df = discover_candidates(docs, lex, top=50, word_freq={})
    rows = df.set_index("term")
    assert rows.loc["一岗双职", "variant_of"] == "一岗双责" and rows.loc["三个更加突出", "variant_of"] == ""
    stat = set(df.loc[df["method"] == "pmi", "term"])
    assert not stat & {"孙洪亮", "绍兴市教育局", "绍兴市", "市教育局"}, stat


def test_statistical_candidates_are_judged_only_as_far_as_the_top_reaches(monkeypatch):
    judged = []
    monkeypatch.setattr(discover_rank, "statistical_rejects", lambda terms: judged.extend(terms) or {})
    rows = [(0, -3, -1.0, "甲甲", 0), (2, -2, -1.0, "乙乙", 1), (3, -9, -9.0, "丙丙", 2), (3, -1, -1.0, "丁丁", 3)]
    assert discover_rank.top_rows(rows, 2) == rows[:2] and judged == []
    assert discover_rank.top_rows(rows, 3) == rows[:3] and judged[0] == "丙丙"
    monkeypatch.setattr(discover_rank, "statistical_rejects", lambda terms: {t: "person name" for t in terms if t == "丙丙"})
    assert discover_rank.top_rows(rows, 3) == [rows[0], rows[1], rows[3]]


def test_no_jieba_means_no_tags(monkeypatch):
    monkeypatch.setattr(discover_filter, "_jieba_dictionary", lambda: None)
    assert CandidateTagger(["孙洪亮"]).tag() == {}
    assert statistical_rejects(["孙洪亮", "一年来", "校党委"]) == {"一年来": "stock phrase", "校党委": "organisation"}


def _load_sx1z():
    docs = []
    for path in sorted(SX1Z.glob("*.txt")):
        year = int(path.name[:4]) if path.name[:4].isdigit() else None
        docs.append((path.stem, year, [x.strip() for x in path.read_text(encoding="utf-8-sig").splitlines() if x.strip()]))
    return docs


@pytest.mark.skipif(not SX1Z.is_dir(), reason="shared corpus sx1z-party-committee not available")
def test_real_text_names_places_and_stock_phrases_are_not_statistical_candidates():
    from pipeline.lexicon import load_lexicon, load_stopwords

    docs = _load_sx1z()
    lexicon, stop = load_lexicon(), load_stopwords()
    df = discover_candidates(docs, lexicon, stopwords=stop, top=2000)
    stat = df[df["method"] == "pmi"]
    assert len(stat) > 500  # the statistical tier is reached
    unwanted = ["孙洪亮", "绍兴市", "一年来", "市教育局"]
    assert not set(unwanted) & set(stat["term"])
    # they are what PMI found: the filter left them out, for these reasons
    assert statistical_rejects(unwanted) == {"孙洪亮": "person name", "绍兴市": "place", "一年来": "stock phrase", "市教育局": "organisation"}
    plain = discover_candidates(docs, lexicon, stopwords=stop, top=2000, methods=("pattern", "quoted"))
    assert plain.set_index("term").loc["一岗双职", "variant_of"] == "一岗双责"


@pytest.mark.skipif(not SX1Z.is_dir(), reason="shared corpus sx1z-party-committee not available")
def test_real_text_without_the_filter_has_them(monkeypatch):
    """The same call with the filter switched off: PMI did find them."""
    from pipeline.lexicon import load_lexicon, load_stopwords

    monkeypatch.setattr(discover_rank, "statistical_rejects", lambda terms: {})
    df = discover_candidates(_load_sx1z(), load_lexicon(), stopwords=load_stopwords(), top=2000)
    assert {"孙洪亮", "绍兴市", "一年来", "市教育局"} <= set(df.loc[df["method"] == "pmi", "term"])
