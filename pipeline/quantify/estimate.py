"""Shares per group corrected for the classifier's errors, with bootstrap intervals (:func:`estimate_shares`)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from pipeline.errors import InputError
from pipeline.quantify.calibration import (
    CORRECTED,
    DEFAULT_METHOD,
    INTERVAL_NOTE,
    KAPPA,
    LEVEL,
    SHIFT_NOTE,
    Z95,
    Calibration,
    Method,
    as_1d,
    as_method,
    as_weights,
    label_codes,
    method_note,
    posterior_matrix,
)
from pipeline.quantify.solve import em_shares, resample_counts, rows_dot, simplex_lstsq


@dataclass(frozen=True)
class CalStats:
    """Per calibration group sufficient statistics: crisp and soft confusion numerators (H, k, k),
    characters per true class (H, k) and paragraphs per true class (H, k); a group is a
    (source, document) pair and ``source`` (H,) its source's index."""

    crisp: np.ndarray
    soft: np.ndarray
    chars: np.ndarray
    rows: np.ndarray
    source: np.ndarray

    @classmethod
    def of(cls, cal: Calibration) -> CalStats:
        k = len(cal.labels)
        if len(cal):
            src, _ = pd.factorize(pd.Series(cal.sources, dtype=object), sort=True)
            h, keys = pd.factorize(pd.MultiIndex.from_arrays([src, cal.groups]), sort=True)
            source = np.asarray(keys.get_level_values(0), dtype=np.int64)
        else:
            h, source = np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
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
        return cls(crisp, soft, chars, rows, source.astype(np.int64))

    @property
    def n_sources(self) -> int:
        return int(self.source.max()) + 1 if len(self.source) else 0

    def source_matrices(self, soft: bool, pooled: np.ndarray, kappa: float) -> np.ndarray:
        """(S, k, k): M of each source's rows alone; a column resting on few rows of that class
        is shrunk towards the pooled one (weight rows / (rows + ``kappa``))."""
        member = np.eye(self.n_sources)[self.source].T  # (S, H)
        M = self.matrix(member, soft, pooled)
        n = rows_dot(member, self.rows)[:, None, :]  # (S, 1, k) labelled rows per class
        w = n / (n + kappa) if kappa > 0 else np.ones_like(n)
        return w * M + (1 - w) * pooled

    def matrix(self, counts: np.ndarray | None, soft: bool, point: np.ndarray | None = None) -> np.ndarray:
        """M (or a batch of M for ``counts`` (R, H) multiplicities). Columns of classes without
        characters: ``point``'s column (replicates) or the identity."""
        num = self.soft if soft else self.crisp
        if counts is None:
            num_, den = num.sum(axis=0), self.chars.sum(axis=0)
        else:
            num_, den = np.einsum("rh,hij->rij", counts, num), rows_dot(counts, self.chars)
        den = den[..., None, :]
        M = num_ / np.where(den > 0, den, 1.0)
        fill = np.eye(num.shape[-1]) if point is None else point
        return np.where(den > 0, M, fill)

    def prior(self, counts: np.ndarray | None, point: np.ndarray | None = None) -> np.ndarray:
        rows = self.rows.sum(axis=0) if counts is None else rows_dot(counts, self.rows)
        if point is not None:
            rows = np.where(rows > 0, rows / rows.sum(axis=-1, keepdims=True).clip(1e-300), point)
        return rows / rows.sum(axis=-1, keepdims=True).clip(1e-300)


def nan_quantiles(reps: np.ndarray, alpha: float) -> np.ndarray:
    """Percentiles over the finite replicates of each (group, category); NaN where none is."""
    out = np.full((2,) + reps.shape[1:], np.nan)
    some = np.isfinite(reps).any(axis=0)
    if some.any():
        out[:, some] = np.nanquantile(reps[:, some], [alpha, 1 - alpha], axis=0)
    return out


# --------------------------------------------------------------------------- the paragraphs to quantify
@dataclass(frozen=True, eq=False)
class Sample:
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
    def of(cls, probs, labels, weights, doc_ids, groups, cats: tuple[str, ...]) -> Sample:
        k = len(cats)
        P = posterior_matrix(probs, cats, "probs")
        n = len(P)
        if labels is None:
            pred = np.argmax(np.nan_to_num(P, nan=-1.0), axis=1)
        else:
            pred = label_codes(as_1d(labels, n, "labels"), cats, "labels", allow_missing=True)
        w = as_weights(weights, n, "weights")
        docs = np.asarray([str(d) for d in as_1d(doc_ids, n, "doc_ids")], dtype=object)
        gser = groups if isinstance(groups, pd.Series) else pd.Series(as_1d(groups, n, "groups"))
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


def estimate_all(
    sample: Sample, method: Method, stats: CalStats | None, counts: np.ndarray | None, cal_counts: np.ndarray | None, point: dict
) -> np.ndarray:
    """Shares (G, k) by ``method`` (point estimate: ``counts`` None), or (R, G, k) for R
    bootstrap replicates (``counts`` (R, U) document multiplicities, ``cal_counts`` (R, H)
    calibration-group multiplicities). ``point`` holds the full-data M / prior (the fill for
    classes a replicate lacks) and, for EM, receives/gives the per-group paragraph priors."""
    if method is Method.CC:
        return sample.shares(sample.unit_crisp, counts)
    if method is Method.PCC:
        return sample.shares(sample.unit_soft, counts)
    if method is Method.BLEND:
        return 0.5 * (sample.shares(sample.unit_crisp, counts) + estimate_all(sample, Method.PACC, stats, counts, cal_counts, point))
    k = sample.P.shape[1]
    if method in (Method.ACC, Method.PACC):
        soft = method is Method.PACC
        q = sample.shares(sample.unit_soft if soft else sample.unit_crisp, counts)
        M = stats.matrix(cal_counts, soft, point.get("M"))
        if cal_counts is not None:
            M = M[:, None]  # (R, 1, k, k) against q (R, G, k)
        ok = np.isfinite(q).all(axis=-1)
        if ok.all():
            return simplex_lstsq(M, q)
        out = np.full(q.shape, np.nan)
        if ok.any():
            out[ok] = simplex_lstsq(np.broadcast_to(M, q.shape[:-1] + (k, k))[ok], q[ok])
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
        out[:, g], q = em_shares(sample.P[rows], prior, mult, sample.w[rows], init=start.get(g), tol=1e-9 if counts is None else 1e-6)
        if counts is None:
            start[g] = q[0]
    return out[0] if counts is None else out


def source_spread(sample: Sample, used: Method, stats: CalStats, share: np.ndarray, kappa: float) -> np.ndarray | None:
    """(G, k) between-source standard deviation of the estimate: for every source s of the
    calibration set, the correction the group would get with s's error rates alone (ACC with
    crisp, PACC with soft rates, of the group's CC / PCC share); the root mean square of their
    differences from ``share`` (S - 1 degrees of freedom). None with fewer than two sources."""
    S = stats.n_sources
    if S < 2:
        return None
    soft = used is not Method.CC and used is not Method.ACC
    pooled = stats.matrix(None, soft)
    Ms = stats.source_matrices(soft, pooled, kappa)
    q = sample.shares(sample.unit_soft if soft else sample.unit_crisp, None)
    out = np.full(share.shape, np.nan)
    ok = np.isfinite(q).all(axis=-1)
    if ok.any():
        t = simplex_lstsq(Ms[:, None], np.broadcast_to(q[ok], (S,) + q[ok].shape))  # (S, G_ok, k)
        out[ok] = np.sqrt(((t - share[ok]) ** 2).sum(axis=0) / (S - 1))
    return out


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
    shift: bool = True,
    kappa: float = KAPPA,
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

    ``shift``: widen the interval by the between-source spread of the correction (see
    :func:`source_spread`; needs a calibration set with ``sources`` of at least two kinds);
    ``kappa``: the shrinkage of a source's error rates towards the pooled ones, in labelled rows.
    """
    meth = as_method(method)
    if not isinstance(calibration, Calibration):
        raise InputError("calibration must be a pipeline.quantify.Calibration", "build it with Calibration.from_arrays or Calibration.from_dict")
    if n_boot < 0:
        raise InputError(f"n_boot must be >= 0, not {n_boot}", "use 200 for the report, 0 for no intervals")
    cats = calibration.labels
    k = len(cats)
    sample = Sample.of(probs, labels, weights, doc_ids, groups, cats)
    G, present = len(sample.keys), sample.present

    used, note = meth, method_note(meth)
    missing = [lab for lab, c in calibration.class_counts().items() if c == 0]
    if meth in CORRECTED and missing:  # cannot correct: classify and count, and say why
        used = Method.CC
        why = "the calibration set is empty" if len(calibration) == 0 else f"no labelled calibration rows for {', '.join(missing)}"
        note = f"{method_note(Method.CC)} (fallback from {meth.value.upper()}: {why})"
    elif meth in CORRECTED:
        note = f"{note} ({len(calibration)} paragraphs, {len(np.unique(calibration.groups))} documents)"
    full = CalStats.of(calibration) if not missing and len(calibration) else None
    stats = full if used in CORRECTED else None
    point: dict = {} if stats is None else {"M": stats.matrix(None, used in (Method.PACC, Method.BLEND)), "prior": stats.prior(None)}

    share = estimate_all(sample, used, stats, None, None, point)
    share = share / share.sum(axis=-1, keepdims=True)
    low = np.full((G, k), np.nan)
    high = np.full((G, k), np.nan)
    tau = None
    if n_boot and present.any():
        doc_rng, cal_rng = (np.random.default_rng(s) for s in np.random.SeedSequence(seed).spawn(2))
        counts = resample_counts(doc_rng, sample.n_docs[present], n_boot)
        cal_counts = None if stats is None else resample_counts(cal_rng, np.array([stats.crisp.shape[0]]), n_boot)
        reps = estimate_all(sample, used, stats, counts, cal_counts, point)[:, present]
        alpha = (1 - LEVEL) / 2
        # a replicate is NaN only where it drew nothing but empty paragraphs
        qs = np.quantile(reps, [alpha, 1 - alpha], axis=0) if np.isfinite(reps).all() else nan_quantiles(reps, alpha)
        low[present] = np.fmin(qs[0], share[present])
        high[present] = np.fmax(qs[1], share[present])
        tau = source_spread(sample, used, full, share, kappa) if shift and full is not None else None
        if tau is not None:  # the error rates of a new kind of source differ: widen by that spread
            z = Z95 * np.nan_to_num(tau)
            low = np.clip(share - np.sqrt((share - low) ** 2 + z**2), 0.0, 1.0)
            high = np.clip(share + np.sqrt((high - share) ** 2 + z**2), 0.0, 1.0)

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
    if n_boot:
        note = f"{note}; {INTERVAL_NOTE}" + (f"; {SHIFT_NOTE.format(n=full.n_sources)}" if tau is not None else "")
    out.attrs["method_note"] = note
    out.attrs["sources"] = 0 if full is None else full.n_sources
    return out
