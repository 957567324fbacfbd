"""An analyst's workspace: the folder whose ``dangjian.toml`` names the lexicon, labels and models
folders every command uses, so that an edit there (``dangjian lexicon add``) is what the next
``dangjian run`` there counts.

Resolution, first that applies (as ruff and pytest find their configuration):

1. ``--project DIR`` (or ``DANGJIAN_PROJECT``): ``DIR/dangjian.toml`` if present, else ``DIR`` with
   the default layout (``lexicons/``, ``labels/``, ``models/`` in it, each used where it exists);
2. the nearest ``dangjian.toml`` in the current folder or a parent;
3. none: the package's own lexicons and labels (the repository's folders in a checkout), and
   models in the checkout's ``models/`` or the per-user cache folder.

``dangjian.toml``::

    [paths]
    lexicons = "lexicons"   # formulations.csv, taxonomy.yaml, stopwords, orgs.csv
    labels = "labels"       # labelled paragraphs (*.csv)
    models = "models"       # trained classifiers

Relative paths are relative to the file's folder; a key left out takes the package default
(lexicons, labels) or ``models`` next to the file.
"""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass
from pathlib import Path

from pipeline import config
from pipeline.errors import InputError

WORKSPACE_FILE = "dangjian.toml"
PATH_KEYS = ("lexicons", "labels", "models")


@dataclass(frozen=True)
class Workspace:
    """Where lexicons, labels and models are read and written; ``root`` is None without one."""

    lexicon_dir: Path
    labels_dir: Path
    models_dir: Path
    root: Path | None = None
    config_file: Path | None = None

    def describe(self) -> str:
        where = f"workspace {self.config_file or self.root}" if self.root else "the package defaults"
        return f"{where}: lexicons {self.lexicon_dir}, labels {self.labels_dir}, models {self.models_dir}"


def find_config(start: Path | str | None = None) -> Path | None:
    """The nearest ``dangjian.toml`` in ``start`` (default: the current folder) or a parent."""
    here = Path(start if start is not None else Path.cwd()).resolve()
    for folder in (here, *here.parents):
        candidate = folder / WORKSPACE_FILE
        if candidate.is_file():
            return candidate
    return None


def _read_paths(path: Path) -> dict[str, str]:
    import tomllib

    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as err:
        raise InputError(f"cannot read {path}: {err}", "fix it or remove it; see `dangjian init --help` for the format") from err
    section = data.get("paths", {})
    if not isinstance(section, dict):
        raise InputError(f"{path}: [paths] must be a table", 'write e.g. `[paths]` then `lexicons = "lexicons"`')
    unknown = sorted(set(section) - set(PATH_KEYS))
    if unknown:
        raise InputError(f"{path}: unknown key(s) in [paths]: {', '.join(unknown)}", f"use only {', '.join(PATH_KEYS)}")
    bad = [k for k, v in section.items() if not isinstance(v, str) or not v.strip()]
    if bad:
        raise InputError(f"{path}: [paths] {', '.join(bad)} must be a folder name in quotes", 'e.g. lexicons = "lexicons"')
    return {k: v for k, v in section.items()}


def _from_folder(root: Path, paths: dict[str, str] | None, config_file: Path | None) -> Workspace:
    def pick(key: str, default: Path, *, fallback_if_missing: bool) -> Path:
        if paths is not None and key in paths:
            return (root / paths[key]).resolve()
        conventional = root / key
        if conventional.is_dir() or not fallback_if_missing:
            return conventional.resolve()
        return default

    return Workspace(
        lexicon_dir=pick("lexicons", config.LEXICON_DIR, fallback_if_missing=True),
        labels_dir=pick("labels", config.LABELS_DIR, fallback_if_missing=True),
        models_dir=pick("models", root / "models", fallback_if_missing=False),
        root=root.resolve(),
        config_file=config_file,
    )


def resolve(project: Path | str | None = None, *, cwd: Path | str | None = None) -> Workspace:
    """The workspace of a command (see the module docstring for the order); ``DANGJIAN_MODELS_DIR``,
    when set, names the models folder whatever the workspace says."""
    ws = _resolve(project, cwd)
    env_models = os.environ.get("DANGJIAN_MODELS_DIR")
    if env_models:
        from dataclasses import replace

        ws = replace(ws, models_dir=Path(env_models))
    return ws


def _resolve(project: Path | str | None, cwd: Path | str | None) -> Workspace:
    if project is None and os.environ.get("DANGJIAN_PROJECT"):
        project = os.environ["DANGJIAN_PROJECT"]
    if project is not None:
        root = Path(project)
        if root.is_file() and root.name == WORKSPACE_FILE:
            root = root.parent
        if not root.is_dir():
            raise InputError(f"--project {project}: no such folder", f"create one with `dangjian init {project}`")
        cfg = root / WORKSPACE_FILE
        return _from_folder(root, _read_paths(cfg) if cfg.is_file() else None, cfg if cfg.is_file() else None)
    cfg = find_config(cwd)
    if cfg is not None:
        return _from_folder(cfg.parent, _read_paths(cfg), cfg)
    return Workspace(lexicon_dir=config.LEXICON_DIR, labels_dir=config.LABELS_DIR, models_dir=config.MODELS_DIR)


TEMPLATE = """# dangjian workspace: every `dangjian` command run in this folder (or below it) reads and
# writes these folders. Paths are relative to this file.
[paths]
lexicons = "lexicons"   # formulations.csv, taxonomy.yaml, stopwords: edit freely, `dangjian lexicon check`
labels = "labels"       # labelled paragraphs (*.csv) the classifier is trained on
models = "models"       # trained classifiers (retrained when lexicon or labels change)
"""


def init(root: Path | str, *, force: bool = False) -> Workspace:
    """Write a workspace: ``dangjian.toml``, a copy of the default lexicons and labels to edit,
    an empty ``models/`` and ``raw/``. Refuses to overwrite an existing workspace unless ``force``."""
    root = Path(root)
    cfg = root / WORKSPACE_FILE
    if cfg.exists() and not force:
        raise InputError(f"{cfg} already exists", "edit it, or pass --force to write the defaults again")
    root.mkdir(parents=True, exist_ok=True)
    for name, source in (("lexicons", config.LEXICON_DIR), ("labels", config.LABELS_DIR)):
        target = root / name
        target.mkdir(exist_ok=True)
        for item in sorted(Path(source).iterdir()):
            if item.is_file() and not item.name.startswith(".") and (force or not (target / item.name).exists()):
                shutil.copyfile(item, target / item.name)
    (root / "models").mkdir(exist_ok=True)
    (root / "raw").mkdir(exist_ok=True)
    from pipeline.atomic import write_text

    write_text(cfg, TEMPLATE)
    return resolve(root)
