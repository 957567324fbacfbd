"""pipeline.classify.sources: org_kind -> source group, and the group column of load_labels."""

from __future__ import annotations

from pipeline import classify
from pipeline.classify.sources import GROUPS, SOURCE_GROUPS, source_group
from pipeline.config import LABELS_DIR


def test_every_kind_maps_to_a_group():
    assert set(SOURCE_GROUPS.values()) == set(GROUPS)
    assert source_group("School ") == "education" and source_group("university") == "education"
    assert source_group("village") == source_group("community") == "grassroots"
    assert source_group("congress-report") == source_group("government-report") == "national-reports"
    assert source_group("") == source_group(None) == source_group("martian") == "other"


def test_shipped_labels_have_org_kind_and_enough_rows_per_group():
    data = classify.load_labels(LABELS_DIR)
    assert (data["org_kind"] != "").all()
    counts = data["group"].value_counts()
    assert set(counts.index) == set(GROUPS)
    assert counts.min() >= 150  # every left-out group is big enough to be scored alone
    assert set(data["source"]) >= {"paragraphs.csv", "web.csv"}  # source stays the file name


def test_files_without_org_kind_get_the_other_group(tmp_path):
    (tmp_path / "paragraphs.csv").write_text("text,label\n甲,政治建设\n", encoding="utf-8")
    data = classify.load_labels(tmp_path)
    assert data["org_kind"].tolist() == [""] and data["group"].tolist() == ["other"] and data["label6"].tolist() == [""]
