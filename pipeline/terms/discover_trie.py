"""Exact search of many candidates at once in a code-point array, and the leftmost-longest,
non-overlapping selection of its hits (what :func:`pipeline.automaton.leftmost_longest` does
with pyahocorasick).

Why not pyahocorasick here: measured on the engine's discovery input of the shared corpus (961
kept candidates over 1.94M characters, best of 9 runs, ``benchmarks/candidates_report.py
--from-out OUT --time``), :class:`Trie` + :func:`leftmost_longest_hits` take 24 ms,
``Automaton.iter`` + ``leftmost_longest`` 206 ms (``iter`` alone 187 ms), which makes the whole
discovery call 334 ms instead of 141 ms. ``Automaton.iter_long`` is no shortcut: it is not
leftmost-longest in general (it finds nothing in 国家知识产权 with the keys 知识产权 and
国家知识产权局; pyahocorasick issues #133, #185). Both give the same hits on real text:
tests/terms/test_terms_discover_trie.py.
"""

from __future__ import annotations

from typing import Sequence


class Trie:
    """Exact search of many strings at once in a code-point array: a trie walked one character
    per step for all text positions together (a position drops out as soon as its prefix leaves
    the trie). The root and the nodes at depth 1 and 2 have dense transition rows (index
    ``row << shift | char``), so the first steps are a few gathers over the text; deeper nodes use
    a binary search among sorted edge keys ``node * alphabet + char``. Same results as an
    Aho-Corasick scan, without per-character Python work.

    Kept over pyahocorasick: 24 ms vs 206 ms (``iter`` + leftmost_longest); discovery 141 vs 334 ms."""

    DENSE_LIMIT = 4_000_000  # entries (int32) of the dense transition rows
    BLOCK = 1 << 16  # text positions per block of the first step
    DENSE_DEPTH = 2  # nodes this deep or shallower get a dense row (while they fit)

    def __init__(self, patterns: Sequence[str]):
        import numpy as np

        self.n_patterns = len(patterns)
        chars = sorted(set("".join(patterns)))
        code = {ch: i for i, ch in enumerate(chars, 1)}
        self.alphabet = alphabet = len(chars) + 1
        self.shift = shift = alphabet.bit_length()
        edges: dict[int, int] = {}
        terminal = [-1]
        depth = [0]
        for k, pattern in enumerate(patterns):
            node = 0
            for ch in pattern:
                key = node * alphabet + code[ch]
                child = edges.get(key)
                if child is None:
                    child = edges[key] = len(terminal)
                    terminal.append(-1)
                    depth.append(depth[node] + 1)
                node = child
            if node:
                terminal[node] = k
        keys = np.fromiter(edges.keys(), dtype=np.int64, count=len(edges))
        nexts = np.fromiter(edges.values(), dtype=np.int64, count=len(edges))
        order = np.argsort(keys)
        self.keys, self.nexts = keys[order], nexts[order]
        self.terminal = np.array(terminal, dtype=np.int64)
        self.maxlen = max(map(len, patterns), default=0)
        self.lengths = {len(p) for p in patterns}
        # dense rows: the root (row 0), then internal nodes by depth, as many as fit
        depth_a = np.array(depth, dtype=np.int64)
        parents = np.unique(self.keys // alphabet)
        parents = parents[np.argsort(depth_a[parents], kind="stable")]
        parents = parents[depth_a[parents] <= self.DENSE_DEPTH][: max(1, (self.DENSE_LIMIT >> shift) - 1)]
        n_rows = len(parents)
        self.row = np.full(len(terminal), -1, dtype=np.int32)
        self.row[parents] = np.arange(n_rows)
        none_row = n_rows  # all -1
        leaves = np.ones(len(terminal), dtype=bool)
        leaves[np.unique(self.keys // alphabet)] = False
        self.row[leaves] = none_row  # no children: the dense path finds none
        self.dense = np.full((n_rows + 1) << shift, -1, dtype=np.int32)
        r = self.row[self.keys // alphabet]
        at = r >= 0
        self.dense[(r[at] << shift) | (self.keys[at] % alphabet)] = self.nexts[at]
        self.has_edge = self.dense >= 0
        # code point -> (row of its depth-1 node << shift) | char id, for the two-character step
        depth1 = self.dense[:alphabet]  # row 0 is the root's: char id -> depth-1 node
        row1 = np.where(depth1 >= 0, self.row[np.maximum(depth1, 0)], -1)
        has1 = depth1 >= 0
        self.two_step = bool(has1.any()) and bool((row1[has1] >= 0).all()) and not (self.terminal[depth1[has1]] >= 0).any()
        per_char = (np.where(row1 >= 0, row1, none_row) << shift) | np.arange(alphabet)
        self.size = max(0x10000, max((ord(ch) for ch in chars), default=0) + 1)
        self.packed = np.full(self.size + 1, none_row << shift, dtype=np.int32)  # char id 0: in no pattern
        if chars:
            self.packed[[ord(ch) for ch in chars]] = per_char[1:]

    def find(self, cp):
        """All occurrences, overlapping: arrays ``(start, length, pattern index)``."""
        import numpy as np

        empty = np.zeros(0, dtype=np.int64)
        n = len(cp)
        if not self.n_patterns or not n:
            return empty, empty, empty
        shift, low = self.shift, (1 << self.shift) - 1
        alphabet, dense, row, terminal = self.alphabet, self.dense, self.row, self.terminal
        two = self.two_step and n >= 2  # no one-character pattern: start at depth 2
        # the first step looks at every position: in blocks, so that temporaries stay in cache;
        # np.take(mode="clip") is the fast gather (code points past the table read its last entry)
        starts, nodes = [], []
        for a in range(0, n - two, self.BLOCK):
            b = min(a + self.BLOCK, n - two)
            packed = np.take(self.packed, cp[a : b + two], mode="clip")
            if two:
                key = packed[:-1] & ~low
                key |= packed[1:] & low
            else:
                key = packed & low  # the root's row
            p = np.flatnonzero(np.take(self.has_edge, key, mode="clip"))
            starts.append(p + a)
            nodes.append(dense[key[p]])
        pos, node = np.concatenate(starts), np.concatenate(nodes)
        depth = 2 if two else 1
        found: list[tuple] = []
        keys, nexts = self.keys, self.nexts
        while pos.size:
            if depth in self.lengths:
                hit = terminal[node]
                at = np.flatnonzero(hit >= 0)
                if at.size:
                    found.append((pos[at], depth, hit[at]))
            if depth >= self.maxlen:
                break
            if pos[-1] + depth >= n:  # (positions stay sorted)
                inside = pos + depth < n
                pos, node = pos[inside], node[inside]
            c = np.take(self.packed, cp[pos + depth], mode="clip") & low
            r = row[node]
            d = r >= 0
            if d.all():
                child = dense[(r << shift) | c]
            else:
                child = np.full(len(node), -1, dtype=np.int32)
                child[d] = dense[(r[d] << shift) | c[d]]
                s = np.flatnonzero(~d)
                key = node[s].astype(np.int64) * alphabet + c[s]
                slot = np.searchsorted(keys, key)
                slot[slot == len(keys)] = 0
                ok = keys[slot] == key
                child[s[ok]] = nexts[slot[ok]]
            ok = child >= 0
            pos, node = pos[ok], child[ok]
            depth += 1
        if not found:
            return empty, empty, empty
        return (
            np.concatenate([f[0] for f in found]),
            np.concatenate([np.full(len(f[0]), f[1], dtype=np.int64) for f in found]),
            np.concatenate([f[2] for f in found]),
        )


def leftmost_longest_hits(starts, lengths, which):
    """Non-overlapping subset of trie hits: the leftmost match wins, the longest at that start
    (as :func:`leftmost_longest`). Returns indices into the hits, in text order."""
    import numpy as np

    if not len(starts):
        return np.zeros(0, dtype=np.int64)
    order = np.lexsort((-lengths, starts))
    s = starts[order]
    order = order[np.r_[True, s[1:] != s[:-1]]]  # the longest hit at each start
    s = starts[order]
    e = s + lengths[order]
    # clusters of overlapping hits: a lone hit is kept, a cluster is resolved left to right
    reach = np.maximum.accumulate(e)
    new = np.r_[True, s[1:] >= reach[:-1]]
    keep = new & np.r_[new[1:], True]
    heads = np.flatnonzero(new & ~keep).tolist()
    if heads:
        s_l, e_l, new_l = s.tolist(), e.tolist(), new.tolist()
        for i in heads:
            pos, j = -1, i
            while j < len(s_l) and (j == i or not new_l[j]):
                if s_l[j] >= pos:
                    keep[j] = True
                    pos = e_l[j]
                j += 1
    return order[keep]
