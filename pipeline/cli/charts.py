"""Commands on a finished run's pictures: report, plot terms|all."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from pipeline.cli.common import (
    MeasureChoice,
    app,
    fail,
    need_run,
    plot_app,
    run_lexicon,
    show_path,
    writes,
)
from pipeline.errors import DangjianError


@app.command("report")
@writes("out_dir")
def report_cmd(
    out_dir: Annotated[Path, typer.Option("--out", "-o", help="Run folder of `dangjian run` (holds documents.csv ...).")] = Path("data/processed"),
    dpi: Annotated[int, typer.Option(help="PNG resolution (300 for print).")] = 150,
):
    """Draw every chart into OUT_DIR/figures/ and write the self-contained OUT_DIR/report.html."""
    from pipeline import report as report_mod

    try:
        need_run(out_dir)
        figs = report_mod.make_figures(out_dir, dpi=dpi)
        html_path = report_mod.write_report(out_dir, figures=figs)
    except DangjianError as err:
        fail(err)
    typer.echo(f"{len(figs)} figure files in {show_path(out_dir / 'figures')}")
    typer.echo(f"report: {show_path(html_path)}")


@plot_app.command("terms")
@writes("out_dir")
def plot_terms_cmd(
    ctx: typer.Context,
    terms: Annotated[
        list[str], typer.Argument(help="Formulations to draw, e.g. 两个维护 四个意识; any string, 两个* or re:… is counted on the fly.")
    ],
    out_dir: Annotated[Path, typer.Option("--out-dir", "--out", "-o", help="Output folder of `dangjian run`.")] = Path("data/processed"),
    measure: Annotated[
        MeasureChoice, typer.Option(help="per_10k (per 10,000 characters) or doc_share (share of documents).")
    ] = MeasureChoice.per_10k,
    dpi: Annotated[int, typer.Option(help="PNG resolution (300 for print).")] = 150,
):
    """Trend lines of chosen formulations -> OUT_DIR/figures/terms_<slug>.png and .svg.

    A term outside the lexicon is counted on the fly on the stored paragraphs (a note says so); a
    pattern (两个*, re:…) draws each formulation found and its total. Exits 1, drawing nothing,
    when no requested term is found anywhere."""
    import logging

    from pipeline import report as report_mod
    from pipeline.store.runs import RunTables

    quiet = logging.getLogger("pipeline.store.runs")  # its warnings are the notes printed below
    level = quiet.level
    quiet.setLevel(logging.ERROR)
    try:
        need_run(out_dir)
        run_tables = RunTables.load(
            out_dir, lexicon=run_lexicon(ctx, out_dir, None), skip=("paragraphs", "candidates", "keyword_frequencies", "ingest_log")
        )
        asked = run_tables.query(*terms)
        paths = report_mod.plot_terms(out_dir, terms, measure=measure.value, dpi=dpi, corpus=run_tables) if asked.found_any else []
    except DangjianError as err:
        fail(err)
    finally:
        quiet.setLevel(level)
    for note in asked.notes():
        typer.echo(f"note: {note}")
    if not asked.found_any:
        typer.echo(f"Error: none of {', '.join(terms)} is used in any document of {show_path(out_dir)}; nothing drawn", err=True)
        raise typer.Exit(1)
    for path in paths:
        typer.echo(show_path(path))


@plot_app.command("all")
@writes("out_dir")
def plot_all_cmd(
    out_dir: Annotated[Path, typer.Option("--out", "-o", help="Run folder of `dangjian run`.")] = Path("data/processed"),
    dpi: Annotated[int, typer.Option(help="PNG resolution (300 for print).")] = 150,
    measure: Annotated[MeasureChoice, typer.Option(help="Measure of the heatmap and trend chart.")] = MeasureChoice.per_10k,
):
    """Every chart (category shares, heatmap, trends, first appearance, keywords) as PNG + SVG."""
    from pipeline import report as report_mod

    try:
        need_run(out_dir)
        paths = report_mod.make_figures(out_dir, dpi=dpi, measure=measure.value)
    except DangjianError as err:
        fail(err)
    for path in paths:
        typer.echo(show_path(path))
