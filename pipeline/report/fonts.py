"""The bundled CJK font for charts and report.html, and matplotlib glue.

Charts (:mod:`pipeline.report.canvas`) and the report's embedded font always use WenQuanYi Micro Hei
shipped by our dependency ``paperang-p2-fonts-cjk`` (the same glyphs on every machine, so the
outputs are reproducible), read by :class:`pipeline.report.truetype.TrueTypeFont` on demand:
character map, advance widths, glyph outlines as SVG paths and WOFF subsets, in milliseconds
(fontTools takes seconds to subset the 5 MB collection).

For matplotlib (``Corpus.plot_trend`` in notebooks) the order is: a CJK font the system
already has (matplotlib's font list), else the bundled one (registered with
``font_manager.fontManager.addfont``). Nothing is set globally: use :func:`font_context` (an
``rc_context``) around figure creation *and* saving.
"""

from __future__ import annotations

import contextlib
import functools
from collections.abc import Iterator
from pathlib import Path

from pipeline.errors import BackendMissing
from pipeline.report.truetype import TrueTypeFont

#: system fonts that cover simplified Chinese, most preferred first
SYSTEM_CJK_FONTS = (
    "Noto Sans CJK SC",
    "Noto Sans SC",
    "Source Han Sans SC",
    "Source Han Sans CN",
    "Noto Sans CJK JP",
    "Noto Sans CJK TC",
    "Source Han Sans",
    "WenQuanYi Micro Hei",
    "WenQuanYi Zen Hei",
    "Microsoft YaHei",
    "SimHei",
    "PingFang SC",
    "Hiragino Sans GB",
    "Heiti SC",
    "STHeiti",
    "Heiti TC",
    "Sarasa Gothic SC",
    "AR PL UKai CN",
    "AR PL UMing CN",
)


def bundled_font_path() -> Path:
    """Path of WenQuanYi Micro Hei shipped by ``paperang-p2-fonts-cjk``."""
    try:
        import paperang_p2_fonts_cjk
    except ImportError as err:  # pragma: no cover - it is a hard dependency
        raise BackendMissing(
            "no CJK font found on this system and the bundled one is missing",
            "pip install paperang-p2-fonts-cjk (or install fonts-noto-cjk / fonts-wqy-microhei)",
        ) from err
    path = Path(paperang_p2_fonts_cjk.__file__).parent / "fonts" / "wqy-microhei.ttc"
    if not path.is_file():  # pragma: no cover
        raise BackendMissing(f"bundled font not found at {path}", "pip install --force-reinstall paperang-p2-fonts-cjk")
    return path


def system_cjk_font() -> str | None:
    """The first of :data:`SYSTEM_CJK_FONTS` matplotlib knows, or None."""
    from matplotlib import font_manager

    known = {f.name for f in font_manager.fontManager.ttflist}
    return next((name for name in SYSTEM_CJK_FONTS if name in known), None)


@functools.lru_cache(maxsize=1)
def cjk_font() -> str:
    """Family name of a font that renders Chinese; registers the bundled one if needed."""
    name = system_cjk_font()
    if name:
        return name
    from matplotlib import font_manager

    path = bundled_font_path()
    font_manager.fontManager.addfont(str(path))
    return font_manager.FontProperties(fname=str(path)).get_name()


def cjk_rc() -> dict:
    """rcParams for Chinese text: CJK font first, DejaVu Sans for Latin fallback, ASCII minus."""
    return {
        # explicit family names (not the generic "sans-serif"): text created inside the context
        # keeps the CJK font even when it is drawn later, e.g. by a notebook's inline backend
        "font.family": [cjk_font(), "DejaVu Sans"],
        "font.sans-serif": [cjk_font(), "DejaVu Sans"],
        "axes.unicode_minus": False,
        "svg.fonttype": "path",  # glyphs as paths: the SVG renders without the font installed
        "svg.hashsalt": "dangjian",  # deterministic ids in SVG output
    }


@contextlib.contextmanager
def font_context() -> Iterator[str]:
    """``with font_context() as family:`` create and save figures with Chinese text."""
    import matplotlib

    with matplotlib.rc_context(cjk_rc()):
        yield cjk_font()


@functools.lru_cache(maxsize=1)
def bundled_font() -> TrueTypeFont:
    """The bundled WenQuanYi Micro Hei (face 0 of the collection), read once per process."""
    return TrueTypeFont(bundled_font_path(), 0)
