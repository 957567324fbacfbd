"""pipeline.terms.folding: the 1:1 folding and the match keys."""

from __future__ import annotations

from pipeline.terms.folding import fold


def test_fold_is_one_to_one():
    s = "ＡＢＣ，１２３　“两个维护”"
    assert len(fold(s)) == len(s)
    assert fold(s) == "ABC、123 “两个维护”"
