"""Trust boundaries: no network at run time; data files are data."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SAMPLE = ROOT / "data" / "raw" / "sample"


def _unshare() -> list[str] | None:
    exe = shutil.which("unshare")
    if not exe:
        return None
    for flags in (["-n"], ["-rn"]):
        try:
            if subprocess.run([exe, *flags, "true"], capture_output=True, timeout=10).returncode == 0:
                return [exe, *flags]
        except (OSError, subprocess.TimeoutExpired):
            continue
    return None


def test_pipeline_runs_without_network(tmp_path):
    prefix = _unshare()
    if prefix is None:
        pytest.skip("unshare -n is not available here: cannot cut the network for one process")
    probe = subprocess.run(
        prefix + [sys.executable, "-c", "import socket; socket.create_connection(('1.1.1.1', 443), timeout=2)"], capture_output=True, text=True
    )
    assert probe.returncode != 0, "network still reachable inside unshare -n"
    proc = subprocess.run(
        prefix + [sys.executable, "-m", "pipeline.cli", "run", str(SAMPLE), "--out", str(tmp_path / "out")],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-2000:]
    assert (tmp_path / "out" / "report.html").exists()
    assert (tmp_path / "out" / "paragraphs.csv").stat().st_size > 10_000


def test_lexicon_cells_are_never_evaluated(tmp_path):
    """A lexicon row holding Python or a formula is just text."""
    from pipeline.lexicon import load_lexicon

    lex_dir = tmp_path / "lex"
    shutil.copytree(ROOT / "lexicons", lex_dir)
    with open(lex_dir / "formulations.csv", "a", encoding="utf-8") as fh:
        fh.write("测试提法,,组织,,local,\"__import__('os').system('touch PWNED')\"\n")
    lex = load_lexicon(lex_dir)
    assert any(e.term == "测试提法" for e in lex.entries)
    assert not (tmp_path / "PWNED").exists() and not (ROOT / "PWNED").exists()
