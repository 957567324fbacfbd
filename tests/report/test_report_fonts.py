"""The bundled CJK font and matplotlib's font settings (pipeline/report/fonts.py)."""

from __future__ import annotations

import io
import warnings
from pathlib import Path

import pytest


def test_cjk_font_renders_chinese_without_missing_glyph_warnings():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from pipeline.report.fonts import cjk_font, font_context

    family = cjk_font()
    assert family  # e.g. "WenQuanYi Micro Hei" from paperang-p2-fonts-cjk, or a system font
    from matplotlib import font_manager

    path = font_manager.findfont(font_manager.FontProperties(family=family), fallback_to_default=False)
    assert "DejaVu" not in Path(path).name
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with font_context():
            fig, ax = plt.subplots()
            ax.set_title("两个维护 四个意识 全面从严治党 -1")
            ax.plot([-1, 1])
            fig.savefig(io.BytesIO(), format="png")
            fig.savefig(io.BytesIO(), format="svg")
            plt.close(fig)
    # the global rcParams are untouched
    assert family not in matplotlib.rcParams["font.sans-serif"]


def test_missing_glyph_check_can_fail():
    """Control: the same text in a Latin-only font does warn, so the check above is real."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    with matplotlib.rc_context({"font.family": "sans-serif", "font.sans-serif": ["DejaVu Sans"]}):
        fig, ax = plt.subplots()
        ax.set_title("两个维护")
        with pytest.warns(UserWarning, match="missing from font"):
            fig.savefig(io.BytesIO(), format="png")
        plt.close(fig)


def test_bundled_font_is_read_once_by_the_truetype_reader():
    from pipeline.report.fonts import bundled_font, bundled_font_path
    from pipeline.report.truetype import TrueTypeFont

    font = bundled_font()
    assert isinstance(font, TrueTypeFont) and font is bundled_font()
    assert font.path == bundled_font_path() and font.index == 0
