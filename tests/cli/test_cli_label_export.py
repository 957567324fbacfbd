"""``dangjian label export --uncertain N`` follows the annotation guideline (docs/annotation.md,
section 1): no headings, no flattened table rows, no rows under 20 characters, no duplicates
(the same heading from several documents counts once). Runs of ``dangjian ingest`` over real
text: the bundled seeds, and the school party committee's pages of the shared corpus without
its held-out files (those must never reach labelling)."""

from __future__ import annotations

import re
import shutil
import unicodedata
from pathlib import Path

import pandas as pd
import pytest
from conftest import CORPUS, SHARED, heldout_files, write_label_sample
from typer.testing import CliRunner

from pipeline.cli import app

runner = CliRunner()
SEEDS = SHARED / "seeds"


@pytest.fixture(scope="module")
def model_opts(tmp_path_factory) -> list[str]:
    labels = write_label_sample(tmp_path_factory.mktemp("labels"), per_label=60, seed=0)
    return ["--labels", str(labels), "--models-dir", str(tmp_path_factory.mktemp("models"))]


def ingest(src: Path, out: Path) -> pd.DataFrame:
    res = runner.invoke(app, ["ingest", str(src), "--out", str(out)])
    assert res.exit_code == 0, res.output
    return pd.read_csv(out / "paragraphs.csv", encoding="utf-8-sig", dtype=str, keep_default_na=False)


@pytest.fixture(scope="module")
def seeds_run(tmp_path_factory):
    if not SEEDS.is_dir():
        pytest.skip("../shared/seeds is absent")
    out = tmp_path_factory.mktemp("seeds_run")
    return out, ingest(SEEDS, out)


@pytest.fixture(scope="module")
def school_run(tmp_path_factory):
    src = CORPUS / "sx1z-party-committee"
    if not src.is_dir():
        pytest.skip("../shared/corpus is absent")
    held = heldout_files()
    raw = tmp_path_factory.mktemp("sx1z_raw")
    for path in sorted(src.glob("*.txt")):
        if f"sx1z-party-committee/{path.name}" not in held:
            shutil.copy(path, raw / path.name)
    out = tmp_path_factory.mktemp("sx1z_run")
    return out, ingest(raw, out)


def key(text: str) -> str:
    """Same text for the guideline: NFKC, without list markers, spaces and punctuation."""
    s = unicodedata.normalize("NFKC", text)
    s = re.sub(r"^\s*(?:[(（]?[一二三四五六七八九十0-9]+[)）、.．])\s*", "", s)
    return "".join(ch for ch in s if unicodedata.category(ch)[0] in "LN")


def export(run_dir: Path, n: int, tmp_path: Path, model_opts) -> tuple[pd.DataFrame, str]:
    out = tmp_path / "todo.csv"
    res = runner.invoke(app, ["label", "export", "--uncertain", str(n), str(out), "--out", str(run_dir), *model_opts])
    assert res.exit_code == 0, res.output
    return pd.read_csv(out, encoding="utf-8-sig", dtype=str, keep_default_na=False), res.output


def assert_follows_the_guideline(todo: pd.DataFrame, paras: pd.DataFrame) -> None:
    kinds = todo.merge(paras[["doc_id", "para_id", "kind"]], on=["doc_id", "para_id"], how="left")["kind"]
    assert kinds.notna().all()
    assert not kinds.isin(["heading", "table"]).any(), todo.loc[kinds.isin(["heading", "table"]).to_numpy(), "text"].tolist()
    texts = todo["text"].str.strip()
    assert (texts.str.len() >= 20).all(), texts[texts.str.len() < 20].tolist()
    assert not texts.str.contains(" | ", regex=False).any()
    cells = texts.str.split(r"[\t \u3000]+")
    assert not cells.map(lambda c: len(c) >= 4 and sum(len(x) <= 8 for x in c) >= 0.75 * len(c)).any()
    keys = texts.map(key)
    assert not keys.duplicated().any(), texts[keys.duplicated(keep=False)].tolist()
    tops = todo[[c for c in todo.columns if c.startswith("p_")]].astype(float).max(axis=1)
    assert tops.is_monotonic_increasing  # still the least confident first


@pytest.mark.shared
def test_export_on_the_seeds_leaves_out_headings(seeds_run, tmp_path, model_opts):
    run_dir, paras = seeds_run
    assert (paras["kind"] == "heading").sum() >= 10
    todo, output = export(run_dir, 20, tmp_path, model_opts)
    assert len(todo) == 20
    assert_follows_the_guideline(todo, paras)
    assert "left out" in output and "heading" in output and "docs/annotation.md" in output


@pytest.mark.shared
def test_export_on_school_pages_leaves_out_tables_and_duplicates(school_run, tmp_path, model_opts):
    run_dir, paras = school_run
    assert (paras["kind"] == "table").sum() > 50 and paras["text"].map(key).duplicated().sum() > 50
    todo, output = export(run_dir, 200, tmp_path, model_opts)
    assert len(todo) == 200
    assert_follows_the_guideline(todo, paras)
    for reason in ("heading", "table row", "under 20 characters", "duplicate"):
        assert re.search(rf"{reason} \d+", output), output
    assert not set(todo["doc_id"]) - set(paras["doc_id"])


def test_export_refuses_a_count_below_one(tmp_path):
    res = runner.invoke(app, ["label", "export", "--uncertain", "0", str(tmp_path / "t.csv"), "--out", str(tmp_path)])
    assert res.exit_code != 0 and "--uncertain" in res.output
