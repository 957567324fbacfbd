"""Segment + count throughput of our jieba backend next to plain ``jieba.lcut``.

    .venv/bin/python benchmarks/bench_segment.py [--mb 6] [--hmm/--no-hmm] [--corpus DIR]

Builds a text of about ``--mb`` MB (UTF-8) by repeating the files of ../shared/corpus (skips
with a message when absent), then times, line by line:

* ``jieba.lcut``: plain jieba, its global dictionary, no user words (what peers run);
* ours: ``make_segmenter("jieba")`` (rjieba when installed, all lexicon forms as user words,
  the safety pass) followed by ``TermMatcher.count`` on the same line;
* agreement: share of pure-jieba tokens (same user words, same HMM setting, ``backend="jieba"``)
  whose (start, end) span our segmenter also produces -- the rjieba-vs-jieba check at scale.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def build_text(corpus: Path, mb: float) -> str:
    files = sorted(corpus.rglob("*.txt"))
    files = [f for f in files if f.name != "HELDOUT.md"]
    chunks: list[str] = []
    size = 0
    target = int(mb * 1_000_000)
    while files and size < target:
        for f in files:
            text = f.read_text(encoding="utf-8-sig", errors="replace")
            chunks.append(text)
            size += len(text.encode("utf-8"))
            if size >= target:
                break
    return "\n".join(chunks)


def spans(tokens) -> set[tuple[int, int]]:
    return {(s, e) for _, s, e in tokens}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description="segment+count throughput vs jieba.lcut")
    ap.add_argument("--mb", type=float, default=6.0, help="size of the benchmark text in MB (default 6)")
    ap.add_argument("--corpus", type=Path, default=ROOT.parent / "shared" / "corpus")
    ap.add_argument("--hmm", action=argparse.BooleanOptionalAction, default=True)
    ap.add_argument("--agreement-mb", type=float, default=None, help="MB used for the agreement check (default: all)")
    args = ap.parse_args(argv)
    if not args.corpus.is_dir() or not any(args.corpus.rglob("*.txt")):
        print(f"skipped: corpus {args.corpus} is absent")
        return 0

    import logging

    import jieba

    from pipeline.lexicon import load_lexicon
    from pipeline.segment import JiebaSegmenter, make_segmenter
    from pipeline.terms import TermMatcher

    jieba.setLogLevel(logging.WARNING)
    text = build_text(args.corpus, args.mb)
    lines = [line for line in text.split("\n") if line.strip()]
    mb = sum(len(line.encode("utf-8")) for line in lines) / 1e6
    lexicon = load_lexicon()

    jieba.initialize()
    t0 = time.perf_counter()
    n_plain = sum(len(jieba.lcut(line, HMM=args.hmm)) for line in lines)
    t_plain = time.perf_counter() - t0

    seg = make_segmenter("jieba", lexicon, hmm=args.hmm).initialize()
    matcher = TermMatcher(lexicon).initialize()
    t0 = time.perf_counter()
    n_ours = 0
    n_terms = 0
    for line in lines:
        n_ours += len(seg.lcut(line))
        n_terms += sum(matcher.count(line).values())
    t_ours = time.perf_counter() - t0

    t0 = time.perf_counter()
    for line in lines:
        matcher.count(line)
    t_count = time.perf_counter() - t0

    check = lines
    if args.agreement_mb:
        limit, acc, check = args.agreement_mb * 1e6, 0, []
        for line in lines:
            check.append(line)
            acc += len(line.encode("utf-8"))
            if acc >= limit:
                break
    pure = JiebaSegmenter(lexicon, hmm=args.hmm, backend="jieba").initialize()
    same = total = same_lines = 0
    for line in check:
        a, b = spans(pure.tokenize(line)), spans(seg.tokenize(line))
        same += len(a & b)
        total += len(a)
        same_lines += a == b
    agree = same / max(total, 1)

    rows = [
        ("plain jieba.lcut (no user words)", f"{mb / t_plain:.2f}", f"{n_plain:,}"),
        (f"ours: {seg.backend_} segment + count", f"{mb / t_ours:.2f}", f"{n_ours:,}"),
        ("  of which count only (TermMatcher)", f"{mb / t_count:.2f}", f"{n_terms:,} matches"),
    ]
    print(f"text: {mb:.2f} MB, {len(lines):,} lines, HMM {'on' if args.hmm else 'off'}; lexicon {len(lexicon)} entries")
    print(f"| {'step':<38} | {'MB/s':>7} | {'tokens':>16} |")
    print(f"|{'-' * 40}|{'-' * 9}|{'-' * 18}|")
    for name, speed, n in rows:
        print(f"| {name:<38} | {speed:>7} | {n:>16} |")
    print(f"speed-up (ours incl. counting / plain jieba): {t_plain / t_ours:.1f}x")
    print(
        f"agreement with pure jieba (same user words, HMM {'on' if args.hmm else 'off'}): "
        f"{agree:.4%} of {total:,} tokens; identical lines {same_lines / max(len(check), 1):.2%}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
