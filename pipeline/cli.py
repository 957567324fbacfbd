"""The `dangjian` command: one typer app of thin commands.

Commands parse arguments, call the package, print a short summary. Heavy imports happen
inside the commands so that `dangjian --help` stays fast.
"""

from __future__ import annotations

import sys
from enum import Enum
from pathlib import Path
from typing import List, Optional

import typer
from typing_extensions import Annotated

from pipeline.errors import DangjianError

app = typer.Typer(
    name="dangjian",
    help="Party-building reports -> formulation counts, paragraph labels, trends and charts.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
lexicon_app = typer.Typer(help="Check, browse and extend the formulation lexicon.", no_args_is_help=True)
label_app = typer.Typer(help="Export uncertain paragraphs for labelling and import labels back.", no_args_is_help=True)
plot_app = typer.Typer(help="Draw charts from a finished run.", no_args_is_help=True)
app.add_typer(lexicon_app, name="lexicon")
app.add_typer(label_app, name="label")
app.add_typer(plot_app, name="plot")


class SegmenterChoice(str, Enum):
    jieba = "jieba"
    pkuseg = "pkuseg"


class EngineChoice(str, Enum):
    local = "local"
    dask = "dask"


class TaxonomyChoice(str, Enum):
    four = "four"
    six = "six"


def _fail(err: Exception) -> None:
    typer.echo(f"Error: {err}", err=True)
    raise typer.Exit(1)


def _settings(segmenter: str = "jieba", taxonomy: str = "four", **kw):
    from pipeline.config import Settings

    return Settings(segmenter=segmenter, taxonomy=taxonomy, **kw)


# --------------------------------------------------------------------------- ingest / run
@app.command()
def ingest(
    raw_dir: Annotated[Path, typer.Argument(help="Folder of reports (.txt .md .html .docx .pdf), searched recursively. Never modified.")],
    out: Annotated[Path, typer.Option("--out", "-o", help="Folder for documents.csv, paragraphs.csv and ingest_log.csv.")] = Path("data/processed"),
    strict: Annotated[bool, typer.Option(help="Exit 1 if any file could not be ingested.")] = False,
):
    """Read, decode and clean every report; write documents, paragraphs and the ingest log."""
    from pipeline import engine

    try:
        summary = engine.ingest_only(raw_dir, out, _settings())
    except DangjianError as err:
        _fail(err)
    typer.echo(summary.text())
    raise typer.Exit(summary.exit_code(strict))


@app.command()
def run(
    raw_dir: Annotated[Path, typer.Argument(help="Folder of reports, searched recursively. Never modified.")],
    out: Annotated[Path, typer.Option("--out", "-o", help="Output folder (CSVs, Parquet, figures/, report.html).")] = Path("data/processed"),
    segmenter: Annotated[SegmenterChoice, typer.Option(help="Word segmenter for keyword tables.")] = SegmenterChoice.jieba,
    taxonomy: Annotated[TaxonomyChoice, typer.Option(help="Category scheme: four (default) or six.")] = TaxonomyChoice.four,
    workers: Annotated[int, typer.Option(help="Processes for per-document work (0 = all cores).")] = 0,
    engine_name: Annotated[EngineChoice, typer.Option("--engine", help="local process pool, or dask (pip install 'dangjian[dask]').")] = EngineChoice.local,
    scheduler: Annotated[Optional[str], typer.Option(help="Dask scheduler address, e.g. tcp://host:8786 (default: a local cluster).")] = None,
    report: Annotated[bool, typer.Option(help="Also draw charts and write report.html.")] = True,
    strict: Annotated[bool, typer.Option(help="Exit 1 if any file could not be ingested.")] = False,
):
    """Run every stage: ingest, segment, count formulations, classify paragraphs, trends, report."""
    from pipeline import engine

    try:
        summary = engine.run(
            raw_dir,
            out,
            _settings(segmenter.value, taxonomy.value),
            workers=workers or None,
            engine=engine_name.value,
            scheduler=scheduler,
            report=report,
        )
    except DangjianError as err:
        _fail(err)
    typer.echo(summary.text())
    raise typer.Exit(summary.exit_code(strict))


# --------------------------------------------------------------------------- segment / terms / lexicon
# (owner: segment + terms work)


# --------------------------------------------------------------------------- classify / train / evaluate / label
# (owner: classification work)


# --------------------------------------------------------------------------- report / plot
# (owner: trends + report work)


def main() -> None:  # pragma: no cover - console entry
    app()


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
