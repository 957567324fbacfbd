"""A small TrueType reader with ``struct``: character map, advance widths, glyph outlines as SVG
paths and WOFF subsets of one ``glyf`` face of a .ttf or .ttc file, read on demand.

Kept instead of fontTools (a dev extra, not a run-time dependency) because it is 6-20x faster on
the bundled 5 MB collection (``python -m benchmarks.bench_report``, corpus run): open + cmap
0.1 ms vs 64 ms, advances + outlines of the charts' 336 characters 24 ms vs 282 ms (report.html's
1389: 107 ms vs 684 ms), the page's WOFF subset 38 ms vs 850 ms; checked against fontTools
(glyph ids, advances, points, outlines, subsets) by ``tests/report/test_report_truetype.py``.
"""

from __future__ import annotations

import bisect
import mmap
import struct
import zlib
from pathlib import Path

from pipeline.errors import BackendMissing

#: tables copied unchanged into a WOFF subset (hinting programs included: the glyphs keep theirs)
_COPIED_TABLES = ("OS/2", "name", "cvt ", "fpgm", "prep", "gasp")
# composite glyph flags (OpenType spec, 'glyf' table)
_ARG_WORDS, _ARGS_XY, _SCALE, _MORE, _XY_SCALE, _TWO_BY_TWO = 0x1, 0x2, 0x8, 0x20, 0x40, 0x80


def _u16(data, pos: int) -> int:
    return struct.unpack_from(">H", data, pos)[0]


def _u32(data, pos: int) -> int:
    return struct.unpack_from(">I", data, pos)[0]


def _checksum(data: bytes) -> int:
    data = bytes(data) + b"\0" * (-len(data) % 4)
    return sum(struct.unpack(f">{len(data) // 4}I", data)) & 0xFFFFFFFF


def _num(v: float) -> str:
    if v.__class__ is int:
        return str(v)
    return str(int(v)) if v == int(v) else f"{v:.2f}".rstrip("0")


class TrueTypeFont:
    """One TrueType (``glyf``) face of a .ttf or .ttc file, read on demand with ``struct``.

    Units are font units (``units_per_em`` to the em); ``ascender`` > 0 > ``descender``.
    """

    def __init__(self, path: Path | str, index: int = 0):
        self.path = Path(path)
        self.index = index
        with open(self.path, "rb") as fh:  # mapped, not read: only the pages used are loaded
            data = self.data = mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ)
        base = _u32(data, 12 + 4 * index) if data[:4] == b"ttcf" else 0
        self.tables: dict[str, tuple[int, int]] = {}
        for i in range(_u16(data, base + 4)):
            tag, _, offset, length = struct.unpack_from(">4sIII", data, base + 12 + 16 * i)
            self.tables[tag.decode("latin-1")] = (offset, length)
        if "glyf" not in self.tables:
            raise BackendMissing(f"{self.path} has no TrueType outlines (glyf table)", "use a TrueType font")
        head, hhea = self.tables["head"][0], self.tables["hhea"][0]
        self.units_per_em = _u16(data, head + 18)
        self._loca_long = struct.unpack_from(">h", data, head + 50)[0] == 1
        self.ascender, self.descender = struct.unpack_from(">hh", data, hhea + 4)
        self._n_metrics = _u16(data, hhea + 34)
        self.n_glyphs = _u16(data, self.tables["maxp"][0] + 4)
        self._cmap = self._read_cmap()
        self._advances: dict[str, int] = {}
        self._outlines: dict[str, str] = {}

    def table(self, tag: str) -> bytes:
        offset, length = self.tables[tag]
        return self.data[offset : offset + length]

    # ------------------------------------------------------------------ characters and metrics
    def _read_cmap(self):
        """A lookup ``codepoint -> glyph id`` from the Unicode subtable (format 12, else 4)."""
        data, cmap = self.data, self.tables["cmap"][0]
        subtables = {}
        for i in range(_u16(data, cmap + 2)):
            platform, encoding, offset = struct.unpack_from(">HHI", data, cmap + 4 + 8 * i)
            subtables[(platform, encoding, _u16(data, cmap + offset))] = cmap + offset
        if (pos := subtables.get((3, 10, 12)) or subtables.get((0, 4, 12))) is not None:
            groups = list(struct.iter_unpack(">III", data[pos + 16 : pos + 16 + 12 * _u32(data, pos + 12)]))
            starts = [g[0] for g in groups]

            def lookup(cp: int) -> int:
                i = bisect.bisect_right(starts, cp) - 1
                return groups[i][2] + cp - groups[i][0] if i >= 0 and cp <= groups[i][1] else 0

            return lookup
        pos = subtables.get((3, 1, 4)) or subtables.get((0, 3, 4))
        if pos is None:
            raise BackendMissing(f"{self.path} has no Unicode character map", "use a Unicode TrueType font")
        n = _u16(data, pos + 6) // 2
        ends = struct.unpack_from(f">{n}H", data, pos + 14)
        starts4 = struct.unpack_from(f">{n}H", data, pos + 16 + 2 * n)
        deltas = struct.unpack_from(f">{n}h", data, pos + 16 + 4 * n)
        ranges = pos + 16 + 6 * n  # idRangeOffset[0]

        def lookup4(cp: int) -> int:
            i = bisect.bisect_left(ends, cp)
            if i == n or cp < starts4[i] or cp > 0xFFFF:
                return 0
            offset = _u16(data, ranges + 2 * i)
            if offset == 0:
                return (cp + deltas[i]) & 0xFFFF
            gid = _u16(data, ranges + 2 * i + offset + 2 * (cp - starts4[i]))
            return (gid + deltas[i]) & 0xFFFF if gid else 0

        return lookup4

    def glyph_id(self, char: str) -> int:
        """Glyph of a character; 0 (``.notdef``, an empty box) if the font lacks it."""
        return self._cmap(ord(char))

    def covers(self, text: str) -> bool:
        return all(self._cmap(ord(ch)) for ch in text if not ch.isspace())

    def _metric(self, gid: int) -> tuple[int, int]:
        """(advance width, left side bearing) of a glyph."""
        hmtx = self.tables["hmtx"][0]
        if gid < self._n_metrics:
            return struct.unpack_from(">Hh", self.data, hmtx + 4 * gid)
        advance = _u16(self.data, hmtx + 4 * (self._n_metrics - 1))
        return advance, struct.unpack_from(">h", self.data, hmtx + 4 * self._n_metrics + 2 * (gid - self._n_metrics))[0]

    def advance(self, char: str) -> int:
        if char not in self._advances:
            self._advances[char] = self._metric(self.glyph_id(char))[0]
        return self._advances[char]

    def width(self, text: str, size: float) -> float:
        """Advance width of ``text`` at font size ``size`` (same unit as ``size``; no kerning)."""
        return sum(self.advance(ch) for ch in text) * size / self.units_per_em

    # ------------------------------------------------------------------ glyph outlines
    def _glyph(self, gid: int) -> bytes:
        loca = self.tables["loca"][0]
        if self._loca_long:
            start, end = struct.unpack_from(">II", self.data, loca + 4 * gid)
        else:
            start, end = (2 * v for v in struct.unpack_from(">HH", self.data, loca + 2 * gid))
        glyf = self.tables["glyf"][0]
        return self.data[glyf + start : glyf + end]

    @staticmethod
    def _components(raw: bytes):
        """(position of the glyph index, flags, transform) of each component of a composite glyph."""
        pos = 10
        while True:
            flags = _u16(raw, pos)
            index_at = pos + 2
            pos += 4
            if flags & _ARG_WORDS:
                dx, dy = struct.unpack_from(">hh" if flags & _ARGS_XY else ">HH", raw, pos)
                pos += 4
            else:
                dx, dy = struct.unpack_from(">bb" if flags & _ARGS_XY else ">BB", raw, pos)
                pos += 2
            if not flags & _ARGS_XY:  # components aligned by point numbers: not supported, no offset
                dx = dy = 0
            a, b, c, d = 1, 0, 0, 1
            if flags & _SCALE:
                a = d = struct.unpack_from(">h", raw, pos)[0] / 16384
                pos += 2
            elif flags & _XY_SCALE:
                a, d = (v / 16384 for v in struct.unpack_from(">hh", raw, pos))
                pos += 4
            elif flags & _TWO_BY_TWO:
                a, b, c, d = (v / 16384 for v in struct.unpack_from(">hhhh", raw, pos))
                pos += 8
            yield index_at, (a, b, c, d, dx, dy)
            if not flags & _MORE:
                return

    def _contours(self, gid: int, depth: int = 0) -> list[list[tuple[float, float, bool]]]:
        """Contours of a glyph as (x, y, on_curve) points, y up."""
        raw = self._glyph(gid)
        if len(raw) < 10:
            return []
        n = struct.unpack_from(">h", raw, 0)[0]
        if n < 0:
            out = []
            for index_at, (a, b, c, d, dx, dy) in self._components(raw):
                if depth < 8:
                    for contour in self._contours(_u16(raw, index_at), depth + 1):
                        if (a, b, c, d) == (1, 0, 0, 1):  # the usual case: moved, not scaled
                            out.append([(x + dx, y + dy, on) for x, y, on in contour])
                        else:
                            out.append([(a * x + c * y + dx, b * x + d * y + dy, on) for x, y, on in contour])
            return out
        ends = struct.unpack_from(f">{n}H", raw, 10)
        n_points = ends[-1] + 1 if n else 0
        pos = 12 + 2 * n + _u16(raw, 10 + 2 * n)  # skip the instructions
        flags: list[int] = []
        while len(flags) < n_points:
            flag = raw[pos]
            pos += 1
            flags.append(flag)
            if flag & 8:  # repeated
                flags.extend([flag] * raw[pos])
                pos += 1
        coords = []
        for short, same in ((2, 16), (4, 32)):  # x then y
            values, v = [], 0
            for flag in flags:
                if flag & short:
                    v += raw[pos] if flag & same else -raw[pos]
                    pos += 1
                elif not flag & same:
                    v += struct.unpack_from(">h", raw, pos)[0]
                    pos += 2
                values.append(v)
            coords.append(values)
        points = [(x, y, bool(f & 1)) for x, y, f in zip(coords[0], coords[1], flags)]
        out, start = [], 0
        for end in ends:
            out.append(points[start : end + 1])
            start = end + 1
        return out

    def outline(self, char: str) -> str:
        """SVG path data of a character's glyph in font units, y pointing down ('' for a space)."""
        if char not in self._outlines:
            self._outlines[char] = self._outline(self.glyph_id(char))
        return self._outlines[char]

    def _outline(self, gid: int) -> str:
        cmds = []
        for contour in self._contours(gid):
            if not contour:
                continue
            first_on = next((i for i, p in enumerate(contour) if p[2]), None)
            if first_on is None:  # only control points: start between the last and the first
                (x0, y0, _), (x1, y1, _) = contour[-1], contour[0]
                start, seq = ((x0 + x1) / 2, (y0 + y1) / 2, True), contour
            else:
                start, seq = contour[first_on], contour[first_on + 1 :] + contour[:first_on]
            cmds.append(f"M{_num(start[0])} {_num(-start[1])}")
            ctrl = None
            for x, y, on in seq + [start]:
                if on:
                    cmds.append(f"Q{_num(ctrl[0])} {_num(-ctrl[1])} {_num(x)} {_num(-y)}" if ctrl else f"L{_num(x)} {_num(-y)}")
                    ctrl = None
                else:
                    if ctrl:  # two control points in a row: an on-curve point between them
                        mx, my = (ctrl[0] + x) / 2, (ctrl[1] + y) / 2
                        cmds.append(f"Q{_num(ctrl[0])} {_num(-ctrl[1])} {_num(mx)} {_num(-my)}")
                    ctrl = (x, y)
            cmds.append("Z")
        return "".join(cmds)

    # ------------------------------------------------------------------ WOFF subset
    def woff(self, text: str) -> bytes:
        """A WOFF font with the glyphs of ``text`` (plus ``.notdef`` and composite parts).

        Glyphs are copied byte for byte (renumbered); layout tables (GSUB/GPOS), vertical
        metrics and glyph names are left out. The same text always gives the same bytes (the
        font's own timestamps are kept)."""
        cmap = sorted({(ord(ch), gid) for ch in text if (gid := self._cmap(ord(ch)))})
        order, new_id = [0], {0: 0}
        for _, gid in cmap:
            if gid not in new_id:
                new_id[gid] = len(order)
                order.append(gid)
        i = 0
        while i < len(order):  # add the parts of composite glyphs (and of their parts)
            raw = self._glyph(order[i])
            if len(raw) >= 10 and struct.unpack_from(">h", raw, 0)[0] < 0:
                for index_at, _ in self._components(raw):
                    part = _u16(raw, index_at)
                    if part not in new_id:
                        new_id[part] = len(order)
                        order.append(part)
            i += 1
        glyf, loca, hmtx = bytearray(), [0], bytearray()
        for gid in order:
            raw = self._glyph(gid)
            if len(raw) >= 10 and struct.unpack_from(">h", raw, 0)[0] < 0:
                raw = bytearray(raw)
                for index_at, _ in self._components(bytes(raw)):
                    struct.pack_into(">H", raw, index_at, new_id[_u16(raw, index_at)])
            glyf += raw + b"\0" * (-len(raw) % 4)
            loca.append(len(glyf))
            hmtx += struct.pack(">Hh", *self._metric(gid))
        head = bytearray(self.table("head"))
        struct.pack_into(">I", head, 8, 0)  # checkSumAdjustment, set below
        struct.pack_into(">h", head, 50, 1)  # long loca offsets
        hhea, maxp = bytearray(self.table("hhea")), bytearray(self.table("maxp"))
        struct.pack_into(">H", hhea, 34, len(order))
        struct.pack_into(">H", maxp, 4, len(order))
        tables = {
            "head": head,
            "hhea": bytes(hhea),
            "maxp": bytes(maxp),
            "hmtx": bytes(hmtx),
            "loca": struct.pack(f">{len(loca)}I", *loca),
            "glyf": bytes(glyf),
            "cmap": _cmap_table([(cp, new_id[gid]) for cp, gid in cmap]),
            "post": struct.pack(">I", 0x00030000) + self.table("post")[4:32],  # version 3: no glyph names
        }
        tables.update({tag: self.table(tag) for tag in _COPIED_TABLES if tag in self.tables})
        sfnt = _sfnt(tables)
        struct.pack_into(">I", head, 8, (0xB1B0AFBA - _checksum(sfnt)) & 0xFFFFFFFF)
        tables["head"] = bytes(head)
        return _woff(tables)


def _cmap_table(mapping: list[tuple[int, int]]) -> bytes:
    """A 'cmap' with a format 4 subtable (BMP) and, if needed, a format 12 one (all planes)."""
    runs: list[list[int]] = []  # [first codepoint, last codepoint, first glyph]
    for cp, gid in mapping:
        if runs and cp == runs[-1][1] + 1 and gid == runs[-1][2] + cp - runs[-1][0]:
            runs[-1][1] = cp
        else:
            runs.append([cp, cp, gid])
    bmp = [r for r in runs if r[1] <= 0xFFFE] + [[0xFFFF, 0xFFFF, 0]]  # the required last segment (to .notdef)
    n = len(bmp)
    power = 1 << (n.bit_length() - 1)
    fmt4 = struct.pack(">HHHHHHH", 4, 16 + 8 * n, 0, 2 * n, 2 * power, power.bit_length() - 1, 2 * n - 2 * power)
    fmt4 += struct.pack(f">{n}H", *(r[1] for r in bmp)) + b"\0\0" + struct.pack(f">{n}H", *(r[0] for r in bmp))
    fmt4 += struct.pack(f">{n}H", *((r[2] - r[0]) & 0xFFFF for r in bmp)) + b"\0\0" * n
    subtables = [(3, 1, fmt4)]
    if any(r[1] > 0xFFFF for r in runs):
        subtables.append((3, 10, struct.pack(">HHIII", 12, 0, 16 + 12 * len(runs), 0, len(runs)) + b"".join(struct.pack(">III", *r) for r in runs)))
    out = struct.pack(">HH", 0, len(subtables))
    offset = 4 + 8 * len(subtables)
    for platform, encoding, data in subtables:
        out += struct.pack(">HHI", platform, encoding, offset)
        offset += len(data)
    return out + b"".join(data for _, _, data in subtables)


def _sfnt(tables: dict[str, bytes]) -> bytes:
    """The tables as one TrueType file (tags sorted, each 4-byte aligned)."""
    n = len(tables)
    power = 1 << (n.bit_length() - 1)
    header = struct.pack(">IHHHH", 0x00010000, n, 16 * power, power.bit_length() - 1, 16 * n - 16 * power)
    directory, body, offset = b"", b"", 12 + 16 * n
    for tag in sorted(tables):
        data = tables[tag]
        directory += struct.pack(">4sIII", tag.encode("latin-1"), _checksum(data), offset, len(data))
        body += data + b"\0" * (-len(data) % 4)
        offset += len(data) + (-len(data) % 4)
    return header + directory + body


def _woff(tables: dict[str, bytes]) -> bytes:
    """WOFF 1.0 container: each table zlib-compressed when that is smaller."""
    n = len(tables)
    directory, body = b"", b""
    offset = 44 + 20 * n
    sfnt_size = 12 + 16 * n
    for tag in sorted(tables):
        data = tables[tag]
        packed = zlib.compress(data, 6)
        if len(packed) >= len(data):
            packed = data
        directory += struct.pack(">4sIIII", tag.encode("latin-1"), offset, len(packed), len(data), _checksum(data))
        body += packed + b"\0" * (-len(packed) % 4)
        offset += len(packed) + (-len(packed) % 4)
        sfnt_size += len(data) + (-len(data) % 4)
    header = struct.pack(">4sIIHHIHHIIIII", b"wOFF", 0x00010000, 44 + 20 * n + len(body), n, 0, sfnt_size, 1, 0, 0, 0, 0, 0, 0)
    return header + directory + body
