"""pipeline.classify.analyzer: sklearn's char analyzer on code points, against re and sklearn's rule."""

from __future__ import annotations

import re
import sys

import numpy as np
import pytest
from classify_helpers import EDGE, seed_paragraphs

from pipeline import classify
from pipeline.classify import analyzer
from pipeline.config import LABELS_DIR


@pytest.fixture(scope="session")
def labelled_texts() -> list[str]:
    return classify.load_labels(LABELS_DIR)["text"].tolist()


def test_whitespace_table_matches_re_over_all_code_points():
    chars = "".join(map(chr, range(sys.maxunicode + 1)))
    spaces = [m.start() for m in re.finditer(r"\s", chars)]
    assert max(spaces) <= analyzer.WS_LIMIT
    table = analyzer.char_classes()
    assert sorted(np.flatnonzero(table == analyzer.SPACE).tolist()) == spaces
    assert np.flatnonzero(table == analyzer.DIGIT).tolist() == [*range(0x30, 0x3A), *range(0xFF10, 0xFF1A)]


def test_normalise_equals_char_preprocess_and_sklearn_whitespace_rule(labelled_texts):
    ws = re.compile(r"\s\s+")  # sklearn's _VectorizerMixin._white_spaces
    texts = EDGE + seed_paragraphs() + labelled_texts[:200] + ["1 2", "1  2", "12\t\t34", "\t1", "1\t", "\u3000 \xa0x"]
    cp, lens = analyzer.normalise(*analyzer.code_points(texts))
    want_cp, want_lens = analyzer.code_points([ws.sub(" ", classify.char_preprocess(t)) for t in texts])
    np.testing.assert_array_equal(lens, want_lens)
    np.testing.assert_array_equal(cp, want_cp)
