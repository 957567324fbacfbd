"""The struct-based TrueType reader (pipeline/report/truetype.py) against fontTools: glyph ids,
advance widths, glyph points and outlines, WOFF subsets, for the report's text and a few
hundred CJK / ASCII characters."""

from __future__ import annotations

import io
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SAMPLE_DIR = ROOT / "data" / "raw" / "sample"
REPORT_DIR = ROOT / "pipeline" / "report"


@pytest.fixture(scope="module")
def font():
    from pipeline.report.fonts import bundled_font

    return bundled_font()


@pytest.fixture(scope="module")
def ref(font):
    from fontTools.ttLib import TTFont

    return TTFont(str(font.path), fontNumber=font.index, lazy=True)


@pytest.fixture(scope="module")
def characters(font, ref) -> str:
    """ASCII, every character of the report's own text (chart titles, labels, the template),
    ~300 CJK characters of the seed reports, accented Latin letters (composite glyphs), CJK
    punctuation."""
    chars = {chr(i) for i in range(32, 127)}
    for path in [*REPORT_DIR.glob("*.py"), *REPORT_DIR.glob("templates/*.j2")]:
        chars |= {ch for ch in path.read_text(encoding="utf-8") if ord(ch) > 127}
    seeds = sorted({ch for p in SAMPLE_DIR.glob("*.txt") for ch in p.read_text(encoding="utf-8") if re.match(r"[\u4e00-\u9fff]", ch)})
    chars |= set(seeds[:: max(1, len(seeds) // 300)])
    chars |= set("ÀÉéüñçÅĀāČčŐő–—…《》“”‘’、。，：；（）！？·【】")
    assert len(chars) > 400
    return "".join(sorted(chars))


def test_truetype_reader_matches_fonttools(font, ref):
    """Our struct-based reader gives fontTools' glyph ids, advances and outlines, and its WOFF
    subset holds exactly the glyphs asked for, renumbered, with composite parts."""
    from fontTools.pens.boundsPen import BoundsPen
    from fontTools.ttLib import TTFont

    cmap, glyphs = ref.getBestCmap(), ref.getGlyphSet()
    text = "党建报告趋势语料概况两个维护Aa1"
    for ch in text:
        assert font.glyph_id(ch) == ref.getGlyphID(cmap[ord(ch)])
        assert font.advance(ch) == ref["hmtx"][cmap[ord(ch)]][0]
        assert font.outline(ch).startswith("M")
    assert font.glyph_id("\U0010fffd") == 0 and not font.covers("\U0010fffd")
    sub = TTFont(io.BytesIO(font.woff(text)))
    sub_cmap, sub_glyphs = sub.getBestCmap(), sub.getGlyphSet()
    assert set(sub_cmap) == {ord(ch) for ch in text}
    assert sub["maxp"].numGlyphs < 100  # only the glyphs asked for (+ composite parts)
    for ch in text:
        a, b = BoundsPen(glyphs), BoundsPen(sub_glyphs)
        glyphs[cmap[ord(ch)]].draw(a)
        sub_glyphs[sub_cmap[ord(ch)]].draw(b)
        assert a.bounds == b.bounds, ch
    assert font.woff(text) == font.woff(text[::-1])  # same characters, same bytes


def test_metrics_match_fonttools_for_hundreds_of_characters(font, ref, characters):
    cmap, hmtx = ref.getBestCmap(), ref["hmtx"]
    assert font.units_per_em == ref["head"].unitsPerEm
    assert (font.ascender, font.descender) == (ref["hhea"].ascent, ref["hhea"].descent)
    assert font.n_glyphs == ref["maxp"].numGlyphs
    for ch in characters:
        name = cmap.get(ord(ch), ".notdef")
        assert font.glyph_id(ch) == ref.getGlyphID(name), ch
        assert font.advance(ch) == hmtx[name][0], ch
        assert font.covers(ch) == (ord(ch) in cmap or ch.isspace()), ch
    n_metrics = ref["hhea"].numberOfHMetrics  # glyphs past the last full hmtx record share its advance
    for gid in (0, n_metrics - 1, n_metrics, n_metrics + 1, font.n_glyphs - 1):
        assert font._metric(gid) == hmtx[ref.getGlyphName(gid)], gid
    assert font.width(characters, 10.0) == pytest.approx(sum(hmtx[cmap.get(ord(c), ".notdef")][0] for c in characters) * 10.0 / font.units_per_em)


def test_glyph_points_and_outlines_match_fonttools(font, ref, characters):
    """The points of every glyph (composites resolved) are fontTools' ``getCoordinates``, and the
    SVG path drawn from them has the area and centroid fontTools computes from the glyph."""
    from fontTools.pens.statisticsPen import StatisticsPen
    from fontTools.pens.transformPen import TransformPen
    from fontTools.svgLib.path import parse_path

    cmap, glyf, glyphs = ref.getBestCmap(), ref["glyf"], ref.getGlyphSet()
    composites = 0
    for ch in characters:
        name = cmap.get(ord(ch), ".notdef")
        coords, ends, flags = glyf[name].getCoordinates(glyf)
        composites += glyf[name].isComposite()
        contours = font._contours(font.glyph_id(ch))
        ours = [p for contour in contours for p in contour]
        assert [len(c) for c in contours] == [b - a for a, b in zip([-1, *ends], ends)], ch
        assert [on for _, _, on in ours] == [bool(f & 1) for f in flags], ch
        assert [v for x, y, _ in ours for v in (x, y)] == pytest.approx([v for xy in coords for v in xy], abs=1e-9), ch

        mine, theirs = StatisticsPen(), StatisticsPen(glyphset=glyphs)
        parse_path(font.outline(ch), TransformPen(mine, (1, 0, 0, -1, 0, 0)))  # the SVG path has y down
        glyphs[name].draw(theirs)
        assert mine.area == pytest.approx(theirs.area, rel=1e-9, abs=1e-6), ch
        if theirs.area:
            assert (mine.meanX, mine.meanY) == pytest.approx((theirs.meanX, theirs.meanY), rel=1e-9, abs=1e-6), ch
    assert composites >= 5  # composite glyphs (accented letters) are among them


def test_woff_subset_of_hundreds_of_characters_matches_fonttools(font, ref, characters):
    from fontTools.pens.boundsPen import BoundsPen
    from fontTools.ttLib import TTFont

    cmap, glyphs = ref.getBestCmap(), ref.getGlyphSet()
    sub = TTFont(io.BytesIO(font.woff(characters)))
    sub_cmap, sub_glyphs, sub_hmtx = sub.getBestCmap(), sub.getGlyphSet(), sub["hmtx"]
    assert set(sub_cmap) == {ord(ch) for ch in characters if ord(ch) in cmap}
    for ch in characters:
        if ord(ch) not in cmap:
            continue
        a, b = BoundsPen(glyphs), BoundsPen(sub_glyphs)
        glyphs[cmap[ord(ch)]].draw(a)
        sub_glyphs[sub_cmap[ord(ch)]].draw(b)
        assert a.bounds == b.bounds, ch
        assert sub_hmtx[sub_cmap[ord(ch)]] == ref["hmtx"][cmap[ord(ch)]], ch
    assert font.woff(characters) == font.woff(characters[::-1])
