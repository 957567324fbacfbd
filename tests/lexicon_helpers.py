"""A small formulation lexicon for segmenter and matcher tests (shared by tests/segment and
tests/terms): the project's lexicon when it is there, these eight formulations otherwise."""

from __future__ import annotations

from pipeline import config
from pipeline.lexicon import Entry, Lexicon, load_lexicon


def entry(term, *aliases) -> Entry:
    return Entry(term, tuple(aliases), "组织", None, "local", "", 0)


SMALL = Lexicon(
    [
        entry("两个维护"),
        entry("三会一课"),
        entry("两服务一改进"),
        entry("三个更加突出"),
        entry("三级联述联评联考"),
        entry("四强", "四强党支部"),
        entry("不忘初心、牢记使命"),
        entry("一岗双责"),
    ]
)


def project_or_small_lexicon() -> Lexicon:
    if (config.LEXICON_DIR / config.FORMULATIONS_FILE).exists():
        return load_lexicon()
    return SMALL
