"""The `dangjian` command: one typer app of thin commands.

Commands parse arguments, call the package, print a short summary. Heavy imports happen
inside the commands so that `dangjian --help` stays fast.
"""

from __future__ import annotations

import sys
from enum import Enum
from pathlib import Path
from typing import Annotated

import typer

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


@app.callback()
def main_options(
    ctx: typer.Context,
    project: Annotated[
        Path | None,
        typer.Option(
            "--project", envvar="DANGJIAN_PROJECT", help="Workspace folder (default: the nearest dangjian.toml upward; see `dangjian init`)."
        ),
    ] = None,
):
    """Party-building reports -> formulation counts, paragraph labels, trends and charts."""
    ctx.obj = {"project": project}


def _ws(ctx: typer.Context | None = None):
    """The workspace every command of this invocation reads and writes (pipeline.workspace)."""
    from pipeline import workspace

    root = ctx.find_root() if ctx is not None else None
    project = (root.obj or {}).get("project") if root is not None else None
    return workspace.resolve(project)


def _settings(ctx: typer.Context | None = None, segmenter: str = "jieba", taxonomy: str = "four", **kw):
    from pipeline.config import Settings

    ws = _ws(ctx)
    return Settings(lexicon_dir=ws.lexicon_dir, labels_dir=ws.labels_dir, models_dir=ws.models_dir, segmenter=segmenter, taxonomy=taxonomy, **kw)


@app.command()
def init(
    directory: Annotated[Path, typer.Argument(help="Folder to make a workspace of (created if missing).")],
    force: Annotated[bool, typer.Option(help="Write dangjian.toml and the default files again over existing ones.")] = False,
):
    """Make a workspace: dangjian.toml, copies of the default lexicons and labels to edit, models/ and raw/."""
    from pipeline import workspace

    try:
        ws = workspace.init(directory, force=force)
    except DangjianError as err:
        _fail(err)
    typer.echo(f"Workspace ready: {ws.config_file}")
    typer.echo(f"  lexicons {ws.lexicon_dir}  (edit, then `dangjian lexicon check`)")
    typer.echo(f"  labels   {ws.labels_dir}")
    typer.echo(f"  models   {ws.models_dir}")
    typer.echo(
        f"Put reports in {Path(directory) / 'raw'} and run `dangjian run {Path(directory) / 'raw'} --out {Path(directory) / 'out'}` from inside it."
    )


# --------------------------------------------------------------------------- ingest / run
@app.command()
def ingest(
    ctx: typer.Context,
    raw_dir: Annotated[Path, typer.Argument(help="Folder of reports (.txt .md .html .docx .pdf), searched recursively. Never modified.")],
    out: Annotated[Path, typer.Option("--out", "-o", help="Folder for documents.csv, paragraphs.csv and ingest_log.csv.")] = Path("data/processed"),
    strict: Annotated[bool, typer.Option(help="Exit 1 if any file could not be ingested.")] = False,
    follow_links: Annotated[
        bool, typer.Option("--follow-links", help="Read files and folders that links lead to outside the input folder (never special files).")
    ] = False,
):
    """Read, decode and clean every report; write documents, paragraphs and the ingest log."""
    from pipeline import run as engine

    try:
        summary = engine.ingest_only(raw_dir, out, _settings(ctx, follow_links=follow_links))
    except DangjianError as err:
        _fail(err)
    typer.echo(summary.text())
    code = summary.exit_code(strict)
    if code and strict and summary.n_documents:
        typer.echo(summary.strict_line(), err=True)
    raise typer.Exit(code)


@app.command()
def run(
    ctx: typer.Context,
    raw_dir: Annotated[Path, typer.Argument(help="Folder of reports, searched recursively. Never modified.")],
    out: Annotated[Path, typer.Option("--out", "-o", help="Output folder (CSVs, Parquet, figures/, report.html).")] = Path("data/processed"),
    segmenter: Annotated[SegmenterChoice, typer.Option(help="Word segmenter for keyword tables.")] = SegmenterChoice.jieba,
    taxonomy: Annotated[TaxonomyChoice, typer.Option(help="Category scheme: four (default) or six.")] = TaxonomyChoice.four,
    workers: Annotated[int, typer.Option(min=0, help="Processes for per-document work (0 = all cores).")] = 0,
    engine_name: Annotated[
        EngineChoice, typer.Option("--engine", help="local process pool, or dask (pip install 'dangjian\\[dask]').")
    ] = EngineChoice.local,
    scheduler: Annotated[str | None, typer.Option(help="Dask scheduler address, e.g. tcp://host:8786 (default: a local cluster).")] = None,
    report: Annotated[bool, typer.Option(help="Also draw charts and write report.html.")] = True,
    strict: Annotated[bool, typer.Option(help="Exit 1 if any file could not be ingested.")] = False,
    follow_links: Annotated[
        bool, typer.Option("--follow-links", help="Read files and folders that links lead to outside the input folder (never special files).")
    ] = False,
    by: Annotated[
        list[str] | None,
        typer.Option(
            "--by", help="Also write term, category and keyword tables grouped by this document column (e.g. genre, org, a sheet column); repeatable."
        ),
    ] = None,
):
    """Run every stage: ingest, segment, count formulations, classify paragraphs, trends, report."""
    from pipeline import run as engine

    try:
        summary = engine.run(
            raw_dir,
            out,
            _settings(
                ctx,
                segmenter.value,
                taxonomy.value,
                follow_links=follow_links,
                group_by=tuple(dict.fromkeys(b.strip() for b in by or [] if b.strip())),
            ),
            workers=workers or None,
            engine=engine_name.value,
            scheduler=scheduler,
            report=report,
        )
    except DangjianError as err:
        _fail(err)
    typer.echo(summary.text())
    code = summary.exit_code(strict)
    if code and strict and summary.n_documents:
        typer.echo(summary.strict_line(), err=True)
    raise typer.Exit(code)


# --------------------------------------------------------------------------- segment / terms / lexicon
def _read_input_lines(path: Path) -> list[str]:
    from pipeline.errors import InputError

    try:
        data = path.read_bytes()
    except OSError as err:
        raise InputError(f"cannot read {path}: {err.strerror or err}", "check the path") from None
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        raise InputError(f"{path} is not UTF-8 (byte {err.start})", "convert it to UTF-8 or ingest it with `dangjian ingest`") from None
    return text.splitlines()


@app.command()
def segment(
    ctx: typer.Context,
    file: Annotated[Path, typer.Argument(help="UTF-8 text file (with or without BOM); '-' reads stdin.")],
    segmenter: Annotated[SegmenterChoice, typer.Option(help="Word segmenter.")] = SegmenterChoice.jieba,
    lexicon_dir: Annotated[Path | None, typer.Option(help="Lexicon folder (default: lexicons/).")] = None,
    hmm: Annotated[bool, typer.Option(help="jieba: use the HMM for unknown words.")] = True,
):
    """Print the tokens of each input line joined by single spaces (one output line per input line)."""
    from pipeline.lexicon import load_lexicon
    from pipeline.segment import make_segmenter

    try:
        lines = sys.stdin.read().lstrip("\ufeff").splitlines() if str(file) == "-" else _read_input_lines(file)
        seg = make_segmenter(segmenter.value, load_lexicon(lexicon_dir or _ws(ctx).lexicon_dir), hmm=hmm).initialize()
        out = [" ".join(seg.lcut(line)) for line in lines]
    except DangjianError as err:
        _fail(err)
    typer.echo("\n".join(out) + ("\n" if out else ""), nl=False)


def _run_lexicon(ctx: typer.Context, out_dir: Path, lexicon_dir: Path | None) -> Path | None:
    """The lexicon a run's formulations are read with: the one asked for, else the run folder's
    copy (None: RunTables finds it), else the workspace's."""
    if lexicon_dir is not None:
        return lexicon_dir / "formulations.csv"
    return None if (out_dir / "formulations.csv").is_file() else _ws(ctx).lexicon_dir / "formulations.csv"


@app.command()
def kwic(
    ctx: typer.Context,
    term: Annotated[
        str,
        typer.Argument(
            help="A formulation (its lexicon aliases match too), any literal string, a numbered pattern such as 两个* or a regular expression re:四个(意识|自信)."
        ),
    ],
    window: Annotated[int, typer.Option("--window", "-w", min=1, help="Characters of context on each side.")] = 20,
    out_dir: Annotated[Path, typer.Option("--out-dir", "--out", "-o", help="Folder with paragraphs.csv and documents.csv from a run.")] = Path(
        "data/processed"
    ),
    limit: Annotated[int, typer.Option(help="Print at most this many lines (0 = all).")] = 0,
    lexicon_dir: Annotated[
        Path | None, typer.Option(help="Lexicon folder (default: the run folder's formulations.csv, else the workspace's).")
    ] = None,
    csv: Annotated[Path | None, typer.Option("--csv", help="Also write every occurrence to this CSV.")] = None,
):
    """Concordance: every occurrence of TERM with document, year and context (traditional
    characters, quote marks and list separators match as the run's counting does).
    Exits 1 when TERM is found nowhere, naming the nearest lexicon entries."""
    import pandas as pd

    from pipeline.errors import InputError
    from pipeline.store import write_csv
    from pipeline.store.runs import TABLES, RunTables

    try:
        for name in ("paragraphs", "documents"):
            if not any((out_dir / f"{name}.{ext}").is_file() for ext in ("csv", "parquet")):
                raise InputError(f"{out_dir / (name + '.csv')} not found", "run `dangjian run RAW_DIR --out OUT_DIR` first, or pass --out")
        run_tables = RunTables.load(
            out_dir, lexicon=_run_lexicon(ctx, out_dir, lexicon_dir), skip=[t for t in TABLES if t not in ("documents", "paragraphs")]
        )
        table = run_tables.kwic(term, window=window)
        if csv is not None:
            write_csv(csv, table)
    except DangjianError as err:
        _fail(err)
    pattern = term.strip().startswith("re:") or term.strip().endswith("*")
    if table.attrs.get("counted_on_the_fly") and not table.empty:
        what = "is a pattern" if pattern else "is not in the lexicon"
        typer.echo(
            f"note: {term.strip()} {what}: matched on the fly in the stored paragraphs "
            "(folding, quote marks, separators and traditional characters as the run counts)"
        )
    if table.empty:
        near = table.attrs.get("not_found", {}).get(term.strip(), [])
        hint = f" Nearest lexicon entries: {', '.join(near)}." if near else ""
        typer.echo(f"No occurrence of {term} in {out_dir}.{hint}", err=True)
        raise typer.Exit(1)
    shown = table if limit <= 0 else table.head(limit)
    for row in shown.itertuples(index=False):
        year = "----" if pd.isna(row.year) else int(row.year)
        tag = f"  [{row.term}]" if pattern else ""
        typer.echo(f"{row.doc_id}  {year}  {row.left:>{window}}【{row.match}】{row.right}{tag}")
    if pattern:
        counts = table["term"].value_counts(sort=False)
        counts = counts.reindex(sorted(counts.index, key=lambda t: (-counts[t], t)))
        typer.echo(f"{term.strip()}: " + ", ".join(f"{t} {n}" for t, n in counts.items()))
    typer.echo(f"{len(table)} occurrence(s) in {table['doc_id'].nunique()} document(s).")


@lexicon_app.command("check")
def lexicon_check(
    ctx: typer.Context,
    directory: Annotated[Path | None, typer.Option("--dir", help="Lexicon folder (default: the workspace's).")] = None,
):
    """Validate the lexicon files; print file:line for each problem and exit 1 if any."""
    from pipeline.lexicon import check_lexicon, load_lexicon, load_stopwords

    try:
        directory = directory or _ws(ctx).lexicon_dir
    except DangjianError as err:
        _fail(err)
    from pipeline.orgs import check_orgs

    problems = check_lexicon(directory) + check_orgs(directory)
    if problems:
        for problem in problems:
            typer.echo(problem, err=True)
        typer.echo(f"Error: {len(problems)} problem(s) in {directory}", err=True)
        raise typer.Exit(1)
    lex = load_lexicon(directory)
    levels = {lvl: sum(e.level == lvl for e in lex.entries) for lvl in ("national", "local")}
    typer.echo(
        f"OK: {len(lex)} formulations ({levels['national']} national, {levels['local']} local), "
        f"{sum(len(e.aliases) for e in lex.entries)} aliases, {len(load_stopwords(directory))} stopwords."
    )


@lexicon_app.command("candidates")
def lexicon_candidates(
    out_dir: Annotated[Path, typer.Option("--out", "-o", "--out-dir", help="Run folder with candidates.csv.")] = Path("data/processed"),
    top: Annotated[int, typer.Option("--top", "-n", min=1, help="Show this many.")] = 50,
    method: Annotated[str | None, typer.Option(help="Only this method (pattern, quoted, pmi, or e.g. pattern+quoted).")] = None,
):
    """Print the candidate new formulations found by the last run, best first."""
    from pipeline.errors import InputError
    from pipeline.store import read_csv

    path = out_dir / "candidates.csv"
    try:
        if not path.is_file():
            raise InputError(f"{path} not found", "run `dangjian run RAW_DIR --out OUT_DIR` first, or pass --out-dir")
        table = read_csv(path)
    except DangjianError as err:
        _fail(err)
    if method:
        table = table[table["method"].str.split("+").apply(lambda ms: method in ms or method == "+".join(ms))]
    if table.empty:
        typer.echo("No candidates.")
        return
    from rich.console import Console
    from rich.table import Table

    grid = Table(
        title=f"Candidate formulations ({min(top, len(table))} of {len(table)}) — accept one with `dangjian lexicon add TERM --category ...`"
    )
    for col, kw in (
        ("#", {"justify": "right"}),
        ("term", {"style": "bold"}),
        ("method", {}),
        ("score", {"justify": "right"}),
        ("docs", {"justify": "right"}),
        ("years", {}),
        ("example", {"overflow": "fold"}),
    ):
        grid.add_column(col, **kw)
    for rank, row in enumerate(table.head(top).itertuples(index=False), start=1):
        try:
            score = f"{float(row.score):.2f}"
        except ValueError:
            score = str(row.score)
        grid.add_row(str(rank), row.term, row.method, score, str(row.doc_freq), row.years, row.example)
    Console(width=max(120, Console().width)).print(grid)


@lexicon_app.command("add")
def lexicon_add(
    ctx: typer.Context,
    term: Annotated[str, typer.Argument(help="The formulation to add, e.g. 两服务一改进.")],
    category: Annotated[str, typer.Option(help="One of 政治/思想/组织/作风/纪律/制度/综合.")],
    expansion: Annotated[str, typer.Option(help="What it stands for, in your own words.")] = "",
    aliases: Annotated[str, typer.Option(help="Variants separated by |, e.g. '四强|四强党支部'.")] = "",
    first_year: Annotated[int | None, typer.Option(help="Year first proposed (4 digits).")] = None,
    level: Annotated[str, typer.Option(help="national or local.")] = "local",
    kind: Annotated[str, typer.Option(help="提法 (a numbered or fixed formulation) or 术语 (an institutional term); empty: inferred.")] = "",
    directory: Annotated[Path | None, typer.Option("--dir", help="Lexicon folder (default: the workspace's).")] = None,
):
    """Append a formulation to the workspace's formulations.csv (validated; refuses duplicates)."""
    from pipeline.lexicon import add_entry

    try:
        directory = directory or _ws(ctx).lexicon_dir
        entry = add_entry(
            term,
            category,
            aliases=[a for a in aliases.split("|") if a.strip()],
            expansion=expansion,
            first_year=first_year,
            level=level,
            kind=kind,
            lexicon_dir=directory,
        )
    except DangjianError as err:
        _fail(err)
    typer.echo(f"Added {entry.term} ({entry.category}, {entry.level}) at {directory / 'formulations.csv'}:{entry.line}.")


@app.command()
def keyness(
    group_a: Annotated[str, typer.Argument(help="Group a: a document column and values, e.g. genre=述职述廉 or org=A党委|B党委.")],
    group_b: Annotated[str | None, typer.Argument(help="Group b (default: every other document).")] = None,
    out_dir: Annotated[Path, typer.Option("--out", "-o", help="Run folder of `dangjian run`.")] = Path("data/processed"),
    top: Annotated[int, typer.Option("--top", "-n", min=1, help="Items each way.")] = 20,
    min_count: Annotated[int, typer.Option(min=1, help="Leave out items seen fewer times in both groups together.")] = 3,
    csv_path: Annotated[Path | None, typer.Option("--csv", help="Also write the table to this CSV (Excel-safe).")] = None,
    words: Annotated[bool, typer.Option("--words/--no-words", help="Also compare content words (segments the paragraphs again).")] = True,
):
    """Formulations and words most distinctive of one group of documents against another (log-likelihood G2)."""
    from pipeline.csvio import write_csv
    from pipeline.errors import InputError
    from pipeline.store.runs import RunTables

    try:
        _need_run(out_dir)
        tables = RunTables.load(out_dir)
        try:
            table = tables.keyness(group_a, group_b, top=top, min_count=min_count, words=words)
        except ValueError as err:
            raise InputError(str(err), "name a document column of documents.csv and values it has, e.g. genre=述职述廉") from None
        if csv_path is not None:
            write_csv(csv_path, table)
    except DangjianError as err:
        _fail(err)
    info = table.attrs
    typer.echo(f"a = {info['a']} ({info['n_docs_a']} documents)  vs  b = {info['b']} ({info['n_docs_b']} documents)")
    for side in ("a", "b"):
        rows = table[table["key_for"] == side]
        typer.echo(f"\nkey for {side}:" + ("" if len(rows) else " none"))
        for row in rows.itertuples(index=False):
            typer.echo(
                f"  {row.item}  [{row.kind}]  G2 {abs(row.g2):.1f}  {row.per_10k_a:.2f} vs {row.per_10k_b:.2f} per 10k  ({row.count_a} / {row.count_b})"
            )
    if csv_path is not None:
        typer.echo(f"\nwritten to {csv_path}")


# --------------------------------------------------------------------------- classify / train / evaluate / label
_LabelsOpt = Annotated[Path | None, typer.Option("--labels", help="Folder of labelled CSVs (default data/labels).")]
_ModelsOpt = Annotated[
    Path | None,
    typer.Option("--models-dir", envvar="DANGJIAN_MODELS_DIR", help="Where models are saved/loaded (default models/)."),
]
_TaxOpt = Annotated[TaxonomyChoice, typer.Option(help="Category scheme: four (default) or six.")]


@app.command()
def train(
    ctx: typer.Context,
    labels: _LabelsOpt = None,
    taxonomy: _TaxOpt = TaxonomyChoice.four,
    models_dir: _ModelsOpt = None,
    cv: Annotated[bool, typer.Option("--cv/--no-cv", help="Also print a 5-fold cross-validation summary.")] = True,
):
    """Fit the paragraph classifier on every CSV in the labels folder and save it under models/."""
    from pipeline import classify

    try:
        ws = _ws(ctx)
        result = classify.train(
            labels or ws.labels_dir, taxonomy=taxonomy.value, models_dir=models_dir or ws.models_dir, lexicon_dir=ws.lexicon_dir, cv=cv
        )
    except DangjianError as err:
        _fail(err)
    typer.echo(result.text())


@app.command()
def evaluate(
    ctx: typer.Context,
    gold: Annotated[Path, typer.Argument(help="CSV with columns text,label (UTF-8, BOM optional).")],
    out: Annotated[Path | None, typer.Option("--out", "-o", help="Report file (default <GOLD>.eval.txt next to GOLD).")] = None,
    taxonomy: _TaxOpt = TaxonomyChoice.four,
    labels: _LabelsOpt = None,
    models_dir: _ModelsOpt = None,
):
    """Score the model on a gold CSV: per-class precision/recall/F1, macro-F1, confusion matrix."""
    from pipeline import classify

    try:
        ws = _ws(ctx)
        ev, path = classify.evaluate_csv(
            gold, out, taxonomy=taxonomy.value, labels_dir=labels or ws.labels_dir, models_dir=models_dir or ws.models_dir
        )
    except DangjianError as err:
        _fail(err)
    typer.echo(ev.text())
    typer.echo(f"written to {path}")


@app.command()
def classify(
    ctx: typer.Context,
    in_csv: Annotated[Path, typer.Argument(help="CSV with a `text` column (optional `heading`).")],
    out: Annotated[Path, typer.Option("--out", "-o", help="Output CSV: the same rows plus label, p_<category>, uncertain.")],
    explain: Annotated[bool, typer.Option("--explain", help="Add an `explain` column with the features behind each label.")] = False,
    taxonomy: _TaxOpt = TaxonomyChoice.four,
    labels: _LabelsOpt = None,
    models_dir: _ModelsOpt = None,
    threshold: Annotated[float, typer.Option(help="`uncertain` when the top probability is below this.")] = 0.5,
):
    """Label every paragraph of a CSV (trains and caches the model on first use)."""
    from pipeline import classify as classify_mod

    try:
        ws = _ws(ctx)
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
        _fail(err)
    typer.echo(result.text())


@label_app.command("export")
def label_export(
    ctx: typer.Context,
    out_csv: Annotated[Path, typer.Argument(help="CSV to write for the analyst (fill its `label` column).")],
    uncertain: Annotated[int, typer.Option("--uncertain", help="How many least-confident paragraphs to export.")] = 100,
    out_dir: Annotated[Path, typer.Option("--out", "-o", "--out-dir", help="Run folder holding paragraphs.csv.")] = Path("data/processed"),
    taxonomy: _TaxOpt = TaxonomyChoice.four,
    labels: _LabelsOpt = None,
    models_dir: _ModelsOpt = None,
):
    """Write the paragraphs the model is least sure of, with their p_ columns, for labelling."""
    from pipeline import classify

    try:
        ws = _ws(ctx)
        path, n = classify.export_uncertain(
            uncertain,
            out_csv,
            out_dir=out_dir,
            taxonomy=taxonomy.value,
            labels_dir=labels or ws.labels_dir,
            models_dir=models_dir or ws.models_dir,
        )
    except DangjianError as err:
        _fail(err)
    typer.echo(f"exported {n} paragraphs -> {path} (fill `label`, then `dangjian label import {path}`)")


@label_app.command("import")
def label_import(
    ctx: typer.Context,
    file: Annotated[Path, typer.Argument(help="CSV with text,label (e.g. a filled-in export).")],
    labels: _LabelsOpt = None,
    taxonomy: _TaxOpt = TaxonomyChoice.four,
):
    """Validate labels against the taxonomy and add them to the labels folder for the next train."""
    from pipeline import classify

    try:
        path, added, skipped = classify.import_labels(file, labels_dir=labels or _ws(ctx).labels_dir, taxonomy=taxonomy.value)
    except DangjianError as err:
        _fail(err)
    if path is None:
        typer.echo(f"nothing new to import ({skipped} rows already labelled the same)")
    else:
        typer.echo(f"imported {added} labelled paragraphs -> {path} ({skipped} already present); run `dangjian train`")


# --------------------------------------------------------------------------- report / plot
class MeasureChoice(str, Enum):
    per_10k = "per_10k"
    doc_share = "doc_share"


def _need_run(out_dir: Path) -> None:
    from pipeline.errors import InputError

    if not (out_dir / "documents.csv").is_file() and not (out_dir / "documents.parquet").is_file():
        raise InputError(f"no finished run in {out_dir} (documents.csv not found)", f"run `dangjian run RAW_DIR --out {out_dir}` first")


@app.command("report")
def report_cmd(
    out_dir: Annotated[Path, typer.Option("--out", "-o", help="Run folder of `dangjian run` (holds documents.csv ...).")] = Path("data/processed"),
    dpi: Annotated[int, typer.Option(help="PNG resolution (300 for print).")] = 150,
):
    """Draw every chart into OUT_DIR/figures/ and write the self-contained OUT_DIR/report.html."""
    from pipeline import report as report_mod

    try:
        _need_run(out_dir)
        figs = report_mod.make_figures(out_dir, dpi=dpi)
        html_path = report_mod.write_report(out_dir, figures=figs)
    except DangjianError as err:
        _fail(err)
    typer.echo(f"{len(figs)} figure files in {out_dir / 'figures'}")
    typer.echo(f"report: {html_path}")


@plot_app.command("terms")
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
        _need_run(out_dir)
        run_tables = RunTables.load(
            out_dir, lexicon=_run_lexicon(ctx, out_dir, None), skip=("paragraphs", "candidates", "keyword_frequencies", "ingest_log")
        )
        asked = run_tables.query(*terms)
        paths = report_mod.plot_terms(out_dir, terms, measure=measure.value, dpi=dpi, corpus=run_tables) if asked.found_any else []
    except DangjianError as err:
        _fail(err)
    finally:
        quiet.setLevel(level)
    for note in asked.notes():
        typer.echo(f"note: {note}")
    if not asked.found_any:
        typer.echo(f"Error: none of {', '.join(terms)} is used in any document of {out_dir}; nothing drawn", err=True)
        raise typer.Exit(1)
    for path in paths:
        typer.echo(str(path))


@plot_app.command("all")
def plot_all_cmd(
    out_dir: Annotated[Path, typer.Option("--out", "-o", help="Run folder of `dangjian run`.")] = Path("data/processed"),
    dpi: Annotated[int, typer.Option(help="PNG resolution (300 for print).")] = 150,
    measure: Annotated[MeasureChoice, typer.Option(help="Measure of the heatmap and trend chart.")] = MeasureChoice.per_10k,
):
    """Every chart (category shares, heatmap, trends, first appearance, keywords) as PNG + SVG."""
    from pipeline import report as report_mod

    try:
        _need_run(out_dir)
        paths = report_mod.make_figures(out_dir, dpi=dpi, measure=measure.value)
    except DangjianError as err:
        _fail(err)
    for path in paths:
        typer.echo(str(path))


def main() -> None:  # pragma: no cover - console entry
    app()


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
