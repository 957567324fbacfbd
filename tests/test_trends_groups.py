"""Grouping by any document column, keyness between two groups, organisation names."""

from __future__ import annotations

import math

import pandas as pd
import pytest
from typer.testing import CliRunner

from pipeline import trends
from pipeline.cli import app
from pipeline.orgs import OrgNames, load_orgs, pattern_name


def _docs():
    return pd.DataFrame(
        {
            "doc_id": ["a", "b", "c", "d"],
            "year": [2020, 2020, 2021, 2021],
            "n_chars": [1000, 1000, 2000, 2000],
            "genre": ["述职", "述职", "民主生活会", ""],
            "org": ["X党委", "X党委", "Y党委", "Y党委"],
        }
    )


def test_term_trends_and_category_shares_by_any_document_column():
    docs = _docs()
    tc = pd.DataFrame({"doc_id": ["a", "b", "c"], "term": ["两个维护"] * 3, "count": [2, 0, 4]})
    tt = trends.term_trends(tc, docs, by="genre")
    assert tt.columns[0] == "genre"
    got = dict(zip(tt["genre"], tt["count"]))
    assert got == {"述职": 2, "民主生活会": 4, trends.UNKNOWN_GROUP: 0}
    assert tt.loc[tt["genre"] == "述职", "per_10k"].iloc[0] == pytest.approx(2 * 10_000 / 2000)
    paras = pd.DataFrame({"doc_id": ["a", "a", "c", "d"], "label": ["政治建设", "其他", "其他", "其他"], "n_chars": [30, 10, 50, 50]})
    cs = trends.category_shares(paras, docs, ["政治建设", "其他"], by="genre")
    share = cs.set_index(["genre", "category"])["share"]
    assert share[("述职", "政治建设")] == pytest.approx(0.75) and share[("民主生活会", "其他")] == 1.0
    with pytest.raises(ValueError, match="no column 'level'"):
        trends.term_trends(tc, docs, by="level")


def test_keyness_g2_matches_the_formula_and_is_signed():
    a = pd.Series({"两个维护": 30, "党课": 5, "其他词": 10})
    b = pd.Series({"两个维护": 10, "党课": 40, "其他词": 10})
    out = trends.keyness(a, b, total_a=1000, total_b=1000, min_count=1).set_index("item")
    ca, cb = 30.0, 10.0
    e1 = 1000 * (ca + cb) / 2000
    expected = 2 * (ca * math.log(ca / e1) + cb * math.log(cb / e1))
    assert out.loc["两个维护", "g2"] == pytest.approx(round(expected, 4))
    assert out.loc["两个维护", "key_for"] == "a" and out.loc["党课", "key_for"] == "b" and out.loc["党课", "g2"] < 0
    assert "其他词" not in out.index or out.loc["其他词", "g2"] == 0


@pytest.mark.parametrize(
    "raw, canonical",
    [
        ("中共绍兴市第一中学委员会", "绍兴市第一中学党委"),
        ("中共绍兴一中党委", "绍兴一中党委"),
        ("某公司党委会", "某公司党委"),
        ("中国共产党某县纪律检查委员会", "某县纪委"),
        ("中共某校高三年级支部委员会", "某校高三年级支部"),
        ("共青团某中学委员会", "共青团某中学团委"),
        (" 某  局党组 ", "某局党组"),
        ("", ""),
    ],
)
def test_org_patterns(raw, canonical):
    assert pattern_name(raw) == canonical


def test_orgs_csv_joins_spellings_and_is_validated(tmp_path):
    (tmp_path / "orgs.csv").write_text("name,aliases\n中共甲市第一中学委员会,甲市一中党委|甲一中\n", encoding="utf-8")
    names = load_orgs(tmp_path)
    assert {names(n) for n in ("中共甲市第一中学委员会", "甲市一中党委", "中共甲市一中委员会", "甲一中")} == {"甲市第一中学党委"}
    assert OrgNames()("中共乙委员会") == "乙党委"
    (tmp_path / "orgs.csv").write_text("name,aliases\nA党委,B党委\nC党委,B党委\n", encoding="utf-8")
    res = CliRunner().invoke(app, ["lexicon", "check", "--dir", str(tmp_path)])
    assert res.exit_code == 1


@pytest.fixture(scope="module")
def grouped_run(tmp_path_factory, sample_dir):
    raw = tmp_path_factory.mktemp("raw")
    names = sorted(p.name for p in sample_dir.glob("*.txt"))
    for name in names:
        (raw / name).write_bytes((sample_dir / name).read_bytes())
    rows = ["file,genre,level"] + [f"{n},{'讲话' if i % 2 else '要点'},{'central' if i < 3 else 'local'}" for i, n in enumerate(names)]
    (raw / "metadata.csv").write_text("\n".join(rows) + "\n", encoding="utf-8")
    out = tmp_path_factory.mktemp("out")
    res = CliRunner().invoke(app, ["run", str(raw), "--out", str(out), "--by", "genre", "--by", "level", "--no-report"])
    assert res.exit_code == 0, res.output
    return out


def test_run_by_writes_grouped_tables_and_carries_sheet_columns(grouped_run):
    for stem in ("term_trends", "category_shares", "keyword_frequencies", "keywords"):
        for col in ("genre", "level"):
            table = pd.read_csv(grouped_run / f"{stem}_by_{col}.csv", encoding="utf-8-sig")
            assert table.columns[0] == col and len(table)
    docs = pd.read_csv(grouped_run / "documents.csv", encoding="utf-8-sig")
    assert {"genre", "level", "org_raw"} <= set(docs.columns)
    cs = pd.read_csv(grouped_run / "category_shares_by_level.csv", encoding="utf-8-sig")
    assert cs.groupby("level")["share"].sum().round(6).eq(1).all()


def test_keyness_from_the_api_and_the_cli(grouped_run, tmp_path):
    from pipeline import Corpus

    c = Corpus.load(grouped_run)
    table = c.keyness("genre=讲话", "genre=要点", top=5)
    assert set(table["key_for"]) <= {"a", "b"} and table.attrs["n_docs_a"] >= 1
    assert c.shares(by="level").index.tolist() == ["central", "local"]
    res = CliRunner().invoke(app, ["keyness", "level=central", "--out", str(grouped_run), "--top", "3", "--csv", str(tmp_path / "k.csv")])
    assert res.exit_code == 0, res.output
    assert "key for a" in res.output and (tmp_path / "k.csv").is_file()
    bad = CliRunner().invoke(app, ["keyness", "level=nowhere", "--out", str(grouped_run)])
    assert bad.exit_code == 1 and "has no documents" in bad.output


def test_a_yearly_series_with_a_doubled_year_next_to_an_empty_one_is_reported():
    docs = pd.DataFrame({"doc_id": list("abcde"), "genre": ["述职述廉"] * 5, "org": ["X党委"] * 5, "year": [2019, 2020, 2020, 2022, 2023]})
    notes = trends.series_gaps(docs)
    assert len(notes) == 1 and "2 documents in 2020, none in 2021" in notes[0]
    docs["year"] = [2019, 2020, 2021, 2022, 2023]
    assert trends.series_gaps(docs) == []


def test_corpus_trend_by_a_document_column(grouped_run):
    from pipeline import Corpus

    c = Corpus.load(grouped_run)
    by_level = c.trend("两个维护", "党员干部", by="level")
    assert by_level.index.name == "level" and set(by_level.index) == {"central", "local"}
    assert list(by_level.columns) == ["两个维护", "党员干部"]
    assert by_level.attrs["counted_on_the_fly"] == ["党员干部"]  # outside the lexicon, counted literally
    by_year = c.trend("两个维护")
    assert by_level["两个维护"].notna().all() and by_year["两个维护"].notna().any()
