"""The worker's tasks: files -> JSON-able results (log row, document, rendered paragraph and
removed-line rows, analysis), ingest and analysis read from / written to the blob cache.

A task is the tuple ``(path, raw_dir, sheet_meta, settings, (ingest fp, analysis fp), cache_root)``.
Executors call :func:`process_files` through this module (``worker.process_files``), so a test
that patches it here reaches the workers.
"""

from __future__ import annotations

import hashlib
import json
import os
import time
from pathlib import Path

from pipeline.config import Settings
from pipeline.run.analysis import analyse, analyse_many
from pipeline.run.blobs import analysis_check, valid_ingest
from pipeline.run.cache import Cache
from pipeline.run.resources import release_free_memory, resources_for
from pipeline.run.tables import REMOVED_COLUMNS, REMOVED_TYPES, para_spec


def _doc_to_json(doc) -> dict:
    return {
        "doc": doc.as_row(),
        "paragraphs": [p.as_row() for p in doc.paragraphs],
        "removed": [list(r) for r in doc.removed],
    }


def _ingest_key(digest: str, rel: str, sheet_meta: dict | None, fp: str) -> str:
    """The ingest blob's key: the file's bytes (``digest``), its name as the file system holds
    it (:func:`~pipeline.ingest.path_bytes`: a GBK name is its GBK bytes, never ``str.encode``),
    its sheet row and the ingest fingerprint. Equal to the old ``f"...".encode()`` key for
    names that are UTF-8, so their cached blobs stay valid."""
    from pipeline.ingest import path_bytes

    meta = json.dumps(sheet_meta, sort_keys=True, ensure_ascii=False).encode("utf-8", "surrogatepass")
    return hashlib.sha256(f"{digest}|".encode() + path_bytes(rel) + b"|" + meta + f"|{fp}".encode()).hexdigest()


def _hash_source(path: Path, raw_dir: Path, settings: Settings) -> tuple[str, os.stat_result, int] | None:
    """SHA-256 of an input file, its ``fstat`` (taken before reading) and when it was hashed;
    None when it is not a regular file one may read (a FIFO or link swapped in after listing,
    a file over the size limit, gone): :func:`~pipeline.ingest.ingest_file` then logs why.
    Opened once without blocking (:func:`~pipeline.ingest.open_regular`) and streamed."""
    from pipeline.ingest import Skip, open_regular

    try:
        with open_regular(path, follow_links=settings.follow_links, raw_dir=raw_dir, max_bytes=settings.max_file_bytes) as src:
            st = src.stat
            if st.st_size > settings.max_file_bytes:
                return None
            hashed_at = time.time_ns()
            h = hashlib.sha256()
            for chunk in src.chunks():
                h.update(chunk)
    except (Skip, OSError):
        return None
    return h.hexdigest(), st, hashed_at


def _same_file(path: Path, st: os.stat_result) -> bool:
    """Whether ``path`` still is the file of stat ``st`` (not replaced, not written since)."""
    try:
        now = os.stat(path)
    except OSError:
        return False
    return [now.st_ino, now.st_size, now.st_mtime_ns, now.st_ctime_ns] == [st.st_ino, st.st_size, st.st_mtime_ns, st.st_ctime_ns]


def _ingest_cached(
    path: Path, raw_dir: Path, sheet_meta: dict | None, settings: Settings, fp: str, cache: Cache | None
) -> tuple[dict, int, list | None]:
    """The file's ingest result (from the cache when its blob is whole), whether it was a hit,
    and what the run's file-hash cache learns: ``[ino, size, mtime_ns, ctime_ns, hashed_at,
    sha256]`` of the bytes read (stat taken before reading; None when not read whole, or when
    the file changed while it was read)."""
    from pipeline.ingest import ingest_file

    rel = Path(path).relative_to(raw_dir).as_posix()  # surrogate escapes kept: the key uses its bytes
    ikey = source = st = None
    if cache is not None:
        hashed = _hash_source(Path(path), raw_dir, settings)
        if hashed is not None:
            digest, st, hashed_at = hashed
            source = [st.st_ino, st.st_size, st.st_mtime_ns, st.st_ctime_ns, hashed_at, digest]
            ikey = _ingest_key(digest, rel, sheet_meta, fp)
            ing = cache.get("ingest", ikey, valid_ingest)
            if ing is not None:
                return ing, 1, source
    row, doc = ingest_file(Path(path), raw_dir, sheet_meta, settings)
    ing = {"log": row.as_row(), **(_doc_to_json(doc) if doc is not None else {"doc": None})}
    if st is not None and not _same_file(Path(path), st):  # written or replaced since it was hashed
        ikey = source = None
    if cache is not None and ikey and row.status in ("ok", "empty"):
        cache.put("ingest", ikey, ing)
    return ing, 0, source


def process_files(tasks: list[tuple]) -> list[dict]:
    """Worker: several files -> JSON-able results in order (log row, document, paragraphs,
    analysis). Documents whose analysis is not cached are classified together. Each result
    also carries ``rejected`` (cache blobs that failed their checks) and ``source``: the file as
    opened (``file``, surrogate escapes kept) and what was read of it (``stat``, see
    :func:`_ingest_cached`), or None. A file whose work raises costs that file only."""
    if not tasks:
        return []
    settings, fps, cache_root = tasks[0][3], tasks[0][4], tasks[0][5]
    res = resources_for(settings)
    cache = Cache(cache_root) if cache_root else None
    results: list[dict | None] = []
    todo: list[tuple[int, str, str, dict]] = []  # (index, rel, analysis key, ingest result)
    for path, raw_dir, sheet_meta, *_ in tasks:
        rejected = cache.rejected if cache is not None else 0
        try:
            ing, hit, source = _ingest_cached(path, raw_dir, sheet_meta, settings, fps[0], cache)
        except Exception as err:  # a bug on one file costs that file, not the run
            results.append(failed(Path(path).relative_to(raw_dir).as_posix(), f"unexpected {type(err).__name__}: {err}"))
            continue
        if source is not None:
            source = {"file": os.fspath(path), "stat": source}  # the real name: the escaped one in the log may not exist
        if ing.get("doc") is None:
            results.append({**ing, "cached": hit, "source": source, "rejected": _new(cache, rejected)})
            continue
        akey = hashlib.sha256(f"{ing['doc']['doc_id']}|{fps[1]}".encode()).hexdigest()
        ana = None
        if cache is not None:
            ana = cache.get("analysis", akey, analysis_check(len(ing["paragraphs"]), list(res.classifier.columns)))
        if ana is not None:
            results.append({**ing, "analysis": ana, "cached": hit + 1, "source": source, "rejected": _new(cache, rejected)})
            continue
        results.append({**ing, "cached": hit, "source": source, "rejected": _new(cache, rejected)})
        todo.append((len(results) - 1, Path(path).relative_to(raw_dir).as_posix(), akey, ing))
    if todo:
        try:
            analyses = analyse_many([ing["paragraphs"] for *_, ing in todo], res)
        except Exception:
            analyses = []
            for *_, ing in todo:
                try:
                    analyses.append(analyse(ing["paragraphs"], res))
                except Exception as err:
                    analyses.append(err)
        for (i, rel, akey, _), ana in zip(todo, analyses):
            if isinstance(ana, Exception):
                results[i] = failed(rel, f"analysis failed: {type(ana).__name__}: {ana}") | {"rejected": results[i]["rejected"]}
                continue
            results[i]["analysis"] = ana
            if cache is not None:
                cache.put("analysis", akey, ana)
    spec = para_spec(list(res.classifier.labels_))
    return [_render(r, spec) for r in results]  # type: ignore[arg-type]


#: a chunk's results holding more paragraph text than this reach the main process through a
#: file written and read by pickle as a stream, not as one message (a 200 MB text file's
#: results made a 500 MB message, held whole in the worker while sent and in the main process
#: while received)
SPILL_CHARS = 4_000_000
SPILL_NAME = "results.pickle"


class Spilled:
    """Where :func:`process_files_spilled` left a chunk's results (read by :func:`unspill`)."""

    def __init__(self, path: str):
        self.path = path


def process_files_spilled(tasks: list[tuple]) -> list[dict] | Spilled:
    """:func:`process_files` for a process pool: large results are written to a private folder
    under ``.cache/tmp`` (0700, a file only this user can have written; removed by
    :func:`unspill`, or by the next sweep of a killed run) and the worker frees what they held."""
    results = process_files(tasks)
    root = tasks[0][5] if tasks else None
    if root is None or sum(len(r["para_chunk"][0]) for r in results if "para_chunk" in r) < SPILL_CHARS:
        return results
    spilled = _spill(results, Path(root) / "tmp")
    if spilled is None:  # no room for the file: as one message after all
        return results
    del results
    release_free_memory()
    return spilled


def _spill(results: list[dict], folder: Path) -> Spilled | None:
    import pickle
    import shutil
    import tempfile

    private = None
    try:
        folder.mkdir(parents=True, exist_ok=True)
        private = tempfile.mkdtemp(prefix="spill-", dir=folder)
        path = os.path.join(private, SPILL_NAME)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_CLOEXEC", 0), 0o600)
        with os.fdopen(fd, "wb") as fh:
            pickle.dump(results, fh, protocol=pickle.HIGHEST_PROTOCOL)
        return Spilled(path)
    except OSError:
        if private is not None:
            shutil.rmtree(private, ignore_errors=True)
        return None


def unspill(value: list[dict] | Spilled) -> list[dict]:
    """The results :func:`process_files_spilled` returned or left in a file (read as a stream,
    then removed). Only a file in a folder of this user that no one else may write is loaded."""
    if not isinstance(value, Spilled):
        return value
    import pickle
    import shutil
    import stat

    folder = os.path.dirname(value.path)
    try:
        fd = os.open(value.path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0))
        with os.fdopen(fd, "rb") as fh:
            st, dst = os.fstat(fh.fileno()), os.lstat(folder)
            uid = os.getuid()
            private = stat.S_ISREG(st.st_mode) and stat.S_ISDIR(dst.st_mode) and st.st_uid == dst.st_uid == uid
            if not private or (st.st_mode | dst.st_mode) & 0o022 or os.path.basename(value.path) != SPILL_NAME:
                raise RuntimeError(f"worker results at {value.path} are not a private file of this run; not read")
            return pickle.load(fh)
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def _new(cache: Cache | None, before: int) -> int:
    return cache.rejected - before if cache is not None else 0


def _render(result: dict, spec: tuple[list[str], dict]) -> dict:
    """Worker side: a document's paragraph (with labels) and removed-line rows rendered for the
    streaming tables, so the main process only appends them (see store.render_rows)."""
    from pipeline.store import render_rows

    doc = result.get("doc")
    if doc is None:
        return result
    paras = result.pop("paragraphs")
    ana = result.get("analysis")
    if ana is not None:
        for p, lab in zip(paras, ana["labels"]):  # in place: a huge document's rows are not copied
            p.update(lab)
        result["analysis"] = {k: v for k, v in ana.items() if k != "labels"}
    result["para_chunk"] = render_rows(paras, *spec)
    removed = result.pop("removed", [])
    result["removed_chunk"] = render_rows(
        ({"doc_id": doc["doc_id"], "path": doc["path"], "line_no": no, "rule": rule, "text": text} for no, rule, text in removed),
        REMOVED_COLUMNS,
        REMOVED_TYPES,
    )
    return result


def process_file(path: Path, raw_dir: Path, sheet_meta: dict | None, settings: Settings, fps: tuple[str, str], cache_root: Path | None) -> dict:
    """Worker: one file (see :func:`process_files`)."""
    return process_files([(path, raw_dir, sheet_meta, settings, fps, cache_root)])[0]


def failed(rel: str, reason: str) -> dict:
    """The result of a file whose work failed: an ``unreadable`` log row, no document. The
    path and the reason are shown escaped (:func:`~pipeline.ingest.display_text`), as every
    log row's are."""
    from pipeline.ingest import display_path, display_text

    return {"log": {"path": display_path(rel), "status": "unreadable", "reason": display_text(reason[:300]), "doc_id": ""}, "doc": None, "cached": 0}


def ingest_only_task(path, raw_dir, sheet_meta, settings, fps, cache_root) -> dict:
    """`dangjian ingest`'s task: one file ingested (no cache, no analysis) and rendered."""
    from pipeline.ingest import ingest_file

    row, doc = ingest_file(Path(path), raw_dir, sheet_meta, settings)
    return _render({"log": row.as_row(), **(_doc_to_json(doc) if doc is not None else {"doc": None}), "cached": 0}, para_spec(None))
