"""csvio.write_csv goes through pandas.to_csv with a vectorised formula escape; its bytes must equal
the column-wise csv.writer path (csv_text) it replaced, on awkward cells too."""

from __future__ import annotations

import math

import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from pipeline.csvio import FORMULA_PREFIXES, csv_text, escape_column, read_csv, unescape_formula, write_csv


def _reference(df: pd.DataFrame) -> bytes:
    cells = df.astype(object).where(df.notna(), "")
    columns = [cells.iloc[:, i].tolist() for i in range(cells.shape[1])]
    return ("\ufeff" + csv_text(columns, list(df.columns))).encode("utf-8")


AWKWARD = ["=SUM(A1)", "+1", "-2", "@x", "\tTAB", "\rCR", "两个维护", "a,b", 'q"uote', "line\nbreak", "", " ", "'=already", "全角＝"]


def test_write_csv_equals_the_csv_writer_path_on_awkward_frames(tmp_path):
    df = pd.DataFrame(
        {
            "text": AWKWARD,
            "n": list(range(-3, len(AWKWARD) - 3)),
            "x": [0.1, -0.5, 1e-9, 3.0, float("nan"), 2.5e10, 1 / 3, -0.0, 7.0, math.pi, 0.25, 1.0, 2.0, 3.0],
            "year": pd.array([2020, None, 2021, None] + [2022] * 10, dtype="Int64"),
            "flag": [True, False] * 7,
            "mixed": ["=a", 1, None, 2.5, "b", "-c", float("nan"), "x", "y", "z", 0, "+", "@", "ok"],
        }
    )
    path = tmp_path / "t.csv"
    write_csv(path, df)
    assert path.read_bytes() == _reference(df)
    back = read_csv(path)
    # read back as written (a text that itself starts with ' + a formula prefix is the guard's known ambiguity)
    assert [unescape_formula(v) for v in back["text"]] == [v if not v.startswith("'=") else v[1:] for v in AWKWARD]


@settings(max_examples=150, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.text(alphabet=st.sampled_from(list("=+-@\t\r\n\",'a两个维护 ")), max_size=8),
            st.integers(-(10**6), 10**6),
            st.floats(allow_nan=True, allow_infinity=False, width=64),
        ),
        min_size=0,
        max_size=20,
    )
)
def test_write_csv_equals_the_reference_on_random_frames(tmp_path_factory, rows):
    df = pd.DataFrame(rows, columns=["s", "i", "f"]) if rows else pd.DataFrame({"s": [], "i": [], "f": []})
    path = tmp_path_factory.mktemp("csv") / "r.csv"
    write_csv(path, df)
    assert path.read_bytes() == _reference(df)


def test_escape_column_guards_every_formula_prefix_and_leaves_numbers():
    cells = [p + "x" for p in FORMULA_PREFIXES] + [-1, 2.5, "ok"]
    assert escape_column(cells) == ["'" + p + "x" for p in FORMULA_PREFIXES] + [-1, 2.5, "ok"]
