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


_SCHEME = ("http://", "https://")
_HOST_PREFIXES = ("www.", "m.", "wap.", "big5.")


def _bare_host(host: str) -> str:
    """``host`` without its mirror prefixes: big5.www.x.cn -> x.cn; www.com stays."""
    for prefix in _HOST_PREFIXES:
        if host.startswith(prefix) and host.count(".") > 1:
            return _bare_host(host[len(prefix) :])
    return host


def site_of(doc) -> str:
    """The site a labelled document comes from: the host of a web page's URL (without ``www.``,
    ``m.``, ``wap.``, ``big5.``; a mobile or traditional-character mirror is the same site), or
    the collection of a file (its first folder, after an optional ``corpus/``: one school's
    reports are one source). A bare name without a folder is its own site. Site-grouped cross-validation
    (``pipeline.classify.evaluate.oof_sites``) keeps every site's rows in one fold: the model is
    scored on organisations it has not seen, of kinds it has."""
    doc = str(doc or "").strip()
    low = doc.lower()
    if low.startswith(_SCHEME):
        return _bare_host(low.split("://", 1)[1].split("/", 1)[0].split("?", 1)[0])
    parts = [p for p in doc.replace("\\", "/").split("/") if p]
    if len(parts) > 2 and parts[0] == "corpus":
        parts = parts[1:]
    return parts[0] if len(parts) > 1 else doc
