"""Organisation names, normalised: one name for the many spellings of one body, so grouping by
``org`` does not split a school into seven groups.

Two steps, in order:

1. the obvious patterns (:func:`pattern_name`): a leading 中共 / 中国共产党 is dropped;
   ``X委员会`` (the party committee's formal name) and ``X党委会`` become ``X党委``; ``X党总支委员会``
   / ``X党支部委员会`` become ``X党总支`` / ``X党支部``; ``X纪律检查委员会`` becomes ``X纪委``;
   ``共青团X委员会`` becomes ``共青团X团委``; spaces are removed; the name is read and given as its
   simplified view (:mod:`pipeline.simplify`: ``中共紹興一中黨委`` is ``绍兴一中党委``; the raw name,
   ``org_raw``, stays as written);
2. the analyst's aliases file ``orgs.csv`` in the lexicon folder (header ``name,aliases``;
   aliases ``|``-separated, written in either spelling, since both sides go through step 1).

:class:`OrgNames` maps a raw name to its canonical one; an unknown name keeps its step-1 form.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, field
from pathlib import Path

from pipeline import config
from pipeline.errors import LexiconError
from pipeline.simplify import simplified

ORGS_FILE = "orgs.csv"
ALIAS_SEP = "|"
_PREFIX = re.compile(r"^(?:中国共产党|中共)\s*")
_SUFFIXES = (
    (re.compile(r"^(共青团.*?)委员会$"), r"\1团委"),
    (re.compile(r"纪律检查委员会$"), "纪委"),
    (re.compile(r"(党总支|党支部|总支部|支部)委员会$"), r"\1"),
    (re.compile(r"党委会$"), "党委"),
    (re.compile(r"(?<!党)委员会$"), "党委"),
)
_SPACES = re.compile(r"[\s\u3000]+")


def pattern_name(name: str) -> str:
    """Step 1 of the module docstring: the name with its formal prefix and suffix normalised."""
    text = simplified(_SPACES.sub("", str(name or "")).strip())
    if not text:
        return ""
    text = _PREFIX.sub("", text)
    for rx, repl in _SUFFIXES:
        new = rx.sub(repl, text)
        if new != text:
            text = new
            break
    if text.endswith("党委党委"):
        text = text[: -len("党委")]
    return text


@dataclass(frozen=True)
class OrgNames:
    """Raw organisation name -> canonical name (patterns, then the aliases file)."""

    aliases: dict[str, str] = field(default_factory=dict)

    def canonical(self, name: str) -> str:
        key = pattern_name(name)
        return self.aliases.get(key, key)

    def __call__(self, name: str) -> str:
        return self.canonical(name)


def _parse(path: Path) -> tuple[dict[str, str], list[str]]:
    shown = str(path)
    try:
        text = path.read_bytes().decode("utf-8-sig")
    except UnicodeDecodeError as err:
        return {}, [f"{shown}: not UTF-8 ({err.reason} at byte {err.start})"]
    rows = list(csv.reader(io.StringIO(text, newline="")))
    if not rows or [c.strip() for c in rows[0][:2]] != ["name", "aliases"]:
        return {}, [f"{shown}:1: wrong header (expected name,aliases)"]
    out: dict[str, str] = {}
    problems: list[str] = []
    for line, row in enumerate(rows[1:], start=2):
        if not row or not any(c.strip() for c in row) or row[0].lstrip().startswith("#"):
            continue
        name = pattern_name(row[0])
        if not name:
            problems.append(f"{shown}:{line}: empty name")
            continue
        for alias in [name, *(pattern_name(a) for a in (row[1] if len(row) > 1 else "").split(ALIAS_SEP))]:
            if not alias:
                continue
            if alias in out and out[alias] != name:
                problems.append(f"{shown}:{line}: {alias} is already an alias of {out[alias]}")
                continue
            out[alias] = name
    return out, problems


def check_orgs(lexicon_dir: Path | str | None = None) -> list[str]:
    """Problems in ``orgs.csv`` (none when the file is absent: it is optional)."""
    path = Path(lexicon_dir if lexicon_dir is not None else config.LEXICON_DIR) / ORGS_FILE
    return _parse(path)[1] if path.is_file() else []


def load_orgs(lexicon_dir: Path | str | None = None) -> OrgNames:
    """The organisation names of a lexicon folder (patterns only when it has no ``orgs.csv``)."""
    path = Path(lexicon_dir if lexicon_dir is not None else config.LEXICON_DIR) / ORGS_FILE
    if not path.is_file():
        return OrgNames()
    aliases, problems = _parse(path)
    if problems:
        raise LexiconError(f"{len(problems)} problem(s) in {path}: " + "; ".join(problems[:5]), "fix orgs.csv (dangjian lexicon check lists them)")
    return OrgNames(aliases)
