"""Paragraph classifier: real predictions on real paragraphs, persistence, CLI round trip, bad input."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from pipeline.classify import core as classify
from pipeline.cli import app
from pipeline.config import LABELS_DIR
from pipeline.errors import InputError, LabelError, ModelError

from conftest import CORPUS, SAMPLE_DIR, heldout_files, write_label_sample

runner = CliRunner()
P_COLS = ["p_政治建设", "p_组织建设", "p_作风建设", "p_其他"]


def sample_line(name_prefix: str, startswith: str) -> str:
    path = next(SAMPLE_DIR.glob(f"{name_prefix}_*.txt"))
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip().startswith(startswith):
            return line.strip()
    raise AssertionError(f"no line starting with {startswith!r} in {path.name}")


# Unambiguous paragraphs from the sample reports (seed 003: numbered items under the headings
# 突出政治建设 / 强化思想引领 / 坚持大抓基层 / 推进正风肃纪), plus page boilerplate as 其他.
CLEAR = [
    ("003", "1.带头做到“两个维护”", "政治建设"),
    ("003", "4.持续深化理论武装", "政治建设"),
    ("000", "一是坚持把强化政治引领", "政治建设"),
    ("003", "9.从严教育管理党员", "组织建设"),
    ("003", "10.建强党务干部队伍", "组织建设"),
    ("003", "8.加强基层支部建设", "组织建设"),
    ("003", "15.加强党风廉政教育", "作风建设"),
    ("003", "16.严格监督执纪问责", "作风建设"),
    ("003", "17.推进机关纪委建设", "作风建设"),
    ("000", "发布时间", "其他"),
    ("001", "欢迎来到成都燃气集团", "其他"),
]


@pytest.fixture(scope="session")
def models_dir(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("models")


@pytest.fixture(scope="session")
def clf(models_dir):
    """The shipped-labels model, trained once into a temporary models dir (first-use path)."""
    return classify.get_classifier("four", LABELS_DIR, models_dir)


@pytest.fixture(scope="session")
def small_labels(tmp_path_factory) -> Path:
    """A stratified 240-row slice of the shipped labels (fast fits for determinism/CLI tests)."""
    return write_label_sample(tmp_path_factory.mktemp("labels"), per_label=60, seed=0)


# --------------------------------------------------------------------------- predictions


@pytest.mark.parametrize("doc, start, label", CLEAR)
def test_clear_sample_paragraphs_get_their_label(clf, doc, start, label):
    text = sample_line(doc, start)
    assert clf.predict([text])[0] == label


def test_predict_proba_is_a_frame_of_probabilities(clf):
    df = pd.DataFrame({"text": [sample_line(d, s) for d, s, _ in CLEAR]}, index=[f"r{i}" for i in range(len(CLEAR))])
    p = clf.predict_proba(df)
    assert list(p.columns) == P_COLS
    assert list(p.index) == list(df.index)
    np.testing.assert_allclose(p.sum(axis=1), 1.0, atol=1e-9)
    assert ((p >= 0) & (p <= 1)).all().all()
    assert list(clf.classes_) == [c[2:] for c in P_COLS]


def test_input_forms_agree(clf):
    texts = [sample_line(d, s) for d, s, _ in CLEAR[:4]]
    a = clf.predict_proba(texts).to_numpy()
    b = clf.predict_proba(pd.Series(texts)).to_numpy()
    c = clf.predict_proba(pd.DataFrame({"text": texts, "heading": ["一、突出政治建设"] * 4})).to_numpy()
    np.testing.assert_array_equal(a, b)
    np.testing.assert_allclose(a, c)  # heading is ignored by the default model
    assert clf.predict_proba(pd.DataFrame({"text": []})).shape == (0, 4)
    with pytest.raises(InputError, match="text"):
        clf.predict_proba(pd.DataFrame({"body": ["x"]}))


def test_missing_text_is_not_an_error(clf):
    p = clf.predict_proba(pd.DataFrame({"text": ["", None, "加强党风廉政建设"]}))
    assert p.shape == (3, 4)


def test_uncertain_flags_low_top_probability():
    proba = pd.DataFrame({"p_a": [0.9, 0.4, 0.5], "p_b": [0.1, 0.35, 0.5], "p_c": [0.0, 0.25, 0.0]})
    assert classify.uncertain(proba, 0.5).tolist() == [False, True, False]
    assert classify.uncertain(proba, 0.95).tolist() == [True, True, True]
    assert classify.labels_from_proba(proba).tolist() == ["a", "a", "a"]


def test_explain_names_features_that_point_to_the_label(clf):
    texts = [sample_line("003", "15.加强党风廉政教育"), sample_line("003", "9.从严教育管理党员")]
    out = clf.explain(texts, top=5)
    assert len(out) == 2
    assert all(s and s.count("(+") <= 5 for s in out)
    assert "廉" in out[0]
    assert "党员" in out[1] or "员" in out[1]


def test_top_features_per_class(clf):
    top = clf.top_features(10)
    assert set(top) == {c[2:] for c in P_COLS}
    assert all(len(v) == 10 for v in top.values())


def test_fit_is_deterministic(small_labels):
    data = classify.load_labels(small_labels)
    texts = [sample_line(d, s) for d, s, _ in CLEAR]
    c1 = classify.ParagraphClassifier().fit(data, data["label"])
    c2 = classify.ParagraphClassifier().fit(data, data["label"])
    pd.testing.assert_frame_equal(c1.predict_proba(texts), c2.predict_proba(texts))
    assert c1.fingerprint_ == c2.fingerprint_
    assert c1.explain(texts) == c2.explain(texts)


def test_sklearn_conventions():
    c = classify.ParagraphClassifier(model="char_lr", C=3.0)
    assert c.get_params()["C"] == 3.0
    assert not hasattr(c, "pipeline_") and not hasattr(c, "classes_")


def test_keyword_rule_baseline():
    from pipeline.taxonomy import load_taxonomy

    kw = {k: list(v) for k, v in load_taxonomy().keywords.items()}
    labels = ["政治建设", "组织建设", "作风建设", "其他"]
    rule = classify.KeywordRule(keywords=kw).fit(labels, labels)
    pred = rule.predict(["严格落实中央八项规定精神，持续纠治四风", "今年高考成绩再创新高", "坚决做到两个维护"])
    assert list(pred) == ["作风建设", "其他", "政治建设"]


def test_six_way_splits_four_way_probabilities(clf, small_labels, models_dir):
    six = classify.get_classifier("six", LABELS_DIR, models_dir)
    texts = [sample_line(d, s) for d, s, _ in CLEAR]
    p6 = six.predict_proba(texts)
    assert list(p6.columns) == ["p_政治", "p_思想", "p_组织", "p_作风", "p_纪律", "p_制度", "p_其他"]
    np.testing.assert_allclose(p6.sum(axis=1), 1.0, atol=1e-9)
    p4 = clf.predict_proba(texts)
    np.testing.assert_allclose(p6["p_作风"] + p6["p_纪律"], p4["p_作风建设"], atol=1e-9)
    np.testing.assert_allclose(p6["p_政治"] + p6["p_思想"], p4["p_政治建设"], atol=1e-9)
    assert [six.rollup_[lab] for lab in six.predict(texts)] == list(clf.predict(texts))
    labels6 = six.predict([sample_line("003", "16.严格监督执纪问责"), sample_line("003", "4.持续深化理论武装")])
    assert list(labels6) == ["纪律", "思想"]


# --------------------------------------------------------------------------- persistence


def test_saved_model_round_trip_and_sidecar(clf, models_dir):
    path = classify.model_path(models_dir, "four")
    info = classify.read_sidecar(path)
    assert info["taxonomy"] == "four" and info["labels"] == [c[2:] for c in P_COLS]
    assert info["training_data_sha256"] == classify.labels_hash(LABELS_DIR)
    assert info["package_version"] and info["n_train"] >= 800
    loaded = classify.load_model_file(path)
    texts = [sample_line(d, s) for d, s, _ in CLEAR]
    pd.testing.assert_frame_equal(loaded.predict_proba(texts), clf.predict_proba(texts))


def test_skops_file_lists_only_trusted_types(clf, models_dir):
    import skops.io as sio

    untrusted = sio.get_untrusted_types(file=classify.model_path(models_dir, "four"))
    assert set(untrusted) <= set(classify.TRUSTED_TYPES)


class NotOurs:  # a type the project never saves
    def __init__(self):
        self.x = 1


def test_loading_refuses_an_untrusted_type(tmp_path):
    import skops.io as sio

    bad = tmp_path / "classifier-four.skops"
    sio.dump({"model": NotOurs()}, bad)
    with pytest.raises(ModelError) as err:
        classify.load_model_file(bad)
    assert "NotOurs" in str(err.value) and "dangjian train" in str(err.value)


def test_corrupt_model_is_a_clear_error(tmp_path, small_labels):
    models = tmp_path / "models"
    classify.train(small_labels, models_dir=models)
    path = classify.model_path(models, "four")
    path.write_bytes(b"PK\x03\x04 this is not a model")
    classify._CACHE.clear()
    with pytest.raises(ModelError) as err:
        classify.get_classifier("four", small_labels, models)
    assert "[E003]" in str(err.value) and "dangjian train" in str(err.value)


def test_retrains_when_labels_change(tmp_path, small_labels):
    labels = tmp_path / "labels"
    shutil.copytree(small_labels, labels)
    models = tmp_path / "models"
    classify.get_classifier("four", labels, models)
    first = classify.read_sidecar(classify.model_path(models, "four"))["training_data_sha256"]
    extra = pd.DataFrame({"text": ["严格落实中央八项规定精神，坚决纠治“四风”问题。"], "label": ["作风建设"]})
    extra.to_csv(labels / "extra.csv", index=False)
    classify.get_classifier("four", labels, models)
    info = classify.read_sidecar(classify.model_path(models, "four"))
    assert info["training_data_sha256"] != first
    assert info["n_train"] == len(classify.load_labels(labels))


def test_load_labels_validates_and_dedupes(tmp_path):
    (tmp_path / "paragraphs.csv").write_text("text,label\n甲,政治建设\n乙,其他\n", encoding="utf-8")
    (tmp_path / "import-1.csv").write_text("\ufefftext,label\n甲,组织建设\n丙,纪律\n", encoding="utf-8")
    data = classify.load_labels(tmp_path)
    got = dict(zip(data["text"], data["label"]))
    assert got == {"乙": "其他", "甲": "组织建设", "丙": "作风建设"}  # later file wins; six-way rolls up
    assert data.loc[data["text"] == "丙", "label6"].item() == "纪律"
    (tmp_path / "z.csv").write_text("text,label\n丁,经济建设\n", encoding="utf-8")
    with pytest.raises(LabelError, match="经济建设"):
        classify.load_labels(tmp_path)


# --------------------------------------------------------------------------- CLI


def _write_csv(path: Path, df: pd.DataFrame, bom: bool = False) -> Path:
    path.write_bytes(("\ufeff" if bom else "").encode() + df.to_csv(index=False).encode("utf-8"))
    return path


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
    res = runner.invoke(app, ["evaluate", str(gold), "--out", str(tmp_path / "r.txt"),
                              "--labels", str(small_labels), "--models-dir", str(models)])
    assert res.exit_code == 0 and (tmp_path / "r.txt").is_file()

    inp = _write_csv(
        tmp_path / "in.csv",
        pd.DataFrame({"id": ["a", "b", "c"], "heading": ["", "五、推进正风肃纪", ""],
                      "text": [sample_line("003", "9.从严教育管理党员"), sample_line("003", "15.加强党风廉政教育"),
                               "=1+1 发布时间 2020年"]}),
        bom=True,
    )
    out = tmp_path / "out.csv"
    res = runner.invoke(app, ["classify", str(inp), "--out", str(out), "--explain",
                              "--labels", str(small_labels), "--models-dir", str(models)])
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
    res = runner.invoke(app, ["classify", str(inp), "--out", str(out), "--labels", str(small_labels),
                              "--models-dir", str(tmp_path / "m")])
    assert res.exit_code == 1
    assert "Error: [E001]" in res.output and needle in res.output and "->" in res.output
    assert "Traceback" not in res.output
    assert out.read_text(encoding="utf-8") == "keep me"


def test_cli_corrupt_model(tmp_path, small_labels):
    models = tmp_path / "models"
    classify.train(small_labels, models_dir=models)
    classify.model_path(models, "four").write_bytes(b"garbage")
    classify._CACHE.clear()
    inp = _write_csv(tmp_path / "in.csv", pd.DataFrame({"text": ["加强党支部建设"]}))
    out = tmp_path / "out.csv"
    res = runner.invoke(app, ["classify", str(inp), "--out", str(out), "--labels", str(small_labels),
                              "--models-dir", str(models)])
    assert res.exit_code == 1
    assert "Error: [E003]" in res.output and "dangjian train" in res.output
    assert not out.exists()
    assert classify.model_path(models, "four").read_bytes() == b"garbage"  # not silently replaced


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
    res = runner.invoke(app, ["label", "export", "--uncertain", "4", str(export), "--out-dir", str(run_dir),
                              "--labels", str(labels), "--models-dir", str(models)])
    assert res.exit_code == 0, res.output
    todo = pd.read_csv(export, encoding="utf-8-sig", dtype=str, keep_default_na=False)
    assert len(todo) == 4 and {"text", "label", "predicted", *P_COLS} <= set(todo.columns)
    tops = todo[P_COLS].astype(float).max(axis=1)
    assert tops.is_monotonic_increasing  # least confident first
    all_tops = classify.get_classifier("four", labels, models).predict_proba(paras).max(axis=1)
    assert tops.max() <= sorted(all_tops)[3] + 1e-3

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


def test_load_model_from_settings(tmp_path, small_labels):
    from pipeline.config import LEXICON_DIR, Settings

    lex = tmp_path / "lexicons"
    shutil.copytree(LEXICON_DIR, lex)
    settings = Settings(labels_dir=small_labels, models_dir=tmp_path / "models", lexicon_dir=lex)
    first = classify.load_model(settings)
    classify._CACHE.clear()
    again = classify.load_model(settings)  # from the saved file this time
    assert again is not first and again.fingerprint_ == first.fingerprint_
    assert list(again.predict([sample_line("003", "9.从严教育管理党员")])) == ["组织建设"]
