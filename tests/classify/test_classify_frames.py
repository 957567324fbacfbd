"""pipeline.classify.frames: the CSV-level operations behind ``dangjian train / evaluate /
classify / label`` - round trips through the CLI, bad input, a corrupt model, the fast scorer
in ``dangjian classify``, and held-out documents."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from classify_helpers import (
    CLEAR,
    EDGE,
    P_COLS,
    fresh_caches,
    sample_line,
    seed_paragraphs,
    shipped_models_dir,
)
from conftest import CORPUS, heldout_files, write_label_sample
from typer.testing import CliRunner

from pipeline import classify
from pipeline.classify import persist, registry
from pipeline.classify.frames import labellable
from pipeline.cli import app
from pipeline.config import LABELS_DIR

runner = CliRunner()


@pytest.fixture(scope="session")
def models_dir(tmp_path_factory) -> Path:
    """The models folder of the shipped-labels models (each trained on first use)."""
    return shipped_models_dir(tmp_path_factory)


@pytest.fixture(scope="session")
def clf(models_dir):
    """The shipped-labels model, trained once into a temporary models dir (first-use path)."""
    return classify.get_classifier("four", LABELS_DIR, models_dir)


@pytest.fixture(scope="session")
def labelled_texts() -> list[str]:
    return classify.load_labels(LABELS_DIR)["text"].tolist()


@pytest.fixture(scope="session")
def small_labels(tmp_path_factory) -> Path:
    """A stratified 240-row slice of the shipped labels (fast fits for the CLI tests)."""
    return write_label_sample(tmp_path_factory.mktemp("labels"), per_label=60, seed=0)


def _write_csv(path: Path, df: pd.DataFrame, bom: bool = False) -> Path:
    path.write_bytes(("\ufeff" if bom else "").encode() + df.to_csv(index=False).encode("utf-8"))
    return path


# --------------------------------------------------------------------------- dangjian train / evaluate / classify


def test_cli_train_evaluate_classify_round_trip(tmp_path, small_labels):
    models = tmp_path / "models"
    res = runner.invoke(app, ["train", "--labels", str(small_labels), "--models-dir", str(models), "--no-cv"])
    assert res.exit_code == 0, res.output
    assert "saved" in res.output and classify.model_path(models, "four").is_file()

    gold = _write_csv(
        tmp_path / "gold.csv",
        pd.DataFrame({"text": [sample_line(d, s) for d, s, _ in CLEAR], "label": [lab for _, _, lab in CLEAR]}),
    )
    res = runner.invoke(app, ["evaluate", str(gold), "--labels", str(small_labels), "--models-dir", str(models)])
    assert res.exit_code == 0, res.output
    assert "macro-F1" in res.output and "confusion matrix" in res.output
    report = (tmp_path / "gold.eval.txt").read_text(encoding="utf-8")
    assert "macro-F1" in report and "作风建设" in report and "precision" in report
    res = runner.invoke(app, ["evaluate", str(gold), "--out", str(tmp_path / "r.txt"), "--labels", str(small_labels), "--models-dir", str(models)])
    assert res.exit_code == 0 and (tmp_path / "r.txt").is_file()

    inp = _write_csv(
        tmp_path / "in.csv",
        pd.DataFrame(
            {
                "id": ["a", "b", "c"],
                "heading": ["", "五、推进正风肃纪", ""],
                "text": [sample_line("003", "9.从严教育管理党员"), sample_line("003", "15.加强党风廉政教育"), "=1+1 发布时间 2020年"],
            }
        ),
        bom=True,
    )
    out = tmp_path / "out.csv"
    res = runner.invoke(app, ["classify", str(inp), "--out", str(out), "--explain", "--labels", str(small_labels), "--models-dir", str(models)])
    assert res.exit_code == 0, res.output
    raw = out.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    df = pd.read_csv(out, encoding="utf-8-sig", dtype=str, keep_default_na=False)
    assert list(df.columns) == ["id", "heading", "text", "label", *P_COLS, "uncertain", "explain"]
    assert df["label"].tolist()[:2] == ["组织建设", "作风建设"]
    assert df["text"].iloc[2].startswith("'=")  # formula escaped
    np.testing.assert_allclose(df[P_COLS].astype(float).sum(axis=1), 1.0, atol=1e-3)


def test_cli_classify_six(tmp_path, clf, models_dir):
    inp = _write_csv(tmp_path / "in.csv", pd.DataFrame({"text": [sample_line("003", "16.严格监督执纪问责")]}))
    out = tmp_path / "out.csv"
    res = runner.invoke(app, ["classify", str(inp), "--out", str(out), "--taxonomy", "six", "--models-dir", str(models_dir)])
    assert res.exit_code == 0, res.output
    df = pd.read_csv(out, encoding="utf-8-sig")
    assert "p_纪律" in df.columns and df["label"].iloc[0] == "纪律"


@pytest.mark.parametrize(
    "content, needle",
    [
        (b"body,label\nx,y\n", "no `text` column"),
        (b"", "empty"),
        (b"text\n", "no rows"),
    ],
)
def test_cli_classify_bad_input(tmp_path, content, needle, small_labels):
    inp = tmp_path / "in.csv"
    inp.write_bytes(content)
    out = tmp_path / "out.csv"
    out.write_text("keep me", encoding="utf-8")
    res = runner.invoke(app, ["classify", str(inp), "--out", str(out), "--labels", str(small_labels), "--models-dir", str(tmp_path / "m")])
    assert res.exit_code == 1
    assert "Error: [E001]" in res.output and needle in res.output and "->" in res.output
    assert "Traceback" not in res.output
    assert out.read_text(encoding="utf-8") == "keep me"


def test_cli_corrupt_model(tmp_path, small_labels):
    models = tmp_path / "models"
    classify.train(small_labels, models_dir=models)
    classify.model_path(models, "four").write_bytes(b"garbage")
    registry._CACHE.clear()
    inp = _write_csv(tmp_path / "in.csv", pd.DataFrame({"text": ["加强党支部建设"]}))
    out = tmp_path / "out.csv"
    res = runner.invoke(app, ["classify", str(inp), "--out", str(out), "--labels", str(small_labels), "--models-dir", str(models)])
    assert res.exit_code == 1
    assert "Error: [E003]" in res.output and "dangjian train" in res.output
    assert not out.exists()
    assert classify.model_path(models, "four").read_bytes() == b"garbage"  # not silently replaced


def test_cli_classify_uses_the_fast_scorer_and_agrees_with_sklearn(tmp_path, models_dir, labelled_texts, monkeypatch):
    texts = labelled_texts[:150] + seed_paragraphs()[:50] + EDGE
    inp = tmp_path / "in.csv"
    pd.DataFrame({"id": range(len(texts)), "text": texts}).to_csv(inp, index=False)
    clf = classify.get_classifier("four", LABELS_DIR, models_dir)
    want = classify.classify_frame(classify.read_labelled_csv(inp, require_label=False), clf)

    def no_skops(path):
        raise AssertionError("the skops model was loaded")

    fresh_caches()
    monkeypatch.setattr(persist, "load_model_file", no_skops)
    out = tmp_path / "out.csv"
    res = runner.invoke(app, ["classify", str(inp), "--out", str(out), "--models-dir", str(models_dir)])
    assert res.exit_code == 0, res.output
    got = pd.read_csv(out, encoding="utf-8-sig", dtype=str, keep_default_na=False)
    assert got["label"].tolist() == want["label"].tolist()
    assert got["uncertain"].tolist() == want["uncertain"].astype(str).tolist()
    pcols = [c for c in want.columns if c.startswith("p_")]
    np.testing.assert_allclose(got[pcols].astype(float).to_numpy(), want[pcols].to_numpy(), atol=1e-4 + 1e-9)


def test_classify_frame_accepts_either_model(models_dir):
    df = pd.DataFrame({"text": ["加强党风廉政建设", "从严教育管理党员", ""]}, index=["a", "b", "c"])
    clf = classify.get_classifier("six", LABELS_DIR, models_dir)
    scorer = classify.get_scorer("six", LABELS_DIR, models_dir)
    a = classify.classify_frame(df, clf, threshold=0.6)
    b = classify.classify_frame(df, scorer, threshold=0.6)
    pd.testing.assert_frame_equal(a, b)


# --------------------------------------------------------------------------- dangjian label export / import


def test_cli_label_export_import(tmp_path, small_labels):
    labels = tmp_path / "labels"
    shutil.copytree(small_labels, labels)
    run_dir = tmp_path / "processed"
    run_dir.mkdir()
    texts = [sample_line(d, s) for d, s, _ in CLEAR] + ["同志们，今天我们在这里召开会议，下面我讲几点意见。"]
    paras = pd.DataFrame({"doc_id": "d1", "para_id": range(len(texts)), "heading": "", "text": texts})
    paras.to_csv(run_dir / "paragraphs.csv", index=False)
    export = tmp_path / "todo.csv"
    models = tmp_path / "models"
    res = runner.invoke(
        app, ["label", "export", "--uncertain", "4", str(export), "--out-dir", str(run_dir), "--labels", str(labels), "--models-dir", str(models)]
    )
    assert res.exit_code == 0, res.output
    todo = pd.read_csv(export, encoding="utf-8-sig", dtype=str, keep_default_na=False)
    assert len(todo) == 4 and {"text", "label", "predicted", *P_COLS} <= set(todo.columns)
    tops = todo[P_COLS].astype(float).max(axis=1)
    assert tops.is_monotonic_increasing  # least confident first
    # the four least confident of the paragraphs the guideline lets be labelled (not the
    # 发布时间 line or the 欢迎来到 banner: boilerplate)
    ok, reasons = labellable(paras)
    assert [r for t, r in zip(texts, reasons) if t.startswith(("发布时间", "欢迎来到"))] == ["boilerplate", "boilerplate"]
    all_tops = classify.get_classifier("four", labels, models).predict_proba(paras[ok]).max(axis=1)
    assert tops.max() <= sorted(all_tops)[3] + 1e-3
    assert not set(todo["text"]) & {t for t, good in zip(texts, ok) if not good}

    todo["label"] = ["其他", "组织建设", "", "作风建设"]
    filled = _write_csv(tmp_path / "filled.csv", todo, bom=True)
    n_files = len(list(labels.glob("*.csv")))
    res = runner.invoke(app, ["label", "import", str(filled), "--labels", str(labels)])
    assert res.exit_code == 0, res.output
    assert "imported 3" in res.output
    assert len(list(labels.glob("*.csv"))) == n_files + 1
    merged = classify.load_labels(labels)
    for text, lab in zip(todo["text"], todo["label"]):
        if lab:
            assert merged.loc[merged["text"] == text, "label"].item() == lab
    # importing the same file again adds nothing
    res = runner.invoke(app, ["label", "import", str(filled), "--labels", str(labels)])
    assert res.exit_code == 0 and "nothing new" in res.output
    assert len(list(labels.glob("*.csv"))) == n_files + 1


def test_cli_label_import_rejects_label_outside_taxonomy(tmp_path, small_labels):
    labels = tmp_path / "labels"
    shutil.copytree(small_labels, labels)
    before = {p.name: p.read_bytes() for p in labels.glob("*.csv")}
    bad = _write_csv(tmp_path / "bad.csv", pd.DataFrame({"text": ["甲", "乙"], "label": ["政治建设", "经济建设"]}))
    res = runner.invoke(app, ["label", "import", str(bad), "--labels", str(labels)])
    assert res.exit_code == 1
    assert "Error: [E007]" in res.output and "经济建设" in res.output and "->" in res.output
    assert {p.name: p.read_bytes() for p in labels.glob("*.csv")} == before
    # six-way labels are accepted with --taxonomy six and stored rolled up, with label6
    six = _write_csv(tmp_path / "six.csv", pd.DataFrame({"text": ["严肃查处违纪行为"], "label": ["纪律"]}))
    res = runner.invoke(app, ["label", "import", str(six), "--labels", str(labels), "--taxonomy", "six"])
    assert res.exit_code == 0, res.output
    merged = classify.load_labels(labels)
    row = merged[merged["text"] == "严肃查处违纪行为"]
    assert row["label"].item() == "作风建设" and row["label6"].item() == "纪律"


def test_cli_label_import_missing_columns(tmp_path):
    bad = _write_csv(tmp_path / "bad.csv", pd.DataFrame({"text": ["甲"]}))
    res = runner.invoke(app, ["label", "import", str(bad), "--labels", str(tmp_path / "labels")])
    assert res.exit_code == 1 and "Error: [E001]" in res.output and "label" in res.output


# --------------------------------------------------------------------------- held-out documents


@pytest.mark.shared
def test_classify_runs_on_heldout_documents(tmp_path, clf, models_dir):
    """End-to-end only: the evaluation split is never used for training or tuning."""
    files = sorted(heldout_files())
    if not files:
        pytest.skip("HELDOUT.md is absent")
    rows = []
    for rel in files:
        path = CORPUS / rel
        if not path.is_file():
            continue
        for i, line in enumerate(l.strip() for l in path.read_text(encoding="utf-8", errors="replace").splitlines()):
            if len(line) >= 10:
                rows.append({"doc": rel, "para_id": i, "text": line})
    assert rows
    inp = _write_csv(tmp_path / "heldout.csv", pd.DataFrame(rows), bom=True)
    out = tmp_path / "heldout_out.csv"
    res = runner.invoke(app, ["classify", str(inp), "--out", str(out), "--models-dir", str(models_dir)])
    assert res.exit_code == 0, res.output
    df = pd.read_csv(out, encoding="utf-8-sig", dtype=str, keep_default_na=False)
    assert len(df) == len(rows)
    assert set(df["label"]) <= {c[2:] for c in P_COLS}
    assert df["label"].nunique() >= 3


@pytest.mark.parametrize("command", ["run", "classify", "train", "evaluate"])
def test_cli_help_says_the_six_way_scheme_is_experimental(command):
    res = runner.invoke(app, [command, "--help"], env={"COLUMNS": "200"})
    assert res.exit_code == 0 and "six" in res.output and "experimental" in res.output
