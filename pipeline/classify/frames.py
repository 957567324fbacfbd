"""CSV-level operations used by the CLI: classify a CSV, evaluate on a gold CSV, export the
least certain paragraphs for labelling and import an analyst's labels.

These compose the stage (``registry`` for the model, ``data`` for labelled CSVs, ``evaluate``
for the scores) and write their results with pipeline.csvio / pipeline.atomic.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from pipeline.classify.data import load_labels, read_labelled_csv
from pipeline.classify.evaluate import Evaluation, evaluate_predictions
from pipeline.classify.files import label_files
from pipeline.classify.inputs import HEADING, TEXT, as_frame
from pipeline.classify.model import ParagraphClassifier, rollup_targets, uncertain
from pipeline.classify.registry import get_classifier, get_scorer
from pipeline.errors import InputError, LabelError


@dataclass
class ClassifyResult:
    path: Path
    n: int
    counts: dict
    n_uncertain: int
    input_label: str = ""  # what became of the input's own `label` column: "kept", "replaced" or ""

    def text(self) -> str:
        share = ", ".join(f"{k} {v}" for k, v in self.counts.items())
        out = f"classified {self.n} paragraphs ({share}); {self.n_uncertain} uncertain -> {self.path}"
        if self.input_label == "kept":
            out += "\nthe input's `label` column is kept as `label_input`; `label` holds the predictions (compare: `dangjian evaluate`)"
        elif self.input_label == "replaced":
            out += "\nthe input's `label` column (an earlier prediction) is replaced; its `label_input` column is kept as it was"
        return out


#: the column an input's own ``label`` is kept in by :func:`classify_csv`
INPUT_LABEL = "label_input"


def classify_frame(df: pd.DataFrame, clf, *, threshold: float = 0.5, explain: bool = False) -> pd.DataFrame:
    """``df`` plus ``label``, ``p_<label>``… and ``uncertain`` (and ``explain``). Existing columns
    of those names are replaced. ``clf`` is a ParagraphClassifier or a fast scorer
    (``get_scorer``; not with ``explain``)."""
    if isinstance(clf, ParagraphClassifier):
        proba = clf.predict_proba(df)
        labels = clf.labels_for(proba).to_numpy()
    else:
        frame = as_frame(df)
        p = clf.predict_proba(frame[TEXT].tolist(), frame[HEADING].tolist())
        proba = pd.DataFrame(p, columns=clf.columns, index=df.index)
        labels = clf.labels_for(p)
    out = df.drop(columns=[c for c in df.columns if c in ("label", "uncertain", "explain") or str(c).startswith("p_")])
    out = out.copy()
    out["label"] = labels
    for col in proba.columns:
        out[col] = proba[col].round(4).to_numpy()
    out["uncertain"] = uncertain(proba, threshold).to_numpy()
    if explain:
        out["explain"] = clf.explain(df)
    return out


def classify_csv(
    in_path, out_path, *, taxonomy: str = "four", explain: bool = False, labels_dir=None, models_dir=None, threshold: float = 0.5
) -> ClassifyResult:
    """Read any CSV with a ``text`` column (optional ``heading``), write it back with labels.
    Scores with the fast scorer (as ``dangjian run`` does); ``explain`` needs the sklearn model.
    An input ``label`` column (e.g. a gold file's) is never overwritten: it is kept as
    ``label_input`` next to the predicted ``label`` -- unless the input already has a
    ``label_input`` (it is an earlier output), whose ``label`` is then an earlier prediction."""
    from pipeline.csvio import write_csv

    df = read_labelled_csv(in_path, require_label=False)
    input_label = ""
    if "label" in df.columns:
        if INPUT_LABEL in df.columns:
            input_label = "replaced"
        else:
            df = df.rename(columns={"label": INPUT_LABEL})
            input_label = "kept"
    clf = get_classifier(taxonomy, labels_dir, models_dir) if explain else get_scorer(taxonomy, labels_dir, models_dir)
    out = classify_frame(df, clf, threshold=threshold, explain=explain)
    write_csv(out_path, out)
    counts = {k: int(v) for k, v in out["label"].value_counts().reindex(clf.labels_, fill_value=0).items()}
    return ClassifyResult(Path(out_path), len(out), counts, int(out["uncertain"].sum()), input_label)


def evaluate_csv(gold_path, out_path=None, *, taxonomy: str = "four", labels_dir=None, models_dir=None) -> tuple[Evaluation, Path]:
    """Score the model on a gold CSV (``text,label``); write the report to ``out_path``
    (default ``<gold>.eval.txt`` next to the gold file). Six-way gold labels are compared at the
    six-way level only with ``taxonomy='six'``; otherwise both sides are rolled up to four."""
    from pipeline.atomic import write_text
    from pipeline.taxonomy import load_taxonomy

    gold_path = Path(gold_path)
    df = read_labelled_csv(gold_path)
    df = df[df["label"].str.strip() != ""]
    if df.empty:
        raise InputError(f"{gold_path} has no labelled rows", "fill the label column")
    taxonomy = getattr(taxonomy, "value", taxonomy)
    tax = load_taxonomy(taxonomy)
    clf = get_classifier(taxonomy, labels_dir, models_dir)
    gold = df["label"].str.strip().tolist()
    pred = list(clf.predict(df))
    if taxonomy == "six" and set(gold) <= set(tax.labels) and set(gold) - set(tax.base_labels):
        labels = list(tax.labels)
    else:
        four = load_taxonomy("four")
        gold = list(rollup_targets(gold, four))
        pred = [clf.rollup_.get(p, p) for p in pred]
        labels = list(four.labels)
    ev = evaluate_predictions(gold, pred, labels)
    out_path = Path(out_path) if out_path is not None else gold_path.with_name(gold_path.stem + ".eval.txt")
    header = f"evaluation of {gold_path.name} ({taxonomy}, model {clf.model})\n\n"
    write_text(out_path, header + ev.text())
    return ev, out_path


@dataclass
class Exported:
    """What ``label export`` wrote: the file, its rows, and the least-confident paragraphs the
    annotation guideline left out (reason -> count, pipeline.classify.codebook)."""

    path: Path
    n: int
    left_out: dict

    def text(self) -> str:
        out = f"exported {self.n} paragraphs -> {self.path} (fill `label`, then `dangjian label import {self.path}`)"
        if self.left_out:
            why = ", ".join(f"{k} {v}" for k, v in self.left_out.items())
            out += f"\nleft out, as the annotation guideline asks (docs/annotation.md): {why}"
        return out


def labellable(df: pd.DataFrame) -> tuple[np.ndarray, list[str]]:
    """(mask, reasons) over the rows of a paragraphs frame, in order: True where the annotation
    guideline lets the paragraph be labelled; else its reason (codebook_reason, or
    ``duplicate`` of an earlier row with the same dedup_key)."""
    from pipeline.classify.codebook import codebook_reason, dedup_key

    n = len(df)
    texts = df[TEXT].astype(str).tolist() if TEXT in df.columns else [""] * n
    kinds = df["kind"].astype(str).tolist() if "kind" in df.columns else [""] * n
    heads = df[HEADING].astype(str).tolist() if HEADING in df.columns else [""] * n
    seen: set[str] = set()
    reasons = []
    for text, kind, head in zip(texts, kinds, heads):
        why = codebook_reason(text, kind, head)
        if not why:
            key = dedup_key(text)
            why = "duplicate" if key in seen else ""
            seen.add(key)
        reasons.append(why)
    return np.asarray([not r for r in reasons], dtype=bool), reasons


def export_uncertain(n: int, out_csv, *, out_dir=None, taxonomy: str = "four", labels_dir=None, models_dir=None) -> Exported:
    """The ``n`` paragraphs of ``OUT_DIR/paragraphs.csv`` the model is least sure of, with their
    ``p_`` columns, the model's guess as ``predicted`` and an empty ``label`` to fill in. Only
    paragraphs the annotation guideline lets be labelled (:func:`labellable`: no headings, table
    rows, boilerplate, rows under 20 or over 600 characters, one of each duplicate text, judged
    from the least confident on)."""
    from collections import Counter

    from pipeline.config import PROCESSED_DIR
    from pipeline.csvio import write_csv

    src = Path(out_dir if out_dir is not None else PROCESSED_DIR) / "paragraphs.csv"
    if not src.is_file():
        raise InputError(f"{src} does not exist", "run `dangjian run RAW_DIR --out DIR` first, or pass that folder as --out")
    df = read_labelled_csv(src, require_label=False)
    clf = get_classifier(taxonomy, labels_dir, models_dir)
    pcols = [f"p_{lab}" for lab in clf.labels_]
    if not all(c in df.columns for c in pcols):
        df = classify_frame(df, clf)
    probs = df[pcols].apply(pd.to_numeric, errors="coerce").fillna(0.0)
    top = probs.max(axis=1)
    order = np.lexsort((np.arange(len(df)), top.to_numpy()))  # least confident first, stable
    ranked = df.iloc[order]
    ok, reasons = labellable(ranked)
    want = max(0, int(n))
    pick = ranked[ok].iloc[:want].copy()
    # what was left out on the way to the last paragraph picked (or all of it, when too few were left)
    last = int(np.flatnonzero(ok)[want - 1]) + 1 if want and ok.sum() >= want else len(ranked)
    left_out = dict(Counter(r for r in reasons[:last] if r).most_common())
    keep = [c for c in ("doc_id", "para_id", "heading", "text") if c in pick.columns]
    out = pick[keep].copy()
    out["predicted"] = clf.labels_for(pick[pcols].apply(pd.to_numeric, errors="coerce").fillna(0.0)).to_numpy()
    for c in pcols:
        out[c] = pick[c].to_numpy()
    out["label"] = ""
    out["note"] = ""
    write_csv(out_csv, out)
    return Exported(Path(out_csv), len(out), left_out)


def import_labels(path, *, labels_dir=None, taxonomy: str = "four") -> tuple[Path | None, int, int]:
    """Validate an analyst's CSV (``text,label``; rows with an empty label are skipped) against
    the taxonomy and add it to ``labels_dir`` as a new file ``import-<time>-<name>.csv``.
    Rows whose text is already labelled identically are dropped; a different label for a known
    text is kept and wins at the next ``train`` (imports are read after ``paragraphs.csv``).
    Returns (written file or None, rows added, rows skipped as duplicates)."""
    import time

    from pipeline.config import LABELS_DIR
    from pipeline.csvio import write_csv
    from pipeline.taxonomy import load_taxonomy

    taxonomy = getattr(taxonomy, "value", taxonomy)
    labels_dir = Path(labels_dir) if labels_dir is not None else LABELS_DIR
    tax = load_taxonomy(taxonomy)
    df = read_labelled_csv(path)
    df["text"] = df["text"].str.strip()
    df["label"] = df["label"].str.strip()
    df = df[(df["label"] != "") & (df["text"] != "")]
    if df.empty:
        raise LabelError(f"{path} has no filled-in labels", "fill the label column for the rows you checked")
    bad = sorted(set(df["label"]) - set(tax.labels))
    if bad:
        raise LabelError(
            f"{Path(path).name}: labels outside the {taxonomy!r} taxonomy: {', '.join(bad)}",
            f"use one of: {', '.join(tax.labels)}" + ("" if taxonomy == "six" else " (or --taxonomy six)"),
        )
    out = pd.DataFrame(
        {
            "doc": df["doc"] if "doc" in df.columns else (df["doc_id"] if "doc_id" in df.columns else ""),
            "para_id": df["para_id"] if "para_id" in df.columns else "",
            "text": df["text"],
            "label": df["label"].map(dict(tax.rollup)),
            "note": df["note"] if "note" in df.columns else "",
        }
    )
    if taxonomy == "six":
        out["label6"] = df["label"].to_numpy()
    out = out.drop_duplicates(subset="text", keep="last")
    existing = {}
    if labels_dir.is_dir() and label_files(labels_dir):
        try:
            cur = load_labels(labels_dir)
            existing = dict(zip(cur["text"], cur["label"]))
        except (LabelError, InputError):
            existing = {}
    dup = out.apply(lambda r: existing.get(r["text"]) == r["label"] and "label6" not in out.columns, axis=1) if len(out) else []
    skipped = int(np.sum(dup)) if len(out) else 0
    out = out[~np.asarray(dup, dtype=bool)] if len(out) else out
    if out.empty:
        return None, 0, skipped
    stem = re.sub(r"[^\w.-]+", "_", Path(path).stem)[:60] or "labels"
    dest = labels_dir / f"import-{time.strftime('%Y%m%d-%H%M%S')}-{stem}.csv"
    write_csv(dest, out)
    return dest, len(out), skipped
