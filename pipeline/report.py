"""Charts (PNG + SVG) and one self-contained HTML report from a finished run's OUT_DIR.

Computes no statistics: every number comes from the run's tables or from
:mod:`pipeline.trends`. Figures are ``matplotlib.figure.Figure`` objects on the Agg canvas
(never pyplot, never at import) drawn inside
:func:`pipeline.fonts.font_context` (a CJK font, never global rcParams) and written
atomically (temp file + rename) through :mod:`pipeline.store`.
"""

from __future__ import annotations

import base64
import html
import math
import re
import hashlib
from pathlib import Path
from typing import Iterable, Sequence

import pandas as pd

from pipeline import trends
from pipeline.errors import InputError

MEASURE_LABELS = {
    "per_10k": "每万字出现次数 (per 10,000 chars)",
    "doc_share": "使用该提法的文件占比 (share of documents)",
    "count": "出现次数 (count)",
}
FIGURE_FORMATS = ("png", "svg")
HEATMAP_TERMS = 20
TREND_TERMS = 6
TIMELINE_TERMS = 30
KEYWORDS_PER_YEAR = 8
KEYWORD_PANELS = 20
REPORT_TERMS = 20
REPORT_EXAMPLES = 3


# --------------------------------------------------------------------------- plumbing
class _Figures:
    """Figures without pyplot: ``matplotlib.figure.Figure`` objects drawn on the Agg canvas.

    No global figure registry (nothing to close, nothing leaks in a long run) and no backend
    switch, so a notebook's inline backend keeps working when the API returns a figure.
    """

    @staticmethod
    def subplots(nrows: int = 1, ncols: int = 1, *, figsize=(6.4, 4.8), squeeze: bool = True):
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from matplotlib.figure import Figure

        fig = Figure(figsize=figsize)
        FigureCanvasAgg(fig)
        return fig, fig.subplots(nrows, ncols, squeeze=squeeze)

    @staticmethod
    def get_cmap(name: str):
        import matplotlib

        return matplotlib.colormaps[name]

    @staticmethod
    def close(fig) -> None:
        fig.clear()


def _pyplot() -> _Figures:
    return _Figures()


def slug(text: str, max_len: int = 60) -> str:
    """File-name-safe slug that keeps Chinese characters: '两个维护 四个意识' -> '两个维护_四个意识'."""
    s = re.sub(r"[^\w]+", "_", text, flags=re.UNICODE).strip("_") or "terms"
    if len(s) > max_len:
        s = s[: max_len - 9] + "_" + hashlib.sha1(text.encode("utf-8")).hexdigest()[:8]
    return s


def save_figure(fig, out_dir: Path | str, name: str, *, dpi: int = 150) -> list[Path]:
    """Write ``fig`` as ``out_dir/name.png`` and ``.svg`` atomically; close it; return paths."""
    from pipeline import store

    paths = []
    fig.canvas.draw()  # one layout pass; the tight box is reused by every format
    bbox = fig.get_tightbbox(fig.canvas.get_renderer()).padded(0.1)
    for fmt in FIGURE_FORMATS:
        path = Path(out_dir) / f"{name}.{fmt}"
        with store.atomic_path(path) as tmp:
            fig.savefig(tmp, format=fmt, dpi=dpi, bbox_inches=bbox, metadata=_metadata(fmt))
        paths.append(path)
    _pyplot().close(fig)
    return paths


def _metadata(fmt: str) -> dict:
    # no creation date: the same data gives the same file
    return {"Date": None} if fmt == "svg" else {}


def _year_axis(ax, years: Sequence[int]) -> None:
    from matplotlib.ticker import MaxNLocator

    ax.xaxis.set_major_locator(MaxNLocator(integer=True, nbins=min(12, max(len(years), 1))))
    if years:
        ax.set_xlim(min(years) - 0.6, max(years) + 0.6)


def _isolated(values: pd.Series) -> bool:
    """True if some non-NaN point has NaN on both sides (a line or area would not show it)."""
    ok = values.notna().tolist()
    return any(v and (i == 0 or not ok[i - 1]) and (i == len(ok) - 1 or not ok[i + 1]) for i, v in enumerate(ok))


def _empty_figure(plt, message: str):
    fig, ax = plt.subplots(figsize=(6, 2))
    ax.axis("off")
    ax.text(0.5, 0.5, message, ha="center", va="center", fontsize=12)
    return fig


# --------------------------------------------------------------------------- figures (pure drawing)
def category_figure(shares: pd.DataFrame, n_docs: pd.Series | None = None):
    """(a) Category shares by year: stacked area (bars with < 3 years or isolated years);
    missing years shaded as gaps; documents per year written above."""
    plt = _pyplot()
    if shares is None or shares.empty or shares.notna().sum().sum() == 0:
        return _empty_figure(plt, "没有已分类的段落 (no labelled paragraphs)")
    years = [int(y) for y in shares.index]
    n_known = int(shares.notna().all(axis=1).sum())
    fig, ax = plt.subplots(figsize=(max(6, 0.5 * len(years) + 3), 4.5))
    colors = plt.get_cmap("tab10").colors
    row_ok = shares.notna().all(axis=1)
    use_bars = n_known < 3 or _isolated(row_ok.where(row_ok))
    bottom = pd.Series(0.0, index=shares.index)
    for i, cat in enumerate(shares.columns):
        vals = shares[cat].where(row_ok)
        if use_bars:
            ax.bar(years, vals.fillna(0).where(row_ok, 0), bottom=bottom, width=0.7, color=colors[i % 10], label=str(cat))
        else:
            ax.fill_between(years, bottom.where(row_ok), (bottom + vals).where(row_ok), color=colors[i % 10], label=str(cat), linewidth=0)
        bottom = bottom + vals.fillna(0)
    missing = [y for y, ok in zip(years, row_ok) if not ok]
    for j, y in enumerate(missing):
        ax.axvspan(y - 0.5, y + 0.5, color="0.92", zorder=0, label="无文档 (no documents)" if j == 0 else None)
    if n_docs is not None and len(n_docs):
        for y in years:
            n = int(n_docs.get(y, 0)) if not pd.isna(n_docs.get(y, 0)) else 0
            ax.text(y, 1.02, f"n={n}", ha="center", va="bottom", fontsize=7, transform=ax.get_xaxis_transform())
    ax.set_ylim(0, 1)
    _year_axis(ax, years)
    ax.set_ylabel("按字数计的段落占比 (share of characters)")
    ax.set_title("党建类别占比（按年） Category shares by year", pad=18)
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1), fontsize=8, frameon=False)
    return fig


def heatmap_figure(matrix: pd.DataFrame, measure: str = "per_10k"):
    """(b) Heatmap: formulations (rows) x years (columns); grey = year without documents."""
    plt = _pyplot()
    import numpy as np

    if matrix is None or matrix.empty or matrix.shape[1] == 0:
        return _empty_figure(plt, "没有提法计数 (no formulation counts)")
    data = matrix.T  # rows: terms, columns: years
    years = [int(y) for y in data.columns]
    fig, ax = plt.subplots(figsize=(max(6, 0.45 * len(years) + 3.5), max(3, 0.32 * len(data) + 1.5)))
    cmap = plt.get_cmap("YlOrRd").with_extremes(bad="0.85")
    arr = np.ma.masked_invalid(data.to_numpy(dtype=float))
    im = ax.imshow(arr, aspect="auto", cmap=cmap, interpolation="nearest", vmin=0)
    ax.set_yticks(range(len(data)), [str(t) for t in data.index], fontsize=9)
    step = max(1, math.ceil(len(years) / 20))
    ax.set_xticks(range(0, len(years), step), [str(y) for y in years[::step]], rotation=90 if len(years) > 8 else 0, fontsize=8)
    fig.colorbar(im, ax=ax, shrink=0.8).set_label(MEASURE_LABELS.get(measure, measure), fontsize=8)
    ax.set_title(f"主要提法逐年热力图 Top formulations by year ({measure})")
    return fig


def terms_figure(matrix: pd.DataFrame, measure: str = "per_10k", n_docs: pd.Series | None = None, title: str | None = None):
    """(c) Trend of chosen formulations: lines with markers (gaps where a year has no documents);
    grouped bars when fewer than 3 years have documents."""
    plt = _pyplot()
    if matrix is None or matrix.empty or matrix.shape[1] == 0:
        return _empty_figure(plt, "没有可画的提法 (no formulations to plot)")
    years = [int(y) for y in matrix.index]
    known = matrix.notna().any(axis=1)
    fig, ax = plt.subplots(figsize=(max(6.5, 0.45 * len(years) + 3), 4.5))
    if int(known.sum()) < 3:
        width = 0.8 / matrix.shape[1]
        for i, term in enumerate(matrix.columns):
            xs = [y - 0.4 + width * (i + 0.5) for y in years]
            ax.bar(xs, matrix[term].fillna(0), width=width, label=str(term))
    else:
        for term in matrix.columns:
            ax.plot(years, matrix[term], marker="o", markersize=4, label=str(term))
    if n_docs is not None and len(n_docs):
        for y in years:
            n = n_docs.get(y, 0)
            ax.text(y, 1.01, f"n={0 if pd.isna(n) else int(n)}", ha="center", va="bottom", fontsize=7, transform=ax.get_xaxis_transform())
    _year_axis(ax, years)
    ax.set_ylim(bottom=0)
    ax.set_ylabel(MEASURE_LABELS.get(measure, measure))
    ax.set_title(title or f"提法趋势 Formulation trends ({measure})", pad=16)
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1), fontsize=9, frameon=False)
    ax.grid(axis="y", alpha=0.3)
    return fig


def timeline_figure(first: pd.DataFrame):
    """(d) Years each formulation is used in the corpus (first to last) against its national
    first year from the lexicon."""
    plt = _pyplot()
    if first is None or first.empty:
        return _empty_figure(plt, "没有提法计数 (no formulation counts)")
    first = first.dropna(subset=["first_year_corpus"]).head(TIMELINE_TERMS).iloc[::-1]
    if first.empty:
        return _empty_figure(plt, "提法的年份未知 (years unknown)")
    fig, ax = plt.subplots(figsize=(8, max(3, 0.3 * len(first) + 1.5)))
    ys = range(len(first))
    fc = first["first_year_corpus"].astype(float)
    lc = first["last_year_corpus"].astype(float)
    nat = pd.to_numeric(first["first_year_national"], errors="coerce").astype(float)
    ax.hlines(list(ys), fc, lc, color="0.6", linewidth=2, label="语料中使用年份 (used in corpus)")
    ax.scatter(fc, list(ys), color="tab:blue", zorder=3, s=25, label="语料中首次出现 (first in corpus)")
    # a national year long before the corpus (e.g. 1921) would squash the chart: clip it to the
    # left edge, drawn as an arrow with its year written next to it
    left = int(fc.min()) - 6
    has_nat = nat.notna()
    inside = has_nat & (nat >= left)
    clipped = has_nat & (nat < left)
    ylist = list(ys)
    if inside.any():
        ax.scatter(nat[inside], [y for y, ok in zip(ylist, inside) if ok], marker="D", color="tab:red", zorder=4, s=25, label="全国首次提出 (national first year)")
    for y, ok, year in zip(ylist, clipped, nat):
        if ok:
            ax.scatter([left], [y], marker="<", color="tab:red", zorder=4, s=30)
            ax.annotate(str(int(year)), (left, y), xytext=(6, 0), textcoords="offset points", va="center", fontsize=7, color="tab:red")
    ax.set_yticks(ylist, [str(t) for t in first["term"]], fontsize=9)
    years = [int(v) for v in pd.concat([fc, lc, nat[inside]]).dropna()] + [left]
    _year_axis(ax, trends.year_range(years))
    ax.grid(axis="x", alpha=0.3)
    ax.set_title("提法首次出现：语料 vs 全国 First appearance: corpus vs national")
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.08), ncol=3, fontsize=8, frameon=False)
    return fig


def keywords_figure(keywords: pd.DataFrame, per_year: int = KEYWORDS_PER_YEAR):
    """(e) Small multiples: the most distinctive words of each year (latest years if many)."""
    plt = _pyplot()
    if keywords is None or keywords.empty:
        return _empty_figure(plt, "没有关键词 (no keywords)")
    kw = keywords.copy()
    kw["year"] = pd.to_numeric(kw["year"], errors="coerce")
    kw = kw.dropna(subset=["year"])
    years = sorted(int(y) for y in kw["year"].unique())[-KEYWORD_PANELS:]
    if not years:
        return _empty_figure(plt, "没有关键词 (no keywords)")
    ncols = min(4, len(years))
    nrows = math.ceil(len(years) / ncols)
    fig, axes = plt.subplots(nrows, ncols, figsize=(3.2 * ncols, 0.28 * per_year * nrows + 0.9 * nrows), squeeze=False)
    for ax, year in zip(axes.flat, years):
        sub = kw[kw["year"] == year].sort_values("score", ascending=False).head(per_year).iloc[::-1]
        words = [w if len(w) <= 8 else w[:7] + "…" for w in map(str, sub["word"])]
        ax.barh(range(len(sub)), pd.to_numeric(sub["score"], errors="coerce"), color="tab:red", alpha=0.75)
        ax.set_yticks(range(len(sub)), words)
        ax.set_title(str(year), fontsize=10)
        ax.tick_params(axis="y", labelsize=9)
        ax.tick_params(axis="x", labelsize=7)
    for ax in list(axes.flat)[len(years):]:
        ax.axis("off")
    method = str(kw["method"].iloc[0]) if "method" in kw and len(kw) else "g2"
    fig.suptitle(f"各年特征词 Distinctive keywords per year (score: {method})")
    fig.tight_layout()
    return fig


def documents_figure(n_docs: pd.Series):
    """(f) Number of documents per year."""
    plt = _pyplot()
    if n_docs is None or n_docs.empty:
        return _empty_figure(plt, "没有已知年份的文件 (no documents with a year)")
    fig, ax = plt.subplots(figsize=(max(6, 0.4 * len(n_docs) + 2), 3.2))
    ax.bar([int(y) for y in n_docs.index], n_docs.values, color="tab:blue")
    _year_axis(ax, [int(y) for y in n_docs.index])
    ax.set_ylabel("文件数 (documents)")
    ax.set_title("每年文件数 Documents per year")
    return fig


# --------------------------------------------------------------------------- from a run folder
def _corpus(out_dir, skip: Iterable[str] = ()):
    from pipeline.api import Corpus

    out_dir = Path(out_dir)
    if not out_dir.is_dir():
        raise InputError(f"output folder {out_dir} does not exist", f"run `dangjian run RAW_DIR --out {out_dir}` first")
    return Corpus.load(out_dir, skip=skip)


def _term_trends(c) -> pd.DataFrame:
    return c._term_trends()


FIGURE_NAMES = ("category_shares", "heatmap_terms", "trend_terms", "first_appearance", "keywords_by_year", "documents_per_year")


def make_figures(out_dir: Path | str, *, dpi: int = 150, terms: Sequence[str] | None = None, measure: str = "per_10k", only: Iterable[str] | None = None) -> list[Path]:
    """Draw every chart of a finished run into ``OUT_DIR/figures/`` (PNG and SVG); return paths.

    (a) category_shares, (b) heatmap_terms, (c) trend_terms (``terms``, default the top 6 by
    count), (d) first_appearance, (e) keywords_by_year, (f) documents_per_year. ``only`` draws a
    subset (names from FIGURE_NAMES), so the charts can be split across processes."""
    from pipeline.fonts import font_context

    measure = getattr(measure, "value", measure)
    if measure not in ("per_10k", "doc_share"):
        raise InputError(f"unknown measure {measure!r}", "use per_10k or doc_share")
    wanted = set(FIGURE_NAMES if only is None else only)
    c = _corpus(out_dir, skip=("paragraphs",))  # charts never need the paragraph texts
    fig_dir = Path(out_dir) / "figures"
    tt = _term_trends(c)
    n_docs = c.docs_per_year()
    paths: list[Path] = []
    with font_context():
        if "category_shares" in wanted:
            labels = c.labels
            shares = c.shares(by="year")
            paths += save_figure(category_figure(shares.reindex(columns=labels) if not shares.empty else shares, n_docs), fig_dir, "category_shares", dpi=dpi)
        if "heatmap_terms" in wanted:
            heat_terms = trends.top_terms(tt, HEATMAP_TERMS)
            paths += save_figure(heatmap_figure(trends.trend_matrix(tt, heat_terms, measure, years=n_docs.index), measure), fig_dir, "heatmap_terms", dpi=dpi)
        if "trend_terms" in wanted:
            chosen = list(terms) if terms else trends.top_terms(tt, TREND_TERMS)
            paths += save_figure(terms_figure(trends.trend_matrix(tt, chosen, measure, years=n_docs.index), measure, n_docs), fig_dir, "trend_terms", dpi=dpi)
        if "first_appearance" in wanted:
            first = c.first_appearance()
            if not first.empty:
                first = first.sort_values("n_docs", ascending=False, kind="stable").head(TIMELINE_TERMS)
                first = first.sort_values(["first_year_corpus", "term"], na_position="last")
            paths += save_figure(timeline_figure(first), fig_dir, "first_appearance", dpi=dpi)
        if "keywords_by_year" in wanted:
            paths += save_figure(keywords_figure(c.keywords_by_year), fig_dir, "keywords_by_year", dpi=dpi)
        if "documents_per_year" in wanted:
            paths += save_figure(documents_figure(n_docs), fig_dir, "documents_per_year", dpi=dpi)
    return paths


def plot_terms(out_dir: Path | str, terms: Sequence[str], *, measure: str = "per_10k", dpi: int = 150) -> list[Path]:
    """``figures/terms_<slug>.png/.svg``: trend of the given formulations."""
    from pipeline.fonts import font_context

    measure = getattr(measure, "value", measure)
    c = _corpus(out_dir)
    with font_context():
        fig = terms_figure(c.trend(*terms, measure=measure), measure, c.docs_per_year())
        return save_figure(fig, Path(out_dir) / "figures", f"terms_{slug(' '.join(terms))}", dpi=dpi)


# --------------------------------------------------------------------------- HTML
def e(value) -> str:
    """HTML-escape anything (None/NaN -> empty)."""
    if value is None or (isinstance(value, float) and math.isnan(value)) or value is pd.NA:
        return ""
    return html.escape(str(value), quote=True)


def _fmt(value, digits: int = 2) -> str:
    if value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value)):
        return "–"
    if isinstance(value, float):
        return f"{value:.{digits}f}"
    return e(value)


def _table(df: pd.DataFrame, columns: Sequence[str] | None = None, *, headers: Sequence[str] | None = None, digits: int = 2) -> str:
    if df is None or df.empty:
        return '<p class="muted">（无 none）</p>'
    columns = [c for c in (columns or list(df.columns)) if c in df.columns]
    heads = headers or columns
    out = ["<table><thead><tr>", *[f"<th>{e(h)}</th>" for h in heads], "</tr></thead><tbody>"]
    for rec in df[columns].itertuples(index=False, name=None):
        out.append("<tr>" + "".join(f"<td>{_fmt(v, digits)}</td>" for v in rec) + "</tr>")
    out.append("</tbody></table>")
    return "".join(out)


def sparkline(values: pd.Series, *, width: int = 120, height: int = 24) -> str:
    """Inline SVG polyline of a year series; NaN (no documents) breaks the line."""
    vals = pd.to_numeric(values, errors="coerce").astype(float)
    if vals.empty or vals.notna().sum() == 0:
        return ""
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
            parts.append(f'<circle cx="{seg[0][0]:.1f}" cy="{seg[0][1]:.1f}" r="1.5" fill="#c0392b"/>')
        else:
            pts = " ".join(f"{x:.1f},{y:.1f}" for x, y in seg)
            parts.append(f'<polyline points="{pts}" fill="none" stroke="#c0392b" stroke-width="1.5"/>')
    years = [int(y) for y in values.index]
    label = e(f"{years[0]}–{years[-1]}, max {top:.2f}")
    return f'<svg class="spark" width="{width}" height="{height}" viewBox="0 0 {width} {height}" role="img" aria-label="{label}"><title>{label}</title>{"".join(parts)}</svg>'


def _img(path: Path, alt: str) -> str:
    data = base64.b64encode(Path(path).read_bytes()).decode("ascii")
    return f'<figure><img alt="{e(alt)}" src="data:image/png;base64,{data}"><figcaption>{e(alt)}</figcaption></figure>'


def _examples_html(ex: pd.DataFrame, *, max_chars: int = 300) -> str:
    if ex is None or ex.empty:
        return '<p class="muted">（没有例句 no examples）</p>'
    items = []
    for rec in ex.to_dict("records"):
        text = str(rec.get("text", ""))
        if len(text) > max_chars:
            text = text[:max_chars] + "…"
        year = rec.get("year")
        year = "年份未知" if year is None or pd.isna(year) else int(year)
        items.append(f'<li><q>{e(text)}</q> <span class="src">— 《{e(rec.get("title", ""))}》, {e(year)} ({e(rec.get("doc_id"))})</span></li>')
    return "<ul class=\"ex\">" + "".join(items) + "</ul>"


CSS = """
body{font-family:"Noto Sans CJK SC","Source Han Sans SC","PingFang SC","Microsoft YaHei","WenQuanYi Micro Hei","DJ CJK",sans-serif;margin:2em auto;max-width:1100px;padding:0 1em;color:#222;line-height:1.5}
h1{border-bottom:3px solid #c0392b}h2{border-bottom:1px solid #ddd;margin-top:2em}
table{border-collapse:collapse;margin:.5em 0;font-size:.9em}th,td{border:1px solid #ddd;padding:.25em .5em;text-align:left;vertical-align:top}
th{background:#f6f6f6}figure{margin:1em 0}img{max-width:100%}figcaption{color:#666;font-size:.85em}
.muted{color:#888}.ex li{margin:.3em 0}.src{color:#666;font-size:.85em}details{margin:.3em 0}summary{cursor:pointer}
.note{background:#fafafa;border-left:3px solid #ccc;padding:.5em 1em;font-size:.9em}
"""


FIGURE_NAMES = ("category_shares", "heatmap_terms", "trend_terms", "first_appearance", "keywords_by_year", "documents_per_year")


def _current_figures(out_dir: Path) -> list[Path] | None:
    """The standard figures if all exist and are newer than every table (else None: redraw)."""
    fig_dir = out_dir / "figures"
    paths = [fig_dir / f"{n}.png" for n in FIGURE_NAMES]
    if not all(p.is_file() for p in paths):
        return None
    tables = [p for p in out_dir.iterdir() if p.suffix in (".csv", ".parquet")]
    newest_table = max((p.stat().st_mtime for p in tables), default=0)
    if min(p.stat().st_mtime for p in paths) < newest_table:
        return None
    return paths


def write_report(out_dir: Path | str, *, figures: Iterable[Path] | None = None) -> Path:
    """Write ``OUT_DIR/report.html``: one self-contained, fully escaped page (no scripts, no
    external requests). Embeds ``figures`` (PNG paths); by default the standard figures in
    ``OUT_DIR/figures`` when they are newer than the tables, else it draws them first."""
    from pipeline import store

    out_dir = Path(out_dir)
    c = _corpus(out_dir)
    figures = list(figures) if figures is not None else (_current_figures(out_dir) or make_figures(out_dir))
    pngs = {p.stem: p for p in figures if Path(p).suffix == ".png" and Path(p).is_file()}
    tt = _term_trends(c)
    n_docs = c.docs_per_year()
    docs = c.documents
    years = pd.to_numeric(docs["year"], errors="coerce") if "year" in docs else pd.Series(dtype=float)
    n_unknown = int(years.isna().sum())
    parts: list[str] = []
    add = parts.append

    add("<!DOCTYPE html><html lang=\"zh-CN\"><head><meta charset=\"utf-8\">")
    add("<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; img-src data:; font-src data:; style-src 'unsafe-inline'\">")
    add('<meta name="viewport" content="width=device-width, initial-scale=1">')
    add(f"<title>{e('党建报告趋势 Party-building report trends')}</title><style>{CSS}</style></head><body>")
    add("<h1>党建报告趋势 Party-building report trends</h1>")

    # ---- corpus summary
    span = f"{int(years.min())}–{int(years.max())}" if years.notna().any() else "–"
    add("<h2>语料概况 Corpus summary</h2>")
    add(
        f"<p>{e(len(docs))} 份文件 documents, {e(len(c.paragraphs))} 个段落 paragraphs, 年份 years {e(span)}"
        f"; 年份未知 unknown year: {e(n_unknown)} (excluded from by-year tables).</p>"
    )
    if not n_docs.empty:
        add("<h3>每年文件数 Documents per year</h3>")
        add(_table(n_docs.reset_index(), ["year", "n_docs"], headers=["年份 year", "文件数 documents"]))
    for col, name in (("org", "机构 Organizations"), ("source", "来源 Sources")):
        if col in docs and docs[col].astype(str).str.strip().ne("").any():
            vc = docs[col].astype(str).str.strip().replace("", "(未知)").value_counts().head(20).rename_axis(col).reset_index(name="n")
            add(f"<h3>{e(name)}</h3>" + _table(vc, [col, "n"], headers=[name, "文件数 documents"]))
    log = c.ingest_log
    if not log.empty and "status" in log:
        problems = log[log["status"].astype(str) != "ok"]
        status = log["status"].astype(str).value_counts().rename_axis("status").reset_index(name="n")
        add("<h3>导入情况 Ingest</h3>" + _table(status, ["status", "n"]))
        if not problems.empty:
            add(f"<details><summary>{e(len(problems))} 个文件未导入 files not ingested</summary>")
            add(_table(problems.head(200), ["path", "status", "reason"]) + "</details>")
    if "documents_per_year" in pngs:
        add(_img(pngs["documents_per_year"], "每年文件数 Documents per year"))

    # ---- category shares
    add("<h2>党建类别占比 Category shares</h2>")
    add('<p class="note">按段落字数加权，每年合计为 1；无文档的年份留空。 Shares are weighted by paragraph characters and sum to 1 per year; years without documents are gaps.</p>')
    if "category_shares" in pngs:
        add(_img(pngs["category_shares"], "党建类别占比（按年） Category shares by year"))
    shares = c.shares(by="year")
    if not shares.empty:
        pct = (shares * 100).round(1).reset_index()
        add(_table(pct, ["year", *shares.columns], headers=["年份 year", *[f"{x} %" for x in shares.columns]], digits=1))
    for cat in c.labels:
        add(f"<details><summary>{e(cat)}：例段 example paragraphs</summary>")
        add(_examples_html(c.examples(category=cat, n=REPORT_EXAMPLES)) + "</details>")

    # ---- formulations
    add("<h2>主要提法 Top formulations</h2>")
    add('<p class="note">per_10k：每万字出现次数（以当年全部文件字数为分母）；doc_share：当年使用该提法的文件占比。 per_10k = occurrences per 10,000 characters of all of the year\'s documents; doc_share = share of the year\'s documents using it.</p>')
    for key, alt in (("heatmap_terms", "主要提法逐年热力图 Top formulations by year"), ("trend_terms", "提法趋势 Formulation trends"), ("first_appearance", "提法首次出现 First appearance")):
        if key in pngs:
            add(_img(pngs[key], alt))
    top = trends.top_terms(tt, REPORT_TERMS)
    if top:
        first = c.first_appearance().set_index("term")
        totals = tt.groupby("term")["count"].sum()
        mat = trends.trend_matrix(tt, top, "per_10k", years=n_docs.index)
        add("<table><thead><tr><th>提法 term</th><th>次数 count</th><th>文件数 docs</th><th>语料首年 first</th><th>语料末年 last</th><th>全国首提 national</th><th>趋势 per_10k</th></tr></thead><tbody>")
        for term in top:
            row = first.loc[term] if term in first.index else {}
            get = (lambda k: row.get(k) if hasattr(row, "get") else None)
            add(
                f"<tr><td>{e(term)}</td><td>{_fmt(totals.get(term))}</td><td>{_fmt(get('n_docs'))}</td>"
                f"<td>{_fmt(get('first_year_corpus'))}</td><td>{_fmt(get('last_year_corpus'))}</td>"
                f"<td>{_fmt(get('first_year_national'))}</td><td>{sparkline(mat[term])}</td></tr>"
            )
        add("</tbody></table>")
        add("<h3>提法例句 Examples of each formulation</h3>")
        for term in top:
            add(f"<details><summary>{e(term)}</summary>{_examples_html(c.examples(term=term, n=REPORT_EXAMPLES))}</details>")
    else:
        add('<p class="muted">（没有提法计数 no formulation counts）</p>')

    # ---- candidates
    add("<h2>候选新提法 Candidate new formulations</h2>")
    cand = c.candidates
    if cand is not None and not cand.empty:
        if "score" in cand:
            cand = cand.assign(_s=pd.to_numeric(cand["score"], errors="coerce")).sort_values("_s", ascending=False, kind="stable")
        add(_table(cand.head(30), ["term", "method", "score", "doc_freq", "years", "example"]))
    else:
        add('<p class="muted">（没有 candidates.csv 或为空 none）</p>')

    # ---- keywords
    add("<h2>各年特征词 Keywords by year</h2>")
    if "keywords_by_year" in pngs:
        add(_img(pngs["keywords_by_year"], "各年特征词 Distinctive keywords per year"))
    kw = c.keywords_by_year
    if kw is not None and not kw.empty:
        kw = kw.assign(_s=pd.to_numeric(kw["score"], errors="coerce")).sort_values(["year", "_s"], ascending=[True, False])
        rows = kw.groupby("year", sort=True)["word"].apply(lambda s: "、".join(map(str, s.head(15)))).reset_index()
        method = ", ".join(sorted(set(map(str, kw["method"])))) if "method" in kw else "g2"
        add(_table(rows, ["year", "word"], headers=["年份 year", f"特征词 distinctive words ({method})"]))
    else:
        add('<p class="muted">（没有关键词 none）</p>')
    add('<p class="muted">Generated by dangjian. Every number links back to documents.csv / paragraphs.csv in this folder.</p>')
    add("</body></html>")
    path = out_dir / "report.html"
    page = "\n".join(parts)
    store.write_text(path, page.replace("</style></head>", _embedded_font_css(page) + "</style></head>", 1))
    return path


EMBEDDED_FONT = "DJ CJK"


def _embedded_font_css(page: str) -> str:
    """An ``@font-face`` holding a subset of the bundled CJK font with exactly the characters of
    the page (~100-300 kB), so the report's Chinese text renders on machines without CJK fonts
    (the CSS lists system CJK fonts first). Returns '' if the font cannot be subset."""
    import io
    import logging

    chars = {ch for ch in page if ord(ch) > 127}
    if not chars:
        return ""
    try:
        from fontTools import subset
        from fontTools.ttLib import TTFont

        from pipeline.fonts import bundled_font_path

        logging.getLogger("fontTools").setLevel(logging.ERROR)
        font = TTFont(str(bundled_font_path()), fontNumber=0, lazy=True, recalcTimestamp=False)  # reproducible bytes
        options = subset.Options()
        options.hinting = False
        options.notdef_outline = True
        options.drop_tables += ["FFTM"]
        subsetter = subset.Subsetter(options)
        subsetter.populate(text="".join(sorted(chars)) + "".join(chr(i) for i in range(32, 127)))
        subsetter.subset(font)
        font.flavor = "woff"
        buf = io.BytesIO()
        font.save(buf)
    except Exception:  # noqa: BLE001 - the report stays valid without the embedded font
        return ""
    data = base64.b64encode(buf.getvalue()).decode("ascii")
    return f'@font-face{{font-family:"{EMBEDDED_FONT}";src:url(data:font/woff;base64,{data}) format("woff")}}'

