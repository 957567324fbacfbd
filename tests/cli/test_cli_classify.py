"""``dangjian classify`` as an analyst uses it (typer's CliRunner): an input ``label`` column
(a gold file) is kept as ``label_input`` next to the predictions and the output says so;
``--explain`` names readable phrases of the paragraph, not internal feature names or function
characters. Real paragraphs of the bundled sample reports; a model fitted on a 240-row slice of
the shipped labels."""

from __future__ import annotations

import re
import unicodedata
from pathlib import Path

import pandas as pd
import pytest
from conftest import SAMPLE_DIR, write_label_sample
from typer.testing import CliRunner

from pipeline.cli import app

runner = CliRunner()
PART = re.compile(r"^(?P<phrase>.+)\((?P<w>[+-]\d+\.\d\d)\)$")
FUNCTION = set("的和了在是与及等或之")  # issue 15's list: no reason alone


def is_filler(phrase: str) -> bool:
    """No letter other than a function character: only 的, 和 ..., punctuation or digits."""
    return not any(unicodedata.category(ch)[0] == "L" and ch not in FUNCTION for ch in phrase)


@pytest.fixture(scope="module")
def model_opts(tmp_path_factory) -> list[str]:
    """--labels/--models-dir of a small model (trained on the first command that needs it)."""
    labels = write_label_sample(tmp_path_factory.mktemp("labels"), per_label=60, seed=0)
    return ["--labels", str(labels), "--models-dir", str(tmp_path_factory.mktemp("models"))]


def sample_lines(*needles: str) -> list[str]:
    """Lines of the sample reports holding any of ``needles``, in file order."""
    out = []
    for path in sorted(SAMPLE_DIR.glob("*.txt")):
        out += [line.strip() for line in path.read_text(encoding="utf-8").splitlines() if any(n in line for n in needles)]
    return out


def read_out(path: Path) -> pd.DataFrame:
    return pd.read_csv(path, encoding="utf-8-sig", dtype=str, keep_default_na=False)


def test_classify_keeps_the_input_label_column(tmp_path, model_opts):
    texts = sample_lines("两个维护")[:3] + sample_lines("廉政")[:2]
    gold = ["政治建设", "政治建设", "其他", "作风建设", "组织建设"]  # two deliberately odd gold labels
    inp = tmp_path / "gold.csv"
    pd.DataFrame({"id": range(len(texts)), "text": texts, "label": gold}).to_csv(inp, index=False)
    out = tmp_path / "out.csv"
    res = runner.invoke(app, ["classify", str(inp), "--out", str(out), *model_opts])
    assert res.exit_code == 0, res.output
    assert "`label_input`" in res.output and "kept" in res.output
    df = read_out(out)
    assert list(df.columns[:4]) == ["id", "text", "label_input", "label"]
    assert df["label_input"].tolist() == gold  # untouched
    # `label` is the model's, whatever the input said: the same as classifying the texts alone
    bare = tmp_path / "bare.csv"
    pd.DataFrame({"text": texts}).to_csv(bare, index=False)
    res2 = runner.invoke(app, ["classify", str(bare), "--out", str(tmp_path / "bare_out.csv"), *model_opts])
    assert res2.exit_code == 0, res2.output
    assert "label_input" not in res2.output
    bare_out = read_out(tmp_path / "bare_out.csv")
    assert "label_input" not in bare_out.columns
    assert df["label"].tolist() == bare_out["label"].tolist()

    # classifying the output again keeps the original gold labels, not the earlier predictions
    again = tmp_path / "again.csv"
    res3 = runner.invoke(app, ["classify", str(out), "--out", str(again), *model_opts])
    assert res3.exit_code == 0, res3.output
    assert "replaced" in res3.output
    df3 = read_out(again)
    assert df3["label_input"].tolist() == gold and df3["label"].tolist() == df["label"].tolist()
    assert list(df3.columns).count("label") == 1


def test_explain_shows_readable_phrases(tmp_path, model_opts):
    texts = sample_lines("两个维护", "党支部", "廉政")
    assert len(texts) >= 10
    inp = tmp_path / "in.csv"
    pd.DataFrame({"text": texts}).to_csv(inp, index=False)
    out = tmp_path / "out.csv"
    res = runner.invoke(app, ["classify", str(inp), "--out", str(out), "--explain", *model_opts])
    assert res.exit_code == 0, res.output
    df = read_out(out)
    assert (df["explain"] != "").all()
    phrases = []
    for text, cell in zip(df["text"], df["explain"]):
        parts = cell.split("; ")
        assert len(parts) <= 5
        for part in parts:
            m = PART.match(part)
            assert m, (part, cell)
            phrase = m.group("phrase")
            assert "__" not in phrase and not phrase.startswith(("char", "word", "lex", "kw")), cell
            assert not is_filler(phrase), (phrase, cell)  # never 的, 和, 了 ... alone, nor punctuation or digits
            assert phrase[0] not in FUNCTION and phrase[-1] not in FUNCTION, (phrase, cell)
            assert phrase in text, (phrase, text)  # as written in the paragraph
            assert float(m.group("w")) > 0
            phrases.append(phrase)
    # the phrases are words, not only the model's 1-2-character n-grams
    assert sum(len(p) >= 4 for p in phrases) >= len(df)
    row = df[df["text"].str.startswith("政治功能强起来")].iloc[0]
    assert row["label"] == "政治建设" and "两个维护(+" in row["explain"]
