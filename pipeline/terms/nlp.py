"""A spaCy ``Language`` for Chinese on our segmenter and lexicon.

    from pipeline.terms.nlp import make_nlp
    from spacy import displacy
    nlp = make_nlp()                       # jieba (rjieba) + lexicons/formulations.csv
    doc = nlp("坚持“三会一课”制度，做到两个维护。")
    doc.spans["formulations"]              # [三会一课, 两个维护], label = lexicon category
    displacy.render(doc, style="span", options={"spans_key": "formulations"})

spaCy's own Chinese models are not on PyPI, so this is ``spacy.blank("zh")`` configured with the
character segmenter (so spaCy never touches the global ``jieba.dt``), whose tokenizer is then
replaced by :class:`SegmenterTokenizer` around our :class:`~pipeline.segment.Segmenter`.
Formulations are found on the text by :class:`~pipeline.terms.TermMatcher` (not on tokens), and
turned into token spans with ``alignment_mode="expand"``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:  # pragma: no cover
    from spacy.language import Language

    from pipeline.lexicon import Lexicon
    from pipeline.segment import Segmenter

SPANS_KEY = "formulations"
COMPONENT = "dangjian_formulations"


class SegmenterTokenizer:
    """A spaCy tokenizer: ``Doc(vocab, words=segmenter.lcut(text), spaces=[False]*n)``.

    Whitespace is not a token in our segmenters; it is put back as ``spaces`` after the
    previous token so that ``doc.text == text`` (char spans then map to the original text)."""

    def __init__(self, vocab, segmenter: "Segmenter"):
        self.vocab = vocab
        self.segmenter = segmenter

    def __call__(self, text: str):
        from spacy.tokens import Doc

        tokens = self.segmenter.tokenize(text)
        words: list[str] = []
        spaces: list[bool] = []
        pos = 0
        for word, start, end in tokens:
            gap = text[pos:start]
            if gap:
                if words and gap == " ":
                    spaces[-1] = True
                else:  # leading or other whitespace becomes its own token (spaCy's convention)
                    if words and gap.startswith(" "):
                        spaces[-1] = True
                        gap = gap[1:]
                    words.append(gap)
                    spaces.append(False)
            words.append(word)
            spaces.append(False)
            pos = end
        tail = text[pos:]
        if tail:
            if words and tail == " ":
                spaces[-1] = True
            else:
                words.append(tail)
                spaces.append(False)
        return Doc(self.vocab, words=words, spaces=spaces)

    # spaCy calls these when saving a pipeline; ours is rebuilt from the lexicon instead
    def to_bytes(self, **kwargs) -> bytes:
        return b""

    def from_bytes(self, data: bytes, **kwargs) -> "SegmenterTokenizer":
        return self

    def to_disk(self, path, **kwargs) -> None:
        pass

    def from_disk(self, path, **kwargs) -> "SegmenterTokenizer":
        return self


class FormulationSpans:
    """Pipe component: ``doc.spans["formulations"]`` = lexicon matches, labelled by category.

    ``lexicon=None`` loads the project lexicon on first use."""

    def __init__(self, lexicon: "Lexicon | None" = None, spans_key: str = SPANS_KEY):
        self.spans_key = spans_key
        self.set_lexicon(lexicon)

    def set_lexicon(self, lexicon: "Lexicon | None") -> None:
        self.lexicon = lexicon
        self._matcher = None

    def __call__(self, doc):
        from pipeline.terms.match import TermMatcher

        if self._matcher is None:
            if self.lexicon is None:
                from pipeline.lexicon import load_lexicon

                self.lexicon = load_lexicon()
            self._matcher = TermMatcher(self.lexicon)
        spans = []
        for m in self._matcher.finditer(doc.text):
            entry = self.lexicon.by_term(m.term)
            label = entry.category if entry is not None else "formulation"
            span = doc.char_span(m.start, m.end, label=label, alignment_mode="expand")
            if span is not None:
                spans.append(span)
        doc.spans[self.spans_key] = spans
        return doc


def _register_factory() -> None:
    from spacy.language import Language

    if not Language.has_factory(COMPONENT):

        @Language.factory(COMPONENT, default_config={"spans_key": SPANS_KEY})
        def create_formulation_spans(nlp, name: str, spans_key: str):
            return FormulationSpans(None, spans_key)


def make_nlp(segmenter: "str | Segmenter" = "jieba", lexicon: "Lexicon | None" = None) -> "Language":
    """``spacy.blank("zh")`` with our segmenter as tokenizer and a formulations component.

    ``segmenter`` is a name (``jieba``/``pkuseg``) or a ready :class:`Segmenter`; ``lexicon``
    defaults to the segmenter's lexicon, else the project lexicon.
    """
    import spacy

    from pipeline.segment import Segmenter, make_segmenter

    if lexicon is None:
        if isinstance(segmenter, Segmenter):
            lexicon = segmenter.lexicon
        else:
            from pipeline.lexicon import load_lexicon

            lexicon = load_lexicon()
    seg = segmenter if isinstance(segmenter, Segmenter) else make_segmenter(segmenter, lexicon)
    nlp = spacy.blank("zh", config={"nlp": {"tokenizer": {"segmenter": "char"}}})
    nlp.tokenizer = SegmenterTokenizer(nlp.vocab, seg)
    _register_factory()
    component = nlp.add_pipe(COMPONENT)
    component.set_lexicon(lexicon)
    return nlp


__all__ = ["FormulationSpans", "SegmenterTokenizer", "SPANS_KEY", "make_nlp"]
