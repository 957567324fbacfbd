"""pipeline.terms.simplify: the simplified view, and traditional text counted as its simplified form."""

from __future__ import annotations

import pytest

from pipeline.lexicon import load_lexicon
from pipeline.terms import TermMatcher, discover_candidates, has_traditional, simplified, traditional_chars
from pipeline.terms.query import key_of

opencc = pytest.importorskip("opencc")

ISSUE = "堅決做到「兩個維護」…落實「一崗雙責」"
CONFIGS = ("s2t", "s2tw", "s2hk")


@pytest.fixture(scope="module")
def matcher() -> TermMatcher:
    return TermMatcher(load_lexicon())


@pytest.fixture(scope="module")
def seed_paragraphs(seed_texts) -> list[str]:
    return [line for text in seed_texts.values() for line in text.splitlines() if line.strip()]


def test_view_keeps_length_and_converts_traditional_only():
    assert simplified(ISSUE) == "坚决做到「两个维护」…落实「一岗双责」"
    assert len(simplified(ISSUE)) == len(ISSUE)
    plain = "坚决做到两个维护，落实一岗双责。"
    assert simplified(plain) is plain and not has_traditional(plain)
    assert has_traditional(ISSUE) and {"兩", "個", "維", "護"} <= traditional_chars()
    # characters simplified text uses too are never changed (hk2s would turn 么 into 幺, 著 into 着)
    assert simplified("什么著名") == "什么著名"
    assert not {"么", "著", "了", "后", "发"} & traditional_chars()
    assert simplified("x\U000200ccy") == "x\U000200ccy"  # an astral character without a simplified form
    assert simplified("") == "" and simplified("A" * 300 + "國") == "A" * 300 + "国"  # the numpy path


def test_issue_example_counts_at_the_traditional_characters(matcher):
    found = matcher.findall(ISSUE)
    assert [m.term for m in found] == ["两个维护", "一岗双责"]
    assert [ISSUE[m.start : m.end] for m in found] == ["兩個維護", "一崗雙責"]
    assert matcher.count(ISSUE) == matcher.count(simplified(ISSUE))


@pytest.mark.parametrize("config", CONFIGS)
def test_traditional_seeds_count_exactly_as_simplified(matcher, seed_paragraphs, config):
    """Property: every seed paragraph, converted by OpenCC, counts the same formulations; every
    match points at the traditional characters, and they fold to the term's form."""
    convert = opencc.OpenCC(config).convert
    terms = load_lexicon()
    n = 0
    for para in seed_paragraphs:
        trad = convert(para)
        assert matcher.count(trad) == matcher.count(para), (config, para[:60])
        for m in matcher.finditer(trad):
            surface = trad[m.start : m.end]
            assert key_of(surface) == key_of(m.surface)
            assert terms.canonical(m.surface) == m.term
            n += 1
    assert n > 50


def test_shared_corpus_traditional_copy_counts_the_same(matcher, corpus_dir):
    """The same property over the shared corpus (every 7th file: the whole corpus takes minutes)."""
    files = sorted(corpus_dir.rglob("*.txt"))[::7]
    paragraphs = [line for p in files for line in p.read_text(encoding="utf-8").splitlines() if line.strip()]
    for config in CONFIGS:
        converted = opencc.OpenCC(config).convert("\n".join(paragraphs)).split("\n")
        assert len(converted) == len(paragraphs)
        for para, trad in zip(paragraphs, converted):
            assert matcher.count(trad) == matcher.count(para), (config, para[:60])


def test_discovery_reads_the_view_and_quotes_the_original(seed_texts):
    lex = load_lexicon()
    docs = [(name, 2020, [line for line in text.splitlines() if line.strip()]) for name, text in sorted(seed_texts.items())]
    plain = discover_candidates(docs, lex)
    convert = opencc.OpenCC("s2t").convert
    trad = discover_candidates([(d, y, [convert(p) for p in ps]) for d, y, ps in docs], lex)
    cols = ["term", "method", "score", "doc_freq", "years"]
    assert trad[cols].values.tolist() == plain[cols].values.tolist()
    assert trad["example"].map(has_traditional).all()  # examples are the text as written
    assert all(term in simplified(example) for term, example in zip(trad["term"], trad["example"]))


@pytest.fixture(scope="module")
def seed_lines(seed_texts) -> list[str]:
    text = next(iter(sorted(seed_texts.items())))[1]
    return [line for line in text.splitlines() if len(line) > 20][:40]


def test_the_run_labels_traditional_paragraphs_as_simplified_ones(seed_lines):
    """Through the run's per-document analysis: traditional text (OpenCC s2t, s2hk) gives the
    formulation hits, the content words (segmented on the view) and the labels with their
    probabilities of its simplified form. s2tw writes 着 as 著 (著力, 著眼于), which t2s keeps:
    the same hits and labels, not the same words."""
    from pipeline.config import Settings
    from pipeline.run.analysis import analyse
    from pipeline.run.resources import Resources

    res = Resources(Settings())
    paras = [{"text": line, "heading": ""} for line in seed_lines]
    plain = analyse(paras, res)
    assert plain["words"] and plain["term_hits"]
    for config in ("s2t", "s2hk", "s2tw"):
        convert = opencc.OpenCC(config).convert
        trad = analyse([{"text": convert(p["text"]), "heading": ""} for p in paras], res)
        assert any(has_traditional(convert(p["text"])) for p in paras)
        assert trad["term_hits"] == plain["term_hits"], config
        assert [x["label"] for x in trad["labels"]] == [x["label"] for x in plain["labels"]], config
        if config != "s2tw":
            assert trad["labels"] == plain["labels"], config  # the probabilities too
            assert trad["words"] == plain["words"], config


def test_classify_and_label_export_read_the_simplified_view(tmp_path, seed_lines):
    """``dangjian classify`` (fast scorer and --explain's sklearn model) and ``label export``:
    a traditional paragraph gets its simplified form's label and probabilities, and the output
    keeps the text as written."""
    import pandas as pd
    from conftest import write_label_sample
    from typer.testing import CliRunner

    from pipeline.cli import app

    (tmp_path / "labels").mkdir()
    labels = write_label_sample(tmp_path / "labels", per_label=40, seed=1)
    models = tmp_path / "models"
    convert = opencc.OpenCC("s2t").convert
    plain = seed_lines[:12]
    trad = [convert(t) for t in plain]
    assert sum(a != b for a, b in zip(plain, trad)) >= 10
    rows = pd.DataFrame({"id": range(2 * len(plain)), "heading": "", "text": plain + trad})
    rows.to_csv(tmp_path / "in.csv", index=False)
    runner = CliRunner()
    for extra in ([], ["--explain"]):
        out = tmp_path / "out.csv"
        res = runner.invoke(
            app, ["classify", str(tmp_path / "in.csv"), "--out", str(out), "--labels", str(labels), "--models-dir", str(models), *extra]
        )
        assert res.exit_code == 0, res.output
        got = pd.read_csv(out, encoding="utf-8-sig", keep_default_na=False)
        assert got["text"].tolist() == plain + trad  # as written
        cols = ["label"] + [c for c in got.columns if c.startswith("p_")]
        assert len(cols) >= 5
        first, second = got[cols].iloc[: len(plain)], got[cols].iloc[len(plain) :]
        assert first.values.tolist() == second.values.tolist(), extra

    run_dir = tmp_path / "run"
    run_dir.mkdir()
    paras = pd.DataFrame(
        {"doc_id": ["p"] * len(plain) + ["t"] * len(trad), "para_id": list(range(len(plain))) * 2, "heading": "", "text": plain + trad}
    )
    paras.to_csv(run_dir / "paragraphs.csv", index=False)
    export = tmp_path / "todo.csv"
    res = runner.invoke(
        app,
        [
            "label",
            "export",
            "--uncertain",
            str(len(paras)),
            str(export),
            "--out-dir",
            str(run_dir),
            "--labels",
            str(labels),
            "--models-dir",
            str(models),
        ],
    )
    assert res.exit_code == 0, res.output
    todo = pd.read_csv(export, encoding="utf-8-sig", keep_default_na=False)
    pcols = ["predicted"] + [c for c in todo.columns if c.startswith("p_")]
    by = {(d, int(i)): row for d, i, row in zip(todo["doc_id"], todo["para_id"], todo[pcols].values.tolist())}
    assert len(by) == len(paras)
    assert all(by[("p", i)] == by[("t", i)] for i in range(len(plain)))
    assert set(todo.loc[todo["doc_id"] == "t", "text"]) == set(trad)
