"""Statistical new words: n-gram counts, cohesion (PMI) and branching entropy, on arrays."""

from __future__ import annotations

from pipeline.terms.discover_corpus import codepoints


def _han_mask(cp):
    """Boolean array: which code points are in HAN_CLASS (unsigned wrap-around range tests)."""
    return ((cp - 0x3400) < 0x19C0) | ((cp - 0x4E00) < 0x5200) | ((cp - 0xF900) < 0x200)


def _sorted_groups(key, pos, n_text: int):
    """Sort the pairs (key, position) by key, then position: sorted keys and positions. Packs
    both into one int64 and uses a plain sort when they fit (much faster than a stable argsort)."""
    import numpy as np

    shift = int(n_text).bit_length()
    if not len(key) or (int(key.max()) + 1) << shift < 1 << 62:
        packed = np.sort((key << shift) | pos)
        return packed >> shift, packed & ((1 << shift) - 1)
    order = np.argsort(key, kind="stable")  # pragma: no cover - astronomically large inputs
    return key[order], pos[order]


def pmi_candidates(text: str, *, max_n: int, min_count: int | None, min_pmi: float, min_entropy: float, limit: int) -> dict[str, float]:
    """New-word discovery on ``text`` (Han runs; anything else is a boundary): cohesion (minimum
    PMI over the split points) plus left/right branching entropy (a word is free on both sides).
    Returns word -> score, best first (ties: shorter first, then first occurrence).

    N-grams are counted Apriori-style with integer ids: an n-gram is the pair (id of its
    (n-1)-gram prefix, last character), counted by sorting, only at positions whose prefix and
    suffix (n-1)-grams are frequent, so counts are exact for every frequent n-gram."""
    import numpy as np

    cp = codepoints(text)
    n_text = len(cp)
    han = _han_mask(cp)
    # character ids by code point (all Han code points are below 0x10000); 0 = boundary
    per_cp = np.bincount(cp[han], minlength=0x10000)
    chars = np.flatnonzero(per_cp)
    total = int(per_cp.sum())
    if not total:
        return {}
    if min_count is None:
        min_count = max(3, min(10, total // 100_000))
    min_count = max(1, min_count)
    width = len(chars) + 1
    lut = np.zeros(0x10000, dtype=np.int32)
    lut[chars] = np.arange(1, width, dtype=np.int32)
    ids = np.take(lut, cp, mode="clip")
    ids[~han] = 0
    counts1 = np.zeros(width, dtype=np.int64)
    counts1[1:] = per_cp[chars]
    # per level n: gram id at each position (-1: not a frequent n-gram), counts, first positions
    frequent1 = counts1 >= min_count
    gid = {1: np.where(frequent1[ids], ids, -1).astype(np.int32)}
    cnt = {1: counts1}
    first: dict[int, "np.ndarray"] = {}
    for n in range(2, max_n + 1):
        prev = gid[n - 1]
        pos = np.flatnonzero((prev[:-1] >= 0) & (prev[1:] >= 0))
        if not pos.size:
            break
        key = prev[pos].astype(np.int64) * width + ids[pos + n - 1]
        keys, where = _sorted_groups(key, pos, n_text)
        head = np.empty(len(keys), dtype=bool)
        head[0] = True
        np.not_equal(keys[1:], keys[:-1], out=head[1:])
        heads = np.flatnonzero(head)
        c = np.diff(np.append(heads, len(keys)))
        keep = c >= min_count
        if not keep.any():
            break
        gram = np.full(len(heads), -1, dtype=np.int32)
        gram[keep] = np.arange(int(np.count_nonzero(keep)), dtype=np.int32)
        level = np.full(n_text - n + 1, -1, dtype=np.int32)
        level[where] = gram[np.cumsum(head) - 1]
        gid[n], cnt[n], first[n] = level, c[keep], where[heads[keep]]

    scores, sizes, firsts = [], [], []
    for n in sorted(first):
        c, p = cnt[n], first[n]
        pmi = np.full(len(c), np.inf)
        for k in range(1, n):
            a = cnt[k][gid[k][p]]
            b = cnt[n - k][gid[n - k][p + k]]
            pmi = np.minimum(pmi, np.log(c * total / (a * b)))
        scored = pmi >= min_pmi
        if not scored.any():
            continue
        # branching entropy over all occurrences of the scored n-grams: H = log T - sum(m log m) / T
        # over neighbour characters (a boundary is a distinct neighbour each time: m = 1)
        level = gid[n]
        occ = np.flatnonzero(level >= 0)
        g = level[occ]
        sel = scored[g]
        occ, g = occ[sel], g[sel].astype(np.int64)
        h = np.full(len(c), np.inf)
        left = np.zeros(len(occ), dtype=np.int32)
        inner = occ > 0
        left[inner] = ids[occ[inner] - 1]
        right = np.zeros(len(occ), dtype=np.int32)
        inner = occ + n < n_text
        right[inner] = ids[occ[inner] + n]
        for nb in (left, right):
            real = nb > 0
            pair = np.sort(g[real] * width + nb[real])
            if not len(pair):
                h = np.minimum(h, np.log(c))
                continue
            heads = np.flatnonzero(np.r_[True, pair[1:] != pair[:-1]])
            m = np.diff(np.append(heads, len(pair)))
            mlogm = np.bincount(pair[heads] // width, weights=m * np.log(m), minlength=len(c))
            h = np.minimum(h, np.maximum(np.log(c) - mlogm / c, 0.0))  # 0, not -1e-16, for one neighbour
        good = np.flatnonzero(scored & (h >= min_entropy))
        scores.append(pmi[good] * h[good] * np.log1p(c[good]) / 10)
        sizes.append(np.full(len(good), n))
        firsts.append(p[good])
    if not scores:
        return {}
    score = np.array([round(s, 4) for s in np.concatenate(scores).tolist()])
    size, where = np.concatenate(sizes), np.concatenate(firsts)
    best = np.lexsort((where, size, -score))[:limit]
    return {text[q : q + n]: s for s, n, q in zip(score[best].tolist(), size[best].tolist(), where[best].tolist())}
