"""pipeline.terms.nlp: a spaCy Language whose docs carry the lexicon matches as spans."""

from __future__ import annotations

import pytest
from lexicon_helpers import project_or_small_lexicon

from pipeline.lexicon import Lexicon


@pytest.fixture(scope="module")
def lexicon() -> Lexicon:
    return project_or_small_lexicon()


def test_spacy_language_with_formulation_spans(lexicon):
    pytest.importorskip("spacy")
    from spacy import displacy

    from pipeline.terms.nlp import make_nlp

    nlp = make_nlp("jieba", lexicon)
    text = "坚持“三会一课”制度， 做到两个维护和一岗双责。不忘初心，牢记使命"
    doc = nlp(text)
    assert doc.text == text
    assert [(s.text, s.label_) for s in doc.spans["formulations"]][:3] == [
        ("三会一课", lexicon.by_term("三会一课").category),
        ("两个维护", lexicon.by_term("两个维护").category),
        ("一岗双责", lexicon.by_term("一岗双责").category),
    ]
    assert doc.spans["formulations"][-1].text == "不忘初心，牢记使命"
    assert "三会一课" in [t.text for t in doc]
    html = displacy.render(doc, style="span", options={"spans_key": "formulations"}, page=False)
    assert "三会一课" in html and "两个维护" in html
    assert len(nlp("")) == 0 and list(nlp("").spans["formulations"]) == []
    assert list(nlp("Hello world").spans["formulations"]) == []
