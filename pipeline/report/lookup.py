"""The look-up parts of report.html: every counted formulation, the categories and the candidates
as rows, and capped concordance lines for each, chosen across years and documents.

Computes no statistics: the counts, years and shares are the run's tables
(:class:`pipeline.store.runs.RunTables`, :mod:`pipeline.trends`); this module picks rows and
lines and puts them in order. Formulations are found in the paragraphs with the counting rules
(:class:`pipeline.terms.TermMatcher` over the run's lexicon: every line shown is one counted
occurrence); candidates literally, leftmost-longest among them (as discovery counts them).

Kept light at scale: at most ``cap`` lines per formulation (fewer when there are very many
formulations, see :func:`lines_per_term`), contexts of :data:`CONTEXT_CHARS` characters each side,
and each document's title, path and year written once (:class:`DocList`).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

import pandas as pd

from pipeline import trends

CONTEXT_CHARS = 24  # characters of context each side of a concordance match
TERM_LINES = 20  # concordance lines per formulation at most
TERM_LINES_MIN = 5  # ... and at least, however many formulations there are
LINE_BUDGET = 15_000  # concordance lines of all formulations together (~3 MB of page with their documents)
CANDIDATE_LINES = 10
CHUNK_CHARS = 1_000_000  # paragraphs are searched in joined chunks of about this many characters
CATEGORY_EXAMPLES = 12
EXAMPLE_KINDS = ("body", "item")  # headings, table rows and salutations are not examples
EXAMPLE_MIN_CHARS = trends.EXAMPLE_MIN_CHARS
EXAMPLE_MAX_CHARS = 300
TIFA, SHUYU = "提法", "术语"


def _missing(value) -> bool:
    return value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value))


def _text(rec: dict, key: str) -> str:
    value = rec.get(key)
    return "" if _missing(value) else str(value or "")


def _year(value) -> int | None:
    if _missing(value):
        return None
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def evenly(items: Sequence, k: int) -> list:
    """``k`` of ``items`` spread evenly over them (first and last included when k > 1)."""
    n = len(items)
    if k >= n:
        return list(items)
    if k <= 0:
        return []
    if k == 1:
        return [items[(n - 1) // 2]]
    return [items[round(i * (n - 1) / (k - 1))] for i in range(k)]


def rounds(groups: Sequence[Sequence], k: int) -> list:
    """Up to ``k`` items from ``groups`` (e.g. one list per year, in year order): the first of
    each group, then the second of each, ...; when a round has more candidates than places
    left, the groups taken are spread evenly (so a few lines still cover the whole span)."""
    out: list = []
    depth = 0
    while len(out) < k:
        layer = [g[depth] for g in groups if len(g) > depth]
        if not layer:
            break
        out += evenly(layer, k - len(out))
        depth += 1
    return out


# --------------------------------------------------------------------------- documents
class DocList:
    """The documents of a run in table order: index by doc_id, and (title, path, year) each."""

    def __init__(self, documents: pd.DataFrame | None):
        self.index: dict[str, int] = {}
        self.rows: list[tuple[str, str, int | None]] = []
        if documents is None or documents.empty or "doc_id" not in documents:
            return
        n = len(documents)

        def col(name: str) -> list:
            return documents[name].tolist() if name in documents else [""] * n

        years = trends.as_year(documents["year"]).tolist() if "year" in documents else [None] * n
        for doc_id, title, path, year in zip(col("doc_id"), col("title"), col("path"), years):
            key = str(doc_id)
            if key in self.index:
                continue
            self.index[key] = len(self.rows)
            self.rows.append(("" if _missing(title) else str(title), "" if _missing(path) else str(path), _year(year)))

    def add(self, doc_id: str) -> int:
        """The index of ``doc_id``, added (without title, path or year) when unknown."""
        if doc_id not in self.index:
            self.index[doc_id] = len(self.rows)
            self.rows.append(("", "", None))
        return self.index[doc_id]

    def year(self, i: int) -> int | None:
        return self.rows[i][2]


# --------------------------------------------------------------------------- concordance
@dataclass(frozen=True)
class Line:
    """One concordance line: document index (:class:`DocList`), context left, match, right."""

    doc: int
    left: str
    match: str
    right: str


def _squash(text: str) -> str:
    return " ".join(text.split())


class Concordance:
    """The paragraphs of a run, for capped keyword-in-context lines of many keys at once.

    :meth:`collect` scans every paragraph once with a finder and keeps, per key and year, the
    first occurrence in each of up to ``cap`` documents (and, per key, up to ``cap`` further
    occurrences): memory stays bounded however often a key occurs. :meth:`spread` then picks
    ``cap`` lines: one per year in turn (a document's first occurrence before its second; years
    spread evenly when there are more years than lines, :func:`rounds`), then the rest, shown
    in year and document order."""

    def __init__(self, paragraphs: pd.DataFrame | None, docs: DocList, *, window: int = CONTEXT_CHARS, chunk: int = CHUNK_CHARS):
        p = paragraphs if paragraphs is not None else pd.DataFrame()
        self.docs, self.window = docs, window
        texts = p["text"].tolist() if "text" in p else []
        self.text = [t if isinstance(t, str) else "" for t in texts]
        ids = p["doc_id"].astype(str).tolist() if "doc_id" in p else [""] * len(self.text)
        self.doc = [docs.add(d) for d in ids]
        # paragraphs joined by "\n" (no key holds one) in chunks of about ``chunk`` characters:
        # one finder call per chunk, not per paragraph; (first row, start offsets) of each
        self.chunks: list[tuple[int, list[int]]] = []
        row, n = 0, len(self.text)
        while row < n:
            first, offsets, size = row, [], 0
            while row < n and (not offsets or size + len(self.text[row]) <= chunk):
                offsets.append(size)
                size += len(self.text[row]) + 1
                row += 1
            self.chunks.append((first, offsets))

    def collect(self, finder: Callable[[str], Iterable[tuple[int, int, object]]], cap: int) -> dict[object, list[Line]]:
        """key -> at most ``cap`` lines of the occurrences ``finder(text)`` yields as
        ``(start, end, key)``."""
        import bisect

        firsts: dict[object, dict[int | None, list[tuple[int, int, int]]]] = {}
        extras: dict[object, list[tuple[int, int, int]]] = {}
        seen: set[tuple[object, int]] = set()
        for first, offsets in self.chunks:
            joined = "\n".join(self.text[first : first + len(offsets)])
            for start, end, key in finder(joined):
                k = bisect.bisect_right(offsets, start) - 1
                row, base = first + k, offsets[k]
                doc = self.doc[row]
                hit = (row, start - base, end - base)
                if (key, doc) not in seen:
                    by_year = firsts.setdefault(key, {}).setdefault(self.docs.year(doc), [])
                    if len(by_year) < cap:
                        seen.add((key, doc))
                        by_year.append(hit)
                        continue
                more = extras.setdefault(key, [])
                if len(more) < cap:
                    more.append(hit)
        return {key: self.spread(by_year, extras.get(key, []), cap) for key, by_year in firsts.items()}

    def spread(self, by_year: dict[int | None, list[tuple[int, int, int]]], extras: list[tuple[int, int, int]], cap: int) -> list[Line]:
        years = sorted(y for y in by_year if y is not None) + ([None] if None in by_year else [])
        chosen = rounds([by_year[y] for y in years], cap)
        chosen += extras[: cap - len(chosen)]
        chosen.sort(key=lambda h: (self._order(h[0]), h[0], h[1]))
        return [self.line(*h) for h in chosen]

    def _order(self, row: int) -> tuple:
        year = self.docs.year(self.doc[row])
        return (year is None, year or 0, self.doc[row])

    def line(self, row: int, start: int, end: int) -> Line:
        text, w = self.text[row], self.window
        return Line(self.doc[row], _squash(text[max(0, start - w) : start]), text[start:end], _squash(text[end : end + w]))


def lexicon_finder(lexicon):
    """``text -> (start, end, term)`` of ``lexicon`` (a :class:`pipeline.lexicon.Lexicon`) with
    the counting rules (folding, quotes, aliases, leftmost-longest); None without one."""
    if lexicon is None or not len(lexicon):
        return None
    from pipeline.terms import TermMatcher

    matcher = TermMatcher(lexicon)
    return lambda text: ((m.start, m.end, m.term) for m in matcher.finditer(text))


def literal_finder(terms: Sequence[str]):
    """``text -> (start, end, term)`` of literal ``terms``, leftmost-longest among them."""
    terms = [t for t in dict.fromkeys(map(str, terms)) if t]
    if not terms:
        return None
    from pipeline.automaton import leftmost_longest, make_automaton

    automaton = make_automaton({t: t for t in terms})
    return lambda text: leftmost_longest(automaton, text)


def lexicon_object(frame: pd.DataFrame | None):
    """A :class:`pipeline.lexicon.Lexicon` from a lexicon table (None if empty): aliases split on
    ``|`` as the lexicon file has them; an empty kind is inferred by :class:`~pipeline.lexicon.Entry`."""
    if frame is None or frame.empty or "term" not in frame:
        return None
    from pipeline.lexicon import ALIAS_SEP, Entry, Lexicon

    entries, seen = [], set()
    for i, rec in enumerate(frame.to_dict("records")):
        term = str(rec["term"]).strip()
        if not term or term in seen:
            continue
        seen.add(term)
        cell = "" if _missing(rec.get("aliases")) else str(rec.get("aliases"))
        aliases = tuple(dict.fromkeys(a.strip() for a in cell.split(ALIAS_SEP) if a.strip() and a.strip() != term))
        entries.append(
            Entry(
                term,
                aliases,
                _text(rec, "category"),
                _year(rec.get("first_year")),
                _text(rec, "level"),
                _text(rec, "expansion"),
                i + 2,
                _text(rec, "kind").strip(),
            )
        )
    return Lexicon(entries)


def run_lexicon(c):
    """The lexicon the run counted with, as :class:`pipeline.store.runs.RunTables` reads it: the
    run folder's own ``formulations.csv`` when it has one, else the project's (loaded and
    validated by :func:`pipeline.lexicon.load_lexicon`); built from ``c.lexicon`` when that
    cannot be loaded. None without a lexicon."""
    from pathlib import Path

    from pipeline.errors import DangjianError
    from pipeline.lexicon import load_lexicon

    out_dir = Path(getattr(c, "out_dir", "."))
    try:
        lex = load_lexicon(out_dir if (out_dir / "formulations.csv").is_file() else None)
    except (DangjianError, OSError, ValueError):
        lex = None
    frame = c.lexicon if c.lexicon is not None else pd.DataFrame()
    if lex is not None and (frame.empty or set(frame["term"].astype(str)) <= set(lex.terms)):
        return lex
    return lexicon_object(frame)


def lines_per_term(occurrences: Iterable[int], cap: int = TERM_LINES, budget: int = LINE_BUDGET) -> int:
    """Concordance lines per formulation: the largest number up to ``cap`` for which all
    formulations together (each showing at most its ``occurrences``) stay within ``budget``
    lines; never below TERM_LINES_MIN."""
    occ = sorted(int(o) for o in occurrences)
    for k in range(cap, TERM_LINES_MIN, -1):
        if sum(min(o, k) for o in occ) <= budget:
            return k
    return TERM_LINES_MIN


# --------------------------------------------------------------------------- formulations
def term_kinds(lexicon_frame: pd.DataFrame | None, terms: Iterable[str]) -> dict[str, str]:
    """term -> 提法 or 术语: the lexicon's ``kind`` column, inferred where it is empty or absent
    (:func:`pipeline.lexicon.infer_kind`)."""
    from pipeline.lexicon import infer_kind

    given: dict[str, str] = {}
    if lexicon_frame is not None and not lexicon_frame.empty and "kind" in lexicon_frame:
        for term, kind in zip(lexicon_frame["term"].astype(str), lexicon_frame["kind"]):
            if not _missing(kind) and str(kind).strip() in (TIFA, SHUYU):
                given.setdefault(term, str(kind).strip())
    return {t: given.get(t) or infer_kind(t) for t in terms}


def rank_terms(totals: pd.Series, kinds: dict[str, str]) -> list[str]:
    """Formulations by total count, 提法 before 术语 (then by count, then by name)."""
    totals = totals[totals > 0]
    return [t for t, _ in sorted(totals.items(), key=lambda kv: (kinds.get(kv[0]) != TIFA, -kv[1], kv[0]))]


def preferred_terms(term_trends: pd.DataFrame, lexicon_frame: pd.DataFrame | None, n: int) -> list[str]:
    """The ``n`` formulations a chart shows: the most used 提法 first, then 术语 to fill up."""
    if term_trends is None or term_trends.empty:
        return []
    totals = pd.to_numeric(term_trends["count"], errors="coerce").groupby(term_trends["term"].astype(str)).sum()
    return rank_terms(totals, term_kinds(lexicon_frame, totals.index))[:n]


@dataclass(frozen=True)
class TermRow:
    """A row of the formulations table."""

    i: int  # index of its concordance lines in the page's data
    term: str
    kind: str
    category: str
    count: int
    n_docs: int
    first_year_corpus: int | None
    last_year_corpus: int | None
    first_year_national: int | None  # national terms only
    trend: object  # what ``sparkline(values, years=...)`` made of its per_10k by year (page.Sparkline), or None
    search: str  # what the filter box matches: term, aliases, expansion, category, kind


def term_rows(c, tt: pd.DataFrame, n_docs: pd.Series, sparkline, lexicon=None) -> list[TermRow]:
    """Every formulation counted in the run (``term_counts``; ``term_trends`` when that is all
    the run has), 提法 first, by count. ``sparkline`` turns a year series into a drawing;
    ``lexicon`` (default :func:`run_lexicon`) gives kinds, aliases, categories and levels."""
    tc = c.term_counts
    if tc is not None and not tc.empty:
        terms = tc["term"].astype(str)
        counts = pd.to_numeric(tc["count"], errors="coerce").fillna(0)
        totals = counts.groupby(terms).sum()
        docs_using = tc.loc[counts > 0, "doc_id"].astype(str).groupby(terms[counts > 0]).nunique()
        first = {r["term"]: r for r in c.first_appearance().to_dict("records")}
    elif tt is not None and not tt.empty:
        totals = pd.to_numeric(tt["count"], errors="coerce").groupby(tt["term"].astype(str)).sum()
        docs_using, first = pd.Series(dtype="int64"), {}
    else:
        return []
    lexicon = run_lexicon(c) if lexicon is None else lexicon
    entry = (lambda t: lexicon.by_term(t)) if lexicon is not None else (lambda t: None)
    kinds = term_kinds(c.lexicon, totals.index)
    for t in totals.index:  # the entry's kind (the file's, else inferred) wins over the table
        e = entry(t)
        if e is not None and e.term == t:
            kinds[t] = e.kind
    order = rank_terms(totals, kinds)
    mat = trends.trend_matrix(tt, order, "per_10k", years=n_docs.index) if tt is not None and not tt.empty else pd.DataFrame()
    years = [int(y) for y in mat.index]
    values = {t: col for t, col in zip(mat.columns, mat.to_numpy(dtype=float).T.tolist())} if not mat.empty else {}
    rows = []
    for i, term in enumerate(order):
        e = entry(term)
        e = e if e is not None and e.term == term else None
        fa = first.get(term, {})
        national = fa.get("first_year_national") if e is not None and e.level == "national" else None
        category = e.category if e is not None else ""
        search = " ".join([term, *(e.aliases if e else ()), category, kinds[term], e.expansion if e else ""]).lower()
        rows.append(
            TermRow(
                i,
                term,
                kinds[term],
                category,
                int(totals[term]),
                int(docs_using.get(term, fa.get("n_docs") or 0) or 0),
                _year(fa.get("first_year_corpus")),
                _year(fa.get("last_year_corpus")),
                _year(national),
                sparkline(values[term], years=years) if term in values else None,
                search,
            )
        )
    return rows


# --------------------------------------------------------------------------- categories
@dataclass(frozen=True)
class Example:
    text: str
    doc: int  # DocList index
    confidence: float | None
    uncertain: bool


def category_examples(
    paragraphs: pd.DataFrame | None, docs: DocList, labels: Sequence[str], *, n: int = CATEGORY_EXAMPLES, max_chars: int = EXAMPLE_MAX_CHARS
) -> dict[str, list[Example]]:
    """Per category, up to ``n`` example paragraphs: body or list-item paragraphs of at least
    EXAMPLE_MIN_CHARS characters labelled with it (headings, table rows, salutations left out),
    spread across years -- in turn each year's most confident (``p_<category>``) paragraph, at
    most one per document before a second, the years spread evenly when there are more years
    than places (:func:`rounds`) -- the most confident of each turn first."""
    out: dict[str, list[Example]] = {lab: [] for lab in labels}
    p = paragraphs
    if p is None or p.empty or "label" not in p or "text" not in p:
        return out
    text = p["text"].where(p["text"].notna(), "").astype(str)
    kind = p["kind"].astype(str) if "kind" in p else pd.Series("body", index=p.index)
    ok = (kind.isin(EXAMPLE_KINDS) & (text.str.len() >= EXAMPLE_MIN_CHARS)).to_numpy()
    label = p["label"].astype(str).to_numpy()
    doc_ids = p["doc_id"].astype(str)
    year_of = {d: docs.rows[i][2] for d, i in docs.index.items()}
    uncertain = p["uncertain"] if "uncertain" in p else pd.Series(False, index=p.index)
    uncertain = uncertain.astype(str).str.lower().isin(["true", "1", "yes"]).to_numpy()
    for lab in labels:
        sel = ok & (label == lab)
        if not sel.any():
            continue
        rows = pd.DataFrame({"pos": sel.nonzero()[0]})
        rows["doc"] = doc_ids.to_numpy()[rows["pos"]]
        conf = pd.to_numeric(p[f"p_{lab}"], errors="coerce").to_numpy()[rows["pos"]] if f"p_{lab}" in p else float("nan")
        rows["conf"] = pd.Series(conf, index=rows.index).fillna(-1.0)
        years = rows["doc"].map(year_of)
        rows["year"] = pd.to_numeric(years, errors="coerce").fillna(-1)
        rows = rows.sort_values(["conf", "pos"], ascending=[False, True], kind="stable")
        rows["nth"] = rows.groupby("doc").cumcount()  # a document's most confident paragraph is its first
        rows = rows.sort_values(["nth", "conf", "pos"], ascending=[True, False, True], kind="stable")
        rows["turn"] = rows.groupby("year").cumcount()  # the k-th paragraph of its year
        rows = rows[rows["turn"] < n].sort_values(["year", "turn"], kind="stable")
        by_year: dict[float, list[tuple]] = {}
        for rec in zip(rows["turn"].tolist(), (-rows["conf"]).tolist(), rows["pos"].tolist(), rows["doc"].tolist(), rows["year"].tolist()):
            by_year.setdefault(rec[4], []).append(rec)
        picked = sorted(rounds([by_year[y] for y in sorted(by_year)], n))  # most confident first, round by round
        for pos, doc, cf in ((r[2], r[3], -r[1]) for r in picked):
            t = text.iat[pos]
            t = t[:max_chars] + "…" if len(t) > max_chars else t
            out[lab].append(Example(t, docs.add(doc), None if cf < 0 else cf, bool(uncertain[pos])))
    return out


# --------------------------------------------------------------------------- candidates
@dataclass(frozen=True)
class CandidateRow:
    i: int  # index of its concordance lines in the page's data
    rank: int  # 1-based position in candidates.csv
    term: str
    method: str
    score: object
    doc_freq: object
    years: str  # "2019–2023 (4)"
    years_all: str
    example: str
    variant_of: str


def _years_span(cell) -> tuple[str, str]:
    years = sorted({int(y) for y in str(cell or "").replace("、", "|").split("|") if y.strip().isdigit()})
    if not years:
        return "–", ""
    span = str(years[0]) if len(years) == 1 else f"{years[0]}–{years[-1]}"
    return f"{span} ({len(years)})", " ".join(map(str, years))


def candidate_rows(cand: pd.DataFrame | None) -> list[CandidateRow]:
    """The candidates in the order of candidates.csv (as ``dangjian lexicon candidates`` lists
    them: patterns and quotations first; not re-ranked by score)."""
    if cand is None or cand.empty or "term" not in cand:
        return []
    rows = []
    for i, rec in enumerate(cand.to_dict("records")):
        span, all_years = _years_span(rec.get("years"))
        variant = rec.get("variant_of")
        rows.append(
            CandidateRow(
                i,
                i + 1,
                str(rec["term"]),
                str(rec.get("method") or ""),
                rec.get("score"),
                rec.get("doc_freq"),
                span,
                all_years,
                "" if _missing(rec.get("example")) else str(rec.get("example")),
                "" if _missing(variant) else str(variant or ""),
            )
        )
    return rows
