"""Compare the paragraph-classifier candidates on unseen sources and unseen documents.

    .venv/bin/python benchmarks/compare_classifiers.py [--labels data/labels] [--models ...]
        [--with-headings] [--self-train] [--six] [--top 15] [--json out.json]

Protocol (docs/classifier.md):
  1. LOSO: the labelled paragraphs fall into seven source groups (``pipeline.classify.sources``:
     org_kind merged); each candidate is trained on six and scored on the seventh. The table
     gives each group's macro-F1 (classes present in its gold labels), the mean over groups and a
     95% bootstrap interval of that mean (documents resampled within groups).
  2. Grouped CV: 5-fold StratifiedGroupKFold by ``doc`` (seed 0) on all labelled paragraphs:
     mean ± sd over folds and the bootstrap interval.
  3. Model choice: the highest LOSO mean wins, unless a simpler / faster candidate (earlier in
     ``SIMPLER``) is tied with it - its paired bootstrap interval of the LOSO difference
     (same document resamples for both) contains 0 - in which case the simplest tied one wins.
  4. ``--with-headings``: the chosen candidate with the ingest heading path as a second block
     (only paragraphs of the shared corpus and seeds have one); ``--self-train``: one round of
     self-training on unlabelled shared-corpus paragraphs (never the held-out files; in LOSO the
     left-out group's own documents are excluded from the pool); ``--six``: the six-way model
     (trained on label6) by both protocols, with its four-way roll-up.
  5. Top features per class of the chosen model fitted on everything (leakage check).
Nothing here reads the held-out documents' labels (they have none) or tunes on them.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from pipeline import classify  # noqa: E402
from pipeline.classify import evaluate as E  # noqa: E402

#: simplest / fastest first (the tie-break of step 3)
SIMPLER = [
    "char_svm",
    "char_sgd",
    "char_svm_bal",
    "char13_svm",
    "char13_svm_bal",
    "char_nb",
    "char_lr",
    "char_svm_lr",
    "char_word_svm",
    "char_word_lex_svm",
    "char_word_lex_lr",
    "keyword",
]
DEFAULT_MODELS = [
    "keyword",
    "char_svm",
    "char13_svm",
    "char_svm_bal",
    "char_lr",
    "char_sgd",
    "char_nb",
    "char_svm_lr",
    "char_word_svm",
    "char_word_lex_svm",
]


def heldout(shared: Path) -> set[str]:
    """Documents (relative to ../shared) of the evaluation split, never used here."""
    path = shared / "corpus" / "HELDOUT.md"
    if not path.is_file():
        return set()
    block = re.findall(r"```\n(.*?)```", path.read_text(encoding="utf-8"), re.S)
    return {"corpus/" + line.strip() for line in (block[0] if block else "").splitlines() if line.strip()}


def add_headings(data: pd.DataFrame, shared: Path) -> pd.DataFrame:
    """Heading path of each labelled paragraph of the shared corpus / seeds, as `dangjian ingest`
    gives it ('' for web pages, whose layout was not kept)."""
    from pipeline import ingest
    from pipeline import text as T
    from pipeline.config import Settings

    settings = Settings()
    maps: dict[str, dict] = {}
    for doc in data["doc"].unique():
        path = shared / doc
        if not doc.startswith(("corpus/", "seeds/")) or not path.is_file():
            maps[doc] = {}
            continue
        document = ingest.build_document(doc, ingest.decode_file(path, path.read_bytes(), settings), None, settings)
        maps[doc] = {p.text: p.heading for p in document.paragraphs}
    data = data.copy()
    data["heading"] = [maps[d].get(T.normalize(t).strip(), maps[d].get(t, "")) for d, t in zip(data["doc"], data["text"])]
    return data


def unlabelled_pool(shared: Path, labelled: set[str]) -> pd.DataFrame:
    """Paragraphs (20-600 characters) of the shared corpus that are not labelled, with their
    source group; the held-out files and the lexicon sources are left out."""
    from pipeline import ingest
    from pipeline.config import Settings

    settings, skip, rows = Settings(), heldout(shared), []
    for path in sorted((shared / "corpus").rglob("*.txt")):
        rel = str(path.relative_to(shared))
        if rel in skip or "lexicon-sources" in rel:
            continue
        document = ingest.build_document(rel, ingest.decode_file(path, path.read_bytes(), settings), None, settings)
        group = "education" if "sx1z" in rel else "national-reports"
        rows += [(rel, p.text, p.heading, group) for p in document.paragraphs if 20 <= len(p.text) <= 600]
    pool = pd.DataFrame(rows, columns=["doc", "text", "heading", "group"])
    return pool[~pool["text"].isin(labelled)].drop_duplicates("text").reset_index(drop=True)


class SelfTrained:
    """One round of self-training: fit, pseudo-label the pool's confident paragraphs (top
    probability >= ``threshold``, at most ``per_class`` per class so the pool's 其他-heavy prior
    does not swamp the labels), refit with them at ``weight``."""

    def __init__(self, model: str, pool: pd.DataFrame, threshold: float = 0.9, per_class: int = 150):
        self.model, self.pool, self.threshold, self.per_class = model, pool, threshold, per_class

    def oof(self, data, y, protocol: str) -> E.OOF:
        from sklearn.model_selection import StratifiedGroupKFold

        if protocol == "loso":
            names = sorted(data["group"].unique())
            fold = np.asarray([names.index(g) for g in data["group"]])
        else:
            names = [f"fold{i}" for i in range(5)]
            fold = np.zeros(len(data), dtype=int)
            for f, (_, te) in enumerate(StratifiedGroupKFold(5, shuffle=True, random_state=classify.SEED).split(data, y, E.doc_groups(data))):
                fold[te] = f
        proba = None
        for f, name in enumerate(names):
            te = fold == f
            pool = self.pool[self.pool["group"] != name] if protocol == "loso" else self.pool
            clf = classify.ParagraphClassifier(model=self.model).fit(data[~te], y[~te])
            p = clf.predict_proba(pool).to_numpy()
            pick = []
            for j in range(p.shape[1]):
                rows = np.flatnonzero((p.argmax(1) == j) & (p.max(1) >= self.threshold))
                pick += rows[np.argsort(-p[rows, j])][: self.per_class].tolist()
            extra = pool.iloc[pick]
            X = pd.concat([data[~te][["text", "heading"]], extra[["text", "heading"]]], ignore_index=True)
            yy = np.concatenate([y[~te], np.asarray(clf.labels_, dtype=object)[p[pick].argmax(1)]])
            clf2 = classify.ParagraphClassifier(model=self.model).fit(X, yy)
            p = clf2.predict_proba(data[te]).to_numpy()
            proba = np.zeros((len(data), p.shape[1])) if proba is None else proba
            proba[te] = p
        return E.OOF(
            protocol,
            f"{self.model}+self-train",
            list(clf2.labels_),
            list(clf2.base_labels_),
            dict(clf2.rollup_),
            np.asarray(y, dtype=object),
            proba,
            fold,
            names,
            E.doc_groups(data),
        )


def table(rows: list[dict], groups: list[str]) -> str:
    head = (
        f"{'model':<26}{'LOSO':>7}  {'95% CI':<13}" + "".join(f"{g[:11]:>12}" for g in groups) + f"{'CV':>8}{'± sd':>7}  {'CV 95% CI':<13}{'secs':>6}"
    )
    lines = [head]
    for r in rows:
        lo, hi = r["loso"]["macro_f1_ci"]
        clo, chi = r["cv"]["macro_f1_ci"]
        lines.append(
            f"{r['name']:<26}{r['loso']['macro_f1']:>7.3f}  {lo:.3f}-{hi:.3f}  "
            + "".join(f"{r['loso']['folds'][g]['macro_f1']:>12.3f}" for g in groups)
            + f"{r['cv']['macro_f1']:>8.3f}{r['cv']['std']:>7.3f}  {clo:.3f}-{chi:.3f}  {r['secs']:>6.0f}"
        )
    return "\n".join(lines)


OOF_DIR: Path | None = None


def save_oof(name: str, oof: E.OOF) -> None:
    if OOF_DIR is None:
        return
    OOF_DIR.mkdir(parents=True, exist_ok=True)
    np.savez(
        OOF_DIR / f"{name}.{oof.protocol}.npz",
        proba=oof.proba,
        gold=oof.gold.astype(str),
        fold=oof.fold,
        docs=oof.docs.astype(str),
        labels=np.asarray(oof.labels),
        base_labels=np.asarray(oof.base_labels),
        fold_names=np.asarray(oof.fold_names),
        rollup=np.asarray(json.dumps(oof.rollup, ensure_ascii=False)),
    )


def load_oof(path: Path) -> E.OOF:
    z = np.load(path)
    name, protocol = path.name.split(".")[:2]
    return E.OOF(
        protocol,
        name,
        list(z["labels"]),
        list(z["base_labels"]),
        json.loads(str(z["rollup"])),
        z["gold"].astype(object),
        z["proba"],
        z["fold"],
        list(z["fold_names"]),
        z["docs"].astype(object),
    )


def score(name, data, y, fit_oof) -> tuple[dict, E.OOF, E.OOF]:
    t = time.perf_counter()
    loso, cv = fit_oof("loso"), fit_oof("cv")
    save_oof(name, loso)
    save_oof(name, cv)
    row = {"name": name, "loso": E.summarise(loso), "cv": E.summarise(cv), "secs": time.perf_counter() - t}
    print(table([row], list(loso.fold_names)).splitlines()[1], flush=True)
    return row, loso, cv


def choose(rows: list[dict], loso: dict[str, E.OOF]) -> tuple[str, dict]:
    best = max(rows, key=lambda r: r["loso"]["macro_f1"])["name"]
    ties = {}
    for r in rows:
        d = E.paired_difference(loso[r["name"]], loso[best])
        ties[r["name"]] = d
    tied = [n for n, d in ties.items() if d["ci"][0] <= 0 <= d["ci"][1] or n == best]
    chosen = min(tied, key=lambda n: SIMPLER.index(n) if n in SIMPLER else len(SIMPLER))
    return chosen, {"best": best, "paired_vs_best": ties, "tied": tied}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--labels", type=Path, default=ROOT / "data" / "labels")
    ap.add_argument("--shared", type=Path, default=ROOT.parent / "shared")
    ap.add_argument("--models", nargs="*", default=DEFAULT_MODELS)
    ap.add_argument("--with-headings", action="store_true", help="also try the chosen model with heading features")
    ap.add_argument("--self-train", action="store_true", help="also try one round of self-training on the shared corpus")
    ap.add_argument("--six", action="store_true", help="also score the six-way model (trained on label6)")
    ap.add_argument("--top", type=int, default=15, help="top features per class to print")
    ap.add_argument("--json", type=Path, help="write every summary to this JSON file")
    ap.add_argument("--oof-dir", type=Path, help="save every candidate's out-of-fold posteriors here (<name>.<protocol>.npz)")
    args = ap.parse_args(argv)
    global OOF_DIR
    OOF_DIR = args.oof_dir

    data = classify.load_labels(args.labels)
    held = heldout(args.shared)
    assert not set(data["doc"]) & held, "labelled rows from held-out documents"
    y = data["label"].to_numpy()
    groups = sorted(data["group"].unique())
    print(f"labelled paragraphs: {len(data)} from {data['doc'].nunique()} documents")
    print(
        "source groups (rows / documents):",
        ", ".join(f"{g} {int((data['group'] == g).sum())}/{data.loc[data['group'] == g, 'doc'].nunique()}" for g in groups),
    )
    print("\nlabel counts by org_kind:")
    print(pd.crosstab(data["org_kind"], data["label"], margins=True).to_string())
    print("\nfour-way: LOSO macro-F1 per left-out source group, mean and 95% CI; doc-grouped 5-fold CV")
    print(table([], groups))
    rows, loso, cv = [], {}, {}
    for name in args.models:
        row, lo, c = score(name, data, y, lambda p, n=name: E.oof_loso(data, y, n) if p == "loso" else E.oof_cv(data, y, n))
        rows.append(row)
        loso[name], cv[name] = lo, c
    if not rows:  # --models with no names: only the extras, on the default model
        chosen, why = classify.DEFAULT_MODEL, {"best": None, "paired_vs_best": {}, "tied": []}
    else:
        chosen, why = choose(rows, loso)
    print(f"\nbest LOSO mean: {why['best']}; tied with it (paired 95% CI of the difference contains 0): {', '.join(why['tied'])}")
    for n, d in why["paired_vs_best"].items():
        print(f"  {n:<24} {d['diff']:+.3f}  [{d['ci'][0]:+.3f}, {d['ci'][1]:+.3f}]")
    print(f"chosen (simplest of the tied): {chosen}   (DEFAULT_MODEL in pipeline/classify/candidates.py: {classify.DEFAULT_MODEL})")
    extra = []
    if args.with_headings:
        hdata = add_headings(data, args.shared)
        share = (hdata["heading"] != "").mean()
        for w in (0.5, 1.0):
            row, lo, c = score(
                f"{chosen}+heading(w={w})",
                hdata,
                y,
                lambda p, w=w: (
                    E.oof_loso(hdata, y, chosen, use_heading=True, heading_weight=w)
                    if p == "loso"
                    else E.oof_cv(hdata, y, chosen, use_heading=True, heading_weight=w)
                ),
            )
            d = E.paired_difference(lo, loso[chosen])
            print(f"  ({share:.0%} of the paragraphs have a heading; LOSO vs {chosen}: {d['diff']:+.3f} [{d['ci'][0]:+.3f}, {d['ci'][1]:+.3f}])")
            extra.append(row)
    if args.self_train:
        pool = unlabelled_pool(args.shared, set(data["text"]))
        st = SelfTrained(chosen, pool)
        row, lo, c = score(f"{chosen}+self-train", data, y, lambda p: st.oof(data, y, p))
        d = E.paired_difference(lo, loso[chosen])
        print(f"  (pool {len(pool)} paragraphs; LOSO vs {chosen}: {d['diff']:+.3f} [{d['ci'][0]:+.3f}, {d['ci'][1]:+.3f}])")
        extra.append(row)
    six = None
    if args.six:
        rows6, y6, mode = classify.training.training_targets(data, "six")
        print(f"\nsix-way ({mode}, {len(rows6)} rows): LOSO and doc-grouped CV macro-F1 over the seven classes")
        print(table([], groups))
        six = {}
        for name in dict.fromkeys([chosen, "char_svm", "char13_svm"]):
            row, lo, c = score(
                f"six:{name}",
                rows6,
                y6,
                lambda p, n=name: E.oof_loso(rows6, y6, n, taxonomy="six") if p == "loso" else E.oof_cv(rows6, y6, n, taxonomy="six"),
            )
            r4 = {"loso": E.summarise(lo.rolled_up()), "cv": E.summarise(c.rolled_up())}
            print(
                f"  {'':<24}rolled up to four-way: LOSO {r4['loso']['macro_f1']:.3f}, CV {r4['cv']['macro_f1']:.3f}; "
                f"per-class LOSO F1 " + " ".join(f"{k} {v:.2f}" for k, v in row["loso"]["per_class_f1"].items())
            )
            six[name] = {**row, "rolled_up": r4}
    clf = classify.ParagraphClassifier(model=chosen).fit(data, y)
    top = clf.top_features(args.top) if clf.coef_matrix() is not None else {}
    if top:
        print(f"\ntop {args.top} features per class of {chosen} (fitted on all labels):")
        for label, feats in top.items():
            print(f"  {label}: " + "  ".join(f"{f}({w:+.2f})" for f, w in feats))
    if args.json:
        out = {"four": rows, "extra": extra, "choice": {"chosen": chosen, **why}, "six": six}
        args.json.write_text(json.dumps(out, ensure_ascii=False, indent=1, default=float), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
