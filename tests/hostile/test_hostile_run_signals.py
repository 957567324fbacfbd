"""Finding 6: SIGINT and SIGTERM stop a run cleanly (exit 130/143, one line, no temp file, no
lock, no process left, the previous outputs untouched); no exit can hang; a run is a
transaction (a stop at any moment of the switch-over leaves the old set or a journal the next
run completes; readers refuse a mixed set); stale temp files and staging folders are cleaned by
the next run, and only ours. Also: a run that finds no document changes nothing."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from test_hostile_run_helpers import ROOT, add_report, leftovers, make_raw, outputs

from pipeline import run as engine
from pipeline.errors import MixedOutputs, NoDocuments
from pipeline.store import generation
from pipeline.store.runs import RunTables

CLI = [sys.executable, "-c", "from pipeline.cli import app; app()", "run"]


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    """A previous complete run of the sample (old), the raw folder with one more report, and the
    complete run of that (new)."""
    base = tmp_path_factory.mktemp("sig")
    raw = make_raw(base)
    old = base / "old"
    engine.run(raw, old, workers=1, report=True, progress=False)
    add_report(raw)
    new = base / "new"
    engine.run(raw, new, workers=1, report=True, progress=False)
    return raw, old, new


def _children_of(pid: int) -> list[int]:
    try:
        out = subprocess.run(["pgrep", "-P", str(pid)], capture_output=True, text=True).stdout
    except FileNotFoundError:
        return []
    return [int(x) for x in out.split()]


def _slow_raw(tmp_path: Path, raw: Path) -> Path:
    """The raw folder plus copies of its reports (new documents), so the run takes a few seconds."""
    slow = tmp_path / "slowraw"
    shutil.copytree(raw, slow)
    texts = sorted(raw.rglob("*.txt"))
    for i in range(20):
        for p in texts:
            (slow / f"copy{i}_{p.name}").write_text(f"副本{i}\n" + p.read_text(encoding="utf-8"), encoding="utf-8")
    return slow


@pytest.mark.parametrize("sig,code,group", [(signal.SIGTERM, 143, False), (signal.SIGINT, 130, True)])
def test_a_signal_stops_the_run_cleanly(tmp_path, runs, sig, code, group):
    """SIGTERM to the run, or Ctrl-C (SIGINT to the whole process group) while the workers are
    busy: exit 128+signal with one line, workers gone, nothing published, no lock or temp file."""
    raw, old, _ = runs
    slow = _slow_raw(tmp_path, raw)
    out = tmp_path / "out"
    shutil.copytree(old, out)
    before = outputs(out)
    proc = subprocess.Popen(
        CLI + [str(slow), "--out", str(out), "--workers", "2"],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    deadline = time.monotonic() + 60
    # the documents phase: the staging folder exists and the pool's workers run (the phase takes
    # seconds on this folder, so the signal lands in it, not after the run has ended)
    while not (list(out.glob(".staging-*")) and _children_of(proc.pid)):
        assert time.monotonic() < deadline and proc.poll() is None, "the run never started its workers"
        time.sleep(0.05)
    time.sleep(0.3)
    workers = _children_of(proc.pid)
    t0 = time.monotonic()
    if group:
        os.killpg(proc.pid, sig)
    else:
        proc.send_signal(sig)
    stdout, stderr = proc.communicate(timeout=60)
    assert time.monotonic() - t0 < 15, "the stop took too long"
    assert proc.returncode == code, (proc.returncode, stderr, stdout[-2000:], time.monotonic() - t0)
    lines = [line for line in stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and f"stopped by {signal.Signals(sig).name}" in lines[0] and "keeps the previous outputs" in lines[0], stderr
    assert "Traceback" not in stderr
    assert outputs(out) == before and leftovers(out) == []
    time.sleep(0.5)
    assert [pid for pid in workers if Path(f"/proc/{pid}").exists() and "Z" not in Path(f"/proc/{pid}/stat").read_text().split()[2]] == []
    # the next run starts at once (no lock held by anyone) and succeeds
    t0 = time.monotonic()
    again = subprocess.run(
        CLI + [str(raw), "--out", str(out), "--workers", "1", "--no-report"], cwd=ROOT, capture_output=True, text=True, timeout=300
    )
    assert again.returncode == 0, again.stderr
    assert leftovers(out) == []


POOL_HANG = r"""
import sys, time
sys.path.insert(0, {root!r})
from pipeline.config import Settings
from pipeline.run.executors import _pool, stop_pool
pool = _pool(Settings(), 2)
futs = [pool.submit(time.sleep, 1000) for _ in range(2)]  # busy workers, as in a long document
time.sleep(1.0)
{stop}
print("leaving", flush=True)
"""


def test_no_exit_waits_for_busy_workers(tmp_path):
    """The pool's exit join: a process that leaves with busy workers exits at once after
    stop_pool (the old shutdown(wait=False) let the interpreter join them for 1000 s)."""
    code = POOL_HANG.format(root=str(ROOT), stop="stop_pool(pool, grace=0.5)")
    t0 = time.monotonic()
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0 and "leaving" in done.stdout, done.stderr
    assert time.monotonic() - t0 < 20
    old_way = POOL_HANG.format(root=str(ROOT), stop="pool.shutdown(wait=False, cancel_futures=True)")
    with pytest.raises(subprocess.TimeoutExpired):  # what the run did before: the exit hangs
        subprocess.run([sys.executable, "-c", old_way], capture_output=True, text=True, timeout=8)


SIGNAL_WHILE_FORKING = r"""
import os, signal, sys, time
sys.path.insert(0, {root!r})
from concurrent.futures import ProcessPoolExecutor
real = ProcessPoolExecutor._launch_processes

def launch(self):
    real(self)
    os.kill(os.getpid(), signal.SIGTERM)  # the workers are forked, their manager thread is not started yet
    time.sleep(0.2)

ProcessPoolExecutor._launch_processes = launch
from pipeline.cli import app
app()
"""


def test_a_signal_while_the_pool_is_forked_does_not_hang_the_exit(tmp_path, runs):
    """The kill loop's one hang: SIGTERM in the instant the workers were forked left a pool
    nobody stopped, and the interpreter's exit joined its idle workers forever."""
    raw, old, _ = runs
    out = tmp_path / "out"
    shutil.copytree(old, out)
    before = outputs(out)
    code = SIGNAL_WHILE_FORKING.format(root=str(ROOT))
    t0 = time.monotonic()
    proc = subprocess.run(
        [sys.executable, "-c", code, "run", str(raw), "--out", str(out), "--workers", "2"], capture_output=True, text=True, timeout=120, cwd=ROOT
    )
    assert time.monotonic() - t0 < 60
    assert proc.returncode == 143, proc.stderr
    assert outputs(out) == before and leftovers(out) == []


HOLD_AND_FORK = r"""
import os, sys, time
sys.path.insert(0, {root!r})
from pipeline.store.lock import output_lock
cm = output_lock(sys.argv[1])
cm.__enter__()
child = os.fork()
if child == 0:          # a pool worker, say: it lives on after its parent died
    open(sys.argv[1] + ".child-running", "w").close()  # (after the fork hooks have run)
    time.sleep(30)
    os._exit(0)
print("forked", child, flush=True)
os._exit(1)             # the parent dies without cleaning up (SIGKILL, a crash)
"""


def test_a_dead_runs_children_do_not_hold_its_lock(tmp_path):
    """The lock dies with the run even while its forked children live on (they used to share
    the locked file and block the next run until they ended)."""
    from pipeline.store.lock import output_lock

    proc = subprocess.Popen([sys.executable, "-c", HOLD_AND_FORK.format(root=str(ROOT)), str(tmp_path)], stdout=subprocess.PIPE, text=True)
    line = proc.stdout.readline()
    assert proc.wait(timeout=30) == 1 and "forked" in line
    proc.stdout.close()
    child = int(line.split()[1])
    try:
        deadline = time.monotonic() + 30
        while not Path(f"{tmp_path}.child-running").exists():  # a loaded machine may not have run it yet
            assert time.monotonic() < deadline
            time.sleep(0.05)
        assert Path(f"/proc/{child}").exists()  # the child still lives
        with output_lock(tmp_path):  # at once: no waiting
            pass
    finally:
        os.kill(child, signal.SIGKILL)


# ------------------------------------------------------------------ transactions
class Killed(BaseException):
    """A stand-in for SIGKILL inside the switch-over: nothing of ours catches it."""


def _kill_at_rename(monkeypatch, k: int):
    calls = {"n": 0}
    real = os.replace

    def replace(src, dst, *a, **kw):
        if ".staging-" in os.fspath(src) and ".staging-" not in os.fspath(dst):  # a rename of the switch-over
            if calls["n"] == k:
                raise Killed()
            calls["n"] += 1
        return real(src, dst, *a, **kw)

    monkeypatch.setattr(os, "replace", replace)
    return calls


def test_a_kill_in_the_switch_over_leaves_old_or_a_journal_the_next_run_completes(tmp_path, monkeypatch, runs):
    raw, old, new = runs
    old_set, new_set = outputs(old), outputs(new)
    n_renames = len(new_set) + 2  # the journal, every file, the manifest
    for k in sorted({0, 1, 2, n_renames // 2, n_renames - 2, n_renames - 1}):
        out = tmp_path / f"k{k}"
        shutil.copytree(old, out)
        with monkeypatch.context() as m:
            _kill_at_rename(m, k)
            with pytest.raises(Killed):
                engine.run(raw, out, workers=1, report=True, progress=False)
        got = outputs(out)
        if k == 0:  # killed before the commit point: the previous complete set
            assert got == old_set and not generation.pending(out)
        else:  # killed after it: a journal, readers refuse the mix, the next run completes it
            assert generation.pending(out)
            with pytest.raises(MixedOutputs):
                RunTables.load(out)
        again = engine.run(raw, out, workers=1, report=True, progress=False)
        assert "up to date" in again.text() or k == 0
        assert outputs(out) == new_set and leftovers(out) == []
        assert generation.read_generation(out)["files"].keys() == new_set.keys()


def test_a_switch_over_that_cannot_be_completed_is_rolled_back(tmp_path, monkeypatch, runs):
    raw, old, new = runs
    out = tmp_path / "out"
    shutil.copytree(old, out)
    with monkeypatch.context() as m:
        _kill_at_rename(m, 5)
        with pytest.raises(Killed):
            engine.run(raw, out, workers=1, report=True, progress=False)
    journal = json.loads((out / generation.JOURNAL).read_text())
    staged = [rel for rel in journal["order"] if (out / journal["staging"] / rel).exists()]
    (out / journal["staging"] / staged[-1]).unlink()  # a staged file lost: cannot go forward
    assert generation.recover(out) == "rolled back"
    assert outputs(out) == outputs(old) and not generation.pending(out)
    assert generation.read_generation(out) == generation.read_generation(old)


def test_stale_temp_files_and_staging_folders_are_removed_and_only_ours(tmp_path, runs):
    raw, old, new = runs
    out = tmp_path / "out"
    shutil.copytree(old, out)
    ours = [
        ".staging-20260101T000000-1-abcdef/paragraphs.csv",
        ".documents.csv.k2j3h4g5.tmp",
        "figures/.trend_terms.png.abcdefgh.tmp",
        ".cache/tmp/" + "ab" * 32 + ".ingest.123.tmp",
        ".cache/.filehashes.json.a1b2c3d4.tmp",
    ]
    theirs = ["notes.tmp", ".my-settings.tmp", "figures/mine.png", "scratch/.x.csv.abcdefgh.tmp"]
    for rel in ours + theirs:
        (out / rel).parent.mkdir(parents=True, exist_ok=True)
        (out / rel).write_text("x")
    engine.run(raw, out, workers=1, report=True, progress=False)
    assert not any((out / rel).exists() for rel in ours)
    assert all((out / rel).exists() for rel in theirs)
    assert leftovers(out) == [".my-settings.tmp", "notes.tmp", "scratch/.x.csv.abcdefgh.tmp"]  # the user's own, left alone


def test_files_of_the_previous_run_that_this_one_does_not_write_are_removed(tmp_path, runs):
    """A run without the report after one with it: the old report.html and figures are not
    left next to tables they do not show."""
    raw, old, _ = runs
    out = tmp_path / "out"
    shutil.copytree(old, out)
    (out / "figures" / "terms_mine.png").write_bytes(b"drawn by `dangjian plot`")
    engine.run(raw, out, workers=1, report=False, progress=False)
    assert not (out / "report.html").exists() and [p.name for p in (out / "figures").iterdir()] == ["terms_mine.png"]
    assert set(outputs(out)) == set(generation.read_generation(out)["files"]) | {"figures/terms_mine.png"}


def test_a_run_without_documents_changes_nothing(tmp_path, runs):
    from typer.testing import CliRunner

    from pipeline.cli import app

    raw, old, _ = runs
    out = tmp_path / "out"
    shutil.copytree(old, out)
    before = outputs(out)
    empty = tmp_path / "empty"
    empty.mkdir()
    (empty / "notes.doc").write_bytes(b"\xd0\xcf\x11\xe0 legacy")
    (empty / "blank.txt").write_bytes(b"")
    for folder in (empty, tmp_path / "nothing"):
        folder.mkdir(exist_ok=True)
        with pytest.raises(NoDocuments):
            engine.run(folder, out, workers=1, report=True, progress=False)
        result = CliRunner().invoke(app, ["run", str(folder), "--out", str(out), "--workers", "1"])
        assert result.exit_code == 1
        lines = [line for line in result.output.splitlines() if line.strip()]
        assert len(lines) == 1 and "[E011]" in lines[0] and str(folder) in lines[0], result.output
        assert outputs(out) == before and leftovers(out) == []
    result = CliRunner().invoke(app, ["ingest", str(empty), "--out", str(out)])
    assert result.exit_code == 1 and "[E011]" in result.output and outputs(out) == before
