"""Runs the stages over a folder: per-document work in a process pool (or Dask), cached by
content hash, aggregated in order, written atomically under an output lock.

    file -> [worker] ingest (cached by file bytes) -> analyse (cached by doc + resources)
         -> [main] duplicates, streaming tables -> discovery, trends -> CSV/Parquet -> report

Orchestration only: the work is in the other modules of :mod:`pipeline.run`. Table writing and
candidate discovery are called through their modules (``tables.write_tables``,
``candidates.write_candidates``), so a patch there takes effect.
"""

from __future__ import annotations

import time
from pathlib import Path

from pipeline.config import Settings, default_workers
from pipeline.run import candidates, collector, tables
from pipeline.run.aggregate import aggregate_tables, import_aggregates
from pipeline.run.cache import CACHE_DIR
from pipeline.run.executors import map_dask, map_local, start_pool
from pipeline.run.fingerprints import (
    analysis_fingerprint,
    ingest_fingerprint,
    model_fingerprint,
    run_key,
)
from pipeline.run.forked import Forked
from pipeline.run.inputs import discover, guard_out, require_folder
from pipeline.run.manifest import (
    manifest_path,
    unchanged_summary,
    up_to_date,
    write_manifest,
)
from pipeline.run.reporting import CHART_TABLES, draw_charts, write_report
from pipeline.run.resources import model_labels
from pipeline.run.summary import RunSummary, summarize
from pipeline.run.worker import ingest_only_task


def _start(
    raw_dir: Path,
    out_dir: Path,
    settings: Settings,
    *,
    analyse_docs: bool,
    workers: int | None,
    engine: str,
    scheduler: str | None,
    progress: bool,
    found=None,
    pool=None,
    while_waiting=None,
):
    """The run's tasks (one per file), the discovery and sheet log rows, and the iterator of
    worker results in input order (ingest only, the local pool, or Dask)."""
    from pipeline.ingest import read_sheets, sheet_lookup, unmatched_rows

    raw_dir = Path(raw_dir)
    require_folder(raw_dir)
    files, sheets, log = found if found is not None else discover(raw_dir, settings, out_dir)
    meta, sheet_log = read_sheets(sheets, raw_dir)
    sheet_log += unmatched_rows(meta, [p.relative_to(raw_dir).as_posix() for p in files])
    logs = [r.as_row() for r in log + sheet_log]
    workers = workers or default_workers()
    cache_root = Path(out_dir) / CACHE_DIR
    if analyse_docs:
        fps = (ingest_fingerprint(settings), analysis_fingerprint(settings, model_fingerprint(settings)))
    else:
        fps = (ingest_fingerprint(settings), "")
    tasks = [(p, raw_dir, sheet_lookup(meta, p.relative_to(raw_dir).as_posix()), settings, fps, cache_root) for p in files]
    if not analyse_docs:
        it = (ingest_only_task(*t) for t in tasks)
    elif engine == "dask":
        it = map_dask(tasks, workers, scheduler)
    else:
        it = map_local(tasks, workers, pool, while_waiting)
    return tasks, logs, it


def ingest_only(raw_dir: Path, out_dir: Path, settings: Settings | None = None, *, progress: bool = True) -> RunSummary:
    """`dangjian ingest`: documents.csv, paragraphs.csv, ingest_log.csv, removed_lines.csv."""
    from pipeline.store import output_lock

    settings = settings or Settings()
    out_dir = Path(out_dir)
    t0 = time.perf_counter()
    guard_out(raw_dir, out_dir)
    with output_lock(out_dir):
        tasks, logs, it = _start(raw_dir, out_dir, settings, analyse_docs=False, workers=1, engine="local", scheduler=None, progress=progress)
        acc = collector.Collector(tables.para_writer(out_dir, None), tables.removed_writer(out_dir))
        try:
            collector.accumulate(acc, logs, it, len(tasks), "ingest", progress)
            docs, paras, log, _, _ = collector.frames(acc)
            files = tables.write_tables(out_dir, {"documents": docs, "ingest_log": log})
            files += acc.commit()
        except BaseException:
            acc.abort()
            raise
    return summarize(out_dir, acc, docs, paras, files, t0)


def run(
    raw_dir: Path | str,
    out_dir: Path | str,
    settings: Settings | None = None,
    *,
    workers: int | None = None,
    engine: str = "local",
    scheduler: str | None = None,
    report: bool = True,
    progress: bool = True,
) -> RunSummary:
    """The whole pipeline; see the module docstring. Returns a summary for the CLI."""
    from pipeline.store import output_lock

    settings = settings or Settings()
    out_dir = Path(out_dir)
    raw_dir = Path(raw_dir)
    t0 = time.perf_counter()
    guard_out(raw_dir, out_dir)
    require_folder(raw_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    with output_lock(out_dir):
        found = discover(raw_dir, settings, out_dir)
        key = run_key(raw_dir, settings, f"{engine}", report, found)
        manifest = up_to_date(out_dir, key, report)
        if manifest is not None:
            return unchanged_summary(out_dir, manifest, t0)
        manifest_path(out_dir).unlink(missing_ok=True)
        timings: dict[str, float] = {}
        mark = [time.perf_counter()]

        def lap(name: str) -> None:
            now = time.perf_counter()
            timings[name] = timings.get(name, 0.0) + now - mark[0]
            mark[0] = now

        labels = model_labels(settings)  # trains first if the labels changed (before any fork)
        workers = workers or default_workers()
        pool = start_pool(settings, workers) if engine == "local" and len(found[0]) > 1 else None
        tasks, logs, it = _start(
            raw_dir,
            out_dir,
            settings,
            analyse_docs=True,
            workers=workers,
            engine=engine,
            scheduler=scheduler,
            progress=progress,
            found=found,
            pool=pool,
            while_waiting=import_aggregates,
        )
        acc = collector.Collector(tables.para_writer(out_dir, labels), tables.removed_writer(out_dir))
        lap("setup")
        discovery = charts = None
        try:
            collector.accumulate(acc, logs, it, len(tasks), "documents", progress)
            lap("documents")
            # new formulations need only the paragraph texts: look for them in a second
            # process while this one writes the tables
            discovery = Forked(candidates.write_candidates, out_dir, acc.discovery, settings)
            acc.discovery = []
            docs, paras, log, hits, words = collector.frames(acc, by=settings.group_by)
            from pipeline.orgs import load_orgs

            aggregates = aggregate_tables(
                docs, paras, log, hits, words, labels, orgs=load_orgs(settings.lexicon_dir), by=settings.group_by, group_words=acc.group_words
            )
            # the charts need only the aggregates: a second process draws them from these
            # frames while this one writes the tables and then report.html
            charts = Forked(draw_charts, out_dir, {k: aggregates[k] for k in CHART_TABLES}) if report and len(docs) else None
            files = tables.write_tables(out_dir, aggregates)
            from pipeline import trends

            notes = trends.series_gaps(aggregates["documents"])
            del words, aggregates
            acc.release_words()
            files += acc.commit()
        except BaseException:
            acc.abort()
            for child in (discovery, charts):  # a failed run writes no candidates or figures
                if child is not None:
                    child.cancel()
            raise
        lap("tables")
        files += discovery()
        lap("discovery (waited)")
        if charts is not None:
            files += write_report(out_dir, charts)
            lap("charts + report.html")
        summary = summarize(out_dir, acc, docs, paras, files, t0)
        summary.notes = notes
        summary.timings = timings
        write_manifest(out_dir, key, summary)
    return summary
