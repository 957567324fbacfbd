"""pipeline.classify.steps: the project's own sklearn steps (the keyword baseline)."""

from __future__ import annotations

from pipeline.classify.steps import KeywordRule
from pipeline.taxonomy import load_taxonomy


def test_keyword_rule_baseline():
    kw = {k: list(v) for k, v in load_taxonomy().keywords.items()}
    labels = ["政治建设", "组织建设", "作风建设", "其他"]
    rule = KeywordRule(keywords=kw).fit(labels, labels)
    pred = rule.predict(["严格落实中央八项规定精神，持续纠治四风", "今年高考成绩再创新高", "坚决做到两个维护"])
    assert list(pred) == ["作风建设", "其他", "政治建设"]
