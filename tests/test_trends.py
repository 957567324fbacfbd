"""Aggregation (pipeline/trends.py) on real Chinese text from the five seed reports.

``build_tables`` / ``build_out_dir`` are also used by test_report, test_api and test_notebooks:
they turn the seed reports into documents/paragraphs/term_hits/word_counts tables (years
assigned so that some years are missing), run the trends functions and write an OUT_DIR the
way the engine does (BOM CSV with formula escaping + Parquet).
"""

from __future__ import annotations

import functools
import math
import re
from collections import Counter
from pathlib import Path

import pandas as pd
import pytest

from pipeline import trends

ROOT = Path(__file__).resolve().parent.parent
SAMPLE_DIR = ROOT / "data" / "raw" / "sample"
LABELS = ["政治建设", "组织建设", "作风建设", "其他"]
TERMS = ["两个维护", "四个意识", "四个自信", "全面从严治党", "党支部", "政治建设", "主体责任", "两学一做"]
LEXICON = pd.DataFrame(
    {
        "term": ["两个维护", "四个意识", "四个自信", "全面从严治党", "党支部", "政治建设", "主体责任", "两学一做"],
        "aliases": ["做到两个维护|坚决做到“两个维护”", "", "", "从严治党", "", "", "", ""],
        "category": ["政治建设", "政治建设", "政治建设", "作风建设", "组织建设", "政治建设", "作风建设", "组织建设"],
        "first_year": [2018, 2016, 2016, 2014, None, 2017, 2004, 2016],
        "level": ["national"] * 8,
        "expansion": [""] * 8,
    }
)
# seed file -> year; 2017, 2018 and 2021 have no documents; one document has no year
YEARS = {
    "000_0251f9872aab0630.txt": 2019,
    "001_52700c0b7c2082a9.txt": 2019,
    "002_6e530d1dddefc870.txt": 2016,
    "003_bd08b3d372a54d52.txt": 2020,
    "004_573ecb3e10642919.txt": None,
}
XSS = "<script>alert(1)</script>"


def _label(text: str) -> str:
    if "政治" in text:
        return "政治建设"
    if "支部" in text or "组织" in text:
        return "组织建设"
    if "作风" in text or "纪律" in text or "廉" in text:
        return "作风建设"
    return "其他"


@functools.lru_cache(maxsize=1)
def _tokenizer():
    import jieba

    tok = jieba.Tokenizer()
    tok.initialize()
    return tok


def _words(text: str) -> Counter:
    tok = _tokenizer()
    return Counter(w for w in tok.lcut(text) if len(w) >= 2 and re.fullmatch(r"[\u4e00-\u9fff]+", w))


def build_tables(*, xss: bool = True, extra_year: int | None = 2022) -> dict[str, pd.DataFrame]:
    """Raw engine-like tables from the seed reports (+ an XSS document in ``extra_year``)."""
    docs, paras = [], []
    texts = {p.name: p.read_text(encoding="utf-8") for p in sorted(SAMPLE_DIR.glob("*.txt"))}
    items = [(name, YEARS[name], f"样本报告 {name[:3]}", text) for name, text in texts.items()]
    if xss and extra_year:
        body = "\n".join(
            [
                f"标题里有 {XSS} 的文件",
                f"正文段落 {XSS} 要增强“四个意识”，坚决做到“两个维护”，加强党的政治建设。",
                "=SUM(A1:A2) 公式开头的段落，推进全面从严治党，落实主体责任，加强作风建设和纪律建设。",
                "加强党支部标准化规范化建设，把党支部建设成为坚强战斗堡垒。",
            ]
        )
        items.append(("xss.txt", extra_year, f"关于{XSS}的报告", body))
    for i, (name, year, title, text) in enumerate(items):
        doc_id = f"d{i:02d}"
        lines = [ln.strip() for ln in text.splitlines() if ln.strip()]
        for j, line in enumerate(lines):
            paras.append(
                {
                    "doc_id": doc_id,
                    "para_id": j,
                    "heading": "",
                    "kind": "body" if len(line) > 30 else "heading",
                    "text": line,
                    "n_chars": len(line),
                    "label": _label(line),
                }
            )
        docs.append(
            {
                "doc_id": doc_id,
                "path": f"sample/{name}",
                "title": title,
                "date": f"{year}-06-01" if year else "",
                "year": year,
                "year_source": "test" if year else "",
                "org": "苏州市级机关" if i % 2 else "",
                "source": "sample",
                "n_chars": sum(len(ln) for ln in lines),
                "n_paragraphs": len(lines),
                "encoding": "utf-8",
            }
        )
    documents = pd.DataFrame(docs)
    documents["year"] = documents["year"].astype("Int64")
    paragraphs = pd.DataFrame(paras)
    for lab in LABELS:
        paragraphs[f"p_{lab}"] = (paragraphs["label"] == lab).astype(float) * 0.7 + 0.1
    paragraphs["uncertain"] = False
    hits, words = [], []
    for doc_id, group in paragraphs.groupby("doc_id"):
        text = "\n".join(group["text"])
        for term in TERMS:
            n = text.count(term)
            if n:
                hits.append({"doc_id": doc_id, "term": term, "count": n})
        for w, n in _words(text).items():
            words.append({"doc_id": doc_id, "word": w, "count": n})
    return {
        "documents": documents,
        "paragraphs": paragraphs,
        "term_hits": pd.DataFrame(hits),
        "word_counts": pd.DataFrame(words),
    }


def build_out_dir(out_dir: Path, *, candidates: bool = True, parquet: bool = True, **kw) -> Path:
    """Write a complete OUT_DIR (the contract's CSVs, optionally Parquet) from the seed reports."""
    from pipeline import store

    t = build_tables(**kw)
    docs, paras = t["documents"], t["paragraphs"]
    tc = trends.term_counts(t["term_hits"], docs)
    tables = {
        "documents": docs.merge(trends.document_shares(paras, LABELS), on="doc_id", how="left"),
        "paragraphs": paras,
        "ingest_log": pd.DataFrame(
            {
                "path": [f"sample/{n}" for n in YEARS] + ["broken.pdf", "<b>bad</b>.txt"],
                "status": ["ok"] * 5 + ["unreadable", "empty"],
                "reason": [""] * 5 + ["PDF has no text layer", "file is empty"],
            }
        ),
        "term_counts": tc,
        "term_trends": trends.term_trends(tc, docs),
        "keyword_frequencies": trends.keyword_frequencies(t["word_counts"], docs),
        "keywords_by_year": trends.keywords_by_year(t["word_counts"], docs),
        "category_shares": trends.category_shares(paras, docs, LABELS),
    }
    if candidates:
        tables["candidates"] = pd.DataFrame(
            {
                "term": ["四强党支部", "-负面清单", XSS],
                "method": ["pmi", "pmi", "pmi"],
                "score": [3.2, 2.1, 1.0],
                "doc_freq": [2, 1, 1],
                "years": ["2019", "2019|2020", "2022"],
                "example": ["深化“四强”党支部创建", "@example", XSS],
            }
        )
    out_dir.mkdir(parents=True, exist_ok=True)
    for name, df in tables.items():
        store.write_csv(out_dir / f"{name}.csv", df, parquet=parquet)
    store.write_csv(out_dir / "formulations.csv", LEXICON)
    return out_dir


@pytest.fixture(scope="module")
def tables():
    return build_tables()


# --------------------------------------------------------------------------- term_counts
def test_term_counts_per_10k_is_per_document_characters(tables):
    docs, hits = tables["documents"], tables["term_hits"]
    tc = trends.term_counts(hits, docs)
    assert list(tc.columns) == trends.TERM_COUNT_COLUMNS
    assert (tc["count"] > 0).all()
    row = tc[(tc["doc_id"] == "d03") & (tc["term"] == "四个意识")].iloc[0]
    n_chars = int(docs.loc[docs["doc_id"] == "d03", "n_chars"].iloc[0])
    assert row["year"] == 2020
    assert row["per_10k"] == pytest.approx(row["count"] * 10_000 / n_chars)
    # the unknown-year document keeps its counts, with an empty year
    assert tc.loc[tc["doc_id"] == "d04", "year"].isna().all()
    assert len(tc[tc["doc_id"] == "d04"]) > 0


def test_term_counts_sums_duplicate_hits_and_drops_unknown_docs():
    docs = pd.DataFrame({"doc_id": ["a"], "year": [2020], "n_chars": [2000]})
    hits = pd.DataFrame({"doc_id": ["a", "a", "zz", "a"], "term": ["两个维护", "两个维护", "两个维护", "四个意识"], "count": [1, 2, 5, 0]})
    tc = trends.term_counts(hits, docs)
    assert tc[["term", "count"]].values.tolist() == [["两个维护", 3]]
    assert tc["per_10k"].iloc[0] == pytest.approx(15.0)


# --------------------------------------------------------------------------- term_trends
def test_term_trends_by_year_denominators_and_doc_share():
    docs = pd.DataFrame(
        {
            "doc_id": ["a", "b", "c", "d"],
            "year": pd.array([2019, 2019, 2021, None], dtype="Int64"),
            "n_chars": [1000, 3000, 500, 800],
            "org": ["甲", "乙", "甲", ""],
            "source": ["s", "s", "s", "t"],
        }
    )
    hits = pd.DataFrame({"doc_id": ["a", "c", "d", "b"], "term": ["两个维护", "两个维护", "两个维护", "四个意识"], "count": [2, 1, 7, 4]})
    tt = trends.term_trends(trends.term_counts(hits, docs), docs)
    assert list(tt.columns[:5]) == trends.TERM_TREND_COLUMNS
    got = tt.set_index(["year", "term"])
    # 2019: 2 uses in 4000 chars of two documents; one of two documents uses it
    assert got.loc[(2019, "两个维护"), "count"] == 2
    assert got.loc[(2019, "两个维护"), "per_10k"] == pytest.approx(5.0)
    assert got.loc[(2019, "两个维护"), "doc_share"] == pytest.approx(0.5)
    # used in 2019 only, but present with zeros in 2021 (a year with documents)
    assert got.loc[(2021, "四个意识"), "count"] == 0
    assert got.loc[(2021, "四个意识"), "doc_share"] == 0
    assert got.loc[(2021, "两个维护"), "per_10k"] == pytest.approx(20.0)
    # unknown-year document d (7 uses) is excluded; 2020 (no documents) is not invented
    assert set(tt["year"]) == {2019, 2021}
    assert tt["count"].sum() == 2 + 1 + 4
    by_org = trends.term_trends(trends.term_counts(hits, docs), docs, by="org").set_index(["org", "term"])
    assert by_org.loc[("甲", "两个维护"), "count"] == 3
    assert by_org.loc[("甲", "两个维护"), "per_10k"] == pytest.approx(3 * 10_000 / 1500)
    # org empty -> falls back to source; unknown year still counted by org
    assert by_org.loc[("t", "两个维护"), "count"] == 7
    with pytest.raises(ValueError):
        trends.term_trends(trends.term_counts(hits, docs), docs, by="month")


def test_trend_matrix_gaps_for_missing_years_zeros_for_unused(tables):
    docs = tables["documents"]
    tt = trends.term_trends(trends.term_counts(tables["term_hits"], docs), docs)
    mat = trends.trend_matrix(tt, ["两个维护", "四个意识", "不存在的提法"], "doc_share")
    assert list(mat.index) == list(range(2016, 2023))
    for missing in (2017, 2018, 2021):
        assert mat.loc[missing].isna().all(), missing
    assert mat.loc[2016, "不存在的提法"] == 0
    assert mat.loc[2020, "两个维护"] == 1.0  # the 2020 work plan says 两个维护
    assert ((mat.dropna() >= 0) & (mat.dropna() <= 1)).all().all()
    with pytest.raises(ValueError):
        trends.trend_matrix(tt, ["两个维护"], "bogus")


def test_single_year_corpus_works():
    docs = pd.DataFrame({"doc_id": ["a", "b"], "year": [2020, 2020], "n_chars": [100, 300]})
    hits = pd.DataFrame({"doc_id": ["a"], "term": ["两个维护"], "count": [1]})
    tt = trends.term_trends(trends.term_counts(hits, docs), docs)
    assert tt[["year", "term", "count"]].values.tolist() == [[2020, "两个维护", 1]]
    assert tt["doc_share"].iloc[0] == 0.5
    mat = trends.trend_matrix(tt, ["两个维护"])
    assert list(mat.index) == [2020] and mat.iloc[0, 0] == pytest.approx(25.0)
    words = pd.DataFrame({"doc_id": ["a", "a", "b"], "word": ["党建", "支部", "党建"], "count": [3, 1, 2]})
    kw = trends.keywords_by_year(words, docs, top=5)
    assert kw["method"].unique().tolist() == ["frequency"]
    assert kw["word"].tolist() == ["党建", "支部"]
    assert kw["score"].iloc[0] == pytest.approx(5 * 10_000 / 6)


# --------------------------------------------------------------------------- keywords
def test_keyword_frequencies_top_n_and_doc_freq(tables):
    docs, words = tables["documents"], tables["word_counts"]
    kf = trends.keyword_frequencies(words, docs, top=10)
    assert list(kf.columns) == trends.KEYWORD_FREQ_COLUMNS
    assert kf.groupby("year").size().max() == 10
    assert set(kf["year"]) == {2016, 2019, 2020, 2022}
    y2019 = kf[kf["year"] == 2019].set_index("word")
    top = y2019.index[0]
    expect = words[words["doc_id"].isin(["d00", "d01"]) & (words["word"] == top)]
    assert y2019.loc[top, "count"] == expect["count"].sum()
    assert y2019.loc[top, "doc_freq"] == len(expect)
    chars_2019 = docs.loc[docs["year"] == 2019, "n_chars"].sum()
    assert y2019.loc[top, "per_10k"] == pytest.approx(expect["count"].sum() * 10_000 / chars_2019)
    assert y2019["count"].is_monotonic_decreasing


def test_keywords_by_year_log_likelihood():
    docs = pd.DataFrame({"doc_id": ["a", "b"], "year": [2019, 2020], "n_chars": [100, 100]})
    words = pd.DataFrame({"doc_id": ["a", "a", "b", "b"], "word": ["脱贫攻坚", "党建", "疫情防控", "党建"], "count": [10, 10, 10, 10]})
    kw = trends.keywords_by_year(words, docs, top=5)
    assert kw[["year", "word"]].values.tolist() == [[2019, "脱贫攻坚"], [2020, "疫情防控"]]
    # G2 for a=10 of c=20 vs b=0 of d=20: 2*10*ln(10/5) = 13.8629
    assert kw["score"].iloc[0] == pytest.approx(2 * 10 * math.log(2), rel=1e-4)
    assert (kw["method"] == "g2").all()


# --------------------------------------------------------------------------- categories
def test_category_shares_sum_to_one_and_every_category_present(tables):
    docs, paras = tables["documents"], tables["paragraphs"]
    cs = trends.category_shares(paras, docs, LABELS)
    assert list(cs.columns) == trends.CATEGORY_SHARE_COLUMNS
    assert set(cs["year"]) == {2016, 2019, 2020, 2022}  # unknown year excluded
    sums = cs.groupby("year")["share"].sum()
    assert sums.values == pytest.approx([1.0] * len(sums))
    assert all(cats == LABELS for cats in cs.groupby("year")["category"].apply(list))
    # char weighting: 2019 political share = political chars / all chars in 2019
    p19 = paras[paras["doc_id"].isin(["d00", "d01"])]
    want = p19.loc[p19["label"] == "政治建设", "n_chars"].sum() / p19["n_chars"].sum()
    got = cs[(cs["year"] == 2019) & (cs["category"] == "政治建设")]
    assert got["share"].iloc[0] == pytest.approx(want)
    assert got["n_paragraphs"].iloc[0] == (p19["label"] == "政治建设").sum()


def test_category_shares_zero_category_and_unlabelled():
    docs = pd.DataFrame({"doc_id": ["a"], "year": [2021], "n_chars": [30]})
    paras = pd.DataFrame({"doc_id": ["a", "a", "a"], "text": ["一" * 10, "二" * 30, "三" * 5], "label": ["政治建设", "组织建设", ""]})
    cs = trends.category_shares(paras, docs, LABELS).set_index("category")
    assert cs.loc["政治建设", "share"] == pytest.approx(0.25)  # n_chars from text length
    assert cs.loc["组织建设", "share"] == pytest.approx(0.75)
    assert cs.loc["作风建设", "share"] == 0 and cs.loc["作风建设", "n_paragraphs"] == 0
    ds = trends.document_shares(paras, LABELS)
    assert list(ds.columns) == ["doc_id"] + [f"share_{c}" for c in LABELS]
    assert ds.iloc[0, 1:].sum() == pytest.approx(1.0)
    mat = trends.category_matrix(trends.category_shares(paras, docs, LABELS), LABELS)
    assert list(mat.columns) == LABELS


def test_category_matrix_gaps(tables):
    cs = trends.category_shares(tables["paragraphs"], tables["documents"], LABELS)
    mat = trends.category_matrix(cs, LABELS)
    assert list(mat.index) == list(range(2016, 2023))
    assert mat.loc[2018].isna().all()
    assert mat.loc[2019].sum() == pytest.approx(1.0)


# --------------------------------------------------------------------------- first appearance, examples
def test_first_appearance(tables):
    docs = tables["documents"]
    tc = trends.term_counts(tables["term_hits"], docs)
    fa = trends.first_appearance(tc, docs, LEXICON).set_index("term")
    assert list(fa.reset_index().columns) == trends.FIRST_APPEARANCE_COLUMNS
    used = tc[tc["term"] == "两个维护"]
    assert fa.loc["两个维护", "first_year_corpus"] == used["year"].min()
    assert fa.loc["两个维护", "last_year_corpus"] == 2022
    assert fa.loc["两个维护", "first_year_national"] == 2018
    assert fa.loc["两个维护", "n_docs"] == used["doc_id"].nunique()
    assert pd.isna(fa.loc["党支部", "first_year_national"])


def test_examples_rule_and_unknown_documents():
    """Long body paragraphs first, one per document before a second, then by year (unknown
    last); a paragraph of a document not in ``documents`` keeps an empty title and year."""
    paras = pd.DataFrame(
        {
            "doc_id": ["a", "a", "b", "c", "zz"],
            "para_id": [0, 1, 0, 0, 0],
            "kind": ["heading", "body", "body", "body", "body"],
            "label": ["作风建设"] * 5,
            "text": [
                "作风建设",
                "持续整治形式主义官僚主义，为基层减负，作风建设永远在路上。",
                "作风建设是一项长期任务，必须常抓不懈、久久为功，驰而不息。",
                "作风建设要坚持问题导向，聚焦四风突出问题开展专项整治工作。",
                "作风建设要持之以恒，正风肃纪反腐，一体推进不敢腐不能腐不想腐。",
            ],
        }
    )
    docs = pd.DataFrame({"doc_id": ["a", "b", "c"], "title": ["甲", "乙", "丙"], "year": [2021, 2019, None]})
    ex = trends.examples(paras, docs, term="作风建设", n=5)
    assert list(ex.columns) == trends.EXAMPLE_COLUMNS
    # a's body is its second matching paragraph, so it waits for the other documents' first;
    # b (2019) before c (year unknown) and zz (unknown document); a's short heading last
    assert list(zip(ex["doc_id"], ex["para_id"])) == [("b", 0), ("c", 0), ("zz", 0), ("a", 1), ("a", 0)]
    assert pd.isna(ex["title"].iloc[2]) and pd.isna(ex["year"].iloc[2]) and str(ex["year"].dtype) == "Int64"
    assert trends.examples(paras, docs, term="作风建设", year=2021, n=5)["para_id"].tolist() == [1, 0]
    assert trends.examples(paras, docs, category="其他").empty
    index = trends.ExampleIndex(paras, docs)
    assert index.records(index.pick(index.rows(term="四风"), 3)) == [
        {"doc_id": "c", "para_id": 0, "title": "丙", "year": None, "text": paras["text"][3]}
    ]


def test_examples_filters_and_aliases(tables):
    ex = trends.examples(tables["paragraphs"], tables["documents"], term="两个维护", n=10, lexicon=LEXICON)
    assert not ex.empty
    assert ex["text"].str.contains("两个维护").all()
    assert ex["doc_id"].iloc[0] != ex["doc_id"].iloc[1]  # one per document first
    ex = trends.examples(tables["paragraphs"], tables["documents"], category="作风建设", year=2022, n=3)
    assert len(ex) == 1 and ex["title"].iloc[0].startswith("关于") and ex["year"].iloc[0] == 2022
    assert trends.lexicon_aliases(LEXICON, "两个维护") == ["两个维护", "做到两个维护", "坚决做到“两个维护”"]
