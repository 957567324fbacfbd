"""pipeline.classify.data: the labels folder as training data (validation, six-way roll-up,
later files win)."""

from __future__ import annotations

import pytest

from pipeline import classify
from pipeline.errors import LabelError


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
