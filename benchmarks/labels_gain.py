"""What a batch of new labels adds, on a fixed test set (leave one source group out).

    .venv/bin/python benchmarks/labels_gain.py --batches disc3 grass3 nat3 mix3

LOSO over all labels changes its test set when labels are added (new rows of a group are scored
too), so the mean can fall while the model improves. Here the test set stays the rows *not* in
the given batches: each source group's old rows are scored by ``char_svm`` trained on the other
groups, once without the batches' rows and once with them. Also: the model trained on the old
rows only, scored on each group's new rows (how hard the batch is for it).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from pipeline import classify  # noqa: E402


def _macro_f1(gold, pred) -> float:
    from sklearn.metrics import f1_score

    return float(f1_score(gold, pred, labels=sorted(set(gold)), average="macro"))


def _score(data, y, train, test) -> float:
    clf = classify.ParagraphClassifier().fit(data.iloc[train], y[train])
    proba = clf.predict_proba(data.iloc[test]).to_numpy()
    return _macro_f1(y[test], np.asarray(clf.labels_)[proba.argmax(1)])


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--labels", default=str(ROOT / "data" / "labels"))
    ap.add_argument("--batches", nargs="+", required=True, help="values of the labels' `batch` column that are new")
    args = ap.parse_args(argv)
    data = classify.load_labels(args.labels).reset_index(drop=True)
    new = data["batch"].astype(str).isin(args.batches).to_numpy() if "batch" in data else np.zeros(len(data), bool)
    groups = data["group"].astype(str).to_numpy()
    y = data["label"].astype(str).to_numpy()
    print(f"{len(data)} labels, {int(new.sum())} in batches {' '.join(args.batches)}")
    names = sorted(set(groups))
    for mode in ("without", "with"):
        scores = []
        for g in names:
            test = np.flatnonzero((groups == g) & ~new)
            train = np.flatnonzero((groups != g) & (np.ones_like(new) if mode == "with" else ~new))
            scores.append(_score(data, y, train, test))
        cells = ", ".join(f"{g} {s:.3f}" for g, s in zip(names, scores))
        print(f"old rows, trained {mode} the batches: LOSO mean {np.mean(scores):.4f} ({cells})")
    cells = []
    for g in names:
        test = np.flatnonzero((groups == g) & new)
        if len(test) >= 20:
            cells.append(f"{g} {_score(data, y, np.flatnonzero((groups != g) & ~new), test):.3f} (n={len(test)})")
    print("new rows, trained on the old rows of the other groups: " + ", ".join(cells))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
