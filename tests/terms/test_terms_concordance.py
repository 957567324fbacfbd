"""pipeline.terms.concordance: kwic with aliases and document metadata, and `dangjian kwic`."""

from __future__ import annotations

import pandas as pd

from pipeline.lexicon import Entry, Lexicon
from pipeline.terms.concordance import kwic


def entry(term, *aliases, category="组织"):
    return Entry(term, tuple(aliases), category, None, "national", "", 0)


SMALL = Lexicon([entry("两个维护"), entry("四强", "四强党支部")])


def test_kwic_uses_aliases_and_documents():
    paragraphs = pd.DataFrame(
        {
            "doc_id": ["d1", "d1", "d2"],
            "para_id": ["p0", "p1", "p0"],
            "text": ["建设四强党支部，争创先进。", "无关段落", "开展“四强”创建"],
        }
    )
    documents = pd.DataFrame({"doc_id": ["d1", "d2"], "year": ["2021", ""], "title": ["甲", "乙"]})
    out = kwic(paragraphs, documents, "四强", window=3, lexicon=SMALL)
    assert list(out.columns) == ["doc_id", "year", "title", "left", "match", "right", "para_id", "term"]
    assert out["term"].tolist() == ["四强", "四强"]
    assert out[["doc_id", "left", "match", "right", "para_id"]].values.tolist() == [
        ["d1", "建设", "四强党支部", "，争创", "p0"],
        ["d2", "开展“", "四强", "”创建", "p0"],
    ]
    assert out["year"].tolist()[0] == 2021 and pd.isna(out["year"].tolist()[1])
    assert out["title"].tolist() == ["甲", "乙"]
    assert kwic(paragraphs, documents, "不存在", lexicon=SMALL).empty


def test_cli_kwic(tmp_path, seed_texts):
    from typer.testing import CliRunner

    from pipeline.cli import app
    from pipeline.store import write_csv

    runner = CliRunner()
    rows = [(name[:3], i, p) for name, text in sorted(seed_texts.items()) for i, p in enumerate(text.split("\n")) if p.strip()]
    write_csv(tmp_path / "paragraphs.csv", pd.DataFrame(rows, columns=["doc_id", "para_id", "text"]))
    write_csv(
        tmp_path / "documents.csv",
        pd.DataFrame({"doc_id": ["000", "001", "002", "003", "004"], "year": [2020, 2021, 2019, 2020, 2016], "title": list("ABCDE")}),
    )
    res = runner.invoke(app, ["kwic", "两个维护", "--window", "6", "--out-dir", str(tmp_path)])
    assert res.exit_code == 0, res.output
    lines = res.output.strip().splitlines()
    expected = "".join(seed_texts.values()).count("两个维护")
    assert len(lines) == expected + 1 and lines[-1].startswith(f"{expected} occurrence(s)")
    # year, context, then title and file (documents.csv has no path here: the doc_id stands in)
    assert lines[0].startswith("2020  ") and "【两个维护】" in lines[0] and lines[0].endswith("| A (000)")
    missing = runner.invoke(app, ["kwic", "两个维护", "--out-dir", str(tmp_path / "nope")])
    assert missing.exit_code == 1 and "Error:" in missing.output


def _run_folder(tmp_path, texts: dict[str, list[str]], years: dict[str, int]):
    from pipeline.store import write_csv

    rows = [(d, i, t) for d, ts in texts.items() for i, t in enumerate(ts)]
    write_csv(tmp_path / "paragraphs.csv", pd.DataFrame(rows, columns=["doc_id", "para_id", "text"]))
    write_csv(tmp_path / "documents.csv", pd.DataFrame({"doc_id": list(years), "year": list(years.values()), "title": list(years)}))
    write_csv(tmp_path / "formulations.csv", SMALL.to_frame())
    return tmp_path


def test_cli_kwic_literal_pattern_traditional_and_not_found(tmp_path):
    from typer.testing import CliRunner

    from pipeline.cli import app

    out = _run_folder(
        tmp_path, {"d1": ["推进“五星三名”创建，坚决做到两个维护", "五星三名"], "d2": ["堅決做到「兩個維護」，樹立兩個確立"]}, {"d1": 2020, "d2": 2021}
    )
    runner = CliRunner()
    res = runner.invoke(app, ["kwic", "五星三名", "--out", str(out), "--csv", str(tmp_path / "k.csv")])
    assert res.exit_code == 0, res.output
    assert res.output.startswith("note: 五星三名 is not in the lexicon") and res.output.strip().endswith("2 occurrence(s) in 1 document(s).")
    assert len(pd.read_csv(tmp_path / "k.csv", encoding="utf-8-sig")) == 2
    res = runner.invoke(app, ["kwic", "兩個維護", "--out", str(out)])  # the lexicon term, in either script
    assert res.exit_code == 0 and "【兩個維護】" in res.output and "【两个维护】" in res.output and "note:" not in res.output
    res = runner.invoke(app, ["kwic", "两个*", "--out", str(out)])
    assert res.exit_code == 0, res.output
    assert "[两个确立]" in res.output and "两个*: 两个维护 2, 两个确立 1" in res.output
    res = runner.invoke(app, ["kwic", "两个维户", "--out", str(out)])
    assert res.exit_code == 1 and "No occurrence of 两个维户" in res.output and "Nearest lexicon entries: 两个维护" in res.output
    bad = runner.invoke(app, ["kwic", "re:两个(", "--out", str(out)])
    assert bad.exit_code == 1 and "E001" in bad.output
