"""Dictionary words next to char n-grams: does the classifier generalise better? (not shipped)

    .venv/bin/python benchmarks/dict_words.py [--protocols loso sites]

The candidate: ``char_svm``'s char 1-2-gram TF-IDF plus a TF-IDF block of *dictionary words*,
found by leftmost-longest matching (pyahocorasick ``iter_long``) of the words of jieba's own
dictionary (two or more characters) that occur in the training texts. It needs no segmenter
call per paragraph (the segmenter-word candidate ``char_word_svm`` costs a jieba pass, as much
as the whole pipeline's budget), and the word list is fitted, so a scorer could rebuild the
automaton from the model alone. Both models are scored on the same folds: leave one source group
out (``evaluate.oof_loso``'s groups) and five folds grouped by site (``evaluate.oof_sites``'s);
the difference has a paired bootstrap interval over documents (``evaluate.paired_difference``).
Also printed: the cost of the word block (tokenize + TF-IDF) against the char block and plain
jieba on the labelled texts, one core. Result (3,932 labels): LOSO +0.018 (95% +0.009 to +0.030),
site-grouped +0.000 (-0.007 to +0.007); the word block took 0.13x plain jieba (whose dictionary
load is included), where the whole classify stage may cost 0.08x: not shipped (docs/classifier.md).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from pipeline import classify  # noqa: E402
from pipeline.classify import evaluate as E  # noqa: E402


def jieba_words() -> list[str]:
    """The words of jieba's bundled dictionary with two or more characters."""
    import jieba

    path = Path(jieba.__file__).parent / "dict.txt"
    with open(path, encoding="utf-8") as f:
        return [w for w in (line.split(" ", 1)[0] for line in f) if len(w) >= 2]


def jieba_lcut(text: str) -> list[str]:
    import jieba

    return jieba.lcut(text)


def automaton(words, payload=len):
    import ahocorasick

    auto = ahocorasick.Automaton()
    for w in words:
        auto.add_word(w, payload(w))
    auto.make_automaton()
    return auto


def word_block_class():
    from sklearn.base import BaseEstimator, TransformerMixin
    from sklearn.feature_extraction.text import TfidfVectorizer

    class DictWordTfidf(BaseEstimator, TransformerMixin):
        """TF-IDF of leftmost-longest matches of the dictionary words seen in the training texts."""

        def __init__(self, full=None):
            self.full = full

        def fit(self, X, y=None):
            seen = {w for t in X for _, w in self.full.iter(t)}
            auto = automaton(sorted(seen))
            self.n_words_ = len(seen)
            self.vec_ = TfidfVectorizer(
                tokenizer=lambda t: [t[e - n + 1 : e + 1] for e, n in auto.iter_long(t)],
                token_pattern=None,
                lowercase=False,
                min_df=2,
                dtype=np.float32,
            ).fit(X)
            return self

        def transform(self, X):
            return self.vec_.transform(X)

    return DictWordTfidf


def char_block():
    """``char_svm``'s char 1-2-gram TF-IDF."""
    from sklearn.feature_extraction.text import TfidfVectorizer

    from pipeline.classify.features import char_preprocess

    return TfidfVectorizer(analyzer="char", ngram_range=(1, 2), min_df=2, preprocessor=char_preprocess, dtype=np.float32)


def candidate(full):
    """char 1-2-grams (as ``char_svm``) + dictionary words -> LinearSVC(C=1), sigmoid-calibrated."""
    from sklearn.calibration import CalibratedClassifierCV
    from sklearn.pipeline import FeatureUnion, make_pipeline
    from sklearn.svm import LinearSVC

    words = word_block_class()(full=full)
    svm = CalibratedClassifierCV(LinearSVC(C=1.0, random_state=0), method="sigmoid", cv=5)
    return make_pipeline(FeatureUnion([("char", char_block()), ("words", words)]), svm)


def oof_of(data, texts, y, splits, names, protocol, full, labels) -> E.OOF:
    proba = np.zeros((len(data), len(labels)))
    fold = np.full(len(data), -1)
    for f, (tr, te) in enumerate(splits):
        model = candidate(full).fit([texts[i] for i in tr], y[tr])
        p = model.predict_proba([texts[i] for i in te])
        proba[te] = p[:, [list(model.classes_).index(lab) for lab in labels]]
        fold[te] = f
    rollup = {lab: lab for lab in labels}
    return E.OOF(protocol, "char_dictword_svm", labels, labels, rollup, y, proba, fold, names, E.doc_groups(data))


def splits_for(protocol: str, data, y):
    from sklearn.model_selection import StratifiedGroupKFold

    if protocol == "loso":
        groups = data["group"].astype(str).to_numpy()
        names = sorted(set(groups))
        return [(np.flatnonzero(groups != g), np.flatnonzero(groups == g)) for g in names], names
    sites = E.site_groups(data)
    splits = list(StratifiedGroupKFold(n_splits=5, shuffle=True, random_state=0).split(data, y, sites))
    return splits, [f"fold{i}" for i in range(len(splits))]


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--labels", default=str(ROOT / "data" / "labels"))
    ap.add_argument("--protocols", nargs="+", default=["loso", "sites"], choices=["loso", "sites"])
    args = ap.parse_args(argv)
    from pipeline.classify.inputs import simplified_texts

    data = classify.load_labels(args.labels).reset_index(drop=True)
    y = data["label"].astype(str).to_numpy()
    texts = simplified_texts(data["text"].tolist())
    t = time.perf_counter()
    full = automaton(jieba_words(), payload=str)
    print(f"{len(data)} labels; jieba dictionary automaton built in {time.perf_counter() - t:.1f}s")
    for protocol in args.protocols:
        splits, names = splits_for(protocol, data, y)
        base = E._oof(data, y, splits, names, protocol, "char_svm", "four", None, {})
        cand = oof_of(data, texts, y, splits, names, protocol, full, list(base.labels))
        a, b = E.summarise(cand), E.summarise(base)
        diff = E.paired_difference(cand, base)
        per = ", ".join(f"{g} {a['folds'][g]['macro_f1']:.3f}/{b['folds'][g]['macro_f1']:.3f}" for g in names)
        print(f"{protocol}: char+dictionary words {a['macro_f1']:.4f}, char_svm {b['macro_f1']:.4f}; ", end="")
        print(f"difference {diff['diff']:+.4f} (95% {diff['ci'][0]:+.4f} to {diff['ci'][1]:+.4f})")
        print(f"  by fold (candidate/char_svm): {per}")
    block = word_block_class()(full=full).fit(texts)
    char = char_block().fit(texts)
    timings = {}
    for name, fn in (
        ("word block (tokenize + TF-IDF)", block.transform),
        ("char block (TF-IDF)", char.transform),
        ("plain jieba.lcut", lambda ts: [jieba_lcut(t) for t in ts]),
    ):
        t = time.perf_counter()
        fn(texts)
        timings[name] = time.perf_counter() - t
    chars = sum(map(len, texts))
    cells = ", ".join(f"{k} {v:.2f}s ({v / timings['plain jieba.lcut']:.2f}x jieba)" for k, v in timings.items())
    print(f"cost on the {chars:,} labelled characters (sklearn, one core): {cells}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
