"""pipeline.lexicon: loading, validation with file:line, stopwords, add_entry, and the CLI."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from pipeline import config
from pipeline.cli import app
from pipeline.errors import LexiconError
from pipeline.lexicon import Entry, Lexicon, add_entry, check_lexicon, load_lexicon, load_stopwords

HEADER = "term,aliases,category,first_year,level,expansion\n"
GOOD = HEADER + (
    "两个维护,,政治,2016,national,维护核心与集中统一领导\n"
    "四强,四强党支部,组织,,local,政治功能强等四个方面\n"
    "不忘初心、牢记使命,不忘初心牢记使命,思想,2017,national,主题教育\n"
)


def write_lexicon(tmp_path: Path, body: str, *, bom: bool = False, stop: str = "") -> Path:
    (tmp_path / config.FORMULATIONS_FILE).write_bytes((("\ufeff" if bom else "") + body).encode("utf-8"))
    if stop:
        (tmp_path / config.STOPWORD_FILES[0]).write_text(stop, encoding="utf-8")
    return tmp_path


def test_load_valid_lexicon(tmp_path):
    lex = load_lexicon(write_lexicon(tmp_path, GOOD, bom=True))
    assert lex.terms == ("两个维护", "四强", "不忘初心、牢记使命")
    assert lex.surface_forms()["四强党支部"] == "四强"
    assert lex.by_term("四强党支部").term == "四强"
    assert lex.by_term("两个维护") == Entry("两个维护", (), "政治", 2016, "national", "维护核心与集中统一领导", 2)
    assert lex.by_term("四强").first_year is None
    assert lex.by_term("不存在") is None
    assert len(lex.fingerprint) == 64
    with pytest.raises(TypeError):
        lex.surface_forms()["x"] = "y"  # read-only


def test_fingerprint_changes_with_file_and_cache_reloads(tmp_path):
    d = write_lexicon(tmp_path, GOOD)
    first = load_lexicon(d)
    assert load_lexicon(d) is first  # cached
    write_lexicon(tmp_path, GOOD + "两学一做,,思想,2016,national,学党章党规、学系列讲话，做合格党员\n")
    second = load_lexicon(d)
    assert second.fingerprint != first.fingerprint
    assert "两学一做" in second.terms


@pytest.mark.parametrize(
    "row, message",
    [
        ("两个维护,,政治,2016,national,重复\n", "formulations.csv:5: duplicate term 两个维护 (first at line 2)"),
        ("新词,两个维护,政治,,local,x\n", "formulations.csv:5: alias 两个维护 is the term of another entry (line 2)"),
        ("新词,四强党支部,组织,,local,x\n", "formulations.csv:5: alias 四强党支部 is also an alias of 四强 (line 3)"),
        ("四强党支部,,组织,,local,x\n", "formulations.csv:5: term 四强党支部 is already an alias of 四强 (line 3)"),
        (",,政治,2016,national,x\n", "formulations.csv:5: empty term"),
        ("新词,,,2016,national,x\n", "formulations.csv:5: empty category"),
        ("新词,,政治,2016,,x\n", "formulations.csv:5: empty level"),
        ("新词,,政治,16,national,x\n", "formulations.csv:5: bad first_year '16'"),
        ("新词,,政治,1850,national,x\n", "formulations.csv:5: bad first_year 1850 (outside 1921..2030)"),
        ("新词,,政治,二〇一六,national,x\n", "formulations.csv:5: bad first_year"),
        ("新词,,经济,2016,national,x\n", "formulations.csv:5: bad category '经济'"),
        ("新词,,政治,2016,provincial,x\n", "formulations.csv:5: bad level 'provincial'"),
        ("新词,政治,2016,national\n", "formulations.csv:5: 4 columns, expected 6"),
    ],
)
def test_check_reports_file_and_line(tmp_path, row, message):
    d = write_lexicon(tmp_path, GOOD + row)
    problems = check_lexicon(d)
    assert len(problems) == 1, problems
    assert message in problems[0]
    with pytest.raises(LexiconError) as err:
        load_lexicon(d)
    assert message in str(err.value)


def test_check_wrong_header_and_missing_file(tmp_path):
    assert check_lexicon(tmp_path)[0].endswith(":0: file not found")
    d = write_lexicon(tmp_path, "term,category\n两个维护,政治\n")
    assert "formulations.csv:1: wrong header" in check_lexicon(d)[0]
    with pytest.raises(LexiconError):
        load_lexicon(tmp_path / "nowhere")


def test_comments_and_blank_rows_are_skipped_and_lines_stay_true(tmp_path):
    d = write_lexicon(tmp_path, HEADER + "# 注释\n\n两个维护,,政治,2016,national,x\n两个维护,,政治,2016,national,y\n")
    assert check_lexicon(d) == [f"{check_lexicon(d)[0].split(':')[0]}:5: duplicate term 两个维护 (first at line 4)"]


def test_stopwords(tmp_path):
    d = write_lexicon(tmp_path, GOOD, stop="# 通用\n的\n了  # 助词\n\n进一步\n")
    (d / config.STOPWORD_FILES[1]).write_text("坚持\n加强\n", encoding="utf-8-sig")
    assert load_stopwords(d) == frozenset({"的", "了", "进一步", "坚持", "加强"})
    assert check_lexicon(d) == []


def test_add_entry_appends_atomically_and_refuses_duplicates(tmp_path):
    d = write_lexicon(tmp_path, GOOD.replace("\n", "\r\n"), bom=True)
    entry = add_entry("两服务一改进", "作风", expansion="服务网民、服务企业，改进作风", aliases=["两服务、一改进"], lexicon_dir=d)
    assert entry.line == 5
    raw = (d / config.FORMULATIONS_FILE).read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf") and raw.endswith(b"\r\n") and b"\n\n" not in raw
    lex = load_lexicon(d)
    assert lex.by_term("两服务一改进").expansion == "服务网民、服务企业，改进作风"
    assert lex.by_term("两服务、一改进").term == "两服务一改进"
    assert check_lexicon(d) == []
    with pytest.raises(LexiconError, match="already in the lexicon as the term"):
        add_entry("两服务一改进", "作风", lexicon_dir=d)
    with pytest.raises(LexiconError, match="alias of 四强"):
        add_entry("新的", "组织", aliases=["四强党支部"], lexicon_dir=d)
    with pytest.raises(LexiconError, match="bad category"):
        add_entry("新的", "经济", lexicon_dir=d)
    with pytest.raises(LexiconError, match="bad first_year"):
        add_entry("新的", "组织", first_year=99, lexicon_dir=d)
    assert (d / config.FORMULATIONS_FILE).read_bytes() == raw  # refused adds changed nothing


def test_empty_lexicon_object():
    lex = Lexicon.empty()
    assert lex.terms == () and dict(lex.surface_forms()) == {} and len(lex) == 0


# --------------------------------------------------------------------------- CLI
runner = CliRunner()


def test_cli_lexicon_check(tmp_path):
    d = write_lexicon(tmp_path, GOOD)
    ok = runner.invoke(app, ["lexicon", "check", "--dir", str(d)])
    assert ok.exit_code == 0, ok.output
    assert "3 formulations" in ok.output
    write_lexicon(tmp_path, GOOD + "两个维护,,政治,20166,national,x\n")
    bad = runner.invoke(app, ["lexicon", "check", "--dir", str(d)])
    assert bad.exit_code == 1
    assert "formulations.csv:5: duplicate term 两个维护" in bad.output
    assert "formulations.csv:5: bad first_year" in bad.output


def test_cli_lexicon_add(tmp_path):
    d = write_lexicon(tmp_path, GOOD)
    res = runner.invoke(
        app, ["lexicon", "add", "五感", "--category", "组织", "--expansion", "规矩感等五种感受", "--aliases", "五种感受", "--dir", str(d)]
    )
    assert res.exit_code == 0, res.output
    assert load_lexicon(d).by_term("五种感受").term == "五感"
    dup = runner.invoke(app, ["lexicon", "add", "五感", "--category", "组织", "--dir", str(d)])
    assert dup.exit_code == 1
    assert "Error:" in dup.output and "already in the lexicon" in dup.output


@pytest.mark.skipif(not (config.LEXICON_DIR / config.FORMULATIONS_FILE).exists(), reason="lexicons/formulations.csv not written yet")
def test_project_lexicon_is_valid():
    assert check_lexicon() == []
    lex = load_lexicon()
    assert len(lex) >= 250
    for term in ["三会一课", "一岗双责", "八项规定", "四风", "两学一做", "四个意识", "两个维护", "四种形态", "全面从严治党", "两张皮"]:
        assert lex.by_term(term) is not None, term
