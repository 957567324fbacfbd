"""run() and ingest_only(): the CLI contract, incremental re-runs, a failed run's children."""

from __future__ import annotations

import shutil

import pytest
from run_helpers import csvs, reference_run
from typer.testing import CliRunner

from pipeline import run as engine
from pipeline.cli import app
from pipeline.run import candidates, tables


@pytest.fixture(scope="module")
def local_run(tmp_path_factory, sample_dir):
    return reference_run(tmp_path_factory, sample_dir)


def test_cli_run_writes_contract(tmp_path, sample_dir):
    result = CliRunner().invoke(app, ["run", str(sample_dir), "--out", str(tmp_path / "o"), "--workers", "1"])
    assert result.exit_code == 0, result.output
    assert "5 documents" in result.output
    for name in (
        "documents",
        "paragraphs",
        "ingest_log",
        "term_counts",
        "term_trends",
        "candidates",
        "keyword_frequencies",
        "keywords_by_year",
        "category_shares",
    ):
        assert (tmp_path / "o" / f"{name}.csv").read_bytes().startswith(b"\xef\xbb\xbf"), name
    assert (tmp_path / "o" / "report.html").exists()
    assert len(list((tmp_path / "o" / "figures").glob("*.png"))) >= 5
    import pandas as pd

    cands = pd.read_csv(tmp_path / "o" / "candidates.csv", encoding="utf-8-sig")
    assert {"三个更加突出", "三级联述联评联考"} <= set(cands["term"])
    counts = pd.read_csv(tmp_path / "o" / "term_counts.csv", encoding="utf-8-sig")
    seeds = "".join(p.read_text(encoding="utf-8") for p in sorted(sample_dir.glob("*.txt")))
    for term in ("两个维护", "一岗双责", "三会一课"):
        assert counts.loc[counts["term"] == term, "count"].sum() == seeds.count(term), term
    paras = pd.read_csv(tmp_path / "o" / "paragraphs.csv", encoding="utf-8-sig")
    assert paras["label"].isin(["政治建设", "组织建设", "作风建设", "其他"]).all()
    # an unchanged re-run is answered from the manifest
    again = CliRunner().invoke(app, ["run", str(sample_dir), "--out", str(tmp_path / "o"), "--workers", "1"])
    assert again.exit_code == 0 and "up to date" in again.output


def test_ingest_command_and_missing_folder(tmp_path, sample_dir):
    ok = CliRunner().invoke(app, ["ingest", str(sample_dir), "--out", str(tmp_path / "i")])
    assert ok.exit_code == 0 and (tmp_path / "i" / "paragraphs.csv").exists()
    bad = CliRunner().invoke(app, ["run", str(tmp_path / "nope"), "--out", str(tmp_path / "x")])
    assert bad.exit_code == 1 and "input folder not found" in bad.output
    inside = CliRunner().invoke(app, ["ingest", str(sample_dir), "--out", str(sample_dir / "out")])
    assert inside.exit_code == 1 and not (sample_dir / "out").exists()


def test_strict_exit_code(tmp_path, sample_dir):
    raw = tmp_path / "raw"
    shutil.copytree(sample_dir, raw)
    (raw / "empty.txt").write_bytes(b"")
    lax = CliRunner().invoke(app, ["ingest", str(raw), "--out", str(tmp_path / "a")])
    strict = CliRunner().invoke(app, ["ingest", str(raw), "--out", str(tmp_path / "b"), "--strict"])
    assert lax.exit_code == 0 and strict.exit_code == 1


def test_incremental_rerun_uses_cache(tmp_path, sample_dir, local_run):
    raw = tmp_path / "raw"
    shutil.copytree(sample_dir, raw)
    out = tmp_path / "out"
    first = engine.run(raw, out, workers=1, report=False, progress=False)
    assert first.cached == 0
    (raw / "2021_new.txt").write_text("2021年党支部工作总结\n\n坚决做到两个维护,严格落实三会一课。\n", encoding="utf-8")
    second = engine.run(raw, out, workers=1, report=False, progress=False)
    assert second.n_documents == 6
    assert second.cached == 10  # five unchanged documents: ingest and analysis both from cache
    # same results as a cold run
    cold = tmp_path / "cold"
    engine.run(raw, cold, workers=1, report=False, progress=False)
    assert csvs(out) == csvs(cold)


def test_a_failed_run_stops_its_children(tmp_path, sample_dir, monkeypatch):
    """When writing the tables fails, the discovery and chart processes are stopped: nothing
    is written after the error."""
    import os
    import time

    parent = os.getpid()
    marker = tmp_path / "written-by-child"

    def slow_candidates(out_dir, docs, settings):
        time.sleep(1.5)
        marker.write_text("late")
        return []

    def failing_tables(out_dir, tables, parquet=True):
        if os.getpid() == parent:
            raise OSError("disk full")
        return []

    monkeypatch.setattr(candidates, "write_candidates", slow_candidates)
    monkeypatch.setattr(tables, "write_tables", failing_tables)
    with pytest.raises(OSError, match="disk full"):
        engine.run(sample_dir, tmp_path / "out", workers=1, report=True, progress=False)
    time.sleep(2.0)
    assert not marker.exists()
    assert not (tmp_path / "out" / "figures").exists()
