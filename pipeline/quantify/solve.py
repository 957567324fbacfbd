"""The numeric core: simplex-constrained least squares (batched FISTA + polish), EM re-weighting, bootstrap counts."""

from __future__ import annotations

import numpy as np


def project_simplex(v: np.ndarray) -> np.ndarray:
    """Euclidean projection of every row (last axis) onto the probability simplex (sort-based)."""
    k = v.shape[-1]
    u = -np.sort(-v, axis=-1)
    css = np.cumsum(u, axis=-1) - 1.0
    ind = np.arange(1, k + 1)
    rho = np.count_nonzero(u - css / ind > 0, axis=-1)  # >= 1 always
    theta = np.take_along_axis(css, (rho - 1)[..., None], axis=-1) / rho[..., None]
    return np.maximum(v - theta, 0.0)


def matvec(A: np.ndarray, x: np.ndarray) -> np.ndarray:
    return np.matmul(A, x[..., None])[..., 0]


ENUMERATE_MAX_K = 7  # up to 127 supports: every support solved exactly beats iterating


def simplex_lstsq(M: np.ndarray, q: np.ndarray, *, ridge: float = 1e-10, max_iter: int = 3000, tol: float = 1e-11) -> np.ndarray:
    """argmin ||M p - q||^2 over the simplex for a batch: ``M`` (..., k, k) broadcasting
    against ``q`` (..., k) (one M per bootstrap replicate, one q per replicate x group). For
    k <= ``ENUMERATE_MAX_K`` exactly by :func:`support_lstsq`; else FISTA with gradient restarts,
    then an exact polish on the support."""
    k = q.shape[-1]
    Mt = np.swapaxes(M, -1, -2)
    H = np.matmul(Mt, M) + ridge * np.eye(k)  # per M, not per problem
    c = matvec(Mt, q) + ridge * q
    if k <= ENUMERATE_MAX_K:
        return support_lstsq(H, c)
    L = np.linalg.eigvalsh(H)[..., -1:]  # Lipschitz constant of the gradient
    shape = c.shape
    try:
        start = np.linalg.solve(H, c[..., None])[..., 0]
    except np.linalg.LinAlgError:
        start = np.array(np.broadcast_to(q, shape))
    p = project_simplex(np.where(np.isfinite(start), start, 1.0 / k))
    y = p.copy()
    t = np.ones(shape[:-1] + (1,))
    for it in range(max_iter):
        p_new = project_simplex(y - (matvec(H, y) - c) / L)
        # gradient restart (O'Donoghue & Candes): drop the momentum where it points uphill
        restart = np.sum((y - p_new) * (p_new - p), axis=-1, keepdims=True) > 0
        t_new = 0.5 * (1 + np.sqrt(1 + 4 * t * t))
        y = np.where(restart, p_new, p_new + ((t - 1) / t_new) * (p_new - p))
        t = np.where(restart, 1.0, t_new)
        step = np.abs(p_new - p).max() if it % 10 == 9 else np.inf
        p = p_new
        if step < tol:
            break
    return polish(H, c, p)


def support_lstsq(H: np.ndarray, c: np.ndarray) -> np.ndarray:
    """argmin ``x'Hx - 2c'x`` over the simplex, exactly, for a batch (``H`` (..., k, k) positive
    definite, broadcasting against ``c`` (..., k)): for every support S the minimiser on the
    affine hull of its face, ``x_S = A (c_S - nu 1)`` with ``A = H_SS^-1`` and ``nu`` from
    ``sum x_S = 1``; the optimum is the feasible one (``x_S >= 0``) of least objective (the optimum
    lies in the relative interior of its face and minimises the objective there). One k x k
    inverse per support and per distinct ``H``, not per problem."""
    k = c.shape[-1]
    shape = np.broadcast_shapes(H.shape[:-2], c.shape[:-1])
    best = np.full(shape, np.inf)
    out = np.zeros(shape + (k,))
    for mask in range(1, 2**k):
        S = [j for j in range(k) if mask >> j & 1]
        A = np.linalg.inv(H[..., S, :][..., :, S])  # (..., s, s) per H
        a1 = A.sum(axis=-1)  # A @ 1
        u = matvec(A, c[..., S])
        nu = (u.sum(axis=-1, keepdims=True) - 1.0) / a1.sum(axis=-1, keepdims=True)
        x = np.zeros(shape + (k,))
        x[..., S] = u - nu * a1
        f = np.sum(x * matvec(H, x), axis=-1) - 2.0 * np.sum(c * x, axis=-1)
        take = (x[..., S] >= -1e-12).all(axis=-1) & (f < best) & np.isfinite(f)
        best = np.where(take, f, best)
        out = np.where(take[..., None], x, out)
    out = np.clip(out, 0.0, None)
    return out / out.sum(axis=-1, keepdims=True).clip(1e-300)


def polish(H: np.ndarray, c: np.ndarray, p: np.ndarray) -> np.ndarray:
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
    grad = matvec(H, x) - c  # on the support grad = -nu; off it optimality needs grad >= -nu
    ok = (x >= -1e-12).all(axis=-1) & ((grad + nu) >= -1e-9 * (1 + np.abs(nu))).all(axis=-1)
    ok &= np.isfinite(x).all(axis=-1)
    x = np.clip(x, 0.0, None)
    x = x / x.sum(axis=-1, keepdims=True).clip(1e-300)
    return np.where(ok[..., None], x, p)


def rows_dot(X: np.ndarray, B: np.ndarray) -> np.ndarray:
    """``X @ B`` for a wide ``X`` (R, n) and a thin ``B`` (n, k), one einsum per column: never
    multi-threaded BLAS, which on a busy 2-core machine was 20-50x slower for these shapes."""
    Bt = np.ascontiguousarray(B.T)
    return np.stack([np.einsum("rn,n->r", X, Bt[j]) for j in range(Bt.shape[0])], axis=-1) if len(Bt) else np.zeros(X.shape[:-1] + (0,))


def em_shares(
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
        return r * rows_dot(mult / D, P) / m_total

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
    return r * rows_dot(w / D, P) / np.where(w_total > 0, w_total, np.nan), q


def resample_counts(rng: np.random.Generator, sizes: np.ndarray, n_boot: int) -> np.ndarray:
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
