"""Commands on a collection: init, ingest, run, segment, kwic, lexicon, keyness."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from pipeline.cli.common import (
    EngineChoice,
    SegmenterChoice,
    TaxonomyChoice,
    app,
    fail,
    lexicon_app,
    need_run,
    read_input_lines,
    run_lexicon,
    settings_for,
    show_path,
    workspace_of,
    writes,
)
from pipeline.errors import DangjianError


@app.command()
@writes("directory")
def init(
    directory: Annotated[Path, typer.Argument(help="Folder to make a workspace of (created if missing).")],
    force: Annotated[bool, typer.Option(help="Write dangjian.toml and the default files again over existing ones.")] = False,
):
    """Make a workspace: dangjian.toml, copies of the default lexicons and labels to edit, models/ and raw/."""
    from pipeline import workspace

    try:
        ws = workspace.init(directory, force=force)
    except DangjianError as err:
        fail(err)
    typer.echo(f"Workspace ready: {show_path(ws.config_file)}")
    typer.echo(f"  lexicons {show_path(ws.lexicon_dir)}  (edit, then `dangjian lexicon check`)")
    typer.echo(f"  labels   {show_path(ws.labels_dir)}")
    typer.echo(f"  models   {show_path(ws.models_dir)}")
    typer.echo(
        f"Put reports in {show_path(Path(directory) / 'raw')} and run `dangjian run {show_path(Path(directory) / 'raw')} --out {show_path(Path(directory) / 'out')}` from inside it."
    )


# --------------------------------------------------------------------------- ingest / run
@app.command()
@writes("out")
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
        summary = engine.ingest_only(raw_dir, out, settings_for(ctx, follow_links=follow_links))
    except DangjianError as err:
        fail(err)
    typer.echo(summary.text())
    code = summary.exit_code(strict)
    if code and strict and summary.n_documents:
        typer.echo(summary.strict_line(), err=True)
    raise typer.Exit(code)


@app.command()
@writes("out")
def run(
    ctx: typer.Context,
    raw_dir: Annotated[Path, typer.Argument(help="Folder of reports, searched recursively. Never modified.")],
    out: Annotated[Path, typer.Option("--out", "-o", help="Output folder (CSVs, Parquet, figures/, report.html).")] = Path("data/processed"),
    segmenter: Annotated[SegmenterChoice, typer.Option(help="Word segmenter for keyword tables.")] = SegmenterChoice.jieba,
    taxonomy: Annotated[
        TaxonomyChoice,
        typer.Option(
            help="Category scheme: four (default) or six (experimental: a model trained on the six-way labels whose measured macro-F1 is more than 0.05 below the four-way one; see docs/classifier.md)."
        ),
    ] = TaxonomyChoice.four,
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
            settings_for(
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
        fail(err)
    typer.echo(summary.text())
    code = summary.exit_code(strict)
    if code and strict and summary.n_documents:
        typer.echo(summary.strict_line(), err=True)
    raise typer.Exit(code)


# --------------------------------------------------------------------------- segment / terms / lexicon
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
        lines = sys.stdin.read().lstrip("\ufeff").splitlines() if str(file) == "-" else read_input_lines(file)
        seg = make_segmenter(segmenter.value, load_lexicon(lexicon_dir or workspace_of(ctx).lexicon_dir), hmm=hmm).initialize()
        out = [" ".join(seg.lcut(line)) for line in lines]
    except DangjianError as err:
        fail(err)
    typer.echo("\n".join(out) + ("\n" if out else ""), nl=False)


@app.command()
@writes("csv")
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
    """Concordance: every occurrence of TERM with its year, context, title and file (traditional
    characters, quote marks and list separators match as the run's counting does). --csv writes
    doc_id, title, path, year, left, match, right (and para_id, term) for every occurrence.
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
            out_dir, lexicon=run_lexicon(ctx, out_dir, lexicon_dir), skip=[t for t in TABLES if t not in ("documents", "paragraphs")]
        )
        table = with_files(run_tables.kwic(term, window=window), run_tables.documents)
        if csv is not None:
            write_csv(csv, table)
    except DangjianError as err:
        fail(err)
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
        typer.echo(f"No occurrence of {term} in {show_path(out_dir)}.{hint}", err=True)
        raise typer.Exit(1)
    shown = table if limit <= 0 else table.head(limit)
    for row in shown.itertuples(index=False):
        year = "----" if pd.isna(row.year) else int(row.year)
        tag = f"  [{row.term}]" if pattern else ""
        title = str(row.title).strip() if isinstance(row.title, str) else ""
        source = f"{title} ({row.path})" if title else str(row.path)
        typer.echo(f"{year}  {row.left:>{window}}【{row.match}】{row.right}  | {source}{tag}")
    if pattern:
        counts = table["term"].value_counts(sort=False)
        counts = counts.reindex(sorted(counts.index, key=lambda t: (-counts[t], t)))
        typer.echo(f"{term.strip()}: " + ", ".join(f"{t} {n}" for t, n in counts.items()))
    typer.echo(f"{len(table)} occurrence(s) in {table['doc_id'].nunique()} document(s).")


#: the first columns of `kwic --csv` (issue 15): who said it where, then the context
KWIC_CSV_COLUMNS = ["doc_id", "title", "path", "year", "left", "match", "right"]


def with_files(table, documents):
    """A kwic table with each document's file (``path`` of documents.csv; the doc_id when the
    run has no path) and the columns in KWIC_CSV_COLUMNS order first; attrs kept."""
    import pandas as pd

    attrs = dict(table.attrs)
    paths = {}
    if documents is not None and "path" in documents.columns:
        paths = dict(zip(documents["doc_id"].astype(str), documents["path"].astype(str)))
    out = table.copy()
    ids = out["doc_id"].astype(str)
    out["path"] = [paths.get(d) or d for d in ids] if len(out) else pd.Series(dtype=object)
    if "title" not in out.columns:
        out["title"] = ""
    first = [c for c in KWIC_CSV_COLUMNS if c in out.columns]
    out = out[first + [c for c in out.columns if c not in first]]
    out.attrs.update(attrs)
    return out


@lexicon_app.command("check")
def lexicon_check(
    ctx: typer.Context,
    directory: Annotated[Path | None, typer.Option("--dir", help="Lexicon folder (default: the workspace's).")] = None,
):
    """Validate the lexicon files; print file:line for each problem and exit 1 if any."""
    from pipeline.lexicon import check_lexicon, load_lexicon, load_stopwords

    try:
        directory = directory or workspace_of(ctx).lexicon_dir
    except DangjianError as err:
        fail(err)
    from pipeline.orgs import check_orgs

    problems = check_lexicon(directory) + check_orgs(directory)
    if problems:
        for problem in problems:
            typer.echo(problem, err=True)
        typer.echo(f"Error: {len(problems)} problem(s) in {show_path(directory)}", err=True)
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
        fail(err)
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
        directory = directory or workspace_of(ctx).lexicon_dir
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
        fail(err)
    typer.echo(f"Added {entry.term} ({entry.category}, {entry.level}) at {show_path(directory / 'formulations.csv')}:{entry.line}.")


@app.command()
@writes("out_dir", "csv_path")
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
        need_run(out_dir)
        tables = RunTables.load(out_dir)
        try:
            table = tables.keyness(group_a, group_b, top=top, min_count=min_count, words=words)
        except ValueError as err:
            raise InputError(str(err), "name a document column of documents.csv and values it has, e.g. genre=述职述廉") from None
        if csv_path is not None:
            write_csv(csv_path, table)
    except DangjianError as err:
        fail(err)
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
        typer.echo(f"\nwritten to {show_path(csv_path)}")


# --------------------------------------------------------------------------- classify / train / evaluate / label
