"""Compare the paragraph-classifier candidates by cross-validation and score the winner once on
a held-out part of the labelled set.

    .venv/bin/python benchmarks/compare_classifiers.py [--labels data/labels] [--with-headings] [--top 15]

Protocol (see docs/classifier.md):
  1. 20% of the labelled paragraphs are held out, stratified by label and grouped by ``doc``
     (StratifiedGroupKFold(5, shuffle, seed 0), first fold). Nothing below looks at them until 4.
  2. Every candidate is scored by 5-fold StratifiedGroupKFold (seed 0) on the other 80%.
  3. The best mean macro-F1 wins.
  4. The winner is fitted on the 80% and scored once on the held-out 20%.
  5. Top features per class of the winner (fitted on the 80%) are printed for the leakage check.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from pipeline import classify  # noqa: E402
from pipeline.taxonomy import load_taxonomy  # noqa: E402


def add_headings(data, shared: Path):
    """Heading path of each labelled paragraph, as `dangjian ingest` would give it (docs are
    paths relative to ../shared). Used only to test whether headings help."""
    from pipeline import ingest
    from pipeline import text as T
    from pipeline.config import Settings

    settings = Settings()
    maps = {}
    for doc in data["doc"].unique():
        path = shared / doc
        if not path.is_file():
            maps[doc] = {}
            continue
        decoded = ingest.decode_file(path, path.read_bytes(), settings)
        document = ingest.build_document(doc, decoded, None, settings)
        maps[doc] = {p.text: p.heading for p in document.paragraphs}
    data = data.copy()
    data["heading"] = [maps[d].get(T.normalize(t).strip(), maps[d].get(t, "")) for d, t in zip(data["doc"], data["text"])]
    return data


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--labels", type=Path, default=ROOT / "data" / "labels")
    ap.add_argument("--models", nargs="*", default=list(classify.CANDIDATES))
    ap.add_argument("--with-headings", action="store_true", help="also try the winner with heading features")
    ap.add_argument("--top", type=int, default=15, help="top features per class to print")
    args = ap.parse_args(argv)

    data = classify.load_labels(args.labels)
    train_idx, test_idx = classify.heldout_split(data)
    dev, test = data.iloc[train_idx].reset_index(drop=True), data.iloc[test_idx].reset_index(drop=True)
    print(
        f"labelled paragraphs: {len(data)} from {data['doc'].nunique()} documents; "
        f"dev {len(dev)} / held-out {len(test)} (grouped by doc, seed {classify.SEED})"
    )
    print("dev classes:", dev["label"].value_counts().to_dict())
    print("held-out classes:", test["label"].value_counts().to_dict())
    print()
    print(f"5-fold StratifiedGroupKFold CV on dev (seed {classify.SEED}):")
    print(f"{'model':<20} {'macro-F1':>8} {'± sd':>6} {'acc':>6}  folds                          secs  description")
    results = {}
    for name in args.models:
        t = time.perf_counter()
        r = classify.cross_validate(dev, name)
        secs = time.perf_counter() - t
        results[name] = r
        folds = " ".join(f"{s:.3f}" for s in r["folds"])
        print(f"{name:<20} {r['macro_f1']:>8.3f} {r['std']:>6.3f} {r['accuracy']:>6.3f}  {folds}  {secs:5.1f}  {classify.CANDIDATES[name]}")
    best = max(results, key=lambda k: (results[k]["macro_f1"], -len(k)))
    print(f"\nbest by CV macro-F1: {best}  (default in pipeline/classify/candidates.py: {classify.DEFAULT_MODEL})")

    if args.with_headings:
        shared = ROOT.parent / "shared"
        hdev = add_headings(dev, shared)
        share = (hdev["heading"] != "").mean()
        r = classify.cross_validate(hdev, best, use_heading=True)
        print(f"{best} + heading features ({share:.0%} of dev paragraphs have a heading): CV macro-F1 {r['macro_f1']:.3f} ± {r['std']:.3f}")

    oof = classify.evaluate_predictions(dev["label"], results[best]["pred"], list(load_taxonomy("four").labels))
    print(f"\nout-of-fold predictions of {best} on dev:\n{oof.text()}")

    clf = classify.ParagraphClassifier(model=best).fit(dev, dev["label"])
    ev = classify.evaluate_predictions(test["label"], clf.predict(test), clf.labels_)
    print(f"HELD-OUT 20% (scored once, never tuned on) - {best}:\n{ev.text()}")

    if clf.coef_matrix() is not None or best == "keyword":
        print(f"top {args.top} features per class of {best} (fitted on dev):")
        for label, feats in clf.top_features(args.top).items():
            print(f"  {label}: " + "  ".join(f"{f}({w:+.2f})" for f, w in feats))
    return 0


if __name__ == "__main__":
    sys.exit(main())
