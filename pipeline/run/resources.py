"""What a worker needs to analyse documents (lexicon, segmenter, matcher, stopwords, model):
built cheaply, loaded on first use, kept once per process and settings."""

from __future__ import annotations

from functools import cached_property

from pipeline.config import Settings


class Resources:
    """What a worker needs: built cheaply, loaded on first use, once per process."""

    def __init__(self, settings: Settings):
        self.settings = settings

    @cached_property
    def lexicon(self):
        from pipeline.lexicon import load_lexicon

        return load_lexicon(self.settings.lexicon_dir)

    @cached_property
    def segmenter(self):
        from pipeline.segment import make_segmenter

        return make_segmenter(self.settings.segmenter, self.lexicon).initialize()

    @cached_property
    def matcher(self):
        from pipeline.terms import TermMatcher

        return TermMatcher(self.lexicon)

    @cached_property
    def stopwords(self):
        from pipeline.lexicon import load_stopwords

        return load_stopwords(self.settings.lexicon_dir)

    @cached_property
    def keep_memo(self) -> dict[str, bool]:
        """word -> is it a content word for the keyword tables (words recur across documents)."""
        return {}

    @cached_property
    def classifier(self):
        """The numpy-only scorer of the trained model (pipeline.classify.scorer; no sklearn at run time)."""
        from pipeline.classify import load_scorer

        return load_scorer(self.settings)


_RES: dict[Settings, Resources] = {}


def resources_for(settings: Settings) -> Resources:
    """One Resources per worker process and settings (initialised once, reused per file)."""
    res = _RES.get(settings)
    if res is None:
        _RES.clear()
        res = _RES[settings] = Resources(settings)
    return res


def model_labels(settings: Settings) -> list[str]:
    """The classifier's categories (trains the model first when the labels changed)."""
    return list(resources_for(settings).classifier.labels_)


def release_free_memory() -> None:
    """Give memory freed by Python back to the system: a full collection, then glibc's
    ``malloc_trim`` (freed blocks of a large document otherwise stay in the heap, counted in the
    process's resident size and copied into every process forked after it). A no-op where the C
    library has no ``malloc_trim``."""
    import ctypes
    import gc

    gc.collect()
    try:
        ctypes.CDLL(None).malloc_trim(0)  # the C library the interpreter runs on (no ldconfig lookup)
    except (OSError, AttributeError):
        pass
