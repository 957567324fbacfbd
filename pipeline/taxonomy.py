"""Load and validate the category scheme in ``lexicons/taxonomy.yaml`` into a frozen object.

The file holds two schemes, ``four`` (政治建设 / 组织建设 / 作风建设 / 其他, the default) and
``six`` (政治 / 思想 / 组织 / 作风 / 纪律 / 制度 建设 + 其他) whose ``rollup`` maps every label onto
the four. Loading is explicit (``load_taxonomy``); importing this module reads nothing.

Accepted layouts (analysts edit this file, so we are lenient about shape, strict about content)::

    schemes:                # or the scheme names at top level
      four:
        labels: [政治建设, 组织建设, 作风建设, 其他]     # or a list of {name, description, keywords}
        descriptions: {政治建设: "...", ...}
        keywords: {政治建设: [政治建设, 两个维护, ...], ...}
      six:
        labels: [...]
        keywords: {...}
        rollup: {思想建设: 政治建设, ...}
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType
from typing import Mapping

from pipeline.errors import TaxonomyError

SCHEMES = ("four", "six")
FOUR_LABELS = ("政治建设", "组织建设", "作风建设", "其他")
OTHER = "其他"


@dataclass(frozen=True)
class Taxonomy:
    """One category scheme. ``rollup`` maps each label to a label of the four-way scheme
    (identity for ``four``)."""

    name: str
    labels: tuple[str, ...]
    descriptions: Mapping[str, str]
    keywords: Mapping[str, tuple[str, ...]]
    rollup: Mapping[str, str]
    source: str = ""

    @property
    def base_labels(self) -> tuple[str, ...]:
        """The four-way labels this scheme rolls up into, in scheme order."""
        seen: list[str] = []
        for lab in self.labels:
            up = self.rollup[lab]
            if up not in seen:
                seen.append(up)
        return tuple(seen)

    def children(self, base: str) -> tuple[str, ...]:
        """Labels of this scheme that roll up into the four-way label ``base``."""
        return tuple(lab for lab in self.labels if self.rollup[lab] == base)

    def validate_label(self, label: str) -> str:
        if label not in self.labels:
            raise TaxonomyError(
                f"label {label!r} is not in the {self.name!r} taxonomy",
                f"use one of: {', '.join(self.labels)}",
            )
        return label


def _taxonomy_path(lexicon_dir: Path | str | None) -> Path:
    from pipeline.config import LEXICON_DIR, TAXONOMY_FILE

    base = Path(lexicon_dir) if lexicon_dir is not None else LEXICON_DIR
    for name in (TAXONOMY_FILE, "taxonomy.yml"):
        if (base / name).is_file():
            return base / name
    raise TaxonomyError(f"no {TAXONOMY_FILE} in {base}", "restore lexicons/taxonomy.yaml from git")


def _read(path: Path) -> dict:
    import yaml

    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8-sig"))
    except (yaml.YAMLError, UnicodeDecodeError) as err:
        raise TaxonomyError(f"{path} is not valid YAML: {err}", "fix the file or restore it from git") from err
    if not isinstance(data, dict):
        raise TaxonomyError(f"{path} must hold a mapping of schemes", "see docs/classifier.md")
    return data.get("schemes", data)


def _str_list(value, what: str) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, (list, tuple)) or not all(isinstance(v, str) and v.strip() for v in value):
        raise TaxonomyError(f"{what} must be a list of non-empty strings", "fix lexicons/taxonomy.yaml")
    return tuple(dict.fromkeys(v.strip() for v in value))


def _parse_scheme(name: str, raw, source: str) -> Taxonomy:
    if not isinstance(raw, dict):
        raise TaxonomyError(f"scheme {name!r} must be a mapping", "fix lexicons/taxonomy.yaml")
    labels_raw = raw.get("labels")
    descriptions = dict(raw.get("descriptions") or {})
    keywords_raw = dict(raw.get("keywords") or {})
    labels: list[str] = []
    if isinstance(labels_raw, dict):  # {label: {description, keywords}} or {label: description}
        labels_raw = [{"name": k, **(v if isinstance(v, dict) else {"description": v})} for k, v in labels_raw.items()]
    if not isinstance(labels_raw, list) or not labels_raw:
        raise TaxonomyError(f"scheme {name!r} has no labels", "add a `labels:` list")
    for item in labels_raw:
        if isinstance(item, dict):
            lab = str(item.get("name") or item.get("label") or "").strip()
            if item.get("description") is not None:
                descriptions.setdefault(lab, str(item["description"]))
            if item.get("keywords") is not None:
                keywords_raw.setdefault(lab, item["keywords"])
        else:
            lab = str(item).strip()
        if not lab:
            raise TaxonomyError(f"scheme {name!r} has an empty label", "fix lexicons/taxonomy.yaml")
        if lab in labels:
            raise TaxonomyError(f"scheme {name!r} lists {lab!r} twice", "remove the duplicate")
        labels.append(lab)
    unknown = set(keywords_raw) - set(labels)
    if unknown:
        raise TaxonomyError(
            f"scheme {name!r} has keywords for unknown labels: {', '.join(sorted(unknown))}",
            f"use one of: {', '.join(labels)}",
        )
    keywords = {lab: _str_list(keywords_raw.get(lab), f"{name}.keywords.{lab}") for lab in labels}
    if OTHER not in labels:
        raise TaxonomyError(f"scheme {name!r} needs the catch-all label {OTHER!r}", "add it to `labels:`")

    if name == "four" and "rollup" not in raw:
        rollup = {lab: lab for lab in labels}
    else:
        rollup = dict(raw.get("rollup") or {})
        for lab in labels:  # labels that are already four-way roll up to themselves
            if lab not in rollup and lab in FOUR_LABELS:
                rollup[lab] = lab
        missing = [lab for lab in labels if lab not in rollup]
        if missing:
            raise TaxonomyError(f"scheme {name!r} has no rollup for {', '.join(missing)}", "add them to `rollup:`")
        extra = set(rollup) - set(labels)
        if extra:
            raise TaxonomyError(f"scheme {name!r} rolls up unknown labels {', '.join(sorted(extra))}", "fix `rollup:`")
    return Taxonomy(
        name=name,
        labels=tuple(labels),
        descriptions=MappingProxyType({lab: str(descriptions.get(lab, "")) for lab in labels}),
        keywords=MappingProxyType(keywords),
        rollup=MappingProxyType(rollup),
        source=source,
    )


def load_taxonomy(name: str = "four", lexicon_dir: Path | str | None = None) -> Taxonomy:
    """Read ``taxonomy.yaml`` from ``lexicon_dir`` (default ``lexicons/``) and return scheme ``name``.

    Both schemes are validated together: the six-way ``rollup`` must land on the four-way labels.
    """
    name = getattr(name, "value", name)
    if name not in SCHEMES:
        raise TaxonomyError(f"unknown taxonomy {name!r}", f"use one of: {', '.join(SCHEMES)}")
    path = _taxonomy_path(lexicon_dir)
    data = _read(path)
    if "four" not in data:
        raise TaxonomyError(f"{path} has no `four` scheme", "restore lexicons/taxonomy.yaml from git")
    four = _parse_scheme("four", data["four"], str(path))
    if name == "four":
        return four
    if "six" not in data:
        raise TaxonomyError(f"{path} has no `six` scheme", "add it or use --taxonomy four")
    six = _parse_scheme("six", data["six"], str(path))
    bad = {lab: up for lab, up in six.rollup.items() if up not in four.labels}
    if bad:
        raise TaxonomyError(
            f"six-way rollup targets not in the four-way scheme: {bad}",
            f"roll up into one of: {', '.join(four.labels)}",
        )
    return six
