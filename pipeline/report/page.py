"""``OUT_DIR/report.html``: one self-contained page from the Jinja2 template
``pipeline/report/templates/report.html.j2`` (package data, loaded with ``jinja2.PackageLoader``,
so it works from an installed wheel).

Computes no statistics: :func:`page_context` gathers the numbers of the run's tables
(:class:`pipeline.store.runs.RunTables`, :mod:`pipeline.trends`) into plain values, the template
lays them out. Autoescaping is on and every value the template writes goes through
:func:`escape`; the page has no scripts and makes no external requests (its
Content-Security-Policy allows only inline styles and ``data:`` images and fonts): the charts are
embedded PNGs and a subset of the bundled CJK font is embedded as WOFF.
"""

from __future__ import annotations

import base64
import functools
import html
import math
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
from markupsafe import Markup

from pipeline import trends
from pipeline.report.figures import current_figures, load_tables, make_figures, term_trends

TEMPLATE = "report.html.j2"
REPORT_TERMS = 20
REPORT_EXAMPLES = 3
EXAMPLE_MIN_CHARS = trends.EXAMPLE_MIN_CHARS
EXAMPLE_MAX_CHARS = 300  # longer example paragraphs are cut, with "…"
EMBEDDED_FONT = "DJ CJK"


# --------------------------------------------------------------------------- escaping and formatting
def _missing(value) -> bool:
    return value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value))


def escape(value) -> Markup:
    """What the template writes for ``{{ value }}``: HTML-escaped with :func:`html.escape`
    (quotes too; the entity spelling the page has always had, ``&#x27;`` where markupsafe
    writes ``&#39;``), None/NaN/NA as ''. Markup (the template's own macros) passes unchanged."""
    if isinstance(value, Markup):
        return value
    if _missing(value):
        return Markup("")
    return Markup(html.escape(str(value), quote=True))


def fmt(value, digits: int = 2):
    """A table cell: '–' when missing, floats with ``digits`` decimals, anything else as is."""
    if _missing(value):
        return "–"
    if isinstance(value, float):
        return f"{value:.{digits}f}"
    return value


@functools.lru_cache(maxsize=1)
def environment():
    """The Jinja2 environment of the report's templates (autoescaping on)."""
    import jinja2

    env = jinja2.Environment(
        loader=jinja2.PackageLoader("pipeline.report", "templates"),
        autoescape=True,
        finalize=escape,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["fmt"] = fmt
    return env


# --------------------------------------------------------------------------- page values
@dataclass(frozen=True)
class Table:
    """A table of the page: header cells and rows of raw values (formatted by the template)."""

    heads: list
    rows: list[tuple]
    digits: int = 2


def table(df: pd.DataFrame | None, columns: Sequence[str] | None = None, *, headers: Sequence[str] | None = None, digits: int = 2) -> Table | None:
    """``columns`` of ``df`` (those it has) as a :class:`Table`; None if ``df`` is empty."""
    if df is None or df.empty:
        return None
    columns = [c for c in (columns or list(df.columns)) if c in df.columns]
    return Table(list(headers or columns), list(df[columns].itertuples(index=False, name=None)), digits)


@dataclass(frozen=True)
class Example:
    text: str
    title: object
    year: object
    doc_id: object


def example_items(records: Iterable[dict], *, max_chars: int = EXAMPLE_MAX_CHARS) -> list[Example]:
    """Example paragraphs as the page shows them: text cut at ``max_chars``, '年份未知' for no year."""
    items = []
    for rec in records:
        text = str(rec.get("text", ""))
        if len(text) > max_chars:
            text = text[:max_chars] + "…"
        year = rec.get("year")
        year = "年份未知" if year is None or pd.isna(year) else int(year)
        items.append(Example(text, rec.get("title", ""), year, rec.get("doc_id")))
    return items


def _examples(index: trends.ExampleIndex, *, category: str | None = None, term: str | None = None, names=None) -> list[dict]:
    """The report's examples of a category or a term, by the rule of ``Corpus.examples``."""
    return index.records(index.pick(index.rows(category=category, term=term, names=names), REPORT_EXAMPLES))


def _term_examples(index: trends.ExampleIndex, terms: Sequence[str]) -> dict[str, list[dict]]:
    lex = index.lexicon
    if lex is not None and not lex.empty and "term" in lex:  # look up the aliases of these terms only
        lex = lex[lex["term"].astype(str).isin(list(terms))]
    return {term: _examples(index, term=term, names=trends.lexicon_aliases(lex, term)) for term in terms}


@dataclass(frozen=True)
class SparkPart:
    """A lone point (``cx``, ``cy``) or a polyline (``points``) of a sparkline."""

    cx: str | None = None
    cy: str | None = None
    points: str | None = None


@dataclass(frozen=True)
class Sparkline:
    width: int
    height: int
    label: str
    parts: list[SparkPart]


def sparkline_shape(values: pd.Series, *, width: int = 120, height: int = 24) -> Sparkline | None:
    """The geometry of :func:`sparkline`; None if there is nothing to draw."""
    vals = pd.to_numeric(values, errors="coerce").astype(float)
    if vals.empty or vals.notna().sum() == 0:
        return None
    top = float(vals.max()) or 1.0
    n = len(vals)
    pad = 2
    xs = [pad + (width - 2 * pad) * (i / (n - 1) if n > 1 else 0.5) for i in range(n)]
    segments, current = [], []
    for x, v in zip(xs, vals):
        if math.isnan(v):
            if current:
                segments.append(current)
            current = []
        else:
            current.append((x, height - pad - (height - 2 * pad) * v / top))
    if current:
        segments.append(current)
    parts = []
    for seg in segments:
        if len(seg) == 1:
            parts.append(SparkPart(cx=f"{seg[0][0]:.1f}", cy=f"{seg[0][1]:.1f}"))
        else:
            parts.append(SparkPart(points=" ".join(f"{x:.1f},{y:.1f}" for x, y in seg)))
    years = [int(y) for y in values.index]
    return Sparkline(width, height, f"{years[0]}–{years[-1]}, max {top:.2f}", parts)


def sparkline(values: pd.Series, *, width: int = 120, height: int = 24) -> str:
    """Inline SVG polyline of a year series; NaN (no documents) breaks the line ('' if all NaN)."""
    macros = environment().get_template("macros.html.j2").module
    return str(macros.sparkline(sparkline_shape(values, width=width, height=height)))


@dataclass(frozen=True)
class TermRow:
    """A row of the top formulations table, with the formulation's example paragraphs."""

    term: str
    count: object
    n_docs: object
    first_year_corpus: object
    last_year_corpus: object
    first_year_national: object
    trend: Sparkline | None
    examples: list[Example]


@dataclass(frozen=True)
class Ingest:
    status: Table | None
    n_problems: int
    problems: Table | None


# --------------------------------------------------------------------------- the page's sections
def _groups(docs: pd.DataFrame) -> list[tuple[str, Table | None]]:
    out = []
    for col, name in (("org", "机构 Organizations"), ("source", "来源 Sources")):
        if col in docs and docs[col].astype(str).str.strip().ne("").any():
            vc = docs[col].astype(str).str.strip().replace("", "(未知)").value_counts().head(20).rename_axis(col).reset_index(name="n")
            out.append((name, table(vc, [col, "n"], headers=[name, "文件数 documents"])))
    return out


def _ingest(log: pd.DataFrame) -> Ingest | None:
    if log.empty or "status" not in log:
        return None
    problems = log[log["status"].astype(str) != "ok"]
    status = log["status"].astype(str).value_counts().rename_axis("status").reset_index(name="n")
    return Ingest(table(status, ["status", "n"]), len(problems), table(problems.head(200), ["path", "status", "reason"]))


def _shares(shares: pd.DataFrame) -> Table | None:
    if shares.empty:
        return None
    pct = (shares * 100).round(1).reset_index()
    return table(pct, ["year", *shares.columns], headers=["年份 year", *[f"{x} %" for x in shares.columns]], digits=1)


def _term_rows(c, tt: pd.DataFrame, n_docs: pd.Series, index: trends.ExampleIndex) -> list[TermRow]:
    top = trends.top_terms(tt, REPORT_TERMS)
    if not top:
        return []
    first = c.first_appearance().set_index("term")
    totals = tt.groupby("term")["count"].sum()
    mat = trends.trend_matrix(tt, top, "per_10k", years=n_docs.index)
    examples = _term_examples(index, top)
    rows = []
    for term in top:
        row = first.loc[term] if term in first.index else {}
        got = [row.get(k) if hasattr(row, "get") else None for k in ("n_docs", "first_year_corpus", "last_year_corpus", "first_year_national")]
        rows.append(TermRow(term, totals.get(term), *got, sparkline_shape(mat[term]), example_items(examples[term])))
    return rows


def _candidates(cand: pd.DataFrame | None) -> Table | None:
    if cand is None or cand.empty:
        return None
    if "score" in cand:
        cand = cand.assign(_s=pd.to_numeric(cand["score"], errors="coerce")).sort_values("_s", ascending=False, kind="stable")
    return table(cand.head(30), ["term", "method", "score", "doc_freq", "years", "example"])


def _keywords(kw: pd.DataFrame | None) -> Table | None:
    if kw is None or kw.empty:
        return None
    kw = kw.assign(_s=pd.to_numeric(kw["score"], errors="coerce")).sort_values(["year", "_s"], ascending=[True, False])
    rows = kw.groupby("year", sort=True)["word"].apply(lambda s: "、".join(map(str, s.head(15)))).reset_index()
    method = ", ".join(sorted(set(map(str, kw["method"])))) if "method" in kw else "g2"
    return table(rows, ["year", "word"], headers=["年份 year", f"特征词 distinctive words ({method})"])


def page_context(c) -> dict:
    """The values of the page, from the run's tables ``c`` (a RunTables): everything but the
    figures and the embedded font."""
    n_docs = c.docs_per_year()
    docs = c.documents
    years = pd.to_numeric(docs["year"], errors="coerce") if "year" in docs else pd.Series(dtype=float)
    index = trends.ExampleIndex(c.paragraphs, c.documents, lexicon=c.lexicon, min_chars=EXAMPLE_MIN_CHARS)
    summary = {
        "n_documents": len(docs),
        "n_paragraphs": len(c.paragraphs),
        "span": f"{int(years.min())}–{int(years.max())}" if years.notna().any() else "–",
        "n_unknown": int(years.isna().sum()),
    }
    return {
        "summary": summary,
        "docs_per_year": None if n_docs.empty else table(n_docs.reset_index(), ["year", "n_docs"], headers=["年份 year", "文件数 documents"]),
        "groups": _groups(docs),
        "ingest": _ingest(c.ingest_log),
        "shares": _shares(c.shares(by="year")),
        "categories": [(cat, example_items(_examples(index, category=cat))) for cat in c.labels],
        "terms": _term_rows(c, term_trends(c), n_docs, index),
        "candidates": _candidates(c.candidates),
        "keywords": _keywords(c.keywords_by_year),
    }


# --------------------------------------------------------------------------- figures, font, page
def _pngs(figures: Iterable[Path]) -> dict[str, Path]:
    return {Path(p).stem: Path(p) for p in figures if Path(p).suffix == ".png" and Path(p).is_file()}


def embedded_font(page: str) -> str | None:
    """Base64 WOFF subset of the bundled CJK font with exactly the characters of the page
    (~100-300 kB), so the report's Chinese text renders on machines without CJK fonts (the CSS
    lists system CJK fonts first). None if the page has no such characters or the font cannot
    be read."""
    chars = {ch for ch in set(page) if ord(ch) > 127}
    if not chars:
        return None
    try:
        from pipeline.report.fonts import bundled_font

        woff = bundled_font().woff("".join(sorted(chars)) + "".join(chr(i) for i in range(32, 127)))
    except Exception:  # the report stays valid without the embedded font
        return None
    return base64.b64encode(woff).decode("ascii")


def render_page(context: dict, pngs: dict[str, Path]) -> str:
    """The page from :func:`page_context` values and the figures (name -> PNG path): rendered
    once to learn its characters, then again with their font subset."""
    template = environment().get_template(TEMPLATE)
    figures = {key: base64.b64encode(path.read_bytes()).decode("ascii") for key, path in pngs.items()}
    values = {**context, "figures": figures, "font_family": EMBEDDED_FONT}
    page = template.render(values, woff=None)
    woff = embedded_font(page)
    return page if woff is None else template.render(values, woff=woff)


def write_report(out_dir: Path | str, *, figures: Iterable[Path] | Callable[[], Iterable[Path]] | None = None) -> Path:
    """Write ``OUT_DIR/report.html``: one self-contained, fully escaped page (no scripts, no
    external requests). Embeds ``figures``: PNG paths, or a function returning them, called once
    the page's values are gathered (so a drawing process makes the charts meanwhile); by default
    the standard figures in ``OUT_DIR/figures`` when they are newer than the tables, else it
    draws them first."""
    from pipeline import store

    out_dir = Path(out_dir)
    c = load_tables(out_dir)
    wait = figures if callable(figures) else None
    pngs: dict[str, Path] = {}
    if wait is None:
        pngs = _pngs(list(figures) if figures is not None else (current_figures(out_dir) or make_figures(out_dir)))
    context = page_context(c)
    if wait is not None:
        pngs = _pngs(wait())
    path = out_dir / "report.html"
    store.write_text(path, render_page(context, pngs))
    return path
