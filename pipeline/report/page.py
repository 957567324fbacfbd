"""``OUT_DIR/report.html``: one self-contained page to look things up in, from the Jinja2
template ``pipeline/report/templates/report.html.j2`` (package data, loaded with
``jinja2.PackageLoader``, so it works from an installed wheel).

Computes no statistics: :func:`page_context` gathers the numbers of the run's tables
(:class:`pipeline.store.runs.RunTables`, :mod:`pipeline.trends`) and the rows and concordance
lines of :mod:`pipeline.report.lookup` into plain values, the template lays them out.

Safe and self-contained: autoescaping is on and every value the template writes goes through
:func:`escape`; the data the page's script reads is one ``<script type="application/json">``
block written by :func:`json_script` (``<``, ``>``, ``&``, U+2028/2029 escaped); the page's only
script and style sheet are ``templates/report.js`` and ``report.css``, inline, and its
Content-Security-Policy allows exactly those by their sha256 (:func:`content_security_policy`),
``data:`` images and fonts, and nothing else: no request leaves the page. The charts are
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
from pipeline.report import lookup
from pipeline.report.figures import category_intervals, classifier_info, current_figures, is_experimental, load_tables, make_figures, term_trends

TEMPLATE = "report.html.j2"
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


def sparkline_shape(values: pd.Series, *, width: int = 120, height: int = 24, years: Sequence[int] | None = None) -> Sparkline | None:
    """The geometry of :func:`sparkline`; None if there is nothing to draw. ``values`` is a year
    series, or a plain sequence of floats with their ``years``."""
    if years is None:
        vals = pd.to_numeric(values, errors="coerce").astype(float).tolist()
        years = [int(y) for y in values.index]
    else:
        vals = [float(v) for v in values]
    known = [v for v in vals if not math.isnan(v)]
    if not known:
        return None
    top = max(known) or 1.0
    n = len(vals)
    pad = 2
    segments, current = [], []
    for i, v in enumerate(vals):
        if math.isnan(v):
            if current:
                segments.append(current)
            current = []
        else:
            current.append((pad + (width - 2 * pad) * (i / (n - 1) if n > 1 else 0.5), height - pad - (height - 2 * pad) * v / top))
    if current:
        segments.append(current)
    parts = []
    for seg in segments:
        if len(seg) == 1:
            parts.append(SparkPart(cx=f"{seg[0][0]:.0f}", cy=f"{seg[0][1]:.0f}"))
        else:
            parts.append(SparkPart(points=" ".join(f"{x:.0f},{y:.0f}" for x, y in seg)))
    return Sparkline(width, height, f"{years[0]}–{years[-1]}, max {top:.2f}", parts)


def sparkline(values: pd.Series, *, width: int = 120, height: int = 24) -> str:
    """Inline SVG polyline of a year series; NaN (no documents) breaks the line ('' if all NaN)."""
    macros = environment().get_template("macros.html.j2").module
    return str(macros.sparkline(sparkline_shape(values, width=width, height=height)))


# --------------------------------------------------------------------------- the page's sections
@dataclass(frozen=True)
class Ingest:
    status: Table | None
    n_problems: int
    problems: Table | None


@dataclass(frozen=True)
class Category:
    """A row of the categories table: its paragraphs, characters, and example paragraphs."""

    label: str
    n_paragraphs: object
    n_chars: object
    examples: list


@dataclass(frozen=True)
class Shares:
    """The category shares section: by-year table (with intervals when the run has them)."""

    table: Table | None
    raw: Table | None  # classify-and-count shares, when the run corrected them
    has_intervals: bool
    small_years: list[int]
    method: str
    experimental: bool


@dataclass(frozen=True)
class Quality:
    """The classifier quality section (``classifier.json``); ``measured`` False without one."""

    measured: bool
    taxonomy: str = ""
    model: str = ""
    evaluation: str = ""
    macro_f1: object = None
    macro_f1_low: object = None
    macro_f1_high: object = None
    cv_macro_f1: object = None
    uncertain_share: object = None
    sites_macro_f1: object = None
    sites_macro_f1_low: object = None
    sites_macro_f1_high: object = None
    share_method: str = ""
    experimental: bool = False
    n_labels: object = None
    per_class: Table | None = None


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


def _number(value) -> float | None:
    try:
        v = float(value)
    except (TypeError, ValueError):
        return None
    return None if math.isnan(v) else v


def quality(info: dict | None) -> Quality:
    """The classifier quality section from the run's classifier.json (None: not measured)."""
    if not info:
        return Quality(False)
    per = info.get("per_class_f1") or {}
    per_class = None
    if isinstance(per, dict) and per:
        rows = [(str(k), _number(v)) for k, v in per.items()]
        per_class = Table(["类别 category", "F1"], rows, 2)
    text = {k: "" if _missing(info.get(k)) else str(info.get(k)) for k in ("taxonomy", "model", "evaluation", "share_method")}
    numbers = (
        "macro_f1",
        "macro_f1_low",
        "macro_f1_high",
        "cv_macro_f1",
        "uncertain_share",
        "sites_macro_f1",
        "sites_macro_f1_low",
        "sites_macro_f1_high",
    )
    return Quality(
        True,
        **text,
        **{k: _number(info.get(k)) for k in numbers},
        experimental=is_experimental(info),
        n_labels=info.get("n_labels"),
        per_class=per_class,
    )


def _pct(v) -> str:
    return "–" if v is None or _missing(v) else f"{float(v) * 100:.1f}"


def shares_section(c, n_docs: pd.Series, info: dict | None) -> Shares:
    """The by-year shares: ``share`` (corrected, when the run corrected it) in percent with its
    95% interval ``[low–high]`` when the table has one; years of fewer than 5 documents marked †."""
    labels = c.labels
    shares = c.shares(by="year")
    low, high, small = category_intervals(c, labels, n_docs)
    cs = c.category_shares
    has_raw = cs is not None and not cs.empty and "share_raw" in cs.columns
    method = str((info or {}).get("share_method") or "")
    if shares.empty:
        return Shares(None, None, low is not None, small, method, is_experimental(info))
    shares = shares.reindex(columns=labels)
    rows = []
    for year, row in shares.iterrows():
        y = int(year)
        if row.isna().all():  # a year without documents (or without classified paragraphs)
            continue
        cells = []
        for cat in labels:
            v = row.get(cat)
            if low is not None and high is not None and y in low.index and not _missing(v):
                cells.append(f"{_pct(v)} [{_pct(low.at[y, cat])}–{_pct(high.at[y, cat])}]")
            else:
                cells.append(_pct(v))
        n = n_docs.get(y) if n_docs is not None else None
        rows.append((f"{y} †" if y in small else y, "–" if _missing(n) else int(n), *cells))
    unit = "% [95% 区间 interval]" if low is not None else "%"
    main = Table(["年份 year", "文件数 documents", *[f"{cat} {unit}" for cat in labels]], rows, 1)
    raw = None
    if has_raw:
        rm = trends.category_matrix(cs, labels, value="share_raw")
        raw = Table(
            ["年份 year", *[f"{cat} %" for cat in labels]], [(int(y), *[_pct(v) for v in r]) for y, r in zip(rm.index, rm.itertuples(index=False))], 1
        )
    return Shares(main, raw, low is not None, small, method, is_experimental(info))


def categories(c, docs: lookup.DocList) -> list[Category]:
    cs = c.category_shares
    totals = {}
    if cs is not None and not cs.empty and "category" in cs:
        for col in ("n_paragraphs", "n_chars"):
            if col in cs:
                totals[col] = pd.to_numeric(cs[col], errors="coerce").groupby(cs["category"].astype(str)).sum()
    examples = lookup.category_examples(c.paragraphs, docs, c.labels)
    out = []
    for lab in c.labels:
        got = [totals[col].get(lab) if col in totals else None for col in ("n_paragraphs", "n_chars")]
        out.append(Category(lab, *[None if _missing(v) else int(v) for v in got], examples.get(lab, [])))
    return out


def _keywords(kw: pd.DataFrame | None) -> Table | None:
    if kw is None or kw.empty:
        return None
    kw = kw.assign(_s=pd.to_numeric(kw["score"], errors="coerce")).sort_values(["year", "_s"], ascending=[True, False])
    rows = kw.groupby("year", sort=True)["word"].apply(lambda s: "、".join(map(str, s.head(15)))).reset_index()
    method = ", ".join(sorted(set(map(str, kw["method"])))) if "method" in kw else "g2"
    return table(rows, ["year", "word"], headers=["年份 year", f"特征词 distinctive words ({method})"])


# --------------------------------------------------------------------------- the page's data (JSON)
def json_script(data) -> Markup:
    """``data`` as JSON for a ``<script type="application/json">`` block: ``<``, ``>``, ``&`` and
    U+2028/U+2029 written as ``\\uXXXX`` escapes, so no text can end the block or open a tag."""
    import json

    text = json.dumps(data, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    for ch in "<>&\u2028\u2029":
        text = text.replace(ch, f"\\u{ord(ch):04x}")
    return Markup(text)


def _lines_data(lines: list[lookup.Line], used: dict[int, int]) -> list[list]:
    return [[used.setdefault(line.doc, len(used)), line.left, line.match, line.right] for line in lines]


def page_data(docs: lookup.DocList, term_lines: dict, terms: list, cand_lines: dict, cands: list) -> dict:
    """What the page's script reads: the documents the lines cite (title, path, year) and the
    concordance lines of each formulation and candidate (by row index)."""
    used: dict[int, int] = {}
    term_data = [_lines_data(term_lines.get(t.term, []), used) for t in terms]
    cand_data = [_lines_data(cand_lines.get(r.term, []), used) for r in cands]
    doc_rows = [None] * len(used)
    for i, j in used.items():
        title, path, year = docs.rows[i]
        doc_rows[j] = [title, path, year]
    return {"docs": doc_rows, "terms": term_data, "cands": cand_data, "counts": [t.count for t in terms]}


def page_context(c) -> dict:
    """The values of the page, from the run's tables ``c`` (a RunTables): everything but the
    figures, the embedded font and the page's script and style."""
    n_docs = c.docs_per_year()
    docs = c.documents
    years = pd.to_numeric(docs["year"], errors="coerce") if "year" in docs else pd.Series(dtype=float)
    summary = {
        "n_documents": len(docs),
        "n_paragraphs": len(c.paragraphs),
        "span": f"{int(years.min())}–{int(years.max())}" if years.notna().any() else "–",
        "n_unknown": int(years.isna().sum()),
    }
    info = classifier_info(c)
    doc_list = lookup.DocList(docs)
    lexicon = lookup.run_lexicon(c)
    terms = lookup.term_rows(c, term_trends(c), n_docs, sparkline_shape, lexicon)
    cap = lookup.lines_per_term(t.count for t in terms)
    conc = lookup.Concordance(c.paragraphs, doc_list)
    finder = lookup.lexicon_finder(lexicon) if terms else None
    term_lines = conc.collect(finder, cap) if finder is not None else {}
    cands = lookup.candidate_rows(c.candidates)
    cand_finder = lookup.literal_finder([r.term for r in cands])
    cand_lines = conc.collect(cand_finder, lookup.CANDIDATE_LINES) if cand_finder is not None else {}
    return {
        "summary": summary,
        "docs_per_year": None if n_docs.empty else table(n_docs.reset_index(), ["year", "n_docs"], headers=["年份 year", "文件数 documents"]),
        "groups": _groups(docs),
        "ingest": _ingest(c.ingest_log),
        "shares": shares_section(c, n_docs, info),
        "categories": categories(c, doc_list),
        "docs": doc_list.rows,
        "quality": quality(info),
        "terms": terms,
        "lines_per_term": cap,
        "n_tifa": sum(t.kind == lookup.TIFA for t in terms),
        "candidates": [r for r in cands if not r.variant_of],
        "variants": [r for r in cands if r.variant_of],
        "has_candidates": c.candidates is not None and not c.candidates.empty,
        "candidate_lines": lookup.CANDIDATE_LINES,
        "keywords": _keywords(c.keywords_by_year),
        "data": json_script(page_data(doc_list, term_lines, terms, cand_lines, cands)),
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


def _static(name: str) -> str:
    """A file of the templates folder as text (the page's script and style sheet)."""
    env = environment()
    return env.loader.get_source(env, name)[0]


def style_text(woff: str | None) -> str:
    css = _static("report.css").strip()
    if woff is not None:
        css += f'\n@font-face{{font-family:"{EMBEDDED_FONT}";src:url(data:font/woff;base64,{woff}) format("woff")}}'
    return css


def script_text() -> str:
    """templates/report.js as the page holds it (blank lines left out)."""
    return "\n".join(line for line in _static("report.js").strip().splitlines() if line.strip())


def csp_hash(text: str) -> str:
    """The CSP source of an inline element's exact content: ``'sha256-…'``."""
    import hashlib

    return "'sha256-" + base64.b64encode(hashlib.sha256(text.encode("utf-8")).digest()).decode("ascii") + "'"


def content_security_policy(style: str, script: str) -> str:
    """Only the page's own inline style and script (by hash), data: images and fonts; nothing
    else: no other script or style, no requests, no forms, no base URL."""
    return (
        f"default-src 'none'; img-src data:; font-src data:; style-src {csp_hash(style)}; script-src {csp_hash(script)}; "
        "base-uri 'none'; form-action 'none'"
    )


def render_page(context: dict, pngs: dict[str, Path]) -> str:
    """The page from :func:`page_context` values and the figures (name -> PNG path), rendered
    once with stand-ins for its style sheet and policy; then the font subset of the page's
    characters goes into the style sheet, and the policy gets the hashes of the style sheet and
    the script as they finally are."""
    import secrets

    template = environment().get_template(TEMPLATE)
    figures = {key: base64.b64encode(path.read_bytes()).decode("ascii") for key, path in pngs.items()}
    script = script_text()
    token = secrets.token_hex(16)  # not in the output: any random stand-in gives the same page
    style_at, csp_at = f"@@style-{token}@@", f"@@csp-{token}@@"
    page = template.render(
        {**context, "figures": figures, "font_family": EMBEDDED_FONT, "script": Markup(script)}, style=Markup(style_at), csp=Markup(csp_at)
    )
    if page.count(style_at) != 1 or page.count(csp_at) != 1:  # pragma: no cover - a broken template
        raise RuntimeError("report.html.j2 must write {{ style }} and {{ csp }} exactly once")
    style = style_text(embedded_font(page.replace(style_at, "").replace(csp_at, "")))
    return page.replace(csp_at, html.escape(content_security_policy(style, script), quote=True)).replace(style_at, style)


def write_report(out_dir: Path | str, *, figures: Iterable[Path] | Callable[[], Iterable[Path]] | None = None) -> Path:
    """Write ``OUT_DIR/report.html``: one self-contained, fully escaped page (its only script and
    style are its own, allowed by hash; no external requests). Embeds ``figures``: PNG paths, or
    a function returning them, called once the page's values are gathered (so a drawing process
    makes the charts meanwhile); by default the standard figures in ``OUT_DIR/figures`` when
    they are newer than the tables, else it draws them first."""
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
