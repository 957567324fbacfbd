"""Per-paragraph cost of the classify stage, as `dangjian run` pays it (a script, not a test).

    .venv/bin/python benchmarks/bench_classify.py [--models-dir DIR] [--repeat 5]

The same measurement as the "classify paragraphs (1 core)" row of ``bench_pipeline.py`` (every
paragraph of the shared corpus ingested once, scored with ``load_scorer`` in batches of 2,000),
without the CLI runs around it, so before/after numbers for a model change take seconds. Prints
the load time of the scorer, the median scoring time over ``--repeat`` passes and the cost per
paragraph and per 1,000 characters.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SHARED = Path(os.environ.get("DANGJIAN_SHARED", ROOT.parent / "shared"))
sys.path.insert(0, str(ROOT))


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--models-dir", type=Path, default=None)
    ap.add_argument("--taxonomy", default="four")
    ap.add_argument("--repeat", type=int, default=5)
    args = ap.parse_args(argv)

    from dataclasses import replace

    from pipeline.classify import load_scorer
    from pipeline.config import Settings
    from pipeline.ingest import iter_documents

    settings = Settings()
    settings = replace(settings, taxonomy=args.taxonomy, **({"models_dir": args.models_dir} if args.models_dir else {}))
    docs = [d for _, d in iter_documents(SHARED / "corpus", settings) if d is not None]
    texts = [p.text for d in docs for p in d.paragraphs]
    headings = [p.heading for d in docs for p in d.paragraphs]
    n_chars = sum(map(len, texts))
    load_scorer(settings)  # trains / exports when stale; not timed
    from pipeline.classify import registry

    registry._SCORERS.clear()
    t0 = time.perf_counter()
    scorer = load_scorer(settings)
    t_load = time.perf_counter() - t0
    times = []
    for _ in range(args.repeat):
        t0 = time.perf_counter()
        for start in range(0, len(texts), 2000):
            scorer.predict_proba(texts[start : start + 2000], headings[start : start + 2000])
        times.append(time.perf_counter() - t0)
    t = statistics.median(times)
    print(f"model {getattr(scorer, 'model', '?')} ({type(scorer).__name__}, taxonomy {args.taxonomy})")
    print(f"{len(texts):,} paragraphs, {n_chars:,} characters; load {t_load * 1e3:.0f} ms")
    print(f"scoring: median {t:.3f} s of {', '.join(f'{x:.3f}' for x in times)}")
    print(f"per paragraph {t / len(texts) * 1e6:.1f} µs; per 1,000 characters {t / n_chars * 1e9:.1f} µs")
    return 0


if __name__ == "__main__":
    sys.exit(main())
