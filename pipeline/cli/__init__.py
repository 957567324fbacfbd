"""The `dangjian` command: one typer app of thin commands.

Commands parse arguments, call the package, print a short summary. Heavy imports happen
inside the commands so that `dangjian --help` stays fast.
"""

from __future__ import annotations

import sys

from pipeline.cli import charts, corpus, model  # noqa: F401 - each registers its commands on the app
from pipeline.cli.common import EngineChoice, MeasureChoice, SegmenterChoice, TaxonomyChoice, app

__all__ = ["EngineChoice", "MeasureChoice", "SegmenterChoice", "TaxonomyChoice", "app", "main"]


def main() -> None:  # pragma: no cover - console entry
    app()


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
