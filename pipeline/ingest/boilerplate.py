"""Web boilerplate: which lines of a page are menus, widgets, breadcrumbs, prev/next links,
phone, copyright or editor lines (:func:`classify_line`), and :func:`iter_clean`, which
marks them in a stream of lines with the rule that matched. The rules read the simplified view of a line
(:mod:`pipeline.simplify`: ``分享到`` matches ``分享到``, ``責任編輯：`` is an editor line); the line
is kept or removed as written."""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator

from pipeline import text as T
from pipeline.ingest.dates import PUBDATE
from pipeline.simplify import simplified

_WIDGET_WORDS = (
    "微信扫一扫",
    "扫一扫",
    "分享到",
    "分享至",
    "打印本页",
    "打印 纠错",
    "纠错",
    "收听本文",
    "关闭窗口",
    "【关闭】",
    "【打印】",
    "返回顶部",
    "字号",
    "浏览次数",
    "点击数",
    "阅读次数",
    "访问量",
    "手机版",
    "加入收藏",
    "设为首页",
    "无障碍",
    "繁体",
    "微博",
    "QQ空间",
    "朋友圈",
    "小程序",
    "公众号",
    "登录",
    "注册",
)
_WIDGET_RE = re.compile("|".join(map(re.escape, _WIDGET_WORDS)))  # any of them, as a substring
_EXACT_WIDGETS = {
    "打印",
    "关闭",
    "分享",
    "收藏",
    "×",
    "x",
    "X",
    "返回",
    "更多",
    "【打印】",
    "【关闭】",
    "[打印]",
    "[关闭]",
    "相关信息",
    "相关阅读",
    "相关新闻",
    "相关链接",
    "推荐阅读",
    "延伸阅读",
    "热点推荐",
    "热门文章",
    "相关文章",
}
_RULES: list[tuple[str, re.Pattern]] = [
    ("prev/next", re.compile(r"^(上一篇|下一篇|上一条|下一条|上篇|下篇)\s*[:：]?")),
    ("breadcrumb", re.compile(r"^(当前位置|您的位置|你的位置|您现在的位置|所在位置|位置)\s*[:：]|^(首页|主页|网站首页)\s*(>|＞|»|›|/|\||｜)")),
    (
        "phone",
        re.compile(
            r"(服务热线|咨询热线|热线电话|联系电话|联系方式|传真|邮编|邮政编码|电子邮箱|举报电话|客服电话|电话)\s*[:：]|^[\d\s\-()（）+转]{7,}$"
        ),
    ),
    ("editor", re.compile(r"^[•·\s(（\[【]*(责任编辑|责编|编辑|审核|审校|校对|作者|撰稿|摄影|供稿|通讯员|初审|复审|终审)\s*[:：]")),
    (
        "copyright",
        re.compile(
            r"版权所有|Copyright|copyright|©|ICP备|ICP证|公网安备|技术支持\s*[:：]|主办单位\s*[:：]|承办单位\s*[:：]|网站标识码|本站声明|转载请注明"
        ),
    ),
    ("welcome", re.compile(r"^欢迎(来到|访问|光临).{0,40}(网|网站|平台|主页)[!!。]?$")),
    ("site header", re.compile(r"^.{0,20}-{4,}.{0,60}$")),
]
_ANY_RULE = re.compile("|".join(f"(?:{rx.pattern})" for _, rx in _RULES))  # one search for content lines
_MENU_SEP = re.compile(r"\s*[|｜]\s*|\s{2,}| (?=\S{1,8}(?: |$))")
_SENTENCE_PUNCT = re.compile("[。，,；;!！?？]")


def _is_menu(line: str) -> bool:
    if len(line) > 120 or _SENTENCE_PUNCT.search(line):
        return False
    bars = [p for p in re.split(r"\s*[|｜]\s*", line) if p.strip()]
    if len(bars) >= 3 and all(len(p) <= 12 for p in bars):
        return True  # 'Home | About | Contact', '主页 | 关于 | 联系'
    parts = [p for p in re.split(r"\s+", line) if p]
    if len(parts) < 3 or not all(T.has_han(p) for p in parts):
        return False
    return all(len(p) <= 8 for p in parts) and sum(len(p) for p in parts) <= 90


def classify_line(line: str) -> str | None:
    """Name of the boilerplate rule a line matches (read on its simplified view), or None for content."""
    return _classify(simplified(line.strip()))


def _classify(s: str) -> str | None:
    """:func:`classify_line` of a stripped, simplified line."""
    if not s:
        return None
    if len(s) > 150:  # long lines are content unless they are a prev/next link line
        return "prev/next" if _RULES[0][1].search(s) else None
    if s in _EXACT_WIDGETS:
        return "widget"
    if not T.has_han(s) and not re.search(r"[A-Za-z]{2,}", s):
        return "no text"  # '1 1 1', '…………', '00:00/00:00'
    if _ANY_RULE.search(s):
        for name, rx in _RULES:
            if rx.search(s) and (name not in ("phone", "copyright", "editor") or len(s) <= 80):
                return name
    if len(s) <= 40 and _WIDGET_RE.search(s):
        return "widget"
    if PUBDATE.search(s) and (len(s) <= 60 or re.search(r"来源|编辑|浏览|作者|打印|点击", s)):
        return "metadata"
    if _is_menu(s):
        return "menu"
    return None


def iter_clean(items: Iterable[tuple[int, str, str]], n: int) -> Iterator[tuple[int, str, str, str | None, str]]:
    """(line_no, text, kind hint) of a document of ``n`` lines -> (line_no, stripped text,
    kind, rule or None for content, the text's simplified view), empty lines left out; streams
    (one line of state).

    Beyond line rules: after a '相关信息' marker or a trailing '(来源:…)' line, short lines
    without a full stop are related-article links, not content."""
    tail_mode = False
    for i, s, kind in items:
        s = s.strip()
        if not s:
            continue
        view = simplified(s)
        if kind == "table":
            yield i, s, kind, None, view
            continue
        rule = _classify(view)
        if rule is None and tail_mode and len(s) <= 60 and s[-1] not in "。":
            rule = "related links"
        if rule == "widget" and view in _RELATED:
            tail_mode = True
        if rule is None and i > n * 0.5 and len(s) <= 120 and re.match(r"^[(（]?\s*(来源|稿件来源|文章来源|本文来源|作者系)", view):
            rule = "source line"
            tail_mode = True
        yield i, s, kind, rule, view


_RELATED = {"相关信息", "相关阅读", "相关新闻", "相关链接", "推荐阅读", "延伸阅读", "相关文章"}
