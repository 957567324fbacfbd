"""Streaming equals reading whole: blocks of normalised lines equal ``T.normalize(text)``
split, incremental decoding equals decoding the bytes at once, and the streamed assembly
equals the assembly that held everything in memory (the pre-streaming code, kept in
reference_ingest.py as the oracle). Block and chunk sizes are shrunk so every boundary case
occurs on small inputs."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pipeline import text as T
from pipeline.config import Settings
from pipeline.ingest import files, lines
from pipeline.ingest.decode import Decoded, choose_codec, decode_bytes, iter_text
from pipeline.ingest.files import BytesFile

sys.path.insert(0, str(Path(__file__).resolve().parent))
import reference_ingest as ref

SAMPLE = Path(__file__).resolve().parents[2] / "data" / "raw" / "sample"
pieces = st.sampled_from(
    [
        "\n",
        "\r\n",
        "\r",
        "\u2028",
        " ",
        "  ",
        "\u3000",
        "\u200b",
        "\t",
        "党",
        "建",
        "。",
        "a",
        "&nbsp;",
        "&#10;",
        "&#13;",
        "2020",
        "年",
        "一、",
        "\ufffd",
    ]
)
texts = st.lists(st.one_of(pieces, st.text(max_size=4)), max_size=80).map("".join)


class Chunked(BytesFile):
    """Bytes served ``size`` at a time, like a file read in chunks."""

    def __init__(self, data: bytes, size: int):
        super().__init__(data)
        self.size_ = size

    def chunks(self, start: int = 0, size: int | None = None):
        for i in range(start, len(self.data), self.size_):
            yield self.data[i : i + self.size_]


@pytest.fixture()
def tiny_blocks(monkeypatch):
    monkeypatch.setattr(lines, "BLOCK", 5)
    monkeypatch.setattr(files, "CHUNK", 3)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(texts, st.lists(st.integers(1, 9), min_size=1, max_size=30))
def test_blocks_equal_whole_text_normalisation(tiny_blocks, text, cuts):
    parts, i = [], 0
    for c in cuts * 20:
        if i >= len(text):
            break
        parts.append(text[i : i + c])
        i += c
    parts.append(text[i:])
    got = [t for _, t in lines.text_lines(parts)]
    assert got == T.normalize(text).split("\n")
    entities = [t for _, t in lines.text_lines(parts, entities=True)]
    assert entities == T.normalize(lines.unescape_entities(text)).split("\n")


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=300), st.integers(1, 7), st.sampled_from(["utf-8", "gb18030", "big5", "utf-16", "cp1252"]))
def test_incremental_decoding_equals_one_shot(data, size, codec):
    from pipeline.ingest.decode import Plan

    if codec == "utf-16":
        data = b"\xff\xfe" + data  # chosen only when a BOM says so
    got = "".join(iter_text(Chunked(data, size), Plan(codec, codec, strict=False)))
    assert got == data.decode(codec, errors="replace")


encodable = st.text(alphabet=st.sampled_from("加强党的政治建设坚決做到兩個維護。，abc 123\n\r"), max_size=60)


@settings(max_examples=300, deadline=None)
@given(
    st.one_of(
        st.binary(max_size=200),
        encodable.map(lambda t: t.encode("gb18030")),
        encodable.map(lambda t: t.encode("big5", "replace")),
        encodable.map(lambda t: b"\xef\xbb\xbf" + t.encode()),
    ),
    st.integers(1, 5),
)
def test_codec_choice_equals_the_whole_bytes_decoder(data, size):
    old = ref.decode_bytes_old(data)
    new = decode_bytes(data)
    assert (new.text, new.encoding, new.flags) == (old.text, old.encoding, old.flags)
    plan = choose_codec(Chunked(data, size))
    assert plan.label == old.encoding
    streamed = "".join(iter_text(Chunked(data, size), plan))
    assert streamed == old.text


def _same(new, old) -> None:
    assert new.as_row() == old.as_row()
    assert [p.as_row() for p in new.paragraphs] == [p.as_row() for p in old.paragraphs]
    assert new.removed == old.removed


report_line = st.sampled_from(
    [
        "2020年党支部工作总结",
        "——在全市大会上的讲话",
        "中央网信办机关党委",
        "一、加强政治建设",
        "（一）专题学习",
        "1.带头做到两个维护。把学习贯彻落到实处",
        "二是围绕建设队伍抓党建，推动工作。",
        "全年坚决做到两个维护，严格落实三会一课制度。",
        "发布时间：2021-03-05",
        "来源：旗帜网",
        "相关信息",
        "上一篇：关于某某",
        "项目",
        "次数",
        "主题党日",
        "12",
        "2019",
        "年",
        "2019年12月30日",
        "作者系某某大学党委书记",
        "版权所有 某某网站",
        "首页 | 党建 | 关于 | 联系",
        "第一部分 总体要求",
        "首先，提高认识",
        "持续整治四风问题" * 30 + "。",
        "",
    ]
)
reports = st.lists(report_line, max_size=40).map("\n".join)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.one_of(reports, texts))
def test_streamed_assembly_equals_in_memory_assembly(tiny_blocks, text):
    from pipeline.ingest.assemble import build_document

    new = build_document("2020_x.txt", Decoded(text, "utf-8"), None, Settings())
    old = ref.build_document_old("2020_x.txt", ref._Decoded(text, "utf-8"), None, Settings())
    _same(new, old)


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.tuples(st.sampled_from(["", "heading", "table"]), st.one_of(report_line, st.text(max_size=6))), max_size=40))
def test_streamed_hints_equal_in_memory_hints(tiny_blocks, hints):
    from pipeline.ingest.assemble import build_document

    new = build_document("x.docx", Decoded("", "docx", lines_hint=hints), None, Settings(max_paragraph_chars=50))
    old = ref.build_document_old("x.docx", ref._Decoded("", "docx", lines_hint=hints), None, Settings(max_paragraph_chars=50))
    _same(new, old)


@pytest.mark.parametrize("seed", sorted(p.name for p in SAMPLE.glob("*.txt")))
@pytest.mark.parametrize("variant", ["utf-8", "gb18030", "bom-crlf", "cr", "entities"])
def test_streamed_file_equals_in_memory_file(tmp_path, monkeypatch, seed, variant):
    """A whole seed through ingest_file with 1 KiB chunks and 100-character blocks equals the
    pre-streaming assembly of the whole decoded text."""
    from pipeline.ingest import ingest_file

    monkeypatch.setattr(lines, "BLOCK", 100)
    monkeypatch.setattr(files, "CHUNK", 1024)
    raw = (SAMPLE / seed).read_text(encoding="utf-8")
    data = {
        "utf-8": raw.encode(),
        "gb18030": raw.encode("gb18030"),
        "bom-crlf": b"\xef\xbb\xbf" + raw.replace("\n", "\r\n").encode(),
        "cr": raw.replace("\n", "\r").encode(),
        "entities": raw.replace("，", "&#65292;").replace(" ", "&nbsp;").encode(),
    }[variant]
    (tmp_path / seed).write_bytes(data)
    row, new = ingest_file(tmp_path / seed, tmp_path)
    decoded = ref.decode_bytes_old(data)
    decoded.text = lines.unescape_entities(decoded.text)
    old = ref.build_document_old(seed, decoded, None, Settings())
    assert row.status == "ok"
    _same(new, old)


def test_lines_are_compact():
    """A million one-character lines cost about their text and a byte each, not an object each."""
    import tracemalloc

    tracemalloc.start()
    store = lines.text_lines(["党\n" * 1_000_000])
    size, _ = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert len(store) == 1_000_001
    assert size < 12_000_000, size  # a list of a million str would be ~60 MB
