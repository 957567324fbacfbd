"""pipeline.segment: a checked choice of segmenter, cheap import and construction, lazy
backends with install hints, one dictionary per instance."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from lexicon_helpers import SMALL, entry

from pipeline.errors import BackendMissing, InputError
from pipeline.lexicon import Lexicon
from pipeline.segment import JiebaSegmenter, PkusegSegmenter, SegmenterName, make_segmenter

ROOT = Path(__file__).resolve().parents[2]


def test_unknown_segmenter_lists_valid_names():
    with pytest.raises(InputError) as err:
        make_segmenter("thulac")
    assert "jieba" in str(err.value) and "pkuseg" in str(err.value)
    assert isinstance(make_segmenter(SegmenterName.jieba, SMALL), JiebaSegmenter)
    assert isinstance(make_segmenter("PKUSEG", SMALL), PkusegSegmenter)


def test_import_and_construction_are_cheap():
    code = (
        "import sys; import pipeline.segment as s, pipeline.terms, pipeline.lexicon; "
        "seg = s.make_segmenter('jieba'); s.make_segmenter('pkuseg'); "
        "heavy = [m for m in ('jieba', 'rjieba', 'pkuseg', 'ahocorasick', 'pandas', 'spacy') if m in sys.modules]; "
        "print(heavy)"
    )
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_missing_backend_raises_with_install_hint(monkeypatch):
    monkeypatch.setitem(sys.modules, "pkuseg", None)
    with pytest.raises(BackendMissing, match="pip install"):
        make_segmenter("pkuseg", SMALL).initialize()
    monkeypatch.setitem(sys.modules, "rjieba", None)
    with pytest.raises(BackendMissing, match="rjieba"):
        JiebaSegmenter(SMALL, backend="rjieba").initialize()
    seg = JiebaSegmenter(SMALL).initialize()  # auto falls back to pure jieba
    assert seg.backend_ == "jieba"
    assert "两服务一改进" in seg.lcut("做到两服务一改进")


def test_each_instance_has_its_own_dictionary():
    import jieba

    with_word = JiebaSegmenter(Lexicon([entry("网信青年课堂铸魂")]), backend="jieba").initialize()
    without = JiebaSegmenter(Lexicon.empty(), backend="jieba").initialize()
    text = "举办网信青年课堂铸魂活动"
    assert "网信青年课堂铸魂" in with_word.lcut(text)
    assert "网信青年课堂铸魂" not in without.lcut(text)
    assert "网信青年课堂铸魂" not in jieba.lcut(text)  # the global jieba.dt is untouched
    assert jieba.dt.FREQ.get("网信青年课堂铸魂") is None
