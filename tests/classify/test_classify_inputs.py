"""pipeline.classify.inputs: the fast scorer's input coercion."""

from __future__ import annotations

import math

from pipeline.classify.inputs import coerce_texts


def test_isnan_guard():
    assert coerce_texts([None, math.nan, 3, "x"]) == ["", "", "3", "x"]
