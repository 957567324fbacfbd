"""The run's figures from a run folder (pipeline/report/figures.py) and the `plot` / `report` commands."""

from __future__ import annotations

import dataclasses
import warnings

import pandas as pd
import pytest
from report_helpers import STANDARD, built_run, png_size
from test_trends import LABELS, build_out_dir, build_tables
from typer.testing import CliRunner

from pipeline import trends
from pipeline.cli import app
from pipeline.errors import InputError
from pipeline.report import charts, figures


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory):
    return built_run(tmp_path_factory)


def test_make_figures_writes_png_and_svg(run_dir):
    fig_dir = run_dir / "figures"
    for name in STANDARD + ["documents_per_year"]:
        png, svg = fig_dir / f"{name}.png", fig_dir / f"{name}.svg"
        assert png.stat().st_size > 10_000, name
        w, h = png_size(png)
        assert w > 400 and h > 200, name
        text = svg.read_text(encoding="utf-8")
        assert text.lstrip().startswith("<?xml") and "<svg" in text and len(text) > 10_000, name
    assert not list(fig_dir.glob("*.tmp")) and not list(fig_dir.glob(".*"))  # atomic writes left no temp files
    assert {p.stem for p in fig_dir.glob("*.png")} >= set(figures.FIGURE_NAMES)


def test_dpi_300_doubles_resolution(run_dir, tmp_path):
    out = build_out_dir(tmp_path / "out", parquet=False)
    paths = figures.make_figures(out, dpi=300, measure="doc_share")
    hi = png_size(out / "figures" / "category_shares.png")
    lo = png_size(run_dir / "figures" / "category_shares.png")
    assert hi[0] == pytest.approx(2 * lo[0], rel=0.05)
    assert len([p for p in paths if p.suffix == ".png"]) >= 5


def test_single_year_corpus_draws_bars(tmp_path):
    from pipeline import store
    from pipeline.report.page import write_report

    t = build_tables(xss=False)
    docs = t["documents"].assign(year=pd.array([2020] * len(t["documents"]), dtype="Int64"))
    tc = trends.term_counts(t["term_hits"], docs)
    out = tmp_path / "one"
    for name, df in {
        "documents": docs,
        "paragraphs": t["paragraphs"],
        "term_counts": tc,
        "term_trends": trends.term_trends(tc, docs),
        "keywords_by_year": trends.keywords_by_year(t["word_counts"], docs),
        "category_shares": trends.category_shares(t["paragraphs"], docs, LABELS),
    }.items():
        store.write_csv(out / f"{name}.csv", df)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        paths = figures.make_figures(out)
        html = write_report(out, figures=paths).read_text(encoding="utf-8")
    assert len([p for p in paths if p.suffix == ".png"]) >= 5
    assert "<td>2020</td>" in html and "distinctive words (frequency)" in html
    shares = trends.category_matrix(pd.read_csv(out / "category_shares.csv", encoding="utf-8-sig"), LABELS)
    chart = charts.category_chart(shares, trends.docs_per_year(docs))
    assert chart.count("bar") == int((shares.iloc[0] > 0).sum()) >= 2 and not chart.count("area")  # one stacked bar


def test_only_draws_a_subset_and_term_trends_falls_back_to_term_counts(run_dir, tmp_path):
    import shutil

    copy = tmp_path / "copy"
    shutil.copytree(run_dir, copy)
    paths = figures.make_figures(copy, only=["documents_per_year"])
    assert sorted(p.name for p in paths) == ["documents_per_year.png", "documents_per_year.svg"]
    c = figures.load_tables(copy)
    without = dataclasses.replace(c, term_trends=c.term_trends.iloc[0:0])  # a run without term_trends
    pd.testing.assert_frame_equal(figures.term_trends(without), trends.term_trends(c.term_counts, c.documents))
    assert figures.term_trends(c) is c.term_trends
    with pytest.raises(InputError, match="measure"):
        figures.make_figures(copy, measure="percent")


def test_current_figures_only_when_newer_than_every_table(run_dir, tmp_path):
    import os
    import shutil

    copy = tmp_path / "copy"
    shutil.copytree(run_dir, copy)
    newest = max(p.stat().st_mtime for p in copy.iterdir() if p.suffix in (".csv", ".parquet"))
    for p in (copy / "figures").glob("*.png"):
        os.utime(p, (newest + 10, newest + 10))
    assert [p.stem for p in figures.current_figures(copy)] == list(figures.FIGURE_NAMES)
    os.utime(copy / "documents.csv", (newest + 20, newest + 20))  # a table written after the figures
    assert figures.current_figures(copy) is None
    (copy / "figures" / "trend_terms.png").unlink()
    assert figures.current_figures(copy) is None


def test_figures_are_reproducible(run_dir, tmp_path):
    import shutil

    copy = tmp_path / "copy"
    shutil.copytree(run_dir, copy)
    figures.make_figures(copy)
    for path in (run_dir / "figures").iterdir():
        assert (copy / "figures" / path.name).read_bytes() == path.read_bytes(), path.name


def test_slug_keeps_chinese_and_is_safe():
    assert figures.slug("两个维护 四个意识") == "两个维护_四个意识"
    assert "/" not in figures.slug("../../etc/passwd")
    assert len(figures.slug("提法" * 100)) <= 60


def test_missing_out_dir_is_an_input_error(tmp_path):
    from pipeline.report.page import write_report

    with pytest.raises(InputError, match="dangjian run"):
        figures.make_figures(tmp_path / "nope")
    (tmp_path / "empty").mkdir()
    with pytest.raises(InputError, match="dangjian run"):
        write_report(tmp_path / "empty")


# --------------------------------------------------------------------------- CLI
def test_cli_report_and_plot(tmp_path):
    out = build_out_dir(tmp_path / "out", parquet=False)
    runner = CliRunner()
    res = runner.invoke(app, ["plot", "terms", "两个维护", "四个意识", "--out-dir", str(out), "--measure", "doc_share", "--dpi", "100"])
    assert res.exit_code == 0, res.output
    png = out / "figures" / "terms_两个维护_四个意识.png"
    assert str(png) in res.output and png.stat().st_size > 10_000
    assert (out / "figures" / "terms_两个维护_四个意识.svg").is_file()
    res = runner.invoke(app, ["plot", "all", "--out", str(out), "--dpi", "80"])
    assert res.exit_code == 0, res.output
    assert res.output.count(".png") >= 5
    res = runner.invoke(app, ["report", "--out", str(out)])
    assert res.exit_code == 0, res.output
    assert "report.html" in res.output and (out / "report.html").stat().st_size > 50_000
    res = runner.invoke(app, ["plot", "terms", "两个维护", "--measure", "bogus", "--out-dir", str(out)])
    assert res.exit_code != 0


@pytest.mark.parametrize(
    "args", [["report", "--out", "{missing}"], ["plot", "all", "--out", "{missing}"], ["plot", "terms", "两个维护", "--out-dir", "{missing}"]]
)
def test_cli_without_a_run_says_run_first(tmp_path, args):
    args = [a.format(missing=tmp_path / "missing") for a in args]
    res = CliRunner().invoke(app, args)
    assert res.exit_code == 1
    assert "Error:" in res.output and "dangjian run" in res.output


def test_charts_prefer_tifa_to_shuyu(run_dir):
    """The heatmap and trend charts take the most used 提法 first, then 术语 to fill up (the
    lexicon's kind column; inferred when empty: 两个维护 is 提法, 党支部 术语)."""
    from pipeline.report.lookup import preferred_terms, term_kinds

    c = figures.load_tables(run_dir)
    tt = figures.term_trends(c)
    kinds = term_kinds(c.lexicon, tt["term"].unique())
    assert kinds["两个维护"] == "提法" and kinds["党支部"] == "术语"
    chosen = preferred_terms(tt, c.lexicon, 3)
    tifa = [t for t in trends.top_terms(tt, 100) if kinds[t] == "提法"]
    assert chosen == tifa[:3]
    everything = preferred_terms(tt, c.lexicon, 100)
    assert everything[: len(tifa)] == tifa and set(everything) == set(trends.top_terms(tt, 100))
    # an explicit kind column wins over the inference
    lex = c.lexicon.assign(kind=["术语" if t == "两个维护" else "" for t in c.lexicon["term"]])
    assert "两个维护" not in preferred_terms(tt, lex, 2)


def test_category_chart_draws_the_runs_intervals_and_small_years(tmp_path):
    """category_shares.csv with share_low/share_high/small_group (what the run will write): the
    chart draws an interval per year and category and hatches the years of fewer than 5
    documents; experimental from classifier.json goes into its title."""
    import json

    from pipeline import store

    out = build_out_dir(tmp_path / "out")
    cs = pd.read_parquet(out / "category_shares.parquet")
    cs = cs.assign(
        share_raw=cs["share"], share_low=(cs["share"] - 0.1).clip(lower=0), share_high=(cs["share"] + 0.1).clip(upper=1), n_docs=2, small_group=True
    )
    store.write_csv(out / "category_shares.csv", cs, parquet=True)
    (out / "classifier.json").write_text(json.dumps({"taxonomy": "six", "experimental": True}), encoding="utf-8")
    c = figures.load_tables(out)
    low, high, small = figures.category_intervals(c, c.labels, c.docs_per_year())
    assert low is not None and high is not None and small == sorted(set(cs["year"].dropna().astype(int)))
    assert figures.is_experimental(figures.classifier_info(c))
    figures.make_figures(out, only=["category_shares"])
    svg = (out / "figures" / "category_shares.svg").read_text(encoding="utf-8")
    assert 'class="interval"' in svg and 'class="small"' in svg and "experimental" in svg
    # the old table (no intervals): stacked shares, small years from documents per year
    old = build_out_dir(tmp_path / "old")
    c = figures.load_tables(old)
    low, high, small = figures.category_intervals(c, c.labels, c.docs_per_year())
    assert low is None and high is None and small == [y for y, n in c.docs_per_year().items() if 0 < n < 5]
    assert figures.classifier_info(c) is None and not figures.is_experimental(None)
