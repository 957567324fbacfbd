"""Findings 6 and 7 end to end (slow): a real `dangjian run` killed with SIGKILL, SIGTERM or
SIGINT at random moments, at least 20 times. After each kill the output folder holds exactly
the previous complete run's files or the new run's (every output's sha256 compared with both
reference sets); only a SIGKILL inside the switch-over itself may leave a journal instead,
which readers refuse and the next run completes. The next run starts at once, succeeds and
leaves no temp file, staging folder, journal or lock."""

from __future__ import annotations

import os
import random
import shutil
import signal
import subprocess
import sys
import time

import pytest
from test_hostile_run_helpers import ROOT, add_report, leftovers, make_raw, outputs

from pipeline.store import generation

CLI = [sys.executable, "-c", "from pipeline.cli import app; app()", "run"]
KILLS = 24
BUDGET = 900  # seconds for the whole loop


def _run(raw, out, *extra) -> subprocess.CompletedProcess:
    return subprocess.run(CLI + [str(raw), "--out", str(out), "--workers", "2", *extra], cwd=ROOT, capture_output=True, text=True, timeout=600)


@pytest.mark.slow
def test_kill_at_random_moments_leaves_one_complete_set(tmp_path):
    raw = make_raw(tmp_path)
    old_out, new_out, out = tmp_path / "old", tmp_path / "new", tmp_path / "out"
    assert _run(raw, old_out).returncode == 0
    old = outputs(old_out)
    add_report(raw)
    work = tmp_path / "timing"
    shutil.copytree(old_out, work)
    t0 = time.monotonic()
    assert _run(raw, work).returncode == 0  # the run that is killed below: from the old outputs
    span = 1.1 * (time.monotonic() - t0)  # a few kills land after the switch-over, or after the end
    assert _run(raw, new_out).returncode == 0
    new = outputs(new_out)
    assert old != new and old.keys() <= new.keys() | old.keys()
    rng = random.Random(20261201)
    deadline = time.monotonic() + BUDGET
    seen = {"old": 0, "new": 0, "switching": 0}
    clean_stops = 0
    for i in range(KILLS):
        assert time.monotonic() < deadline, f"only {i} kills within {BUDGET}s"
        shutil.rmtree(out, ignore_errors=True)
        shutil.copytree(old_out, out)
        sig, group = rng.choice([(signal.SIGKILL, True), (signal.SIGKILL, False), (signal.SIGTERM, False), (signal.SIGINT, True)])
        proc = subprocess.Popen(
            CLI + [str(raw), "--out", str(out), "--workers", "2"],
            cwd=ROOT,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
            start_new_session=True,
        )
        time.sleep(rng.uniform(0.05, span))
        if proc.poll() is None:
            (os.killpg if group else os.kill)(proc.pid, sig)
        _, stderr = proc.communicate(timeout=120)
        rc = proc.returncode
        if sig != signal.SIGKILL and rc == 128 + sig:
            clean_stops += 1
            assert len([line for line in stderr.splitlines() if line.strip()]) == 1, (i, sig, group, rc, stderr)
        # SIGTERM/SIGINT before the handlers exist (still importing) end the process at once
        assert rc in (0, 128 + sig, -sig, 1 if sig == signal.SIGINT else -sig), (i, sig, rc, stderr)
        if sig == signal.SIGKILL and group is False:
            time.sleep(0.2)  # its workers die with it (PR_SET_PDEATHSIG)
        got = outputs(out)
        if got == old:
            seen["old"] += 1
        elif got == new:
            seen["new"] += 1
        else:  # only a SIGKILL in the middle of the renames: the journal says so
            assert sig == signal.SIGKILL and generation.pending(out), f"kill {i} ({sig.name}): a mix of two runs without a journal"
            seen["switching"] += 1
        t1 = time.monotonic()
        after = _run(raw, out)
        assert after.returncode == 0, (i, after.stdout, after.stderr)
        assert "in use" not in after.stderr and time.monotonic() - t1 < 120
        assert outputs(out) == new, f"kill {i}: the next run did not end with the new outputs"
        assert leftovers(out) == [], (i, leftovers(out))
    assert seen["old"] >= 3 and clean_stops >= 3, (seen, clean_stops)
    print(
        f"kills: {KILLS}; left the old set {seen['old']}, the new set {seen['new']}, a pending switch-over {seen['switching']}; clean SIGTERM/SIGINT stops {clean_stops}"
    )
