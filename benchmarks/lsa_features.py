"""Experiment (not used by the package): char_svm's features plus LSA dimensions learned on
unlabelled text, scored leave-one-source-group-out (uncalibrated LinearSVC argmax).

    .venv/bin/python benchmarks/lsa_features.py [DIMS] [ALPHA ...]     # default 200; 0 0.5 1 2

The LSA space (TruncatedSVD of char 1-3-gram TF-IDF) is fitted on the shared corpus's
paragraphs outside HELDOUT.md plus the training groups' texts (never the left-out group's), and
appended, L2-normalised and scaled by ALPHA, to the char 1-2-gram TF-IDF block. Result in
docs/classifier.md ("What else was tried").
"""

import glob
import sys
from pathlib import Path

import numpy as np
import scipy.sparse as sp
from sklearn.decomposition import TruncatedSVD
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.metrics import f1_score
from sklearn.svm import LinearSVC

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from pipeline.classify.data import load_labels  # noqa: E402
from pipeline.classify.features import char_preprocess  # noqa: E402

SHARED = ROOT.parent / "shared" / "corpus"


def main() -> None:
    held = {l.strip() for l in open(SHARED / "HELDOUT.md") if l.strip().endswith(".txt")}
    unl = []
    for f in sorted(glob.glob(str(SHARED / "*" / "*.txt"))):
        rel = "/".join(f.split("/")[-2:])
        if rel in held:
            continue
        unl += [l.strip() for l in open(f, encoding="utf-8", errors="ignore") if len(l.strip()) >= 20]
    print("unlabelled corpus paragraphs", len(unl))
    d = load_labels(ROOT / "data" / "labels").reset_index(drop=True)
    texts = d["text"].astype(str).tolist()
    y = d["label"].astype(str).to_numpy()
    g = d["group"].astype(str).to_numpy()
    dims = int(sys.argv[1]) if len(sys.argv) > 1 else 200
    alphas = [float(a) for a in sys.argv[2:]] or [0.0, 0.5, 1.0, 2.0]
    res = {a: [] for a in alphas}
    for grp in sorted(set(g)):
        tr, te = np.flatnonzero(g != grp), np.flatnonzero(g == grp)
        char = TfidfVectorizer(analyzer="char", ngram_range=(1, 2), min_df=2, sublinear_tf=False, preprocessor=char_preprocess, dtype=np.float32)
        Xtr = char.fit_transform([texts[i] for i in tr])
        Xte = char.transform([texts[i] for i in te])
        lsa_vec = TfidfVectorizer(analyzer="char", ngram_range=(1, 3), min_df=3, sublinear_tf=True, preprocessor=char_preprocess, dtype=np.float32)
        U = lsa_vec.fit_transform(unl + [texts[i] for i in tr])
        svd = TruncatedSVD(dims, random_state=0).fit(U)

        def dense(idx):
            Z = svd.transform(lsa_vec.transform([texts[i] for i in idx]))
            return Z / (np.linalg.norm(Z, axis=1, keepdims=True) + 1e-9)

        Ztr, Zte = dense(tr), dense(te)
        for a in alphas:
            A = sp.hstack([Xtr, sp.csr_matrix(a * Ztr)]).tocsr() if a else Xtr
            B = sp.hstack([Xte, sp.csr_matrix(a * Zte)]).tocsr() if a else Xte
            clf = LinearSVC(C=1.0, random_state=0).fit(A, y[tr])
            pred = clf.predict(B)
            res[a].append(f1_score(y[te], pred, labels=sorted(set(y[te])), average="macro"))
        print(grp, {a: round(res[a][-1], 3) for a in alphas}, flush=True)
    for a in alphas:
        print("alpha", a, "LOSO mean", round(float(np.mean(res[a])), 4))


if __name__ == "__main__":
    main()
