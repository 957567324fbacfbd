"""lexicons/taxonomy.yaml -> frozen Taxonomy objects; bad files give one clear TaxonomyError."""

from __future__ import annotations

import dataclasses

import pytest

from pipeline.errors import TaxonomyError
from pipeline.taxonomy import FOUR_LABELS, load_taxonomy

GOOD = """
schemes:
  four:
    labels: [政治建设, 组织建设, 作风建设, 其他]
    keywords:
      政治建设: [两个维护, 理论学习]
      组织建设: [党支部]
      作风建设: [八项规定, 廉洁]
      其他: []
  six:
    labels: [政治, 思想, 组织, 作风, 纪律, 制度, 其他]
    rollup: {政治: 政治建设, 思想: 政治建设, 组织: 组织建设, 制度: 组织建设, 作风: 作风建设, 纪律: 作风建设, 其他: 其他}
    keywords:
      政治: [两个维护]
      思想: [理论学习]
      组织: [党支部]
      作风: [八项规定]
      纪律: [廉洁]
      制度: [责任制]
"""


def write(tmp_path, text):
    (tmp_path / "taxonomy.yaml").write_text(text, encoding="utf-8")
    return tmp_path


def test_shipped_four_way_scheme():
    tax = load_taxonomy()
    assert tax.name == "four"
    assert tax.labels == FOUR_LABELS
    assert dict(tax.rollup) == {lab: lab for lab in FOUR_LABELS}
    for lab in ("政治建设", "组织建设", "作风建设"):
        assert len(tax.keywords[lab]) >= 5, lab
    assert "两个维护" in tax.keywords["政治建设"]
    assert "八项规定" in tax.keywords["作风建设"]


def test_shipped_six_way_scheme_rolls_up_into_four():
    six = load_taxonomy("six")
    assert len(six.labels) == 7 and "其他" in six.labels
    assert set(six.rollup.values()) == set(FOUR_LABELS)
    assert six.base_labels == FOUR_LABELS
    assert set(six.children("作风建设")) == {lab for lab, up in six.rollup.items() if up == "作风建设"}
    assert len(six.children("政治建设")) == 2


def test_taxonomy_is_read_only():
    tax = load_taxonomy()
    with pytest.raises(dataclasses.FrozenInstanceError):
        tax.labels = ("x",)
    with pytest.raises(TypeError):
        tax.keywords["政治建设"] = ("x",)


def test_enum_value_accepted():
    from pipeline.cli import TaxonomyChoice

    assert load_taxonomy(TaxonomyChoice.six).name == "six"


def test_unknown_scheme_lists_valid_ones():
    with pytest.raises(TaxonomyError) as err:
        load_taxonomy("seven")
    assert "four" in str(err.value) and "six" in str(err.value) and "E006" in str(err.value)


def test_custom_dir(tmp_path):
    d = write(tmp_path, GOOD)
    assert load_taxonomy("four", d).keywords["组织建设"] == ("党支部",)
    assert load_taxonomy("six", d).rollup["制度"] == "组织建设"


def test_validate_label():
    tax = load_taxonomy()
    assert tax.validate_label("其他") == "其他"
    with pytest.raises(TaxonomyError, match="经济建设"):
        tax.validate_label("经济建设")


@pytest.mark.parametrize(
    "broken, needle",
    [
        (GOOD.replace("[政治建设, 组织建设, 作风建设, 其他]", "[政治建设, 组织建设, 作风建设]"), "其他"),
        (GOOD.replace("制度: 组织建设,", "制度: 经济建设,"), "经济建设"),
        (GOOD.replace("[政治建设, 组织建设, 作风建设, 其他]", "[政治建设, 政治建设, 作风建设, 其他]"), "twice"),
        (GOOD.replace("      其他: []\n", "      其他: []\n      文化建设: [文化]\n", 1), "文化建设"),
        (GOOD.replace("纪律: 作风建设, ", ""), "纪律"),
        ("four: [unclosed", "YAML"),
    ],
)
def test_broken_files_raise_one_clear_error(tmp_path, broken, needle):
    d = write(tmp_path, broken)
    with pytest.raises(TaxonomyError) as err:
        load_taxonomy("six", d)
    assert needle in str(err.value)


def test_missing_file(tmp_path):
    with pytest.raises(TaxonomyError, match="taxonomy.yaml"):
        load_taxonomy("four", tmp_path)
