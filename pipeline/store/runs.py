"""Reading a finished run: its tables (see OUTPUTS.md) as pandas DataFrames with their types,
and :class:`RunTables`, the read model the report and the notebook API (:class:`pipeline.api.Corpus`)
are built on. Numbers come from :mod:`pipeline.trends`; this module only reads and routes.

Formulations an analyst asks for (:meth:`RunTables.trend`, :meth:`RunTables.kwic`,
:meth:`RunTables.examples`, :meth:`RunTables.query`) are read as :class:`pipeline.terms.TermQuery`
requests: a lexicon formulation comes from the run's tables; anything else (a string outside the
lexicon, ``两个*``, ``re:…``) is counted on the fly on the stored paragraphs, and the result says
so (``df.attrs["counted_on_the_fly"]``, a logged warning); a request found nowhere is reported
with the nearest lexicon entries (``df.attrs["not_found"]``), never as a silent row of zeros.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from pipeline import schema, trends
from pipeline.csvio import read_csv, unescape_formula
from pipeline.errors import InputError
from pipeline.store import generation

log = logging.getLogger(__name__)

#: the tables of a run and their contract columns (pipeline.schema, OUTPUTS.md); more columns are kept as read
TABLES: dict[str, list[str]] = {
    name: schema.columns(name)
    for name in (
        "documents",
        "paragraphs",
        "ingest_log",
        "term_counts",
        "term_trends",
        "candidates",
        "keyword_frequencies",
        "keywords_by_year",
        "category_shares",
    )
}
_INT_COLUMNS = schema.INT_COLUMNS
_FLOAT_COLUMNS = schema.FLOAT_COLUMNS
_BOOL_COLUMNS = schema.BOOL_COLUMNS
DEFAULT_LABELS = ("政治建设", "组织建设", "作风建设", "其他")
MEASURES = ("per_10k", "doc_share")
PATTERN_NOTE = 8  # formulations of a pattern named in its note line


def _coerce(df: pd.DataFrame) -> pd.DataFrame:
    """Types for tables read from CSV (every cell a string): ints nullable, floats, bools."""
    for col in df.columns:
        if col in _INT_COLUMNS or col.startswith("n_"):
            num = pd.to_numeric(df[col].replace("", pd.NA), errors="coerce")
            if num.notna().sum() == df[col].replace("", pd.NA).notna().sum():  # all parse: numeric column
                df[col] = num.round().astype("Int64") if (num.dropna() % 1 == 0).all() else num.astype(float)
        elif col in _FLOAT_COLUMNS or col.startswith("p_") or col.startswith("share_"):
            df[col] = pd.to_numeric(df[col].replace("", pd.NA), errors="coerce").astype(float)
        elif col in _BOOL_COLUMNS and not pd.api.types.is_bool_dtype(df[col]):
            df[col] = df[col].astype(str).str.strip().str.lower().isin(["true", "1", "yes"])
    return df


def _empty_table(name: str) -> pd.DataFrame:
    return pd.DataFrame({c: pd.Series(dtype=object) for c in TABLES.get(name, [])})


def read_table(out_dir: Path | str, name: str, columns: Sequence[str] | None = None) -> pd.DataFrame:
    """One table of a run: ``name.parquet`` if present (original text), else ``name.csv``
    (formula guard removed), else an empty DataFrame with the contract ``columns``."""
    out_dir = Path(out_dir)
    columns = list(columns if columns is not None else TABLES.get(name, []))
    pq, csv = out_dir / f"{name}.parquet", out_dir / f"{name}.csv"
    if pq.is_file():
        try:
            df = pd.read_parquet(pq)
        except Exception:  # a damaged parquet: the CSV is the contract, fall back to it
            df = None
        if df is not None:
            return _parquet_types(df)
    if csv.is_file():
        df = read_csv(csv)
        for col in df.columns:
            if df[col].dtype == object or pd.api.types.is_string_dtype(df[col]):
                df[col] = df[col].map(unescape_formula)
        return _coerce(df)
    return pd.DataFrame({c: pd.Series(dtype=object) for c in columns})


def _parquet_types(df: pd.DataFrame) -> pd.DataFrame:
    """A table as read from Parquet, with years as nullable integers."""
    if "year" in df:
        df["year"] = pd.to_numeric(df["year"], errors="coerce").round().astype("Int64")
    return df


def as_read(df: pd.DataFrame) -> pd.DataFrame:
    """``df`` exactly as :func:`read_table` would return it after ``store.write_csv(...,
    parquet=True)``: the same Arrow conversion in memory, without the disk."""
    import pyarrow as pa

    return _parquet_types(pa.Table.from_pandas(df, preserve_index=False).to_pandas())


def read_lexicon(path: Path | str | None = None) -> pd.DataFrame:
    """The formulations lexicon (``lexicons/formulations.csv``) as a DataFrame; empty if absent."""
    from pipeline import config

    path = Path(path) if path else config.LEXICON_DIR / config.FORMULATIONS_FILE
    cols = ["term", "aliases", "category", "first_year", "level", "expansion"]
    if not path.is_file():
        return pd.DataFrame({c: pd.Series(dtype=object) for c in cols})
    return _coerce(read_csv(path))


def labels_of(category_shares: pd.DataFrame, paragraphs: pd.DataFrame | None = None) -> list[str]:
    """Category names in order: from the category table, else the paragraphs' labels."""
    if category_shares is not None and not category_shares.empty:
        return list(dict.fromkeys(category_shares["category"].astype(str)))
    if paragraphs is not None and "label" in paragraphs and not paragraphs.empty:
        found = [x for x in dict.fromkeys(paragraphs["label"].astype(str)) if x]
        return [c for c in DEFAULT_LABELS if c in found] + [c for c in found if c not in DEFAULT_LABELS]
    return list(DEFAULT_LABELS)


def _lexicon_path(out_dir: Path, lexicon: Path | str | None) -> Path | None:
    """The lexicon a run folder is read with: the one given, else its own copy, else the default."""
    if lexicon:
        return Path(lexicon)
    return out_dir / "formulations.csv" if (out_dir / "formulations.csv").is_file() else None


@dataclass
class RunTables:
    """The tables of one run. Build with :meth:`RunTables.load`."""

    out_dir: Path
    documents: pd.DataFrame
    paragraphs: pd.DataFrame
    term_counts: pd.DataFrame
    term_trends: pd.DataFrame
    candidates: pd.DataFrame
    keyword_frequencies: pd.DataFrame
    keywords_by_year: pd.DataFrame
    category_shares: pd.DataFrame
    ingest_log: pd.DataFrame = field(default_factory=pd.DataFrame)
    lexicon: pd.DataFrame = field(default_factory=pd.DataFrame)
    _queries: dict = field(default_factory=dict, init=False, repr=False, compare=False)
    _skipped: frozenset = field(default=frozenset(), init=False, repr=False, compare=False)

    # ------------------------------------------------------------------ loading
    @classmethod
    def load(cls, out_dir: Path | str = "data/processed", *, lexicon: Path | str | None = None, skip: Iterable[str] = ()) -> RunTables:
        """Read a run's output folder (Parquet when present, else CSV). Missing tables are empty
        DataFrames with the contract columns; a folder without ``documents`` is an error, and so
        is one a run stopped while publishing (:class:`~pipeline.errors.MixedOutputs`); tables
        that differ from what the run wrote (its ``.dangjian-run.json``) give a warning.
        ``skip`` leaves big tables one does not need (e.g. ``("paragraphs",)``) empty."""
        out_dir = Path(out_dir)
        if not out_dir.is_dir() or not ((out_dir / "documents.csv").is_file() or (out_dir / "documents.parquet").is_file()):
            raise InputError(
                f"no finished run in {out_dir} (documents.csv not found)",
                f"run `dangjian run data/raw --out {out_dir}` first",
            )
        skip = set(skip)
        names = [f"{n}{ext}" for n in TABLES if n not in skip for ext in (".csv", ".parquet")]
        for _attempt in range(3):  # one run's tables, never a mix (pipeline.store.generation)
            before = generation.check_readable(out_dir, names)  # MixedOutputs mid-switch; warns on edits
            tables = {name: (_empty_table(name) if name in skip else read_table(out_dir, name)) for name in TABLES}
            after = generation.read_generation(out_dir)
            if not generation.pending(out_dir) and (before or {}).get("generation") == (after or {}).get("generation"):
                break  # else a run switched its outputs in while these were read: read them again
        run = cls(out_dir=out_dir, lexicon=read_lexicon(_lexicon_path(out_dir, lexicon)), **tables)
        run._skipped = frozenset(skip)
        return run

    @classmethod
    def from_frames(cls, out_dir: Path | str, frames: dict[str, pd.DataFrame], *, lexicon: Path | str | None = None) -> RunTables:
        """The Corpus :meth:`load` would read once ``frames`` (table name -> DataFrame, as the
        run writes them) are written to ``out_dir``; tables not given are empty."""
        out_dir = Path(out_dir)
        tables = {name: (as_read(frames[name]) if name in frames else _empty_table(name)) for name in TABLES}
        return cls(out_dir=out_dir, lexicon=read_lexicon(_lexicon_path(out_dir, lexicon)), **tables)

    def __repr__(self) -> str:
        years = trends.year_range(self.documents["year"]) if "year" in self.documents else []
        span = f"{years[0]}-{years[-1]}" if years else "no years"
        return (
            f"{type(self).__name__}({str(self.out_dir)!r}: {len(self.documents)} documents, {len(self.paragraphs)} paragraphs, "
            f"{self.term_counts['term'].nunique() if not self.term_counts.empty else 0} formulations, {span})"
        )

    @property
    def labels(self) -> list[str]:
        return labels_of(self.category_shares, self.paragraphs)

    # ------------------------------------------------------------------ formulations
    def _term_trends(self) -> pd.DataFrame:
        if not self.term_trends.empty or self.term_counts.empty:
            return self.term_trends
        return trends.term_trends(self.term_counts, self.documents)

    def trend(self, *terms: str, measure: str = "per_10k", years: Iterable | None = None, by: str = "year") -> pd.DataFrame:
        """Year x term table of ``per_10k`` or ``doc_share`` (default terms: top 6 by count).

        Years without documents are NaN (gaps); a term unused in a year with documents is 0.
        ``terms`` are requests (:meth:`query`): a lexicon formulation (or alias, or traditional
        spelling) is read from the run's tables under its canonical term; any other string,
        ``两个*`` or ``re:…`` is counted on the fly on the stored paragraphs (a pattern gives one
        column per formulation found and one for its total, named by the request).
        ``df.attrs``: ``counted_on_the_fly`` (columns), ``not_found`` (request -> nearest lexicon
        terms), ``unused`` (lexicon terms no document uses), ``patterns`` (request -> columns),
        ``resolved`` (request -> the canonical term it was read as). ``years`` widens the span.
        ``by`` names another document column (``"org"``, ``"genre"``, a sheet column): the rows
        are then its groups instead of years."""
        measure = _check_measure(measure)
        if by != "year":
            return self._trend_by(terms, measure, by)
        if not terms:
            tt = self._term_trends()
            return trends.trend_matrix(tt, trends.top_terms(tt, 6), measure, years=years)
        result = self.query(*terms)
        matrix = trends.trend_matrix(result.term_trends, result.columns, measure, years=years)
        matrix.attrs.update(result.attrs())
        return matrix

    def _trend_by(self, terms, measure: str, by: str) -> pd.DataFrame:
        """:meth:`trend` with groups of document column ``by`` as rows."""
        result = self.query(*terms) if terms else None
        columns = list(result.columns) if result is not None else trends.top_terms(self._term_trends(), 6)
        tc = self.term_counts[self.term_counts["term"].isin(columns)] if not self.term_counts.empty else self.term_counts
        if result is not None and not result.term_counts.empty:
            tc = pd.concat([tc, result.term_counts], ignore_index=True)
        tt = trends.term_trends(tc, self.documents, by=by)
        key = trends.group_key(by)
        matrix = (
            tt.pivot_table(index=key, columns="term", values=measure, aggfunc="sum") if not tt.empty else pd.DataFrame(index=pd.Index([], name=key))
        )
        matrix = matrix.reindex(columns=columns)
        if result is not None:
            matrix.attrs.update(result.attrs())
        return matrix

    def query(self, *terms: str) -> TermsAsked:
        """What ``terms`` are in this run (see :meth:`trend`): their columns, a term_trends table
        holding them, and notes. Computed once per set of requests; a warning is logged for
        what was counted on the fly or found nowhere."""
        requests = tuple(dict.fromkeys(t.strip() for t in terms if t and t.strip()))
        cached = self._queries.get(requests)
        if cached is None:
            cached = self._queries[requests] = self._ask(requests)
            for line in cached.notes():
                log.warning(line)
        return cached

    def _ask(self, requests: tuple[str, ...]) -> TermsAsked:
        from pipeline.terms import parse_queries, suggest

        lex = _lexicon_object(self.lexicon)
        queries = parse_queries(requests, lex)
        stored_tt = self._term_trends()
        stored_totals = _totals(self.term_counts)
        asked = TermsAsked(requests=list(requests))
        fly: list[tuple[str, str, int]] = []  # (doc_id, series, count)
        stored_columns: set[str] = set()
        texts = doc_ids = None
        for q in queries:
            if q.request != q.name and not q.is_pattern:
                asked.resolved[q.request] = q.name
            if not q.on_the_fly:
                if q.name not in asked.columns:
                    asked.columns.append(q.name)
                    stored_columns.add(q.name)
                    asked.totals[q.name] = int(stored_totals.get(q.name, 0))
                    if not asked.totals[q.name]:
                        asked.unused.append(q.name)
                continue
            if texts is None:
                texts, doc_ids = self._query_texts(q.request)
            per_doc: dict[tuple[str, str], int] = {}
            found = q.findall(texts)
            for i, m in found:
                key = (doc_ids[i], m.term)
                per_doc[key] = per_doc.get(key, 0) + 1
            series_total: dict[str, int] = {}
            for (_, series), n in per_doc.items():
                series_total[series] = series_total.get(series, 0) + n
            if not found:
                asked.not_found[q.request] = suggest(q.request, lex)
            if q.is_pattern:
                members = sorted(series_total, key=lambda t: (-series_total[t], t))
                shown = [t for t in members if t not in asked.columns]
                asked.patterns[q.request] = members
                for t in shown:
                    asked.columns.append(t)
                    asked.counted_on_the_fly.append(t)
                    asked.totals[t] = series_total[t]
                fly += [(d, t, n) for (d, t), n in per_doc.items() if t in shown]
                doc_total: dict[str, int] = {}
                for (d, _), n in per_doc.items():
                    doc_total[d] = doc_total.get(d, 0) + n
                fly += [(d, q.request, n) for d, n in doc_total.items()]
            elif q.request not in asked.columns:  # (a literal already shown as a pattern's formulation is not added twice)
                fly += [(d, t, n) for (d, t), n in per_doc.items()]
            if q.request not in asked.columns:
                asked.columns.append(q.request)
                asked.counted_on_the_fly.append(q.request)
                asked.totals[q.request] = len(found)
        if fly:
            hits = pd.DataFrame(fly, columns=["doc_id", "term", "count"])
            asked.term_counts = trends.term_counts(hits, self.documents)
            fly_tt = trends.term_trends(asked.term_counts, self.documents)
            base = stored_tt[~stored_tt["term"].astype(str).isin(asked.counted_on_the_fly)] if not stored_tt.empty else stored_tt
            asked.term_trends = pd.concat([base, fly_tt], ignore_index=True) if not base.empty else fly_tt
        else:
            asked.term_trends = stored_tt
        return asked

    def _query_texts(self, request: str) -> tuple[list, list[str]]:
        """Paragraph texts and their doc_ids for counting on the fly (the paragraphs table is
        read now when the run was loaded without it)."""
        paragraphs = self._paragraphs()
        if paragraphs is None or "text" not in paragraphs or "doc_id" not in paragraphs:
            raise InputError(
                f"{request} is not in the lexicon, and {self.out_dir} has no paragraphs table to count it on",
                "run `dangjian run RAW_DIR --out OUT_DIR` again (it writes paragraphs.csv)",
            )
        return paragraphs["text"].tolist(), paragraphs["doc_id"].astype(str).tolist()

    def _paragraphs(self) -> pd.DataFrame:
        """The paragraphs; read from the run folder when loaded with ``skip=("paragraphs",)``."""
        if "paragraphs" in self._skipped:
            self.paragraphs = read_table(self.out_dir, "paragraphs")
            self._skipped = self._skipped - {"paragraphs"}
        return self.paragraphs

    def first_appearance(self) -> pd.DataFrame:
        """term, first_year_corpus, first_year_national (lexicon), last_year_corpus, n_docs."""
        return trends.first_appearance(self.term_counts, self.documents, self.lexicon)

    def kwic(self, term: str, window: int = 20) -> pd.DataFrame:
        """Keyword in context: every occurrence of ``term`` (a request as in :meth:`trend`: its
        lexicon aliases match too; ``两个*`` and ``re:…`` give the formulation found in ``term``)
        in the paragraphs, with ``window`` characters each side and the document's title and year.
        ``df.attrs`` as :meth:`trend` (``counted_on_the_fly``, ``not_found``)."""
        from pipeline.terms import TermQuery, suggest
        from pipeline.terms import kwic as terms_kwic

        lex = _lexicon_object(self.lexicon)
        query = TermQuery(term, lex)
        out = terms_kwic(self._paragraphs(), self.documents, query, window=window)
        out.attrs["counted_on_the_fly"] = [query.request] if query.on_the_fly else []
        out.attrs["not_found"] = {query.request: suggest(query.request, lex)} if out.empty else {}
        return out

    # ------------------------------------------------------------------ categories
    def shares(self, by: str = "year") -> pd.DataFrame:
        """Category shares: ``by="year"`` year x category; ``"org"`` org x category; any other
        document column (``"genre"``, a sheet column) group x category; ``"doc"`` one row per
        document with ``share_<category>`` columns."""
        labels = self.labels
        if by == "year":
            if not self.category_shares.empty:
                return trends.category_matrix(self.category_shares, labels)
            return trends.category_matrix(trends.category_shares(self.paragraphs, self.documents, labels), labels)
        if by in ("doc", "document"):
            return trends.document_shares(self.paragraphs, labels)
        key = trends.group_key(by)
        cs = trends.category_shares(self.paragraphs, self.documents, labels, by=by)
        return cs.pivot(index=key, columns="category", values="share").reindex(columns=labels) if not cs.empty else cs

    def keyness(self, a, b=None, *, top: int = 30, min_count: int = 3, words: bool = True) -> pd.DataFrame:
        """Formulations and words most distinctive of documents ``a`` against ``b`` (default: the
        rest), by log-likelihood: e.g. ``keyness("genre=述职述廉", "genre=民主生活会")``
        (:mod:`pipeline.store.keyness`)."""
        from pipeline.config import LEXICON_DIR
        from pipeline.lexicon import load_stopwords
        from pipeline.store.keyness import keyness_table

        return keyness_table(
            self, a, b, top=top, min_count=min_count, words=words, lexicon=_lexicon_object(self.lexicon), stopwords=load_stopwords(LEXICON_DIR)
        )

    def docs_per_year(self) -> pd.Series:
        return trends.docs_per_year(self.documents)

    def examples(self, category: str | None = None, term: str | None = None, year: int | None = None, n: int = 5) -> pd.DataFrame:
        """Example paragraphs (doc_id, para_id, title, year, label, text) filtered by category,
        formulation (a request as in :meth:`trend`, found with the matcher's rules) and year."""
        if term is None or self.paragraphs.empty:
            return trends.examples(self.paragraphs, self.documents, category=category, term=term, year=year, n=n, lexicon=self.lexicon)
        from pipeline.terms import TermQuery

        index = trends.ExampleIndex(self.paragraphs, self.documents, lexicon=self.lexicon)
        found = {i for i, _ in TermQuery(term, _lexicon_object(self.lexicon)).findall(index.text)}
        rows = [i for i in index.rows(category=category, year=year) if i in found]
        return index.frame(index.pick(rows, n))


@dataclass
class TermsAsked:
    """The answer of :meth:`RunTables.query`: the columns to show, in order, a term_trends table
    holding them (the run's rows and those counted on the fly) and what to tell the analyst."""

    requests: list[str]
    columns: list[str] = field(default_factory=list)
    term_trends: pd.DataFrame = field(default_factory=pd.DataFrame)
    #: doc_id x series counted on the stored paragraphs (trends.term_counts columns)
    term_counts: pd.DataFrame = field(default_factory=pd.DataFrame)
    counted_on_the_fly: list[str] = field(default_factory=list)
    not_found: dict[str, list[str]] = field(default_factory=dict)
    unused: list[str] = field(default_factory=list)
    patterns: dict[str, list[str]] = field(default_factory=dict)
    resolved: dict[str, str] = field(default_factory=dict)
    #: column -> occurrences in all documents (also those of unknown year)
    totals: dict[str, int] = field(default_factory=dict)

    @property
    def found_any(self) -> bool:
        return any(self.totals.values())

    def attrs(self) -> dict:
        return {
            "counted_on_the_fly": list(self.counted_on_the_fly),
            "not_found": {k: list(v) for k, v in self.not_found.items()},
            "unused": list(self.unused),
            "patterns": {k: list(v) for k, v in self.patterns.items()},
            "resolved": dict(self.resolved),
        }

    def notes(self) -> list[str]:
        """One line per thing the analyst should know (empty when every request is a lexicon
        formulation that the run counted)."""
        lines = []
        for request, term in self.resolved.items():
            lines.append(f"{request}: read as the lexicon formulation {term}")
        members = {m for ms in self.patterns.values() for m in ms}
        fly = [c for c in self.counted_on_the_fly if c not in self.not_found and c not in self.patterns and c not in members]
        if fly:
            lines.append(
                "counted on the fly on the stored paragraphs (not in the lexicon): " + ", ".join(f"{c} ({self.totals.get(c, 0)})" for c in fly)
            )
        for request, found in self.patterns.items():
            if found:
                shown = ", ".join(f"{t} ({self.totals[t]})" if t in self.totals else t for t in found[:PATTERN_NOTE])
                more = f" and {len(found) - PATTERN_NOTE} more" if len(found) > PATTERN_NOTE else ""
                lines.append(
                    f"{request}: counted on the fly, {self.totals.get(request, 0)} occurrence(s) of {len(found)} formulation(s): {shown}{more}"
                )
        for request, near in self.not_found.items():
            hint = f"; nearest lexicon entries: {', '.join(near)}" if near else "; no lexicon entry is close"
            lines.append(f"{request}: found nowhere in this run{hint}")
        for term in self.unused:
            lines.append(f"{term}: in the lexicon, used in no document of this run")
        return lines


def _totals(term_counts: pd.DataFrame) -> dict[str, int]:
    """term -> occurrences in all documents of a term_counts table."""
    if term_counts is None or term_counts.empty:
        return {}
    counts = pd.to_numeric(term_counts["count"], errors="coerce").fillna(0)
    return counts.groupby(term_counts["term"].astype(str)).sum().astype(int).to_dict()


def _lexicon_object(frame: pd.DataFrame):
    """A :class:`pipeline.lexicon.Lexicon` built from a lexicon table (None if empty). Aliases
    are split as the lexicon loader splits them (on ``|`` only: 一个中心，两个基本点 is one alias)."""
    if frame is None or frame.empty:
        return None
    from pipeline.lexicon import ALIAS_SEP, Entry, Lexicon

    entries = []
    seen: set[str] = set()
    for i, rec in enumerate(frame.to_dict("records")):
        term = str(rec["term"]).strip()
        if not term or term in seen:
            continue
        seen.add(term)
        year = pd.to_numeric(rec.get("first_year"), errors="coerce")
        raw = rec.get("aliases")
        cell = "" if raw is None or (isinstance(raw, float) and pd.isna(raw)) or raw is pd.NA else str(raw)
        aliases = tuple(dict.fromkeys(a.strip() for a in cell.split(ALIAS_SEP) if a.strip() and a.strip() != term))
        entries.append(
            Entry(
                term,
                aliases,
                str(rec.get("category") or ""),
                None if pd.isna(year) else int(year),
                str(rec.get("level") or ""),
                str(rec.get("expansion") or ""),
                i + 2,
            )
        )
    return Lexicon(entries)


def _check_measure(measure) -> str:
    measure = getattr(measure, "value", measure)
    if measure not in MEASURES:
        raise ValueError(f"measure must be one of {', '.join(MEASURES)}, not {measure!r}")
    return measure
