"""The corpus of a discovery call as one string and one code-point array, with the map from a
text position back to its paragraph, document and year.

Discovery works on the whole corpus joined into one string (paragraphs separated by "\n",
which no candidate contains) and on its code points as a numpy array: the numbered patterns and
quotations, the n-gram statistics and every occurrence count come from array operations, and
Python loops run over candidates, never over characters.

Discovery reads the simplified view of each paragraph (traditional characters as their simplified
forms, one for one: :mod:`pipeline.terms.simplify`), so a candidate is found and counted once
whichever script it is written in; examples are cut from the paragraphs as written.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence

from pipeline.terms.simplify import simplified_all


def codepoints(text: str):
    """``text`` as a numpy array of code points (index i is ``text[i]``): uint16 when every
    character is in the BMP (the usual case, half the memory traffic), else uint32."""
    import numpy as np

    raw = text.encode("utf-16-le", "surrogatepass")
    if len(raw) == 2 * len(text):
        return np.frombuffer(raw, dtype="<u2")
    return np.frombuffer(text.encode("utf-32-le", "surrogatepass"), dtype="<u4")


class DiscoveryCorpus:
    """All paragraphs (their simplified views) joined by "\n" (no candidate contains one), with
    the map from a text position to its paragraph, entry of ``docs``, document and year.
    ``originals`` holds the paragraphs as written (the same lengths)."""

    def __init__(self, docs: Iterable[tuple[str, int | None, Sequence[str]]]):
        import numpy as np

        paras: list[str] = []
        para_entry: list[int] = []
        entry_doc: list[int] = []
        entry_year: list[int] = []
        doc_index: dict[str, int] = {}
        for e, (doc_id, year, texts) in enumerate(docs):
            entry_doc.append(doc_index.setdefault(str(doc_id), len(doc_index)))
            entry_year.append(_year(year))
            good = [p for p in texts if isinstance(p, str) and p]
            paras += good
            para_entry += [e] * len(good)
        self.originals = paras
        self.paras = simplified_all(paras)
        self.text = "\n".join(self.paras)
        lengths = np.fromiter(map(len, paras), dtype=np.int64, count=len(paras))
        self.n_chars = int(lengths.sum())
        self.para_start = np.zeros(len(paras), dtype=np.int64)
        if len(paras) > 1:
            np.cumsum(lengths[:-1] + 1, out=self.para_start[1:])
        self.para_entry = np.array(para_entry, dtype=np.int64)
        self.entry_doc = np.array(entry_doc, dtype=np.int64)
        self.entry_year = np.array(entry_year, dtype=np.int64)
        self.n_docs = max(1, len(doc_index))
        self.cp = codepoints(self.text)

    def entries(self, positions):
        """The ``docs`` entry of each text position."""
        import numpy as np

        return self.para_entry[np.searchsorted(self.para_start, positions, side="right") - 1]

    def paragraph(self, position: int) -> tuple[str, int]:
        """The paragraph holding a text position (as written) and the position's offset in it."""
        import numpy as np

        p = int(np.searchsorted(self.para_start, position, side="right") - 1)
        return self.originals[p], position - int(self.para_start[p])


def _year(year) -> int:
    """A document's year as an int, -1 when missing (None, "", NaN, NA)."""
    if year is None or (isinstance(year, str) and not year.strip()):
        return -1
    try:
        return -1 if math.isnan(float(year)) else int(year)
    except (TypeError, ValueError):  # pd.NA, unparsable
        return -1
