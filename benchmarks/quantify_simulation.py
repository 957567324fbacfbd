"""Choose the category-share estimator by simulation: error and interval coverage of CC, PCC, ACC,
PACC and EM (``pipeline.quantify``) on years of known composition.

    .venv/bin/python benchmarks/quantify_simulation.py [--reps 20]

Synthetic part. A labelled pool is generated from a four-class model whose confusion is like our
classifier's (macro-F1 ~0.8-0.85 out of sample; 其他 -> 组织建设 and 作风建设 -> 组织建设 are the main
errors; short paragraphs err more; a per-document offset makes errors cluster within documents).
Each trial draws a calibration set (300/1000/2500 labelled rows in documents of 1-8 paragraphs,
class prior of data/labels) and 10 "years", each with a composition drawn uniformly from the
simplex, 2-60 documents whose own mix scatters around the year's (Dirichlet, concentration 4)
and 5-40 paragraphs per document. The classifier's posteriors are the Bayes posteriors under the
training prior raised to a temperature: ``calibrated`` (1), ``overconfident`` (2, like a
high-C logistic regression), ``underconfident`` (0.5, like a sigmoid-calibrated SVM), and
``drift``: calibrated, but in the years the 其他 paragraphs are 35% of the way closer to
组织建设 than in the labelled set (new sources): this breaks the assumption of every corrected
estimator (the class-conditional distributions stay the same). Truth = the year's actual
character share of true labels; ``coverage_pop`` also checks the year's population mix (the
expected share of the year's documents), what the bootstrap over documents targets.

Real part: ``benchmarks/quantify_real.py`` (held-out labelled documents of every kind of
source, leave one source group out, with the project's model).

Measures, over all year x category cells: MAE, 90th percentile and maximum of |share - truth|,
coverage of the 95% interval (share_low <= truth <= share_high), mean interval width, and the
slope of share on truth (1: differences between years kept; classify-and-count flattens them).
The results of ``--reps 20`` (seed 0) are summarised in the docstring of ``pipeline.quantify``;
``--save cells.csv`` keeps every cell.
"""

from __future__ import annotations

import argparse
import functools
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from pipeline.quantify import Calibration, Method, estimate_shares  # noqa: E402

LABELS = ("政治建设", "组织建设", "作风建设", "其他")
TRAIN_PRIOR = np.array([0.21, 0.20, 0.19, 0.40])  # data/labels: 225/206/201/419 of 1051
MEAN_CHARS = np.array([162.0, 118.0, 154.0, 179.0])  # mean length per class in data/labels
METHODS = tuple(m.value for m in Method)


# --------------------------------------------------------------------------- synthetic model
@dataclass(frozen=True)
class Scenario:
    name: str
    temperature: float = 1.0  # posterior = Bayes posterior ** temperature, renormalised
    drift: float = 0.0  # fraction of the way 其他 moves towards 组织建设 in the years only
    n_cal: int = 1000


SEPARATION = 2.6  # class mean on its own axis
PULL = 1.4  # 其他 and 作风建设 lean towards 组织建设
DOC_SD = 0.35  # per-document offset of the scores
NOISE_SD = 1.0  # per-paragraph noise at 150 characters (shorter paragraphs are noisier)
SPREAD = np.array([1.0, 0.8, 1.3, 1.5])  # 其他 (and 作风建设) are heterogeneous, 组织建设 tight


def class_means(drift: float = 0.0) -> np.ndarray:
    """Class means of the scores; ``drift`` moves 其他's mean that fraction of the way towards
    组织建设's (in the years only: their 其他 paragraphs look more like 组织建设)."""
    mu = SEPARATION * np.eye(4)
    mu[2, 1] = PULL  # 作风建设 -> 组织建设
    mu[3, 1] = PULL  # 其他 -> 组织建设
    mu[0, 1] = 0.4 * PULL  # 政治建设 / 组织建设 (study sessions, 主题党日)
    mu[3] = (1 - drift) * mu[3] + drift * mu[1]
    return mu


def _posteriors(rng, y, chars, docs, scenario: Scenario, *, target: bool) -> np.ndarray:
    """Scores of the generative model, then the classifier's posteriors: the Bayes posterior
    under the training prior and the labelled set's class means, at ``scenario.temperature``.
    其他 and 作风建设 are spread wider than 组织建设, so their outlying paragraphs land on
    组织建设 (or 政治建设), as in our classifier's errors."""
    mu_true = class_means(scenario.drift if target else 0.0)
    mu = class_means(0.0)
    sd = NOISE_SD * (150.0 / np.maximum(chars, 20)) ** 0.3
    _, d = np.unique(docs, return_inverse=True)
    offset = rng.normal(0, DOC_SD, size=(d.max() + 1, 4))[d]
    z = mu_true[y] + offset + (sd * SPREAD[y])[:, None] * rng.normal(size=(len(y), 4))
    var = (sd[:, None] * SPREAD[None, :]) ** 2 + DOC_SD**2  # (n, class)
    dist = ((z[:, None, :] - mu[None, :, :]) ** 2).sum(axis=2)
    logit = -0.5 * dist / var - 2.0 * np.log(var) + np.log(TRAIN_PRIOR)
    logit *= scenario.temperature
    logit -= logit.max(axis=1, keepdims=True)
    p = np.exp(logit)
    return p / p.sum(axis=1, keepdims=True)


def _lengths(rng, y) -> np.ndarray:
    return np.clip(rng.lognormal(np.log(MEAN_CHARS[y]) - 0.18, 0.6), 20, 600).round()


def synthetic_calibration(rng, scenario: Scenario) -> tuple[Calibration, float]:
    """A calibration set of ``scenario.n_cal`` rows; returns it and its macro-F1."""
    sizes = []
    while sum(sizes) < scenario.n_cal:
        sizes.append(int(rng.integers(1, 9)))
    sizes[-1] -= sum(sizes) - scenario.n_cal
    sizes = [s for s in sizes if s > 0]
    docs = np.repeat([f"cal{i}" for i in range(len(sizes))], sizes)
    y = np.concatenate([rng.choice(4, size=s, p=rng.dirichlet(4 * 4 * TRAIN_PRIOR)) for s in sizes])
    chars = _lengths(rng, y)
    p = _posteriors(rng, y, chars, docs, scenario, target=False)
    cal = Calibration.from_arrays(np.asarray(LABELS, dtype=object)[y], p, docs, LABELS, weights=chars)
    return cal, macro_f1(y, p.argmax(axis=1))


def synthetic_years(rng, scenario: Scenario, n_years: int = 10) -> pd.DataFrame:
    """Paragraphs of ``n_years`` years: year, doc_id, truth (code), n_chars, p (posteriors)."""
    rows, pop = [], {}
    for year in range(n_years):
        mix = rng.dirichlet(np.ones(4))
        pop[2000 + year] = mix * _mean_chars() / (mix * _mean_chars()).sum()
        for d in range(int(rng.integers(2, 61))):
            n = int(rng.integers(5, 41))
            y = rng.choice(4, size=n, p=rng.dirichlet(4 * mix + 1e-3))
            rows.append(pd.DataFrame({"year": 2000 + year, "doc_id": f"y{year}d{d}", "truth": y}))
    frame = pd.concat(rows, ignore_index=True)
    y = frame["truth"].to_numpy()
    frame["n_chars"] = _lengths(rng, y)
    p = _posteriors(rng, y, frame["n_chars"].to_numpy(), frame["doc_id"].to_numpy(), scenario, target=True)
    for j, lab in enumerate(LABELS):
        frame[f"p_{lab}"] = p[:, j]
    frame.attrs["population"] = pop
    return frame


@functools.cache
def _mean_chars() -> np.ndarray:
    """Expected length per class under ``_lengths`` (clipping included)."""
    rng = np.random.default_rng(12345)
    return np.array([_lengths(rng, np.full(400_000, j)).mean() for j in range(4)])


def macro_f1(y, pred, k: int = 4) -> float:
    f1 = []
    for j in range(k):
        tp = np.sum((pred == j) & (y == j))
        prec = tp / max(np.sum(pred == j), 1)
        rec = tp / max(np.sum(y == j), 1)
        f1.append(0 if tp == 0 else 2 * prec * rec / (prec + rec))
    return float(np.mean(f1))


# --------------------------------------------------------------------------- evaluation
def truth_table(frame: pd.DataFrame, labels=LABELS) -> pd.DataFrame:
    """Character share of the true labels per year x category (long)."""
    onehot = np.eye(len(labels))[frame["truth"].to_numpy()] * frame["n_chars"].to_numpy()[:, None]
    chars = pd.DataFrame(onehot, columns=list(labels)).groupby(frame["year"].to_numpy()).sum()
    share = chars.div(chars.sum(axis=1), axis=0)
    return share.rename_axis("year").reset_index().melt(id_vars="year", var_name="category", value_name="truth")


def score_years(frame: pd.DataFrame, cal: Calibration, methods=METHODS, *, n_boot: int = 200, seed: int = 0) -> pd.DataFrame:
    """Every method's estimate next to the truth: one row per method x year x category."""
    labels = cal.labels
    probs = frame[[f"p_{lab}" for lab in labels]].to_numpy()
    pred = np.asarray(labels, dtype=object)[probs.argmax(axis=1)]
    truth = truth_table(frame, labels)
    pop = frame.attrs.get("population")
    if pop:
        truth["truth_pop"] = [pop[y][labels.index(c)] for y, c in zip(truth["year"], truth["category"])]
    out = []
    for m in methods:
        t = time.perf_counter()
        est = estimate_shares(probs, pred, frame["n_chars"], frame["doc_id"], frame["year"].rename("year"), cal, method=m, n_boot=n_boot, seed=seed)
        secs = time.perf_counter() - t
        est = est.merge(truth, on=["year", "category"])
        est["estimator"] = m
        est["secs"] = secs / est["year"].nunique()
        if "mix" in frame:
            est["mix"] = est["year"].map(frame.groupby("year")["mix"].first())
        out.append(est)
    return pd.concat(out, ignore_index=True)


def summarise(cells: pd.DataFrame, by=("estimator",)) -> pd.DataFrame:
    """MAE, 90th percentile and max of |share - truth|, coverage of the 95% interval (of the
    actual share; of the population share when known), mean width, slope of share on truth,
    number of cells."""

    def inside(truth):
        return (cells["share_low"] <= truth + 1e-12) & (truth <= cells["share_high"] + 1e-12)

    c = cells.assign(err=(cells["share"] - cells["truth"]).abs(), covered=inside(cells["truth"]), width=cells["share_high"] - cells["share_low"])
    if "truth_pop" in cells:
        c["covered_pop"] = inside(cells["truth_pop"])
    g = c.groupby(list(by), sort=False)
    out = pd.DataFrame(
        {
            "MAE": g["err"].mean(),
            "p90_err": g["err"].quantile(0.9),
            "max_err": g["err"].max(),
            "coverage": g["covered"].mean(),
        }
    )
    if "truth_pop" in cells and cells["truth_pop"].notna().any():
        out["coverage_pop"] = g["covered_pop"].mean()
    out["width"] = g["width"].mean()
    out["slope"] = g[["share", "truth"]].apply(_slope)
    out["cells"] = g.size()
    return out


def _slope(part: pd.DataFrame) -> float:
    """Least-squares slope of the estimate on the truth across cells: 1 keeps the differences
    between years, < 1 flattens them (classify-and-count's attenuation), > 1 exaggerates them."""
    x = part["truth"] - part["truth"].mean()
    return float((x * (part["share"] - part["share"].mean())).sum() / (x * x).sum())


SCENARIOS = [
    Scenario("calibrated", 1.0, 0.0, 1000),
    Scenario("overconfident", 2.0, 0.0, 1000),
    Scenario("underconfident", 0.5, 0.0, 1000),
    Scenario("calibrated, cal 300", 1.0, 0.0, 300),
    Scenario("calibrated, cal 2500", 1.0, 0.0, 2500),
    Scenario("underconfident, cal 300", 0.5, 0.0, 300),
    Scenario("drift: 其他 35% closer to 组织建设", 1.0, 0.35, 1000),
]


def synthetic_study(reps: int, *, seed: int = 0, scenarios=SCENARIOS, n_boot: int = 200, n_years: int = 10, methods=METHODS) -> pd.DataFrame:
    """All scenarios x ``reps`` trials; returns the cells with columns scenario, f1."""
    cells = []
    for s_i, scenario in enumerate(scenarios):
        for rep in range(reps):
            rng = np.random.default_rng([seed, s_i, rep])
            cal, f1 = synthetic_calibration(rng, scenario)
            frame = synthetic_years(rng, scenario, n_years)
            c = score_years(frame, cal, methods, n_boot=n_boot, seed=rep)
            c["scenario"] = scenario.name
            c["f1"] = f1
            cells.append(c)
    return pd.concat(cells, ignore_index=True)


def _print(table: pd.DataFrame, title: str) -> None:
    print(f"\n{title}")
    print(table.to_string(float_format=lambda v: f"{v:.3f}"))


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--reps", type=int, default=20, help="synthetic trials per scenario (10 years each)")
    ap.add_argument("--n-boot", type=int, default=200)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--save", type=Path, help="write every cell (estimate, interval, truth) to this CSV")
    args = ap.parse_args(argv)
    pd.set_option("display.width", 200)
    t = time.perf_counter()
    cells = synthetic_study(args.reps, seed=args.seed, n_boot=args.n_boot)
    print(
        f"synthetic: {len(SCENARIOS)} scenarios x {args.reps} trials x 10 years ({time.perf_counter() - t:.0f}s); "
        f"calibration-set macro-F1 {cells['f1'].min():.2f}-{cells['f1'].max():.2f}"
    )
    table = summarise(cells, ("scenario", "estimator")).unstack("estimator").reindex([s.name for s in SCENARIOS])
    cols = ["MAE", "coverage", "coverage_pop", "width"]
    _print(table[cols], "synthetic: per scenario (coverage: of the actual share; coverage_pop: of the year's population mix)")
    ok = cells[~cells["scenario"].str.startswith("drift")]
    _print(summarise(ok), "synthetic, all scenarios without drift")
    _print(summarise(ok, ("small_group", "estimator")).unstack("estimator")[cols], "... by small_group (< 5 documents)")
    _print(cells.groupby("estimator", sort=False)["secs"].mean().to_frame("seconds per year").T, "time per year, n_boot included")
    if args.save:
        cells.to_csv(args.save, index=False)
    return 0


if __name__ == "__main__":
    sys.exit(main())
