"""What the report's hand-written parts save next to the maintained libraries, on a finished run.

    .venv/bin/python -m benchmarks.bench_report [OUT_DIR] [--repeat 5]

OUT_DIR defaults to data/processed (``dangjian run`` it first). Medians of ``--repeat`` runs:

* charts: the run's six charts at 150 dpi: building them, painting the PNG images, encoding
  them with our PNG writer (:func:`pipeline.report.canvas.png_bytes`) and with Pillow's
  ``Image.save(format="PNG", dpi=...)`` (compress_level 3 as ours, and Pillow's default 6), SVG;
* fonts: the bundled CJK font read by :class:`pipeline.report.truetype.TrueTypeFont` and by
  fontTools (``TTFont``): opening it with its character map, advance widths and glyph outlines
  for the characters of the charts and of report.html, and the page's WOFF subset.

fontTools is a dev extra (``pip install -e .[dev]``); its rows are skipped without it.
"""

from __future__ import annotations

import argparse
import io
import re
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def median_time(fn, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def run_charts(tables):
    """The six charts of ``make_figures`` (same selections), not saved."""
    from pipeline import trends
    from pipeline.report import charts, figures

    tt, n_docs = figures.term_trends(tables), tables.docs_per_year()
    shares = tables.shares(by="year")
    first = tables.first_appearance()
    if not first.empty:
        first = first.sort_values("n_docs", ascending=False, kind="stable").head(charts.TIMELINE_TERMS)
        first = first.sort_values(["first_year_corpus", "term"], na_position="last")
    return [
        charts.category_chart(shares.reindex(columns=tables.labels) if not shares.empty else shares, n_docs),
        charts.heatmap_chart(trends.trend_matrix(tt, trends.top_terms(tt, figures.HEATMAP_TERMS), "per_10k", years=n_docs.index), "per_10k"),
        charts.trend_chart(trends.trend_matrix(tt, trends.top_terms(tt, figures.TREND_TERMS), "per_10k", years=n_docs.index), "per_10k", n_docs),
        charts.timeline_chart(first),
        charts.keywords_chart(tables.keywords_by_year),
        charts.documents_chart(n_docs),
    ]


def bench_charts(out_dir: Path, repeat: int) -> None:
    from pipeline.report import figures
    from pipeline.report.canvas import png_bytes

    tables = figures.load_tables(out_dir, skip=figures.NOT_FOR_CHARTS)
    charts = run_charts(tables)
    images = [c.image(150) for c in charts]

    def pillow(level: int):
        def encode():
            for im in images:
                buf = io.BytesIO()
                im.save(buf, format="PNG", dpi=(150, 150), compress_level=level)

        return encode

    build = median_time(lambda: run_charts(tables), repeat)
    paint = median_time(lambda: [c.image(150) for c in charts], repeat)
    ours = median_time(lambda: [png_bytes(im, 150) for im in images], repeat)
    pil3, pil6 = median_time(pillow(3), repeat), median_time(pillow(6), repeat)
    svg = median_time(lambda: [c.svg() for c in charts], repeat)
    total = build + paint + ours + svg
    px = sum(im.width * im.height for im in images) / 1e6
    print(f"charts: six charts, {px:.1f} Mpx at 150 dpi; chart time with our PNG writer {total * 1000:.0f} ms")
    print(f"  build {build * 1000:.0f} ms, paint {paint * 1000:.0f} ms, SVG {svg * 1000:.0f} ms")
    print(f"  PNG encode, ours (zlib 3, no filter) {ours * 1000:.0f} ms")
    for level, t in ((3, pil3), (6, pil6)):
        print(f"  PNG encode, Pillow compress_level={level} {t * 1000:.0f} ms: +{(t - ours) * 1000:.0f} ms = +{(t - ours) / total:.0%} of chart time")
    sizes = {"ours": sum(len(png_bytes(im, 150)) for im in images)}
    for level in (3, 6):
        sizes[f"Pillow {level}"] = 0
        for im in images:
            buf = io.BytesIO()
            im.save(buf, format="PNG", dpi=(150, 150), compress_level=level)
            sizes[f"Pillow {level}"] += len(buf.getvalue())
    print("  PNG bytes: " + ", ".join(f"{k} {v / 1e3:.0f} kB" for k, v in sizes.items()))


def report_text(out_dir: Path, tables) -> tuple[str, str]:
    """(characters of the charts, characters of report.html without its embedded font)."""
    charts = run_charts(tables)
    chart_chars = "".join(sorted({ch for c in charts for s in c.strings() for ch in s}))
    page = (out_dir / "report.html").read_text(encoding="utf-8") if (out_dir / "report.html").is_file() else ""
    page = re.sub(r"@font-face\{[^}]*\}", "", page)
    page_chars = "".join(sorted({ch for ch in page if ord(ch) > 127})) + "".join(chr(i) for i in range(32, 127))
    return chart_chars, page_chars


def bench_fonts(out_dir: Path, repeat: int) -> None:
    from pipeline.report import figures
    from pipeline.report.fonts import bundled_font_path
    from pipeline.report.truetype import TrueTypeFont

    path = bundled_font_path()
    chart_chars, page_chars = report_text(out_dir, figures.load_tables(out_dir, skip=figures.NOT_FOR_CHARTS))

    def ours(text: str, woff: bool):
        def go():
            font = TrueTypeFont(path, 0)
            for ch in text:
                font.advance(ch)
                font.outline(ch)
            if woff:
                font.woff(text)

        return go

    rows = [("ours", "open + cmap", median_time(lambda: TrueTypeFont(path, 0), repeat))]
    for label, text in (("charts", chart_chars), ("report.html", page_chars)):
        rows.append(("ours", f"open + advances + outlines, {len(text)} characters of {label}", median_time(ours(text, False), repeat)))
    rows.append(
        (
            "ours",
            f"open + WOFF subset of report.html ({len(page_chars)} characters)",
            median_time(lambda: TrueTypeFont(path, 0).woff(page_chars), repeat),
        )
    )
    try:
        from fontTools import subset
        from fontTools.pens.svgPathPen import SVGPathPen
        from fontTools.ttLib import TTFont
    except ImportError:
        print("fontTools is not installed: pip install -e .[dev]")
    else:

        def theirs(text: str):
            def go():
                font = TTFont(str(path), fontNumber=0, lazy=True)
                cmap, glyphs, hmtx = font.getBestCmap(), font.getGlyphSet(), font["hmtx"]
                for ch in text:
                    name = cmap.get(ord(ch), ".notdef")
                    hmtx[name]
                    glyphs[name].draw(SVGPathPen(glyphs))

            return go

        def woff():
            font = TTFont(str(path), fontNumber=0)
            options = subset.Options()
            options.flavor, options.layout_features = "woff", []
            sub = subset.Subsetter(options)
            sub.populate(text=page_chars)
            sub.subset(font)
            font.save(io.BytesIO())

        rows.append(("fontTools", "open + cmap", median_time(lambda: TTFont(str(path), fontNumber=0, lazy=True).getBestCmap(), repeat)))
        for label, text in (("charts", chart_chars), ("report.html", page_chars)):
            rows.append(("fontTools", f"open + advances + outlines, {len(text)} characters of {label}", median_time(theirs(text), repeat)))
        rows.append(("fontTools", f"open + WOFF subset of report.html ({len(page_chars)} characters)", median_time(woff, max(1, repeat // 2))))
    print("fonts: the bundled WenQuanYi Micro Hei collection")
    for who, what, t in sorted(rows, key=lambda r: (r[1], r[0] != "ours")):
        print(f"  {who:<9} {what}: {t * 1000:.1f} ms")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("out_dir", nargs="?", default=str(ROOT / "data" / "processed"), help="a finished run (default data/processed)")
    ap.add_argument("--repeat", type=int, default=5, help="runs per measurement; medians are reported (default 5)")
    args = ap.parse_args(argv)
    out_dir = Path(args.out_dir)
    if not (out_dir / "documents.csv").is_file() and not (out_dir / "documents.parquet").is_file():
        print(f"no finished run in {out_dir}: run `dangjian run RAW_DIR --out {out_dir}` first")
        return 1
    import logging

    logging.getLogger("fontTools").setLevel(logging.ERROR)  # "FFTM NOT subset" notices
    bench_charts(out_dir, args.repeat)
    bench_fonts(out_dir, args.repeat)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
