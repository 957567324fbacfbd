"""The notebook API (pipeline/api.py): Corpus.load and its helpers, on the seed reports (Corpus.plot_trend: tests/report/test_report_notebook.py)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from test_trends import LABELS, XSS, build_out_dir

import pipeline
from pipeline.api import TABLES, Corpus, read_table
from pipeline.errors import InputError


@pytest.fixture(scope="module")
def out_dirs(tmp_path_factory) -> dict[str, Path]:
    base = tmp_path_factory.mktemp("api")
    return {
        "parquet": build_out_dir(base / "pq", parquet=True),
        "csv": build_out_dir(base / "csv", parquet=False, candidates=False),
    }


@pytest.fixture(scope="module", params=["parquet", "csv"])
def corpus(request, out_dirs) -> Corpus:
    return Corpus.load(out_dirs[request.param])


def test_lazy_export():
    assert pipeline.Corpus is Corpus


def test_load_tables_and_types(corpus):
    assert len(corpus.documents) == 6 and len(corpus.paragraphs) > 100
    assert str(corpus.documents["year"].dtype) == "Int64"
    assert corpus.documents["year"].isna().sum() == 1
    assert pd.api.types.is_integer_dtype(corpus.term_counts["count"])
    assert pd.api.types.is_float_dtype(corpus.term_trends["doc_share"])
    assert corpus.paragraphs["uncertain"].dtype == bool
    assert corpus.category_shares.groupby("year")["share"].sum().values == pytest.approx([1.0] * 4)
    # the formula guard of the CSV is undone; the XSS text survives as data
    assert corpus.paragraphs["text"].str.startswith("=SUM(A1:A2)").sum() == 1
    assert corpus.paragraphs["text"].str.contains(XSS, regex=False).sum() == 2
    assert "Corpus(" in repr(corpus) and "2016-2022" in repr(corpus)


def test_missing_tables_are_empty_with_contract_columns(out_dirs):
    c = Corpus.load(out_dirs["csv"])  # built without candidates
    assert c.candidates.empty and list(c.candidates.columns) == TABLES["candidates"]
    assert read_table(out_dirs["csv"], "nothing_here", ["a", "b"]).columns.tolist() == ["a", "b"]


def test_load_without_a_run_says_what_to_do(tmp_path):
    with pytest.raises(InputError, match="dangjian run"):
        Corpus.load(tmp_path)


def test_trend_year_by_term(corpus):
    t = corpus.trend("两个维护", "四个意识", measure="doc_share")
    assert list(t.columns) == ["两个维护", "四个意识"]
    assert list(t.index) == list(range(2016, 2023))
    assert t.loc[[2017, 2018, 2021]].isna().all().all()  # gaps, not zeros
    assert t.loc[2019, "四个意识"] == pytest.approx(0.5)  # one of the two 2019 documents
    assert t.loc[2016, "四个意识"] == 0
    per = corpus.trend("两个维护")
    docs = corpus.documents.set_index("doc_id")
    tc = corpus.term_counts
    c2020 = tc[(tc["term"] == "两个维护") & (tc["year"] == 2020)]["count"].sum()
    assert per.loc[2020, "两个维护"] == pytest.approx(c2020 * 10_000 / docs.loc[docs["year"] == 2020, "n_chars"].sum())
    assert len(corpus.trend().columns) == 6  # default: top 6
    with pytest.raises(ValueError, match="per_10k"):
        corpus.trend("两个维护", measure="percent")


def test_kwic(corpus):
    k = corpus.kwic("两个维护", window=6)
    assert {"doc_id", "year", "title", "left", "match", "right"} <= set(k.columns)
    assert len(k) >= 5
    assert k["match"].str.contains("两个维护").all()
    assert (k["left"].str.len() <= 6).all() and (k["right"].str.len() <= 6).all()
    assert set(k["year"].dropna()) <= {2016, 2019, 2020, 2022}
    assert corpus.kwic("不存在的提法").empty


def test_shares(corpus):
    s = corpus.shares()
    assert list(s.columns) == LABELS
    assert s.dropna().sum(axis=1).values == pytest.approx([1.0] * 4)
    assert s.loc[2018].isna().all()
    by_org = corpus.shares(by="org")
    assert "苏州市级机关" in by_org.index and by_org.sum(axis=1).values == pytest.approx([1.0] * len(by_org))
    by_doc = corpus.shares(by="doc")
    assert len(by_doc) == 6 and by_doc.filter(like="share_").sum(axis=1).values == pytest.approx([1.0] * 6)
    with pytest.raises(ValueError):
        corpus.shares(by="month")


def test_examples(corpus):
    ex = corpus.examples(category="作风建设", year=2022)
    assert len(ex) == 1 and ex["label"].iloc[0] == "作风建设" and ex["year"].iloc[0] == 2022
    ex = corpus.examples(term="四个意识", n=2)
    assert len(ex) == 2 and ex["text"].str.contains("四个意识").all() and ex["title"].str.len().gt(0).all()


def test_first_appearance_uses_lexicon(corpus):
    fa = corpus.first_appearance().set_index("term")
    assert fa.loc["两个维护", "first_year_national"] == 2018
    assert fa.loc["四个意识", "first_year_corpus"] == 2019
    assert fa.loc["四个自信", "last_year_corpus"] == 2020


def test_from_frames_is_what_load_reads(out_dirs, tmp_path):
    """The charts are drawn from the run's frames in memory: Corpus.from_frames must give the
    same tables (values and dtypes) as writing them with store.write_csv and loading them."""
    from pipeline import store

    src = Corpus.load(out_dirs["parquet"])
    frames = {name: getattr(src, name) for name in ("documents", "term_counts", "term_trends", "keywords_by_year", "category_shares")}
    frames["documents"] = frames["documents"].assign(year=frames["documents"]["year"].astype("float64"))  # as a run has it before writing
    out = tmp_path / "out"
    for name, df in frames.items():
        store.write_csv(out / f"{name}.csv", df, parquet=True)
    loaded, built = Corpus.load(out), Corpus.from_frames(out, frames)
    for name in TABLES:
        pd.testing.assert_frame_equal(getattr(built, name), getattr(loaded, name), check_index_type=True)
    assert str(built.documents["year"].dtype) == "Int64"


# --------------------------------------------------------------------------- terms outside the lexicon
def test_a_term_outside_the_lexicon_gives_the_same_numbers_everywhere(out_dirs, caplog):
    """Corpus.trend, `dangjian plot terms` and `dangjian kwic` count 四强 (not in this run's
    lexicon) on the stored paragraphs alike, and say so."""
    import logging

    from typer.testing import CliRunner

    from pipeline.cli import app

    out = out_dirs["csv"]
    corpus = Corpus.load(out)
    with caplog.at_level(logging.WARNING, logger="pipeline.store.runs"):
        t = corpus.trend("四强", "两个维护", measure="per_10k")
    assert t.attrs["counted_on_the_fly"] == ["四强"] and any("四强" in r.message for r in caplog.records)
    k = corpus.kwic("四强")
    n = len(k)
    assert n >= 5 and corpus.query("四强").totals["四强"] == n
    chars = corpus.documents.dropna(subset=["year"]).groupby("year")["n_chars"].sum()
    counts = (t["四强"] * chars.reindex(t.index) / 10_000).dropna().round().astype(int)
    assert counts[counts > 0].to_dict() == k.dropna(subset=["year"]).groupby("year").size().to_dict()

    runner = CliRunner()
    res = runner.invoke(app, ["plot", "terms", "四强", "两个维护", "--out", str(out), "--dpi", "60"])
    assert res.exit_code == 0, res.output
    assert f"note: counted on the fly on the stored paragraphs (not in the lexicon): 四强 ({n})" in res.output
    assert (out / "figures" / "terms_四强_两个维护.png").is_file()
    res = runner.invoke(app, ["kwic", "四强", "--out", str(out)])
    assert res.exit_code == 0 and res.output.strip().splitlines()[-1].startswith(f"{n} occurrence(s)")


def test_plot_terms_found_nowhere_exits_1_and_draws_nothing(out_dirs):
    from typer.testing import CliRunner

    from pipeline.cli import app

    out = out_dirs["csv"]
    res = CliRunner().invoke(app, ["plot", "terms", "两个维户", "--out-dir", str(out)])
    assert res.exit_code == 1
    assert "note: 两个维户: found nowhere in this run; nearest lexicon entries: 两个维护" in res.output
    assert not (out / "figures" / "terms_两个维户.png").exists()


def test_patterns_in_the_notebook_api(corpus):
    t = corpus.trend("四个*")
    assert t.columns[-1] == "四个*" and {"四个意识", "四个自信"} <= set(t.columns)
    assert set(t.attrs["patterns"]["四个*"]) >= {"四个意识", "四个自信"}
    members = t.drop(columns="四个*").fillna(0).sum(axis=1)
    assert t["四个*"].fillna(0).tolist() == pytest.approx(members.tolist())
    k = corpus.kwic("re:四个(意识|自信)")
    assert set(k["term"]) == {"四个意识", "四个自信"}
