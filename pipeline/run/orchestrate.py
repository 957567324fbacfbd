"""Runs the stages over a folder: per-document work in a process pool (or Dask), cached by
content hash, aggregated in order, published as one transaction under an output lock.

    file -> [worker] ingest (cached by file bytes) -> analyse (cached by doc + resources)
         -> [main] duplicates, streaming tables -> discovery, trends -> CSV/Parquet -> report
         -> all of it in OUT_DIR/.staging-<id>/ -> switched into place together

A run is a transaction (:mod:`pipeline.store.generation`): a kill at any moment leaves the
previous complete outputs or the new ones, and the next run finishes or undoes an interrupted
switch-over and removes what a killed run left. SIGINT/SIGTERM stop it cleanly with exit code
130/143 (:mod:`pipeline.run.signals`); a full disk or an unwritable OUT_DIR is one coded error
(:class:`~pipeline.errors.OutputError`) with the previous outputs untouched; a run that finds no
document publishes nothing (:class:`~pipeline.errors.NoDocuments`).

Orchestration only: the work is in the other modules of :mod:`pipeline.run`. Table writing and
candidate discovery are called through their modules (``tables.write_tables``,
``candidates.write_candidates``), so a patch there takes effect.
"""

from __future__ import annotations

import contextlib
import time
from pathlib import Path

from pipeline.config import Settings, default_workers
from pipeline.errors import output_error
from pipeline.run import candidates, collector, signals, tables
from pipeline.run.aggregate import aggregate_tables, import_aggregates, quality_line, write_classifier_info
from pipeline.run.cache import CACHE_DIR
from pipeline.run.executors import map_dask, map_local, start_pool, stop_pool
from pipeline.run.fingerprints import (
    analysis_fingerprint,
    ingest_fingerprint,
    model_fingerprint,
    run_key,
    static_key,
)
from pipeline.run.forked import Forked
from pipeline.run.inputs import discover, guard_out, require_folder
from pipeline.run.manifest import (
    previous_run,
    run_record,
    unchanged_summary,
    up_to_date,
)
from pipeline.run.reporting import CHART_TABLES, draw_charts, write_report
from pipeline.run.resources import model_labels, release_free_memory
from pipeline.run.summary import RunSummary, no_documents, summarize
from pipeline.run.worker import ingest_only_task
from pipeline.store.filehash import FileHashes
from pipeline.store.generation import Staging, recover, sweep

#: the file-hash cache (inputs' and outputs' SHA-256 by inode/size/mtime/ctime), in .cache
FILE_HASHES = "filehashes.json"
#: below this many paragraphs a run skips returning freed memory to the system (a full
#: collection costs ~0.07-0.1 s of a 3 s run over the shared corpus, 17,133 paragraphs; the heap
#: of a run this small holds nothing worth trimming before the forks)
TRIM_FROM_PARAGRAPHS = 100_000


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
    meta, sheet_log = read_sheets(sheets, raw_dir, settings)
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


@contextlib.contextmanager
def _output_faults(out_dir: Path):
    """An OSError of the output folder (full disk, quota, read-only, permissions) as one coded
    :class:`~pipeline.errors.OutputError` instead of a traceback; other errors unchanged."""
    try:
        yield
    except OSError as err:
        coded = output_error(err, out_dir)
        if coded is None:
            raise
        raise coded from None


@contextlib.contextmanager
def _session(out_dir: Path):
    """Everything a run does in OUT_DIR happens in here: SIGINT/SIGTERM handled, output faults
    coded, the lock held; an interrupted switch-over of a killed run is finished (or undone) and
    its staging folders and temp files removed first. Yields the file-hash cache (saved at the end)."""
    from pipeline.store import output_lock

    with signals.interruptible(out_dir) as stop, _output_faults(out_dir):
        stop.arm()
        out_dir.mkdir(parents=True, exist_ok=True)
        lock = output_lock(out_dir)
        with signals.deferred():  # taking the lock and releasing it are never cut in half by a signal
            lock.__enter__()
        hashes = None
        try:
            with signals.deferred():
                repaired = recover(out_dir)
                sweep(out_dir, deep=repaired is not None)
                (out_dir / CACHE_DIR / "manifest.json").unlink(missing_ok=True)  # the manifest before generations
            hashes = FileHashes(out_dir / CACHE_DIR / FILE_HASHES)
            stop.hold()  # across the yield: the caller's body arms it first (pipeline.run.signals)
            yield stop, hashes
        finally:
            with signals.deferred():
                try:
                    sweep(out_dir)  # a stopped run's half-written cache blobs (its workers are gone)
                    if hashes is not None:
                        hashes.save()
                finally:
                    lock.__exit__(None, None, None)


def _release_if_large(acc) -> None:
    """Freed memory back to the system after a run of TRIM_FROM_PARAGRAPHS paragraphs or more."""
    if acc.n_paragraphs >= TRIM_FROM_PARAGRAPHS:
        release_free_memory()


def _abandon(it, pool, acc, children, staging: Staging | None) -> None:
    """A run that fails or is stopped: workers stopped (bounded), side processes killed,
    streamed tables and the staging folder removed; nothing is published. Each step is done
    even if another fails (a full disk can fail a close); the run's own error is the one raised."""
    steps = [getattr(it, "close", None), lambda: stop_pool(pool, grace=0.0), getattr(acc, "abort", None)]
    steps += [child.cancel for child in children if child is not None]
    steps.append(getattr(staging, "discard", None))
    for step in steps:
        if step is not None:
            with contextlib.suppress(Exception):
                step()  # it.close() runs the executor's clean-up: stops the pool's processes


def ingest_only(raw_dir: Path, out_dir: Path, settings: Settings | None = None, *, progress: bool = True) -> RunSummary:
    """`dangjian ingest`: documents.csv, paragraphs.csv, ingest_log.csv, removed_lines.csv,
    published together (they replace the previous outputs of OUT_DIR as one set)."""
    settings = settings or Settings()
    out_dir = Path(out_dir)
    t0 = time.perf_counter()
    guard_out(raw_dir, out_dir)
    require_folder(raw_dir)
    with _session(out_dir) as (stop, hashes):
        stop.arm()
        staging = acc = it = None
        try:
            with signals.deferred():
                staging = Staging(out_dir)
            tasks, logs, it = _start(raw_dir, out_dir, settings, analyse_docs=False, workers=1, engine="local", scheduler=None, progress=progress)
            acc = collector.Collector(tables.para_writer(staging.path, None), tables.removed_writer(staging.path))
            collector.accumulate(acc, logs, it, len(tasks), "ingest", progress)
            if not acc.docs:
                raise no_documents(raw_dir, out_dir, acc.logs)
            docs, paras, log, _, _ = collector.frames(acc)
            files = tables.write_tables(staging.path, {"documents": docs, "ingest_log": log})
            files += acc.commit()
            summary = summarize(out_dir, acc, docs, paras, files, t0)
            with signals.deferred():
                staging.publish(run_record(None, None, summary), hashes)
                stop.published = True
        except BaseException:
            _abandon(it, None, acc, (), staging)
            raise
    return summary


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
    settings = settings or Settings()
    out_dir = Path(out_dir)
    raw_dir = Path(raw_dir)
    t0 = time.perf_counter()
    guard_out(raw_dir, out_dir)
    require_folder(raw_dir)
    with _session(out_dir) as (stop, hashes):
        stop.arm()
        found = discover(raw_dir, settings, out_dir)
        static = static_key(settings, f"{engine}", report, hashes)
        previous = previous_run(out_dir)
        if previous is not None and previous.get("static_key") == static:  # only then read the inputs' hashes
            if up_to_date(out_dir, previous, run_key(raw_dir, settings, engine, report, found, hashes, static), report, hashes):
                return unchanged_summary(out_dir, previous, t0)
        timings: dict[str, float] = {}
        mark = [time.perf_counter()]

        def lap(name: str) -> None:
            now = time.perf_counter()
            timings[name] = timings.get(name, 0.0) + now - mark[0]
            mark[0] = now

        labels = model_labels(settings)  # trains first if the labels changed (before any fork)
        workers = workers or default_workers()
        staging = pool = acc = it = discovery = charts = None
        try:
            with signals.deferred():  # what is created here is always stopped or removed by _abandon
                staging = Staging(out_dir)
                pool = start_pool(settings, workers) if engine == "local" and len(found[0]) > 1 else None
            stage = staging.path
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
            acc = collector.Collector(tables.para_writer(stage, labels), tables.removed_writer(stage))
            lap("setup")
            collector.accumulate(acc, logs, it, len(tasks), "documents", progress)
            _release_if_large(acc)  # a huge document's rows are gone: before the forks copy the heap
            lap("documents")
            if not acc.docs:
                raise no_documents(raw_dir, out_dir, acc.logs)
            # new formulations need only the paragraph texts: look for them in a second
            # process while this one writes the tables
            with signals.deferred():
                discovery = Forked(candidates.write_candidates, stage, acc.discovery, settings)
            acc.discovery = []
            docs, paras, log, hits, words = collector.frames(acc, by=settings.group_by)
            from pipeline.orgs import load_orgs

            calibration = None
            if settings.correct_shares and labels:
                from pipeline.classify import get_calibration

                calibration = get_calibration(settings.taxonomy, settings.labels_dir, settings.models_dir, settings.lexicon_dir)
            aggregates = aggregate_tables(
                docs,
                paras,
                log,
                hits,
                words,
                labels,
                orgs=load_orgs(settings.lexicon_dir),
                by=settings.group_by,
                group_words=acc.group_words,
                calibration=calibration,
                all_paragraphs=settings.shares_all_paragraphs,
            )
            info_file, info = write_classifier_info(stage, settings, calibration, paras, aggregates.get("category_shares"))
            files_extra = [info_file]
            # the charts need only the aggregates: a second process draws them from these
            # frames while this one writes the tables and then report.html
            with signals.deferred():
                charts = Forked(draw_charts, stage, {k: aggregates[k] for k in CHART_TABLES}) if report else None
            files = tables.write_tables(stage, aggregates) + files_extra
            from pipeline import trends

            notes = trends.series_gaps(aggregates["documents"])
            del words, aggregates
            acc.release_words()
            _release_if_large(acc)
            files += acc.commit()
            lap("tables")
            files += discovery()
            lap("discovery (waited)")
            if charts is not None:
                files += write_report(stage, charts)
                lap("charts + report.html")
            summary = summarize(out_dir, acc, docs, paras, files, t0)
            summary.timings = timings
            summary.notes = notes
            summary.classifier = quality_line(info)
            for file, src in acc.sources:  # the bytes the workers read: the key names those
                hashes.learn(raw_dir / file, src[:4], src[5], src[4])
            key = run_key(raw_dir, settings, engine, report, found, hashes, static)
            with signals.deferred():  # the switch-over: SIGINT/SIGTERM wait until it is done
                staging.publish(run_record(key, static, summary), hashes)
                stop.published = True
        except BaseException:
            _abandon(it, pool, acc, (discovery, charts), staging)
            raise
    return summary
