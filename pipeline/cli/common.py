"""The app, its sub-apps, the shared options and helpers of every command (workspace, settings, errors)."""

from __future__ import annotations

from enum import Enum
from pathlib import Path
from typing import Annotated

import typer


class _App(typer.Typer):
    """The console entry: a run stopped by SIGINT/SIGTERM has already stopped its workers, removed
    its temp files, released the lock and printed its one line; the process then ends at once
    with 130/143 (:func:`end_after_interrupt`) instead of running the interpreter's exit, whose
    joins were seen to hang for 120 s (a stop also once ended with a segfault, exit -11 after
    SIGTERM, in about 190 stops of the signal tests; its cause was not found, and the
    interpreter's finalisation is one candidate this removes). Only the console entry does this;
    a notebook or CliRunner calling the package gets the exception. The signals raise it for the
    whole command (:func:`pipeline.run.signals.console`), not only inside a run."""

    def __call__(self, *args, **kwargs):
        from pipeline.run.signals import RunInterrupted, console, say_unsaid

        try:
            with console():
                return super().__call__(*args, **kwargs)
        except RunInterrupted as err:
            say_unsaid(err)
            end_after_interrupt(int(err.code))
            raise


def end_after_interrupt(code: int) -> None:
    """Flush stdout, stderr and the logging handlers, then end the process with ``code`` at once
    (``os._exit``: no atexit joins, no finalisation; everything the run wrote is closed)."""
    import logging
    import os
    import sys

    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):
            pass
    try:
        logging.shutdown()
    except Exception:  # a broken handler must not keep the process alive
        pass
    os._exit(code)


app = _App(
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


def show_path(path) -> str:
    """A path as the terminal shows it: bytes that are not UTF-8 as ``\\xNN``, control
    characters (an escape sequence in a folder name) escaped (pipeline.ingest.display_path)."""
    from pipeline.ingest import display_path

    return display_path(path)


def fail(err: Exception) -> None:
    """One line on stderr, exit 1. Paths in the message (a folder whose name is not UTF-8 or
    holds an escape sequence) are shown escaped, as everywhere (pipeline.ingest.display_text)."""
    from pipeline.ingest import display_text

    typer.echo(f"Error: {display_text(str(err))}", err=True)
    raise typer.Exit(1)


#: what to do when an output path cannot be created, by errno name (the rest: errors.OUTPUT_FAULTS)
_CANNOT_CREATE = {
    "ENOENT": "its parent cannot hold new files (as under /proc or /sys): give another path",
    "EEXIST": "a file of that name is in the way: give another path",
    "ENOTDIR": "a file is in the way of that folder: give another path",
    "EISDIR": "that is a folder: give a file name",
}


def cannot_write(err: OSError, paths) -> Exception | None:
    """``err`` as one coded OutputError when it is about one of the output ``paths`` or a folder
    above one (it could not be created or written), else None (keep the traceback: a bug)."""
    import errno as errno_mod
    import os

    from pipeline.errors import OUTPUT_FAULTS, OutputError

    name = errno_mod.errorcode.get(err.errno or 0, "")
    hint = _CANNOT_CREATE.get(name) or OUTPUT_FAULTS.get(name)
    failed = getattr(err, "filename", None)
    if hint is None or failed is None:
        return None
    failed = os.path.abspath(os.fspath(failed))
    for path in paths:
        target = Path(os.path.abspath(os.fspath(path)))
        if failed == str(target) or Path(failed) in target.parents:
            return OutputError(f"cannot write {path}: {os.strerror(err.errno)} [{name}] at {failed}; no output was changed", hint)
    return None


def writes(*params: str):
    """Decorator of a command whose options ``params`` name the paths it writes: an OSError
    about one of them (an output folder under /proc, a file in the way) becomes one coded line
    and exit 1 instead of a traceback."""
    import functools

    def decorate(command):
        @functools.wraps(command)
        def wrapper(*args, **kwargs):
            try:
                return command(*args, **kwargs)
            except OSError as err:
                coded = cannot_write(err, [kwargs[p] for p in params if kwargs.get(p) is not None])
                if coded is None:
                    raise
                fail(coded)

        return wrapper

    return decorate


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


def workspace_of(ctx: typer.Context | None = None):
    """The workspace every command of this invocation reads and writes (pipeline.workspace)."""
    from pipeline import workspace

    root = ctx.find_root() if ctx is not None else None
    project = (root.obj or {}).get("project") if root is not None else None
    return workspace.resolve(project)


def settings_for(ctx: typer.Context | None = None, segmenter: str = "jieba", taxonomy: str = "four", **kw):
    from pipeline.config import Settings

    ws = workspace_of(ctx)
    return Settings(lexicon_dir=ws.lexicon_dir, labels_dir=ws.labels_dir, models_dir=ws.models_dir, segmenter=segmenter, taxonomy=taxonomy, **kw)


def read_input_lines(path: Path) -> list[str]:
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


def run_lexicon(ctx: typer.Context, out_dir: Path, lexicon_dir: Path | None) -> Path | None:
    """The lexicon a run's formulations are read with: the one asked for, else the run folder's
    copy (None: RunTables finds it), else the workspace's."""
    if lexicon_dir is not None:
        return lexicon_dir / "formulations.csv"
    return None if (out_dir / "formulations.csv").is_file() else workspace_of(ctx).lexicon_dir / "formulations.csv"


class MeasureChoice(str, Enum):
    per_10k = "per_10k"
    doc_share = "doc_share"


def need_run(out_dir: Path) -> None:
    from pipeline.errors import InputError

    if not (out_dir / "documents.csv").is_file() and not (out_dir / "documents.parquet").is_file():
        raise InputError(f"no finished run in {out_dir} (documents.csv not found)", f"run `dangjian run RAW_DIR --out {out_dir}` first")


LabelsOpt = Annotated[Path | None, typer.Option("--labels", help="Folder of labelled CSVs (default data/labels).")]
ModelsOpt = Annotated[
    Path | None,
    typer.Option("--models-dir", envvar="DANGJIAN_MODELS_DIR", help="Where models are saved/loaded (default models/)."),
]
TaxOpt = Annotated[
    TaxonomyChoice,
    typer.Option(
        help="Category scheme: four (default) or six (experimental: a model trained on the six-way labels whose measured macro-F1 is more than 0.05 below the four-way one; see docs/classifier.md)."
    ),
]
