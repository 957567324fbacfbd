"""Runs the stages over a folder: per-document work in a process pool (or Dask), cached by
content hash, aggregated in order, written atomically under an output lock.

    file -> [worker] ingest (cached by file bytes) -> analyse (cached by doc + resources)
         -> [main] duplicates, streaming tables -> discovery, trends -> CSV/Parquet -> report
"""

from __future__ import annotations

import hashlib
import json
import os
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Iterable, Iterator

from pipeline.config import Settings, default_workers
from pipeline.errors import InputError
from pipeline.text import has_han

CACHE_DIR = ".cache"
PKG_DIR = Path(__file__).resolve().parent
DISCOVERY_CHAR_BUDGET = 6_000_000
CLASSIFY_BATCH = 2000
PMI_CHAR_BUDGET = 250_000  # statistical discovery samples this much; patterns/quotes see everything


# --------------------------------------------------------------------------- summary
@dataclass
class RunSummary:
    out_dir: Path
    counts: Counter = field(default_factory=Counter)
    n_documents: int = 0
    n_paragraphs: int = 0
    seconds: float = 0.0
    cached: int = 0
    files: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    timings: dict = field(default_factory=dict)

    def text(self) -> str:
        status = ", ".join(f"{k} {v}" for k, v in sorted(self.counts.items()))
        lines = [
            f"{self.n_documents} documents, {self.n_paragraphs} paragraphs ({status}) in {self.seconds:.1f}s"
            + (f"; {self.cached} from cache" if self.cached else ""),
        ]
        for p in self.problems[:20]:
            lines.append(f"  ! {p}")
        if len(self.problems) > 20:
            lines.append(f"  ! ... {len(self.problems) - 20} more in ingest_log.csv")
        lines.append(f"Outputs in {self.out_dir}: " + ", ".join(self.files))
        if self.timings:
            lines.append("Stages: " + ", ".join(f"{k} {v:.1f}s" for k, v in self.timings.items()))
        return "\n".join(lines)

    def exit_code(self, strict: bool = False) -> int:
        if self.n_documents == 0:
            return 1
        if strict and any(k not in ("ok", "duplicate") for k in self.counts):
            return 1
        return 0


# --------------------------------------------------------------------------- hashing / cache
def _file_hash(paths: Iterable[Path]) -> str:
    h = hashlib.sha256()
    for p in sorted(paths):
        h.update(p.name.encode())
        try:
            h.update(p.read_bytes())
        except OSError:
            h.update(b"<missing>")
    return h.hexdigest()[:16]


def ingest_fingerprint(settings: Settings) -> str:
    code = _file_hash([PKG_DIR / "ingest.py", PKG_DIR / "text.py"])
    limits = f"{settings.max_paragraph_chars}|{settings.max_docx_uncompressed}|{settings.max_docx_ratio}"
    return hashlib.sha256(f"{code}|{limits}".encode()).hexdigest()[:16]


def analysis_fingerprint(settings: Settings, model_fp: str) -> str:
    code = _file_hash([PKG_DIR / n for n in ("segment.py", "terms.py", "lexicon.py", "classify.py", "linear.py", "taxonomy.py", "engine.py")])
    lex = _file_hash([p for p in Path(settings.lexicon_dir).glob("*") if p.is_file()])
    key = f"{code}|{lex}|{settings.segmenter}|{settings.taxonomy}|{settings.uncertain_below}|{model_fp}"
    return hashlib.sha256(key.encode()).hexdigest()[:16]


class Cache:
    """Content-addressed blobs under OUT_DIR/.cache: JSON (orjson), zstd-compressed. Safe to
    load (data, not code); a missing or damaged blob reads as None and is recomputed."""

    def __init__(self, root: Path):
        self.root = Path(root)
        self._zc = self._zd = None

    def _path(self, kind: str, key: str) -> Path:
        return self.root / kind / key[:2] / f"{key}.json.zst"

    def get(self, kind: str, key: str):
        import orjson
        import zstandard

        path = self._path(kind, key)
        try:
            data = path.read_bytes()
        except OSError:
            return None
        if self._zd is None:
            self._zd = zstandard.ZstdDecompressor()
        try:
            return orjson.loads(self._zd.decompress(data))
        except (zstandard.ZstdError, ValueError):
            return None  # damaged (e.g. a killed run): recompute

    def put(self, kind: str, key: str, value) -> None:
        """Write a blob atomically (temp file + rename; no fsync: a lost blob is recomputed)."""
        import orjson
        import zstandard

        if self._zc is None:
            self._zc = zstandard.ZstdCompressor(level=1)
        try:
            data = self._zc.compress(orjson.dumps(value))
        except TypeError:  # a value JSON cannot hold: not cached, recomputed next time
            return
        path = self._path(kind, key)
        tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")  # one writer per process
        try:
            try:
                fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o666)
            except FileNotFoundError:  # first blob of its folder
                path.parent.mkdir(parents=True, exist_ok=True)
                fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o666)
            try:
                os.write(fd, data)
            finally:
                os.close(fd)
            os.replace(tmp, path)
        except OSError:
            tmp.unlink(missing_ok=True)  # a cache that cannot be written only costs speed


# --------------------------------------------------------------------------- per-document work
class Resources:
    """What a worker needs: built cheaply, loaded on first use, once per process."""

    def __init__(self, settings: Settings):
        self.settings = settings

    @cached_property
    def lexicon(self):
        from pipeline.lexicon import load_lexicon

        return load_lexicon(self.settings.lexicon_dir)

    @cached_property
    def segmenter(self):
        from pipeline.segment import make_segmenter

        return make_segmenter(self.settings.segmenter, self.lexicon).initialize()

    @cached_property
    def matcher(self):
        from pipeline.terms import TermMatcher

        return TermMatcher(self.lexicon)

    @cached_property
    def stopwords(self):
        from pipeline.lexicon import load_stopwords

        return load_stopwords(self.settings.lexicon_dir)

    @cached_property
    def keep_memo(self) -> dict[str, bool]:
        """word -> is it a content word for the keyword tables (words recur across documents)."""
        return {}

    @cached_property
    def classifier(self):
        """The numpy-only scorer of the trained model (pipeline.classify.scorer; no sklearn at run time)."""
        from pipeline.classify.scorer import load_scorer

        return load_scorer(self.settings)


def model_labels(settings: Settings) -> list[str]:
    """The classifier's categories (trains the model first when the labels changed)."""
    return list(_resources(settings).classifier.labels_)


def model_fingerprint(settings: Settings) -> str:
    """Identity of the classifier the run will use (read from the model's sidecar when current)."""
    from pipeline.classify.scorer import current_fingerprint

    return current_fingerprint(settings.taxonomy, settings.labels_dir, settings.models_dir, settings.lexicon_dir) or "unknown"


def _keep_word(word: str, stopwords) -> bool:
    return len(word) >= 2 and has_han(word) and word not in stopwords


def _counts(paragraphs: list[dict], res: Resources) -> tuple[dict, dict]:
    """Formulation hits and content-word counts of one document. Paragraphs are joined by
    newlines (no formulation or word crosses one), so each backend is called once."""
    text = "\n".join(p["text"] for p in paragraphs)
    hits = res.matcher.count(text)
    words = res.segmenter.count(text)
    keep = res.keep_memo
    for w in [w for w in words if w not in keep]:
        keep[w] = _keep_word(w, res.stopwords)
    if len(keep) > 2_000_000:  # bounded on huge vocabularies
        res.keep_memo = {}
    return dict(hits), {w: n for w, n in words.items() if keep[w]}


def _labels(paragraphs: list[dict], res: Resources) -> list[dict]:
    """Classify paragraphs (any number of documents at once: one model call per batch)."""
    if not paragraphs:
        return []
    scorer = res.classifier
    cols = scorer.columns
    out: list[dict] = []
    for start in range(0, len(paragraphs), CLASSIFY_BATCH):  # bounded memory on huge documents
        chunk = paragraphs[start : start + CLASSIFY_BATCH]
        proba = scorer.predict_proba([p["text"] for p in chunk], [p.get("heading", "") for p in chunk])
        best = scorer.labels_for(proba).tolist()
        unc = scorer.uncertain(proba, res.settings.uncertain_below).tolist()
        values = proba.round(4).tolist()
        for i in range(len(chunk)):
            out.append({"label": best[i], **dict(zip(cols, values[i])), "uncertain": bool(unc[i])})
    return out


def analyse_many(docs: list[list[dict]], res: Resources) -> list[dict]:
    """Segment, count formulations and classify several documents' paragraphs. Pure given res."""
    flat = [p for paras in docs for p in paras]
    labels = _labels(flat, res)
    out = []
    pos = 0
    for paras in docs:
        hits, words = _counts(paras, res)
        out.append({"term_hits": hits, "words": words, "labels": labels[pos : pos + len(paras)]})
        pos += len(paras)
    return out


def analyse(paragraphs: list[dict], res: Resources) -> dict:
    """One document's analysis (see :func:`analyse_many`)."""
    return analyse_many([paragraphs], res)[0]


def _doc_to_json(doc) -> dict:
    return {
        "doc": doc.as_row(),
        "paragraphs": [p.as_row() for p in doc.paragraphs],
        "removed": [list(r) for r in doc.removed],
    }


def _ingest_cached(path: Path, raw_dir: Path, sheet_meta: dict | None, settings: Settings, fp: str, cache: Cache | None) -> tuple[dict, int]:
    from pipeline.ingest import ingest_file

    rel = Path(path).relative_to(raw_dir).as_posix()
    ikey = None
    if cache is not None:
        try:
            with open(path, "rb") as fh:
                digest = hashlib.sha256(fh.read(settings.max_file_bytes + 1)).hexdigest()
            ikey = hashlib.sha256(f"{digest}|{rel}|{json.dumps(sheet_meta, sort_keys=True, ensure_ascii=False)}|{fp}".encode()).hexdigest()
            ing = cache.get("ingest", ikey)
            if ing is not None:
                return ing, 1
        except OSError:
            ikey = None
    row, doc = ingest_file(Path(path), raw_dir, sheet_meta, settings)
    ing = {"log": row.as_row(), **(_doc_to_json(doc) if doc is not None else {"doc": None})}
    if cache is not None and ikey and row.status in ("ok", "empty"):
        cache.put("ingest", ikey, ing)
    return ing, 0


def process_files(tasks: list[tuple]) -> list[dict]:
    """Worker: several files -> JSON-able results in order (log row, document, paragraphs,
    analysis). Documents whose analysis is not cached are classified together."""
    if not tasks:
        return []
    settings, fps, cache_root = tasks[0][3], tasks[0][4], tasks[0][5]
    res = _resources(settings)
    cache = Cache(cache_root) if cache_root else None
    results: list[dict | None] = []
    todo: list[tuple[int, str, str, dict]] = []  # (index, rel, analysis key, ingest result)
    for path, raw_dir, sheet_meta, *_ in tasks:
        ing, hit = _ingest_cached(path, raw_dir, sheet_meta, settings, fps[0], cache)
        if ing.get("doc") is None:
            results.append({**ing, "cached": hit})
            continue
        akey = hashlib.sha256(f"{ing['doc']['doc_id']}|{fps[1]}".encode()).hexdigest()
        ana = cache.get("analysis", akey) if cache is not None else None
        if ana is not None:
            results.append({**ing, "analysis": ana, "cached": hit + 1})
            continue
        results.append({**ing, "cached": hit})
        todo.append((len(results) - 1, Path(path).relative_to(raw_dir).as_posix(), akey, ing))
    if todo:
        try:
            analyses = analyse_many([ing["paragraphs"] for *_, ing in todo], res)
        except Exception:  # noqa: BLE001 - find the document that fails, one at a time
            analyses = []
            for *_, ing in todo:
                try:
                    analyses.append(analyse(ing["paragraphs"], res))
                except Exception as err:  # noqa: BLE001 - one document never stops the batch
                    analyses.append(err)
        for (i, rel, akey, _), ana in zip(todo, analyses):
            if isinstance(ana, Exception):
                results[i] = _failed(rel, f"analysis failed: {type(ana).__name__}: {ana}")
                continue
            results[i]["analysis"] = ana
            if cache is not None:
                cache.put("analysis", akey, ana)
    spec = _para_spec(list(res.classifier.labels_))
    return [_render(r, spec) for r in results]  # type: ignore[arg-type]


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
        paras = [{**p, **lab} for p, lab in zip(paras, ana["labels"])]
        result["analysis"] = {k: v for k, v in ana.items() if k != "labels"}
    result["para_chunk"] = render_rows(paras, *spec)
    removed = result.pop("removed", [])
    result["removed_chunk"] = render_rows(
        ({"doc_id": doc["doc_id"], "path": doc["path"], "line_no": no, "rule": rule, "text": text} for no, rule, text in removed),
        REMOVED_COLUMNS, REMOVED_TYPES,
    )
    return result


def process_file(path: Path, raw_dir: Path, sheet_meta: dict | None, settings: Settings, fps: tuple[str, str], cache_root: Path | None) -> dict:
    """Worker: one file (see :func:`process_files`)."""
    return process_files([(path, raw_dir, sheet_meta, settings, fps, cache_root)])[0]


def _failed(rel: str, reason: str) -> dict:
    return {"log": {"path": rel, "status": "unreadable", "reason": reason[:300], "doc_id": ""}, "doc": None, "cached": 0}


def chunked(tasks: list[tuple], *, max_files: int = 16, max_bytes: int = 400_000) -> list[list[tuple]]:
    """Group consecutive tasks so one model call serves several small documents."""
    chunks: list[list[tuple]] = []
    cur: list[tuple] = []
    size = 0
    for t in tasks:
        try:
            n = Path(t[0]).stat().st_size
        except OSError:
            n = 0
        if cur and (len(cur) >= max_files or size + n > max_bytes):
            chunks.append(cur)
            cur, size = [], 0
        cur.append(t)
        size += n
    if cur:
        chunks.append(cur)
    return chunks


_RES: dict[Settings, Resources] = {}


def _resources(settings: Settings) -> Resources:
    """One Resources per worker process and settings (initialised once, reused per file)."""
    res = _RES.get(settings)
    if res is None:
        _RES.clear()
        res = _RES[settings] = Resources(settings)
    return res


def _worker_init(settings: Settings) -> None:
    """A worker builds its segmenter and matcher on first use (a run whose documents all come
    from the cache never needs them); the model is inherited from the parent process."""
    _die_with_parent()
    _resources(settings)


# --------------------------------------------------------------------------- engines
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


def _map_local(tasks: list[tuple], workers: int, pool=None, while_waiting=None) -> Iterator[dict]:
    """Ordered results from a process pool, a bounded number of chunks in flight. A worker
    that dies costs only the file it was on: the chunk is retried file by file.
    ``while_waiting()`` is called once, as soon as the first chunks are submitted."""
    if workers <= 1 or len(tasks) <= 1:
        if pool is not None:
            pool.shutdown(wait=False, cancel_futures=True)
        if while_waiting is not None:
            while_waiting()
        for chunk in chunked(tasks):
            yield from process_files(chunk)
        return
    from collections import deque
    from concurrent.futures.process import BrokenProcessPool

    settings = tasks[0][3]

    window = workers * 2
    pending = deque(chunked(tasks, max_files=max(1, min(16, len(tasks) // (workers * 4) or 1))))
    inflight: deque = deque()
    pool = pool or _pool(settings, workers)
    try:
        while pending or inflight:
            while pending and len(inflight) < window:
                chunk = pending.popleft()
                inflight.append((chunk, pool.submit(process_files, chunk)))
            if while_waiting is not None:
                while_waiting()
                while_waiting = None
            chunk, fut = inflight.popleft()
            try:
                yield from fut.result()
                continue
            except BrokenProcessPool:
                pass
            # a worker died (killed, out of memory, crashed): retry this chunk file by file
            pool.shutdown(wait=False, cancel_futures=True)
            pending.extendleft(reversed([c for c, _ in inflight]))
            inflight.clear()
            for t in chunk:
                solo = _pool(settings, 1)
                try:
                    yield solo.submit(process_file, *t).result()
                except BrokenProcessPool:
                    yield _failed(Path(t[0]).relative_to(t[1]).as_posix(), "worker process died on this file (out of memory or a crash in a parser)")
                finally:
                    solo.shutdown(wait=False, cancel_futures=True)
            pool = _pool(settings, workers)
    finally:
        pool.shutdown(wait=False, cancel_futures=True)


def _map_dask(tasks: list[tuple], workers: int, scheduler: str | None) -> Iterator[dict]:
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
            futs = client.map(process_files, chunks[start : start + batch], pure=False)
            for fut in futs:
                yield from fut.result()
    finally:
        client.close()
        if cluster is not None:
            cluster.close()


def _progress(total: int, enabled: bool):
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    return Progress(
        TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
        disable=not enabled, transient=True,
    )


def _collect(raw_dir: Path, out_dir: Path, settings: Settings, *, analyse_docs: bool, workers: int | None, engine: str, scheduler: str | None, progress: bool, found=None, pool=None, while_waiting=None):
    from pipeline.ingest import read_sheets, sheet_lookup

    raw_dir = Path(raw_dir)
    if not raw_dir.is_dir():
        raise InputError(f"input folder not found: {raw_dir}", "give the folder that holds your reports, e.g. data/raw")
    files, sheets, log = found if found is not None else discover(raw_dir, settings)
    meta, sheet_log = read_sheets(sheets, raw_dir)
    logs = [r.as_row() for r in log + sheet_log]
    workers = workers or default_workers()
    cache_root = Path(out_dir) / CACHE_DIR
    if analyse_docs:
        fps = (ingest_fingerprint(settings), analysis_fingerprint(settings, model_fingerprint(settings)))
    else:
        fps = (ingest_fingerprint(settings), "")
    tasks = [(p, raw_dir, sheet_lookup(meta, p.relative_to(raw_dir).as_posix()), settings, fps, cache_root) for p in files]
    if not analyse_docs:
        it = (_ingest_only_task(*t) for t in tasks)
    elif engine == "dask":
        it = _map_dask(tasks, workers, scheduler)
    else:
        it = _map_local(tasks, workers, pool, while_waiting)
    return tasks, logs, it


def _ingest_only_task(path, raw_dir, sheet_meta, settings, fps, cache_root) -> dict:
    from pipeline.ingest import ingest_file

    row, doc = ingest_file(Path(path), raw_dir, sheet_meta, settings)
    return _render({"log": row.as_row(), **(_doc_to_json(doc) if doc is not None else {"doc": None}), "cached": 0}, _para_spec(None))


PARA_COLUMNS = ["doc_id", "para_id", "heading", "kind", "text", "n_chars"]
REMOVED_COLUMNS = ["doc_id", "path", "line_no", "rule", "text"]
REMOVED_TYPES = {"line_no": "int"}
DOC_COLUMNS = ["doc_id", "path", "title", "date", "year", "year_source", "org", "source", "n_chars", "n_paragraphs", "encoding", "flags"]


def _para_spec(labels: list[str] | None) -> tuple[list[str], dict]:
    """Columns and Parquet types of paragraphs.csv (with label and p_<category> columns when
    the run classifies)."""
    cols = PARA_COLUMNS + (["label"] + [f"p_{lab}" for lab in labels] + ["uncertain"] if labels else [])
    types = {"para_id": "int", "n_chars": "int", "uncertain": "bool"} | {f"p_{lab}": "float" for lab in labels or []}
    return cols, types


def _para_writer(out_dir: Path, labels: list[str] | None):
    from pipeline.store import TableWriter

    cols, types = _para_spec(labels)
    return TableWriter(out_dir / "paragraphs.csv", cols, types=types)


def _removed_writer(out_dir: Path):
    from pipeline.store import TableWriter

    return TableWriter(out_dir / "removed_lines.csv", REMOVED_COLUMNS, types=REMOVED_TYPES)


class _Acc:
    """Accumulates per-document results in input order, in bounded memory: paragraph and
    removed-line rows stream to disk; only slim columns stay for the aggregates."""

    def __init__(self, paragraphs, removed):
        from array import array

        self.paragraphs = paragraphs  # TableWriter
        self.removed = removed  # TableWriter
        self.docs: list[dict] = []
        self.logs: list[dict] = []
        self.term_hits: list[tuple] = []
        self.seen: dict[str, str] = {}
        self.cached = 0
        self.discovery: list[tuple] = []
        self.discovery_chars = 0
        self.n_paragraphs = 0
        # slim paragraph columns for category shares
        self.p_doc = array("i")
        self.p_label: list[str] = []
        self.p_chars = array("q")
        # word counts as (doc index, word, count) columns; words are factorised at the end
        self.w_doc = array("i")
        self.w_word: list[str] = []
        self.w_count = array("i")

    def add(self, res: dict) -> None:
        log = res["log"]
        self.cached += res.get("cached", 0)
        doc = res.get("doc")
        if doc is not None:
            did = doc["doc_id"]
            if did in self.seen:
                self.logs.append({"path": log["path"], "status": "duplicate", "reason": f"same text as {self.seen[did]} (doc_id {did}); kept once", "doc_id": did})
                return
            self.seen[did] = log["path"]
        self.logs.append(log)
        if doc is None:
            return
        d_index = len(self.docs)
        self.docs.append(doc)
        self.removed.write_rendered(res["removed_chunk"])
        chunk = res["para_chunk"]
        cols = chunk[1]
        texts = cols["text"]
        ana = res.get("analysis")
        if ana is not None:
            self.p_doc.extend([d_index] * len(texts))
            self.p_label.extend(cols["label"])
            self.p_chars.extend(cols["n_chars"])
            self.term_hits.extend((did, t, c) for t, c in sorted(ana["term_hits"].items()))
            words = ana["words"]
            self.w_doc.extend([d_index] * len(words))
            self.w_word.extend(words)
            self.w_count.extend(words.values())
        self.paragraphs.write_rendered(chunk)
        self.n_paragraphs += len(texts)
        if self.discovery_chars < DISCOVERY_CHAR_BUDGET:
            self.discovery.append((did, doc.get("year"), texts))
            self.discovery_chars += sum(map(len, texts))

    def commit(self) -> list[str]:
        """Publish the streamed tables (temp files renamed into place); returns their names."""
        self.paragraphs.commit()
        self.removed.commit()
        return [self.paragraphs.path.name, self.removed.path.name]

    def abort(self) -> None:
        self.paragraphs.abort()
        self.removed.abort()

    def release_words(self) -> None:
        """Free the word-count arrays once the keyword tables are written."""
        from array import array

        self.w_doc, self.w_word, self.w_count = array("i"), [], array("i")


def _accumulate(acc: _Acc, logs: list[dict], results: Iterable[dict], total: int, label: str, progress: bool) -> None:
    """Feed worker results into ``acc`` in input order, with a progress bar."""
    acc.logs.extend(logs)
    if not (progress and sys.stdout.isatty()):  # no bar to draw: do not import rich
        for res in results:
            acc.add(res)
        return
    with _progress(total, progress) as bar:
        task = bar.add_task(label, total=total)
        for res in results:
            acc.add(res)
            bar.advance(task)


def _frames(acc: _Acc):
    """Small tables from the accumulator: documents, slim paragraphs, log, hits, words."""
    import numpy as np
    import pandas as pd

    docs = pd.DataFrame(acc.docs, columns=DOC_COLUMNS)
    docs["year"] = pd.array(docs["year"].tolist(), dtype="Int64")
    ids = docs["doc_id"].astype(str).to_numpy()
    paras = pd.DataFrame({
        "doc_id": ids[np.frombuffer(acc.p_doc, dtype=np.int32)] if len(acc.p_doc) else np.array([], dtype=object),
        "label": acc.p_label,
        "n_chars": np.frombuffer(acc.p_chars, dtype=np.int64) if len(acc.p_chars) else np.array([], dtype=np.int64),
    })
    log = pd.DataFrame(acc.logs, columns=["path", "status", "reason", "doc_id"])
    hits = pd.DataFrame(acc.term_hits, columns=["doc_id", "term", "count"])
    words = _year_words(acc, docs)
    return docs, paras, log, hits, words


def _year_words(acc: _Acc, docs):
    """The compact (document, word, count) arrays -> ``year, word, count, doc_freq`` with numpy
    (each row is one document's count of one word, so doc_freq is a row count)."""
    import numpy as np
    import pandas as pd

    if not len(acc.w_doc) or docs.empty:
        return pd.DataFrame(columns=["year", "word", "count", "doc_freq"])
    years = docs["year"].astype("float64").to_numpy()  # NaN for unknown years
    known = ~np.isnan(years)
    uniq_years = np.unique(years[known]).astype(np.int64)
    year_code = np.full(len(years), -1, dtype=np.int64)
    year_code[known] = np.searchsorted(uniq_years, years[known].astype(np.int64))
    w_doc = np.frombuffer(acc.w_doc, dtype=np.int32)
    rows_year = year_code[w_doc]
    keep = rows_year >= 0
    codes, vocab = pd.factorize(np.array(acc.w_word, dtype=object), sort=False)
    n_words = len(vocab)
    key = rows_year[keep] * n_words + codes[keep]
    counts = np.frombuffer(acc.w_count, dtype=np.int32)[keep].astype(np.int64)
    uniq, inverse = np.unique(key, return_inverse=True)
    vocab = np.asarray(vocab, dtype=object)
    return pd.DataFrame({
        "year": uniq_years[uniq // n_words],
        "word": vocab[uniq % n_words],
        "count": np.bincount(inverse, weights=counts).astype(np.int64),
        "doc_freq": np.bincount(inverse).astype(np.int64),
    })


def _write_tables(out_dir: Path, tables: dict, parquet: bool = True) -> list[str]:
    from pipeline.store import write_csv

    written = []
    for name, df in tables.items():
        write_csv(out_dir / f"{name}.csv", df, parquet=parquet)
        written.append(f"{name}.csv")
    return written


def ingest_only(raw_dir: Path, out_dir: Path, settings: Settings | None = None, *, progress: bool = True) -> RunSummary:
    """`dangjian ingest`: documents.csv, paragraphs.csv, ingest_log.csv, removed_lines.csv."""
    from pipeline.store.lock import output_lock

    settings = settings or Settings()
    out_dir = Path(out_dir)
    t0 = time.perf_counter()
    _guard_out(raw_dir, out_dir)
    with output_lock(out_dir):
        tasks, logs, it = _collect(raw_dir, out_dir, settings, analyse_docs=False, workers=1, engine="local", scheduler=None, progress=progress)
        acc = _Acc(_para_writer(out_dir, None), _removed_writer(out_dir))
        try:
            _accumulate(acc, logs, it, len(tasks), "ingest", progress)
            docs, paras, log, _, _ = _frames(acc)
            files = _write_tables(out_dir, {"documents": docs, "ingest_log": log})
            files += acc.commit()
        except BaseException:
            acc.abort()
            raise
    return _summary(out_dir, acc, docs, paras, files, t0)


def _guard_out(raw_dir: Path, out_dir: Path) -> None:
    raw = Path(raw_dir).resolve()
    out = Path(out_dir).resolve()
    if out == raw or raw in out.parents:
        raise InputError(f"output folder {out_dir} is inside the input folder {raw_dir}", "write outputs elsewhere (data/raw is never written to)")


def _summary(out_dir, acc, docs, paras, files, t0) -> RunSummary:
    s = RunSummary(out_dir=Path(out_dir))
    s.counts = Counter(r["status"] for r in acc.logs)
    s.n_documents = len(docs)
    s.n_paragraphs = acc.n_paragraphs
    s.cached = acc.cached
    s.files = files
    s.problems = [
        f"{r['path']}: {r['status']}: {r['reason']}"
        for r in acc.logs
        if r["status"] not in ("ok", "duplicate") and not r["reason"].startswith("README/")
    ]
    s.seconds = time.perf_counter() - t0
    return s


MANIFEST = "manifest.json"
OUTPUT_NAMES = (
    "documents", "paragraphs", "ingest_log", "removed_lines", "term_counts", "term_trends",
    "candidates", "keyword_frequencies", "keywords_by_year", "category_shares",
)


def run_key(raw_dir: Path, settings: Settings, engine_opts: str, report: bool, found=None) -> str:
    """Everything a run's outputs depend on, cheaply: file names, sizes and mtimes, the code,
    lexicons, labels and models. Equal keys mean the previous outputs are still exact."""
    files, sheets, log = found if found is not None else discover(Path(raw_dir), settings)
    h = hashlib.sha256()
    for p in files + sheets:
        try:
            st = p.stat()
            h.update(f"{p.relative_to(raw_dir).as_posix()}|{st.st_size}|{st.st_mtime_ns}\n".encode())
        except OSError:
            h.update(f"{p}|gone\n".encode())
    for row in log:
        h.update(f"{row.path}|{row.status}\n".encode())
    h.update(_file_hash(PKG_DIR.glob("*.py")).encode())
    for folder in (settings.lexicon_dir, settings.labels_dir, settings.models_dir):
        for p in sorted(Path(folder).glob("*")) if Path(folder).is_dir() else []:
            if p.is_file():
                st = p.stat()
                h.update(f"{p.name}|{st.st_size}|{st.st_mtime_ns}\n".encode())
    h.update(repr((settings, engine_opts, report)).encode())
    return h.hexdigest()


def _up_to_date(out_dir: Path, key: str, report: bool) -> dict | None:
    try:
        manifest = json.loads((out_dir / CACHE_DIR / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if manifest.get("key") != key:
        return None
    needed = [out_dir / f"{n}.csv" for n in OUTPUT_NAMES] + ([out_dir / "report.html"] if report else [])
    return manifest if all(p.exists() for p in needed) else None


def discover(raw_dir: Path, settings: Settings):
    from pipeline.ingest import discover as _discover

    return _discover(raw_dir, settings)


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
    from pipeline.store.lock import output_lock

    settings = settings or Settings()
    out_dir = Path(out_dir)
    raw_dir = Path(raw_dir)
    t0 = time.perf_counter()
    _guard_out(raw_dir, out_dir)
    if not raw_dir.is_dir():
        raise InputError(f"input folder not found: {raw_dir}", "give the folder that holds your reports, e.g. data/raw")
    out_dir.mkdir(parents=True, exist_ok=True)
    with output_lock(out_dir):
        found = discover(raw_dir, settings)
        key = run_key(raw_dir, settings, f"{engine}", report, found)
        manifest = _up_to_date(out_dir, key, report)
        if manifest is not None:
            s = RunSummary(out_dir=out_dir, counts=Counter(manifest["counts"]), n_documents=manifest["n_documents"], n_paragraphs=manifest["n_paragraphs"])
            s.files = ["unchanged since the last run: outputs are up to date"]
            s.problems = manifest.get("problems", [])
            s.seconds = time.perf_counter() - t0
            return s
        (out_dir / CACHE_DIR / MANIFEST).unlink(missing_ok=True)
        timings: dict[str, float] = {}
        mark = [time.perf_counter()]

        def lap(name: str) -> None:
            now = time.perf_counter()
            timings[name] = timings.get(name, 0.0) + now - mark[0]
            mark[0] = now

        labels = model_labels(settings)  # trains first if the labels changed (before any fork)
        workers = workers or default_workers()
        pool = start_pool(settings, workers) if engine == "local" and len(found[0]) > 1 else None
        tasks, logs, it = _collect(raw_dir, out_dir, settings, analyse_docs=True, workers=workers, engine=engine,
                                   scheduler=scheduler, progress=progress, found=found, pool=pool,
                                   while_waiting=_import_aggregates)
        acc = _Acc(_para_writer(out_dir, labels), _removed_writer(out_dir))
        lap("setup")
        discovery = charts = None
        try:
            _accumulate(acc, logs, it, len(tasks), "documents", progress)
            lap("documents")
            # new formulations need only the paragraph texts: look for them in a second
            # process while this one writes the tables
            discovery = _Forked(_write_candidates, out_dir, acc.discovery, settings)
            acc.discovery = []
            from pipeline import trends

            docs, paras, log, hits, words = _frames(acc)
            term_counts = trends.term_counts(hits, docs)
            tables = {
                "documents": docs.merge(trends.document_shares(paras, labels), on="doc_id", how="left") if len(docs) else docs,
                "ingest_log": log,
                "term_counts": term_counts,
                "term_trends": trends.term_trends(term_counts, docs),
                "keyword_frequencies": trends.keyword_frequencies(None, docs, year_words=words),
                "keywords_by_year": trends.keywords_by_year(None, docs, year_words=words),
                "category_shares": trends.category_shares(paras, docs, labels),
            }
            # the charts need only the aggregates: a second process draws them from these
            # frames while this one writes the tables and then report.html
            charts = _Forked(_draw_charts, out_dir, {k: tables[k] for k in CHART_TABLES}) if report and len(docs) else None
            files = _write_tables(out_dir, tables)
            del words, tables
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
            from pipeline import report as report_mod

            try:  # the page is built while a child process draws the charts; they go in last
                report_mod.write_report(out_dir, figures=charts)
                _touch(charts.result)  # drawn from the tables just written: not stale
                files.append(f"figures/ ({len(charts.result)} files)")
                files.append("report.html")
            except Exception as err:  # noqa: BLE001 - the tables are written; a chart/report failure is reported
                files.append(f"(report failed: {type(err).__name__}: {err})")
            lap("charts + report.html")
        summary = _summary(out_dir, acc, docs, paras, files, t0)
        summary.timings = timings
        from pipeline.store import write_text

        write_text(
            out_dir / CACHE_DIR / MANIFEST,
            json.dumps({"key": key, "counts": dict(summary.counts), "n_documents": summary.n_documents,
                        "n_paragraphs": summary.n_paragraphs, "problems": summary.problems}, ensure_ascii=False),
        )
    return summary


def _import_aggregates() -> None:
    """The aggregates' imports (~0.35 s), done while the workers start on the first files."""
    import pandas  # noqa: F401
    import pyarrow.parquet  # noqa: F401


class _Forked:
    """``fn(*args)`` computed in a forked child process (arguments inherited, not pickled; the
    child dies with its parent). Calling the object waits for the result, computed here instead
    when the child fails or no process can be forked; ``result`` keeps it."""

    def __init__(self, fn, *args):
        self.fn, self.args = fn, args
        self.result = None
        self._done = False
        self._proc = self._recv = None
        if hasattr(os, "fork"):
            import multiprocessing as mp

            ctx = mp.get_context("fork")
            self._recv, send = ctx.Pipe(duplex=False)
            self._proc = ctx.Process(target=_child, args=(send, fn, args), daemon=True)
            self._proc.start()
            send.close()

    def __call__(self):
        if self._done:
            return self.result
        got = False
        if self._proc is not None:
            try:
                self.result, got = self._recv.recv(), True
            except (EOFError, OSError):  # the child failed or was killed
                pass
            self._proc.join()
            self._recv.close()
        if not got:
            self.result = self.fn(*self.args)  # here, so a real error is raised where it is seen
        self._done = True
        return self.result

    def cancel(self) -> None:
        """Stop the child without waiting for its result."""
        if self._proc is not None and not self._done:
            self._proc.kill()
            self._proc.join()
            self._recv.close()
        self._done = True


def _child(send, fn, args) -> None:
    _die_with_parent()
    try:
        result = fn(*args)
    except BaseException:  # noqa: BLE001 - the parent recomputes and reports it
        os._exit(1)
    send.send(result)
    send.close()


def _die_with_parent() -> None:
    """Linux: a child process is killed with its parent, so it never writes after a killed run."""
    try:
        import ctypes
        import signal

        ctypes.CDLL(None).prctl(1, int(signal.SIGKILL))  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass


#: the tables the charts are drawn from
CHART_TABLES = ("documents", "term_counts", "term_trends", "keywords_by_year", "category_shares")


def _draw_charts(out_dir: Path, frames: dict) -> list[Path]:
    from pipeline import report as report_mod
    from pipeline.store.runs import RunTables

    return report_mod.make_figures(out_dir, corpus=RunTables.from_frames(out_dir, frames))


def _touch(paths: Iterable[Path]) -> None:
    now = time.time_ns()
    for p in paths:
        try:
            os.utime(p, ns=(now, now))
        except OSError:
            pass


def _write_candidates(out_dir: Path, docs: list[tuple], settings: Settings) -> list[str]:
    from pipeline.terms import discover_candidates

    res = _resources(settings)
    candidates = discover_candidates(docs, res.lexicon, stopwords=res.stopwords, max_chars=PMI_CHAR_BUDGET)
    return _write_tables(out_dir, {"candidates": candidates})
