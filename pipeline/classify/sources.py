"""Source groups of the labelled paragraphs, for leave-one-source-group-out evaluation.

Each labelled row has an ``org_kind`` (the kind of organisation its text comes from, see
docs/annotation.md section 6). Some kinds have too few rows to be scored alone, so they are
merged into seven groups of 170-800 rows; a model is scored on each group after training on
the other six (``pipeline.classify.evaluate.loso``), which is the closest the labelled set
comes to "a collection of a kind the model has never seen". Plain data, standard library only.
"""

from __future__ import annotations

#: org_kind -> source group (unknown or empty kinds -> OTHER_GROUP)
SOURCE_GROUPS: dict[str, str] = {
    "enterprise": "enterprise",
    "school": "education",
    "university": "education",
    "village": "grassroots",
    "community": "grassroots",
    "discipline": "discipline",
    "government": "government",
    "central": "government",
    "provincial": "government",
    "congress-report": "national-reports",
    "government-report": "national-reports",
    "seed": "other",
    "other": "other",
}
OTHER_GROUP = "other"
GROUPS: tuple[str, ...] = ("discipline", "education", "enterprise", "government", "grassroots", "national-reports", "other")


def source_group(org_kind) -> str:
    """The source group of one ``org_kind`` (case and surrounding spaces ignored)."""
    key = str(org_kind or "").strip().lower()
    return SOURCE_GROUPS.get(key, OTHER_GROUP)
