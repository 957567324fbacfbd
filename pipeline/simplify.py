"""The simplified view of a text: traditional characters -> simplified, one character for one.

A bottom-layer module, so that every stage may read the view: ingest's rules (dates and period
words, genre, boilerplate, headings, info-line fields, organisation suffixes), formulation
matching, discovery and the classifier read it; stored text (paragraphs.csv, titles, org_raw,
examples, kwic) stays as written. The conversion is OpenCC's ``t2s`` applied to each Han code
point on its own (its character dictionary, built once per process from the installed OpenCC:
~20 ms for the BMP, the astral planes only once a text holds one of their Han characters), so
the view has exactly the text's length and an offset found on the view is an offset into the
original: a match found on the view is sliced from the original text.

* Character level, not phrase level: OpenCC's phrase tables may change a text's length (and
  regional phrase conversion, s2twp, changes vocabulary); the character table is 1:1. Text made
  with OpenCC ``s2t``, ``s2tw`` or ``s2hk`` from simplified text comes back to the same
  formulation counts (tests/terms/test_terms_simplify.py) and the same ingest
  (tests/ingest/test_ingest_traditional.py), on the seed reports and the shared corpus.
* Only ``t2s``: the regional tables (tw2s, hk2s) also map characters that simplified text uses
  (hk2s: 么 -> 幺, 著 -> 着); those are left alone. So Taiwan's 著 (for 着, s2tw: 着力 -> 著力)
  and 瞭 (明了 -> 明瞭) stay as written.
* Characters are converted without context: 乾 becomes 干 (乾隆 too), as OpenCC's character table
  has it. A text that holds no character of the table is never converted.
* Cheap path: a text holding no character of the table (simplified text, nearly all of a
  mainland corpus) is returned as the same object after one regex search.
* Cache keys: :func:`pipeline.terms.simplify.view_fingerprint` (the OpenCC version, the config
  and the bytes of its dictionaries) enters the ingest and analysis fingerprints and the run key.
"""

from __future__ import annotations

import functools
import re

#: Han code points converted: CJK unified ideographs (BMP, extension A), compatibility
#: ideographs; extensions B..H (astral) are converted too, their table built on first sight of one
BMP_RANGES = ((0x3400, 0x4DBF), (0x4E00, 0x9FFF), (0xF900, 0xFAFF))
ASTRAL_RANGE = (0x20000, 0x323AF)
HAN_RANGES = (*BMP_RANGES, ASTRAL_RANGE)
_NUMPY_FROM = 256  # texts this long are converted through a numpy lookup table (3x faster)
#: the OpenCC configuration the character table is read from
CONFIG = "t2s"


def _t2s(ranges) -> tuple[list[int], list[int]]:
    """(code points, their t2s forms) of the characters of ``ranges`` that OpenCC's t2s changes."""
    import numpy as np

    try:
        import opencc
    except ImportError:  # pragma: no cover - opencc is a dependency
        from pipeline.errors import BackendMissing

        raise BackendMissing("the simplified view of traditional text needs OpenCC", "pip install 'opencc>=1.1.6'") from None
    cps = np.concatenate([np.arange(lo, hi + 1, dtype=np.uint32) for lo, hi in ranges])
    lines = np.full(2 * len(cps) - 1, 10, dtype=np.uint32)  # one character per line
    lines[0::2] = cps
    out = np.frombuffer(opencc.OpenCC(CONFIG).convert(lines.tobytes().decode("utf-32-le")).encode("utf-32-le"), dtype=np.uint32)
    if len(out) != len(lines) or (out[1::2] != 10).any():  # pragma: no cover - every character converts to one
        raise RuntimeError("OpenCC t2s did not convert every character to one character")
    dst = out[0::2]
    changed = dst != cps
    return cps[changed].tolist(), dst[changed].tolist()


class _Tables:
    """The t2s character table as a dict (str.translate), a numpy lookup table of the BMP, and a
    regex that finds a text needing conversion (the BMP characters listed: a bitmap, fast; the
    astral planes as one range, checked against their table, built when first needed)."""

    def __init__(self):
        import numpy as np

        src, dst = _t2s(BMP_RANGES)
        self.table: dict[int, int] = dict(zip(src, dst))
        self.lut = np.arange(0x10000, dtype=np.uint32)
        self.lut[src] = dst
        bmp = "".join(map(chr, src))
        self.finder = re.compile(f"[{bmp}{chr(ASTRAL_RANGE[0])}-{chr(ASTRAL_RANGE[1])}]")
        self.astral: frozenset[str] | None = None

    def _astral(self) -> frozenset[str]:
        if self.astral is None:
            src, dst = _t2s((ASTRAL_RANGE,))
            self.table.update(zip(src, dst))
            self.astral = frozenset(map(chr, src))
        return self.astral

    def needed(self, text: str) -> bool:
        m = self.finder.search(text)
        while m is not None and ord(m.group()) >= 0x10000 and m.group() not in self._astral():
            m = self.finder.search(text, m.end())
        return m is not None

    def convert(self, text: str) -> str:
        if len(text) >= _NUMPY_FROM:
            import numpy as np

            cp = np.frombuffer(text.encode("utf-32-le"), dtype=np.uint32)
            if int(cp.max()) < 0x10000:
                return self.lut[cp].tobytes().decode("utf-32-le")
        self._astral()
        return text.translate(self.table)


@functools.lru_cache(maxsize=1)
def _tables() -> _Tables:
    return _Tables()


def traditional_chars() -> frozenset[str]:
    """Every character the view changes (traditional-only forms: 國 個 兩 維 護 ...)."""
    tables = _tables()
    tables._astral()
    return frozenset(map(chr, tables.table))


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


def simplified_all(texts: list) -> list:
    """:func:`simplified` of each text (non-strings kept as they are), converted as one string
    when that is faster (many texts, some traditional, none holding a newline)."""
    texts = list(texts)
    strings = [t for t in texts if isinstance(t, str) and t]
    if len(strings) < 8 or len(strings) != len(texts) or any("\n" in t for t in strings):
        return [simplified(t) if isinstance(t, str) and t else t for t in texts]
    joined = "\n".join(strings)
    view = simplified(joined)
    return texts if view is joined else view.split("\n")
