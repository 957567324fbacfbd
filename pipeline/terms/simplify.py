"""The simplified view of a text: traditional characters -> simplified, one character for one.

Formulation matching, discovery and the classifier read this view; stored text (paragraphs.csv,
examples, kwic) stays as written. The conversion is OpenCC's ``t2s`` applied to each Han code
point on its own (its character dictionary, built once per process from the installed OpenCC in
a few tens of milliseconds), so the view has exactly the text's length and an offset found on
the view is an offset into the original: every count still points at its own characters.

* Character level, not phrase level: OpenCC's phrase tables may change a text's length (and
  regional phrase conversion, s2twp, changes vocabulary); the character table is 1:1. Text made
  with OpenCC ``s2t``, ``s2tw`` or ``s2hk`` from simplified text comes back to the same
  formulation counts (tests/terms/test_terms_simplify.py, on the seed reports and the shared corpus).
* Only ``t2s``: the regional tables (tw2s, hk2s) also map characters that simplified text uses
  (hk2s: 么 -> 幺, 著 -> 着); those are left alone.
* Cheap path: a text holding no character of the table (simplified text, nearly all of a
  mainland corpus) is returned as the same object after one regex search.
"""

from __future__ import annotations

import functools
import re

#: Han code points converted: CJK unified ideographs (BMP, extension A), compatibility
#: ideographs, and extensions B..H
HAN_RANGES = ((0x3400, 0x4DBF), (0x4E00, 0x9FFF), (0xF900, 0xFAFF), (0x20000, 0x323AF))
_ASTRAL = (0x20000, 0x323AF)
_NUMPY_FROM = 256  # texts this long are converted through a numpy lookup table (3x faster)


class _Tables:
    """The t2s character table as a dict (str.translate), a numpy lookup table and a regex that
    finds a text needing conversion (BMP characters listed: a bitmap; astral ones as one range,
    since a listed astral character makes the regex scan 200x slower)."""

    def __init__(self):
        import numpy as np

        try:
            import opencc
        except ImportError:  # pragma: no cover - opencc is a dependency
            from pipeline.errors import BackendMissing

            raise BackendMissing("the simplified view of traditional text needs OpenCC", "pip install 'opencc>=1.1'") from None
        cps = np.concatenate([np.arange(lo, hi + 1, dtype=np.uint32) for lo, hi in HAN_RANGES])
        lines = np.full(2 * len(cps) - 1, 10, dtype=np.uint32)  # one character per line
        lines[0::2] = cps
        src = lines.tobytes().decode("utf-32-le")
        out = np.frombuffer(opencc.OpenCC("t2s").convert(src).encode("utf-32-le"), dtype=np.uint32)
        if len(out) != len(lines) or (out[1::2] != 10).any():  # pragma: no cover - every character converts to one
            raise RuntimeError("OpenCC t2s did not convert every character to one character")
        dst = out[0::2]
        changed = dst != cps
        self.lut = np.arange(_ASTRAL[1] + 1, dtype=np.uint32)
        self.lut[cps[changed]] = dst[changed]
        self.table: dict[int, int] = dict(zip(cps[changed].tolist(), dst[changed].tolist()))
        bmp = "".join(chr(c) for c in sorted(self.table) if c < 0x10000)
        self.finder = re.compile(f"[{bmp}{chr(_ASTRAL[0])}-{chr(_ASTRAL[1])}]")
        self.astral = {chr(c) for c in self.table if c >= 0x10000}

    def needed(self, text: str) -> bool:
        m = self.finder.search(text)
        while m is not None and ord(m.group()) >= 0x10000 and m.group() not in self.astral:
            m = self.finder.search(text, m.end())
        return m is not None

    def convert(self, text: str) -> str:
        if len(text) < _NUMPY_FROM:
            return text.translate(self.table)
        import numpy as np

        cp = np.frombuffer(text.encode("utf-32-le"), dtype=np.uint32)
        out = np.where(cp < len(self.lut), self.lut[np.minimum(cp, len(self.lut) - 1)], cp)
        return out.astype(np.uint32).tobytes().decode("utf-32-le")


@functools.lru_cache(maxsize=1)
def _tables() -> _Tables:
    return _Tables()


def traditional_chars() -> frozenset[str]:
    """Every character the view changes (traditional-only forms: 國 個 兩 維 護 ...)."""
    return frozenset(map(chr, _tables().table))


def has_traditional(text: str) -> bool:
    """Does ``text`` hold a character that the simplified view changes?"""
    return bool(text) and _tables().needed(text)


def simplified(text: str) -> str:
    """``text`` with every traditional character replaced by its simplified form, one for one
    (``len(simplified(t)) == len(t)``); ``text`` itself when it has none."""
    if not text:
        return text
    tables = _tables()
    return tables.convert(text) if tables.needed(text) else text


def simplified_all(texts: list[str]) -> list[str]:
    """:func:`simplified` of each text (non-strings kept as they are)."""
    return [simplified(t) if isinstance(t, str) and t else t for t in texts]
