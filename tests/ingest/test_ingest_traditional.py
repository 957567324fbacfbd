"""Ingest reads traditional text through its simplified view (pipeline.simplify): the seed reports
and the shared corpus, converted with OpenCC s2t, s2hk and s2tw, ingest to the same years, genre,
organisation and paragraphs as the original, while what is stored stays as written."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import CORPUS, SAMPLE_DIR, SHARED, heldout_files

from pipeline.ingest import classify_line, covered_year, genre_of, ingest_file, parse_when
from pipeline.ingest.paragraphs import heading_level
from pipeline.ingest.readable import common_han_share
from pipeline.orgs import OrgNames, pattern_name
from pipeline.simplify import has_traditional, simplified

opencc = pytest.importorskip("opencc")

CONFIGS = ("s2t", "s2hk", "s2tw")
ORGS = OrgNames()
_CONVERTERS = {config: opencc.OpenCC(config) for config in CONFIGS}


def _seed_files() -> list[Path]:
    seeds = SHARED / "seeds"
    folder = seeds if seeds.is_dir() else SAMPLE_DIR
    return sorted(folder.glob("*.txt"))


def _corpus_files(step: int) -> list[Path]:
    if not CORPUS.is_dir():
        return []
    held = heldout_files()
    files = sorted(p for p in CORPUS.rglob("*.txt") if p.relative_to(CORPUS).as_posix() not in held)
    return files[::step]


def _facts(doc) -> dict:
    return {
        "year": doc.year,
        "report_year": doc.report_year,
        "pub_year": doc.pub_year,
        "year_source": doc.year_source,
        "genre": doc.genre,
        "org": ORGS(doc.org),
        "paragraphs": len(doc.paragraphs),
        "kinds": [p.kind for p in doc.paragraphs],
    }


def _converted(path: Path, root: Path, dest: Path, config: str) -> Path:
    """``path`` converted with OpenCC ``config``, at the same relative path (and file name) under ``dest``."""
    out = dest / config / path.relative_to(root)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(_CONVERTERS[config].convert(path.read_text(encoding="utf-8")), encoding="utf-8")
    return out


def _check_same(files: list[Path], root: Path, tmp_path: Path) -> int:
    """Assert each converted copy ingests to the original's facts; the number of traditional copies compared."""
    compared = 0
    for path in files:
        _, doc = ingest_file(path, root)
        if doc is None:
            continue
        for config in CONFIGS:
            copy = _converted(path, root, tmp_path, config)
            _, trad = ingest_file(copy, tmp_path / config)
            assert trad is not None, (config, path.name)
            if not has_traditional(trad.paragraphs[0].text + trad.title):
                continue
            assert _facts(trad) == _facts(doc), (config, path.relative_to(root).as_posix())
            # stored text is as written: of the original's lengths, and its characters are the copy's
            # (but for those normalisation puts in the original's too: ASCII quotes, ' | ')
            assert [len(p.text) for p in trad.paragraphs] == [len(p.text) for p in doc.paragraphs], (config, path.name)
            assert len(trad.title) == len(doc.title)
            added = set("".join(p.text for p in doc.paragraphs) + doc.title) - set(path.read_text(encoding="utf-8"))
            stored = set("".join(p.text for p in trad.paragraphs) + trad.title)
            assert stored - set(copy.read_text(encoding="utf-8")) <= added, (config, path.name)
            compared += 1
    return compared


def test_seed_reports_in_traditional_characters_ingest_the_same(tmp_path):
    files = _seed_files()
    if not files:
        pytest.skip("no seed reports")
    assert _check_same(files, files[0].parent, tmp_path) == len(files) * len(CONFIGS)


def test_shared_corpus_in_traditional_characters_ingests_the_same(tmp_path):
    """Every 6th file of the shared corpus (held-out files left out), in the three conversions."""
    files = _corpus_files(6)
    if not files:
        pytest.skip("../shared/corpus is absent")
    assert _check_same(files, CORPUS, tmp_path) > 0.9 * len(files) * len(CONFIGS)


@pytest.mark.slow
def test_whole_shared_corpus_in_traditional_characters_ingests_the_same(tmp_path):
    files = _corpus_files(1)
    if not files:
        pytest.skip("../shared/corpus is absent")
    assert _check_same(files, CORPUS, tmp_path) > 0.9 * len(files) * len(CONFIGS)


def test_info_lines_byline_and_dates_are_read_on_the_view_and_stored_as_written(tmp_path):
    text = "\n".join(
        [
            "2021年度黨建工作總結",
            "中共紹興市第一中學委員會",
            "發布時間：2022-01-10　來源：黨政辦　點擊數：1234",
            "責任編輯：王明",
            "一、堅決做到「兩個維護」",
            "全校黨員幹部堅決做到「兩個維護」，落實「一崗雙責」，推動全面從嚴治黨向縱深發展。",
            "最後，我們將繼續努力，把各項工作落到實處，以優異成績迎接新的一年。",
            "分享到：",
        ]
    )
    (tmp_path / "report.txt").write_text(text, encoding="utf-8")
    _, doc = ingest_file(tmp_path / "report.txt", tmp_path)
    assert doc.title == "2021年度黨建工作總結"
    assert doc.org == "中共紹興市第一中學委員會" and ORGS(doc.org) == "绍兴市第一中学党委"
    assert doc.source == "黨政辦"
    assert (doc.pub_date, doc.report_year, doc.year, doc.year_source, doc.genre) == ("2022-01-10", 2021, 2021, "stated", "工作总结")
    assert [p.kind for p in doc.paragraphs] == ["heading", "body", "item"]
    assert doc.paragraphs[0].text == "一、堅決做到「兩個維護」"
    assert {rule for _, rule, _ in doc.removed} >= {"title", "byline", "editor", "widget"}


def test_the_rules_read_the_view():
    from pipeline.ingest.paragraphs import is_shi

    assert classify_line("責任編輯：王明") == "editor" and classify_line("當前位置：首頁 > 黨建") == "breadcrumb"
    assert classify_line("堅決做到兩個維護，落實一崗雙責。") is None
    assert heading_level("第兩部分 主要工作")[0] == 1 and is_shi("最後，") and not is_shi("後來，")
    assert genre_of("關於2020年度述職述廉的報告") == "述职述廉"
    assert covered_year("2019年上半年工作總結", [], "2019-07-01") == (2019, "stated")
    assert covered_year("黨委書記述職報告", [], "2021-01-20") == (2020, "annual-previous")
    assert parse_when("2019學年") == (2019, "2019")
    assert pattern_name("中國共產黨紹興一中總支部委員會") == "绍兴一中总支部"
    assert pattern_name("共青團紹興一中委員會") == pattern_name("共青团绍兴一中委员会") == "共青团绍兴一中团委"
    assert common_han_share("堅決做到兩個維護落實一崗雙責推動全面從嚴治黨向縱深發展") == 1.0


def test_simplified_text_is_not_converted():
    line = "坚决做到两个维护，落实一岗双责。"
    assert simplified(line) is line
