"""Matplotlib figures for notebooks (pipeline/report/notebook.py: ``Corpus.plot_trend``) and the
numbered notebooks themselves, which execute (nbclient, kernel python3 from this venv) against
data/processed.

If data/processed has no finished run, the notebooks' first cell builds it from data/raw with
pipeline.run.run; the notebook test skips only if that is impossible too (no run and no engine).
"""

from __future__ import annotations

import importlib.util
import io
import json
import warnings
from pathlib import Path

import nbformat
import pandas as pd
import pytest
from test_trends import build_out_dir

from pipeline.api import Corpus

ROOT = Path(__file__).resolve().parents[2]
NOTEBOOKS = ROOT / "notebooks"
PROCESSED = ROOT / "data" / "processed"
NAMES = ["01-explore-trends.ipynb", "02-formulations.ipynb"]


@pytest.fixture(scope="module")
def out_dirs(tmp_path_factory) -> dict[str, Path]:
    base = tmp_path_factory.mktemp("notebook")
    return {
        "parquet": build_out_dir(base / "pq", parquet=True),
        "csv": build_out_dir(base / "csv", parquet=False, candidates=False),
    }


@pytest.fixture(scope="module", params=["parquet", "csv"])
def corpus(request, out_dirs) -> Corpus:
    return Corpus.load(out_dirs[request.param])


# --------------------------------------------------------------------------- terms_figure
def test_plot_trend_returns_a_figure_that_renders_chinese(corpus):
    from matplotlib.figure import Figure

    fig = corpus.plot_trend("两个维护", "四个意识", measure="doc_share")
    assert isinstance(fig, Figure)
    assert [t.get_text() for t in fig.axes[0].get_legend().get_texts()] == ["两个维护", "四个意识"]
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # drawn later, outside any font context: still no missing glyphs
        fig.savefig(io.BytesIO(), format="png")


def test_terms_figure_lines_bars_and_empty():
    from pipeline.report.fonts import font_context
    from pipeline.report.notebook import terms_figure

    mat = pd.DataFrame({"两个维护": [1.0, float("nan"), 3.0, 4.0]}, index=[2018, 2019, 2020, 2021])
    with font_context():
        lines = terms_figure(mat, "per_10k", pd.Series({2018: 1, 2019: 0, 2020: 2, 2021: 3}))
        bars = terms_figure(mat.loc[[2020, 2021]], "doc_share")
        empty = terms_figure(pd.DataFrame())
    ax = lines.axes[0]
    assert len(ax.get_lines()) == 1 and not ax.patches  # a line with a gap, not bars
    assert ax.get_ylabel() == "每万字出现次数 (per 10,000 chars)" and "(per_10k)" in ax.get_title()
    assert [t.get_text() for t in ax.texts] == ["n=1", "n=0", "n=2", "n=3"]
    assert len(bars.axes[0].patches) == 2 and not bars.axes[0].get_lines()  # fewer than 3 years: bars
    assert "没有可画的提法" in empty.axes[0].texts[0].get_text()


# --------------------------------------------------------------------------- the notebooks
def _can_run() -> str | None:
    if (PROCESSED / "documents.csv").is_file():
        return None
    if importlib.util.find_spec("pipeline.run.orchestrate") is None:
        return "data/processed/documents.csv is missing and pipeline.run.orchestrate is not there to build it"
    if not any((ROOT / "data" / "raw").rglob("*.txt")):
        return "data/processed/documents.csv is missing and data/raw has no reports to build it from"
    return None


def _outputs(nb) -> tuple[str, list[str]]:
    """All text/html outputs joined, and the mime types seen."""
    texts, mimes = [], []
    for cell in nb.cells:
        for out in cell.get("outputs", []):
            if out.get("output_type") == "stream":
                texts.append(out.get("text", ""))
            for mime, value in out.get("data", {}).items():
                mimes.append(mime)
                if mime.startswith("text/"):
                    texts.append(value if isinstance(value, str) else "".join(value))
    return "\n".join(texts), mimes


@pytest.mark.parametrize("name", NAMES)
def test_notebook_is_committed_without_outputs(name):
    raw = json.loads((NOTEBOOKS / name).read_text(encoding="utf-8"))
    code = [c for c in raw["cells"] if c["cell_type"] == "code"]
    assert code, name
    assert all(c["outputs"] == [] and c["execution_count"] is None for c in code), f"{name}: clear outputs before saving"
    source = "\n".join("".join(c["source"]) for c in code)
    assert "from pipeline import Corpus" in source
    assert "def " not in source and "class " not in source  # logic belongs in the package


@pytest.mark.parametrize("name", NAMES)
def test_notebook_executes(name):
    reason = _can_run()
    if reason:
        pytest.skip(reason)
    from nbclient import NotebookClient

    nb = nbformat.read(NOTEBOOKS / name, as_version=4)
    client = NotebookClient(nb, timeout=600, kernel_name="python3", resources={"metadata": {"path": str(ROOT)}})
    client.execute()  # raises CellExecutionError on the first failing cell
    text, mimes = _outputs(nb)
    assert "missing from font" not in text, "a chart lacks Chinese glyphs"
    assert "image/png" in mimes, "the trend figure was not displayed"
    assert "Corpus(" in text
    if name.startswith("02"):
        assert 'class="spans"' in text, "no displaCy span view"
        assert "两个维护" in text
    else:
        assert "政治建设" in text and "组织建设" in text
