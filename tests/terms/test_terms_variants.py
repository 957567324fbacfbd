"""Variants of lexicon entries among the candidates (pipeline.terms.discover_filter.variants_of)
and the ``variant_of`` column of candidates.csv (pipeline.schema.CANDIDATES).

A one-character difference alone is not a variant: 一国两府 and 两个确保 are formulations of their
own, not spellings of 一国两制 and 两个确立. A variant needs near-synonym characters (职责) and,
in a corpus, to be much rarer than its entry. Real text: the shared corpus without its held-out
files (the thresholds were set on that part only)."""

from __future__ import annotations

import re

import pytest
from conftest import CORPUS, heldout_files
from discovery_reference import entry

from pipeline import schema
from pipeline.lexicon import Lexicon, load_lexicon, load_stopwords
from pipeline.store.runs import read_table
from pipeline.terms import discover_filter
from pipeline.terms.discover import discover_candidates
from pipeline.terms.discover_filter import variants_of
from pipeline.terms.discover_wordfreq import default_word_freq


@pytest.fixture(scope="module")
def dev_docs():
    """(doc_id, year, paragraphs) of the shared corpus's reports, held-out files left out."""
    if not CORPUS.is_dir():
        pytest.skip("../shared/corpus is absent")
    held = heldout_files()
    docs = []
    for folder in ("cpc-congress-reports", "gov-work-reports", "sx1z-party-committee"):
        for path in sorted((CORPUS / folder).glob("*.txt")):
            rel = f"{folder}/{path.name}"
            if rel in held:
                continue
            m = re.match(r"(\d{4})", path.name)
            lines = [x.strip() for x in path.read_text(encoding="utf-8-sig").splitlines() if x.strip()]
            docs.append((rel, int(m.group(1)) if m else None, lines))
    assert len(docs) > 300
    return docs


@pytest.fixture(scope="module")
def dev_text(dev_docs) -> str:
    return "\n".join(p for _, _, paras in dev_docs for p in paras)


def test_candidates_table_declares_variant_of(tmp_path):
    assert schema.columns("candidates") == ["term", "method", "score", "doc_freq", "years", "example", "variant_of"]
    # an empty discovery and a run without candidates.csv have the same columns as a full one
    assert list(discover_candidates([], Lexicon([entry("两个维护")]), word_freq={}).columns) == schema.columns("candidates")
    assert list(read_table(tmp_path, "candidates").columns) == schema.columns("candidates")


def test_near_synonyms_are_characters_that_make_a_word():
    freq = default_word_freq(100)
    if not freq:
        pytest.skip("jieba is not installed")
    near = discover_filter.near_synonyms
    assert near("职", "责", freq) and near("责", "职", freq)  # 职责
    assert not near("府", "制", freq) and not near("保", "立", freq) and not near("拥", "维", freq)


def test_one_character_off_is_not_enough():
    lex = Lexicon([entry("一国两制"), entry("两个确立"), entry("一岗双责"), entry("三大作风")])
    got = variants_of(["一国两府", "两个确保", "一岗双职", "三八作风", "一岗双“职”"], lex)
    assert got == ["", "", "一岗双责", "", "一岗双责"]


@pytest.mark.shared
def test_real_formulations_one_character_apart_are_not_variants(dev_docs):
    lexicon = load_lexicon()
    df = discover_candidates(dev_docs, lexicon, stopwords=load_stopwords(), top=3000, methods=("pattern", "quoted"))
    rows = df.set_index("term")["variant_of"]
    # quoted formulations of their own (Taiwan policy; the 2000s social-security pledge)
    assert rows["一国两府"] == "" and rows["两个确保"] == ""
    assert rows["五廉一体"] == "" and rows["三八作风"] == ""  # not 五位一体, 三大作风
    # a misprint of an entry stays its variant: 人 for 个 (个人), once against 13 times
    assert rows["一个中心、两人基本点"] == "一个中心、两个基本点"


@pytest.mark.shared
def test_corpus_counts_decide_between_a_variant_and_a_formulation(dev_text):
    lexicon = load_lexicon()
    terms = ["依法治军", "政务公开", "依法行政", "一岗双职"]
    # by the characters alone: 国军, 政党 and 执行 are words, 职责 too
    assert variants_of(terms, lexicon) == ["依法治国", "党务公开", "依法执政", "一岗双责"]
    # in the corpus the first three are common in their own right; 一岗双职 is too rare to tell
    got = variants_of(terms, lexicon, count=dev_text.count)
    assert got == ["", "", "", "一岗双责"]
    assert dev_text.count("依法治军") > 10 and dev_text.count("政务公开") > dev_text.count("党务公开")
