"""Which statistical candidates are not formulations -- person names, places, organisations and
stock phrases of report prose -- and which candidates are variants of a lexicon entry.

Only candidates found by PMI alone are judged (:func:`statistical_rejects`): a numbered pattern or
a quotation is the author marking a unit, and stays. The rules, cheapest first:

* **stock phrases** -- time adverbials, discourse markers and era words that every report uses
  (一年来, 近年来, 新时代, 进一步, 二是要, 日下午): :data:`STOCK_PHRASES` and :data:`_STOCK_RE`;
* **organisations by suffix** -- 党委, 支部, 委员会, 公司, 学校 ... (:data:`ORG_SUFFIXES`), or a last
  word ending in 局/市/县/区/办 ... that is an organisation or place (教育局, 绍兴市, 党政办; not
  格局, 误区, 举办: :data:`NOT_ORGS`), or a numbered school (绍兴一中);
* **names and places by part of speech** -- jieba's ``posseg`` tags (nr* person, ns place, nt
  organisation, nz other proper noun), read with care because the dictionary tags many common
  words nr or ns (杜绝/nr, 维度/ns): see :func:`_is_name` (陈银伟, 孙/zg 洪亮/nr, 余栋材 -- names
  begin with a common surname, :data:`SURNAMES`) and :func:`_is_org_or_place` (绍兴市, 越城区,
  市 教育局, 温州 中学).

The tagger is a ``jieba.posseg.POSTokenizer`` on its own ``jieba.Tokenizer`` -- never the global
``jieba.dt`` -- whose dictionary holds only the words of jieba's ``dict.txt`` that occur inside the
candidates, with the full dictionary's total frequency, so it segments and tags them exactly as a
tokenizer on the whole dictionary would, without its ~1 s of loading (:class:`CandidateTagger`).
``jieba.posseg`` itself is imported only when a statistical candidate reaches the top of the
ranking (importing it costs ~1 s: it reads the tags of jieba's whole dictionary).

Variants (:func:`variants_of`): a candidate of at least :data:`VARIANT_MIN_CHARS` characters
that differs from a lexicon term or alias of the same length in exactly one character, where

* neither of the two characters is a numeral (四个意识 and 五个意识, 三大作风 and 三八作风 are
  two formulations);
* the two characters are near-synonyms: together they make a common word of jieba's dictionary,
  in either order (职责 for 一岗双职 / 一岗双责; no word joins 府 and 制, 保 and 立, so 一国两府
  and 两个确保 are formulations of their own, not variants of 一国两制 and 两个确立);
* and, when the corpus is known, the candidate is at least :data:`VARIANT_RARITY` times rarer
  than the entry or too rare to tell (at most :data:`VARIANT_FEW` occurrences): 政务公开 is not a
  variant of 党务公开 although 政党 is a word, it is the more frequent of the two in the shared
  corpus; neither is 依法行政 of 依法执政 (执行), nor 依法治军 of 依法治国 (国军).
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Iterable, Sequence
from typing import TYPE_CHECKING

from pipeline.terms.discover_wordfreq import default_word_freq
from pipeline.terms.folding import match_key
from pipeline.terms.simplify import simplified

if TYPE_CHECKING:  # pragma: no cover
    from pipeline.lexicon import Lexicon

#: Stock phrases of Chinese report prose that PMI finds cohesive but that are never formulations.
#: Kept here (not under lexicons/, which analysts edit for their own corpora) because they are a
#: property of the genre: time adverbials, discourse markers and the era words every report opens with.
STOCK_PHRASES = frozenset(
    {
        # time adverbials
        "一年来",
        "近年来",
        "多年来",
        "几年来",
        "今年来",
        "年来",
        "今年以来",
        "去年以来",
        "长期以来",
        "一直以来",
        "近期",
        "近几年",
        "这些年",
        "新世纪以来",
        "改革开放以来",
        "党的十八大以来",
        "十八大以来",
        "日上午",
        "日下午",
        "日晚",
        # era and situation words
        "新时代",
        "新时期",
        "新形势",
        "新形势下",
        "新阶段",
        "新征程",
        "新起点",
        "新常态",
        "新要求",
        "新任务",
        "新使命",
        # discourse markers
        "进一步",
        "下一步",
        "与此同时",
        "一方面",
        "另一方面",
        "总的来说",
        "总而言之",
        "众所周知",
        "毫无疑问",
        "一是要",
        "二是要",
        "三是要",
        "四是要",
        "五是要",
        "首先要",
        "其次要",
        "最后要",
        "总之",
        "同时",
        "此外",
        "因此",
    }
)
_NUM = "一二两三四五六七八九十百几多近今本去"
#: number + 年(以)来 (十年来, 近五年来), date fragments (日上午), ordinals (二是, 第三)
_STOCK_RE = re.compile(f"^([{_NUM}]*年(以)?来|[{_NUM}]*个?月(以)?来|日?[上中下]午|[一二三四五六七八九十]是要?|第[一二三四五六七八九十]+)$")

#: suffixes of organisation names: a candidate ending in one is an organisation (校党委, 文科二支部)
ORG_SUFFIXES = (
    "委员会",
    "党委",
    "党组",
    "党总支",
    "总支",
    "支部",
    "党工委",
    "纪委",
    "团委",
    "工会",
    "妇联",
    "公司",
    "集团",
    "政府",
    "人大",
    "政协",
    "办公室",
    "研究院",
    "研究所",
    "教研组",
    "年级组",
    "教育局",
    "街道",
    "管委会",
    "居委会",
    "村委会",
)
#: words that end a school's or a hospital's name after a place or a person (温州中学, 阳明中学;
#: not 清廉学校, 党建示范学校, which are programmes)
SCHOOL_WORDS = frozenset({"中学", "小学", "大学", "学院", "幼儿园", "医院", "学校", "高中", "初中", "文理学院"})
#: last characters of a place (绍兴市, 越城区, 嵊州) or an office (教育局; 党政办, 德育处 when tagged so)
PLACE_ENDINGS = "省市县区州镇乡村局"
OFFICE_ENDINGS = "处办委署司厅"
#: words ending in those characters that are not organisations or places
NOT_ORGS = frozenset(
    {
        "格局",
        "大局",
        "全局",
        "布局",
        "开局",
        "结局",
        "变局",
        "新格局",
        "胜局",
        "当局",
        "城市",
        "都市",
        "超市",
        "上市",
        "闹市",
        "夜市",
        "股市",
        "楼市",
        "车市",
        "误区",
        "社区",
        "园区",
        "景区",
        "地区",
        "辖区",
        "片区",
        "山区",
        "老区",
        "特区",
        "禁区",
        "盲区",
        "校区",
        "城区",
        "郊区",
        "小区",
        "灾区",
        "街区",
        "功能区",
        "好处",
        "益处",
        "到处",
        "难处",
        "长处",
        "短处",
        "相处",
        "共处",
        "各处",
        "处处",
        "此处",
        "出处",
        "深处",
        "远处",
        "近处",
        "用处",
        "举办",
        "主办",
        "承办",
        "协办",
        "创办",
        "开办",
        "兴办",
        "包办",
        "查办",
        "督办",
        "交办",
        "照办",
        "代办",
        "难办",
        "好办",
        "怎么办",
        "筹办",
        "试办",
        "督促办",
        "乡村",
        "农村",
        "山村",
        "渔村",
        "新农村",
        "上司",
        "公司司",
    }
)
_SCHOOL = re.compile("^[一二三四五六七八九十]+[中小]$")  # 一中, 二小: numbered schools
#: common Chinese surnames (the hundred most frequent, and a few of the region the corpus comes
#: from), for telling a person's name from a phrase
SURNAMES = frozenset(
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔"
    "钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤俞倪楼翁裘虞祝"
    "章葛施应单柴骆鲁屠茅傅邢申闵樊阮岳钮柯管卞尤殷凌霍庞季耿甘牛詹"
)
NAME_TAGS = ("nr",)  # nr, nrfg, nrt: person names
SURNAME_TAGS = frozenset({"zg", "ng"})  # what posseg calls a lone surname it does not tag nr (孙/zg)
RARE_NAME_FREQ = 50  # a three-character dictionary word tagged nr below this frequency is a name (王建国 12; 高水平 91)
VARIANT_MIN_CHARS = 4
_NUMERALS = set("一二两三四五六七八九十百千万双")
#: near-synonyms: the two characters make a dictionary word of at least this jieba frequency
#: (职责 1842, 个人 12744; 管员 9 and 府治 3 are too rare to count; 保立, 府制 are no words)
SYNONYM_MIN_FREQ = 100
#: a variant seen more than VARIANT_FEW times occurs at most 1/VARIANT_RARITY as often in the
#: corpus as its lexicon entry; one seen at most VARIANT_FEW times is too rare to tell (shared
#: corpus without the held-out files: 两人基本点 1 vs 两个基本点 13 is a variant; 依法治军 20 vs
#: 依法治国 59, 政务公开 31 vs 党务公开 3, 依法行政 66 vs 依法执政 6 are formulations of their own)
VARIANT_RARITY = 5
VARIANT_FEW = 2


# --------------------------------------------------------------------------- rules without tags
def is_stock_phrase(term: str) -> bool:
    return term in STOCK_PHRASES or _STOCK_RE.match(term) is not None


def org_by_suffix(term: str) -> bool:
    """True when ``term`` ends in an organisation suffix (校党委, 各支部, 市教育局党委)."""
    return term.endswith(ORG_SUFFIXES) and len(term) > 2 or term in ORG_SUFFIXES


# --------------------------------------------------------------------------- the tagger
@functools.lru_cache(maxsize=2)
def _dictionary(path: str, size: int, mtime: int) -> tuple[str, int]:
    """jieba's ``dict.txt`` as text with a leading newline, and its total frequency."""
    import numpy as np

    with open(path, "rb") as fh:
        raw = fh.read()
    text = "\n" + raw.decode("utf-8")
    # the total is the sum of the second field of every line (what jieba.Tokenizer.gen_pfdict adds up)
    b = np.frombuffer(raw, dtype=np.uint8)
    line_start = np.r_[0, np.flatnonzero(b == 0x0A) + 1]
    line_start = line_start[line_start < len(b)]
    spaces = np.flatnonzero(b == 0x20)
    first = spaces[np.searchsorted(spaces, line_start)]  # the space after the word
    total, pos = np.zeros(len(first), dtype=np.int64), first + 1
    active = np.arange(len(first))
    while active.size:
        d = b[np.minimum(pos[active], len(b) - 1)].astype(np.int64) - 0x30
        ok = (d >= 0) & (d < 10) & (pos[active] < len(b))
        active, d = active[ok], d[ok]
        total[active] = total[active] * 10 + d
        pos[active] += 1
    return text, int(total.sum())


def _jieba_dictionary() -> tuple[str, int] | None:
    import importlib.util
    import os

    try:
        spec = importlib.util.find_spec("jieba")
    except (ImportError, ValueError):  # pragma: no cover
        return None
    if spec is None or not spec.origin:  # pragma: no cover
        return None
    path = os.path.join(os.path.dirname(spec.origin), "dict.txt")
    try:
        stat = os.stat(path)
    except OSError:  # pragma: no cover
        return None
    return _dictionary(path, stat.st_size, stat.st_mtime_ns)


class CandidateTagger:
    """``jieba.posseg`` tags of a set of short strings: a ``POSTokenizer`` on its own
    ``jieba.Tokenizer`` holding the ``dict.txt`` lines of every word inside the strings (found by
    one Aho-Corasick pass over the dictionary) and the dictionary's total frequency. The prefix
    dictionary jieba builds covers every substring of the strings, so routes, HMM decisions and
    tags equal those of a tokenizer on the whole dictionary. Unavailable (``tag`` returns {})
    when jieba is not installed."""

    def __init__(self, strings: Iterable[str]):
        self.strings = list(dict.fromkeys(s for s in strings if s))
        self.freq: dict[str, int] = {}
        self._pos = None

    def initialize(self) -> CandidateTagger:
        if self._pos is not None or not self.strings:
            return self
        got = _jieba_dictionary()
        if got is None:
            return self
        import io

        import jieba
        import jieba.posseg

        from pipeline.automaton import make_automaton

        text, total = got
        subs = {s[i:j] for s in self.strings for i in range(len(s)) for j in range(i + 1, len(s) + 1)}
        automaton = make_automaton({f"\n{w} ": w for w in subs if "\n" not in w and " " not in w})
        lines = []
        for end, (_, word) in automaton.iter(text):
            stop = text.find("\n", end)
            lines.append(f"{word} {text[end + 1 : stop if stop >= 0 else len(text)].strip()}")
        data = ("\n".join(lines) + "\n").encode("utf-8")
        tokenizer = jieba.Tokenizer()  # our own instance; the global jieba.dt is never used
        tokenizer.FREQ, _ = tokenizer.gen_pfdict(io.BytesIO(data))
        tokenizer.total = total  # the whole dictionary's, so word probabilities are jieba's own
        tokenizer.initialized = True
        tokenizer.get_dict_file = lambda: io.BytesIO(data)  # POSTokenizer reads its tags from the same lines
        self.freq = {w: f for w, f in tokenizer.FREQ.items() if f}
        self._pos = jieba.posseg.POSTokenizer(tokenizer)
        return self

    def tag(self) -> dict[str, list[tuple[str, str]]]:
        """string -> [(word, flag), ...]; {} when jieba is not installed."""
        self.initialize()
        if self._pos is None:
            return {}
        return {s: [(p.word, p.flag) for p in self._pos.lcut(s)] for s in self.strings}


# --------------------------------------------------------------------------- the judgement
def _is_name(term: str, tokens: Sequence[tuple[str, str]], freq: dict[str, int]) -> bool:
    """A person's name, by jieba's tags. The dictionary's own nr tags of common words are noisy
    (杜绝, 张扬, 高三 are tagged nr), so a name is: a word the HMM tagged nr (not in the
    dictionary: 陈银伟, 校长 王琛), a rare three-character dictionary name (王建国), or a
    candidate of at most three characters split after a lone surname (孙/zg 洪亮/nr, 王/nr 月琴)
    or before a lone last character (俞建/nr 种), or a three-character non-word (余栋材)."""
    for word, flag in tokens:
        if flag.startswith(NAME_TAGS) and 2 <= len(word) <= 3 and word[0] in SURNAMES:
            known = freq.get(word, 0)
            if not known or (len(word) == 3 and known < RARE_NAME_FREQ):
                return True
    if term[0] not in SURNAMES or not 2 <= len(term) <= 3:
        return False
    first, flag = tokens[0]
    if len(tokens) == 2 and len(first) == 1 and (flag.startswith(NAME_TAGS) or flag in SURNAME_TAGS or tokens[1][1].startswith(NAME_TAGS)):
        return True
    if len(tokens) == 2 and len(term) == 3 and (flag.startswith(NAME_TAGS) or tokens[1][1].startswith(NAME_TAGS)):
        return True  # 俞建/nr 种, 黄金 裕/nr
    return len(term) == 3 and not freq.get(term) and not freq.get(term[1:]) and not freq.get(term[:2])


def _is_org_or_place(term: str, tokens: Sequence[tuple[str, str]]) -> bool:
    """A place or an organisation, by jieba's tags: the last word a place or office (绍兴市/ns,
    市 教育局, 党政办/nt; not 格局, 误区, 报告厅), a school after a place or name (温州/ns 中学,
    绍兴/ns 一中), places and organisations (ns, nt) covering more than half of the
    characters (越城区, 镜湖/ns 新区/ns), or one word tagged nz (钱江晚报)."""
    if not tokens:
        return False
    last, flag = tokens[-1]
    proper = flag.startswith(("ns", "nt"))
    if (
        len(last) >= 2
        and last not in NOT_ORGS
        and ((last[-1] in PLACE_ENDINGS and (proper or len(last) == 3 and last[-1] in "局")) or (last[-1] in OFFICE_ENDINGS and proper))
    ):
        return True
    if len(tokens) > 1 and (_SCHOOL.match(last) or last in SCHOOL_WORDS) and any(f.startswith(("ns", "nt", "nr")) for _, f in tokens[:-1]):
        return True
    if len(tokens) == 1 and flag == "nz":
        return True
    covered = sum(len(word) for word, f in tokens if f.startswith(("ns", "nt")))
    return covered * 2 > len(term)


def statistical_rejects(terms: Iterable[str]) -> dict[str, str]:
    """Statistical candidates that are not formulations: term -> reason (``stock phrase``,
    ``organisation``, ``person name``, ``place``). Terms not in the result are kept."""
    out: dict[str, str] = {}
    rest = []
    for term in dict.fromkeys(terms):
        if is_stock_phrase(term):
            out[term] = "stock phrase"
        elif org_by_suffix(term):
            out[term] = "organisation"
        else:
            rest.append(term)
    if not rest:
        return out
    tagger = CandidateTagger(rest)
    tags = tagger.tag()
    for term in rest:
        tokens = tags.get(term)
        if tokens is None:
            continue
        if _is_name(term, tokens, tagger.freq):
            out[term] = "person name"
        elif _is_org_or_place(term, tokens):
            out[term] = "place"
    return out


# --------------------------------------------------------------------------- variants
def near_synonyms(a: str, b: str, word_freq: "dict[str, int]") -> bool:
    """Whether two characters make a common word together, in either order (职责, 个人): the
    sign that one stands for the other in a variant (jieba frequency >= SYNONYM_MIN_FREQ)."""
    return max(word_freq.get(a + b, 0), word_freq.get(b + a, 0)) >= SYNONYM_MIN_FREQ


def variants_of(
    terms: Sequence[str], lexicon: Lexicon, count: "Callable[[str], int] | None" = None, word_freq: "dict[str, int] | None" = None
) -> list[str]:
    """For each term, the lexicon term it is a one-character variant of ('' if none): same
    length (>= VARIANT_MIN_CHARS, compared after folding and quote removal), exactly one
    character different, neither of the two a numeral, the two near-synonyms
    (:func:`near_synonyms` on ``word_freq``, default jieba's dictionary: no variants without
    jieba) and, with ``count`` (occurrences of a string in the corpus, e.g. ``text.count``), the
    term at least VARIANT_RARITY times rarer than the entry (all its surface forms) or seen at
    most VARIANT_FEW times."""
    if word_freq is None:
        word_freq = default_word_freq(SYNONYM_MIN_FREQ)
    slots: dict[str, list[tuple[int, str, str]]] = {}
    forms_of: dict[str, list[str]] = {}
    for surface, canonical in lexicon.surface_forms().items():
        key = match_key(surface)
        forms_of.setdefault(canonical, []).append(key)
        if len(key) < VARIANT_MIN_CHARS:
            continue
        for i in range(len(key)):
            slots.setdefault(key[:i] + "\0" + key[i + 1 :], []).append((i, key[i], canonical))
    entry_count: dict[str, int] = {}

    def rare_enough(term: str, canonical: str) -> bool:
        if count is None:
            return True
        if canonical not in entry_count:
            entry_count[canonical] = sum(count(simplified(f)) for f in dict.fromkeys(forms_of[canonical]) if f)
        seen = count(simplified(term))
        return seen <= VARIANT_FEW or entry_count[canonical] >= VARIANT_RARITY * seen

    out = []
    for term in terms:
        key = match_key(str(term))
        found = ""
        if len(key) >= VARIANT_MIN_CHARS:
            for i in range(len(key)):
                for _, ch, canonical in slots.get(key[:i] + "\0" + key[i + 1 :], ()):
                    if (
                        ch != key[i]
                        and ch not in _NUMERALS
                        and key[i] not in _NUMERALS
                        and near_synonyms(ch, key[i], word_freq)
                        and rare_enough(key, canonical)
                    ):
                        found = canonical
                        break
                if found:
                    break
        out.append(found)
    return out
