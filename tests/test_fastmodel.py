"""Fast numpy scorer (pipeline.classify.scorer) vs the sklearn model: the same probabilities, labels and
uncertain flags on real paragraphs and awkward text; the export's life cycle (written on save,
built once from an older skops-only model, never used when stale or foreign)."""

from __future__ import annotations

import json
import math
import re
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from conftest import ROOT, SAMPLE_DIR, write_label_sample
from typer.testing import CliRunner

import pipeline.atomic
from pipeline.classify import core as classify, scorer as linear
from pipeline.cli import app
from pipeline.config import LABELS_DIR
from pipeline.errors import InputError, ModelError

runner = CliRunner()
ATOL = 1e-6  # the contract; in practice the two paths agree to ~1e-15

# Texts the analyzer must treat exactly like sklearn's: whitespace runs of every kind (a single
# tab/newline/ideographic space stays, runs of >= 2 become one space), digit runs (ASCII and
# full-width), Latin and full-width letters, emoji and other astral characters, control and
# unknown characters, one-character and empty texts.
EDGE = [
    "", " ", "\t", "\n", "  ", "\u3000", "\u3000\u3000加强党的建设", "\xa0党建\xa0\xa0工作", "\x1c\x1d\x1e\x1f",
    "加强  党的   建设\n\n全面从严治党\t\t落实\r\n责任", " 前导空格", "尾随空格 ", "\n\n\n",
    "2023年12月31日召开第12次会议，3.5%", "１２３４５ 全角数字 ２０２４年１月", "0", "１", "12 34\u300056",
    "Party building 党建工作 ABC abc", "ＡＢＣ　全角字母　ｘｙｚ，！？（一）", "“两个维护”《党章》——",
    "😀😀坚持党的领导😀 𠀀𪚥 🇨🇳", "𠀀", "😀", "\U0010ffff党", "\x00控制字符\x01\x7f", "ꙮ ᚠᛇᚻ ❄ ∑ ≠ 未知字符",
    "加\u200b强\u2028党\u2029建\u0085设", "党", "a", "党的党的党的党的", "严格落实中央八项规定精神，坚决纠治“四风”问题。",
]


def seed_paragraphs() -> list[str]:
    """Every non-empty line of the sample reports, plus each whole report as one long text."""
    out = []
    for path in sorted(SAMPLE_DIR.glob("*.txt")):
        text = path.read_text(encoding="utf-8")
        out += [line for line in text.splitlines() if line.strip()]
        out.append(text)
    return out


@pytest.fixture(scope="session")
def labelled_texts() -> list[str]:
    return classify.load_labels(LABELS_DIR)["text"].tolist()


@pytest.fixture(scope="session")
def all_texts(labelled_texts) -> list[str]:
    return labelled_texts + seed_paragraphs() + EDGE


@pytest.fixture(scope="session")
def models(tmp_path_factory) -> Path:
    """The shipped-labels models (four and six), trained once into a temporary models dir."""
    d = tmp_path_factory.mktemp("fast_models")
    for tax in ("four", "six"):
        classify.get_classifier(tax, LABELS_DIR, d)
    return d


@pytest.fixture(scope="session")
def small_labels(tmp_path_factory) -> Path:
    return write_label_sample(tmp_path_factory.mktemp("fast_labels"), per_label=50, seed=1)


def fresh_caches():
    classify._CACHE.clear()
    linear._SCORERS.clear()


def assert_same(clf, scorer, texts, atol=ATOL):
    want = clf.predict_proba(texts)
    got = scorer.predict_proba(texts)
    assert got.shape == want.shape
    assert list(want.columns) == scorer.columns
    np.testing.assert_allclose(got, want.to_numpy(), rtol=0, atol=atol)
    assert scorer.labels_for(got).tolist() == clf.labels_for(want).tolist()
    for threshold in (0.4, 0.5, 0.6, 0.9):
        assert scorer.uncertain(got, threshold).tolist() == classify.uncertain(want, threshold).tolist()
    return got


# --------------------------------------------------------------------------- same results as sklearn


@pytest.mark.parametrize("taxonomy", ["four", "six"])
def test_fast_scorer_equals_sklearn_on_real_and_awkward_text(models, all_texts, taxonomy):
    clf = classify.get_classifier(taxonomy, LABELS_DIR, models)
    scorer = linear.get_scorer(taxonomy, LABELS_DIR, models)
    assert isinstance(scorer, linear.LinearScorer)
    assert scorer.fingerprint == clf.fingerprint_
    assert list(scorer.classes_) == list(clf.classes_) and scorer.labels_ == clf.labels_
    got = assert_same(clf, scorer, all_texts)
    np.testing.assert_allclose(got.sum(axis=1), 1.0, atol=1e-9)
    # not a vacuous agreement: the texts get every four-way label
    assert {scorer.rollup_[lab] for lab in scorer.labels_for(got)} == {"政治建设", "组织建设", "作风建设", "其他"}


def test_each_edge_text_alone_and_in_a_batch(models):
    """Every awkward text alone, at both ends of a batch and between real paragraphs."""
    clf = classify.get_classifier("four", LABELS_DIR, models)
    scorer = linear.get_scorer("four", LABELS_DIR, models)
    real = seed_paragraphs()[:6]
    for text in EDGE:
        assert_same(clf, scorer, [text])
        assert_same(clf, scorer, [text, *real, text, text])


def test_batching_and_chunking_do_not_change_scores(models, labelled_texts, monkeypatch):
    scorer = linear.get_scorer("four", LABELS_DIR, models)
    texts = labelled_texts[:300] + EDGE
    whole = scorer.predict_proba(texts)
    one_by_one = np.vstack([scorer.predict_proba([t]) for t in texts])
    np.testing.assert_allclose(one_by_one, whole, rtol=0, atol=1e-12)
    monkeypatch.setattr(linear, "CHUNK_CHARS", 37)  # many tiny groups, long texts alone
    np.testing.assert_allclose(scorer.predict_proba(texts), whole, rtol=0, atol=1e-12)
    rev = scorer.predict_proba(texts[::-1])[::-1]
    np.testing.assert_allclose(rev, whole, rtol=0, atol=1e-12)


def test_input_forms(models):
    scorer = linear.get_scorer("four", LABELS_DIR, models)
    clf = classify.get_classifier("four", LABELS_DIR, models)
    texts = ["加强党风廉政建设", "", "从严教育管理党员"]
    a = scorer.predict_proba(texts)
    np.testing.assert_array_equal(scorer.predict_proba(tuple(texts)), a)
    np.testing.assert_array_equal(scorer.predict_proba(pd.Series(texts, index=[5, 7, 9])), a)
    np.testing.assert_array_equal(scorer.predict_proba(pd.DataFrame({"text": texts, "heading": ["x", "", "y"]})), a)
    np.testing.assert_array_equal(scorer.predict_proba(np.asarray(texts, dtype=object)), a)
    np.testing.assert_array_equal(scorer.predict_proba(texts, ["一、突出政治建设"] * 3), a)  # headings unused
    missing = ["加强党风廉政建设", None, float("nan"), pd.NA, "从严教育管理党员"]
    np.testing.assert_allclose(scorer.predict_proba(missing),
                               clf.predict_proba(pd.DataFrame({"text": missing})).to_numpy(), rtol=0, atol=ATOL)
    assert scorer.predict_proba([]).shape == (0, 4)
    assert scorer.labels_for(np.zeros((0, 4))).shape == (0,)
    assert scorer.uncertain(np.zeros((0, 4))).shape == (0,)
    with pytest.raises(InputError):
        scorer.predict_proba("one string")
    with pytest.raises(InputError, match="text"):
        scorer.predict_proba(pd.DataFrame({"body": ["x"]}))
    assert list(scorer.predict(texts)) == list(clf.predict(texts))


def test_lone_surrogates_do_not_crash(models):
    """sklearn's path cannot even take them (pandas refuses); the fast path scores them as
    the unknown characters they are."""
    scorer = linear.get_scorer("four", LABELS_DIR, models)
    p = scorer.predict_proba(["\ud83d加强党的建设", "\udc00", "加强党的建设"])
    np.testing.assert_allclose(p[0], p[2], atol=1e-12)


# --------------------------------------------------------------------------- the analyzer itself


def test_whitespace_table_matches_re_over_all_code_points():
    chars = "".join(map(chr, range(sys.maxunicode + 1)))
    spaces = [m.start() for m in re.finditer(r"\s", chars)]
    assert max(spaces) <= linear._WS_LIMIT
    table = linear._char_classes()
    assert sorted(np.flatnonzero(table == linear._SPACE).tolist()) == spaces
    assert np.flatnonzero(table == linear._DIGIT).tolist() == [*range(0x30, 0x3A), *range(0xFF10, 0xFF1A)]


def test_normalise_equals_char_preprocess_and_sklearn_whitespace_rule(labelled_texts):
    ws = re.compile(r"\s\s+")  # sklearn's _VectorizerMixin._white_spaces
    texts = EDGE + seed_paragraphs() + labelled_texts[:200] + ["1 2", "1  2", "12\t\t34", "\t1", "1\t", "\u3000 \xa0x"]
    cp, lens = linear.normalise(*linear.code_points(texts))
    want_cp, want_lens = linear.code_points([ws.sub(" ", classify.char_preprocess(t)) for t in texts])
    np.testing.assert_array_equal(lens, want_lens)
    np.testing.assert_array_equal(cp, want_cp)


def test_scorer_character_ids_follow_the_analyzer(models, labelled_texts):
    """The scorer's one-pass analyzer (normalise + alphabet lookup) against normalise."""
    scorer = linear.get_scorer("four", LABELS_DIR, models)
    texts = EDGE + seed_paragraphs() + labelled_texts[:200] + ["1 2", "1  2", "12\t\t34", "0１2", "\t1", "\u3000 \xa0x"]
    cp, lens = linear.code_points(texts)
    ids, got_lens = scorer._char_ids(cp, lens)
    want_cp, want_lens = linear.normalise(cp, lens)
    np.testing.assert_array_equal(got_lens, want_lens)
    np.testing.assert_array_equal(ids, scorer._amap[np.minimum(want_cp, len(scorer._amap) - 1)])


# --------------------------------------------------------------------------- other model shapes


def test_trigram_sublinear_model(tmp_path, small_labels, all_texts, monkeypatch):
    """1-3-grams (trigrams: sorted-key lookup) with sublinear tf, calibrated SVM."""
    monkeypatch.setitem(linear._SPECS, "char13_svm", {"ngram": (1, 3), "sublinear": True, "words": False, "clf": "svm", "C": 1.0})
    res = classify.train(small_labels, models_dir=tmp_path / "m", model="char13_svm")
    scorer = linear.LinearScorer.load(linear.export_path(res.path))
    assert scorer.meta["ngram_range"] == [1, 3] and scorer.meta["sublinear_tf"]
    assert scorer._tables[3][0] == "sorted"
    assert_same(res.classifier, scorer, all_texts[::3] + EDGE)


def test_unigram_bigram_only_models(tmp_path, small_labels, monkeypatch):
    """ngram_range (2, 2): no unigram features, characters still need ids."""
    monkeypatch.setitem(linear._SPECS, "char22_svm", {"ngram": (2, 2), "sublinear": False, "words": False, "clf": "svm", "C": 1.0})
    res = classify.train(small_labels, models_dir=tmp_path / "m", model="char22_svm")
    scorer = linear.LinearScorer.load(linear.export_path(res.path))
    assert sorted(scorer._tables) == [2]
    assert_same(res.classifier, scorer, seed_paragraphs() + EDGE)


def test_two_class_calibrated_model(tmp_path, small_labels, all_texts):
    """A label set with two classes: binary calibration (1 - p for the negative class) and a
    four-way taxonomy with classes missing from the model."""
    data = pd.read_csv(small_labels / "paragraphs.csv")
    labels = tmp_path / "labels"
    labels.mkdir()
    data[data["label"].isin(["政治建设", "其他"])].to_csv(labels / "paragraphs.csv", index=False)
    res = classify.train(labels, models_dir=tmp_path / "m")
    scorer = linear.LinearScorer.load(linear.export_path(res.path))
    assert scorer.meta["classes"] == ["其他", "政治建设"]
    assert_same(res.classifier, scorer, all_texts[::4] + EDGE)


@pytest.mark.parametrize("model", ["keyword", "char_lr"])
def test_models_without_export_use_the_sklearn_path(tmp_path, small_labels, model):
    res = classify.train(small_labels, models_dir=tmp_path / "m", model=model)
    assert not linear.export_path(res.path).exists()
    with pytest.raises(ModelError, match="cannot be exported"):
        linear._export_content(res.classifier)
    wrapped = linear.ClassifierScorer(res.classifier)
    texts = ["严格落实中央八项规定精神，持续纠治四风", "今年高考成绩再创新高"]
    np.testing.assert_array_equal(wrapped.predict_proba(texts), res.classifier.predict_proba(texts).to_numpy())
    assert list(wrapped.predict(texts)) == list(res.classifier.predict(texts))


# --------------------------------------------------------------------------- export life cycle


def test_save_writes_an_export_tied_to_the_model(models):
    for tax in ("four", "six"):
        path = classify.model_path(models, tax)
        exp = linear.export_path(path)
        info = classify.read_sidecar(path)
        assert exp.is_file() and exp.stat().st_size < path.stat().st_size / 3
        meta = linear._read_export_meta(exp)
        assert meta["fingerprint"] == info["fingerprint"] and meta["model_sha256"] == info["model_sha256"]
        assert meta["skops_size"] == path.stat().st_size and meta["taxonomy"] == tax
        assert linear.export_matches(path, info)
        assert linear.current_fingerprint(tax, LABELS_DIR, models) == info["fingerprint"]
        with np.load(exp, allow_pickle=False) as npz:  # plain arrays, no pickled objects
            assert {"terms", "idf", "coef", "intercept", "cal_a", "cal_b", "target", "fold", "meta"} <= set(npz.files)


def test_export_is_built_once_from_an_older_skops_only_model(tmp_path, small_labels):
    models = tmp_path / "models"
    res = classify.train(small_labels, models_dir=models)
    exp = linear.export_path(res.path)
    exp.unlink()  # as a model saved before exports existed
    fresh_caches()
    scorer = linear.get_scorer("four", small_labels, models)
    assert exp.is_file() and scorer.fingerprint == res.classifier.fingerprint_
    assert_same(res.classifier, scorer, seed_paragraphs() + EDGE)
    mtime = exp.stat().st_mtime_ns
    fresh_caches()
    linear.get_scorer("four", small_labels, models)
    assert exp.stat().st_mtime_ns == mtime  # once: the second time it is just loaded


def test_a_current_model_is_scored_without_sklearn_pandas_or_skops(models):
    code = (
        "import sys, json\n"
        "from pipeline.classify import scorer as linear\n"
        f"s = linear.get_scorer('six', {str(LABELS_DIR)!r}, {str(models)!r})\n"
        "p = s.predict_proba(['严格监督执纪问责', '加强基层支部建设'])\n"
        f"fp = linear.current_fingerprint('six', {str(LABELS_DIR)!r}, {str(models)!r})\n"
        "heavy = [m for m in ('sklearn', 'pandas', 'scipy', 'skops') if m in sys.modules]\n"
        "print(json.dumps({'labels': s.labels_for(p).tolist(), 'fp': fp, 'heavy': heavy, 'type': type(s).__name__}))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=True)
    got = json.loads(out.stdout.strip().splitlines()[-1])
    assert got["heavy"] == [] and got["type"] == "LinearScorer"
    assert got["fp"] == classify.read_sidecar(classify.model_path(models, "six"))["fingerprint"]
    assert got["labels"] == ["纪律", "组织"]


def test_a_stale_export_is_never_used(tmp_path, small_labels):
    labels = tmp_path / "labels"
    shutil.copytree(small_labels, labels)
    models = tmp_path / "models"
    first = linear.get_scorer("four", labels, models)
    path = classify.model_path(models, "four")
    old_export = linear.export_path(path).read_bytes()
    # the labels change: the model is retrained and the new export used
    extra = pd.DataFrame({"text": ["严格落实中央八项规定精神，坚决纠治“四风”问题。"] * 1, "label": ["作风建设"]})
    extra.to_csv(labels / "extra.csv", index=False)
    second = linear.get_scorer("four", labels, models)
    info = classify.read_sidecar(path)
    assert info["training_data_sha256"] == classify.labels_hash(labels)
    assert second.fingerprint == info["fingerprint"] != first.fingerprint
    assert linear.export_path(path).read_bytes() != old_export
    # an export that belongs to another model (here: the previous one) is rebuilt, not used
    linear.export_path(path).write_bytes(old_export)
    fresh_caches()
    assert not linear.export_matches(path, info)
    third = linear.get_scorer("four", labels, models)
    assert third.fingerprint == info["fingerprint"]
    assert linear._read_export_meta(linear.export_path(path))["fingerprint"] == info["fingerprint"]
    assert linear.current_fingerprint("four", labels, models) == info["fingerprint"]


def test_a_corrupt_export_is_rebuilt_from_the_model(tmp_path, small_labels):
    models = tmp_path / "models"
    res = classify.train(small_labels, models_dir=models)
    exp = linear.export_path(res.path)
    for junk in (b"", b"PK\x03\x04 not an npz", exp.read_bytes()[:1000]):
        exp.write_bytes(junk)
        fresh_caches()
        scorer = linear.get_scorer("four", small_labels, models)
        assert scorer.fingerprint == res.classifier.fingerprint_
        assert linear._read_export_meta(exp)["fingerprint"] == res.classifier.fingerprint_
    with pytest.raises(ModelError, match="unreadable"):
        exp.write_bytes(b"junk")
        linear.LinearScorer.load(exp)


def test_a_corrupt_model_file_is_still_a_clear_error(tmp_path, small_labels):
    """The export does not hide a broken skops file (it is tied to the file's size)."""
    models = tmp_path / "models"
    classify.train(small_labels, models_dir=models)
    path = classify.model_path(models, "four")
    path.write_bytes(b"PK\x03\x04 this is not a model")
    fresh_caches()
    with pytest.raises(ModelError) as err:
        linear.get_scorer("four", small_labels, models)
    assert "[E003]" in str(err.value) and "dangjian train" in str(err.value)
    assert path.read_bytes() == b"PK\x03\x04 this is not a model"


# --------------------------------------------------------------------------- dangjian classify


def test_cli_classify_uses_the_fast_scorer_and_agrees_with_sklearn(tmp_path, models, labelled_texts, monkeypatch):
    texts = labelled_texts[:150] + seed_paragraphs()[:50] + EDGE
    inp = tmp_path / "in.csv"
    pd.DataFrame({"id": range(len(texts)), "text": texts}).to_csv(inp, index=False)
    clf = classify.get_classifier("four", LABELS_DIR, models)
    want = classify.classify_frame(classify.read_labelled_csv(inp, require_label=False), clf)

    def no_skops(path):
        raise AssertionError("the skops model was loaded")

    fresh_caches()
    monkeypatch.setattr(classify, "load_model_file", no_skops)
    out = tmp_path / "out.csv"
    res = runner.invoke(app, ["classify", str(inp), "--out", str(out), "--models-dir", str(models)])
    assert res.exit_code == 0, res.output
    got = pd.read_csv(out, encoding="utf-8-sig", dtype=str, keep_default_na=False)
    assert got["label"].tolist() == want["label"].tolist()
    assert got["uncertain"].tolist() == want["uncertain"].astype(str).tolist()
    pcols = [c for c in want.columns if c.startswith("p_")]
    np.testing.assert_allclose(got[pcols].astype(float).to_numpy(), want[pcols].to_numpy(), atol=1e-4 + 1e-9)


def test_classify_frame_accepts_either_model(models):
    df = pd.DataFrame({"text": ["加强党风廉政建设", "从严教育管理党员", ""]}, index=["a", "b", "c"])
    clf = classify.get_classifier("six", LABELS_DIR, models)
    scorer = linear.get_scorer("six", LABELS_DIR, models)
    a = classify.classify_frame(df, clf, threshold=0.6)
    b = classify.classify_frame(df, scorer, threshold=0.6)
    pd.testing.assert_frame_equal(a, b)


def test_isnan_guard():
    assert linear._coerce_texts([None, math.nan, 3, "x"]) == ["", "", "3", "x"]


def test_a_read_only_models_dir_still_gets_a_fast_scorer(tmp_path, small_labels, monkeypatch):
    models = tmp_path / "models"
    res = classify.train(small_labels, models_dir=models)
    linear.export_path(res.path).unlink()
    fresh_caches()

    def refuse(path, data, **kw):
        raise PermissionError(13, "Permission denied", str(path))

    monkeypatch.setattr(pipeline.atomic, "write_bytes", refuse)
    with pytest.warns(RuntimeWarning, match="cannot write"):
        scorer = linear.get_scorer("four", small_labels, models)
    assert isinstance(scorer, linear.LinearScorer) and not linear.export_path(res.path).exists()
    assert_same(res.classifier, scorer, seed_paragraphs() + EDGE)


def test_an_export_that_does_not_reproduce_its_model_is_not_written(tmp_path, small_labels, monkeypatch):
    """Safety net: save_model scores the export against the model before writing it."""
    real = linear._export_content

    def off_by_a_bit(clf):
        arrays, meta = real(clf)
        arrays["intercept"] = arrays["intercept"] + 1e-3
        return arrays, meta

    monkeypatch.setattr(linear, "_export_content", off_by_a_bit)
    with pytest.warns(RuntimeWarning, match="does not reproduce"):
        res = classify.train(small_labels, models_dir=tmp_path / "m")
    assert res.path.is_file() and not linear.export_path(res.path).exists()
    fresh_caches()
    with pytest.warns(RuntimeWarning, match="sklearn model instead"):
        scorer = linear.get_scorer("four", small_labels, tmp_path / "m")
    assert isinstance(scorer, linear.ClassifierScorer)
    texts = seed_paragraphs()[:20]
    np.testing.assert_array_equal(scorer.predict_proba(texts), res.classifier.predict_proba(texts).to_numpy())
