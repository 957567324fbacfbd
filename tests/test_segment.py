"""pipeline.segment: checked choice, lazy backends, own dictionaries, lexicon terms never split,
rjieba == jieba on the seeds, offsets, and the `dangjian segment` command."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from pipeline import config
from pipeline.cli import app
from pipeline.errors import BackendMissing, InputError
from pipeline.lexicon import Entry, Lexicon, load_lexicon
from pipeline.segment import (
    JiebaSegmenter,
    PkusegSegmenter,
    SegmenterName,
    _enforce_spans,
    guaranteed_forms,
    make_segmenter,
)
from pipeline.automaton import leftmost_longest, make_automaton as _make_automaton

ROOT = Path(__file__).resolve().parent.parent


def entry(term, *aliases):
    return Entry(term, tuple(aliases), "组织", None, "local", "", 0)


SMALL = Lexicon([entry("两个维护"), entry("三会一课"), entry("两服务一改进"), entry("三个更加突出"),
                 entry("三级联述联评联考"), entry("四强", "四强党支部"), entry("不忘初心、牢记使命"), entry("一岗双责")])


@pytest.fixture(scope="module")
def lexicon() -> Lexicon:
    if (config.LEXICON_DIR / config.FORMULATIONS_FILE).exists():
        return load_lexicon()
    return SMALL


@pytest.fixture(scope="module")
def jieba_seg(lexicon):
    return make_segmenter("jieba", lexicon).initialize()


@pytest.fixture(scope="module")
def pkuseg_seg(lexicon):
    """One pkuseg instance for the module: loading takes seconds and ~800 MB."""
    pytest.importorskip("pkuseg")
    return make_segmenter("pkuseg", lexicon).initialize()


def synthetic_sentences(forms: list[str]) -> list[str]:
    """Each form between ordinary words, glued without punctuation (where segmenters are
    most tempted to attach a neighbour), plus all forms in one run-on paragraph."""
    frames = ["我们要坚持{}不动摇", "进一步落实{}的要求", "{}", "在全体党员中开展{}活动，推动工作", "以{}为抓手"]
    out = [frames[i % len(frames)].format(f) for i, f in enumerate(forms)]
    out.append("，".join(f"推进{f}工作" for f in forms))
    return out


def expected_spans(lexicon, text):
    forms = guaranteed_forms(lexicon)
    return [(s, e) for s, e, _ in leftmost_longest(_make_automaton({f: f for f in forms}), text)]


def assert_forms_are_tokens(seg, lexicon, text):
    tokens = seg.tokenize(text)
    spans = {(s, e) for _, s, e in tokens}
    for word, s, e in tokens:
        assert text[s:e] == word and word.strip() == word and word
    missing = [text[s:e] for s, e in expected_spans(lexicon, text) if (s, e) not in spans]
    assert missing == []
    assert "".join(w for w, _, _ in tokens) == "".join(text.split())
    return len(expected_spans(lexicon, text))


# --------------------------------------------------------------------------- choice and laziness
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


# --------------------------------------------------------------------------- the guarantee
def test_safety_pass_splits_and_merges():
    text = "abcdefgh"
    words, starts, ends = _enforce_spans(text, ["ab", "cde", "fgh"], [0, 2, 5], [2, 5, 8], [(1, 3), (4, 7)])
    assert words == ["a", "bc", "d", "efg", "h"] and starts == [0, 1, 3, 4, 7] and ends == [1, 3, 4, 7, 8]
    words, *_ = _enforce_spans(text, list(text), list(range(8)), list(range(1, 9)), [(0, 8)])
    assert words == ["abcdefgh"]
    words, *_ = _enforce_spans(text, ["abcdefgh"], [0], [8], [(2, 4)])
    assert words == ["ab", "cd", "efgh"]


@pytest.mark.parametrize("hmm", [True, False])
def test_jieba_keeps_every_lexicon_term_one_token(lexicon, hmm):
    seg = make_segmenter("jieba", lexicon, hmm=hmm)
    forms = guaranteed_forms(lexicon)
    assert len(forms) >= (500 if len(lexicon) > 100 else 8)
    for form in forms:
        assert seg.lcut(form) == [form]
    checked = sum(assert_forms_are_tokens(seg, lexicon, s) for s in synthetic_sentences(forms))
    assert checked >= len(forms)


def test_jieba_on_seeds(jieba_seg, lexicon, seed_texts):
    total = sum(assert_forms_are_tokens(jieba_seg, lexicon, t) for t in seed_texts.values())
    assert total >= 40
    tokens = jieba_seg.lcut(seed_texts["000_0251f9872aab0630.txt"])
    assert tokens.count("两个维护") == 5 and tokens.count("一岗双责") == 3


def test_pkuseg_keeps_every_lexicon_term_one_token(pkuseg_seg, lexicon, seed_texts):
    forms = guaranteed_forms(lexicon)
    text = "\n".join(synthetic_sentences(forms))
    assert assert_forms_are_tokens(pkuseg_seg, lexicon, text) >= len(forms)
    seeds = "\n".join(seed_texts.values())
    assert assert_forms_are_tokens(pkuseg_seg, lexicon, seeds) >= 40
    assert pkuseg_seg.lcut("") == [] and pkuseg_seg.lcut("  \n ") == []


def test_empty_and_odd_input(jieba_seg):
    assert jieba_seg.lcut("") == [] and jieba_seg.tokenize("") == []
    assert list(jieba_seg.cut("  \n\t ")) == []
    text = "😀𠀋 Ａ１\x00两个维护"
    assert [w for w, s, e in jieba_seg.tokenize(text) if text[s:e] != w] == []
    assert jieba_seg.lcut(text)[-1] == "两个维护"


# --------------------------------------------------------------------------- rjieba == jieba
def agreement(a: list[tuple[str, int, int]], b: list[tuple[str, int, int]]) -> float:
    sa, sb = {(s, e) for _, s, e in a}, {(s, e) for _, s, e in b}
    return len(sa & sb) / max(len(sa), len(sb), 1)


@pytest.mark.parametrize("hmm, floor", [(False, 1.0), (True, 0.995)])
def test_rjieba_agrees_with_pure_jieba_on_seeds(lexicon, seed_texts, hmm, floor):
    pytest.importorskip("rjieba")
    fast = JiebaSegmenter(lexicon, hmm=hmm, backend="rjieba").initialize()
    slow = JiebaSegmenter(lexicon, hmm=hmm, backend="jieba").initialize()
    same = total = 0
    for text in seed_texts.values():
        a, b = slow.raw_tokenize(text), fast.raw_tokenize(text)
        rate = agreement(a, b)
        same += rate * len(a)
        total += len(a)
        assert fast.tokenize(text) == slow.tokenize(text) or rate < 1.0
    overall = same / total
    print(f"rjieba vs jieba, hmm={hmm}: token agreement {overall:.4%} over {total} tokens")
    assert overall >= floor


# --------------------------------------------------------------------------- CLI
runner = CliRunner()


@pytest.mark.parametrize("bom", [True, False])
def test_cli_segment_jieba(tmp_path, bom):
    src = tmp_path / "in.txt"
    src.write_bytes(("\ufeff" if bom else "").encode() + "坚持三会一课制度\n\n做到“两个维护”  和一岗双责\n".encode("utf-8"))
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


# --------------------------------------------------------------------------- spaCy
def test_spacy_language_with_formulation_spans(lexicon):
    pytest.importorskip("spacy")
    from spacy import displacy

    from pipeline.terms.nlp import make_nlp

    nlp = make_nlp("jieba", lexicon)
    text = "坚持“三会一课”制度， 做到两个维护和一岗双责。不忘初心，牢记使命"
    doc = nlp(text)
    assert doc.text == text
    assert [(s.text, s.label_) for s in doc.spans["formulations"]][:3] == [
        ("三会一课", lexicon.by_term("三会一课").category),
        ("两个维护", lexicon.by_term("两个维护").category),
        ("一岗双责", lexicon.by_term("一岗双责").category),
    ]
    assert doc.spans["formulations"][-1].text == "不忘初心，牢记使命"
    assert "三会一课" in [t.text for t in doc]
    html = displacy.render(doc, style="span", options={"spans_key": "formulations"}, page=False)
    assert "三会一课" in html and "两个维护" in html
    assert len(nlp("")) == 0 and list(nlp("").spans["formulations"]) == []
    assert list(nlp("Hello world").spans["formulations"]) == []
