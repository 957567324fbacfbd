"""Load and validate the hand-edited lexicon files in ``lexicons/`` into read-only objects.

Files (UTF-8, with or without BOM):

- ``formulations.csv`` with the header ``term,aliases,category,first_year,level,expansion`` and an
  optional seventh column ``kind``; ``aliases`` are ``|``-separated variants counted under ``term``;
  ``category`` is one of :data:`CATEGORIES`; ``level`` is ``national`` or ``local``; ``first_year`` may be
  empty; ``kind`` is ``提法`` (a numbered or fixed formulation: 两个维护, 一岗双责, 国之大者) or ``术语``
  (an institutional term: 党课, 主题党日, 民主生活会); left empty it is inferred (:func:`infer_kind`).
  Blank rows and rows whose first cell starts with ``#`` are ignored.
- ``stopwords_general.txt`` and ``stopwords_party.txt``: one word a line, ``#`` comments.

``check_lexicon`` returns every problem as ``path:line: message``; ``load_lexicon`` raises
:class:`~pipeline.errors.LexiconError` listing them. A loaded :class:`Lexicon` is cached by the
sha256 of the files' bytes (``Lexicon.fingerprint``), which callers can also use as a cache key.
"""

from __future__ import annotations

import csv
import hashlib
import io
import os
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from types import MappingProxyType
from typing import Iterable, Mapping, Sequence

from pipeline import config
from pipeline.errors import LexiconError

HEADER: tuple[str, ...] = ("term", "aliases", "category", "first_year", "level", "expansion")
OPTIONAL: tuple[str, ...] = ("kind",)
KINDS: tuple[str, ...] = ("提法", "术语")
#: leading numerals of numbered formulations (两个维护, 四个意识, 三会一课, 一岗双责, 八项规定)
NUMERALS = "一二两三四五六七八九十百千"
CATEGORIES: tuple[str, ...] = ("政治", "思想", "组织", "作风", "纪律", "制度", "综合")
LEVELS: tuple[str, ...] = ("national", "local")
YEAR_MIN, YEAR_MAX = 1921, 2030
ALIAS_SEP = "|"


@dataclass(frozen=True)
class Entry:
    """One row of ``formulations.csv``. ``line`` is its 1-based line number in the file."""

    term: str
    aliases: tuple[str, ...]
    category: str
    first_year: int | None
    level: str
    expansion: str
    line: int
    kind: str = ""

    def __post_init__(self):
        if not self.kind:
            object.__setattr__(self, "kind", infer_kind(self.term))

    @property
    def surface_forms(self) -> tuple[str, ...]:
        return (self.term, *self.aliases)


class Lexicon:
    """A read-only, validated set of formulation entries plus the fingerprint of its files."""

    __slots__ = ("_entries", "_by_term", "_surface", "_fingerprint", "_path")

    def __init__(self, entries: Iterable[Entry], *, fingerprint: str = "", path: Path | None = None):
        self._entries = tuple(entries)
        self._by_term = MappingProxyType({e.term: e for e in self._entries})
        surface: dict[str, str] = {}
        for e in self._entries:
            for form in e.surface_forms:
                surface.setdefault(form, e.term)
        self._surface = MappingProxyType(surface)
        if not fingerprint:
            fingerprint = hashlib.sha256(repr(self._entries).encode("utf-8")).hexdigest()
        self._fingerprint = fingerprint
        self._path = path

    @classmethod
    def empty(cls) -> "Lexicon":
        return cls(())

    @property
    def entries(self) -> tuple[Entry, ...]:
        return self._entries

    @property
    def terms(self) -> tuple[str, ...]:
        return tuple(e.term for e in self._entries)

    @property
    def fingerprint(self) -> str:
        return self._fingerprint

    @property
    def path(self) -> Path | None:
        """The ``formulations.csv`` this lexicon was read from (None when built in memory)."""
        return self._path

    def surface_forms(self) -> Mapping[str, str]:
        """Every term and alias -> its canonical term (a read-only mapping)."""
        return self._surface

    def by_term(self, term: str) -> Entry | None:
        """The entry whose term *or alias* is ``term`` (None if unknown)."""
        canonical = self._surface.get(term)
        return self._by_term.get(canonical) if canonical is not None else None

    def canonical(self, surface: str) -> str | None:
        return self._surface.get(surface)

    def __len__(self) -> int:
        return len(self._entries)

    def __contains__(self, surface: object) -> bool:
        return surface in self._surface

    def __iter__(self):
        return iter(self._entries)

    def __repr__(self) -> str:
        return f"Lexicon({len(self._entries)} entries, fingerprint={self._fingerprint[:12]})"

    def to_frame(self):
        """The entries as a pandas DataFrame (aliases joined by ``|``), for trends and reports."""
        import pandas as pd

        rows = [
            {
                "term": e.term,
                "aliases": ALIAS_SEP.join(e.aliases),
                "category": e.category,
                "first_year": e.first_year,
                "level": e.level,
                "expansion": e.expansion,
                "kind": e.kind,
            }
            for e in self._entries
        ]
        df = pd.DataFrame(rows, columns=[*HEADER, *OPTIONAL])
        df["first_year"] = df["first_year"].astype("Int64")
        return df


def infer_kind(term: str) -> str:
    """``提法`` for a numbered formulation (a leading numeral then at least two more characters, as
    两个维护, 三会一课, 一岗双责, 四风 is the exception it misses: write ``kind`` in the file), else ``术语``."""
    return "提法" if len(term) >= 3 and term[0] in NUMERALS else "术语"


# --------------------------------------------------------------------------- paths and parsing
def _lexicon_dir(lexicon_dir: Path | str | None) -> Path:
    return Path(lexicon_dir) if lexicon_dir is not None else config.LEXICON_DIR


def _display(path: Path) -> str:
    """``lexicons/formulations.csv`` when under the working directory, else the full path."""
    try:
        return os.path.relpath(path) if not os.path.relpath(path).startswith("..") else str(path)
    except ValueError:  # pragma: no cover - different drive on Windows
        return str(path)


def _read_text(path: Path) -> str:
    try:
        return path.read_bytes().decode("utf-8-sig")
    except UnicodeDecodeError as err:
        raise LexiconError(f"{_display(path)}: not UTF-8 ({err.reason} at byte {err.start})", "save the file as UTF-8 (Excel: 'CSV UTF-8')") from None


def _split_aliases(cell: str) -> tuple[str, ...]:
    seen: list[str] = []
    for part in cell.split(ALIAS_SEP):
        part = part.strip()
        if part and part not in seen:
            seen.append(part)
    return tuple(seen)


def _parse_year(cell: str) -> tuple[int | None, str | None]:
    """(year, problem). Empty -> (None, None)."""
    cell = cell.strip()
    if not cell:
        return None, None
    if cell.endswith(".0") and cell[:-2].isdigit():  # written back by a spreadsheet
        cell = cell[:-2]
    if len(cell) != 4 or not cell.isascii() or not cell.isdigit():
        return None, f"bad first_year {cell!r} (expected 4 digits, {YEAR_MIN}..{YEAR_MAX}, or empty)"
    year = int(cell)
    if not YEAR_MIN <= year <= YEAR_MAX:
        return None, f"bad first_year {year} (outside {YEAR_MIN}..{YEAR_MAX})"
    return year, None


def _parse_formulations(path: Path) -> tuple[list[Entry], list[str]]:
    """Parse and validate ``formulations.csv``: (entries that parsed, problems)."""
    shown = _display(path)
    problems: list[str] = []
    if not path.is_file():
        return [], [f"{shown}:0: file not found"]
    text = _read_text(path)
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = next(reader)
    except StopIteration:
        return [], [f"{shown}:1: empty file (expected header {','.join(HEADER)})"]
    except csv.Error as err:
        return [], [f"{shown}:1: unreadable CSV ({err})"]
    header = [h.strip() for h in header]
    if tuple(header[: len(HEADER)]) != HEADER or any(h not in OPTIONAL for h in header[len(HEADER) :]):
        return [], [f"{shown}:1: wrong header {','.join(header)!r} (expected {','.join(HEADER)}[,{','.join(OPTIONAL)}])"]

    entries: list[Entry] = []
    first_term: dict[str, int] = {}  # term -> line
    first_alias: dict[str, tuple[str, int]] = {}  # alias -> (term, line)
    rows = []
    line = 1
    while True:
        try:
            row = next(reader)
        except StopIteration:
            break
        except csv.Error as err:
            problems.append(f"{shown}:{reader.line_num}: unreadable CSV row ({err})")
            break
        line = reader.line_num
        if not row or all(not c.strip() for c in row) or row[0].lstrip().startswith("#"):
            continue
        rows.append((line, row))

    for line, row in rows:
        where = f"{shown}:{line}"
        if len(row) < len(HEADER):
            problems.append(f"{where}: {len(row)} columns, expected {len(HEADER)} ({','.join(HEADER)})")
            continue
        if len(row) > len(header) and any(c.strip() for c in row[len(header) :]):
            problems.append(f"{where}: {len(row)} columns, expected {len(header)} (a comma inside a field needs quotes)")
            continue
        term, aliases_cell, category, year_cell, level, expansion = (c.strip() for c in row[: len(HEADER)])
        kind = row[len(HEADER)].strip() if "kind" in header[len(HEADER) :] and len(row) > len(HEADER) else ""
        ok = True
        if kind and kind not in KINDS:
            problems.append(f"{where}: bad kind {kind!r} (提法 or 术语, or empty to infer)")
            ok = False
        for name, value in (("term", term), ("category", category), ("level", level)):
            if not value:
                problems.append(f"{where}: empty {name}")
                ok = False
        if term and ALIAS_SEP in term:
            problems.append(f"{where}: term {term!r} contains '{ALIAS_SEP}' (put variants in aliases)")
            ok = False
        if category and category not in CATEGORIES:
            problems.append(f"{where}: bad category {category!r} (one of {'/'.join(CATEGORIES)})")
            ok = False
        if level and level not in LEVELS:
            problems.append(f"{where}: bad level {level!r} (national or local)")
            ok = False
        year, year_problem = _parse_year(year_cell)
        if year_problem:
            problems.append(f"{where}: {year_problem}")
            ok = False
        aliases = _split_aliases(aliases_cell)
        if term:
            if term in first_term:
                problems.append(f"{where}: duplicate term {term} (first at line {first_term[term]})")
                ok = False
            elif term in first_alias:
                other, other_line = first_alias[term]
                problems.append(f"{where}: term {term} is already an alias of {other} (line {other_line})")
                ok = False
            else:
                first_term[term] = line
        for alias in aliases:
            if alias == term:
                problems.append(f"{where}: alias {alias} repeats the term")
                ok = False
            elif alias in first_term:
                problems.append(f"{where}: alias {alias} is the term of another entry (line {first_term[alias]})")
                ok = False
            elif alias in first_alias:
                other, other_line = first_alias[alias]
                problems.append(f"{where}: alias {alias} is also an alias of {other} (line {other_line})")
                ok = False
            else:
                first_alias[alias] = (term, line)
        if ok:
            entries.append(Entry(term, aliases, category, year, level, expansion, line, kind))
    return entries, problems


def _stopword_lines(path: Path) -> tuple[list[str], list[str]]:
    words: list[str] = []
    problems: list[str] = []
    if not path.is_file():
        return words, problems
    shown = _display(path)
    for number, raw in enumerate(_read_text(path).splitlines(), start=1):
        word = raw.split("#", 1)[0].strip()
        if not word:
            continue
        if any(ch.isspace() for ch in word):
            problems.append(f"{shown}:{number}: stopword {word!r} contains a space (one word a line)")
            continue
        words.append(word)
    return words, problems


def fingerprint(lexicon_dir: Path | str | None = None) -> str:
    """sha256 over the names and bytes of the lexicon files (a cache key for derived data)."""
    base = _lexicon_dir(lexicon_dir)
    digest = hashlib.sha256()
    for name in (config.FORMULATIONS_FILE, *config.STOPWORD_FILES):
        path = base / name
        digest.update(name.encode("utf-8") + b"\0")
        digest.update(path.read_bytes() if path.is_file() else b"<missing>")
        digest.update(b"\0")
    return digest.hexdigest()


# --------------------------------------------------------------------------- public API
def check_lexicon(lexicon_dir: Path | str | None = None) -> list[str]:
    """Every problem in the lexicon files as ``file:line: message`` (empty list = valid)."""
    base = _lexicon_dir(lexicon_dir)
    try:
        _, problems = _parse_formulations(base / config.FORMULATIONS_FILE)
    except LexiconError as err:
        return [err.message]
    for name in config.STOPWORD_FILES:
        try:
            problems += _stopword_lines(base / name)[1]
        except LexiconError as err:
            problems.append(err.message)
    return problems


def load_lexicon(lexicon_dir: Path | str | None = None) -> Lexicon:
    """Load ``formulations.csv`` from ``lexicon_dir`` (default ``config.LEXICON_DIR``).

    Raises LexiconError listing every problem with file:line when the file is invalid.
    Cached by the files' fingerprint, so editing the file is picked up on the next call.
    """
    base = _lexicon_dir(lexicon_dir).resolve()
    return _load_cached(str(base), fingerprint(base))


@lru_cache(maxsize=16)
def _load_cached(base: str, fp: str) -> Lexicon:
    path = Path(base) / config.FORMULATIONS_FILE
    if not path.is_file():
        raise LexiconError(
            f"no {config.FORMULATIONS_FILE} in {_display(Path(base))}", f"create it with the header {','.join(HEADER)} or pass --lexicon-dir"
        )
    entries, problems = _parse_formulations(path)
    if problems:
        shown = "\n  ".join(problems[:50])
        more = f"\n  ... and {len(problems) - 50} more" if len(problems) > 50 else ""
        raise LexiconError(f"{len(problems)} problem(s) in the lexicon:\n  {shown}{more}", "fix these rows (dangjian lexicon check lists them)")
    return Lexicon(entries, fingerprint=fp, path=path)


def load_stopwords(lexicon_dir: Path | str | None = None) -> frozenset[str]:
    """The union of the stopword files (missing files count as empty)."""
    base = _lexicon_dir(lexicon_dir).resolve()
    return _stopwords_cached(str(base), fingerprint(base))


@lru_cache(maxsize=16)
def _stopwords_cached(base: str, fp: str) -> frozenset[str]:
    words: set[str] = set()
    for name in config.STOPWORD_FILES:
        words.update(_stopword_lines(Path(base) / name)[0])
    return frozenset(words)


def add_entry(
    term: str,
    category: str,
    *,
    aliases: Sequence[str] = (),
    expansion: str = "",
    first_year: int | str | None = None,
    level: str = "local",
    kind: str = "",
    lexicon_dir: Path | str | None = None,
) -> Entry:
    """Append one validated row to ``formulations.csv`` (atomic write; the file's BOM and line
    endings are kept). Refuses duplicates and conflicting aliases with a LexiconError."""
    from pipeline.atomic import write_text

    base = _lexicon_dir(lexicon_dir)
    path = base / config.FORMULATIONS_FILE
    term = term.strip()
    aliases = _split_aliases(ALIAS_SEP.join(a.strip() for a in aliases))
    category, level, expansion = category.strip(), level.strip(), " ".join(expansion.split())
    problems = []
    if not term:
        problems.append("empty term")
    if any(ch in term for ch in ',"\n\r' + ALIAS_SEP) or any(ch in a for a in aliases for ch in '"\n\r' + ALIAS_SEP):
        problems.append('term and aliases may not contain , " | or line breaks')
    if category not in CATEGORIES:
        problems.append(f"bad category {category!r} (one of {'/'.join(CATEGORIES)})")
    if level not in LEVELS:
        problems.append(f"bad level {level!r} (national or local)")
    year, year_problem = _parse_year("" if first_year is None else str(first_year))
    if year_problem:
        problems.append(year_problem)
    if term in aliases:
        problems.append(f"alias {term} repeats the term")
    kind = kind.strip()
    if kind and kind not in KINDS:
        problems.append(f"bad kind {kind!r} (提法 or 术语)")
    if problems:
        raise LexiconError("; ".join(problems), "fix the arguments and try again")

    lex = load_lexicon(base) if path.is_file() else Lexicon.empty()
    for form in (term, *aliases):
        owner = lex.by_term(form)
        if owner is not None:
            role = "the term" if owner.term == form else f"an alias of {owner.term}"
            raise LexiconError(
                f"{form} is already in the lexicon as {role} ({_display(path)}:{owner.line})", "edit that row instead of adding a new one"
            )

    if path.is_file():
        existing = path.read_bytes().decode("utf-8")  # keeps a BOM as \ufeff
    else:
        existing = ",".join((*HEADER, *OPTIONAL)) + "\n"
    has_kind = "kind" in existing.lstrip("\ufeff").split("\n", 1)[0].strip().split(",")
    row_buf = io.StringIO()
    cells = [term, ALIAS_SEP.join(aliases), category, "" if year is None else year, level, expansion]
    csv.writer(row_buf, lineterminator="\n").writerow(cells + ([kind or infer_kind(term)] if has_kind else []))
    newline = "\r\n" if "\r\n" in existing else "\n"
    if existing and not existing.endswith(("\n", "\r")):
        existing += newline
    line = existing.count("\n") + 1
    write_text(path, existing + row_buf.getvalue().replace("\n", newline))
    return Entry(term, aliases, category, year, level, expansion, line, kind)


__all__ = [
    "CATEGORIES",
    "Entry",
    "HEADER",
    "KINDS",
    "LEVELS",
    "OPTIONAL",
    "Lexicon",
    "add_entry",
    "check_lexicon",
    "fingerprint",
    "infer_kind",
    "load_lexicon",
    "load_stopwords",
]
