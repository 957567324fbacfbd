"""Cache keys: what a cached result, or a whole run's outputs, depend on.

Code enters a key as whole packages of ``pipeline``: every .py file under each package a cache
kind depends on (sorted relative paths + bytes; see :func:`code_hash`), so a module added,
renamed or split inside those packages changes the key without a list of files to keep.

    ingest blob     file bytes, path, sheet row  + ingest fingerprint (INGEST_CODE, limits, the
                                                   OpenCC of the simplified view)
    analysis blob   doc_id                       + analysis fingerprint (ANALYSIS_CODE, lexicons,
                                                   settings, model, the OpenCC of the simplified
                                                   view, and the ingest fingerprint: the analysis
                                                   is of the ingested paragraphs)
    run key         input names and bytes (SHA-256, cached by inode/size/mtime/ctime), the whole
                    package, the bytes of lexicons, labels and models, settings, the OpenCC of
                    the simplified view

The simplified view (ingest's rules, matching, segmentation, discovery and classification read
it) comes from the installed OpenCC, outside the package: :func:`pipeline.terms.simplify.view_fingerprint`
(its version, config and dictionary bytes) is part of every key, so an upgrade recomputes.

Names enter keys as their bytes (:func:`pipeline.ingest.path_bytes`), so a file name that is not UTF-8 (a GBK
name unzipped on Linux) is hashed like any other, and UTF-8 names give the keys they always did.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from pathlib import Path

from pipeline.config import Settings
from pipeline.ingest import path_bytes
from pipeline.run.inputs import discover
from pipeline.terms.simplify import view_fingerprint

#: the ``pipeline`` package folder, whose packages the code hashes read
PIPELINE_DIR = Path(__file__).resolve().parent.parent

#: the packages (folders) and single-module packages (``text`` = text.py) of ``pipeline`` whose
#: code each cache kind depends on. ``run`` is this package: the per-document analysis and the
#: resources it loads live here (the whole package, as the one engine.py was before).
INGEST_CODE = ("ingest", "text", "simplify", "errors", "config")
ANALYSIS_CODE = ("segment", "terms", "classify", "lexicon", "taxonomy", "text", "automaton", "run")


def _locate(root: Path, name: str) -> list[Path]:
    """The folder ``root/name`` and/or the module ``root/name.py``; an error when neither
    exists, so a package that moves cannot silently drop out of a key."""
    found = [p for p in (root / name, root / f"{name}.py") if p.exists()]
    if not found:
        raise LookupError(f"pipeline package {name!r} not found in {root} (neither {name}/ nor {name}.py): update pipeline.run.fingerprints")
    return found


def source_files(names: Iterable[str] | None = None, root: Path | None = None) -> list[Path]:
    """Every .py file of the named packages of ``root`` (default :data:`PIPELINE_DIR`; all of
    it when ``names`` is None), sorted by path relative to ``root``; __pycache__ is skipped."""
    root = Path(root) if root is not None else PIPELINE_DIR
    tops = [root] if names is None else [p for name in names for p in _locate(root, name)]
    files: set[Path] = set()
    for top in tops:
        if top.is_dir():
            files.update(p for p in top.rglob("*.py") if "__pycache__" not in p.relative_to(root).parts)
        else:
            files.add(top)
    return sorted(files, key=lambda p: p.relative_to(root).as_posix())


def code_hash(names: Iterable[str] | None = None, root: Path | None = None) -> str:
    """Hash of :func:`source_files`: each file's path relative to ``root`` and its bytes."""
    root = Path(root) if root is not None else PIPELINE_DIR
    h = hashlib.sha256()
    for p in source_files(names, root):
        try:
            data = p.read_bytes()
        except OSError:  # vanished while hashing (an editor's temp file)
            data = b"<missing>"
        h.update(p.relative_to(root).as_posix().encode() + b"\0")
        h.update(len(data).to_bytes(8, "little"))
        h.update(data)
    return h.hexdigest()[:16]


def _file_hash(paths: Iterable[Path]) -> str:
    """Hash of data files (names and bytes): the lexicon folder."""
    h = hashlib.sha256()
    for p in sorted(paths):
        h.update(path_bytes(p.name))
        try:
            h.update(p.read_bytes())
        except OSError:
            h.update(b"<missing>")
    return h.hexdigest()[:16]


def ingest_fingerprint(settings: Settings) -> str:
    code = code_hash(INGEST_CODE)
    limits = (
        f"{settings.max_paragraph_chars}|{settings.max_docx_uncompressed}|{settings.max_docx_ratio}|{settings.max_file_bytes}|{settings.follow_links}"
    )
    return hashlib.sha256(f"{code}|{limits}|{view_fingerprint()}".encode()).hexdigest()[:16]


def analysis_fingerprint(settings: Settings, model_fp: str) -> str:
    """Key of a document's analysis besides its doc_id. The doc_id hashes only the text, so
    the ingest fingerprint is part of it: the same text split into other paragraphs (other
    ingest code, another ``max_paragraph_chars``) is analysed anew."""
    code = code_hash(ANALYSIS_CODE)
    lex = _file_hash([p for p in Path(settings.lexicon_dir).glob("*") if p.is_file()])
    view = view_fingerprint()
    key = f"{code}|{lex}|{settings.segmenter}|{settings.taxonomy}|{settings.uncertain_below}|{model_fp}|{view}|{ingest_fingerprint(settings)}"
    return hashlib.sha256(key.encode()).hexdigest()[:16]


def model_fingerprint(settings: Settings) -> str:
    """Identity of the classifier the run will use (read from the model's sidecar when current)."""
    from pipeline.classify import current_fingerprint

    return current_fingerprint(settings.taxonomy, settings.labels_dir, settings.models_dir, settings.lexicon_dir) or "unknown"


def static_key(settings: Settings, engine_opts: str, report: bool, hashes=None) -> str:
    """What a run's outputs depend on besides its input files: the code (all of ``pipeline``),
    the bytes of the lexicon, label and model files, the settings and options. File contents
    come through ``hashes`` (a :class:`~pipeline.store.filehash.FileHashes`: a file whose inode,
    size, mtime and ctime are unchanged is not read again)."""
    from pipeline.store.filehash import FileHashes

    hashes = hashes if hashes is not None else FileHashes(None)
    h = hashlib.sha256()
    h.update(code_hash().encode())  # all of pipeline: any module may change an output
    for folder in (settings.lexicon_dir, settings.labels_dir, settings.models_dir):
        for p in sorted(Path(folder).glob("*")) if Path(folder).is_dir() else []:
            if p.is_file():
                h.update(path_bytes(p.name) + f"|{hashes.digest(p)}\n".encode())
    h.update(repr((settings, engine_opts, report)).encode())
    h.update(f"|view {view_fingerprint()}".encode())  # OpenCC is not in the package
    return h.hexdigest()


def run_key(raw_dir: Path, settings: Settings, engine_opts: str, report: bool, found=None, hashes=None, static: str | None = None) -> str:
    """Everything a run's outputs depend on, by content: each input file's path and SHA-256
    (through ``hashes``, see :func:`static_key`), the discovery log, and :func:`static_key`
    (``static`` when already computed). Equal keys mean the previous outputs are still exact;
    an edit that keeps a file's size and mtime still changes its key."""
    from pipeline.store.filehash import FileHashes

    hashes = hashes if hashes is not None else FileHashes(None)
    files, sheets, log = found if found is not None else discover(Path(raw_dir), settings)
    h = hashlib.sha256()
    for p in files + sheets:
        h.update(path_bytes(p.relative_to(raw_dir).as_posix()) + f"|{hashes.digest(p) or 'gone'}\n".encode())
    for row in log:  # (shown escaped: printable text)
        h.update(f"{row.path}|{row.status}\n".encode("utf-8", "surrogatepass"))
    h.update((static or static_key(settings, engine_opts, report, hashes)).encode())
    return h.hexdigest()
