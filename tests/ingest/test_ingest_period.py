"""Publication year vs the year a report covers (pipeline.ingest.period) and the analyst's sheet."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from pipeline.ingest import ingest_file
from pipeline.ingest.period import covered_year, genre_of, parse_when, stated_year
from pipeline.ingest.sheets import read_sheets, sheet_lookup, unmatched_rows


@pytest.mark.parametrize(
    "value, expected",
    [
        ("2020", (2020, "2020")),
        ("2020年", (2020, "2020")),
        ("2020年度", (2020, "2020")),
        ("2020-12", (2020, "2020-12")),
        ("2020.12", (2020, "2020-12")),
        ("2020年12月", (2020, "2020-12")),
        ("2020/12/3", (2020, "2020-12-03")),
        ("2020-12-03 00:00:00", (2020, "2020-12-03")),
        ("20201203", (2020, "2020-12-03")),
        ("44197", (2021, "2021-01-01")),
        (44197, (2021, "2021-01-01")),
        ("２０２０年", (2020, "2020")),
        ("2020年1月5日", (2020, "2020-01-05")),
        ("abc", (None, "")),
        ("2020-13", (None, "")),
        ("2021-02-30", (None, "")),
        ("", (None, "")),
        (None, (None, "")),
    ],
)
def test_parse_when_reads_what_analysts_write(value, expected):
    assert parse_when(value) == expected


@pytest.mark.parametrize(
    "title, pub, expected",
    [
        ("2021年度党支部工作总结", "2022-01-10", (2021, "stated")),
        ("关于印发2020年机关党的建设工作要点的通知", "2020-03-02", (2020, "stated")),
        ("2019年上半年党建工作总结", "2019-07-08", (2019, "stated")),
        ("市直机关工委2022年第三季度工作情况", "2022-10-09", (2022, "stated")),
        ("党委书记抓基层党建工作述职报告", "2023-01-18", (2022, "annual-previous")),
        ("领导班子民主生活会对照检查材料", "2021-02-26", (2020, "annual-previous")),
        ("支部组织生活会情况通报", "2020-12-20", (2020, "annual-current")),
        ("党风廉政建设工作要点", "2024-03-01", (2024, "plan")),
        ("党建工作要点", "2024-01-05", (2024, "plan")),
        ("我校开展主题党日活动", "2021-02-05", (None, "")),  # not an annual report: its own year
        ("2020年4月17日召开理论学习中心组会议", "2020-04-18", (None, "")),  # a date, not a period
        ("党委书记述职报告", "", (None, "")),
    ],
)
def test_covered_year_rules(title, pub, expected):
    assert covered_year(title, [], pub) == expected


def test_a_period_in_the_opening_line_counts_and_a_date_does_not():
    assert covered_year("述职报告", ["现将2019年度履职情况报告如下："], "2020-05-01") == (2019, "stated")
    assert stated_year("2020年1月15日") is None
    assert genre_of("2023年度领导班子民主生活会对照检查材料") == "对照检查"


def _doc(tmp_path: Path, name: str, text: str, sheet: dict | None = None):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return ingest_file(path, tmp_path, sheet)[1]


REPORT = "学校党委2020年度工作总结\n" + "一年来，学校党委坚持以习近平新时代中国特色社会主义思想为指导，加强党的建设。\n" * 3


def test_a_signature_date_gives_the_publication_year_and_the_title_the_covered_year(tmp_path):
    doc = _doc(tmp_path, "a.txt", REPORT + "中共某某学校委员会\n2021年1月15日\n")
    assert (doc.pub_date, doc.pub_year, doc.report_year, doc.year, doc.year_source) == ("2021-01-15", 2021, 2020, 2020, "stated")


def test_an_annual_report_published_in_january_covers_the_year_before(tmp_path):
    body = "述职报告\n" + "本人认真履行党建工作第一责任人职责，抓班子带队伍，推进全面从严治党。\n" * 3
    doc = _doc(tmp_path, "2021-01-20_shuzhi.txt", body)
    assert (doc.pub_year, doc.report_year, doc.year, doc.year_source) == (2021, 2020, 2020, "annual-previous")


def _sheet(tmp_path: Path, rows: list[list[str]], name="metadata.csv") -> Path:
    path = tmp_path / name
    with open(path, "w", encoding="utf-8", newline="") as fh:
        csv.writer(fh).writerows(rows)
    return path


@pytest.mark.parametrize("cell, year", [("2020", 2020), ("2020年", 2020), ("2020-12", 2020), ("2020.12", 2020), ("44197", 2021)])
def test_the_sheet_is_taken_at_its_word(tmp_path, cell, year):
    sheet = _sheet(tmp_path, [["file", "date", "genre", "level"], ["2023-05-01_x.txt", cell, "述职", "county"]])
    meta, log = read_sheets([sheet], tmp_path)
    doc = _doc(tmp_path, "2023-05-01_x.txt", REPORT, sheet_lookup(meta, "2023-05-01_x.txt"))
    assert doc.year == year and doc.year_source == "sheet"
    assert doc.genre == "述职" and doc.as_row()["level"] == "county"
    assert all(r.status == "ok" for r in log)


def test_sheet_report_year_wins_over_the_title_and_year_is_then_the_publication_year(tmp_path):
    sheet = _sheet(tmp_path, [["file", "year", "report_year"], ["x.txt", "2021", "2019"]])
    meta, _ = read_sheets([sheet], tmp_path)
    doc = _doc(tmp_path, "x.txt", REPORT, sheet_lookup(meta, "x.txt"))
    assert (doc.report_year, doc.year, doc.year_source) == (2019, 2019, "sheet")


def test_unreadable_dates_unmatched_rows_and_double_rows_are_logged(tmp_path):
    sheet = _sheet(tmp_path, [["file", "date"], ["a.txt", "去年"], ["missing.txt", "2020"], ["b.txt", "2020"], ["b.txt", "2021"]])
    meta, log = read_sheets([sheet], tmp_path)
    (tmp_path / "a.txt").write_text(REPORT, encoding="utf-8")
    (tmp_path / "b.txt").write_text(REPORT, encoding="utf-8")
    rows = log + unmatched_rows(meta, ["a.txt", "b.txt"])
    reasons = [(r.path, r.status, r.reason) for r in rows if r.status == "sheet-row"]
    assert any(p == "metadata.csv:2" and "去年" in why for p, _, why in reasons)
    assert any(p == "metadata.csv:3" and "matches no input file" in why for p, _, why in reasons)
    assert any(p == "metadata.csv:5" and "already described" in why for p, _, why in reasons)
    assert sheet_lookup(meta, "b.txt")["year"] == 2021


def test_a_bare_name_matching_two_files_is_reported(tmp_path):
    sheet = _sheet(tmp_path, [["file", "year"], ["a.txt", "2020"]])
    meta, _ = read_sheets([sheet], tmp_path)
    rows = unmatched_rows(meta, ["x/a.txt", "y/a.txt"])
    assert len(rows) == 1 and "matches 2 input files" in rows[0].reason


def test_the_school_corpus_annual_series_gets_the_years_of_its_index(corpus_dir):
    """Every report of the school corpus whose index gives the year it covers (annual 述职, 民主生活会,
    组织生活会, 工作要点 …) gets that analysis year from its text alone (no sheet)."""
    from tests.conftest import heldout_files

    folder = corpus_dir / "sx1z-party-committee"
    held = {Path(h).name for h in heldout_files()}
    rows = [r for r in csv.DictReader(open(folder / "index.tsv", encoding="utf-8"), delimiter="\t") if r["report_year"]]
    rows = [r for r in rows if r["file"] not in held]
    assert len(rows) >= 15
    got = {}
    for r in rows:
        _, doc = ingest_file(folder / r["file"], folder)
        got[r["file"]] = (doc.year, doc.pub_year)
    wrong = {f: (got[f], r["report_year"], r["year"]) for f, r in ((r["file"], r) for r in rows) if got[f][0] != int(r["report_year"])}
    assert not wrong
    assert all(got[r["file"]][1] == int(r["year"]) for r in rows)
