"""pipeline.store.runs: RunTables.trend / query / kwic / examples for requests outside the run's
tables (counted on the fly), patterns, traditional text, and requests found nowhere."""

from __future__ import annotations

import logging

import pandas as pd
import pytest

from pipeline import trends
from pipeline.lexicon import Entry, Lexicon
from pipeline.store import write_csv
from pipeline.store.runs import RunTables
from pipeline.terms import TermMatcher

LEXICON = pd.DataFrame(
    {
        "term": ["两个维护", "四个意识", "四个自信", "一岗双责"],
        "aliases": ["两个坚决维护", "", "", ""],
        "category": ["政治"] * 4,
        "first_year": [2018, 2016, 2016, None],
        "level": ["national"] * 4,
        "expansion": [""] * 4,
    }
)
PARAGRAPHS = [  # doc_id, text
    ("a", "坚决做到“两个维护”，推进“红船精神”进校园。"),
    ("a", "增强四个意识，坚定四个自信，弘扬红船精神。"),
    ("b", "堅決做到「兩個維護」，落實「一崗雙責」，弘揚紅船精神。"),  # traditional
    ("b", "樹立四個意識，堅定四個自信。"),
    ("c", "学习红船精神，牢记“两个务必”。"),
    ("d", "年份不明的文件也讲红船精神和四个意识。"),
]
DOCUMENTS = pd.DataFrame({"doc_id": ["a", "b", "c", "d"], "year": [2019, 2019, 2021, None], "title": ["甲", "乙", "丙", "丁"]})


def _lexicon() -> Lexicon:
    return Lexicon(
        [Entry(t, tuple(a for a in al.split("|") if a), "政治", None, "national", "", 0) for t, al in zip(LEXICON["term"], LEXICON["aliases"])]
    )


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory):
    """A run folder as `dangjian run` writes it: the lexicon terms counted by the matcher."""
    out = tmp_path_factory.mktemp("run")
    paragraphs = pd.DataFrame(
        [
            {"doc_id": d, "para_id": i, "heading": "", "kind": "body", "text": t, "n_chars": len(t), "label": "其他"}
            for i, (d, t) in enumerate(PARAGRAPHS)
        ]
    )
    docs = DOCUMENTS.assign(n_chars=[int(paragraphs.loc[paragraphs["doc_id"] == d, "n_chars"].sum()) for d in DOCUMENTS["doc_id"]])
    matcher = TermMatcher(_lexicon())
    hits = pd.DataFrame([(d, term, n) for d, t in PARAGRAPHS for term, n in matcher.count(t).items()], columns=["doc_id", "term", "count"])
    tc = trends.term_counts(hits, docs)
    for name, df in {"documents": docs, "paragraphs": paragraphs, "term_counts": tc, "term_trends": trends.term_trends(tc, docs)}.items():
        write_csv(out / f"{name}.csv", df)
    write_csv(out / "formulations.csv", LEXICON)
    return out


@pytest.fixture()
def run(run_dir) -> RunTables:
    return RunTables.load(run_dir)


def test_lexicon_terms_come_from_the_tables_traditional_included(run):
    t = run.trend("两个维护", "一岗双责", measure="doc_share")
    assert list(t.columns) == ["两个维护", "一岗双责"]
    assert t.loc[2019, "两个维护"] == 1.0 and t.loc[2019, "一岗双责"] == 0.5  # b is traditional
    assert pd.isna(t.loc[2020, "两个维护"])  # no documents in 2020: a gap
    assert t.attrs["counted_on_the_fly"] == [] and t.attrs["not_found"] == {}
    # an alias, a traditional spelling: read as the canonical term
    t2 = run.trend("兩個維護", "两个坚决维护")
    assert list(t2.columns) == ["两个维护"] and t2.attrs["resolved"] == {"兩個維護": "两个维护", "两个坚决维护": "两个维护"}


def test_a_term_outside_the_lexicon_is_counted_on_the_fly(run, caplog):
    with caplog.at_level(logging.WARNING, logger="pipeline.store.runs"):
        t = run.trend("红船精神", measure="per_10k")
    assert t.attrs["counted_on_the_fly"] == ["红船精神"]
    assert any("counted on the fly" in r.message and "红船精神 (5)" in r.message for r in caplog.records)
    chars_2019 = sum(len(x) for d, x in PARAGRAPHS if d in ("a", "b"))
    assert t.loc[2019, "红船精神"] == pytest.approx(3 * 10_000 / chars_2019)  # 2 in a, 1 traditional in b
    assert run.query("红船精神").totals == {"红船精神": 5}  # the document of unknown year too
    k = run.kwic("红船精神")
    assert len(k) == 5 and k.attrs["counted_on_the_fly"] == ["红船精神"]
    assert "紅船精神" in k["match"].tolist()  # the characters as written
    by_year = k.dropna(subset=["year"]).groupby("year").size()
    counted = run.query("红船精神").term_trends.query("term == '红船精神'").set_index("year")["count"]
    assert by_year.to_dict() == {y: n for y, n in counted.items() if n}


def test_found_nowhere_is_said_with_the_nearest_entries(run, caplog):
    with caplog.at_level(logging.WARNING, logger="pipeline.store.runs"):
        t = run.trend("两个维户", "四个意识")
    assert list(t.attrs["not_found"]) == ["两个维户"] and t.attrs["not_found"]["两个维户"][0] == "两个维护"
    assert (t.loc[[2019, 2021], "两个维户"] == 0).all()  # zeros, but said to be found nowhere
    assert any("两个维户: found nowhere" in r.message and "两个维护" in r.message for r in caplog.records)
    asked = run.query("两个维户")
    assert not asked.found_any and run.query("两个维户", "四个意识").found_any
    k = run.kwic("两个维户")
    assert k.empty and k.attrs["not_found"]["两个维户"][0] == "两个维护"


def test_a_lexicon_term_no_document_uses_is_named(tmp_path, run_dir):
    lex = LEXICON.copy()
    lex.loc[len(lex)] = ["三会一课", "", "组织", None, "national", ""]
    write_csv(tmp_path / "formulations.csv", lex)
    run = RunTables.load(run_dir, lexicon=tmp_path / "formulations.csv")
    t = run.trend("三会一课")
    assert t.attrs["unused"] == ["三会一课"] and (t.loc[[2019, 2021], "三会一课"] == 0).all()
    assert "三会一课: in the lexicon, used in no document of this run" in run.query("三会一课").notes()


def test_patterns_give_each_formulation_and_the_total(run):
    t = run.trend("四个*", "re:两个(维护|务必)", measure="per_10k")
    assert list(t.columns) == ["四个意识", "四个自信", "四个*", "两个维护", "两个务必", "re:两个(维护|务必)"]
    assert t.attrs["patterns"] == {"四个*": ["四个意识", "四个自信"], "re:两个(维护|务必)": ["两个维护", "两个务必"]}
    filled = t.fillna(0)
    assert filled["四个*"].tolist() == pytest.approx((filled["四个意识"] + filled["四个自信"]).tolist())
    shares = run.trend("四个*", measure="doc_share")
    assert shares.loc[2019, "四个*"] == 1.0 and shares.loc[2021, "四个*"] == 0.0
    asked = run.query("四个*")
    assert asked.totals == {"四个意识": 3, "四个自信": 2, "四个*": 5}
    k = run.kwic("四个*")
    assert k["term"].value_counts().to_dict() == {"四个意识": 3, "四个自信": 2}
    assert "四個意識" in k["match"].tolist()


def test_paragraphs_are_read_when_needed_and_years_widen(run_dir):
    run = RunTables.load(run_dir, skip=("paragraphs",))
    assert run.paragraphs.empty
    t = run.trend("红船精神", years=[2017])
    assert list(t.index) == [2017, 2018, 2019, 2020, 2021] and t.loc[2019, "红船精神"] > 0
    assert not run.paragraphs.empty


def test_examples_find_traditional_paragraphs(run):
    ex = run.examples(term="紅船精神", n=10)
    assert len(ex) == 5 and set(ex["doc_id"]) == {"a", "b", "c", "d"}
    assert any("紅船精神" in x for x in ex["text"])
    assert run.examples(term="一岗双责")["doc_id"].tolist() == ["b"]
    assert run.examples(term="红船精神", year=2021)["doc_id"].tolist() == ["c"]


def test_a_formulation_asked_twice_is_one_column_counted_once(run):
    t = run.trend("re:红船精神", "红船精神", "红船精神 ", measure="per_10k")
    assert list(t.columns) == ["红船精神", "re:红船精神"]
    assert t["红船精神"].fillna(-1).tolist() == t["re:红船精神"].fillna(-1).tolist()
    assert run.query("re:红船精神", "红船精神").totals == {"红船精神": 5, "re:红船精神": 5}
