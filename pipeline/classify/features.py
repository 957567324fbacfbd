"""Feature functions shared by the sklearn model and the fast scorer (numpy only, no sklearn).

* the tokenizer: ``segment_tokens`` (segmenter words) and ``char_preprocess`` (digit runs ->
  '0'), named top-level functions so a saved model refers to them by name;
* lexicon features: the formulation lexicon's surface forms by category, and the Aho-Corasick
  automaton over surface forms that the counts use;
* the keyword rule: keyword hits per label, the six-way split of four-way probabilities and
  labels from probabilities - one implementation, so both scoring paths agree.

The sklearn steps that use them (``TextFrame``, ``LexiconCounts``, ``KeywordRule``) are in
``pipeline.classify.steps``.
"""

from __future__ import annotations

import hashlib
import json
import re
import threading
from collections.abc import Sequence

import numpy as np

_CJK_OR_WORD = re.compile(r"[\w\u3400-\u9fff]")

# --------------------------------------------------------------------------- tokenizer


_SEGMENTER_LOCK = threading.Lock()
_SEGMENTERS: dict = {}


def _segmenter():
    """The project's jieba segmenter with the formulation lexicon as user dictionary, built once
    per process (an own instance, never the global ``jieba.dt``). Falls back to rjieba when the
    segment module or lexicon is unavailable."""
    seg = _SEGMENTERS.get("default")
    if seg is not None:
        return seg
    with _SEGMENTER_LOCK:
        seg = _SEGMENTERS.get("default")
        if seg is None:
            seg = _build_segmenter()
            _SEGMENTERS["default"] = seg
    return seg


def _build_segmenter():
    try:
        from pipeline.lexicon import load_lexicon
        from pipeline.segment import make_segmenter

        seg = make_segmenter("jieba", load_lexicon())
        seg.lcut("加强党的建设")  # initialize now: a missing lexicon falls back below
        return seg
    except Exception:
        import rjieba

        class _Rjieba:
            def lcut(self, text):
                return rjieba.cut(text)

        return _Rjieba()


def segment_tokens(text: str) -> list[str]:
    """Word tokens of ``text`` for TfidfVectorizer(tokenizer=segment_tokens, token_pattern=None).

    A named top-level function (picklable, persisted by reference). Punctuation, spaces and digits
    are dropped: numbers and dates are leakage, not topic.
    """
    return [t for t in _segmenter().lcut(text) if _CJK_OR_WORD.search(t) and not t.isdigit()]


_DIGITS = re.compile(r"[0-9０-９]+")


def char_preprocess(text: str) -> str:
    """Preprocessor of the char n-gram vectorizer: digit runs -> '0' so years and dates do not
    become features (a named function, not a lambda, so the model can be saved)."""
    return _DIGITS.sub("0", text)


# --------------------------------------------------------------------------- lexicon features


def lexicon_surfaces(lexicon_dir=None) -> dict[str, str]:
    """surface form -> 'lex:<category>' from the formulation lexicon ({} if unavailable)."""
    try:
        from pipeline.lexicon import load_lexicon

        lex = load_lexicon(lexicon_dir)
        term_cat = {e.term: e.category for e in lex.entries}
        return {s: f"lex:{term_cat.get(t, '综合')}" for s, t in lex.surface_forms().items() if s}
    except Exception:
        return {}


_AUTOMATA: dict = {}


def automaton(surfaces: dict):
    """A pyahocorasick automaton over ``surfaces`` (surface -> payload; values are
    ``(len(surface), payload)``), cached per process by the surfaces' content."""
    import ahocorasick

    key = hashlib.sha1(json.dumps(sorted(surfaces.items()), ensure_ascii=False).encode()).hexdigest()
    auto = _AUTOMATA.get(key)
    if auto is None:
        auto = ahocorasick.Automaton()
        for surface, cat in surfaces.items():
            auto.add_word(surface, (len(surface), cat))
        auto.make_automaton()
        _AUTOMATA[key] = auto
    return auto


# --------------------------------------------------------------------------- keyword rule (shared by both scoring paths)


def keyword_counts(texts: Sequence[str], keywords: dict[str, Sequence[str]], labels: Sequence[str]) -> np.ndarray:
    """(n, len(labels)) matrix of keyword hits per label (leftmost-longest, non-overlapping)."""
    surfaces = {}
    for lab in labels:
        for w in keywords.get(lab, ()):
            surfaces.setdefault(w, lab)
    out = np.zeros((len(texts), len(labels)))
    if not surfaces:
        return out
    auto = automaton(surfaces)
    col = {lab: i for i, lab in enumerate(labels)}
    for i, t in enumerate(texts):
        for _end, (_len, lab) in auto.iter_long(t):
            out[i, col[lab]] += 1
    return out


def reorder_columns(p: np.ndarray, classes: Sequence[str], labels: Sequence[str]) -> np.ndarray:
    """Columns of ``p`` (in ``classes`` order) rearranged into ``labels`` order; a label that is
    not among the classes gets a column of zeros."""
    classes = list(classes)
    out = np.zeros((len(p), len(labels)))
    for j, lab in enumerate(labels):
        if lab in classes:
            out[:, j] = p[:, classes.index(lab)]
    return out


def split_proba(
    base: np.ndarray, texts: Sequence[str], labels: Sequence[str], base_labels: Sequence[str], rollup: dict, keywords: dict, split_alpha: float
) -> np.ndarray:
    """Taxonomy probabilities from four-way ``base`` (columns in ``base_labels`` order): the
    four-way classes themselves, or each split among its six-way children by keyword hits."""
    labels, base_labels = list(labels), list(base_labels)
    if len(labels) == len(base_labels) and all(rollup[lab] == lab for lab in labels):
        return base[:, [base_labels.index(lab) for lab in labels]]
    counts = keyword_counts(texts, keywords, labels)
    out = np.zeros((len(texts), len(labels)))
    for j, b in enumerate(base_labels):
        kids = [i for i, lab in enumerate(labels) if rollup[lab] == b]
        share = counts[:, kids] + split_alpha
        share /= share.sum(axis=1, keepdims=True)
        out[:, kids] = base[:, [j]] * share
    return out


def labels_from_array(p: np.ndarray, labels: Sequence[str], base_labels: Sequence[str], rollup: dict) -> np.ndarray:
    """Labels (object array) from probabilities with columns in ``labels`` order. Four-way: the
    argmax (ties -> first). Six-way: the four-way winner first (sum of its children), then its
    most likely child, so a six-way label always rolls up to the four-way prediction."""
    names = np.asarray(list(labels), dtype=object)
    p = np.asarray(p, dtype=float).reshape(-1, len(names))
    if not len(p):
        return np.empty(0, dtype=object)
    if all(rollup[lab] == lab for lab in labels):
        return names[np.argmax(p, axis=1)]
    groups = [[i for i, lab in enumerate(labels) if rollup[lab] == b] for b in base_labels]
    base = np.column_stack([p[:, g].sum(axis=1) for g in groups])
    win = np.argmax(base, axis=1)
    out = np.empty(len(p), dtype=object)
    for j, g in enumerate(groups):
        rows = win == j
        if rows.any():
            out[rows] = names[np.asarray(g)[np.argmax(p[np.ix_(rows, g)], axis=1)]]
    return out
