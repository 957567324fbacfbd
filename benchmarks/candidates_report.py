"""Write the top candidates of a corpus folder as a Markdown table for judging precision.

    python -m benchmarks.candidates_report /work/shared/corpus/sx1z-party-committee --top 50 [--exclude-heldout]

Documents are the folder's *.txt files (year = first four digits of the file name when they
look like a year); paragraphs are non-empty lines. Prints Markdown to stdout.

Timing discovery as ``dangjian run`` calls it (same input, same PMI budget):

    dangjian run CORPUS --out OUT            # once, to get paragraphs.csv / documents.csv
    python -m benchmarks.candidates_report --from-out OUT --time

``--from-out`` rebuilds the engine's ``(doc_id, year, paragraph texts)`` list from OUT's
``paragraphs.csv`` and ``documents.csv`` (paragraph order) and passes ``max_chars`` =
``pipeline.run.PMI_CHAR_BUDGET``. ``--time`` prints the wall time of the one
``discover_candidates`` call, in this fresh process (so it includes reading jieba's dictionary);
pandas is already imported, as it is in the engine.
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


def load_engine_docs(out_dir: Path):
    """The engine's discovery input, rebuilt from a run's paragraphs.csv and documents.csv."""
    import pandas as pd

    paras = pd.read_csv(out_dir / "paragraphs.csv", dtype={"doc_id": str}, keep_default_na=False, usecols=["doc_id", "text"], encoding="utf-8-sig")
    documents = pd.read_csv(out_dir / "documents.csv", dtype={"doc_id": str}, usecols=["doc_id", "year"], encoding="utf-8-sig")
    years = {d: (None if pd.isna(y) else int(y)) for d, y in zip(documents["doc_id"], documents["year"])}
    texts: dict[str, list[str]] = {}
    for doc_id, text in zip(paras["doc_id"], paras["text"].astype(str)):
        texts.setdefault(doc_id, []).append(text)
    return [(doc_id, years.get(doc_id), t) for doc_id, t in texts.items()]


def main(argv=None) -> int:
    import time

    import pandas  # noqa: F401  (loaded before timing, as in the engine)

    from pipeline.lexicon import load_lexicon, load_stopwords
    from pipeline.terms import discover_candidates

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("folder", type=Path, nargs="?")
    ap.add_argument("--top", type=int, default=50)
    ap.add_argument("--exclude-heldout", action="store_true", help="drop files listed in ../HELDOUT.md")
    ap.add_argument("--from-out", type=Path, help="use a run's output folder (the engine's input and PMI budget)")
    ap.add_argument("--time", action="store_true", help="print the time of the discover_candidates call")
    args = ap.parse_args(argv)
    kwargs = {}
    if args.from_out is not None:
        from pipeline.run import PMI_CHAR_BUDGET

        if not (args.from_out / "paragraphs.csv").exists():
            print(f"{args.from_out}/paragraphs.csv is absent; run `dangjian run CORPUS --out {args.from_out}` first")
            return 1
        docs, exclude, source = load_engine_docs(args.from_out), set(), args.from_out
        kwargs["max_chars"] = PMI_CHAR_BUDGET
    else:
        if args.folder is None or not args.folder.is_dir():
            print(f"{args.folder} is absent; nothing to do")
            return 0
        exclude = heldout(args.folder.parent) if args.exclude_heldout else set()
        docs, source = load_docs(args.folder, exclude), args.folder
    lexicon, stopwords = load_lexicon(), load_stopwords()
    start = time.perf_counter()
    df = discover_candidates(docs, lexicon, top=args.top, stopwords=stopwords, **kwargs)
    seconds = time.perf_counter() - start
    if args.time:
        chars = sum(len(p) for _, _, paras in docs for p in paras)
        budget = f", max_chars={kwargs['max_chars']}" if kwargs else ""
        print(f"<!-- discover_candidates: {seconds:.3f} s for {len(docs)} documents, {chars} characters{budget} (first call in this process) -->")
    print(f"<!-- {len(docs)} documents from {source}; heldout excluded: {bool(exclude)} -->")
    print("| # | term | method | doc_freq | years | example |")
    print("|---|---|---|---|---|---|")
    for i, row in enumerate(df.itertuples(index=False), 1):
        example = row.example.replace("|", "/")
        print(f"| {i} | {row.term} | {row.method} | {row.doc_freq} | {row.years.replace('|', ' ')} | {example} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
