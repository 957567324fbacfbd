"""Discovery rules on strings: what a numbered abbreviation is and how it scores, what is junk,
which candidate swallows a lexicon form, the example snippet, and the output columns."""

from __future__ import annotations

import functools
import re

HAN_CLASS = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
NUMERALS = "一二两三四五六七八九十百千双"
_ORDINAL = re.compile(f"^[{NUMERALS}](是|要|则|来|方面|层次|阶段|部分|季度|批次)")
#: numeral + unit of time / quantity: 两年, 三次, 五名, 十余, 一百, 一半
_QUANTITY = re.compile(
    f"^[{NUMERALS}]+(年|月|日|天|周|次|名|人|家|份|篇|届|批|位|万|亿|余|多|点|时|分|秒|岁|倍|成|半|处|所|只|轮|场|期|节|堂|门|本|页|号|楼|层|组)"
)
_CONGRESS = re.compile(f"^(十[{NUMERALS}]?[大届]|[十]?[一二三四五六七八九]五$|[一二三四五六七八九十]+中全会)")
#: dates written as numerals (八一 Army Day, 七一, 五四), school names (一中, 二小) and honour titles
#: (十佳, 百佳): numbered, but not abbreviations of a policy
_NAMES = re.compile(f"^(八一|七一|五一|五四|六一|十一|[{NUMERALS}]{{1,2}}[中小](?![{NUMERALS}])|十佳|百佳|百强)")
_ONLY_NUMERALS = re.compile(f"^[{NUMERALS}〇零0-9０-９.．%]+$")
_DATE = re.compile(r"(\d|[〇零一二三四五六七八九十]{2,})(年|月|日|号)")
REPEATED_NUMERAL = re.compile(f"^[{NUMERALS}][{HAN_CLASS}]{{1,3}}[{NUMERALS}][{HAN_CLASS}]{{1,3}}")
_HAS_HAN = re.compile("[\u3400-\u9fff\uf900-\ufaff]")
_SENTENCE_PUNCT_RE = re.compile("[。！？；：!?;:\n]")
FUNCTION_EDGE = set("的和是了在与及或等之而也就都把被对从向为于将并且其这那个着过吗呢吧啊")
FUNCTION_END = set("的了和与及或等之着过吗呢吧啊")
METHOD_ORDER = ("pattern", "quoted", "pmi")
CANDIDATE_COLUMNS = ["term", "method", "score", "doc_freq", "years", "example"]


@functools.lru_cache(maxsize=1 << 16)
def pattern_score(term: str) -> float | None:
    """Structure score of a numbered abbreviation (None when it is not one)."""
    items = term.split("、")
    if any(not it or it[0] not in NUMERALS for it in items):
        return None
    first = items[0]
    if not 2 <= len(first) <= 8 or len(term) > 20:
        return None
    if _ORDINAL.match(first) or _CONGRESS.match(first) or _ONLY_NUMERALS.match(first) or _NAMES.match(first):
        return None
    if _QUANTITY.match(first) and not REPEATED_NUMERAL.match(first):
        return None
    if first[-1] in FUNCTION_END or "的" in term:
        return None
    score = 1.0
    if len(items) > 1:
        score = 3.0  # 一题一写、一人一讲
    elif REPEATED_NUMERAL.match(first):
        score = 2.5  # 两服务一改进, 一支部一清单
    elif len(first) >= 3 and first[1] in "个项条种大类型级":
        score = 2.0  # 三个更加突出, 五大质量提升, 三级联述联评联考
    elif len(first) == 2:
        score = 1.5  # 五感, 三严
    return score


def is_junk(term: str, stopwords: frozenset[str]) -> bool:
    if len(term) < 2 or term in stopwords:
        return True
    if _ONLY_NUMERALS.match(term) or _DATE.search(term):
        return True
    if _SENTENCE_PUNCT_RE.search(term):
        return True
    return not _HAS_HAN.search(term)


def swallows(candidate: str, form: str) -> bool:
    """True when ``candidate`` contains lexicon ``form`` and is not a numbered coinage built on
    it (五型党课 is new although 党课 is known; 四强党支部创建 is just 四强 in context)."""
    for cand in dict.fromkeys((candidate, candidate.replace("、", ""))):
        if form in cand:
            rest = cand.replace(form, "", 1)
            if not (rest and rest[0] in NUMERALS and cand.startswith(rest)):
                return True
    return False


def make_example(text: str, start: int, end: int, width: int = 40) -> str:
    side = max(4, (width - (end - start)) // 2)
    left, right = text[max(0, start - side) : start], text[end : end + side]
    return " ".join(f"{left}{text[start:end]}{right}".split())
