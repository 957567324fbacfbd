"""The two meanings of a document's year: when it was published (``pub_year``) and the period it
covers (``report_year``); and its genre. Pure functions on strings.

Rules for ``report_year``, first that applies (:func:`covered_year`):

1. ``stated``: a period stated in the title or the opening lines: ``2021年度``, ``2019学年``,
   ``2019年上半年``, ``2020年第三季度``, ``2020年机关党的建设工作要点``, ``2020年民主生活会``;
2. ``annual-previous``: an annual 总结/述职/报告/对照检查/民主生活会/组织生活会 with no stated
   year, published in January to March, covers the year before (``annual-current``: published in
   October to December, the same year);
3. ``plan``: plans and 要点 with no stated year cover the publication year.

Otherwise the covered period is unknown and the analysis year is the publication year.

Every rule reads the simplified view (:mod:`pipeline.simplify`): ``2021年度工作總結`` is a stated
period and a 工作总结, as its simplified form is.
"""

from __future__ import annotations

import re
from datetime import date as _date

from pipeline.simplify import simplified

#: a stated period: a year followed by a period word (or directly by a genre noun)
_PERIOD = re.compile(
    r"(?<![\d.])((?:19|20)\d\d)\s*(?:年度|学年度|学年|年\s*(?:上半年|下半年|[上下]学期|第?[一二三四1-4]季度|全年)|年(?=[^\d月]{0,24}?"
    r"(?:工作|要点|计划|思路|总结|报告|述职|述廉|对照检查|检视|民主生活会|组织生活会|专题|情况|安排|要求|考核|任务|方案)))"
)
#: a year immediately followed by 年 and a month: a date, never a period
_DATE_AFTER = re.compile(r"(?:19|20)\d\d\s*年\s*\d{1,2}\s*月")

#: words that make a report annual by themselves (or 年度 with no year before it)
ANNUAL_WORDS = ("年度", "述职", "述廉", "述德", "对照检查", "检视剖析", "民主生活会", "组织生活会", "工作总结", "年终总结", "年度考核")
PLAN_WORDS = ("工作要点", "要点", "工作计划", "计划", "工作思路", "思路", "工作安排", "安排", "任务清单", "方案")
#: genre by title keywords, first match wins (an analyst's sheet `genre` column overrides)
GENRES: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("对照检查", ("对照检查", "检视剖析", "个人检视")),
    ("述职述廉", ("述职", "述廉", "述德", "述法")),
    ("民主生活会", ("民主生活会",)),
    ("组织生活会", ("组织生活会",)),
    ("巡察整改", ("巡察", "巡视", "整改情况")),
    ("工作要点", ("工作要点", "要点", "工作计划", "工作思路", "工作安排")),
    ("工作总结", ("工作总结", "总结", "工作报告")),
    ("党课", ("党课",)),
    ("主题党日", ("主题党日",)),
    ("党风廉政", ("党风廉政", "廉政", "清廉", "警示教育")),
    ("讲话", ("讲话", "致辞")),
)


def parse_when(value) -> tuple[int | None, str]:
    """A year, year-month or date in any form analysts write -> (year, ISO text at its precision).

    ``2020``, ``2020年``, ``2020年度``, ``2020-12``, ``2020.12``, ``2020年12月``, ``2020/12/3``,
    ``2020-12-03 00:00:00``, ``20201203`` and Excel serial day numbers (``44166``) are read;
    anything else is (None, "")."""
    if value is None:
        return None, ""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        if value != value:  # NaN
            return None, ""
        value = str(int(value)) if float(value).is_integer() else str(value)
    text = simplified(str(value).strip().translate(_FULLWIDTH))
    if not text:
        return None, ""
    m = re.fullmatch(r"(\d{5})(?:\.0+)?", text)
    if m and 20000 <= int(m.group(1)) <= 60000:  # Excel's day number (1900 system)
        d = _date.fromordinal(_date(1899, 12, 30).toordinal() + int(m.group(1)))
        return d.year, d.isoformat()
    m = re.fullmatch(r"((?:18|19|20)\d\d)(\d\d)(\d\d)", text)
    if m:
        return _ymd(int(m.group(1)), int(m.group(2)), int(m.group(3)))
    m = re.fullmatch(
        r"((?:18|19|20)\d\d)\s*(?:年度|年|学年)?(?:\s*[-/.年]\s*(\d{1,2})\s*月?(?:\s*[-/.]?\s*(\d{1,2})\s*日?)?)?"
        r"(?:[ T]\d{1,2}:\d\d(?::\d\d(?:\.\d+)?)?)?",
        text,
    )
    if not m:
        return None, ""
    year, month, day = int(m.group(1)), m.group(2), m.group(3)
    if month is None:
        return year, str(year)
    if day is None:
        return (year, f"{year:04d}-{int(month):02d}") if 1 <= int(month) <= 12 else (None, "")
    return _ymd(year, int(month), int(day))


_FULLWIDTH = {cp: cp - 0xFEE0 for cp in range(0xFF01, 0xFF5F)} | {0x3000: 0x20}


def _ymd(year: int, month: int, day: int) -> tuple[int | None, str]:
    try:
        return year, _date(year, month, day).isoformat()
    except ValueError:
        return None, ""


def stated_year(text: str) -> int | None:
    """The year of a period stated in ``text`` (a title or opening line), else None."""
    text = simplified(text or "")
    for m in _PERIOD.finditer(text):
        if _DATE_AFTER.match(text, m.start()):
            continue
        return int(m.group(1))
    return None


def genre_of(title: str) -> str:
    """The genre a title names (:data:`GENRES`), else ''."""
    title = simplified(title or "")
    for genre, words in GENRES:
        if any(w in title for w in words):
            return genre
    return ""


def _is_annual(text: str) -> bool:
    return any(w in text for w in ANNUAL_WORDS) and not _is_plan(text)


def _is_plan(text: str) -> bool:
    return any(w in text for w in PLAN_WORDS)


def covered_year(title: str, opening: list[str], pub_date: str) -> tuple[int | None, str]:
    """(report_year, rule) by the module's rules; ``pub_date`` is ISO (``YYYY``, ``YYYY-MM`` or
    ``YYYY-MM-DD``) or ''. ``opening`` are the first body lines (a few are enough)."""
    for text in (title, *opening):
        year = stated_year(text)
        if year is not None:
            return year, "stated"
    pub_year = int(pub_date[:4]) if pub_date[:4].isdigit() else None
    month = int(pub_date[5:7]) if len(pub_date) >= 7 and pub_date[5:7].isdigit() else None
    head = simplified(title or (opening[0] if opening else ""))
    if pub_year is not None and month is not None and month <= 3 and _is_annual(head):
        return pub_year - 1, "annual-previous"
    if pub_year is not None and month is not None and month >= 10 and _is_annual(head):
        return pub_year, "annual-current"
    if pub_year is not None and _is_plan(head):
        return pub_year, "plan"
    return None, ""
