"""pipeline.terms: exact leftmost-longest counting, folding, quotes, discovery, kwic."""

from __future__ import annotations

from collections import Counter

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pipeline import config
from pipeline.lexicon import Entry, Lexicon, load_lexicon
from pipeline.terms.core import Match, TermMatcher, count_document, fold, kwic, match_key

CORE = ["两个维护", "四个意识", "一岗双责", "三会一课", "两学一做", "四种形态", "全面从严治党", "两张皮"]


def entry(term, *aliases, category="组织"):
    return Entry(term, tuple(aliases), category, None, "national", "", 0)


SMALL = Lexicon([
    entry("两个维护"), entry("四个意识"), entry("一岗双责"), entry("三会一课"), entry("两学一做"),
    entry("四种形态"), entry("全面从严治党"), entry("两张皮"), entry("四强", "四强党支部"),
    entry("不忘初心、牢记使命"), entry("全面从严治党主体责任"), entry("主体责任"), entry("互联网+党建"),
])


@pytest.fixture(scope="module")
def project_lexicon() -> Lexicon:
    if not (config.LEXICON_DIR / config.FORMULATIONS_FILE).exists():
        pytest.skip("lexicons/formulations.csv not written yet")
    return load_lexicon()


@pytest.fixture(scope="module", params=["small", "project"])
def lexicon(request) -> Lexicon:
    """The project lexicon, and a small one without compounds that contain a core term (a
    compound such as 全面从严治党主体责任 is counted instead of the core term it contains)."""
    if request.param == "small":
        return Lexicon([e for e in SMALL.entries if e.term != "全面从严治党主体责任"])
    return request.getfixturevalue("project_lexicon")


def test_exact_counts_on_seeds(seed_texts, lexicon):
    matcher = TermMatcher(lexicon)
    assert len(seed_texts) == 5
    found = Counter()
    expected = Counter()
    for text in seed_texts.values():
        counts = matcher.count(text)
        for term in CORE:
            expected[term] += text.count(term)
            found[term] += counts[term]
    assert found == expected
    assert all(expected[t] > 0 for t in CORE)
    assert expected["两个维护"] == 13 and expected["全面从严治党"] == 7


def test_compound_term_takes_the_occurrence(seed_texts):
    """Leftmost-longest: 全面从严治党主体责任 in the text counts once, under the compound."""
    text = "".join(seed_texts.values())
    counts = TermMatcher(SMALL).count(text)
    compound = text.count("全面从严治党主体责任")
    assert compound > 0
    assert counts["全面从严治党主体责任"] == compound
    assert counts["全面从严治党"] == text.count("全面从严治党") - compound


def test_count_document_equals_sum_over_paragraphs(seed_texts):
    matcher = TermMatcher(SMALL)
    text = seed_texts["000_0251f9872aab0630.txt"]
    paragraphs = text.split("\n")
    assert count_document(paragraphs, matcher=matcher) == matcher.count(text)
    assert count_document(paragraphs, matcher=matcher)["两个维护"] == 5
    assert count_document(["", float("nan"), None], matcher=matcher) == Counter()


def test_leftmost_longest_and_aliases():
    m = TermMatcher(SMALL)
    text = "落实全面从严治党主体责任，压实主体责任，建设四强党支部和四强。"
    assert [(x.term, x.surface, text[x.start:x.end]) for x in m.finditer(text)] == [
        ("全面从严治党主体责任", "全面从严治党主体责任", "全面从严治党主体责任"),
        ("主体责任", "主体责任", "主体责任"),
        ("四强", "四强党支部", "四强党支部"),
        ("四强", "四强", "四强"),
    ]
    assert m.count(text) == Counter({"全面从严治党主体责任": 1, "主体责任": 1, "四强": 2})


def test_quotes_width_and_separators():
    m = TermMatcher(SMALL)
    text = "增强“四个意识”、做到两个“维护”，「三会一课」，互联网＋党建，不忘初心，牢记使命、不忘初心,牢记使命；不忘初心牢记使命"
    matches = m.findall(text)
    assert [x.term for x in matches] == ["四个意识", "两个维护", "三会一课", "互联网+党建"] + ["不忘初心、牢记使命"] * 3
    assert text[matches[1].start:matches[1].end] == "两个“维护"
    assert text[matches[3].start:matches[3].end] == "互联网＋党建"
    assert matches[-1].surface == "不忘初心牢记使命"


def test_empty_and_non_chinese_text_give_zero_counts():
    m = TermMatcher(SMALL)
    for text in ["", " ", "\n\n", "Hello, world! 12345", "😀🎉", "\x00\ufeff", "ｆｕｌｌ　ｗｉｄｔｈ"]:
        assert m.count(text) == Counter()
    assert TermMatcher(Lexicon.empty()).count("两个维护") == Counter()


def test_fold_is_one_to_one():
    s = "ＡＢＣ，１２３　“两个维护”"
    assert len(fold(s)) == len(s)
    assert fold(s) == "ABC、123 “两个维护”"


FORMS = sorted(SMALL.surface_forms())
pieces = st.one_of(
    st.sampled_from(FORMS),
    st.sampled_from(list("“”‘’\"'「」『』，,、　Ｂ１ 两个维护四强一课")),
    st.text(max_size=5),
)


@settings(max_examples=300, deadline=None)
@given(st.lists(pieces, max_size=12).map("".join))
def test_property_matches_trace_back_to_text(text):
    m = TermMatcher(SMALL)
    matches = m.findall(text)
    pos = 0
    for x in matches:
        assert isinstance(x, Match)
        assert pos <= x.start < x.end <= len(text)
        assert match_key(text[x.start:x.end]) == match_key(x.surface)
        assert SMALL.surface_forms().get(x.surface, x.term) == x.term
        pos = x.end
    # every plain occurrence of a form is covered by some match
    for form in FORMS:
        start = text.find(form)
        if start >= 0:
            assert any(x.start <= start < x.end or start <= x.start < start + len(form) for x in matches)


@settings(max_examples=300, deadline=None)
@given(st.text())
def test_property_never_raises(text):
    assert sum(TermMatcher(SMALL).count(text).values()) >= 0


def test_kwic_uses_aliases_and_documents():
    paragraphs = pd.DataFrame({
        "doc_id": ["d1", "d1", "d2"], "para_id": ["p0", "p1", "p0"],
        "text": ["建设四强党支部，争创先进。", "无关段落", "开展“四强”创建"],
    })
    documents = pd.DataFrame({"doc_id": ["d1", "d2"], "year": ["2021", ""], "title": ["甲", "乙"]})
    out = kwic(paragraphs, documents, "四强", window=3, lexicon=SMALL)
    assert list(out.columns) == ["doc_id", "year", "title", "left", "match", "right", "para_id"]
    assert out[["doc_id", "left", "match", "right", "para_id"]].values.tolist() == [
        ["d1", "建设", "四强党支部", "，争创", "p0"],
        ["d2", "开展“", "四强", "”创建", "p0"],
    ]
    assert out["year"].tolist()[0] == 2021 and pd.isna(out["year"].tolist()[1])
    assert out["title"].tolist() == ["甲", "乙"]
    assert kwic(paragraphs, documents, "不存在", lexicon=SMALL).empty


# --------------------------------------------------------------------------- discovery
from pipeline.terms.core import CANDIDATE_COLUMNS, discover_candidates  # noqa: E402

#: numbered formulations coined locally in the five seeds (read by hand from the files)
SEED_COINED = {
    "000": ["三个更加突出", "五感", "两服务一改进"],
    "001": ["四个融入", "三个结合", "三个一", "七步法", "一题一写、一人一讲", "一清两亮、一促两明", "一期一考、一期一评"],
    "002": ["三级联述联评联考", "五大质量提升", "三级责任清单", "三个表率、一个模范"],
    "003": ["十个清楚", "十个必谈", "五型党课", "一支部一清单", "一微一端", "四季帮扶", "双结对"],
    "004": ["五个精准发力", "四个融通", "三个更突出", "三个机制", "三个推进", "三个抓实", "三个平台", "两锋(风)行动", "双包双转化", "三关"],
}


def seed_docs(seed_texts):
    return [(name[:3], 2019 + i, text.split("\n")) for i, (name, text) in enumerate(sorted(seed_texts.items()))]


@pytest.fixture(scope="module")
def seed_candidates(seed_texts, project_lexicon):
    return discover_candidates(seed_docs(seed_texts), project_lexicon, top=300)


def test_seed_coined_formulations_are_found(seed_texts, seed_candidates, project_lexicon):
    for doc, terms in SEED_COINED.items():
        text = seed_texts[next(n for n in seed_texts if n.startswith(doc))]
        for term in terms:
            assert term in text, term
    coined = [t for terms in SEED_COINED.values() for t in terms]
    cands = set(seed_candidates["term"])
    found = [t for t in coined if t in cands or project_lexicon.by_term(t) is not None]
    missing = sorted(set(coined) - set(found))
    print(f"seed coverage {len(found)}/{len(coined)}; missing {missing}")
    assert len(found) / len(coined) >= 0.8, missing


def test_candidates_frame_shape_and_exclusions(seed_candidates, project_lexicon):
    df = seed_candidates
    assert list(df.columns) == CANDIDATE_COLUMNS
    assert len(df) > 30 and df["term"].is_unique
    forms = set(project_lexicon.surface_forms())
    assert not (set(df["term"]) & forms)
    for term in df["term"]:
        assert not any(f in term and not term.startswith(term.replace(f, "", 1)) for f in forms if len(f) > 2), term
        assert term[-1] not in "的了和" and not term.isdigit()
    # tiers: pattern+quoted first, pmi-only last
    tiers = df["method"].map(lambda m: 0 if ("pattern" in m and "quoted" in m) else 1 if "quoted" in m else 2 if "pattern" in m else 3)
    assert tiers.is_monotonic_increasing
    row = df.set_index("term").loc["三级联述联评联考"]
    assert row["doc_freq"] == 2 and row["years"] == "2021|2022" and "三级联述联评联考" in row["example"]
    assert len(row["example"]) <= 45
    assert df.index[df["term"] == "三个更加突出"][0] < 40  # near the top


def test_discovery_patterns_and_junk_on_synthetic_docs():
    lex = Lexicon([entry("两个维护")])
    docs = [
        ("a", 2020, ["做到“三个更加突出”，增强“五感”。", "一是加强学习，二是推进“两服务一改进”", "2020年3月5日，两年来开展三次“两个维护”"]),
        ("b", 2021, ["坚持“三个更加突出”。以“一题一写、一人一讲”为载体，推进“网信大讲堂”", "“网信大讲堂”的", "“十九大”"]),
        ("c", None, [float("nan"), "", "Hello"]),
    ]
    df = discover_candidates(docs, lex, top=50, word_freq={})
    terms = df["term"].tolist()
    for want in ["三个更加突出", "五感", "两服务一改进", "一题一写、一人一讲", "网信大讲堂"]:
        assert want in terms, (want, terms)
    for junk in ["一是", "二是", "两年", "三次", "十九大", "两个维护", "两个"]:
        assert junk not in terms
    row = df.set_index("term").loc["三个更加突出"]
    assert row["method"] == "pattern+quoted" and row["doc_freq"] == 2 and row["years"] == "2020|2021"
    assert df.set_index("term").loc["网信大讲堂", "method"] == "quoted"


def test_discovery_on_empty_input():
    assert list(discover_candidates([], SMALL, word_freq={}).columns) == CANDIDATE_COLUMNS
    assert discover_candidates([("x", None, ["", "abc"])], SMALL, word_freq={}).empty


def test_cli_kwic_and_candidates(tmp_path, seed_texts, project_lexicon):
    from typer.testing import CliRunner

    from pipeline.cli import app
    from pipeline.store import write_csv

    runner = CliRunner()
    rows = [(name[:3], i, p) for name, text in sorted(seed_texts.items()) for i, p in enumerate(text.split("\n")) if p.strip()]
    write_csv(tmp_path / "paragraphs.csv", pd.DataFrame(rows, columns=["doc_id", "para_id", "text"]))
    write_csv(tmp_path / "documents.csv", pd.DataFrame({"doc_id": ["000", "001", "002", "003", "004"],
                                                        "year": [2020, 2021, 2019, 2020, 2016], "title": list("ABCDE")}))
    res = runner.invoke(app, ["kwic", "两个维护", "--window", "6", "--out-dir", str(tmp_path)])
    assert res.exit_code == 0, res.output
    lines = res.output.strip().splitlines()
    expected = "".join(seed_texts.values()).count("两个维护")
    assert len(lines) == expected + 1 and lines[-1].startswith(f"{expected} occurrence(s)")
    assert lines[0].startswith("000  2020") and "【两个维护】" in lines[0]
    missing = runner.invoke(app, ["kwic", "两个维护", "--out-dir", str(tmp_path / "nope")])
    assert missing.exit_code == 1 and "Error:" in missing.output

    cands = discover_candidates(seed_docs(seed_texts), project_lexicon, top=30)
    write_csv(tmp_path / "candidates.csv", cands)
    res = runner.invoke(app, ["lexicon", "candidates", "--out-dir", str(tmp_path), "--top", "5"])
    assert res.exit_code == 0, res.output
    assert cands["term"].iloc[0] in res.output and cands["term"].iloc[10] not in res.output
