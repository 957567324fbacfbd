"""The shapes of the cached values, checked before a blob is used (:meth:`Cache.get`'s ``valid``).

A blob that decodes but is not of this shape (written by another version, edited by hand, a
valid-looking accident) would crash every later run; it is recomputed instead. The checks are
structural (types of every field the run reads), not semantic, and cost a few isinstance calls
per paragraph.
"""

from __future__ import annotations

_SCALARS = (str, int, float, bool, type(None))
_LOG_KEYS = ("path", "status", "reason", "doc_id")
_YEAR_KEYS = ("year", "pub_year", "report_year")


def _scalars(row) -> bool:
    return isinstance(row, dict) and all(isinstance(v, _SCALARS) for v in row.values())


def _int(v) -> bool:
    return isinstance(v, int) and not isinstance(v, bool)


def valid_ingest(value) -> bool:
    """``{"log": row, "doc": None}`` or ``{"log": row, "doc": row, "paragraphs": [row],
    "removed": [[line_no, rule, text]]}`` with the fields the run reads typed as it reads them."""
    if not isinstance(value, dict):
        return False
    log = value.get("log")
    if not (isinstance(log, dict) and all(isinstance(log.get(k), str) for k in _LOG_KEYS)):
        return False
    doc = value.get("doc", 0)
    if doc is None:
        return True
    if not (_scalars(doc) and isinstance(doc.get("doc_id"), str) and doc["doc_id"] and isinstance(doc.get("path"), str)):
        return False
    if not all(doc.get(k) is None or _int(doc.get(k)) for k in _YEAR_KEYS):
        return False
    paras, removed = value.get("paragraphs"), value.get("removed")
    if not (isinstance(paras, list) and isinstance(removed, list)):
        return False
    for p in paras:
        if not (_scalars(p) and isinstance(p.get("text"), str) and isinstance(p.get("heading", ""), str)):
            return False
    for r in removed:
        if not (isinstance(r, list) and len(r) == 3 and _int(r[0]) and isinstance(r[1], str) and isinstance(r[2], str)):
            return False
    return True


def analysis_check(n_paragraphs: int, columns: list[str]):
    """The check of an analysis blob for a document of ``n_paragraphs`` paragraphs classified
    into probability ``columns``: ``{"term_hits": {term: n}, "words": {word: n}, "labels":
    [{"label": str, <column>: float, ..., "uncertain": bool}] * n_paragraphs}``."""
    wanted = {"label", "uncertain", *columns}

    def valid(value) -> bool:
        if not isinstance(value, dict):
            return False
        for name in ("term_hits", "words"):
            counts = value.get(name)
            if not (isinstance(counts, dict) and all(_int(n) for n in counts.values())):
                return False
        labels = value.get("labels")
        if not (isinstance(labels, list) and len(labels) == n_paragraphs):
            return False
        for lab in labels:
            if not (isinstance(lab, dict) and lab.keys() == wanted and isinstance(lab["label"], str) and isinstance(lab["uncertain"], bool)):
                return False
            if not all(isinstance(lab[c], (int, float)) and not isinstance(lab[c], bool) for c in columns):
                return False
        return True

    return valid
