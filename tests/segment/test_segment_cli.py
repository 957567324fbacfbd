"""`dangjian segment`: jieba and pkuseg output, BOM, errors."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from pipeline.cli import app

runner = CliRunner()


@pytest.mark.parametrize("bom", [True, False])
def test_cli_segment_jieba(tmp_path, bom):
    src = tmp_path / "in.txt"
    src.write_bytes(("\ufeff" if bom else "").encode() + "坚持三会一课制度\n\n做到“两个维护”  和一岗双责\n".encode())
    res = runner.invoke(app, ["segment", "--segmenter", "jieba", str(src)])
    assert res.exit_code == 0, res.output
    lines = res.output.split("\n")
    assert lines[:3] == ["坚持 三会一课 制度", "", "做到 “ 两个维护 ” 和 一岗双责"]
    assert "  " not in res.output and "\ufeff" not in res.output


def test_cli_segment_errors(tmp_path):
    bad = runner.invoke(app, ["segment", "--segmenter", "thulac", str(tmp_path / "x.txt")])
    assert bad.exit_code != 0
    missing = runner.invoke(app, ["segment", str(tmp_path / "missing.txt")])
    assert missing.exit_code == 1 and "Error:" in missing.output
    gbk = tmp_path / "gbk.txt"
    gbk.write_bytes("两个维护".encode("gbk"))
    res = runner.invoke(app, ["segment", str(gbk)])
    assert res.exit_code == 1 and "not UTF-8" in res.output


def test_cli_segment_pkuseg(tmp_path):
    pytest.importorskip("pkuseg")
    src = tmp_path / "in.txt"
    src.write_text("坚持三会一课制度\n做到两服务一改进\n", encoding="utf-8")
    res = runner.invoke(app, ["segment", "--segmenter", "pkuseg", str(src)])
    assert res.exit_code == 0, res.output
    first, second = res.output.splitlines()
    assert "三会一课" in first.split(" ")
    assert "".join(second.split(" ")) == "做到两服务一改进"
