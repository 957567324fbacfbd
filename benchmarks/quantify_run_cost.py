"""What the corrected shares with intervals add to a run: timed on a finished run's own tables.

    .venv/bin/dangjian run ../shared/corpus --out /tmp/corpus-run      # once (trains, calibrates)
    .venv/bin/python benchmarks/quantify_run_cost.py /tmp/corpus-run [--repeat 5] [--by org]

Rebuilds the frame the run's collector hands to ``pipeline.run.aggregate.share_tables``
(``doc_id, label, n_chars, kind, p_<category>, uncertain`` of every paragraph, from
``paragraphs.csv``; the documents from ``documents.csv``) and times, best of ``--repeat``:

* ``share_tables`` with the stored calibration (the default: corrected shares, 200 bootstrap
  replicates, the between-source term) and without (classify and count, what a run without a
  calibration does), for ``year`` and every ``--by`` column;
* reading the stored calibration (``pipeline.classify.get_calibration`` when it is up to date:
  JSON of every labelled paragraph's out-of-fold posteriors) and building the Calibration;
* writing ``classifier.json``.

The difference is what the correction adds to the run's "tables" stage.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def best(fn, repeat: int) -> tuple[float, object]:
    out, times = None, []
    for _ in range(repeat):
        t = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t)
    return min(times), out


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("out_dir", type=Path)
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--by", nargs="*", default=[])
    args = ap.parse_args(argv)

    import pandas as pd

    from pipeline.classify import get_calibration
    from pipeline.config import Settings
    from pipeline.run.aggregate import share_tables, stored_calibration, write_classifier_info
    from pipeline.store import RunTables

    tables = RunTables.load(args.out_dir)
    docs, p = tables.documents, tables.paragraphs
    labels = [c[2:] for c in p.columns if c.startswith("p_")]
    paras = pd.DataFrame(
        {
            "doc_id": p["doc_id"].astype(str),
            "label": p["label"].astype(object),
            "n_chars": pd.to_numeric(p["n_chars"]).astype("int64"),
            "kind": p["kind"].astype(str),
            **{f"p_{lab}": p[f"p_{lab}"].astype(float) for lab in labels},
            "uncertain": p["uncertain"].astype(bool),
        }
    )
    settings = Settings()
    by = tuple(args.by)
    print(f"{args.out_dir}: {len(docs)} documents, {len(paras)} paragraphs, {docs['year'].nunique()} years; labels {', '.join(labels)}")

    t_load, calibration = best(
        lambda: get_calibration(settings.taxonomy, settings.labels_dir, settings.models_dir, settings.lexicon_dir), args.repeat
    )
    t_cal, cal = best(lambda: stored_calibration(calibration, labels), args.repeat)
    t_raw, _ = best(lambda: share_tables(paras, docs, labels, None, by=by), args.repeat)
    t_corr, out = best(lambda: share_tables(paras, docs, labels, calibration, by=by), args.repeat)
    with tempfile.TemporaryDirectory() as tmp:
        t_info, _ = best(lambda: write_classifier_info(tmp, settings, calibration, paras, out["category_shares"]), args.repeat)
    shares = out["category_shares"]
    print(f"calibration: {len(cal)} rows, {cal.sources.size and len(set(cal.sources))} kinds of source; method {shares['method'].iat[0]}")
    print(f"read the stored calibration      {t_load:.3f}s")
    print(f"build the Calibration            {t_cal:.3f}s")
    print(f"share tables, classify and count {t_raw:.3f}s")
    print(f"share tables, corrected + 95%    {t_corr:.3f}s  ({', '.join(f'{k} {len(v)} rows' for k, v in out.items())})")
    print(f"classifier.json                  {t_info:.3f}s")
    added = t_load + t_corr - t_raw + t_info
    print(f"added by the correction: {added:.3f}s (read + corrected - classify-and-count + classifier.json; best of {args.repeat})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
