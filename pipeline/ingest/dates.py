"""Dates and years in report text: '2020年4月17日', '2020-04-17', publication lines
('发布时间:…'), closing signature dates, years in file names and in the body. Pure functions
on strings."""

from __future__ import annotations

import re
from datetime import date as _date

PUBDATE = re.compile(
    r"(发布时间|发布日期|发表时间|发表日期|发文日期|发稿时间|更新时间|录入时间|时间|日期|来源时间|published)\s*[:：]?\s*"
    r"((?:19|20)\d\d)\s*[-年/.]\s*(\d{1,2})\s*[-月/.]\s*(\d{1,2})"
)
_DATE_RE = re.compile(r"((?:19|20)\d\d)\s*[-年/.]\s*(\d{1,2})\s*[-月/.]\s*(\d{1,2})\s*日?")
SIGN_DATE = re.compile(r"^((?:19|20)\d\d)\s*年\s*(\d{1,2})\s*月\s*(\d{1,2})\s*日$")


def iso(m: re.Match) -> str:
    y, mo, d = int(m.group(m.lastindex - 2)), int(m.group(m.lastindex - 1)), int(m.group(m.lastindex))
    try:
        return _date(y, mo, d).isoformat()
    except ValueError:
        return ""


def parse_year(value: str) -> int | None:
    m = re.search(r"(1[89]\d\d|20\d\d)", value or "")
    return int(m.group(1)) if m else None


def parse_date(value: str) -> str:
    m = _DATE_RE.search(value or "")
    return iso(m) if m else ""


def filename_date(name: str) -> tuple[int | None, str]:
    m = re.search(r"(?<!\d)((?:19|20)\d\d)[-_.]?(\d{2})[-_.]?(\d{2})(?!\d)", name)
    if m:
        try:
            return int(m.group(1)), _date(int(m.group(1)), int(m.group(2)), int(m.group(3))).isoformat()
        except ValueError:
            pass
    m = re.search(r"(?<!\d)((?:19|20)\d\d)(?!\d)", name)
    if m:
        return int(m.group(1)), ""
    return None, ""


TEXT_YEAR = re.compile(r"(?<![\d到至迄])((?:19|20)\d\d)\s*年(?!代|远景|前后)")


def text_year(body: str, max_year: int) -> int | None:
    years = [int(y) for y in TEXT_YEAR.findall(body)]
    years = [y for y in years if 1921 <= y <= max_year]
    return max(years) if years else None
