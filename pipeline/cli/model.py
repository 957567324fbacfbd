"""Commands on the classifier: train, evaluate, classify, label export|import."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from pipeline.cli.common import (
    LabelsOpt,
    ModelsOpt,
    TaxonomyChoice,
    TaxOpt,
    app,
    fail,
    label_app,
    show_path,
    workspace_of,
    writes,
)
from pipeline.errors import DangjianError


@app.command()
@writes("models_dir")
def train(
    ctx: typer.Context,
    labels: LabelsOpt = None,
    taxonomy: TaxOpt = TaxonomyChoice.four,
    models_dir: ModelsOpt = None,
    cv: Annotated[bool, typer.Option("--cv/--no-cv", help="Also print a 5-fold cross-validation summary.")] = True,
):
    """Fit the paragraph classifier on every CSV in the labels folder and save it under models/."""
    from pipeline import classify

    try:
        ws = workspace_of(ctx)
        result = classify.train(
            labels or ws.labels_dir, taxonomy=taxonomy.value, models_dir=models_dir or ws.models_dir, lexicon_dir=ws.lexicon_dir, cv=cv
        )
    except DangjianError as err:
        fail(err)
    typer.echo(result.text())


@app.command()
@writes("out")
def evaluate(
    ctx: typer.Context,
    gold: Annotated[Path, typer.Argument(help="CSV with columns text,label (UTF-8, BOM optional).")],
    out: Annotated[Path | None, typer.Option("--out", "-o", help="Report file (default <GOLD>.eval.txt next to GOLD).")] = None,
    taxonomy: TaxOpt = TaxonomyChoice.four,
    labels: LabelsOpt = None,
    models_dir: ModelsOpt = None,
):
    """Score the model on a gold CSV: per-class precision/recall/F1, macro-F1, confusion matrix."""
    from pipeline import classify

    try:
        ws = workspace_of(ctx)
        ev, path = classify.evaluate_csv(
            gold, out, taxonomy=taxonomy.value, labels_dir=labels or ws.labels_dir, models_dir=models_dir or ws.models_dir
        )
    except DangjianError as err:
        fail(err)
    typer.echo(ev.text())
    typer.echo(f"written to {show_path(path)}")


@app.command()
@writes("out")
def classify(
    ctx: typer.Context,
    in_csv: Annotated[Path, typer.Argument(help="CSV with a `text` column (optional `heading`; a `label` column is kept as `label_input`).")],
    out: Annotated[
        Path,
        typer.Option("--out", "-o", help="Output CSV: the same rows plus label, p_<category>, uncertain (an input `label` becomes `label_input`)."),
    ],
    explain: Annotated[bool, typer.Option("--explain", help="Add an `explain` column with the features behind each label.")] = False,
    taxonomy: TaxOpt = TaxonomyChoice.four,
    labels: LabelsOpt = None,
    models_dir: ModelsOpt = None,
    threshold: Annotated[float, typer.Option(help="`uncertain` when the top probability is below this.")] = 0.5,
):
    """Label every paragraph of a CSV (trains and caches the model on first use). An input `label`
    column is never overwritten: it is kept as `label_input` next to the predicted `label`."""
    from pipeline import classify as classify_mod

    try:
        ws = workspace_of(ctx)
        result = classify_mod.classify_csv(
            in_csv,
            out,
            taxonomy=taxonomy.value,
            explain=explain,
            labels_dir=labels or ws.labels_dir,
            models_dir=models_dir or ws.models_dir,
            threshold=threshold,
        )
    except DangjianError as err:
        fail(err)
    typer.echo(result.text())


@label_app.command("export")
@writes("out_csv")
def label_export(
    ctx: typer.Context,
    out_csv: Annotated[Path, typer.Argument(help="CSV to write for the analyst (fill its `label` column).")],
    uncertain: Annotated[int, typer.Option("--uncertain", min=1, help="How many least-confident paragraphs to export.")] = 100,
    out_dir: Annotated[Path, typer.Option("--out", "-o", "--out-dir", help="Run folder holding paragraphs.csv.")] = Path("data/processed"),
    taxonomy: TaxOpt = TaxonomyChoice.four,
    labels: LabelsOpt = None,
    models_dir: ModelsOpt = None,
):
    """Write the paragraphs the model is least sure of, with their p_ columns, for labelling: only
    what the annotation guideline (docs/annotation.md) lets be labelled - no headings, table rows,
    boilerplate, rows under 20 characters or duplicates."""
    from pipeline import classify

    try:
        ws = workspace_of(ctx)
        exported = classify.export_uncertain(
            uncertain,
            out_csv,
            out_dir=out_dir,
            taxonomy=taxonomy.value,
            labels_dir=labels or ws.labels_dir,
            models_dir=models_dir or ws.models_dir,
        )
    except DangjianError as err:
        fail(err)
    typer.echo(exported.text())


@label_app.command("import")
def label_import(
    ctx: typer.Context,
    file: Annotated[Path, typer.Argument(help="CSV with text,label (e.g. a filled-in export).")],
    labels: LabelsOpt = None,
    taxonomy: TaxOpt = TaxonomyChoice.four,
):
    """Validate labels against the taxonomy and add them to the labels folder for the next train."""
    from pipeline import classify

    try:
        path, added, skipped = classify.import_labels(file, labels_dir=labels or workspace_of(ctx).labels_dir, taxonomy=taxonomy.value)
    except DangjianError as err:
        fail(err)
    if path is None:
        typer.echo(f"nothing new to import ({skipped} rows already labelled the same)")
    else:
        typer.echo(f"imported {added} labelled paragraphs -> {show_path(path)} ({skipped} already present); run `dangjian train`")


# --------------------------------------------------------------------------- report / plot
