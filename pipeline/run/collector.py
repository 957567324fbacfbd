"""The collector: worker results, in input order, streamed into the tables in bounded memory
(paragraph and removed-line rows straight to their writers; duplicates logged once), and the
slim columns kept for the aggregates turned into frames at the end."""

from __future__ import annotations

import itertools
import sys
from array import array
from collections.abc import Iterable, Sequence

from pipeline.run.tables import document_columns
from pipeline.text import budget_runs

#: paragraph text candidate discovery reads (the first documents, in input order)
DISCOVERY_CHAR_BUDGET = 6_000_000


class Texts(Sequence):
    """A document's paragraph texts held as one string and their lengths: one allocation
    instead of one per paragraph (kept across the run, per-paragraph strings would pin the
    heap a huge document was read into). A read-only sequence of str, like the list it holds."""

    def __init__(self, texts: Iterable[str], limit: int | None = None):
        """``limit``: keep the first paragraphs up to about that many characters (at least one)."""
        texts = list(texts) if limit is None else next(budget_runs(texts, limit, sep=""), [])
        self._joined = "".join(texts)
        self._ends = array("q", itertools.accumulate(map(len, texts)))
        self.chars = len(self._joined)

    def __len__(self) -> int:
        return len(self._ends)

    def __getitem__(self, i):
        if isinstance(i, slice):
            return [self[j] for j in range(*i.indices(len(self)))]
        if i < 0:
            i += len(self)
        if not 0 <= i < len(self):
            raise IndexError(i)
        return self._joined[self._ends[i - 1] if i else 0 : self._ends[i]]


class Collector:
    """Accumulates per-document results in input order, in bounded memory: paragraph and
    removed-line rows stream to disk; only slim columns stay for the aggregates."""

    def __init__(self, paragraphs, removed):
        self.paragraphs = paragraphs  # TableWriter
        self.removed = removed  # TableWriter
        self.docs: list[dict] = []
        self.group_words: dict = {}
        self.logs: list[dict] = []
        self.term_hits: list[tuple] = []
        self.seen: dict[str, str] = {}
        self.cached = 0
        self.rejected = 0  # cache blobs that failed a check (recomputed)
        self.sources: list[tuple[str, list]] = []  # (file as the worker opened it, what it read: see worker._ingest_cached)
        self.discovery: list[tuple] = []  # (doc_id, year, Texts): the sample candidate discovery reads
        self.discovery_chars = 0
        self.n_paragraphs = 0
        # slim paragraph columns for category shares
        self.p_doc = array("i")
        self.p_label: list[str] = []
        self.p_kind: list[str] = []
        self.p_proba: dict[str, array] = {}  # p_<category> -> values, for corrected shares
        self.p_uncertain = array("b")  # the classifier's uncertain flag, for classifier.json
        self.p_chars = array("q")
        # word counts as (doc index, word, count) columns; words are factorised at the end
        self.w_doc = array("i")
        self.w_word: list[str] = []
        self.w_count = array("i")

    def add(self, res: dict) -> None:
        log = res["log"]
        self.cached += res.get("cached", 0)
        self.rejected += res.get("rejected", 0)
        if res.get("source") is not None:
            self.sources.append((res["source"]["file"], res["source"]["stat"]))
        doc = res.get("doc")
        if doc is not None:
            did = doc["doc_id"]
            if did in self.seen:
                self.logs.append(
                    {"path": log["path"], "status": "duplicate", "reason": f"same text as {self.seen[did]} (doc_id {did}); kept once", "doc_id": did}
                )
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
            # compact: a few shared label and kind strings, floats in arrays; what stays of a
            # huge document must not pin the heap its rows were unpickled into
            self.p_doc.extend([d_index] * len(texts))
            self.p_label.extend(map(sys.intern, cols["label"]))
            self.p_chars.extend(cols["n_chars"])
            self.p_kind.extend(map(sys.intern, cols["kind"]))
            for col, values in cols.items():
                if col.startswith("p_"):
                    self.p_proba.setdefault(col, array("d")).extend(values)
            if "uncertain" in cols:
                self.p_uncertain.extend(map(bool, cols["uncertain"]))
            self.term_hits.extend((did, t, c) for t, c in sorted(ana["term_hits"].items()))
            words = ana["words"]
            self.w_doc.extend([d_index] * len(words))
            self.w_word.extend(words)
            self.w_count.extend(words.values())
        self.paragraphs.write_rendered(chunk)
        self.n_paragraphs += len(texts)
        if self.discovery_chars < DISCOVERY_CHAR_BUDGET:  # a huge document gives its first paragraphs only
            sample = Texts(texts, DISCOVERY_CHAR_BUDGET - self.discovery_chars)
            self.discovery.append((did, doc.get("year"), sample))
            self.discovery_chars += sample.chars

    def commit(self) -> list[str]:
        """Publish the streamed tables (temp files renamed into place); returns their names."""
        self.paragraphs.commit()
        self.removed.commit()
        return [self.paragraphs.path.name, self.removed.path.name]

    def abort(self) -> None:
        try:
            self.paragraphs.abort()
        finally:
            self.removed.abort()

    def release_words(self) -> None:
        """Free the word-count arrays once the keyword tables are written."""
        self.w_doc, self.w_word, self.w_count = array("i"), [], array("i")


def _progress(total: int, enabled: bool):
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
    )

    return Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        disable=not enabled,
        transient=True,
    )


def accumulate(acc: Collector, logs: list[dict], results: Iterable[dict], total: int, label: str, progress: bool) -> None:
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


def frames(acc: Collector, by: tuple[str, ...] = ()):
    """Small tables from the accumulator: documents, slim paragraphs, log, hits, words (by year);
    with ``by``, also ``acc.group_words[col]``: the word table by each of those document columns."""
    import numpy as np
    import pandas as pd

    docs = pd.DataFrame(acc.docs, columns=document_columns(acc.docs))
    for col in ("year", "pub_year", "report_year"):
        docs[col] = pd.array([None if v is None or v != v else int(v) for v in docs[col].tolist()], dtype="Int64")
    ids = docs["doc_id"].astype(str).to_numpy()
    paras = pd.DataFrame(
        {
            "doc_id": ids[np.frombuffer(acc.p_doc, dtype=np.int32)] if len(acc.p_doc) else np.array([], dtype=object),
            "label": acc.p_label,
            "n_chars": np.frombuffer(acc.p_chars, dtype=np.int64) if len(acc.p_chars) else np.array([], dtype=np.int64),
            "kind": acc.p_kind if len(acc.p_kind) == len(acc.p_label) else [""] * len(acc.p_label),
            **{col: np.asarray(vals, dtype=np.float64) for col, vals in acc.p_proba.items() if len(vals) == len(acc.p_label)},
            **({"uncertain": np.asarray(acc.p_uncertain, dtype=bool)} if len(acc.p_uncertain) == len(acc.p_label) and len(acc.p_label) else {}),
        }
    )
    log = pd.DataFrame(acc.logs, columns=["path", "status", "reason", "doc_id"])
    hits = pd.DataFrame(acc.term_hits, columns=["doc_id", "term", "count"])
    words = year_words(acc, docs)
    acc.group_words = {col: year_words(acc, docs, col) for col in by if col in docs.columns}
    return docs, paras, log, hits, words


def year_words(acc: Collector, docs, by: str = "year"):
    """The compact (document, word, count) arrays -> ``year, word, count, doc_freq`` with numpy
    (each row is one document's count of one word, so doc_freq is a row count). ``by`` names
    another document column to group by instead (first column ``by``; unknown -> (未知))."""
    import numpy as np
    import pandas as pd

    if not len(acc.w_doc) or docs.empty:
        return pd.DataFrame(columns=[by, "word", "count", "doc_freq"])
    if by == "year":
        years = docs["year"].astype("float64").to_numpy()  # NaN for unknown years
        known = ~np.isnan(years)
        uniq_years = np.unique(years[known]).astype(np.int64)
        year_code = np.full(len(years), -1, dtype=np.int64)
        year_code[known] = np.searchsorted(uniq_years, years[known].astype(np.int64))
    else:
        from pipeline import trends

        codes, uniq = pd.factorize(trends.doc_frame(docs, by)["key"].to_numpy(), sort=True)
        known = codes >= 0
        uniq_years, year_code = np.asarray(uniq, dtype=object), codes.astype(np.int64)
    w_doc = np.frombuffer(acc.w_doc, dtype=np.int32)
    rows_year = year_code[w_doc]
    keep = rows_year >= 0
    codes, vocab = pd.factorize(np.array(acc.w_word, dtype=object), sort=False)
    n_words = len(vocab)
    key = rows_year[keep] * n_words + codes[keep]
    counts = np.frombuffer(acc.w_count, dtype=np.int32)[keep].astype(np.int64)
    uniq, inverse = np.unique(key, return_inverse=True)
    vocab = np.asarray(vocab, dtype=object)
    return pd.DataFrame(
        {
            by: uniq_years[uniq // n_words],
            "word": vocab[uniq % n_words],
            "count": np.bincount(inverse, weights=counts).astype(np.int64),
            "doc_freq": np.bincount(inverse).astype(np.int64),
        }
    )
