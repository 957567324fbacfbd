"""Classifier input: whatever a caller passes -> the two forms the models score.

``as_frame`` gives the sklearn path a DataFrame with string columns ``text`` and ``heading``;
``coerce_texts`` gives the fast scorer a plain list of str. Both follow one rule: a DataFrame
needs a ``text`` column, a single string is an error, missing values become ''. Nothing heavy
is imported here (pandas only inside ``as_frame``), so the fast scorer can use this module.

``simplified_texts`` and ``simplified_frame`` give what the models score at prediction: the
simplified view of each paragraph (:func:`pipeline.terms.simplify.simplified_all`, traditional
characters as their simplified forms, one for one), as the run's matcher and discovery read it,
so a traditional paragraph gets the labels and probabilities of its simplified form wherever it
is classified (``dangjian run``, ``dangjian classify``, ``label export``, the API). Training
reads the labelled paragraphs as written.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

from pipeline.errors import InputError

if TYPE_CHECKING:
    import pandas as pd

TEXT, HEADING = "text", "heading"


def as_frame(X) -> pd.DataFrame:
    """Coerce classifier input to a DataFrame with string columns ``text`` and ``heading``.

    Accepts a DataFrame (needs ``text``; ``heading`` optional), a Series, or any iterable of str.
    Missing values become ''. The original index is kept.
    """
    import pandas as pd

    if isinstance(X, pd.DataFrame):
        if TEXT not in X.columns:
            raise InputError("input has no `text` column", "add a column named text (one paragraph per row)")
        text = X[TEXT]
        heading = X[HEADING] if HEADING in X.columns else pd.Series("", index=X.index)
        index = X.index
    else:
        if isinstance(X, str):
            raise InputError("expected a list of paragraphs, got one string", "wrap it in a list: [text]")
        text = X if isinstance(X, pd.Series) else pd.Series(list(X), dtype=object)
        index = text.index
        heading = pd.Series("", index=index)
    out = pd.DataFrame(
        {TEXT: text.fillna("").astype(str).to_numpy(), HEADING: heading.fillna("").astype(str).to_numpy()},
        index=index,
    )
    return out


def coerce_texts(texts) -> list[str]:
    """The fast scorer's input as a list of str: any sequence of str (None/NaN/NA -> '',
    anything else -> str, as ``as_frame``), or a DataFrame's ``text`` column."""
    if isinstance(texts, str):
        raise InputError("expected a list of paragraphs, got one string", "wrap it in a list: [text]")
    if hasattr(texts, "columns"):  # a DataFrame: its text column
        if TEXT not in texts.columns:
            raise InputError("input has no `text` column", "add a column named text (one paragraph per row)")
        texts = texts[TEXT]
    texts = texts.tolist() if hasattr(texts, "tolist") else list(texts)
    out = []
    for t in texts:
        if type(t) is not str:  # as as_frame: missing -> '', anything else -> str
            missing = t is None or (isinstance(t, float) and math.isnan(t)) or type(t).__name__ in ("NAType", "NaTType")
            t = "" if missing else str(t)
        out.append(t)
    return out


def simplified_texts(texts) -> list[str]:
    """:func:`coerce_texts`, each text in its simplified view."""
    from pipeline.terms.simplify import simplified_all

    return simplified_all(coerce_texts(texts))


def simplified_frame(X) -> pd.DataFrame:
    """:func:`as_frame` with ``text`` and ``heading`` in their simplified view."""
    from pipeline.terms.simplify import simplified_all

    frame = as_frame(X)
    if len(frame):
        frame[TEXT] = simplified_all(frame[TEXT].tolist())
        frame[HEADING] = simplified_all(frame[HEADING].tolist())
    return frame
