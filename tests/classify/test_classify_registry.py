"""pipeline.classify.registry: the one decision - load the current model or train it - for the
sklearn classifier and the fast scorer: retraining when the labels change, stale, foreign and
corrupt exports, corrupt model files, models saved before a format change, read-only models
folders, and the sklearn-free fast path."""

from __future__ import annotations

import hashlib
import json
import re
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pandas as pd
import pytest
from classify_helpers import (
    EDGE,
    assert_same,
    fresh_caches,
    sample_line,
    seed_paragraphs,
    shipped_models_dir,
)
from conftest import ROOT, write_label_sample

import pipeline.atomic
from pipeline import classify
from pipeline.classify import export, registry
from pipeline.classify.scorer import LinearScorer
from pipeline.config import LABELS_DIR
from pipeline.errors import ModelError


@pytest.fixture(scope="session")
def models(tmp_path_factory) -> Path:
    """The shipped-labels models (four and six), trained once into a temporary models dir."""
    d = shipped_models_dir(tmp_path_factory)
    for tax in ("four", "six"):
        classify.get_classifier(tax, LABELS_DIR, d)
    return d


@pytest.fixture(scope="session")
def small_labels(tmp_path_factory) -> Path:
    """A stratified 240-row slice of the shipped labels (fast fits)."""
    return write_label_sample(tmp_path_factory.mktemp("labels"), per_label=60, seed=0)


@pytest.fixture(scope="session")
def fast_labels(tmp_path_factory) -> Path:
    """A stratified 200-row slice of the shipped labels (the fast scorer's life-cycle tests)."""
    return write_label_sample(tmp_path_factory.mktemp("fast_labels"), per_label=50, seed=1)


# --------------------------------------------------------------------------- the sklearn classifier


def test_corrupt_model_is_a_clear_error(tmp_path, small_labels):
    models = tmp_path / "models"
    classify.train(small_labels, models_dir=models)
    path = classify.model_path(models, "four")
    path.write_bytes(b"PK\x03\x04 this is not a model")
    registry._CACHE.clear()
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


def test_load_model_from_settings(tmp_path, small_labels):
    from pipeline.config import LEXICON_DIR, Settings

    lex = tmp_path / "lexicons"
    shutil.copytree(LEXICON_DIR, lex)
    settings = Settings(labels_dir=small_labels, models_dir=tmp_path / "models", lexicon_dir=lex)
    first = classify.load_model(settings)
    registry._CACHE.clear()
    again = classify.load_model(settings)  # from the saved file this time
    assert again is not first and again.fingerprint_ == first.fingerprint_
    assert list(again.predict([sample_line("003", "9.从严教育管理党员")])) == ["组织建设"]


def as_saved_before_the_split(path: Path) -> None:
    """Make a saved model look like one written by the code before the classify split: its
    classes and functions under ``pipeline.classify.core`` and MODEL_FORMAT_VERSION 1."""
    with zipfile.ZipFile(path) as z:
        entries = {name: z.read(name) for name in z.namelist()}
    schema = entries["schema.json"].decode("utf-8")
    moved = re.sub(r'"__module__": "pipeline\.classify\.\w+"', '"__module__": "pipeline.classify.core"', schema)
    assert moved != schema
    entries["schema.json"] = moved.encode("utf-8")
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in entries.items():
            z.writestr(name, data)
    side = classify.sidecar_path(path)
    info = json.loads(side.read_text(encoding="utf-8"))
    info["format"] = 1
    info["model_sha256"] = hashlib.sha256(path.read_bytes()).hexdigest()
    side.write_text(json.dumps(info, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")


def test_a_model_saved_before_the_module_move_is_retrained(tmp_path, small_labels):
    """The old module paths are not trusted (loading such a file is refused), so the format
    bump must make the registry retrain it - for the sklearn model and for the fast scorer."""
    models = tmp_path / "models"
    res = classify.train(small_labels, models_dir=models)
    assert classify.MODEL_FORMAT_VERSION > 1
    for get in (classify.get_classifier, classify.get_scorer, classify.current_fingerprint):
        as_saved_before_the_split(res.path)
        fresh_caches()
        with pytest.raises(ModelError, match="never saves"):
            classify.load_model_file(res.path)
        got = get("four", small_labels, models)  # retrained, not refused
        info = classify.read_sidecar(res.path)
        assert info["format"] == classify.MODEL_FORMAT_VERSION
        assert getattr(got, "fingerprint_", getattr(got, "fingerprint", got)) == info["fingerprint"]
        assert classify.load_model_file(res.path).fingerprint_ == info["fingerprint"] == res.classifier.fingerprint_
        assert classify.export_matches(res.path, info)


# --------------------------------------------------------------------------- the fast scorer


def test_export_is_built_once_from_an_older_skops_only_model(tmp_path, fast_labels):
    models = tmp_path / "models"
    res = classify.train(fast_labels, models_dir=models)
    exp = classify.export_path(res.path)
    exp.unlink()  # as a model saved before exports existed
    fresh_caches()
    scorer = classify.get_scorer("four", fast_labels, models)
    assert exp.is_file() and scorer.fingerprint == res.classifier.fingerprint_
    assert_same(res.classifier, scorer, seed_paragraphs() + EDGE)
    mtime = exp.stat().st_mtime_ns
    fresh_caches()
    classify.get_scorer("four", fast_labels, models)
    assert exp.stat().st_mtime_ns == mtime  # once: the second time it is just loaded


def test_a_current_model_is_scored_without_sklearn_pandas_or_skops(models):
    code = (
        "import sys, json\n"
        "from pipeline.classify import scorer, get_scorer, current_fingerprint\n"
        f"s = get_scorer('six', {str(LABELS_DIR)!r}, {str(models)!r})\n"
        "p = s.predict_proba(['严格监督执纪问责', '加强基层支部建设'])\n"
        f"fp = current_fingerprint('six', {str(LABELS_DIR)!r}, {str(models)!r})\n"
        "heavy = [m for m in ('sklearn', 'pandas', 'scipy', 'skops') if m in sys.modules]\n"
        "print(json.dumps({'labels': s.labels_for(p).tolist(), 'fp': fp, 'heavy': heavy, 'type': type(s).__name__,\n"
        "                  'same_class': isinstance(s, scorer.LinearScorer)}))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=True)
    got = json.loads(out.stdout.strip().splitlines()[-1])
    assert got["heavy"] == [] and got["type"] == "LinearScorer" and got["same_class"]
    assert got["fp"] == classify.read_sidecar(classify.model_path(models, "six"))["fingerprint"]
    assert got["labels"] == ["纪律", "组织"]


def test_a_stale_export_is_never_used(tmp_path, fast_labels):
    labels = tmp_path / "labels"
    shutil.copytree(fast_labels, labels)
    models = tmp_path / "models"
    first = classify.get_scorer("four", labels, models)
    path = classify.model_path(models, "four")
    old_export = classify.export_path(path).read_bytes()
    # the labels change: the model is retrained and the new export used
    extra = pd.DataFrame({"text": ["严格落实中央八项规定精神，坚决纠治“四风”问题。"] * 1, "label": ["作风建设"]})
    extra.to_csv(labels / "extra.csv", index=False)
    second = classify.get_scorer("four", labels, models)
    info = classify.read_sidecar(path)
    assert info["training_data_sha256"] == classify.labels_hash(labels)
    assert second.fingerprint == info["fingerprint"] != first.fingerprint
    assert classify.export_path(path).read_bytes() != old_export
    # an export that belongs to another model (here: the previous one) is rebuilt, not used
    classify.export_path(path).write_bytes(old_export)
    fresh_caches()
    assert not classify.export_matches(path, info)
    third = classify.get_scorer("four", labels, models)
    assert third.fingerprint == info["fingerprint"]
    assert export._read_export_meta(classify.export_path(path))["fingerprint"] == info["fingerprint"]
    assert classify.current_fingerprint("four", labels, models) == info["fingerprint"]


def test_a_corrupt_export_is_rebuilt_from_the_model(tmp_path, fast_labels):
    models = tmp_path / "models"
    res = classify.train(fast_labels, models_dir=models)
    exp = classify.export_path(res.path)
    for junk in (b"", b"PK\x03\x04 not an npz", exp.read_bytes()[:1000]):
        exp.write_bytes(junk)
        fresh_caches()
        scorer = classify.get_scorer("four", fast_labels, models)
        assert scorer.fingerprint == res.classifier.fingerprint_
        assert export._read_export_meta(exp)["fingerprint"] == res.classifier.fingerprint_
    with pytest.raises(ModelError, match="unreadable"):
        exp.write_bytes(b"junk")
        LinearScorer.load(exp)


def test_a_corrupt_model_file_is_still_a_clear_error(tmp_path, fast_labels):
    """The export does not hide a broken skops file (it is tied to the file's size)."""
    models = tmp_path / "models"
    classify.train(fast_labels, models_dir=models)
    path = classify.model_path(models, "four")
    path.write_bytes(b"PK\x03\x04 this is not a model")
    fresh_caches()
    with pytest.raises(ModelError) as err:
        classify.get_scorer("four", fast_labels, models)
    assert "[E003]" in str(err.value) and "dangjian train" in str(err.value)
    assert path.read_bytes() == b"PK\x03\x04 this is not a model"


def test_a_read_only_models_dir_still_gets_a_fast_scorer(tmp_path, fast_labels, monkeypatch):
    models = tmp_path / "models"
    res = classify.train(fast_labels, models_dir=models)
    classify.export_path(res.path).unlink()
    fresh_caches()

    def refuse(path, data, **kw):
        raise PermissionError(13, "Permission denied", str(path))

    monkeypatch.setattr(pipeline.atomic, "write_bytes", refuse)
    with pytest.warns(RuntimeWarning, match="cannot write"):
        scorer = classify.get_scorer("four", fast_labels, models)
    assert isinstance(scorer, LinearScorer) and not classify.export_path(res.path).exists()
    assert_same(res.classifier, scorer, seed_paragraphs() + EDGE)
