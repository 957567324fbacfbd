"""Is a text plausibly Chinese or English? Garbage from a broken PDF font (a CID font without
a ToUnicode map extracts as glyph numbers: random Latin, Greek, CJK or private-use
characters) and mojibake (UTF-8 read as GBK, GBK read as Latin-1, ...) decode without a single
error, so they are measured instead:

* **common Han share**: of the Han characters, the share that are *common*: in GB 2312 level 1
  (the 3,755 characters the standard orders by frequency of use) or Big5 level 1 (its 5,401
  frequently used characters; traditional text, as in the early congress reports). Both sets
  come from Python's own codecs (no data file). Real reports score >= 0.94 (the lowest file of
  the shared corpus); UTF-8 read as GBK scores 0.31, random CJK 0.32, other CJK codec mixes
  0.54-0.68 (docs/reliability.md has the table).
* **English-like letters**: letters (other than Han) in words that are mostly ASCII and hold a
  vowel, are at most three letters long ('txt', 'cpc') or are all-capital abbreviations of up
  to six; when the vowels of the longer words are too rare (random letters) none count. Web
  addresses are left out.

``score = (common Han + English-like letters) / (Han + other letters + private-use characters)``;
a text with at least MIN_LETTERS such characters scoring under THRESHOLD is not plausibly
Chinese or English. Why jieba's dictionary was not used as the frequency source: it counts
thousands of rare and traditional characters as common, so UTF-8 read as GBK scored 0.93 on
it (measured on the shared corpus).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache

from pipeline import text as T
from pipeline.simplify import simplified

THRESHOLD = 0.8
MIN_LETTERS = 50
SAMPLE_CHARS = 2_000_000  # a verdict needs no more than this much text (bounded cost)
MIN_VOWEL_SHARE = 0.28  # English prose ~0.40; random letters 12/52 = 0.23
_HAN_RE = re.compile(rf"[{T.HAN}]")
_OTHER_LETTER = re.compile(rf"[^\W\d_{T.HAN}]+")  # runs of letters that are not Han
_PUA = re.compile("[\ue000-\uf8ff\U000f0000-\U0010ffff]")
_ASCII_LETTER = re.compile("[A-Za-z]")
_URL = re.compile(r"(?:https?://|www\.)[!-~]+")  # addresses are not prose (their 'shtml', 'gzdt' are not words)
_VOWELS = re.compile("[AEIOUYaeiouy]")


@lru_cache(maxsize=1)
def common_han() -> frozenset[str]:
    """GB 2312 level 1 (rows 16-55) and Big5 level 1 (0xA440-0xC67E), from the codecs."""
    chars: set[str] = set()
    for hi in range(0xB0, 0xD8):
        for lo in range(0xA1, 0xFF):
            try:
                chars.add(bytes([hi, lo]).decode("gb2312"))
            except UnicodeDecodeError:
                pass
    for hi in range(0xA4, 0xC7):
        for lo in [*range(0x40, 0x7F), *range(0xA1, 0xFF)]:
            if hi == 0xC6 and lo > 0x7E:
                break
            try:
                chars.add(bytes([hi, lo]).decode("big5"))
            except UnicodeDecodeError:
                pass
    return frozenset(c for c in chars if _HAN_RE.fullmatch(c))


@lru_cache(maxsize=1)
def _common_re() -> re.Pattern:
    return re.compile("[" + "".join(sorted(common_han())) + "]")


#: texts at least this long are counted with numpy (20x faster than the regex on the shared
#: corpus: 0.015 s against 0.30 s for its 1.9 M characters); shorter ones with the regex
_NUMPY_FROM = 4096


@lru_cache(maxsize=1)
def _common_mask():
    import numpy as np

    mask = np.zeros(0x10000, dtype=bool)
    mask[[ord(c) for c in common_han()]] = True
    return mask


def count_common(text: str) -> int:
    """How many characters of ``text`` are common Han characters (:func:`common_han`)."""
    if len(text) < _NUMPY_FROM:
        return len(text) - len(_common_re().sub("", text))
    import numpy as np

    cp = np.frombuffer(text.encode("utf-32-le"), dtype=np.uint32)
    return int(_common_mask()[cp[cp < 0x10000]].sum())


@dataclass
class Readability:
    """Counts over a text (see the module docstring); :meth:`add` text, then read the verdict."""

    chars: int = 0
    han: int = 0
    common: int = 0
    letters: int = 0  # letters that are not Han
    english: int = 0  # of those, in English-like words
    word_letters: int = 0  # letters of English-like words of 4+ letters
    word_vowels: int = 0
    pua: int = 0

    def add(self, text: str) -> Readability:
        if self.chars >= SAMPLE_CHARS:
            return self
        text = text[: SAMPLE_CHARS - self.chars]
        self.chars += len(text)
        han = T.han_count(text)
        if han:
            self.han += han
            view = simplified(text)  # a traditional character is common when its simplified form is
            self.common += count_common(view)
        self.pua += len(text) - len(_PUA.sub("", text))
        if "://" in text or "www." in text:
            text = _URL.sub(" ", text)
        for m in _OTHER_LETTER.finditer(text):
            word = m.group()
            n = len(word)
            self.letters += n
            ascii_n = len(_ASCII_LETTER.findall(word))
            if ascii_n * 4 < n * 3:
                continue  # mostly non-ASCII letters: Hangul, kana, Cyrillic, 'Ã¤Â¸', glyph numbers
            vowels = len(_VOWELS.findall(word))
            if vowels or n <= 3 or (word.isupper() and n <= 6):  # 'txt', 'cpc', 'GDP' count
                self.english += n
                if n >= 4:
                    self.word_letters += n
                    self.word_vowels += vowels
        return self

    @property
    def total(self) -> int:
        return self.han + self.letters + self.pua

    @property
    def english_ok(self) -> bool:
        """English-like words read like English: vowels are not as rare as in random letters."""
        return self.word_letters < 200 or self.word_vowels >= MIN_VOWEL_SHARE * self.word_letters

    @property
    def score(self) -> float:
        if not self.total:
            return 1.0
        return (self.common + (self.english if self.english_ok else 0)) / self.total

    @property
    def plausible(self) -> bool:
        return self.total < MIN_LETTERS or self.score >= THRESHOLD

    def reason(self) -> str:
        parts = []
        if self.han:
            parts.append(f"{self.common / self.han:.0%} of its {self.han:,} Han characters are common ones")
        if self.letters:
            share = self.english / self.letters if self.english_ok else 0.0
            parts.append(f"{share:.0%} of its {self.letters:,} other letters are in English-like words")
        if self.pua:
            parts.append(f"{self.pua:,} private-use characters")
        return (
            f"text is not plausibly Chinese or English (score {self.score:.2f} < {THRESHOLD}: "
            + "; ".join(parts)
            + "): mojibake or a PDF font without a Unicode map; not counted"
        )


def measure(texts: Iterable[str]) -> Readability:
    """The counts of ``texts`` (the first of them, up to :data:`SAMPLE_CHARS`), measured as one
    newline-joined string: one pass of each pattern per document instead of one per paragraph
    (a third of ingest's time on the shared corpus went to the per-paragraph calls). No counted
    run crosses a newline."""
    return Readability().add("\n".join(next(T.budget_runs(texts, SAMPLE_CHARS), [])))


def common_han_share(text: str) -> float:
    """Share of the Han characters of ``text`` that are common (1.0 when there are none)."""
    r = Readability().add(text)
    return r.common / r.han if r.han else 1.0
