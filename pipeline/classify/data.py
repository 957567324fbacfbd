"""Labelled data: reading one labelled CSV and the whole labels folder as training data.

A labels folder holds CSVs with ``text`` and ``label`` (optional ``doc``, ``para_id``,
``heading``, ``note``, ``label6``, ``org_kind``), read in ``files.label_files`` order, so later
imports correct earlier labels of the same text. Four-way and six-way labels are accepted;
six-way ones roll up (and are kept as ``label6``). Every row gets ``source`` (the file it came
from), ``org_kind`` ('' when the file has none) and ``group``, its source group for
leave-one-source-group-out evaluation (``pipeline.classify.sources``).
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from pipeline.classify.files import label_files
from pipeline.classify.inputs import HEADING, TEXT
from pipeline.classify.sources import source_group
from pipeline.errors import InputError, LabelError, TaxonomyError

LABEL_COLUMNS = ("doc", "para_id", "text", "label", "note")


def read_labelled_csv(path, *, require_label: bool = True) -> pd.DataFrame:
    """One labelled CSV -> DataFrame (all str). Raises InputError on unreadable/empty/no text."""
    from pipeline.csvio import read_csv

    path = Path(path)
    try:
        df = read_csv(path)
    except FileNotFoundError as err:
        raise InputError(f"{path} does not exist", "check the path") from err
    except pd.errors.EmptyDataError as err:
        raise InputError(f"{path} is empty", "give a CSV with a header row and a `text` column") from err
    except (pd.errors.ParserError, UnicodeDecodeError) as err:
        raise InputError(f"{path} is not a readable UTF-8 CSV: {err}", "save it as CSV UTF-8") from err
    df.columns = [str(c).strip() for c in df.columns]
    if TEXT not in df.columns:
        raise InputError(f"{path} has no `text` column (columns: {', '.join(df.columns)})", "add a column named text")
    if require_label and "label" not in df.columns:
        raise InputError(f"{path} has no `label` column", "add a column named label")
    if df.empty:
        raise InputError(f"{path} has no rows", "give at least one paragraph")
    return df


def load_labels(labels_dir, taxonomy: str = "four", lexicon_dir=None) -> pd.DataFrame:
    """All CSVs in ``labels_dir`` -> one DataFrame with text, label (+doc, heading, label6 if
    present); rows with empty text or label are dropped; duplicates by text keep the last
    (files read in name order, so later imports correct earlier labels)."""
    from pipeline.taxonomy import load_taxonomy

    files = label_files(labels_dir)
    if not files:
        raise LabelError(f"no labelled CSVs in {labels_dir}", "add data/labels/*.csv or pass --labels DIR")
    tax4 = load_taxonomy("four", lexicon_dir)
    try:
        tax6 = load_taxonomy("six", lexicon_dir)
        allowed = set(tax4.labels) | set(tax6.labels)
    except TaxonomyError:
        tax6, allowed = None, set(tax4.labels)
    frames = []
    for path in files:
        df = read_labelled_csv(path)
        df["text"] = df["text"].str.strip()
        df["label"] = df["label"].str.strip()
        df = df[(df["text"] != "") & (df["label"] != "")]
        bad = sorted(set(df["label"]) - allowed)
        if bad:
            raise LabelError(f"{path.name}: labels outside the taxonomy: {', '.join(bad)}", f"use one of: {', '.join(tax4.labels)}")
        df = df.assign(source=path.name)
        frames.append(df)
    data = pd.concat(frames, ignore_index=True)
    if tax6 is not None:  # six-way labels in `label` roll up; keep them as label6
        six_only = data["label"].isin(set(tax6.labels) - set(tax4.labels))
        if six_only.any():
            if "label6" not in data.columns:
                data["label6"] = ""
            data.loc[six_only, "label6"] = data.loc[six_only, "label"]
            data.loc[six_only, "label"] = data.loc[six_only, "label"].map(dict(tax6.rollup))
    for col in ("doc", HEADING, "label6", "org_kind"):
        if col not in data.columns:
            data[col] = ""
        data[col] = data[col].fillna("").astype(str).str.strip()
    data["group"] = data["org_kind"].map(source_group)
    data = data.drop_duplicates(subset="text", keep="last").reset_index(drop=True)
    return data


def six_way_targets(data: pd.DataFrame, lexicon_dir=None) -> pd.Series:
    """The six-way training target of each row: its ``label6`` when that is a six-way label
    rolling up to the row's four-way ``label``; 其他 for 其他 rows without one; '' when the row
    has no usable six-way label (a four-way-only import, or a stale ``label6`` that a later
    correction of ``label`` contradicts)."""
    from pipeline.taxonomy import OTHER, load_taxonomy

    tax6 = load_taxonomy("six", lexicon_dir)
    rollup = dict(tax6.rollup)
    label6 = data["label6"].fillna("").astype(str).str.strip() if "label6" in data.columns else pd.Series("", index=data.index)
    ok = label6.map(lambda v: v in rollup) & (label6.map(rollup.get) == data["label"])
    out = label6.where(ok, "")
    out[(out == "") & (data["label"] == OTHER) & (OTHER in rollup)] = OTHER
    return out.rename("label6")
