"""Category shares per group corrected for the classifier's errors (quantification), with intervals.

Classify-and-count (CC: the character share of paragraphs by predicted label) is biased whenever
the classifier errs, and the bias grows the further a year's mix is from the labelled set's. This
module estimates, for every group (year, or any document column), the character share of each
category corrected for the misclassification rates measured on an out-of-fold *calibration set*,
and a 95% interval that also reflects the uncertainty of those rates. Pure numpy/pandas/scipy:
no sklearn, no file I/O; it sits in the trends layer::

    cal = Calibration.from_arrays(true_labels, oof_posteriors, label_docs, labels, weights=label_chars)
    table = estimate_shares(p, predicted, n_chars, doc_ids, years, cal)   # method=DEFAULT_METHOD
    method_note(table["method"].iat[0])   # "shares corrected by PACC ..." for the report

Estimators (``method``; ``M[i, j]`` is the character-weighted rate "true j is scored as i"):

* ``cc``   classify and count: character share of paragraphs by predicted label (= ``share_raw``).
* ``pcc``  probabilistic CC: character-weighted mean of the posteriors.
* ``acc``  adjusted CC: ``M[i, j] = P(pred=i | true=j)``; solves ``min ||M p - q_cc||`` over the
  probability simplex (exact constrained least squares, see below), not clip-and-renormalise.
* ``pacc`` probabilistic ACC: ``M[:, j]`` = mean posterior of the calibration rows of true class j,
  ``q`` = PCC; same constrained solve.
* ``em``   Saerens-Latinne-Decaestecker EM: re-weights every paragraph's posterior by
  ``prior_new / prior_train`` (training prior = the calibration set's class prior) until the mean
  adjusted posterior is a fixed point; the share is the character-weighted mean of the adjusted
  posteriors.

Characters, not paragraphs. The share is a share of characters (weight = ``n_chars``, as
``pipeline.trends.category_shares`` has always weighed). ACC/PACC use character-weighted ``q`` and
character-weighted ``M`` (calibration weights = the labelled paragraphs' lengths): if the
class-conditional distribution of paragraphs (length included) is the same in a year as in the
labelled set, ``q_w = M_w p_w`` holds exactly for the character shares ``p_w``. EM works on
paragraph priors (its E-step is per paragraph) and weighs the adjusted posteriors by characters at
the end. With unit weights every estimator equals its textbook (and QuaPy's) definition.

The constrained solve. ``min ||M p - q||^2`` s.t. ``p >= 0, sum p = 1`` for a whole batch of
(replicate x group) problems at once: accelerated projected gradient (FISTA, step ``1/L`` with
``L`` the largest eigenvalue of ``M'M``, sort-based simplex projection), then a polish that solves
the equality-constrained least squares on the found support exactly (KKT system) and keeps it when
it is feasible and satisfies the optimality conditions. A ``1e-10`` ridge towards the CC share
picks one solution when ``M`` is singular (a category never predicted in the calibration set).

Intervals. ``n_boot`` replicates, each resampling (a) the documents within every group (with
replacement, same number of documents) and (b) the calibration set by its groups (documents), so
``M`` (or the EM training prior) is re-estimated in every replicate; 2.5/97.5 percentiles, widened
if needed to contain ``share``. Deterministic for a given ``seed`` and independent of row order.
A class missing from a resampled calibration set keeps the full set's column of ``M`` in that
replicate. Groups with fewer than ``min_docs`` documents are flagged ``small_group`` (their
interval rests on very few documents). With a single document only the calibration part varies.

Fallback. If a class of the label order has no calibration rows (e.g. six-way labels with a
four-way labelled set, or no calibration stored with the model), ``acc``/``pacc``/``em`` cannot be
corrected: the run falls back to ``cc`` for every group; the ``method`` column says ``cc`` and
``table.attrs["method_note"]`` says why.

Why our own code, not QuaPy (measured on this machine, 2 shared cores, Python 3.11): QuaPy 0.2.3
(HLT-ISTI) implements exactly these estimators and is the reference of the differential test
(``tests/test_quantify.py``: ACC/PACC/EM agree with ``quapy.method.aggregative`` to 1e-6 on the
same precomputed posteriors). It is not used at run time because (1) ``import quapy`` costs
~2.2 s on top of numpy/pandas/scipy (it imports sklearn, matplotlib, the dataset loaders), and
this layer must not import sklearn; (2) its ACC/PACC solve one SLSQP problem per call (~2.6 ms
each): the 200 x 40 = 8,000 problems of a bootstrap take ~21 s against ~0.06 s batched here;
(3) it has no sample weights (our shares are character shares). The whole module is ~500 lines.

Selection of the default (``benchmarks/quantify_simulation.py``, tables in its docstring): over
synthetic years (calibrated, over- and under-confident classifiers, class-conditional drift,
calibration sets of 300-2500 rows, 2-60 documents per year) and real held-out documents of
``data/labels`` mixed into years of strongly varying composition, PACC had the lowest mean
absolute error overall and intervals covering the truth in >= 90% of year x category cells;
EM is as accurate when posteriors are calibrated but degrades and under-covers when they are
not; ACC is unbiased but noisier; CC/PCC are off by 0.05-0.10. ``DEFAULT_METHOD = "pacc"``.

Speed (``tests/test_quantify.py::test_bootstrap_is_fast``): 40 groups x 4 categories x 200
replicates over 20,000 paragraphs of 1,600 documents with a 1,000-row calibration set:
~0.25 s for pacc/acc (of which the constrained solves ~0.06 s), ~0.15 s for cc/pcc; em ~1-2 s.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum
from typing import Any, Sequence

import numpy as np
import pandas as pd

from pipeline.errors import InputError

__all__ = ["Method", "DEFAULT_METHOD", "SHARE_COLUMNS", "Calibration", "estimate_shares", "method_note"]


class Method(str, Enum):
    """Quantification estimators (see the module docstring)."""

    CC = "cc"
    PCC = "pcc"
    ACC = "acc"
    PACC = "pacc"
    EM = "em"


DEFAULT_METHOD = Method.PACC
# after the group column (named after ``groups``, else "group")
SHARE_COLUMNS = ["category", "share", "share_raw", "share_low", "share_high", "n_docs", "n_paragraphs", "n_chars", "small_group", "method"]
CALIBRATION_FORMAT = "dangjian.calibration/1"
LEVEL = 0.95
_CORRECTED = (Method.ACC, Method.PACC, Method.EM)
_NOTES = {
    Method.CC: "shares by classify-and-count: character share of paragraphs by predicted label, not corrected for classifier errors",
    Method.PCC: "shares by probabilistic classify-and-count: character-weighted mean of the classifier's probabilities, not corrected for classifier errors",
    Method.ACC: "shares corrected by ACC: predicted-label shares adjusted for the misclassification rates measured out-of-fold on the labelled paragraphs",
    Method.PACC: "shares corrected by PACC: mean classifier probabilities adjusted for the probability confusion measured out-of-fold on the labelled paragraphs",
    Method.EM: "shares corrected by EM (Saerens et al.): classifier probabilities re-weighted to each group's estimated class prior",
}
_INTERVAL_NOTE = "95% intervals by bootstrap over documents within each group and over the labelled documents (error-rate uncertainty)"


def _method(method) -> Method:
    try:
        return Method(getattr(method, "value", method))
    except ValueError:
        raise InputError(f"unknown quantification method {method!r}", f"use one of: {', '.join(m.value for m in Method)}") from None


def method_note(method) -> str:
    """One line for the report: what ``share`` is under ``method`` (e.g. "shares corrected by PACC ...")."""
    return _NOTES[_method(method)]


# --------------------------------------------------------------------------- calibration set
def _as_1d(values, n: int | None, name: str) -> np.ndarray:
    arr = np.asarray(values.to_numpy() if hasattr(values, "to_numpy") else values, dtype=object).reshape(-1)
    if n is not None and len(arr) != n:
        raise InputError(f"{name} has {len(arr)} values for {n} rows", f"pass one {name} value per row")
    return arr


def _posterior_matrix(probs, labels: Sequence[str], name: str) -> np.ndarray:
    """(n, k) float posteriors in ``labels`` order. A DataFrame's columns are picked by name
    (``p_<label>`` or ``<label>``); rows are renormalised (the run stores them rounded)."""
    k = len(labels)
    if isinstance(probs, pd.DataFrame):
        cols = []
        for lab in labels:
            col = f"p_{lab}" if f"p_{lab}" in probs.columns else lab
            if col not in probs.columns:
                raise InputError(f"{name} has no column p_{lab}", f"pass one probability column per category: {', '.join(labels)}")
            cols.append(col)
        probs = probs[cols]
    arr = np.asarray(probs, dtype=float)
    if arr.ndim != 2 or arr.shape[1] != k:
        raise InputError(f"{name} has shape {arr.shape}, expected (n, {k})", f"one column per category, in the order {', '.join(labels)}")
    ok = np.isfinite(arr).all(axis=1)
    if (arr[ok] < -1e-9).any():
        raise InputError(f"{name} has negative probabilities", "pass classifier probabilities (p_<category> columns)")
    sums = arr[ok].sum(axis=1)
    if len(sums) and np.abs(sums - 1).max() > 1e-2:
        raise InputError(f"{name} rows do not sum to 1 (up to {np.abs(sums - 1).max():.3g} off)", "pass probabilities, not scores")
    arr = np.clip(arr, 0.0, None)
    off = ok & (np.abs(arr.sum(axis=1) - 1) > 1e-12)  # exact rows stay bit-identical
    arr[off] /= arr[off].sum(axis=1, keepdims=True)
    return arr


def _codes(values: np.ndarray, labels: Sequence[str], name: str, *, allow_missing: bool) -> np.ndarray:
    """Label strings -> int codes in ``labels`` order; missing (None/NaN/'') -> -1 if allowed."""
    index = {lab: i for i, lab in enumerate(labels)}
    out = np.empty(len(values), dtype=np.int64)
    unknown = set()
    for r, v in enumerate(values):
        if v is None or (isinstance(v, float) and np.isnan(v)) or v is pd.NA or v == "":
            if not allow_missing:
                raise InputError(f"{name} has a missing label (row {r})", "give every calibration row its true label")
            out[r] = -1
            continue
        code = index.get(str(v))
        if code is None:
            unknown.add(str(v))
            continue
        out[r] = code
    if unknown:
        raise InputError(f"{name} has labels outside the label order: {', '.join(sorted(unknown))}", f"use one of: {', '.join(labels)}")
    return out


def _weights(weights, n: int, name: str) -> np.ndarray:
    if weights is None:
        return np.ones(n)
    w = pd.to_numeric(pd.Series(_as_1d(weights, n, name)), errors="coerce").to_numpy(dtype=float)
    w = np.where(np.isfinite(w), w, 0.0)
    if (w < 0).any():
        raise InputError(f"{name} has negative values", "weights are paragraph lengths (n_chars)")
    return w


@dataclass(frozen=True, eq=False)
class Calibration:
    """Out-of-fold classifier outputs on labelled paragraphs: what ``estimate_shares`` measures
    the classifier's errors on. Build it at train time from cross-validation predictions (each
    labelled paragraph scored by a model that never saw its document) and store it with the
    model (``to_dict`` is JSON-safe).

    ``true`` and ``pred`` are int codes into ``labels``; ``posteriors`` is (n, k) in ``labels``
    order; ``groups`` (str) are the units the bootstrap resamples (documents); ``weights`` the
    paragraphs' lengths (characters)."""

    labels: tuple[str, ...]
    true: np.ndarray
    posteriors: np.ndarray
    groups: np.ndarray
    weights: np.ndarray
    pred: np.ndarray

    @classmethod
    def from_arrays(cls, true_labels, posteriors, groups, labels: Sequence[str], *, weights=None, predicted=None) -> Calibration:
        """From true labels (str), posteriors ((n, k) array in ``labels`` order, or a DataFrame
        with ``p_<label>`` columns), group ids (documents), the label order, and optionally the
        lengths (``weights``, default 1) and the predicted labels (default argmax; pass them when
        the pipeline's label rule is not the argmax, e.g. the six-way rollup rule)."""
        labels = tuple(str(lab) for lab in labels)
        if len(labels) < 2 or len(set(labels)) != len(labels):
            raise InputError(f"label order {labels!r} needs at least two distinct labels", "pass the classifier's labels")
        true = _as_1d(true_labels, None, "calibration labels")
        n = len(true)
        post = _posterior_matrix(posteriors if n else np.empty((0, len(labels))), labels, "calibration posteriors")
        if len(post) != n:
            raise InputError(f"calibration posteriors have {len(post)} rows for {n} labels", "pass one posterior row per labelled paragraph")
        if not np.isfinite(post).all():
            raise InputError("calibration posteriors have missing values", "score every labelled paragraph")
        codes = _codes(true, labels, "calibration labels", allow_missing=False)
        pred = (
            np.argmax(post, axis=1)
            if predicted is None
            else _codes(_as_1d(predicted, n, "calibration predictions"), labels, "calibration predictions", allow_missing=False)
        )
        grp = np.asarray([str(g) for g in _as_1d(groups, n, "calibration groups")], dtype=object)
        return cls(labels, codes, post, grp, _weights(weights, n, "calibration weights"), pred.astype(np.int64))

    def __len__(self) -> int:
        return len(self.true)

    def class_counts(self) -> dict[str, int]:
        """Labelled rows per class, in label order."""
        return {lab: int(c) for lab, c in zip(self.labels, np.bincount(self.true, minlength=len(self.labels)))}

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe dict (plain lists, str labels) that :meth:`from_dict` restores exactly."""
        lab = np.asarray(self.labels, dtype=object)
        return {
            "format": CALIBRATION_FORMAT,
            "labels": list(self.labels),
            "true": lab[self.true].tolist(),
            "pred": lab[self.pred].tolist(),
            "groups": [str(g) for g in self.groups],
            "weights": [float(w) for w in self.weights],
            "posteriors": self.posteriors.tolist(),
        }

    @classmethod
    def from_dict(cls, data: dict) -> Calibration:
        if not isinstance(data, dict) or data.get("format") != CALIBRATION_FORMAT:
            found = data.get("format") if isinstance(data, dict) else type(data).__name__
            raise InputError(f"not a calibration set (format {found!r})", f"expected format {CALIBRATION_FORMAT}; retrain the model to store one")
        labels = data["labels"]
        post = np.asarray(data["posteriors"], dtype=float).reshape(-1, len(labels))
        return cls.from_arrays(data["true"], post, data["groups"], labels, weights=data["weights"], predicted=data["pred"])


# --------------------------------------------------------------------------- numerics
def _project_simplex(v: np.ndarray) -> np.ndarray:
    """Euclidean projection of every row (last axis) onto the probability simplex (sort-based)."""
    k = v.shape[-1]
    u = -np.sort(-v, axis=-1)
    css = np.cumsum(u, axis=-1) - 1.0
    ind = np.arange(1, k + 1)
    rho = np.count_nonzero(u - css / ind > 0, axis=-1)  # >= 1 always
    theta = np.take_along_axis(css, (rho - 1)[..., None], axis=-1) / rho[..., None]
    return np.maximum(v - theta, 0.0)


def _matvec(A: np.ndarray, x: np.ndarray) -> np.ndarray:
    return np.matmul(A, x[..., None])[..., 0]


def _simplex_lstsq(M: np.ndarray, q: np.ndarray, *, ridge: float = 1e-10, max_iter: int = 3000, tol: float = 1e-11) -> np.ndarray:
    """argmin ||M p - q||^2 over the simplex for a batch: ``M`` (..., k, k) broadcasting
    against ``q`` (..., k) (one M per bootstrap replicate, one q per replicate x group). FISTA
    with gradient restarts, then an exact polish on the support."""
    k = q.shape[-1]
    Mt = np.swapaxes(M, -1, -2)
    H = np.matmul(Mt, M) + ridge * np.eye(k)  # per M, not per problem
    L = np.linalg.eigvalsh(H)[..., -1:]  # Lipschitz constant of the gradient
    c = _matvec(Mt, q) + ridge * q
    shape = c.shape
    try:
        start = np.linalg.solve(H, c[..., None])[..., 0]
    except np.linalg.LinAlgError:
        start = np.array(np.broadcast_to(q, shape))
    p = _project_simplex(np.where(np.isfinite(start), start, 1.0 / k))
    y = p.copy()
    t = np.ones(shape[:-1] + (1,))
    for it in range(max_iter):
        p_new = _project_simplex(y - (_matvec(H, y) - c) / L)
        # gradient restart (O'Donoghue & Candes): drop the momentum where it points uphill
        restart = np.sum((y - p_new) * (p_new - p), axis=-1, keepdims=True) > 0
        t_new = 0.5 * (1 + np.sqrt(1 + 4 * t * t))
        y = np.where(restart, p_new, p_new + ((t - 1) / t_new) * (p_new - p))
        t = np.where(restart, 1.0, t_new)
        step = np.abs(p_new - p).max() if it % 10 == 9 else np.inf
        p = p_new
        if step < tol:
            break
    return _polish(H, c, p)


def _polish(H: np.ndarray, c: np.ndarray, p: np.ndarray) -> np.ndarray:
    """Exact solution on the support of ``p``: solve the KKT system of the equality-constrained
    problem there; keep it where it is feasible and optimal (dual check), else keep ``p``."""
    k = p.shape[-1]
    S = p > 1e-12
    Sf = S.astype(float)
    K = np.zeros(p.shape[:-1] + (k + 1, k + 1))
    both = Sf[..., :, None] * Sf[..., None, :]
    K[..., :k, :k] = H * both + np.eye(k) * (1 - Sf)[..., None, :]
    K[..., :k, k] = Sf
    K[..., k, :k] = Sf
    rhs = np.concatenate([c * Sf, np.ones(p.shape[:-1] + (1,))], axis=-1)
    try:
        sol = np.linalg.solve(K, rhs[..., None])[..., 0]
    except np.linalg.LinAlgError:
        return p
    x, nu = sol[..., :k] * Sf, sol[..., k:]
    grad = _matvec(H, x) - c  # on the support grad = -nu; off it optimality needs grad >= -nu
    ok = (x >= -1e-12).all(axis=-1) & ((grad + nu) >= -1e-9 * (1 + np.abs(nu))).all(axis=-1)
    ok &= np.isfinite(x).all(axis=-1)
    x = np.clip(x, 0.0, None)
    x = x / x.sum(axis=-1, keepdims=True).clip(1e-300)
    return np.where(ok[..., None], x, p)


def _rows_dot(X: np.ndarray, B: np.ndarray) -> np.ndarray:
    """``X @ B`` for a wide ``X`` (R, n) and a thin ``B`` (n, k), one einsum per column: never
    multi-threaded BLAS, which on a busy 2-core machine was 20-50x slower for these shapes."""
    Bt = np.ascontiguousarray(B.T)
    return np.stack([np.einsum("rn,n->r", X, Bt[j]) for j in range(Bt.shape[0])], axis=-1) if len(Bt) else np.zeros(X.shape[:-1] + (0,))


def _em(
    P: np.ndarray, prior: np.ndarray, mult: np.ndarray, chars: np.ndarray, *, init: np.ndarray | None = None, tol: float = 1e-8, max_iter: int = 500
) -> tuple[np.ndarray, np.ndarray]:
    """SLD EM for R replicates of one group at once. ``P`` (n, k) posteriors, ``prior`` (R, k)
    training priors, ``mult`` (R, n) paragraph multiplicities, ``chars`` (n,) lengths, ``init``
    the starting paragraph prior (default the training prior). Returns the character share of
    the adjusted posteriors (R, k) and the paragraph prior (R, k). The EM map is accelerated by
    SQUAREM (Varadhan & Roland 2008, scheme S3, a plain EM step after every extrapolation): the
    same fixed point as plain EM in ~3x fewer passes over the paragraphs."""
    m_total = np.where(mult.sum(axis=1, keepdims=True) > 0, mult.sum(axis=1, keepdims=True), 1.0)
    Pt = np.ascontiguousarray(P.T)

    def adjusted(q):
        r = q / prior
        D = np.einsum("rk,kn->rn", r, Pt)  # (R, n): the normaliser of each adjusted posterior
        return r, np.where(D > 0, D, 1.0)

    def step(q):
        r, D = adjusted(q)
        return r * _rows_dot(mult / D, P) / m_total

    q = np.array(np.broadcast_to(prior if init is None else init, prior.shape))
    for _ in range(max_iter):
        q1 = step(q)
        q2 = step(q1)
        d1, d2 = q1 - q, q2 - 2 * q1 + q
        n1, n2 = np.linalg.norm(d1, axis=1, keepdims=True), np.linalg.norm(d2, axis=1, keepdims=True)
        alpha = np.minimum(-n1 / np.where(n2 > 0, n2, np.inf), -1.0)
        ext = q - 2 * alpha * d1 + alpha**2 * d2
        ext = np.where((ext > 0).all(axis=1, keepdims=True), ext, q2)  # left the simplex: plain EM
        q_new = step(ext / ext.sum(axis=1, keepdims=True))
        delta = np.abs(q_new - q).max() if q.size else 0.0
        q = q_new
        if delta < tol:
            break
    r, D = adjusted(q)
    w = mult * chars[None, :]
    w_total = w.sum(axis=1, keepdims=True)
    return r * _rows_dot(w / D, P) / np.where(w_total > 0, w_total, np.nan), q


def _resample_counts(rng: np.random.Generator, sizes: np.ndarray, n_boot: int) -> np.ndarray:
    """(n_boot, sum(sizes)) multiplicities: every block of ``sizes[g]`` consecutive units is
    resampled with replacement within itself (the documents of one group)."""
    sizes = np.asarray(sizes, dtype=np.int64)
    U = int(sizes.sum())
    if U == 0 or n_boot == 0:
        return np.zeros((n_boot, U))
    start = np.repeat(np.cumsum(sizes) - sizes, sizes)
    size = np.repeat(sizes, sizes)
    picks = start[None, :] + (rng.random((n_boot, U)) * size[None, :]).astype(np.int64)
    flat = (picks + U * np.arange(n_boot)[:, None]).ravel()
    return np.bincount(flat, minlength=n_boot * U).reshape(n_boot, U).astype(float)


# --------------------------------------------------------------------------- calibration statistics
@dataclass(frozen=True)
class _CalStats:
    """Per calibration group sufficient statistics: crisp and soft confusion numerators (H, k, k),
    characters per true class (H, k) and paragraphs per true class (H, k)."""

    crisp: np.ndarray
    soft: np.ndarray
    chars: np.ndarray
    rows: np.ndarray

    @classmethod
    def of(cls, cal: Calibration) -> _CalStats:
        k = len(cal.labels)
        _, h = np.unique(cal.groups, return_inverse=True) if len(cal) else (None, np.zeros(0, dtype=np.int64))
        H = int(h.max()) + 1 if len(h) else 0
        Y = np.eye(k)[cal.true] if len(cal) else np.zeros((0, k))
        w = cal.weights[:, None]
        crisp = np.zeros((H, k, k))
        soft = np.zeros((H, k, k))
        np.add.at(crisp, (h, cal.pred, cal.true), cal.weights)
        np.add.at(soft, h, (w * cal.posteriors)[:, :, None] * Y[:, None, :])
        chars = np.zeros((H, k))
        rows = np.zeros((H, k))
        np.add.at(chars, (h, cal.true), cal.weights)
        np.add.at(rows, (h, cal.true), 1.0)
        return cls(crisp, soft, chars, rows)

    def matrix(self, counts: np.ndarray | None, soft: bool, point: np.ndarray | None = None) -> np.ndarray:
        """M (or a batch of M for ``counts`` (R, H) multiplicities). Columns of classes without
        characters: ``point``'s column (replicates) or the identity."""
        num = self.soft if soft else self.crisp
        if counts is None:
            num_, den = num.sum(axis=0), self.chars.sum(axis=0)
        else:
            num_, den = np.einsum("rh,hij->rij", counts, num), _rows_dot(counts, self.chars)
        den = den[..., None, :]
        M = num_ / np.where(den > 0, den, 1.0)
        fill = np.eye(num.shape[-1]) if point is None else point
        return np.where(den > 0, M, fill)

    def prior(self, counts: np.ndarray | None, point: np.ndarray | None = None) -> np.ndarray:
        rows = self.rows.sum(axis=0) if counts is None else _rows_dot(counts, self.rows)
        if point is not None:
            rows = np.where(rows > 0, rows / rows.sum(axis=-1, keepdims=True).clip(1e-300), point)
        return rows / rows.sum(axis=-1, keepdims=True).clip(1e-300)


def _nan_quantiles(reps: np.ndarray, alpha: float) -> np.ndarray:
    """Percentiles over the finite replicates of each (group, category); NaN where none is."""
    out = np.full((2,) + reps.shape[1:], np.nan)
    some = np.isfinite(reps).any(axis=0)
    if some.any():
        out[:, some] = np.nanquantile(reps[:, some], [alpha, 1 - alpha], axis=0)
    return out


# --------------------------------------------------------------------------- the paragraphs to quantify
@dataclass(frozen=True, eq=False)
class _Sample:
    """The paragraphs to quantify, cleaned, with per-unit sums. Units are (group, document)
    pairs sorted by group then document id (so nothing depends on row order); ``starts`` is
    where each present group's units begin."""

    P: np.ndarray  # (n, k) posteriors
    w: np.ndarray  # (n,) weights (characters; 1 in a group of empty paragraphs)
    gcode: np.ndarray  # (n,) group index
    ucode: np.ndarray  # (n,) unit index
    keys: pd.Index  # group keys, sorted
    name: str  # group column name
    n_docs: np.ndarray  # (G,)
    n_paragraphs: np.ndarray  # (G,)
    n_chars: np.ndarray  # (G,)
    unit_w: np.ndarray  # (U,)
    unit_crisp: np.ndarray  # (U, k) characters by predicted label
    unit_soft: np.ndarray  # (U, k) characters x posteriors
    starts: np.ndarray  # (G_present,)

    @classmethod
    def of(cls, probs, labels, weights, doc_ids, groups, cats: tuple[str, ...]) -> _Sample:
        k = len(cats)
        P = _posterior_matrix(probs, cats, "probs")
        n = len(P)
        if labels is None:
            pred = np.argmax(np.nan_to_num(P, nan=-1.0), axis=1)
        else:
            pred = _codes(_as_1d(labels, n, "labels"), cats, "labels", allow_missing=True)
        w = _weights(weights, n, "weights")
        docs = np.asarray([str(d) for d in _as_1d(doc_ids, n, "doc_ids")], dtype=object)
        gser = groups if isinstance(groups, pd.Series) else pd.Series(_as_1d(groups, n, "groups"))
        if len(gser) != n:
            raise InputError(f"groups has {len(gser)} values for {n} rows", "pass one group value per row")
        if isinstance(gser.dtype, pd.CategoricalDtype):  # keeps empty categories
            keys, gcode = pd.Index(gser.cat.categories), gser.cat.codes.to_numpy().astype(np.int64)
        else:
            gcode, keys = pd.factorize(gser.reset_index(drop=True), sort=True)
            gcode = np.asarray(gcode, dtype=np.int64)
        keep = np.isfinite(P).all(axis=1) & (pred >= 0) & (gcode >= 0)
        P, pred, w, docs, gcode = P[keep], pred[keep], w[keep], docs[keep], gcode[keep]
        G = len(keys)
        gchars = np.bincount(gcode, weights=w, minlength=G)
        w = np.where(gchars[gcode] > 0, w, 1.0)  # all-empty group: paragraph counts, as trends does
        ucode, ukeys = pd.factorize(pd.MultiIndex.from_arrays([gcode, docs]), sort=True)
        ugroup = np.asarray(ukeys.get_level_values(0), dtype=np.int64)
        U = len(ukeys)
        unit_crisp = np.zeros((U, k))
        unit_soft = np.zeros((U, k))
        np.add.at(unit_crisp, (ucode, pred), w)
        np.add.at(unit_soft, ucode, w[:, None] * P)
        n_docs = np.bincount(ugroup, minlength=G)
        return cls(
            P,
            w,
            gcode,
            ucode,
            keys,
            str(gser.name) if gser.name is not None else "group",
            n_docs,
            np.bincount(gcode, minlength=G),
            np.rint(gchars).astype(np.int64),
            np.bincount(ucode, weights=w, minlength=U),
            unit_crisp,
            unit_soft,
            np.searchsorted(ugroup, np.flatnonzero(n_docs > 0)),
        )

    @property
    def present(self) -> np.ndarray:
        return self.n_docs > 0

    def shares(self, unit_values: np.ndarray, counts: np.ndarray | None) -> np.ndarray:
        """Weighted shares per group (G, k) of per-unit sums, or (R, G, k) for replicate unit
        multiplicities ``counts`` (R, U). NaN for groups without paragraphs."""
        G, k = len(self.keys), unit_values.shape[1]
        num = np.zeros((G, k) if counts is None else (counts.shape[0], G, k))
        tot = np.zeros(num.shape[:-1] + (1,))
        if len(self.unit_w):
            x = unit_values if counts is None else counts[:, :, None] * unit_values[None]
            wt = self.unit_w[:, None] if counts is None else counts[:, :, None] * self.unit_w[None, :, None]
            num[..., self.present, :] = np.add.reduceat(x, self.starts, axis=-2)
            tot[..., self.present, :] = np.add.reduceat(wt, self.starts, axis=-2)
        return num / np.where(tot > 0, tot, np.nan)


def _estimate(
    sample: _Sample, method: Method, stats: _CalStats | None, counts: np.ndarray | None, cal_counts: np.ndarray | None, point: dict
) -> np.ndarray:
    """Shares (G, k) by ``method`` (point estimate: ``counts`` None), or (R, G, k) for R
    bootstrap replicates (``counts`` (R, U) document multiplicities, ``cal_counts`` (R, H)
    calibration-group multiplicities). ``point`` holds the full-data M / prior (the fill for
    classes a replicate lacks) and, for EM, receives/gives the per-group paragraph priors."""
    if method is Method.CC:
        return sample.shares(sample.unit_crisp, counts)
    if method is Method.PCC:
        return sample.shares(sample.unit_soft, counts)
    k = sample.P.shape[1]
    if method in (Method.ACC, Method.PACC):
        soft = method is Method.PACC
        q = sample.shares(sample.unit_soft if soft else sample.unit_crisp, counts)
        M = stats.matrix(cal_counts, soft, point.get("M"))
        if cal_counts is not None:
            M = M[:, None]  # (R, 1, k, k) against q (R, G, k)
        ok = np.isfinite(q).all(axis=-1)
        if ok.all():
            return _simplex_lstsq(M, q)
        out = np.full(q.shape, np.nan)
        if ok.any():
            out[ok] = _simplex_lstsq(np.broadcast_to(M, q.shape[:-1] + (k, k))[ok], q[ok])
        return out
    # EM: one group at a time, all replicates at once; replicates start at the point estimate
    # and stop at 1e-6 (they only feed percentiles), the point estimate at 1e-9
    prior = stats.prior(cal_counts, point.get("prior"))
    R = 1 if counts is None else counts.shape[0]
    prior = np.broadcast_to(prior, (R, k))
    out = np.full((R, len(sample.keys), k), np.nan)
    start = point.setdefault("em_prior", {})
    for g in np.flatnonzero(sample.present):
        rows = np.flatnonzero(sample.gcode == g)
        mult = np.ones((R, len(rows))) if counts is None else counts[:, sample.ucode[rows]]
        out[:, g], q = _em(sample.P[rows], prior, mult, sample.w[rows], init=start.get(g), tol=1e-9 if counts is None else 1e-6)
        if counts is None:
            start[g] = q[0]
    return out[0] if counts is None else out


# --------------------------------------------------------------------------- public entry point
def estimate_shares(
    probs,
    labels,
    weights,
    doc_ids,
    groups,
    calibration: Calibration,
    *,
    method: str | Method = DEFAULT_METHOD,
    n_boot: int = 200,
    seed: int = 0,
    min_docs: int = 5,
) -> pd.DataFrame:
    """Character share of every category per group, corrected for the classifier's errors.

    ``probs`` (n, k) posteriors in ``calibration.labels`` order (or a DataFrame with
    ``p_<label>`` columns), ``labels`` the predicted label of each paragraph (str; None: argmax),
    ``weights`` its characters (None: 1), ``doc_ids`` its document, ``groups`` its group key (year,
    source, ...; a named Series names the output column, else "group"; a Categorical keeps its
    empty categories as rows with NaN shares). Rows with missing posteriors, label or group are
    left out (as unclassified paragraphs and unknown years are in ``pipeline.trends``).

    Returns one row per group x category (groups sorted, categories in label order): ``<group>,
    category, share, share_raw, share_low, share_high, n_docs, n_paragraphs, n_chars,
    small_group, method``. ``share`` sums to 1 per group; ``n_*`` are the group's totals;
    ``method`` is the estimator actually used (``cc`` after a fallback). ``attrs["method_note"]``
    describes it for the report. ``n_boot=0`` skips the intervals (NaN).
    """
    meth = _method(method)
    if not isinstance(calibration, Calibration):
        raise InputError("calibration must be a pipeline.quantify.Calibration", "build it with Calibration.from_arrays or Calibration.from_dict")
    if n_boot < 0:
        raise InputError(f"n_boot must be >= 0, not {n_boot}", "use 200 for the report, 0 for no intervals")
    cats = calibration.labels
    k = len(cats)
    sample = _Sample.of(probs, labels, weights, doc_ids, groups, cats)
    G, present = len(sample.keys), sample.present

    used, note = meth, method_note(meth)
    missing = [lab for lab, c in calibration.class_counts().items() if c == 0]
    if meth in _CORRECTED and missing:  # cannot correct: classify and count, and say why
        used = Method.CC
        why = "the calibration set is empty" if len(calibration) == 0 else f"no labelled calibration rows for {', '.join(missing)}"
        note = f"{method_note(Method.CC)} (fallback from {meth.value.upper()}: {why})"
    elif meth in _CORRECTED:
        note = f"{note} ({len(calibration)} paragraphs, {len(np.unique(calibration.groups))} documents)"
    stats = _CalStats.of(calibration) if used in _CORRECTED else None
    point: dict = {} if stats is None else {"M": stats.matrix(None, used is Method.PACC), "prior": stats.prior(None)}

    share = _estimate(sample, used, stats, None, None, point)
    share = share / share.sum(axis=-1, keepdims=True)
    low = np.full((G, k), np.nan)
    high = np.full((G, k), np.nan)
    if n_boot and present.any():
        doc_rng, cal_rng = (np.random.default_rng(s) for s in np.random.SeedSequence(seed).spawn(2))
        counts = _resample_counts(doc_rng, sample.n_docs[present], n_boot)
        cal_counts = None if stats is None else _resample_counts(cal_rng, np.array([stats.crisp.shape[0]]), n_boot)
        reps = _estimate(sample, used, stats, counts, cal_counts, point)[:, present]
        alpha = (1 - LEVEL) / 2
        # a replicate is NaN only where it drew nothing but empty paragraphs
        qs = np.quantile(reps, [alpha, 1 - alpha], axis=0) if np.isfinite(reps).all() else _nan_quantiles(reps, alpha)
        low[present] = np.fmin(qs[0], share[present])
        high[present] = np.fmax(qs[1], share[present])

    out = pd.DataFrame(
        {
            sample.name: sample.keys.repeat(k),
            "category": np.tile(np.asarray(cats, dtype=object), G),
            "share": share.reshape(-1),
            "share_raw": sample.shares(sample.unit_crisp, None).reshape(-1),
            "share_low": low.reshape(-1),
            "share_high": high.reshape(-1),
            "n_docs": np.repeat(sample.n_docs, k).astype(np.int64),
            "n_paragraphs": np.repeat(sample.n_paragraphs, k).astype(np.int64),
            "n_chars": np.repeat(sample.n_chars, k).astype(np.int64),
            "small_group": np.repeat(sample.n_docs < min_docs, k).astype(bool),
            "method": used.value,
        }
    )
    out.attrs["method"] = used.value
    out.attrs["method_note"] = f"{note}; {_INTERVAL_NOTE}" if n_boot else note
    return out
