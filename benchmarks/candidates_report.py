"""Write the top candidates of a corpus folder as a Markdown table for judging precision.

    python -m benchmarks.candidates_report /work/shared/corpus/sx1z-party-committee --top 50 [--exclude-heldout]

Documents are the folder's *.txt files (year = first four digits of the file name when they
look like a year); paragraphs are non-empty lines. Prints Markdown to stdout.
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def load_docs(folder: Path, exclude: set[str]):
    docs = []
    for path in sorted(folder.glob("*.txt")):
        if f"{folder.name}/{path.name}" in exclude:
            continue
        year = int(path.name[:4]) if re.match(r"(19|20)\d\d", path.name) else None
        paras = [line.strip() for line in path.read_text(encoding="utf-8-sig", errors="replace").splitlines() if line.strip()]
        docs.append((path.stem, year, paras))
    return docs


def heldout(corpus: Path) -> set[str]:
    path = corpus / "HELDOUT.md"
    if not path.exists():
        return set()
    return {line.strip() for line in path.read_text(encoding="utf-8").splitlines() if line.strip().endswith(".txt")}


def main(argv=None) -> int:
    from pipeline.lexicon import load_lexicon, load_stopwords
    from pipeline.terms import discover_candidates

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("folder", type=Path)
    ap.add_argument("--top", type=int, default=50)
    ap.add_argument("--exclude-heldout", action="store_true", help="drop files listed in ../HELDOUT.md")
    args = ap.parse_args(argv)
    if not args.folder.is_dir():
        print(f"{args.folder} is absent; nothing to do")
        return 0
    exclude = heldout(args.folder.parent) if args.exclude_heldout else set()
    docs = load_docs(args.folder, exclude)
    df = discover_candidates(docs, load_lexicon(), top=args.top, stopwords=load_stopwords())
    print(f"<!-- {len(docs)} documents from {args.folder}; heldout excluded: {bool(exclude)} -->")
    print("| # | term | method | doc_freq | years | example |")
    print("|---|---|---|---|---|---|")
    for i, row in enumerate(df.itertuples(index=False), 1):
        example = row.example.replace("|", "/")
        print(f"| {i} | {row.term} | {row.method} | {row.doc_freq} | {row.years.replace('|', ' ')} | {example} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
