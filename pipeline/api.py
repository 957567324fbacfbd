"""Python API for notebooks: ``from pipeline import Corpus; c = Corpus.load("data/processed")``.

A :class:`Corpus` is the tables of a finished run (:class:`pipeline.store.runs.RunTables`: the
tables as pandas DataFrames and the helpers that return DataFrames) plus matplotlib figures.
Numbers come from :mod:`pipeline.trends`, charts from :mod:`pipeline.report`; this module only routes.
"""

from __future__ import annotations

from dataclasses import dataclass

from pipeline.store.runs import TABLES, RunTables, as_read, labels_of, read_lexicon, read_table

__all__ = ["Corpus", "TABLES", "as_read", "labels_of", "read_lexicon", "read_table"]


@dataclass(repr=False)
class Corpus(RunTables):
    """The tables of one run, for notebooks. Build with :meth:`Corpus.load`."""

    def plot_trend(self, *terms: str, measure: str = "per_10k"):
        """A matplotlib Figure of :meth:`trend` (lines; bars when fewer than 3 years)."""
        from pipeline import report
        from pipeline.report.fonts import font_context

        with font_context():
            fig = report.terms_figure(self.trend(*terms, measure=measure), measure=measure, n_docs=self.docs_per_year())
            fig.canvas.draw()  # lay out ticks now, with the CJK font, so later display keeps it
        return fig
