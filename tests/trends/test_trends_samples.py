"""Example paragraphs: a term's spellings are split as the lexicon file splits them."""

from __future__ import annotations

import pandas as pd

from pipeline import trends
from pipeline.config import LEXICON_DIR
from pipeline.lexicon import load_lexicon


def test_aliases_split_as_the_lexicon_splits_them():
    """The shipped lexicon's 忠诚干净担当 has the aliases 忠诚、干净、担当 and 对党忠诚、个人干净、敢于担当
    (separated by |, commas-like 、 inside): each alias is one spelling, never 担当 alone, as the
    matcher (Lexicon.surface_forms) counts them."""
    lexicon = load_lexicon(LEXICON_DIR)
    frame = lexicon.to_frame()
    for term in ("忠诚干净担当", "三个表率", "政治判断力、政治领悟力、政治执行力"):
        names = trends.lexicon_aliases(frame, term)
        entry = lexicon.by_term(term)
        assert names == [entry.term, *entry.aliases]
        assert all(lexicon.canonical(n) == term for n in names)
    assert trends.lexicon_aliases(frame, "忠诚干净担当") == ["忠诚干净担当", "忠诚、干净、担当", "对党忠诚、个人干净、敢于担当"]
    assert "政治判断力，政治领悟力，政治执行力" in trends.lexicon_aliases(frame, "政治判断力、政治领悟力、政治执行力")

    paragraphs = pd.DataFrame(
        {
            "doc_id": ["a", "a", "b"],
            "para_id": [0, 1, 0],
            "kind": ["body"] * 3,
            "label": ["组织建设"] * 3,
            "text": [
                "建设一支忠诚、干净、担当的高素质干部队伍，引导党员干部对党忠诚、个人干净、敢于担当。",
                "全体党员勇于担当作为，在急难险重任务中冲锋在前，干净做事、清白做人。",
                "坚持好干部标准，选拔忠诚干净担当的干部，把政治标准放在首位。",
            ],
        }
    )
    documents = pd.DataFrame({"doc_id": ["a", "b"], "title": ["甲", "乙"], "year": [2021, 2022]})
    ex = trends.examples(paragraphs, documents, term="忠诚干净担当", n=10, lexicon=frame)
    assert sorted(zip(ex["doc_id"], ex["para_id"])) == [("a", 0), ("b", 0)]  # not the paragraph with 担当 and 干净 alone
