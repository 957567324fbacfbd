"""Benchmark the whole pipeline against plain `jieba.lcut` on the same text (a script, not a test).

    .venv/bin/python benchmarks/bench_pipeline.py              # ~6 MB: the whole shared corpus
    .venv/bin/python benchmarks/bench_pipeline.py --mb 100     # repeated with variations (memory)
    .venv/bin/python benchmarks/bench_pipeline.py --segmenter pkuseg --mb 1
    .venv/bin/python benchmarks/bench_pipeline.py --traditional  # the corpus in traditional characters (OpenCC s2t)

Prints each stage as MB/s and as a ratio of plain jieba.lcut's time over the same text (lower
is faster), the CLI's first, unchanged and one-new-file runs, and peak memory (PSS summed over
the process tree, sampled every 50 ms in separate runs: sampling reads /proc/*/smaps and would
slow the timed runs on a 2-core machine).

Two costs of issue 14 get rows of their own, in the same ratio to plain jieba on the same text:

* the simplified view (OpenCC t2s, one character for one; pipeline.terms.simplify): its table,
  built once per process, and the conversions the run makes -- each document's text before
  matching and segmentation, each classifier batch -- (on simplified text each is one search
  that finds nothing; on traditional text a conversion);
* counting on the fly (pipeline.terms.TermQuery over every stored paragraph): a term outside the
  lexicon (五星三名), a numbered pattern (两个*) and a regular expression, then the same
  literal through RunTables.trend on the finished run (the tables already loaded).
"""

from __future__ import annotations

import argparse
import contextlib
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SHARED = Path(os.environ.get("DANGJIAN_SHARED", ROOT.parent / "shared"))
sys.path.insert(0, str(ROOT))


def build_corpus(dest: Path, mb: float, *, traditional: bool = False) -> tuple[list[Path], int]:
    """Copy shared corpus files into ``dest`` until ``mb`` MB; repeats get a distinct header
    line and year so they are new documents, not duplicates. ``traditional``: each text is
    converted to traditional characters with OpenCC s2t first."""
    convert = None
    if traditional:
        import opencc

        convert = opencc.OpenCC("s2t").convert
    src = sorted(p for p in (SHARED / "corpus").rglob("*.txt"))
    if not src:
        sys.exit(f"no corpus under {SHARED / 'corpus'}: nothing to benchmark")
    target = int(mb * 1_000_000)
    total = 0
    out: list[Path] = []
    rep = 0
    while total < target:
        for p in src:
            data = p.read_bytes()
            if convert is not None:
                data = convert(data.decode("utf-8")).encode("utf-8")
            if rep:
                data = f"副本{rep}\n".encode() + data
            rel = p.relative_to(SHARED / "corpus")
            name = dest / (f"r{rep}" if rep else "r0") / rel
            name.parent.mkdir(parents=True, exist_ok=True)
            name.write_bytes(data)
            out.append(name)
            total += len(data)
            if total >= target:
                break
        rep += 1
        if mb <= 6.5:  # "about 6 MB" means the shared corpus once, not a partial repeat
            break
    return out, total


def _pss(proc) -> int:
    """Proportional set size: shared pages (forked workers) are not counted twice."""
    try:
        return proc.memory_full_info().pss
    except Exception:
        try:
            return proc.memory_info().rss
        except Exception:
            return 0


class PeakRSS:
    """Peak memory (PSS summed over a process and its children), sampled in a thread."""

    def __init__(self, pid: int):
        import psutil

        self.proc = psutil.Process(pid)
        self.peak = 0
        self._stop = threading.Event()
        self._t = threading.Thread(target=self._run, daemon=True)

    def _run(self):
        import psutil

        while not self._stop.is_set():
            try:
                procs = [self.proc] + self.proc.children(recursive=True)
                rss = sum(_pss(p) for p in procs)
                self.peak = max(self.peak, rss)
            except psutil.Error:
                pass
            time.sleep(0.05)

    def __enter__(self):
        self._t.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._t.join()


def run_cli(raw: Path, out: Path, segmenter: str, extra: list[str] | None = None, *, memory: bool = False) -> tuple[float, int, str]:
    """One `dangjian run`: (wall seconds, peak PSS or 0, output). With ``memory`` a thread
    samples PSS, which reads /proc/*/smaps of every process and costs CPU on a 2-core machine,
    so timed runs go without it and memory is measured in runs of its own."""
    cmd = [str(ROOT / ".venv" / "bin" / "dangjian"), "run", str(raw), "--out", str(out), "--segmenter", segmenter] + (extra or [])
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, cwd=ROOT)
    with PeakRSS(proc.pid) if memory else contextlib.nullcontext() as mem:
        output, _ = proc.communicate()
    dt = time.perf_counter() - t0
    if proc.returncode != 0:
        sys.exit(f"dangjian run failed ({proc.returncode}):\n{output}")
    return dt, mem.peak if memory else 0, output


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--mb", type=float, default=6.0, help="corpus size in MB (default: the whole shared corpus, ~5.7 MB)")
    ap.add_argument("--segmenter", default="jieba", choices=["jieba", "pkuseg"])
    ap.add_argument("--skip-stages", action="store_true", help="only time the CLI runs")
    ap.add_argument("--keep", type=Path, help="keep the corpus and outputs in this folder")
    ap.add_argument("--repeat", type=int, default=3, help="time jieba, first runs and re-runs this many times; report medians (default 3)")
    ap.add_argument("--traditional", action="store_true", help="convert the corpus to traditional characters (OpenCC s2t)")
    args = ap.parse_args()

    work = args.keep or Path(tempfile.mkdtemp(prefix="dangjian-bench-"))
    raw = work / "raw"
    if raw.exists():
        shutil.rmtree(raw)
    files, nbytes = build_corpus(raw, args.mb, traditional=args.traditional)
    mb = nbytes / 1e6
    text = "\n".join(p.read_text(encoding="utf-8") for p in files)

    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}, {platform.system()}")
    print(f"corpus: {len(files)} files, {mb:.2f} MB UTF-8, {len(text):,} characters{' (traditional, OpenCC s2t)' if args.traditional else ''}")

    rows: list[tuple[str, float]] = []
    import jieba

    t0 = time.perf_counter()
    tok = jieba.Tokenizer()
    tok.initialize()
    t_init = time.perf_counter() - t0
    jieba_times = []
    for _ in range(args.repeat):
        t0 = time.perf_counter()
        tok.lcut(text)
        jieba_times.append(time.perf_counter() - t0)
    t_jieba = statistics.median(jieba_times)
    print(f"plain jieba.lcut: {t_jieba:.2f}s ({mb / t_jieba:.2f} MB/s; median of {_runs(jieba_times)}), plus {t_init:.2f}s dictionary load")

    if not args.skip_stages:
        rows += stage_timings(raw, args.segmenter)

    out = work / "out"
    firsts = []
    for _ in range(args.repeat):  # each a first run: a new, empty output folder
        if out.exists():
            shutil.rmtree(out)
        secs, _, log1 = run_cli(raw, out, args.segmenter)
        firsts.append(secs)
    first = statistics.median(firsts)
    rows.append(("dangjian run (CLI, first run, cold cache)", first))
    agains = [run_cli(raw, out, args.segmenter)[0] for _ in range(args.repeat)]
    again = statistics.median(agains)
    rows.append(("dangjian run (CLI, unchanged re-run)", again))
    if not args.skip_stages:
        rows += query_timing(out)
    # peak memory in runs of its own (sampling costs CPU): first run, re-run
    mem_out = work / "out-memory"
    if mem_out.exists():
        shutil.rmtree(mem_out)
    mem1 = run_cli(raw, mem_out, args.segmenter, memory=True)[1]
    mem2 = run_cli(raw, mem_out, args.segmenter, memory=True)[1]
    extra = raw / "new" / "2026-01-01_new-report.txt"
    extra.parent.mkdir(parents=True, exist_ok=True)
    extra.write_text("2026年党建工作要点\n\n坚决做到两个维护,严格落实三会一课和一岗双责。\n", encoding="utf-8")
    added, _, log3 = run_cli(raw, out, args.segmenter)
    rows.append(("dangjian run (CLI, one report added)", added))
    mem3 = run_cli(raw, mem_out, args.segmenter, memory=True)[1]

    print()
    print(f"{'stage':<46}{'seconds':>9}{'MB/s':>9}{'x jieba':>9}")
    for name, secs in rows:
        print(f"{name:<46}{secs:>9.2f}{mb / secs if secs else float('inf'):>9.2f}{secs / t_jieba:>9.3f}")
    stages = _stages(log1)
    if stages:
        print()
        print("last first run, by stage (its `Stages:` line; wall seconds):")
        for name, secs in stages:
            print(f"  {name:<44}{secs:>9.2f}{mb / secs if secs else float('inf'):>9.2f}{secs / t_jieba:>9.3f}")
    print()
    print(f"first runs: {_runs(firsts)}; unchanged re-runs: {_runs(agains)} (medians above)")
    print(f"unchanged re-run / first run: {again / first:.3f}")
    print(
        f"peak memory (PSS summed over the process tree): first run {mem1 / 2**20:.0f} MiB, re-run {mem2 / 2**20:.0f} MiB, one added {mem3 / 2**20:.0f} MiB"
    )
    print("last run said:", log3.strip().splitlines()[0] if log3.strip() else "")
    if not args.keep:
        shutil.rmtree(work, ignore_errors=True)


def _runs(times: list[float]) -> str:
    return ", ".join(f"{t:.2f}s" for t in times)


def _stages(output: str) -> list[tuple[str, float]]:
    """('setup', 0.4), ('documents', 1.2), ... from the run's "Stages: name 0.4s, ..." line."""
    import re

    for line in output.splitlines():
        if line.startswith("Stages:"):
            return [(m.group(1).strip(), float(m.group(2))) for m in re.finditer(r"([^,:]+?) ([0-9.]+)s(?:,|$)", line[len("Stages:") :])]
    return []


#: requests counted on the fly (not in the lexicon): a literal, a numbered pattern, a regex
ON_THE_FLY = ("五星三名", "两个*", "re:[一二三四五六七八九十两]个(?:坚持|必须|务必)")


def stage_timings(raw: Path, segmenter: str) -> list[tuple[str, float]]:
    """Each stage in-process, single core, on the same documents."""
    from pipeline.classify import load_scorer
    from pipeline.config import Settings
    from pipeline.ingest import iter_documents
    from pipeline.lexicon import load_lexicon
    from pipeline.segment import make_segmenter
    from pipeline.terms import TermMatcher, TermQuery
    from pipeline.terms.simplify import simplified, simplified_all

    out = []
    t0 = time.perf_counter()
    docs = [d for _, d in iter_documents(raw, Settings())]
    out.append(("ingest (1 core)", time.perf_counter() - t0))
    texts = [p.text for d in docs for p in d.paragraphs]
    t0 = time.perf_counter()
    simplified("國")  # the t2s character table: built once per process
    out.append(("simplified view: t2s table (once a process)", time.perf_counter() - t0))
    t0 = time.perf_counter()
    views = [simplified("\n".join(p.text for p in d.paragraphs)) for d in docs]
    out.append(("simplified view: each document (as the run)", time.perf_counter() - t0))
    t0 = time.perf_counter()
    for start in range(0, len(texts), 2000):
        simplified_all(texts[start : start + 2000])
    out.append(("simplified view: classifier batches", time.perf_counter() - t0))
    lex = load_lexicon()
    seg = make_segmenter(segmenter, lex)
    seg.initialize()
    t0 = time.perf_counter()
    for view in views:  # the run segments each document's simplified view
        seg.lcut(view)
    out.append((f"segment ({segmenter} backend, 1 core)", time.perf_counter() - t0))
    matcher = TermMatcher(lex)
    matcher.count("两个维护")
    t0 = time.perf_counter()
    for t in texts:
        matcher.count(t)
    out.append(("count formulations (1 core)", time.perf_counter() - t0))
    scorer = load_scorer(Settings())  # what dangjian run uses (numpy-only export of the model)
    headings = [p.heading for d in docs for p in d.paragraphs]
    t0 = time.perf_counter()
    for start in range(0, len(texts), 2000):
        scorer.predict_proba(texts[start : start + 2000], headings[start : start + 2000])
    out.append(("classify paragraphs (1 core)", time.perf_counter() - t0))
    for request in ON_THE_FLY:
        query = TermQuery(request, lex)
        t0 = time.perf_counter()
        n = len(query.findall(texts))
        out.append((f"on the fly: {request[:22]} ({n} found)", time.perf_counter() - t0))
    return out


def query_timing(out_dir: Path) -> list[tuple[str, float]]:
    """The literal of :data:`ON_THE_FLY` through RunTables.trend on a finished run (tables loaded first)."""
    from pipeline.store.runs import RunTables

    run = RunTables.load(out_dir)
    t0 = time.perf_counter()
    run.trend(ON_THE_FLY[0])
    return [(f"on the fly: RunTables.trend({ON_THE_FLY[0]})", time.perf_counter() - t0)]


if __name__ == "__main__":
    main()
