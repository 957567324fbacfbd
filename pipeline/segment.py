"""Word segmenters (jieba, pkuseg) that never split a lexicon formulation.

* The segmenter is a checked choice (:class:`SegmenterName`); :func:`make_segmenter` with an
  unknown name raises an error listing the valid ones.
* Constructing a segmenter is cheap. :meth:`Segmenter.initialize` imports the backend and
  loads its dictionary/model (idempotent; ``cut`` calls it lazily). A missing backend raises
  :class:`~pipeline.errors.BackendMissing` with an install hint.
* Each instance has its own dictionary: the jieba backend builds its own ``rjieba.Jieba`` or
  ``jieba.Tokenizer``; the global ``jieba.dt`` is never touched.
* Every lexicon term and alias is a user word. Because a statistical segmenter may still split
  one (or glue it to a neighbour), a final *safety pass* re-cuts the text at the leftmost-longest
  occurrences of every lexicon form made of letters/digits only (``str.isalnum``), so such a
  form is always exactly one token. Forms with internal punctuation (``不忘初心、牢记使命``)
  cannot be single tokens -- jieba splits on ``、`` before consulting its dictionary -- which is
  why counting is done on the text by :mod:`pipeline.terms`, never on tokens.
* Whitespace is not a token: ``tokenize`` drops whitespace-only tokens (pkuseg never emits them).

Backends
--------
``jieba`` runs on ``rjieba`` (the jieba-rs binding) when it is importable and falls back to
pure-Python ``jieba``; both get the same user words with the same frequency, and a test checks
they agree on the sample reports. ``hmm=True`` is the default: the HMM is what lets jieba join
out-of-vocabulary words (organisation names such as 网信办, new coinages) that keyword tables
need; rjieba with the HMM on agrees with pure jieba on >=99.5% of tokens (measured 99.9%+ on
the seeds; 100% with the HMM off) and costs well under 10% of its speed, so we keep jieba's own
default rather than trade recall of new words for a slightly faster, fully identical run.
``hmm=False`` is available for bit-identical agreement with pure jieba.

``pkuseg`` uses ``pkuseg.pkuseg(model_name="default", user_dict=[...surface forms...])`` (the
model bundled with the package; works offline). It is slow (~0.09 MB/s) and takes ~800 MB.
"""

from __future__ import annotations

import bisect
import itertools
import re
from collections import Counter
from enum import Enum
from pathlib import Path
from typing import TYPE_CHECKING, Iterator

from pipeline.errors import BackendMissing, InputError

if TYPE_CHECKING:  # pragma: no cover
    from pipeline.lexicon import Lexicon

#: frequency given to every lexicon form added as a user word (jieba's own dictionary tops out
#: around 10^6 for 的; 10^5 makes a lexicon form beat any split into ordinary words).
USER_WORD_FREQ = 100_000

Token = tuple[str, int, int]
_WHITESPACE = re.compile(r"\s")


class SegmenterName(str, Enum):
    jieba = "jieba"
    pkuseg = "pkuseg"


_LIST_SEPARATORS = dict.fromkeys(map(ord, "、，,"))


def lexicon_words(lexicon: "Lexicon") -> list[str]:
    """Every term and alias, plus the separator-less spelling of forms like 不忘初心、牢记使命
    (``不忘初心牢记使命``), which :mod:`pipeline.terms` also counts."""
    words = set(lexicon.surface_forms())
    for form in list(words):
        bare = form.translate(_LIST_SEPARATORS)
        if bare != form and bare and bare.isalnum():
            words.add(bare)
    return sorted(words)


def guaranteed_forms(lexicon: "Lexicon") -> list[str]:
    """Lexicon words without internal punctuation (``str.isalnum``): always one token."""
    return [f for f in lexicon_words(lexicon) if len(f) > 1 and f.isalnum()]


class Segmenter:
    """Base class. Subclasses implement ``_load()`` and ``_words(text) -> list[str]``."""

    name: str = ""

    def __init__(self, lexicon: "Lexicon | None" = None, *, hmm: bool = True):
        self._lexicon_arg = lexicon
        self.hmm = hmm
        self.lexicon_: "Lexicon | None" = None
        self._forms_automaton = None
        self._initialized = False

    # ------------------------------------------------------------------ lifecycle
    @property
    def lexicon(self) -> "Lexicon":
        if self.lexicon_ is None:
            if self._lexicon_arg is not None:
                self.lexicon_ = self._lexicon_arg
            else:
                from pipeline.lexicon import load_lexicon

                self.lexicon_ = load_lexicon()
        return self.lexicon_

    def user_words(self) -> list[str]:
        """Every lexicon term and alias (what the backend's user dictionary receives)."""
        return lexicon_words(self.lexicon)

    def initialize(self) -> "Segmenter":
        """Import the backend and load its dictionary/model plus the user words (idempotent)."""
        if not self._initialized:
            lexicon = self.lexicon
            self._load()
            forms = guaranteed_forms(lexicon)
            if forms:
                from pipeline.automaton import make_automaton

                self._forms_automaton = make_automaton({f: f for f in forms})
            self._initialized = True
        return self

    def _load(self) -> None:  # pragma: no cover - abstract
        raise NotImplementedError

    def _words(self, text: str) -> list[str]:  # pragma: no cover - abstract
        raise NotImplementedError

    # ------------------------------------------------------------------ segmentation
    def raw_tokenize(self, text: str) -> list[Token]:
        """The backend's tokens with offsets, before the safety pass (for diagnostics)."""
        self.initialize()
        if not text:
            return []
        words = self._words(text)
        return list(zip(words, *_offsets(text, words)))

    def _segment(self, text: str, offsets: bool = True, keep_space: bool = False):
        """(words, starts, ends); with ``offsets=False`` starts/ends may be None (fast path for
        ``lcut`` when no lexicon form needs re-cutting); ``keep_space`` (only with
        ``offsets=False``) leaves whitespace tokens in for the caller to drop."""
        self.initialize()
        if not isinstance(text, str) or not text:
            return [], [], []
        words = self._words(text)
        starts = ends = None
        spans = []
        if self._forms_automaton is not None:
            from pipeline.automaton import leftmost_longest

            spans = [(s, e) for s, e, _ in leftmost_longest(self._forms_automaton, text)]
        if spans and not offsets:
            lengths = list(map(len, words))
            if sum(lengths) == len(text):  # words concatenate to the text: check with ends only
                ends = list(itertools.accumulate(lengths))
                if all(_ends_token(ends, s, e) for s, e in spans):
                    spans = []
            if spans:
                ends = None
        if spans or offsets:
            starts, ends = _offsets(text, words)
            if spans:
                words, starts, ends = _enforce_spans(text, words, starts, ends, spans)
        if starts is None:  # lcut: just drop whitespace tokens
            if not keep_space and _WHITESPACE.search(text):
                words = [w for w in words if not w.isspace()]
        elif _WHITESPACE.search(text) and any(w.isspace() for w in words):
            keep = [i for i, w in enumerate(words) if not w.isspace()]
            words = [words[i] for i in keep]
            if starts is not None:
                starts = [starts[i] for i in keep]
                ends = [ends[i] for i in keep]
        return words, starts, ends

    def lcut(self, text: str) -> list[str]:
        return self._segment(text, offsets=False)[0]

    def cut(self, text: str) -> Iterator[str]:
        yield from self._segment(text, offsets=False)[0]

    def count(self, text: str) -> Counter:
        """Token counts, ``Counter(self.lcut(text))``: whitespace is dropped after counting
        (a few keys) rather than from every token."""
        counts = Counter(self._segment(text, offsets=False, keep_space=True)[0])
        for word in [w for w in counts if w.isspace()]:
            del counts[word]
        return counts

    def tokenize(self, text: str) -> list[Token]:
        """(word, start, end) with character offsets: ``text[start:end] == word``."""
        return list(zip(*self._segment(text))) if text else []

    def __repr__(self) -> str:
        return f"{type(self).__name__}(hmm={self.hmm}, initialized={self._initialized})"


def _offsets(text: str, words: list[str]) -> tuple[list[int], list[int]]:
    """Start and end offsets of ``words`` in ``text``. Fast path when the words concatenate to
    the text (jieba); otherwise each word is searched after the previous one (pkuseg drops
    whitespace)."""
    lengths = list(map(len, words))
    if sum(lengths) == len(text) and (len(text) < 64 or "".join(words) == text):
        ends = list(itertools.accumulate(lengths))
        starts = [e - n for e, n in zip(ends, lengths)]
        return starts, ends
    starts, ends = [], []
    pos = 0
    for word in words:
        found = text.find(word, pos)
        if found < 0:  # pragma: no cover - a backend that rewrites characters
            raise RuntimeError(f"segmenter returned {word!r}, not found in the text after offset {pos}")
        starts.append(found)
        pos = found + len(word)
        ends.append(pos)
    return starts, ends


def _enforce_spans(text, words, starts, ends, spans):
    """Re-cut so that each span in ``spans`` (sorted, non-overlapping) is exactly one token:
    a token crossing a span boundary is split at it, tokens inside a span are merged."""
    if all(_is_token(starts, ends, s, e) for s, e in spans):
        return words, starts, ends
    starts, ends = list(starts), list(ends)
    out_s: list[int] = []
    out_e: list[int] = []
    i, n = 0, len(words)
    for s, e in spans:
        while i < n and ends[i] <= s:
            out_s.append(starts[i])
            out_e.append(ends[i])
            i += 1
        if i < n and starts[i] < s:  # crosses the span's start: keep the head
            out_s.append(starts[i])
            out_e.append(s)
            starts[i] = s
        while i < n and ends[i] <= e:  # inside the span
            i += 1
        out_s.append(s)
        out_e.append(e)
        if i < n and starts[i] < e:  # crosses the span's end: keep the tail for later
            starts[i] = e
    while i < n:
        out_s.append(starts[i])
        out_e.append(ends[i])
        i += 1
    return [text[a:b] for a, b in zip(out_s, out_e)], out_s, out_e


def _ends_token(ends: list[int], s: int, e: int) -> bool:
    """With contiguous tokens: is [s, e) one token? (a token ends at e, the previous one at s)"""
    k = bisect.bisect_left(ends, e)
    return k < len(ends) and ends[k] == e and (ends[k - 1] == s if k else s == 0)


def _is_token(starts: list[int], ends: list[int], s: int, e: int) -> bool:
    k = bisect.bisect_left(starts, s)
    return k < len(starts) and starts[k] == s and ends[k] == e


# --------------------------------------------------------------------------- jieba
class JiebaSegmenter(Segmenter):
    """jieba with the lexicon as user words; runs on rjieba when installed.

    ``backend`` is ``"auto"`` (rjieba if importable, else jieba), ``"rjieba"`` or ``"jieba"``.
    After :meth:`initialize`, ``backend_`` says which one is in use.
    """

    name = "jieba"

    def __init__(self, lexicon=None, *, hmm: bool = True, backend: str = "auto"):
        super().__init__(lexicon, hmm=hmm)
        if backend not in ("auto", "rjieba", "jieba"):
            raise InputError(f"unknown jieba backend {backend!r}", "use auto, rjieba or jieba")
        self.backend = backend
        self.backend_: str | None = None
        self._tok = None

    def _load(self) -> None:
        words = self.user_words()
        if self.backend in ("auto", "rjieba"):
            try:
                jieba_class = _rjieba_class()
            except ImportError:
                if self.backend == "rjieba":
                    raise BackendMissing("rjieba is not installed", "pip install 'rjieba>=0.2,<0.3'") from None
            else:
                tok = jieba_class()
                for w in words:
                    tok.add_word(w, USER_WORD_FREQ, None)
                self._tok, self.backend_ = tok, "rjieba"
                return
        try:
            import jieba
        except ImportError:
            raise BackendMissing("jieba is not installed", "pip install jieba==0.42.1 (or rjieba)") from None
        import logging

        jieba.setLogLevel(logging.WARNING)  # silence "Building prefix dict..." on stderr
        tok = jieba.Tokenizer()
        tok.initialize()
        for w in words:
            tok.add_word(w, USER_WORD_FREQ)
        self._tok, self.backend_ = tok, "jieba"

    def _words(self, text: str) -> list[str]:
        if self.backend_ == "rjieba":
            return self._tok.cut(text, self.hmm)
        return self._tok.lcut(text, HMM=self.hmm)


def _rjieba_class():
    """``rjieba.Jieba``. Importing the ``rjieba`` package builds a module-level default
    tokenizer (~0.1 s per process, and its dictionary in memory) that we never use, so the
    compiled module is loaded on its own when it can be found; else the package is imported.
    Raises ImportError when rjieba is not installed."""
    import sys

    if "rjieba" not in sys.modules:  # else imported already, or blocked (None): import decides
        import importlib.util

        try:
            spec = importlib.util.find_spec("rjieba")
            folder = Path(next(iter(spec.submodule_search_locations or []))) if spec else None
        except (ImportError, ValueError, StopIteration):
            folder = None
        for ext in sorted(folder.glob("rjieba*.so")) + sorted(folder.glob("rjieba*.pyd")) if folder else []:
            try:
                ext_spec = importlib.util.spec_from_file_location("rjieba.rjieba", ext)
                module = importlib.util.module_from_spec(ext_spec)
                ext_spec.loader.exec_module(module)
                return module.Jieba
            except (ImportError, AttributeError, OSError):
                break
    import rjieba

    return rjieba.Jieba


# --------------------------------------------------------------------------- pkuseg
class PkusegSegmenter(Segmenter):
    """pkuseg (bundled ``default`` model, offline) with the lexicon as its user dictionary.

    ``hmm`` is ignored (pkuseg is a CRF). Loading takes seconds and ~800 MB of memory: create
    one instance and reuse it.
    """

    name = "pkuseg"

    def __init__(self, lexicon=None, *, hmm: bool = True, model_name: str = "default"):
        super().__init__(lexicon, hmm=hmm)
        self.model_name = model_name
        self._seg = None

    def _load(self) -> None:
        try:
            import pkuseg
        except ImportError:
            raise BackendMissing(
                "pkuseg is not installed",
                "pip install numpy cython setuptools wheel && pip install --no-build-isolation pkuseg==0.0.25",
            ) from None
        self._seg = pkuseg.pkuseg(model_name=self.model_name, user_dict=self.user_words() or None)

    def _words(self, text: str) -> list[str]:
        # pkuseg strips and splits on whitespace itself; cut line by line to bound memory
        words: list[str] = []
        for line in text.splitlines():
            if line.strip():
                words.extend(self._seg.cut(line))
        return words


_BACKENDS = {SegmenterName.jieba: JiebaSegmenter, SegmenterName.pkuseg: PkusegSegmenter}


def make_segmenter(name: "str | SegmenterName" = "jieba", lexicon: "Lexicon | None" = None, *, hmm: bool = True, **options) -> Segmenter:
    """A segmenter by name (``jieba`` or ``pkuseg``); cheap, loads nothing until first use.

    ``lexicon=None`` means the default lexicon (``config.LEXICON_DIR``), loaded on
    initialize; pass ``Lexicon.empty()`` for a segmenter without user words.
    """
    try:
        key = SegmenterName(name.value if isinstance(name, SegmenterName) else str(name).strip().lower())
    except ValueError:
        valid = ", ".join(m.value for m in SegmenterName)
        raise InputError(f"unknown segmenter {name!r}", f"choose one of: {valid}") from None
    return _BACKENDS[key](lexicon, hmm=hmm, **options)


__all__ = ["JiebaSegmenter", "PkusegSegmenter", "Segmenter", "SegmenterName", "guaranteed_forms", "make_segmenter"]
