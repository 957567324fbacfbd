"""Flag labelled paragraphs whose label the model doubts, for re-reading (label hygiene).

    .venv/bin/python benchmarks/label_issues.py [--labels data/labels] [--out docs/labels/cleanlab_flags.csv]

Out-of-fold posteriors of the default four-way model (doc-grouped 5-fold CV, seed 0: the same
posteriors as the model's calibration file) go to cleanlab's ``find_label_issues`` (confident
learning: a row is flagged when its given label is unlikely compared with the per-class
thresholds learnt from all rows). The flagged rows are written ranked by self-confidence (the
posterior of the given label, lowest first) with the model's suggestion. Labels are never changed
here: an annotator re-reads the flags (docs/annotation.md) and corrects through
``dangjian label import``.
"""

from __future__ import annotations

import argparse
import csv
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from pipeline import classify  # noqa: E402

COLUMNS = ["rank", "doc", "para_id", "org_kind", "text", "label", "suggested", "self_confidence", "p_suggested", "label6"]


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--labels", type=Path, default=ROOT / "data" / "labels")
    ap.add_argument("--out", type=Path, default=ROOT / "docs" / "labels" / "cleanlab_flags.csv")
    ap.add_argument("--model", default=classify.DEFAULT_MODEL)
    ap.add_argument("--show", type=int, default=40, help="print this many top flags")
    args = ap.parse_args(argv)
    try:
        from cleanlab.filter import find_label_issues
    except ImportError:
        sys.exit("cleanlab is not installed: pip install -e '.[dev]'")

    data = classify.load_labels(args.labels)
    oof = classify.oof_cv(data, None, args.model)
    labels = list(oof.labels)
    given = np.asarray([labels.index(g) for g in oof.gold])
    ranked = find_label_issues(given, oof.proba, return_indices_ranked_by="self_confidence")
    rows = []
    for rank, i in enumerate(ranked, start=1):
        r = data.iloc[i]
        sug = int(np.argmax(oof.proba[i]))
        rows.append(
            {
                "rank": rank,
                "doc": r["doc"],
                "para_id": r.get("para_id", ""),
                "org_kind": r["org_kind"],
                "text": r["text"],
                "label": r["label"],
                "suggested": labels[sug],
                "self_confidence": f"{oof.proba[i, given[i]]:.3f}",
                "p_suggested": f"{oof.proba[i, sug]:.3f}",
                "label6": r.get("label6", ""),
            }
        )
    args.out.parent.mkdir(parents=True, exist_ok=True)
    with args.out.open("w", encoding="utf-8", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=COLUMNS)
        w.writeheader()
        w.writerows(rows)
    print(f"{len(rows)} of {len(data)} labelled paragraphs flagged ({args.model}, out-of-fold, doc-grouped 5-fold CV); written to {args.out}")
    for r in rows[: args.show]:
        print(f"{r['rank']:>3} {r['label']}->{r['suggested']} ({r['self_confidence']}) {r['doc'][-40:]}:{r['para_id']} {r['text'][:70]}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
