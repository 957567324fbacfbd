"""The chart canvas (pipeline/report/canvas.py): ticks, and the PNG writer against Pillow's."""

from __future__ import annotations

import io
import struct

import pandas as pd
import pytest
from report_helpers import built_run

from pipeline.report.canvas import Chart, empty_chart, png_bytes


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory):
    return built_run(tmp_path_factory)


def test_nice_ticks_and_year_ticks():
    from pipeline.report.canvas import nice_ticks, year_ticks

    assert nice_ticks(1.0) == ([0.0, 0.2, 0.4, 0.6, 0.8, 1.0], 1)
    assert nice_ticks(14.7)[0][-1] >= 14.7 and nice_ticks(14.7)[1] == 0
    assert nice_ticks(2, integer=True) == ([0.0, 1.0, 2.0], 0)
    assert nice_ticks(0.0)[0][-1] == 1.0  # nothing to show: still an axis
    assert year_ticks(1921, 2025, 12) == list(range(1930, 2021, 10))
    assert year_ticks(2019, 2021, 12) == [2019, 2020, 2021]


def _charts() -> list[Chart]:
    from pipeline.report.charts import category_chart, heatmap_chart, trend_chart

    mat = pd.DataFrame({"两个维护": [1.0, float("nan"), 3.0, 4.0], "四个意识": [0.5, float("nan"), 2.0, 0.0]}, index=[2018, 2019, 2020, 2021])
    shares = pd.DataFrame({"政治建设": [0.5, 0.4, 0.3], "其他": [0.5, 0.6, 0.7]}, index=[2019, 2020, 2021])
    return [
        trend_chart(mat, "per_10k", pd.Series({2018: 1, 2019: 0, 2020: 2, 2021: 3})),  # lines, markers: anti-aliased
        heatmap_chart(mat, "per_10k"),  # rectangles only, many colours, rotated text
        category_chart(shares, None),
        empty_chart("没有提法计数 (no formulation counts)"),
    ]


def _chunk(png: bytes, tag: bytes) -> bytes:
    """The body of the first ``tag`` chunk of a PNG file."""
    pos = 8
    while pos < len(png):
        (length,) = struct.unpack(">I", png[pos : pos + 4])
        if png[pos + 4 : pos + 8] == tag:
            return png[pos + 8 : pos + 8 + length]
        pos += 12 + length
    raise AssertionError(f"no {tag!r} chunk")


@pytest.mark.parametrize("dpi", [72, 150, 300])
def test_png_writer_gives_pillows_pixels_and_dpi(dpi):
    """Our PNG writer (kept for speed, see png_bytes) decodes, with Pillow's decoder, to exactly
    the painted image and to the same pixels as Pillow's own encoder; valid CRCs, pHYs = dpi."""
    from PIL import Image

    for chart in _charts():
        image = chart.image(dpi)
        ours = png_bytes(image, dpi)
        assert chart.png(dpi) == ours
        buf = io.BytesIO()
        image.save(buf, format="PNG", dpi=(dpi, dpi))
        with Image.open(io.BytesIO(ours)) as check:
            check.verify()  # chunk CRCs and structure
        with Image.open(io.BytesIO(ours)) as mine, Image.open(io.BytesIO(buf.getvalue())) as pillow:
            assert mine.format == pillow.format == "PNG"
            assert mine.mode == pillow.mode == "RGB" and mine.size == pillow.size == image.size
            assert mine.tobytes() == pillow.tobytes() == image.tobytes()
            assert mine.info["dpi"] == pillow.info["dpi"] == pytest.approx((dpi, dpi), abs=0.02)  # whole pixels per metre
        assert _chunk(ours, b"pHYs") == _chunk(buf.getvalue(), b"pHYs")  # the same resolution record, byte for byte


def test_run_figures_decode_to_the_pixels_pillow_would_write(run_dir):
    """The run's six PNG files: Pillow re-encodes their decoded pixels unchanged."""
    from PIL import Image

    pngs = sorted((run_dir / "figures").glob("*.png"))
    assert len(pngs) >= 6
    for path in pngs:
        with Image.open(path) as mine:
            mine.load()
            buf = io.BytesIO()
            mine.save(buf, format="PNG", dpi=mine.info["dpi"])
            with Image.open(io.BytesIO(buf.getvalue())) as pillow:
                assert pillow.tobytes() == mine.tobytes() and pillow.size == mine.size, path.name
                assert pillow.info["dpi"] == mine.info["dpi"] == pytest.approx((150, 150), abs=0.02)
