"""Boilerplate line rules: what they remove and what they keep."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from pipeline.ingest import classify_line


def test_boilerplate_rules_keep_content():
    assert classify_line("上一篇:深入学习贯彻") == "prev/next"
    assert classify_line("服务热线:400-123-4567") == "phone"
    assert classify_line("版权所有:中共某某市委组织部") == "copyright"
    assert classify_line("发布时间:2020年04月17日 15:15 来源:旗帜网") == "metadata"
    for content in (
        "严格执行“三会一课”制度,打印学习材料发放到每名党员。",
        "一、突出政治建设",
        "坚持以习近平新时代中国特色社会主义思想为指导。",
    ):
        assert classify_line(content) is None, content


@given(st.text())
def test_classify_line_total(s):
    classify_line(s)
