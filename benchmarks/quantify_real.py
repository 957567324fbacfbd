"""Corrected category shares on real labelled documents the model and its calibration never saw.

    .venv/bin/python benchmarks/quantify_real.py [--designs loso docs] [--years 40] [--n-boot 200]

Every labelled paragraph (``data/labels``) belongs to a document and to a source group (its
``org_kind`` merged into seven groups, as ``pipeline.classify`` evaluates the classifier:
discipline, education, enterprise, government, grassroots, national-reports, other). Two designs:

* ``loso``  leave one source group out: the model is trained on the other six groups, its
  calibration set is computed on those six only, and years are composed from the documents of
  the left-out group (a kind of organisation the model and the calibration never saw: what an
  analyst's new collection is).
* ``sites`` five folds of sites (``StratifiedGroupKFold`` by a web page's host or a file's
  collection, ``pipeline.classify.sources.site_of``): new organisations of kinds in training.
* ``docs``  five folds of documents (``StratifiedGroupKFold`` by document): the left-out fold's
  documents come from source kinds that are also in training.

For every fold, the calibration set (the out-of-fold posteriors of the training rows) is built
in the two ways a run can have it: ``cv`` (5-fold cross-validation grouped by document, as
``pipeline.classify.calibrate`` stores it) and ``loso`` (each training row scored by a model that
did not see its source group). Model fits are cached under ``.bench/quantify_real/`` (keyed by
the labels' bytes and the model name), so changing an estimator re-runs in seconds.

Years: ``--years`` per fold, each of 2-40 documents drawn without replacement from the left-out
documents with probability ``exp(tau * <document mix, target>)`` (target mix Dirichlet(1), tau
0, 4 or 8), so the years' compositions vary strongly and the truth (the character share of the
hand labels of the year's paragraphs) is known. Every estimator is scored over all year x
category cells: MAE, 90th percentile and max of |share - truth|, coverage of the 95% interval,
mean width.
"""

from __future__ import annotations

import argparse
import hashlib
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from pipeline.classify.sources import site_of  # noqa: E402
from pipeline.quantify import Calibration, estimate_shares  # noqa: E402

LABELS = ("政治建设", "组织建设", "作风建设", "其他")
CACHE = ROOT / ".bench" / "quantify_real"
FOLDS = 5
SEED = 0


# --------------------------------------------------------------------------- data and fits
def load(labels_dir: Path | None = None) -> pd.DataFrame:
    from pipeline.classify.data import load_labels

    data = load_labels(labels_dir or ROOT / "data" / "labels", "four")
    data = data[data["label"].isin(LABELS)].reset_index(drop=True)
    data["truth"] = data["label"].map({lab: i for i, lab in enumerate(LABELS)}).astype(np.int64)
    data["n_chars"] = data["text"].astype(str).str.len()
    doc = data["doc"].astype(str)
    data["doc"] = doc.where(doc != "", "row:" + data.index.astype(str))
    data["site"] = data["doc"].map(site_of)
    return data


def labels_key(labels_dir: Path | None, model: str) -> str:
    h = hashlib.sha256(model.encode())
    for path in sorted((labels_dir or ROOT / "data" / "labels").glob("*.csv")):
        h.update(path.name.encode())
        h.update(path.read_bytes())
    return h.hexdigest()[:16]


class Fitter:
    """Fits the project's classifier on row subsets and predicts others; every (train set,
    predicted set) result is cached on disk."""

    def __init__(self, data: pd.DataFrame, model: str, cache: Path, key: str, verbose: bool = True):
        self.data, self.model, self.verbose = data, model, verbose
        self.dir = cache / key
        self.dir.mkdir(parents=True, exist_ok=True)
        self.fits = 0

    def proba(self, train: np.ndarray, test: np.ndarray, name: str) -> np.ndarray:
        """Posteriors (len(test), 4) of a model fitted on the rows ``train`` (bool masks)."""
        path = self.dir / f"{name}.npy"
        if path.is_file():
            out = np.load(path)
            if out.shape == (int(test.sum()), len(LABELS)):
                return out
        from pipeline.classify.model import ParagraphClassifier

        t = time.perf_counter()
        part = self.data[train]
        clf = ParagraphClassifier(model=self.model, taxonomy="four").fit(part, part["label"].to_numpy())
        p = clf.predict_proba(self.data[test])
        out = p.reindex(columns=[f"p_{lab}" for lab in LABELS], fill_value=0.0).to_numpy(dtype=float)
        np.save(path, out)
        self.fits += 1
        if self.verbose:
            print(f"    fit {name}: {int(train.sum())} rows -> {int(test.sum())} ({time.perf_counter() - t:.1f}s)", flush=True)
        return out


def cv_folds(data: pd.DataFrame, mask: np.ndarray, by: str = "doc") -> np.ndarray:
    """Fold (0..FOLDS-1) of every row of ``mask`` (StratifiedGroupKFold by ``by``: document or
    site), -1 elsewhere."""
    from sklearn.model_selection import StratifiedGroupKFold

    idx = np.flatnonzero(mask)
    fold = np.full(len(data), -1)
    split = StratifiedGroupKFold(n_splits=FOLDS, shuffle=True, random_state=SEED)
    for f, (_, te) in enumerate(split.split(idx, data["truth"].to_numpy()[idx], data[by].to_numpy()[idx])):
        fold[idx[te]] = f
    return fold


def _grouped_oof(fitter: Fitter, train: np.ndarray, by: str, tag: str) -> np.ndarray:
    """Out-of-fold posteriors of the ``train`` rows, FOLDS folds grouped by ``by`` (fits cached
    as ``<tag><fold>``)."""
    out = np.zeros((len(fitter.data), len(LABELS)))
    fold = cv_folds(fitter.data, train, by=by)
    for f in range(FOLDS):
        sel = fold == f
        out[sel] = fitter.proba(train & ~sel, sel, f"{tag}{f}")
    return out[train]


def fold_data(fitter: Fitter, design: str, kinds=("cv", "sites", "loso")) -> list[dict]:
    """Per fold: the test rows with posteriors, and the training rows with their ``cv``,
    ``sites`` and ``loso`` out-of-fold posteriors (the calibration sets; ``kinds`` says which)."""
    data = fitter.data
    groups = data["group"].to_numpy()
    names = sorted(set(groups))
    if design == "loso":
        tests = [(g, groups == g) for g in names]
    else:
        fold = cv_folds(data, np.ones(len(data), dtype=bool), by="site" if design == "sites" else "doc")
        tests = [(f"fold{f}", fold == f) for f in range(FOLDS)]
    out = []
    for name, test in tests:
        train = ~test
        entry = {"name": name, "test": test, "train": train, "p_test": fitter.proba(train, test, f"{design}-{name}-test")}
        for kind, by in (("cv", "doc"), ("sites", "site")):
            if kind in kinds:
                entry[f"cal_{kind}"] = _grouped_oof(fitter, train, by, f"{design}-{name}-{kind}")
        loso = np.zeros((len(data), len(LABELS)))
        for h in names if "loso" in kinds else ():
            sel = train & (groups == h)
            if not sel.any():
                continue
            if design == "loso":  # one fit on all but {g, h} serves fold g (predicting h) and fold h
                both = test | sel
                p = fitter.proba(~both, both, f"loso-pair-{'-'.join(sorted((name, h)))}")
                loso[sel] = p[sel[both]]
            else:
                loso[sel] = fitter.proba(train & ~sel, sel, f"{design}-{name}-loso-{h}")
        if "loso" in kinds:
            entry["cal_loso"] = loso[train]
        out.append(entry)
    return out


# --------------------------------------------------------------------------- years and scores
TAUS = (0.0, 6.0, 12.0)


def doc_mix(pool: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """Document names and their character mix of true labels (n_docs, 4)."""
    codes, names = pd.factorize(pool["doc"], sort=True)
    C = np.zeros((len(names), len(LABELS)))
    np.add.at(C, (codes, pool["truth"].to_numpy()), pool["n_chars"].to_numpy(dtype=float))
    return np.asarray(names), C / C.sum(axis=1, keepdims=True).clip(1e-12)


def make_years(rng: np.random.Generator, pool: pd.DataFrame, n_years: int, docs=(2, 40), first_year: int = 3000) -> pd.DataFrame:
    """``n_years`` years of ``docs[0]..docs[1]`` documents of ``pool`` each (without replacement
    within a year), drawn with probability exp(tau * <mix, target>): see the module docstring."""
    names, C = doc_mix(pool)
    by_doc = {d: part for d, part in pool.groupby("doc", sort=False)}
    out = []
    for y in range(n_years):
        n = min(int(rng.integers(docs[0], docs[1] + 1)), len(names))
        tau = TAUS[y % len(TAUS)]
        logit = tau * (C @ rng.dirichlet(np.ones(len(LABELS))))
        prob = np.exp(logit - logit.max())
        chosen = rng.choice(len(names), size=n, replace=False, p=prob / prob.sum())
        part = pd.concat([by_doc[names[c]] for c in chosen], ignore_index=True).assign(year=first_year + y)
        out.append(part)
    return pd.concat(out, ignore_index=True)


def truth_table(years: pd.DataFrame) -> pd.DataFrame:
    onehot = np.eye(len(LABELS))[years["truth"].to_numpy()] * years["n_chars"].to_numpy(dtype=float)[:, None]
    chars = pd.DataFrame(onehot, columns=list(LABELS)).groupby(years["year"].to_numpy()).sum()
    share = chars.div(chars.sum(axis=1), axis=0)
    return share.rename_axis("year").reset_index().melt(id_vars="year", var_name="category", value_name="truth")


def calibration(fold: dict, data: pd.DataFrame, kind: str) -> Calibration:
    """The fold's calibration set: ``cv``, ``sites`` or ``loso`` posteriors, sources = the 7 source groups;
    ``cv-kind``: the ``cv`` posteriors with ``org_kind`` (13 kinds) as sources, as
    ``pipeline.classify.calibrate`` stores them."""
    train = data[fold["train"]]
    post = fold["cal_cv" if kind == "cv-kind" else f"cal_{kind}"]
    sources = train["org_kind"].fillna("").to_numpy() if kind == "cv-kind" else train["group"].to_numpy()
    return Calibration.from_arrays(
        train["label"].to_numpy(), post, train["doc"].to_numpy(), LABELS, weights=train["n_chars"].to_numpy(), sources=sources
    )


def score(years: pd.DataFrame, cal: Calibration, method: str, *, n_boot: int, seed: int, **kw) -> pd.DataFrame:
    probs = years[[f"p_{lab}" for lab in LABELS]].to_numpy()
    pred = np.asarray(LABELS, dtype=object)[probs.argmax(axis=1)]
    est = estimate_shares(
        probs,
        pred,
        years["n_chars"].to_numpy(),
        years["doc"].to_numpy(),
        years["year"].rename("year"),
        cal,
        method=method,
        n_boot=n_boot,
        seed=seed,
        **kw,
    )
    return est.merge(truth_table(years), on=["year", "category"])


def summarise(cells: pd.DataFrame, by=("estimator",)) -> pd.DataFrame:
    c = cells.assign(
        err=(cells["share"] - cells["truth"]).abs(),
        covered=(cells["share_low"] <= cells["truth"] + 1e-9) & (cells["truth"] <= cells["share_high"] + 1e-9),
        width=cells["share_high"] - cells["share_low"],
    )
    g = c.groupby(list(by), sort=False)
    return pd.DataFrame(
        {
            "MAE": g["err"].mean(),
            "p90": g["err"].quantile(0.9),
            "max": g["err"].max(),
            "coverage": g["covered"].mean(),
            "width": g["width"].mean(),
            "cells": g.size(),
        }
    )


# --------------------------------------------------------------------------- a quick stand-in model (tests)
def surrogate_folds(data: pd.DataFrame, *, folds: int = 3, temperature: float = 3.0) -> list[dict]:
    """The ``loso`` design with a quick stand-in for the project's model, for a test: char
    1-2-gram TF-IDF (fitted once on all texts: no labels) -> LinearSVC(C=1), posteriors a
    softmax of its scores at ``temperature``; calibration ``cv`` only (``folds``-fold, grouped by
    document). Its left-out macro-F1 (0.71-0.88 by group) is close to the project model's."""
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.model_selection import StratifiedGroupKFold
    from sklearn.svm import LinearSVC

    X = TfidfVectorizer(analyzer="char", ngram_range=(1, 2), min_df=2, dtype=np.float32).fit_transform(data["text"].astype(str))
    y, docs, groups = data["truth"].to_numpy(), data["doc"].to_numpy(), data["group"].to_numpy()

    def proba(train: np.ndarray, test: np.ndarray) -> np.ndarray:
        d = LinearSVC(C=1.0).fit(X[train], y[train]).decision_function(X[test]) * temperature
        e = np.exp(d - d.max(axis=1, keepdims=True))
        return e / e.sum(axis=1, keepdims=True)

    out = []
    for g in sorted(set(groups)):
        test = groups == g
        idx = np.flatnonzero(~test)
        cal = np.zeros((len(idx), len(LABELS)))
        for tr, te in StratifiedGroupKFold(n_splits=folds, shuffle=True, random_state=SEED).split(idx, y[idx], docs[idx]):
            cal[te] = proba(idx[tr], idx[te])
        out.append({"name": g, "test": test, "train": ~test, "p_test": proba(idx, np.flatnonzero(test)), "cal_cv": cal})
    return out


# --------------------------------------------------------------------------- the study
#: (estimator label, method, calibration kind, estimate_shares options)
VARIANTS = (
    ("cc", "cc", "cv", {}),
    ("pcc", "pcc", "cv", {}),
    ("acc", "acc", "cv", {}),
    ("pacc", "pacc", "cv", {}),
    ("em", "em", "cv", {}),
    ("blend", "blend", "cv", {}),
    ("acc, loso calibration", "acc", "loso", {}),
    ("pacc, loso calibration", "pacc", "loso", {}),
    ("blend, loso calibration", "blend", "loso", {}),
    ("acc, sites calibration", "acc", "sites", {}),
    ("pacc, sites calibration", "pacc", "sites", {}),
    ("blend, sites calibration", "blend", "sites", {}),
    ("cc, no source term", "cc", "cv", {"shift": False}),
    ("pacc, no source term", "pacc", "cv", {"shift": False}),
    ("blend, no source term", "blend", "cv", {"shift": False}),
    ("blend, kappa 0", "blend", "cv", {"kappa": 0.0}),
    ("blend, kappa 100", "blend", "cv", {"kappa": 100.0}),
    ("blend, sources = org_kind", "blend", "cv-kind", {}),
)
CORE = ("cc", "pcc", "acc", "pacc", "em", "blend")


def study(
    data: pd.DataFrame, folds: list[dict], design: str, *, n_years: int = 40, n_boot: int = 200, seed: int = 0, variants=VARIANTS
) -> pd.DataFrame:
    """Every variant's estimate next to the truth: one row per variant x fold x year x category."""
    cells = []
    for i, fold in enumerate(folds):
        pool = data[fold["test"]].copy()
        for j, lab in enumerate(LABELS):
            pool[f"p_{lab}"] = fold["p_test"][:, j]
        years = make_years(np.random.default_rng([seed, i]), pool, n_years)
        cals = {}
        for name, method, kind, kw in variants:
            if f"cal_{kind.split('-')[0]}" not in fold:
                continue
            if kind not in cals:
                cals[kind] = calibration(fold, data, kind)
            t = time.perf_counter()
            c = score(years, cals[kind], method, n_boot=n_boot, seed=i, **kw)
            c["secs"] = time.perf_counter() - t
            cells.append(c.assign(estimator=name, fold=fold["name"], design=design))
    return pd.concat(cells, ignore_index=True)


def shrinkage_path(cells: pd.DataFrame, lams=np.linspace(0, 1, 11)) -> tuple[pd.Series, float]:
    """Point estimates ``lam * CC + (1 - lam) * PACC`` (the correction shrunk towards CC): MAE
    for each ``lam``, and the MAE when ``lam`` is chosen on the other folds (nested)."""
    w = cells[cells["estimator"].isin(["cc", "pacc"])].pivot_table(index=["fold", "year", "category"], columns="estimator", values="share")
    truth = cells.drop_duplicates(["fold", "year", "category"]).set_index(["fold", "year", "category"])["truth"].reindex(w.index)
    err = {lam: (lam * w["cc"] + (1 - lam) * w["pacc"] - truth).abs() for lam in lams}
    fold = w.index.get_level_values("fold")
    held = []
    for f in fold.unique():
        best = min(lams, key=lambda lam: err[lam][fold != f].mean())
        held.append(err[best][fold == f])
    return pd.Series({round(float(lam), 1): e.mean() for lam, e in err.items()}, name="MAE"), float(pd.concat(held).mean())


def nested_choice(cells: pd.DataFrame, candidates=CORE) -> tuple[float, list[str]]:
    """Held-out MAE of choosing the estimator on the other folds (each fold in turn)."""
    c = cells[cells["estimator"].isin(candidates)].assign(err=lambda d: (d["share"] - d["truth"]).abs())
    mae = c.groupby(["fold", "estimator"])["err"].agg(["sum", "size"])
    chosen, errs = [], []
    for f in c["fold"].unique():
        other = mae.drop(index=f, level="fold").groupby(level="estimator").sum()
        best = (other["sum"] / other["size"]).idxmin()
        chosen.append(best)
        errs.append(c[(c["fold"] == f) & (c["estimator"] == best)]["err"])
    return float(pd.concat(errs).mean()), chosen


def _print(table: pd.DataFrame, title: str) -> None:
    print(f"\n{title}")
    print(table.to_string(float_format=lambda v: f"{v:.3f}"))


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--designs", nargs="+", default=["loso", "docs"], choices=["loso", "sites", "docs"])
    ap.add_argument("--model", default=None, help="classifier (default: the project's DEFAULT_MODEL)")
    ap.add_argument("--years", type=int, default=40, help="years per fold")
    ap.add_argument("--n-boot", type=int, default=200)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--cache", type=Path, default=CACHE)
    ap.add_argument("--save", type=Path, help="write every cell (estimate, interval, truth) to this CSV")
    args = ap.parse_args(argv)
    from pipeline.classify.candidates import DEFAULT_MODEL

    model = args.model or DEFAULT_MODEL
    pd.set_option("display.width", 220)
    data = load()
    fitter = Fitter(data, model, args.cache, labels_key(None, model))
    groups = ", ".join(f"{g} {n}" for g, n in data["group"].value_counts().sort_index().items())
    print(f"{len(data)} labelled paragraphs, {data['doc'].nunique()} documents; model {model}; groups: {groups}")
    saved = []
    for design in args.designs:
        t = time.perf_counter()
        folds = fold_data(fitter, design)
        fit_s = time.perf_counter() - t
        t = time.perf_counter()
        cells = study(data, folds, design, n_years=args.years, n_boot=args.n_boot, seed=args.seed)
        saved.append(cells)
        print(f"\n=== design {design}: {len(folds)} folds x {args.years} years ({fit_s:.0f}s fits, {time.perf_counter() - t:.0f}s estimates)")
        table = summarise(cells)
        _print(table.drop(columns="cells"), f"{design}: all {int(table['cells'].iat[0])} year x category cells")
        core = cells[cells["estimator"].isin(["cc", "pacc", "blend", "em"])]
        size = core.assign(paragraphs=pd.cut(core["n_paragraphs"], [0, 20, 40, 80, np.inf], labels=["<=20", "21-40", "41-80", ">80"]))
        _print(summarise(size, ("paragraphs", "estimator"))[["MAE", "coverage", "width"]].unstack("estimator"), f"{design}: by paragraphs per year")
        _print(summarise(core, ("fold", "estimator"))[["MAE", "coverage"]].unstack("estimator"), f"{design}: by left-out part")
        path, nested = shrinkage_path(cells)
        print(f"\n{design}: lam * CC + (1 - lam) * PACC, MAE by lam: " + " ".join(f"{k}:{v:.4f}" for k, v in path.items()))
        print(f"{design}: lam chosen on the other folds (nested): held-out MAE {nested:.4f}")
        nested_mae, chosen = nested_choice(cells)
        print(f"{design}: estimator chosen on the other folds among {', '.join(CORE)}: {', '.join(chosen)}; held-out MAE {nested_mae:.4f}")
        secs = ", ".join(f"{k} {v:.3f}" for k, v in cells.groupby("estimator", sort=False)["secs"].mean().items())
        print(f"{design}: seconds per call (all years of a fold, n_boot {args.n_boot}): {secs}")
    if args.save:
        pd.concat(saved, ignore_index=True).to_csv(args.save, index=False)
    return 0


if __name__ == "__main__":
    sys.exit(main())
