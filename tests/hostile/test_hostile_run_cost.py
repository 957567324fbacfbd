"""Finding 8 end to end: peak memory of a whole `dangjian run` (main process, its worker and
the forked side processes) on a 200 MB text file and on a 40 MB .docx of 7.68 million tiny
paragraphs stays under 2 GiB. test_hostile_cost.py measures ingest_file alone; here the run
stage is measured too: it segmented a document as one string (9 GiB for the 200 MB file), kept
a huge document's heap in the main process and in every process forked from it, fed the whole
document to candidate discovery, and sent its rows to the main process as one 500 MB message.

The tree is sampled every 0.2 s: the sum of RSS (shared pages counted in every process that
maps them, so an upper bound of what the tree holds) and, every 0.8 s, the sum of PSS; the
exact peak (VmHWM) of the largest process is reported too. docs/reliability.md has the numbers."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from test_hostile_cost import big_text, tiny_paragraph_docx

ROOT = Path(__file__).resolve().parents[2]
LIMIT = 2 * 1024**3
MiB = 1 << 20


def run_peak(raw: Path, out: Path, timeout: float = 5400) -> dict:
    """`dangjian run RAW --out OUT` in a subprocess, its process tree sampled until it ends."""
    import psutil

    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    t0 = time.monotonic()
    proc = subprocess.Popen(
        [sys.executable, "-m", "pipeline.cli", "run", str(raw), "--out", str(out)], cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    top = psutil.Process(proc.pid)
    peak_rss = peak_pss = 0
    hwm: dict[int, int] = {}
    n = 0
    try:
        while proc.poll() is None:
            assert time.monotonic() - t0 < timeout, f"run took over {timeout} s"
            try:
                procs = [top] + top.children(recursive=True)
            except psutil.Error:
                break
            rss = pss = 0
            for p in procs:
                try:
                    rss += p.memory_info().rss
                    if n % 4 == 0:
                        pss += p.memory_full_info().pss
                    with open(f"/proc/{p.pid}/status") as fh:
                        line = next(x for x in fh if x.startswith("VmHWM:"))
                    hwm[p.pid] = max(hwm.get(p.pid, 0), int(line.split()[1]) * 1024)
                except (psutil.Error, OSError, StopIteration):
                    pass
            peak_rss = max(peak_rss, rss)
            peak_pss = max(peak_pss, pss)
            n += 1
            time.sleep(0.2)
    finally:
        if proc.poll() is None:
            proc.kill()
    stdout, stderr = proc.communicate()
    result = {
        "code": proc.returncode,
        "seconds": time.monotonic() - t0,
        "rss_sum": peak_rss,
        "pss_sum": peak_pss,
        "max_hwm": max(hwm.values(), default=0),
        "stdout": stdout.decode(errors="replace"),
        "stderr": stderr.decode(errors="replace"),
    }
    print(
        f"{raw.name}: {result['seconds']:.0f} s, peak RSS sum {peak_rss / MiB:.0f} MiB, PSS sum {peak_pss / MiB:.0f} MiB, "
        f"largest process {result['max_hwm'] / MiB:.0f} MiB (VmHWM), {len(hwm)} processes"
    )
    return result


def _check(result: dict, paragraphs: int) -> None:
    assert result["code"] == 0, result["stderr"][-3000:]
    assert f"1 documents, {paragraphs} paragraphs" in result["stdout"], result["stdout"][-2000:]
    assert result["rss_sum"] < LIMIT, f"peak RSS of the process tree {result['rss_sum'] / MiB:.0f} MiB"


@pytest.mark.slow
def test_run_on_a_200_mb_text_file_stays_under_2_gib(tmp_path):
    raw = tmp_path / "big"
    raw.mkdir()
    big_text(raw / "big.txt", 200_000_000)
    _check(run_peak(raw, tmp_path / "out"), 329635)


@pytest.mark.slow
def test_run_on_a_40_mb_docx_of_tiny_paragraphs_stays_under_2_gib(tmp_path):
    raw = tmp_path / "docx"
    raw.mkdir()
    tiny_paragraph_docx(raw / "tiny.docx", 7_680_000)
    assert (raw / "tiny.docx").stat().st_size > 35_000_000
    _check(run_peak(raw, tmp_path / "out"), 314830)
