"""Shared helpers of the classify tests: sample paragraphs, awkward texts, the shared models
folder and the "same results as sklearn" check. A plain module (tests/conftest.py stays the
one conftest), imported by the test files next to it."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from conftest import SAMPLE_DIR

from pipeline.classify import registry
from pipeline.classify.model import uncertain

P_COLS = ["p_政治建设", "p_组织建设", "p_作风建设", "p_其他"]
ATOL = 1e-6  # the fast scorer's contract; in practice the two paths agree to ~1e-15

# Unambiguous paragraphs from the sample reports (seed 003: numbered items under the headings
# 突出政治建设 / 强化思想引领 / 坚持大抓基层 / 推进正风肃纪), plus page boilerplate as 其他.
CLEAR = [
    ("003", "1.带头做到“两个维护”", "政治建设"),
    ("003", "4.持续深化理论武装", "政治建设"),
    ("000", "一是坚持把强化政治引领", "政治建设"),
    ("003", "9.从严教育管理党员", "组织建设"),
    ("003", "10.建强党务干部队伍", "组织建设"),
    ("003", "8.加强基层支部建设", "组织建设"),
    ("003", "15.加强党风廉政教育", "作风建设"),
    ("003", "16.严格监督执纪问责", "作风建设"),
    ("003", "17.推进机关纪委建设", "作风建设"),
    ("000", "发布时间", "其他"),
    ("001", "欢迎来到成都燃气集团", "其他"),
]

# Texts the analyzer must treat exactly like sklearn's: whitespace runs of every kind (a single
# tab/newline/ideographic space stays, runs of >= 2 become one space), digit runs (ASCII and
# full-width), Latin and full-width letters, emoji and other astral characters, control and
# unknown characters, one-character and empty texts.
EDGE = [
    "",
    " ",
    "\t",
    "\n",
    "  ",
    "\u3000",
    "\u3000\u3000加强党的建设",
    "\xa0党建\xa0\xa0工作",
    "\x1c\x1d\x1e\x1f",
    "加强  党的   建设\n\n全面从严治党\t\t落实\r\n责任",
    " 前导空格",
    "尾随空格 ",
    "\n\n\n",
    "2023年12月31日召开第12次会议，3.5%",
    "１２３４５ 全角数字 ２０２４年１月",
    "0",
    "１",
    "12 34\u300056",
    "Party building 党建工作 ABC abc",
    "ＡＢＣ　全角字母　ｘｙｚ，！？（一）",
    "“两个维护”《党章》——",
    "😀😀坚持党的领导😀 𠀀𪚥 🇨🇳",
    "𠀀",
    "😀",
    "\U0010ffff党",
    "\x00控制字符\x01\x7f",
    "ꙮ ᚠᛇᚻ ❄ ∑ ≠ 未知字符",
    "加\u200b强\u2028党\u2029建\u0085设",
    "党",
    "a",
    "党的党的党的党的",
    "严格落实中央八项规定精神，坚决纠治“四风”问题。",
]


def sample_line(name_prefix: str, startswith: str) -> str:
    path = next(SAMPLE_DIR.glob(f"{name_prefix}_*.txt"))
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip().startswith(startswith):
            return line.strip()
    raise AssertionError(f"no line starting with {startswith!r} in {path.name}")


def seed_paragraphs() -> list[str]:
    """Every non-empty line of the sample reports, plus each whole report as one long text."""
    out = []
    for path in sorted(SAMPLE_DIR.glob("*.txt")):
        text = path.read_text(encoding="utf-8")
        out += [line for line in text.splitlines() if line.strip()]
        out.append(text)
    return out


def shipped_models_dir(tmp_path_factory) -> Path:
    """The temporary models folder of the models trained on the shipped labels: one per test
    session, shared by the classify test files, so each model is trained once (on first use,
    by ``get_classifier``/``get_scorer``) and then loaded. Tests that change models use their
    own folders."""
    d = tmp_path_factory.getbasetemp() / "classify_shipped_models"
    d.mkdir(exist_ok=True)
    return d


def fresh_caches():
    registry._CACHE.clear()
    registry._SCORERS.clear()


def assert_same(clf, scorer, texts, atol=ATOL):
    """The fast scorer gives the sklearn model's probabilities, labels and uncertain flags."""
    want = clf.predict_proba(texts)
    got = scorer.predict_proba(texts)
    assert got.shape == want.shape
    assert list(want.columns) == scorer.columns
    np.testing.assert_allclose(got, want.to_numpy(), rtol=0, atol=atol)
    assert scorer.labels_for(got).tolist() == clf.labels_for(want).tolist()
    for threshold in (0.4, 0.5, 0.6, 0.9):
        assert scorer.uncertain(got, threshold).tolist() == uncertain(want, threshold).tolist()
    return got


def write_grouped_sample(dest: Path, per_label6: int = 20, seed: int = 0) -> Path:
    """A stratified sample of the shipped labels with their six-way labels and org_kind
    (``per_label6`` rows of each six-way label), written as ``dest/paragraphs.csv``: a small
    labels folder for fast fits of the six-way model and of the LOSO / calibration code."""
    from pipeline import classify
    from pipeline.config import LABELS_DIR

    data = classify.load_labels(LABELS_DIR)
    part = data.groupby("label6").sample(n=per_label6, random_state=seed)
    part[["doc", "para_id", "text", "label", "note", "label6", "org_kind"]].to_csv(dest / "paragraphs.csv", index=False)
    return dest
