"""Decoding bytes: Big5 / GBK detection, bad bytes flagged, any bytes decode."""

from __future__ import annotations

from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from pipeline.ingest import decode_bytes, iter_documents


def _docs(folder: Path):
    return [(row, doc) for row, doc in iter_documents(folder)]


def test_big5_and_gbk_detection():
    text = "中國共產黨黨員應當堅定理想信念,嚴守政治紀律和政治規矩。"
    assert decode_bytes(text.encode("big5")).text == text
    assert decode_bytes(text.encode("big5")).encoding == "big5"
    simp = "全面从严治党,落实一岗双责,严格执行三会一课制度。"
    assert decode_bytes(simp.encode("gbk")).text == simp
    assert decode_bytes(simp.encode("gbk")).encoding == "gb18030"


def test_gbk_with_bad_bytes_flagged(tmp_path):
    data = "加强党的政治建设,坚决做到两个维护。".encode("gbk") * 5 + b"\xff\xfe\x81" + "全面从严治党。".encode("gbk")
    (tmp_path / "bad.txt").write_bytes(data)
    row, doc = next((r, d) for r, d in _docs(tmp_path))
    assert row.status == "ok"
    assert any("replaced" in f for f in doc.flags)
    assert "两个维护" in doc.paragraphs[0].text


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=2000))
def test_decode_any_bytes(data):
    out = decode_bytes(data)
    assert isinstance(out.text, str)
