"""Reading a finished run: its tables (see OUTPUTS.md) as pandas DataFrames with their types,
and :class:`RunTables`, the read model the report and the notebook API (:class:`pipeline.api.Corpus`)
are built on. Numbers come from :mod:`pipeline.trends`; this module only reads and routes.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable, Sequence

import pandas as pd

from pipeline import schema, trends
from pipeline.csvio import read_csv, unescape_formula
from pipeline.errors import InputError
from pipeline.store import generation

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

    # ------------------------------------------------------------------ loading
    @classmethod
    def load(cls, out_dir: Path | str = "data/processed", *, lexicon: Path | str | None = None, skip: Iterable[str] = ()) -> "RunTables":
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
        return cls(out_dir=out_dir, lexicon=read_lexicon(_lexicon_path(out_dir, lexicon)), **tables)

    @classmethod
    def from_frames(cls, out_dir: Path | str, frames: dict[str, pd.DataFrame], *, lexicon: Path | str | None = None) -> "RunTables":
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

    def trend(self, *terms: str, measure: str = "per_10k") -> pd.DataFrame:
        """Year x term table of ``per_10k`` or ``doc_share`` (default terms: top 6 by count).

        Years without documents are NaN (gaps); a term unused in a year with documents is 0."""
        measure = _check_measure(measure)
        tt = self._term_trends()
        chosen = list(terms) or trends.top_terms(tt, 6)
        return trends.trend_matrix(tt, chosen, measure)

    def first_appearance(self) -> pd.DataFrame:
        """term, first_year_corpus, first_year_national (lexicon), last_year_corpus, n_docs."""
        return trends.first_appearance(self.term_counts, self.documents, self.lexicon)

    def kwic(self, term: str, window: int = 20) -> pd.DataFrame:
        """Keyword in context: every occurrence of ``term`` (or a lexicon alias) in the paragraphs,
        with ``window`` characters each side and the document's title and year."""
        try:
            from pipeline.terms import kwic as terms_kwic
        except ImportError:
            terms_kwic = None
        if terms_kwic is not None:
            return terms_kwic(self.paragraphs, self.documents, term, window=window, lexicon=_lexicon_object(self.lexicon))
        return _kwic(self.paragraphs, self.documents, trends.lexicon_aliases(self.lexicon, term), window)

    # ------------------------------------------------------------------ categories
    def shares(self, by: str = "year") -> pd.DataFrame:
        """Category shares: ``by="year"`` year x category; ``"org"`` org x category;
        ``"doc"`` one row per document with ``share_<category>`` columns."""
        labels = self.labels
        if by == "year":
            if not self.category_shares.empty:
                return trends.category_matrix(self.category_shares, labels)
            return trends.category_matrix(trends.category_shares(self.paragraphs, self.documents, labels), labels)
        if by in ("org", "source"):
            cs = trends.category_shares(self.paragraphs, self.documents, labels, by="org")
            return cs.pivot(index="org", columns="category", values="share").reindex(columns=labels) if not cs.empty else cs
        if by in ("doc", "document"):
            return trends.document_shares(self.paragraphs, labels)
        raise ValueError(f"by must be 'year', 'org' or 'doc', not {by!r}")

    def docs_per_year(self) -> pd.Series:
        return trends.docs_per_year(self.documents)

    def examples(self, category: str | None = None, term: str | None = None, year: int | None = None, n: int = 5) -> pd.DataFrame:
        """Example paragraphs (doc_id, para_id, title, year, label, text) filtered by category,
        formulation and year."""
        return trends.examples(self.paragraphs, self.documents, category=category, term=term, year=year, n=n, lexicon=self.lexicon)


def _lexicon_object(frame: pd.DataFrame):
    """A :class:`pipeline.lexicon.Lexicon` built from a lexicon table (None if empty)."""
    if frame is None or frame.empty:
        return None
    from pipeline.lexicon import Entry, Lexicon

    entries = []
    for i, rec in enumerate(frame.to_dict("records")):
        year = pd.to_numeric(rec.get("first_year"), errors="coerce")
        aliases = tuple(a for a in trends.lexicon_aliases(frame.iloc[[i]], str(rec["term"]))[1:])
        entries.append(
            Entry(
                str(rec["term"]),
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


def _kwic(paragraphs: pd.DataFrame, documents: pd.DataFrame, names: list[str], window: int) -> pd.DataFrame:
    columns = list(schema.KWIC_COLUMNS)
    rows = []
    if paragraphs is None or paragraphs.empty:
        return pd.DataFrame(columns=columns)
    meta = {}
    if documents is not None and not documents.empty:
        for rec in documents.to_dict("records"):
            meta[str(rec["doc_id"])] = (rec.get("title", ""), rec.get("year"))
    for rec in paragraphs[["doc_id", "para_id", "text"]].to_dict("records"):
        text = rec["text"] if isinstance(rec["text"], str) else ""
        title, year = meta.get(str(rec["doc_id"]), ("", None))
        for name in names:
            start = text.find(name)
            while start >= 0:
                end = start + len(name)
                rows.append((rec["doc_id"], rec["para_id"], title, year, text[max(0, start - window) : start], name, text[end : end + window]))
                start = text.find(name, end)
    out = pd.DataFrame(rows, columns=columns)
    if not out.empty:
        out["year"] = pd.to_numeric(out["year"], errors="coerce").astype("Int64")
    return out
