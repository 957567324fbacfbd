"""``python -m pipeline.cli``: the dangjian command."""

from pipeline.cli import app

app(prog_name="dangjian")
