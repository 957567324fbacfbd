"""Executors: the run's tasks -> worker results in input order. Tasks are chunked so one model
call serves several small documents; the local executor is a process pool whose dead workers
cost only their file (the chunk is retried file by file); the Dask executor maps chunks on a
cluster. Worker functions are called as ``worker.process_files`` so a patch there takes effect.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

from pipeline.config import Settings
from pipeline.errors import InputError
from pipeline.run import worker
from pipeline.run.forked import die_with_parent
from pipeline.run.resources import resources_for
from pipeline.run.signals import reset_in_child

#: a chunk of files larger than this is processed in a worker process even when the run has one
#: worker (a 200 MB text file left ~900 MB of fragmented heap in the main process)
IN_PROCESS_MAX_BYTES = 16 * 1024 * 1024


def _file_size(path) -> int:
    try:
        return Path(path).stat().st_size
    except OSError:
        return 0


def sized_chunks(tasks: list[tuple], *, max_files: int = 16, max_bytes: int = 400_000) -> list[tuple[list[tuple], int]]:
    """Consecutive tasks grouped so one model call serves several small documents (at most
    ``max_files`` files, about ``max_bytes`` bytes), each group with its files' total bytes
    (every file is stat'ed once)."""
    chunks: list[tuple[list[tuple], int]] = []
    cur: list[tuple] = []
    size = 0
    for t in tasks:
        n = _file_size(t[0])
        if cur and (len(cur) >= max_files or size + n > max_bytes):
            chunks.append((cur, size))
            cur, size = [], 0
        cur.append(t)
        size += n
    if cur:
        chunks.append((cur, size))
    return chunks


def chunked(tasks: list[tuple], *, max_files: int = 16, max_bytes: int = 400_000) -> list[list[tuple]]:
    """The groups of :func:`sized_chunks` without their sizes."""
    return [chunk for chunk, _ in sized_chunks(tasks, max_files=max_files, max_bytes=max_bytes)]


def _worker_init(settings: Settings) -> None:
    """A worker builds its segmenter and matcher on first use (a run whose documents all come
    from the cache never needs them); the model is inherited from the parent process. It dies
    with the parent and leaves SIGINT to it (see :mod:`pipeline.run.signals`)."""
    die_with_parent()
    reset_in_child()
    resources_for(settings)


def stop_pool(pool, grace: float = 2.0) -> None:
    """Shut a process pool down so that no exit can hang: its processes get ``grace`` seconds
    to finish (idle workers end at once), then SIGTERM, then SIGKILL, each join bounded; the
    manager thread is joined with a timeout and, if it still lives, dropped from the
    interpreter's exit join. Python's own shutdown would join busy or wedged workers forever."""
    if pool is None:
        return
    import time

    procs = list((getattr(pool, "_processes", None) or {}).values())
    manager = getattr(pool, "_executor_manager_thread", None)
    try:
        pool.shutdown(wait=False, cancel_futures=True)
    except Exception:
        pass
    deadline = time.monotonic() + grace
    for p in procs:
        p.join(max(0.0, deadline - time.monotonic()))
    for step in ("terminate", "kill"):
        alive = [p for p in procs if p.is_alive()]
        if not alive:
            break
        for p in alive:
            try:
                getattr(p, step)()
            except (OSError, ValueError):
                pass
        deadline = time.monotonic() + 1.0
        for p in alive:
            p.join(max(0.0, deadline - time.monotonic()))
    if manager is not None and manager.is_alive():
        manager.join(2.0)
        if manager.is_alive():
            from concurrent.futures import process as cf_process

            getattr(cf_process, "_threads_wakeups", {}).pop(manager, None)


def _pool(settings: Settings, workers: int):
    """A process pool whose workers load the segmenter, matcher and model once each."""
    import multiprocessing as mp
    from concurrent.futures import ProcessPoolExecutor

    ctx = mp.get_context("fork") if hasattr(os, "fork") else mp.get_context("spawn")
    return ProcessPoolExecutor(max_workers=workers, mp_context=ctx, initializer=_worker_init, initargs=(settings,))


def start_pool(settings: Settings, workers: int):
    """:func:`_pool` with its workers forked now (None when one worker is asked for)."""
    if workers <= 1:
        return None
    pool = _pool(settings, workers)
    pool.submit(int)  # forks the workers
    return pool


def map_local(tasks: list[tuple], workers: int, pool=None, while_waiting=None) -> Iterator[dict]:
    """Ordered results from a process pool, a bounded number of chunks in flight. A worker
    that dies costs only the file it was on: the chunk is retried file by file.
    ``while_waiting()`` is called once, as soon as the first chunks are submitted. With one
    worker (or one file) chunks are processed here, except those over
    :data:`IN_PROCESS_MAX_BYTES` (in a one-off worker process). Large results come back through
    a file (``worker.process_files_spilled`` / ``worker.unspill``)."""
    if workers <= 1 or len(tasks) <= 1:
        stop_pool(pool)
        if while_waiting is not None:
            while_waiting()
        for chunk, size in sized_chunks(tasks):
            if size > IN_PROCESS_MAX_BYTES:
                yield from _in_child(chunk)
            else:
                yield from worker.process_files(chunk)
        return
    from collections import deque
    from concurrent.futures.process import BrokenProcessPool

    settings = tasks[0][3]

    window = workers * 2
    pending = deque(chunked(tasks, max_files=max(1, min(16, len(tasks) // (workers * 4) or 1))))
    inflight: deque = deque()
    pool = pool or _pool(settings, workers)
    grace = 0.0  # a run that stops early (error, signal) does not wait for busy workers
    try:
        while pending or inflight:
            while pending and len(inflight) < window:
                chunk = pending.popleft()
                inflight.append((chunk, pool.submit(worker.process_files_spilled, chunk)))
            if while_waiting is not None:
                while_waiting()
                while_waiting = None
            chunk, fut = inflight.popleft()
            try:
                yield from worker.unspill(fut.result())
                continue
            except BrokenProcessPool:
                pass
            # a worker died (killed, out of memory, crashed): retry this chunk file by file
            stop_pool(pool, grace=0.0)
            pending.extendleft(reversed([c for c, _ in inflight]))
            inflight.clear()
            for t in chunk:
                solo = _pool(settings, 1)
                try:
                    result = solo.submit(worker.process_file, *t).result()
                except BrokenProcessPool:
                    result = worker.failed(
                        Path(t[0]).relative_to(t[1]).as_posix(), "worker process died on this file (out of memory or a crash in a parser)"
                    )
                finally:
                    stop_pool(solo, grace=0.0)
                yield result
            pool = _pool(settings, workers)
        grace = 2.0  # every result is in: the workers are idle and end at once
    finally:
        stop_pool(pool, grace)


def _in_child(chunk: list[tuple]) -> list[dict]:
    """``worker.process_files(chunk)`` in a one-off worker process (large results come back
    through a file, read after the worker has ended): a huge document's rows and
    the heap they fragment go away with it, instead of staying in the main process (and in every
    process it forks later). A worker that dies costs the files of the chunk (one, usually)."""
    from concurrent.futures.process import BrokenProcessPool

    solo = _pool(chunk[0][3], 1)
    try:
        value = solo.submit(worker.process_files_spilled, chunk).result()
    except BrokenProcessPool:
        return [
            worker.failed(Path(t[0]).relative_to(t[1]).as_posix(), "worker process died on this file (out of memory or a crash in a parser)")
            for t in chunk
        ]
    finally:
        stop_pool(solo, grace=0.0)
    return worker.unspill(value)  # read once the worker is gone: its memory is back


def map_dask(tasks: list[tuple], workers: int, scheduler: str | None) -> Iterator[dict]:
    """Ordered results from a Dask cluster (``scheduler``'s, or a local one of ``workers``
    single-threaded processes), a bounded number of chunks mapped at a time."""
    try:
        from dask.distributed import Client, LocalCluster
    except ImportError as err:
        raise InputError("the dask engine needs dask.distributed", "pip install 'dangjian[dask]'") from err
    cluster = None
    if scheduler:
        client = Client(scheduler)
    else:
        cluster = LocalCluster(n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=None)
        client = Client(cluster)
    try:
        chunks = chunked(tasks)
        batch = max(4, workers * 4)
        for start in range(0, len(chunks), batch):
            futs = client.map(worker.process_files, chunks[start : start + batch], pure=False)
            for fut in futs:
                yield from fut.result()
    finally:  # bounded: a stopped run must not wait for a cluster that does not answer
        try:
            client.close(timeout=10)
        finally:
            if cluster is not None:
                cluster.close(timeout=10)
