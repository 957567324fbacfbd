"""Charts without matplotlib: shapes and text on a page in points, written as SVG and PNG.

A :class:`Chart` is a list of primitives (rectangles, polylines, polygons, markers, text) on a
page measured in points (1/72 inch, origin top left, y down). :meth:`Chart.svg` writes them
as text, each glyph a path of the bundled CJK font (defined once, then referenced), so the SVG
renders with no font installed; :meth:`Chart.png` paints them with Pillow: shapes (at twice the
size, then scaled down, when anti-aliasing matters), then text with FreeType from the same font.
Layout uses the font's own advance widths, so both files match. :class:`Axes` maps data to the
page and draws ticks.

Only plain Python values here; the charts of a run are drawn in :mod:`pipeline.report.charts`.
Importing this module is cheap (Pillow loads when a PNG is painted).
"""

from __future__ import annotations

import functools
import html
import math
import struct
import zlib
from collections.abc import Iterable, Sequence
from pathlib import Path

from pipeline.report.fonts import bundled_font

INK = "#222222"
AXIS = "#444444"
GRID = "#e3e3e3"
NO_DATA = "#ebebeb"
#: matplotlib's "tab10" colours
TAB10 = ("#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf")
#: ColorBrewer YlOrRd, light to dark
YLORRD = ("#ffffcc", "#ffeda0", "#fed976", "#feb24c", "#fd8d3c", "#fc4e2a", "#e31a1c", "#bd0026", "#800026")
SUPERSAMPLE = 2  # PNG shapes are painted at this multiple of the final size, then scaled down
PNG_LEVEL = 3  # zlib level of PNG files: 6 makes them ~15% smaller and takes twice as long
_VA_PIL = {"baseline": "s", "center": "m", "top": "a", "bottom": "d"}
_HA_PIL = {"left": "l", "center": "m", "right": "r"}


def num(v: float) -> str:
    """A coordinate for SVG: at most 2 decimals, no trailing zeros."""
    s = f"{v:.2f}".rstrip("0").rstrip(".")
    return "0" if s == "-0" else s


def ramp(colors: Sequence[str], t: float) -> str:
    """Colour at ``t`` in [0, 1] along ``colors`` (linear in RGB)."""
    t = min(max(t, 0.0), 1.0) * (len(colors) - 1)
    i = min(int(t), len(colors) - 2)
    a, b = colors[i], colors[i + 1]
    mix = [round(int(a[k : k + 2], 16) + (int(b[k : k + 2], 16) - int(a[k : k + 2], 16)) * (t - i)) for k in (1, 3, 5)]
    return "#" + "".join(f"{c:02x}" for c in mix)


class Chart:
    """A page of ``width`` x ``height`` points holding shapes (painted first) and texts."""

    def __init__(self, width: float, height: float, title: str = ""):
        self.width, self.height, self.title = float(width), float(height), title
        self.shapes: list[tuple] = []  # (type, kind, colour, ...geometry)
        self.texts: list[tuple] = []  # (text, x, y, size, colour, ha, va, rotate, kind)

    # ------------------------------------------------------------------ primitives
    def rect(self, x: float, y: float, w: float, h: float, fill: str, *, kind: str = "") -> None:
        self.shapes.append(("rect", kind, fill, x, y, w, h))

    def line(self, points: Sequence[tuple[float, float]], color: str, width: float = 1.0, *, kind: str = "") -> None:
        self.shapes.append(("line", kind, color, width, [tuple(p) for p in points]))

    def polygon(self, points: Sequence[tuple[float, float]], fill: str, *, kind: str = "") -> None:
        self.shapes.append(("polygon", kind, fill, [tuple(p) for p in points]))

    def marker(self, x: float, y: float, shape: str, color: str, size: float = 5.0, *, kind: str = "") -> None:
        """``shape``: "o" circle, "D" diamond, "<" triangle pointing left; ``size`` = width."""
        r = size / 2
        if shape == "o":
            self.shapes.append(("circle", kind, color, x, y, r))
        elif shape == "D":
            self.polygon([(x, y - r * 1.15), (x + r * 1.15, y), (x, y + r * 1.15), (x - r * 1.15, y)], color, kind=kind)
        elif shape == "<":
            self.polygon([(x - r, y), (x + r, y - r), (x + r, y + r)], color, kind=kind)
        else:
            raise ValueError(f"unknown marker {shape!r}")

    def text(
        self,
        x: float,
        y: float,
        text: str,
        size: float = 9.0,
        *,
        color: str = INK,
        ha: str = "left",
        va: str = "baseline",
        rotate: int = 0,
        kind: str = "",
    ) -> None:
        """``ha`` left/center/right, ``va`` baseline/center/top/bottom of the (unrotated) text;
        ``rotate=90`` reads bottom to top."""
        if rotate not in (0, 90):
            raise ValueError("text can be rotated by 0 or 90 degrees")
        text = "".join(ch for ch in str(text) if ch >= " ")  # no control characters (invalid in SVG)
        if text:
            self.texts.append((text, x, y, size, color, ha, va, rotate, kind))

    @staticmethod
    def text_width(text: str, size: float) -> float:
        return bundled_font().width(str(text), size)

    def count(self, kind: str) -> int:
        """Number of shapes and texts of one ``kind`` (e.g. "bar")."""
        return sum(1 for s in self.shapes if s[1] == kind) + sum(1 for t in self.texts if t[8] == kind)

    def strings(self, kind: str | None = None) -> list[str]:
        return [t[0] for t in self.texts if kind is None or t[8] == kind]

    # ------------------------------------------------------------------ SVG
    def _anchor(self, text: str, size: float, ha: str, va: str) -> tuple[float, float]:
        """Offset from the anchor point to the start of the baseline (unrotated)."""
        font = bundled_font()
        w = font.width(text, size)
        k = size / font.units_per_em
        dx = {"left": 0.0, "center": -w / 2, "right": -w}[ha]
        dy = {"baseline": 0.0, "center": (font.ascender + font.descender) / 2 * k, "top": font.ascender * k, "bottom": font.descender * k}[va]
        return dx, dy

    def svg(self) -> str:
        font = bundled_font()
        body, used = [], set()
        for shape in self.shapes:
            cls = f' class="{shape[1]}"' if shape[1] else ""
            if shape[0] == "rect":
                _, _, fill, x, y, w, h = shape
                body.append(f'<rect{cls} x="{num(x)}" y="{num(y)}" width="{num(w)}" height="{num(h)}" fill="{fill}"/>')
            elif shape[0] == "line":
                _, _, color, width, pts = shape
                points = " ".join(f"{num(x)},{num(y)}" for x, y in pts)
                body.append(f'<polyline{cls} points="{points}" fill="none" stroke="{color}" stroke-width="{num(width)}" stroke-linejoin="round"/>')
            elif shape[0] == "polygon":
                _, _, fill, pts = shape
                body.append(f'<polygon{cls} points="{" ".join(f"{num(x)},{num(y)}" for x, y in pts)}" fill="{fill}"/>')
            else:
                _, _, fill, x, y, r = shape
                body.append(f'<circle{cls} cx="{num(x)}" cy="{num(y)}" r="{num(r)}" fill="{fill}"/>')
        for text, x, y, size, color, ha, va, rotate, kind in self.texts:
            dx, dy = self._anchor(text, size, ha, va)
            k = size / font.units_per_em
            move = f"translate({num(x)} {num(y)}) rotate(-90) translate({num(dx)} {num(dy)})" if rotate else f"translate({num(x + dx)} {num(y + dy)})"
            uses, advance = [], 0
            for ch in text:
                if font.outline(ch):
                    used.add(ch)
                    uses.append(f'<use xlink:href="#c{ord(ch):x}" x="{advance}"/>')
                advance += font.advance(ch)
            cls = f' class="{kind}"' if kind else ""
            body.append(f'<g{cls} aria-label="{html.escape(text)}" fill="{color}" transform="{move} scale({k:.6g})">{"".join(uses)}</g>')
        defs = "".join(f'<path id="c{ord(ch):x}" d="{font.outline(ch)}"/>' for ch in sorted(used))
        w, h = num(self.width), num(self.height)
        return (
            '<?xml version="1.0" encoding="utf-8" standalone="no"?>\n'
            f'<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" version="1.1" '
            f'width="{w}pt" height="{h}pt" viewBox="0 0 {w} {h}">\n'
            f"<title>{html.escape(self.title)}</title>\n<defs>{defs}</defs>\n"
            f'<rect width="{w}" height="{h}" fill="#ffffff"/>\n' + "\n".join(body) + "\n</svg>\n"
        )

    # ------------------------------------------------------------------ PNG
    def _needs_antialiasing(self) -> bool:
        """True if some shape is not an axis-parallel rectangle or line (those look the same
        painted directly, so the PNG skips the 4x larger canvas)."""
        for shape in self.shapes:
            if shape[0] in ("circle", "polygon"):
                return True
            if shape[0] == "line" and any(a[0] != b[0] and a[1] != b[1] for a, b in zip(shape[4], shape[4][1:])):
                return True
        return False

    def png(self, dpi: int = 150) -> bytes:
        """The page as PNG at ``dpi`` (:meth:`image` encoded by :func:`png_bytes`)."""
        return png_bytes(self.image(dpi), dpi)

    def image(self, dpi: int = 150):
        """The page painted as an RGB Pillow image of ``dpi`` pixels per inch."""
        from PIL import Image, ImageDraw

        scale = dpi / 72
        size = (max(1, math.ceil(self.width * scale)), max(1, math.ceil(self.height * scale)))
        ss = SUPERSAMPLE if self._needs_antialiasing() else 1
        f = scale * ss
        image = Image.new("RGB", (size[0] * ss, size[1] * ss), "#ffffff")
        draw = ImageDraw.Draw(image)
        for shape in self.shapes:
            if shape[0] == "rect":
                _, _, fill, x, y, w, h = shape
                x0, y0 = round(x * f), round(y * f)
                draw.rectangle((x0, y0, max(x0, round((x + w) * f) - 1), max(y0, round((y + h) * f) - 1)), fill=fill)
            elif shape[0] == "line":
                _, _, color, width, pts = shape
                draw.line([(x * f, y * f) for x, y in pts], fill=color, width=max(1, round(width * f)), joint="curve")
            elif shape[0] == "polygon":
                _, _, fill, pts = shape
                draw.polygon([(x * f, y * f) for x, y in pts], fill=fill)
            else:
                _, _, fill, x, y, r = shape
                draw.ellipse((x * f - r * f, y * f - r * f, x * f + r * f, y * f + r * f), fill=fill)
        if ss > 1:
            image = image.reduce(ss)
            draw = ImageDraw.Draw(image)
        for text, x, y, size_pt, color, ha, va, rotate, _ in self.texts:
            font = _pil_font(size_pt * scale)
            if not rotate:
                draw.text((x * scale, y * scale), text, font=font, fill=color, anchor=_HA_PIL[ha] + _VA_PIL[va])
                continue
            # rotated: paint on a mask, turn it, paste it so the anchor lands on (x, y)
            length = font.getlength(text)
            ascent, descent = font.getmetrics()
            mask = Image.new("L", (math.ceil(length) + 2, ascent + descent + 2), 0)
            ImageDraw.Draw(mask).text((1, 1 + ascent), text, font=font, fill=255, anchor="ls")
            u = 1 + {"left": 0, "center": length / 2, "right": length}[ha]
            v = 1 + ascent + {"baseline": 0, "center": -(ascent - descent) / 2, "top": -ascent, "bottom": descent}[va]
            turned = mask.transpose(Image.Transpose.ROTATE_90)  # (u, v) -> (v, width - u)
            image.paste(color, (round(x * scale - v), round(y * scale - (mask.width - u))), turned)
        return image

    # ------------------------------------------------------------------ files and notebooks
    def save(self, directory: Path | str, name: str, *, dpi: int = 150) -> list[Path]:
        """Write ``directory/name.png`` and ``.svg`` atomically; return both paths."""
        from pipeline import store

        png, svg = Path(directory) / f"{name}.png", Path(directory) / f"{name}.svg"
        store.write_bytes(png, self.png(dpi))
        store.write_bytes(svg, self.svg().encode("utf-8"))
        return [png, svg]

    def _repr_svg_(self) -> str:  # shown inline by Jupyter
        return self.svg()


def png_bytes(image, dpi: int) -> bytes:
    """An RGB image as PNG: rows unfiltered, zlib level :data:`PNG_LEVEL`, a pHYs chunk of ``dpi``.

    Kept instead of Pillow's ``Image.save(format="PNG", dpi=...)``, whose per-row filter search
    costs more than a user should wait for: on the corpus run's six charts (10 Mpx at 150 dpi,
    ``python -m benchmarks.bench_report``) this writes them in 76 ms, Pillow in 189 ms at the
    same zlib level (466 ms at its default 6): +113 ms, +39% of the 287 ms the charts take
    (build 95, paint 103, SVG 13 ms), for files 5% smaller (666 kB vs 699 kB).
    ``tests/report/test_report_canvas.py`` checks that Pillow decodes these files to exactly the
    painted pixels, the same as its own encoder's, with the same pHYs record."""
    data, stride = memoryview(image.tobytes()), image.width * 3
    deflate = zlib.compressobj(PNG_LEVEL)
    idat = b"".join(deflate.compress(b"\0") + deflate.compress(data[i : i + stride]) for i in range(0, len(data), stride))  # filter 0

    def chunk(tag: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + tag + body + struct.pack(">I", zlib.crc32(tag + body))

    per_metre = round(dpi / 0.0254)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", struct.pack(">IIBBBBB", image.width, image.height, 8, 2, 0, 0, 0))
        + chunk(b"pHYs", struct.pack(">IIB", per_metre, per_metre, 1))
        + chunk(b"IDAT", idat + deflate.flush())
        + chunk(b"IEND", b"")
    )


def _pil_font(size_px: float):
    return _pil_font_at(round(size_px, 2))


@functools.lru_cache(maxsize=64)
def _pil_font_at(size_px: float):
    """Pillow's FreeType face of the bundled font at one pixel size (loaded once per size)."""
    from PIL import ImageFont

    font = bundled_font()
    return ImageFont.truetype(str(font.path), size_px, index=font.index, layout_engine=ImageFont.Layout.BASIC)


# --------------------------------------------------------------------------- axes and ticks
def nice_ticks(top: float, n: int = 5, *, integer: bool = False) -> tuple[list[float], int]:
    """Ticks from 0 to at least ``top`` (at most ``n`` steps of 1, 2, 2.5 or 5 x 10^k; whole
    numbers if ``integer``) and the number of decimals that shows them exactly."""
    if not top > 0 or not math.isfinite(top):
        top = 1.0
    exp = math.floor(math.log10(top / n))
    step = next(s for m in (1, 2, 2.5, 5, 10) if top / (s := m * 10.0**exp) <= n)
    if integer:
        step = max(1.0, round(step))
    decimals = next(d for d in range(12) if abs(step * 10**d - round(step * 10**d)) < 1e-6)
    return [round(i * step, 10) for i in range(math.ceil(top / step - 1e-9) + 1)], decimals


def year_ticks(first: int, last: int, max_labels: int) -> list[int]:
    """Round years between ``first`` and ``last``, at most ``max_labels`` of them."""
    for step in (1, 2, 5, 10, 20, 25, 50, 100, 200, 500):
        ticks = list(range(math.ceil(first / step) * step, last + 1, step))
        if len(ticks) <= max(1, max_labels):
            return ticks
    return [first]


class Axes:
    """The plot box (x, y, w, h on the page) of a chart, mapping data limits onto it."""

    def __init__(self, chart: Chart, box: tuple[float, float, float, float], xlim: tuple[float, float], ylim: tuple[float, float]):
        self.chart = chart
        self.x, self.y, self.w, self.h = box
        self.xlim, self.ylim = xlim, ylim  # ylim: (value at the bottom, value at the top)

    def X(self, v: float) -> float:
        lo, hi = self.xlim
        return self.x + (v - lo) / ((hi - lo) or 1) * self.w

    def Y(self, v: float) -> float:
        lo, hi = self.ylim
        return self.y + self.h - (v - lo) / ((hi - lo) or 1) * self.h

    def frame(self, sides: str = "lrtb") -> None:
        x0, y0, x1, y1 = self.x, self.y, self.x + self.w, self.y + self.h
        lines = {"l": [(x0, y0), (x0, y1)], "r": [(x1, y0), (x1, y1)], "t": [(x0, y0), (x1, y0)], "b": [(x0, y1), (x1, y1)]}
        for side in sides:
            self.chart.line(lines[side], AXIS, 0.8, kind="axis")

    def xticks(self, ticks: Iterable[tuple[float, str]], size: float = 8, *, rotate: int = 0, grid: bool = False) -> None:
        bottom = self.y + self.h
        for value, label in ticks:
            x = self.X(value)
            if grid:
                self.chart.line([(x, self.y), (x, bottom)], GRID, 0.6, kind="grid")
            self.chart.line([(x, bottom), (x, bottom + 3)], AXIS, 0.8, kind="tick")
            if rotate:
                self.chart.text(x, bottom + 5, label, size, ha="right", va="center", rotate=90, kind="xtick")
            else:
                self.chart.text(x, bottom + 5, label, size, ha="center", va="top", kind="xtick")

    def yticks(self, ticks: Iterable[tuple[float, str]], size: float = 8, *, grid: bool = False) -> None:
        for value, label in ticks:
            y = self.Y(value)
            if grid:
                self.chart.line([(self.x, y), (self.x + self.w, y)], GRID, 0.6, kind="grid")
            self.chart.line([(self.x - 3, y), (self.x, y)], AXIS, 0.8, kind="tick")
            self.chart.text(self.x - 5, y, label, size, ha="right", va="center", kind="ytick")

    def value_ticks(self, decimals: int, values: Sequence[float]) -> list[tuple[float, str]]:
        return [(v, f"{v:.{decimals}f}") for v in values]


def tick_label_width(labels: Iterable[str], size: float) -> float:
    return max((Chart.text_width(s, size) for s in labels), default=0.0)


# --------------------------------------------------------------------------- legends
def legend_size(entries: Sequence[tuple[str, str, str]], size: float = 8, *, horizontal: bool = False) -> tuple[float, float]:
    """(width, height) of :func:`legend`; entries are (label, style, colour)."""
    widths = [16 + Chart.text_width(label, size) for label, _, _ in entries]
    if horizontal:
        return sum(widths) + 14 * max(len(entries) - 1, 0), size * 1.6
    return max(widths, default=0), size * 1.7 * len(entries)


def hatch(
    chart: Chart, x: float, y: float, w: float, h: float, color: str = "#ffffff", *, spacing: float = 3.0, width: float = 0.8, kind: str = "hatch"
) -> None:
    """Diagonal lines across the rectangle (x, y, w, h), clipped to it, ``spacing`` apart."""
    if w <= 0 or h <= 0:
        return
    k = spacing
    while k < w + h:
        # the line x' - x + (y + h - y') = k, from its entry to its exit of the rectangle
        x0, y0 = x + max(0.0, k - h), y + h - min(k, h)
        x1, y1 = x + min(k, w), y + h - max(0.0, k - w)
        chart.line([(x0, y0), (x1, y1)], color, width, kind=kind)
        k += spacing


def legend(chart: Chart, x: float, y: float, entries: Sequence[tuple[str, str, str]], size: float = 8, *, horizontal: bool = False) -> None:
    """Swatches and labels from (x, y), top left. Styles: "patch", "hatch" (a patch with white
    diagonal lines), "line", "line+o", "o", "D", "errorbar"."""
    row = size * 1.7
    for label, style, color in entries:
        cy = y + (size * 0.8 if horizontal else row / 2)
        if style in ("patch", "hatch"):
            chart.rect(x, cy - size * 0.4, 11, size * 0.8, color, kind="legend")
        if style == "hatch":
            hatch(chart, x, cy - size * 0.4, 11, size * 0.8, kind="legend")
        if style == "errorbar":
            chart.line([(x + 5.5, cy - size * 0.5), (x + 5.5, cy + size * 0.5)], color, 1.0, kind="legend")
            for yy in (cy - size * 0.5, cy + size * 0.5):
                chart.line([(x + 3, yy), (x + 8, yy)], color, 1.0, kind="legend")
        if style.startswith("line"):
            chart.line([(x, cy), (x + 11, cy)], color, 1.5, kind="legend")
        if style.endswith("o") or style == "D":
            chart.marker(x + 5.5, cy, style[-1], color, 4.5, kind="legend")
        chart.text(x + 16, cy, label, size, va="center", kind="legend")
        if horizontal:
            x += 16 + Chart.text_width(label, size) + 14
        else:
            y += row


def empty_chart(message: str) -> Chart:
    chart = Chart(432, 144, message)
    chart.text(216, 72, message, 12, ha="center", va="center", kind="message")
    return chart
