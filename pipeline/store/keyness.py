"""Keyness between two groups of a finished run's documents: which formulations (from
``term_counts``) and which content words (the run's paragraphs segmented again, with the run's
lexicon) are most distinctive of one group against the other (:func:`pipeline.trends.keyness`).

A group is named by a document column and values: ``"genre=述职述廉"``, ``"org=A党委|B党委"``,
``{"year": [2019, 2020]}``, or a boolean mask / list of doc_ids; the other group defaults to
every other document."""

from __future__ import annotations

from collections import Counter
from typing import Iterable

import pandas as pd

from pipeline import trends
from pipeline.text import has_han

BODY_KINDS = ("body", "item", "")


def parse_group(spec) -> dict[str, list[str]]:
    """``"col=v1|v2"`` (also ``col:v``), or a mapping -> {column: [values as text]}."""
    if isinstance(spec, dict):
        return {str(k): [str(x) for x in (v if isinstance(v, (list, tuple, set)) else [v])] for k, v in spec.items()}
    if isinstance(spec, str):
        for sep in ("=", ":"):
            if sep in spec:
                col, _, values = spec.partition(sep)
                vals = [v.strip() for v in values.split("|") if v.strip()]
                if col.strip() and vals:
                    return {col.strip(): vals}
    raise ValueError(f"a group is 'column=value' (values separated by |) or a mapping, not {spec!r}")


def select(documents: pd.DataFrame, spec) -> pd.Series:
    """A boolean mask over ``documents`` for a group ``spec`` (see the module docstring)."""
    if isinstance(spec, pd.Series) and spec.dtype == bool:
        return spec.reindex(documents.index, fill_value=False)
    if isinstance(spec, (list, tuple, set)) and not isinstance(spec, str):
        return documents["doc_id"].astype(str).isin({str(x) for x in spec})
    mask = pd.Series(True, index=documents.index)
    for col, values in parse_group(spec).items():
        groups = trends.group_values(documents, col) if col not in ("org", "source") else trends.doc_frame(documents, "org")["key"]
        mask &= groups.isin(values)
    return mask


def _words(paragraphs: pd.DataFrame, segmenter, stopwords) -> tuple[Counter, int]:
    counts: Counter = Counter()
    total = 0
    for text in paragraphs["text"].astype(str):
        for word, n in segmenter.count(text).items():
            total += n
            if len(word) >= 2 and has_han(word) and word not in stopwords:
                counts[word] += n
    return counts, total


def keyness_table(
    tables, a, b=None, *, top: int = 30, min_count: int = 3, words: bool = True, lexicon=None, stopwords: Iterable[str] = ()
) -> pd.DataFrame:
    """Formulations and words most distinctive of group ``a`` against ``b`` (default: the rest).

    ``tables`` is a :class:`pipeline.store.runs.RunTables`. Formulation rates are per 10,000
    characters of the groups' documents; word rates per 10,000 tokens. Raises ValueError for a
    group with no documents. ``df.attrs`` records the groups and their document counts."""
    docs = tables.documents
    mask_a = select(docs, a)
    mask_b = ~mask_a if b is None else select(docs, b) & ~mask_a
    for name, mask, spec in (("a", mask_a, a), ("b", mask_b, b if b is not None else "the rest")):
        if not mask.any():
            raise ValueError(f"group {name} ({spec!r}) has no documents")
    ids_a = set(docs.loc[mask_a, "doc_id"].astype(str))
    ids_b = set(docs.loc[mask_b, "doc_id"].astype(str))
    chars = pd.to_numeric(docs["n_chars"], errors="coerce").fillna(0)
    parts = []
    tc = tables.term_counts
    if not tc.empty:
        ids = tc["doc_id"].astype(str)
        count = pd.to_numeric(tc["count"], errors="coerce").fillna(0)
        parts.append(
            trends.keyness(
                count[ids.isin(ids_a)].groupby(tc["term"][ids.isin(ids_a)]).sum(),
                count[ids.isin(ids_b)].groupby(tc["term"][ids.isin(ids_b)]).sum(),
                total_a=float(chars[mask_a].sum()),
                total_b=float(chars[mask_b].sum()),
                kind="formulation",
                top=top,
                min_count=min_count,
            )
        )
    paras = tables.paragraphs
    if words and not paras.empty:
        from pipeline.segment import make_segmenter

        seg = make_segmenter("jieba", lexicon).initialize()
        stop = frozenset(stopwords)
        body = paras[paras["kind"].astype(str).isin(BODY_KINDS)] if "kind" in paras else paras
        pid = body["doc_id"].astype(str)
        wa, na = _words(body[pid.isin(ids_a)], seg, stop)
        wb, nb = _words(body[pid.isin(ids_b)], seg, stop)
        parts.append(
            trends.keyness(
                pd.Series(wa, dtype="int64"), pd.Series(wb, dtype="int64"), total_a=na, total_b=nb, kind="word", top=top, min_count=min_count
            )
        )
    out = (
        pd.concat([p for p in parts if not p.empty], ignore_index=True)
        if any(not p.empty for p in parts)
        else pd.DataFrame(columns=trends.KEYNESS_COLUMNS)
    )
    out.attrs.update({"a": str(a), "b": str(b) if b is not None else "the rest", "n_docs_a": int(mask_a.sum()), "n_docs_b": int(mask_b.sum())})
    return out
