"""pipeline.classify.persist: skops round trip with its sidecar, and only trusted types."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from classify_helpers import CLEAR, P_COLS, sample_line, shipped_models_dir

from pipeline import classify
from pipeline.classify import features, model, persist, steps
from pipeline.config import LABELS_DIR
from pipeline.errors import ModelError


@pytest.fixture(scope="session")
def models_dir(tmp_path_factory) -> Path:
    return shipped_models_dir(tmp_path_factory)


@pytest.fixture(scope="session")
def clf(models_dir):
    """The shipped-labels model, trained once into a temporary models dir (first-use path)."""
    return classify.get_classifier("four", LABELS_DIR, models_dir)


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


def test_trusted_types_name_the_objects_where_they_live():
    """The project's own entries follow the objects (a move cannot leave a stale name)."""
    own = [model.ParagraphClassifier, steps.TextFrame, steps.LexiconCounts, steps.KeywordRule, features.segment_tokens, features.char_preprocess]
    for obj in own:
        name = f"{obj.__module__}.{obj.__qualname__}"
        assert name in persist.TRUSTED_TYPES
        assert name.startswith("pipeline.classify.") and ".core." not in name


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
