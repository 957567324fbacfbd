"""Per-document analysis, pure given a worker's :class:`~pipeline.run.resources.Resources`:
formulation hits, content-word counts and paragraph labels.

The matcher, the segmenter (content words for the keyword tables) and the classifier read the
simplified view of each paragraph (:mod:`pipeline.terms.simplify`: traditional characters as their
simplified forms, one for one), so traditional text gives the counts, words and labels of its
simplified form; the stored paragraphs keep the text as written."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator

from pipeline.run.resources import Resources
from pipeline.terms.simplify import simplified
from pipeline.text import budget_runs, has_han

CLASSIFY_BATCH = 2000
#: characters segmented and matched in one call (the backends' memory grows with their input)
COUNT_CHUNK_CHARS = 1_000_000


def _keep_word(word: str, stopwords) -> bool:
    return len(word) >= 2 and has_han(word) and word not in stopwords


def _joined(paragraphs: list[dict], budget: int) -> Iterator[str]:
    """The paragraphs' texts joined by newlines, in pieces of about ``budget`` characters cut
    at paragraph ends (one piece for any ordinary document)."""
    for run in budget_runs((p["text"] for p in paragraphs), budget):
        yield "\n".join(run)


def _counts(paragraphs: list[dict], res: Resources) -> tuple[dict, dict]:
    """Formulation hits and content-word counts of one document. Paragraphs are joined by
    newlines (no formulation or word crosses one), so each backend is called once per piece of
    :data:`COUNT_CHUNK_CHARS`: a 200 MB text file is not segmented as one string (the token list
    of 67 million characters took 9 GiB)."""
    hits: Counter = Counter()
    words: Counter = Counter()
    for piece in _joined(paragraphs, COUNT_CHUNK_CHARS):
        text = simplified(piece)  # the same object when nothing is traditional
        hits.update(res.matcher.count(text))
        words.update(res.segmenter.count(text))
    keep = res.keep_memo
    for w in [w for w in words if w not in keep]:
        keep[w] = _keep_word(w, res.stopwords)
    if len(keep) > 2_000_000:  # bounded on huge vocabularies
        res.keep_memo = {}
    return dict(hits), {w: n for w, n in words.items() if keep[w]}


def _labels(paragraphs: list[dict], res: Resources) -> list[dict]:
    """Classify paragraphs (any number of documents at once: one model call per batch)."""
    if not paragraphs:
        return []
    scorer = res.classifier
    cols = scorer.columns
    out: list[dict] = []
    for start in range(0, len(paragraphs), CLASSIFY_BATCH):  # bounded memory on huge documents
        chunk = paragraphs[start : start + CLASSIFY_BATCH]
        # the scorer reads the simplified view (pipeline.classify.inputs.simplified_texts)
        proba = scorer.predict_proba([p["text"] for p in chunk], [p.get("heading", "") for p in chunk])
        best = scorer.labels_for(proba).tolist()
        unc = scorer.uncertain(proba, res.settings.uncertain_below).tolist()
        values = proba.round(4).tolist()
        for i in range(len(chunk)):
            out.append({"label": best[i], **dict(zip(cols, values[i])), "uncertain": bool(unc[i])})
    return out


def analyse_many(docs: list[list[dict]], res: Resources) -> list[dict]:
    """Segment, count formulations and classify several documents' paragraphs. Pure given res."""
    flat = [p for paras in docs for p in paras]
    labels = _labels(flat, res)
    out = []
    pos = 0
    for paras in docs:
        hits, words = _counts(paras, res)
        out.append({"term_hits": hits, "words": words, "labels": labels[pos : pos + len(paras)]})
        pos += len(paras)
    return out


def analyse(paragraphs: list[dict], res: Resources) -> dict:
    """One document's analysis (see :func:`analyse_many`)."""
    return analyse_many([paragraphs], res)[0]
