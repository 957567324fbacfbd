"""Finding 7: a full disk, a quota, a read-only or forbidden output folder is one coded line
(``[E010] ... -> what to do``), exit 1, the previous outputs untouched, no lock or temp file
left, and the next run starts at once.

The fault injector (test_hostile_run_helpers.Faults) first records every call site at which a run
changes a file in its output folder, then fails the disk at each one in turn; the real-world
cases use a tiny tmpfs and a read-only remount in a private mount namespace (``unshare -m``)
and an unprivileged user (``setpriv``), skipped where those are unavailable.
"""

from __future__ import annotations

import errno
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from test_hostile_run_helpers import ROOT, Faults, add_report, leftovers, make_raw, outputs

from pipeline import run as engine
from pipeline.errors import MixedOutputs, OutputError
from pipeline.store import generation
from pipeline.store.runs import RunTables


@pytest.fixture(scope="module")
def previous(tmp_path_factory):
    """A previous complete run (with report) of the sample, and a raw folder with one more report."""
    base = tmp_path_factory.mktemp("fault-prev")
    raw = make_raw(base)
    old = base / "old"
    engine.run(raw, old, workers=1, report=True, progress=False)
    add_report(raw)
    return raw, old


def _fresh(tmp_path: Path, old: Path) -> Path:
    out = tmp_path / "out"
    shutil.copytree(old, out, symlinks=True)
    return out


def _check_untouched(out: Path, old: Path, before: dict) -> None:
    assert outputs(out) == before, "a failed run changed the previous outputs"
    assert (out / ".dangjian-run.json").read_bytes() == (old / ".dangjian-run.json").read_bytes()
    assert leftovers(out) == [], leftovers(out)


def _sites(tmp_path, monkeypatch, raw, old) -> list[tuple]:
    """Every call site at which the run changes a file in OUT_DIR (parent and forked children)."""
    out = _fresh(tmp_path / "rec", old)
    with monkeypatch.context() as m:
        faults = Faults(m, out, log=tmp_path / "sites.log")
        engine.run(raw, out, workers=1, report=True, progress=False)
    return faults.recorded()


def _commit_line() -> int:
    """The line of Staging.publish that renames the journal into place: the commit point."""
    import inspect

    from pipeline.store import generation

    lines, first = inspect.getsourcelines(generation.Staging.publish)
    return first + next(i for i, line in enumerate(lines) if "the commit point" in line)


def _after_commit(site: tuple, commit: int) -> bool:
    for frame in site[1:]:
        path, line, name = frame.rsplit(":", 2)
        if name in ("_roll_forward", "recover", "_roll_back") or (path == "store/generation.py" and name == "publish" and int(line) > commit):
            return True
    return False


def _check_new(out: Path, new: dict, site) -> None:
    """The new complete set: the tables byte for byte as the reference run's, every file whole
    as its generation manifest says (figures are compared by the manifest, not with the
    reference: after many faulted runs in one process a chart can render differently, see
    docs/reliability.md), nothing left over."""
    got = outputs(out)
    assert got.keys() == new.keys(), site
    assert {k: v for k, v in got.items() if k.endswith((".csv", ".parquet"))} == {k: v for k, v in new.items() if k.endswith((".csv", ".parquet"))}, (
        site
    )
    assert generation.verify(out, generation.read_generation(out)) == [], site
    assert leftovers(out) == [], site


def _fail_everywhere(tmp_path, monkeypatch, raw, old, sites, err=errno.ENOSPC) -> dict[str, int]:
    """Fail the disk at each site (and from there on); check what each failed run left."""
    before = outputs(old)
    commit = _commit_line()
    ref = tmp_path / "ref"
    engine.run(raw, ref, workers=1, report=True, progress=False)
    new = outputs(ref)
    seen = {"untouched": 0, "unfinished": 0, "succeeded": 0}
    for i, site in enumerate(sites):
        out = _fresh(tmp_path / f"s{i}", old)
        with monkeypatch.context() as m:
            Faults(m, out).fail_at(site, err)
            try:
                engine.run(raw, out, workers=1, report=True, progress=False)
            except OutputError as caught:
                text = str(caught)
            else:
                text = None
        if text is None:  # the fault hit a write that may fail (the cache, the file-hash cache)
            _check_new(out, new, site)
            seen["succeeded"] += 1
            continue
        assert text.startswith("[E010]") and f"[{errno.errorcode[err]}]" in text and "\n" not in text and " -> " in text, (site, text)
        if "no output was changed" in text:
            assert not _after_commit(site, commit), site
            _check_untouched(out, old, before)
            seen["untouched"] += 1
            continue
        # failed while switching the new outputs in: readers refuse the mix, the next run finishes it
        assert "the switch-over to the new outputs is unfinished" in text and _after_commit(site, commit), (site, text)
        with pytest.raises(MixedOutputs):
            RunTables.load(out)
        assert "up to date" in engine.run(raw, out, workers=1, report=True, progress=False).text()
        _check_new(out, new, site)
        seen["unfinished"] += 1
    return seen


def test_enospc_at_write_points_is_one_coded_line_and_changes_nothing(tmp_path, monkeypatch, previous):
    """A sample of the write points (the first of each module and call): the suite's fast case;
    the slow case below fails at every one."""
    raw, old = previous
    sites = _sites(tmp_path, monkeypatch, raw, old)
    kinds = {s[0] for s in sites}
    assert {"os.open", "os.replace", "os.write", "os.mkdir", "open"} <= kinds, kinds
    picked, seen_keys = [], set()
    for site in sites:
        key = (site[0], site[-1].rsplit(":", 2)[0])  # the call and the module that makes it
        if key not in seen_keys:
            seen_keys.add(key)
            picked.append(site)
    seen = _fail_everywhere(tmp_path, monkeypatch, raw, old, picked)
    assert seen["untouched"] >= 8, seen
    # the disk has room again: the next run starts at once and publishes the new outputs
    out = tmp_path / "s0" / "out"
    done = engine.run(raw, out, workers=1, report=True, progress=False)
    assert done.n_documents == 6 and leftovers(out) == []


@pytest.mark.slow
def test_enospc_at_every_write_point(tmp_path, monkeypatch, previous):
    raw, old = previous
    sites = _sites(tmp_path, monkeypatch, raw, old)
    assert len(sites) >= 30, sites
    seen = _fail_everywhere(tmp_path, monkeypatch, raw, old, sites)
    assert seen["untouched"] >= 25 and sum(seen.values()) == len(sites), seen


@pytest.mark.parametrize("err", [errno.EROFS, errno.EACCES, errno.EDQUOT])
def test_readonly_forbidden_and_quota_faults_are_coded(tmp_path, monkeypatch, previous, err):
    raw, old = previous
    before = outputs(old)
    sites = _sites(tmp_path, monkeypatch, raw, old)
    # the first write (the lock), a table, a figure, the report, the switch-over's first rename
    picks = [sites[0]] + [next(s for s in sites if any(key in f for f in s)) for key in ("csvio.py", "canvas.py", "report/page.py", "generation.py")]
    for j, site in enumerate(picks):
        out = _fresh(tmp_path / f"e{j}", old)
        with monkeypatch.context() as m:
            Faults(m, out).fail_at(site, err)
            with pytest.raises(OutputError) as info:
                engine.run(raw, out, workers=1, report=True, progress=False)
        assert f"[{errno.errorcode[err]}]" in str(info.value) and "->" in str(info.value)
        _check_untouched(out, old, before)


def test_a_failed_switch_over_is_finished_or_reported_unfinished(tmp_path, monkeypatch, previous):
    """A rename that fails once during the switch-over is retried (the run succeeds); one that
    keeps failing is reported as an unfinished switch-over, which the next run completes."""
    raw, old = previous
    new_sites = [
        s for s in _sites(tmp_path, monkeypatch, raw, old) if s[0] == "os.replace" and any("_roll_forward" in f or "generation.py" in f for f in s)
    ]
    site = new_sites[len(new_sites) // 2]
    out = _fresh(tmp_path / "once", old)
    with monkeypatch.context() as m:
        Faults(m, out).fail_at(site, errno.ENOSPC, transient=True)
        summary = engine.run(raw, out, workers=1, report=True, progress=False)
    assert summary.n_documents == 6 and leftovers(out) == []
    out = _fresh(tmp_path / "always", old)
    with monkeypatch.context() as m:
        Faults(m, out).fail_at(site, errno.EROFS)
        with pytest.raises(OutputError, match="switch-over to the new outputs is unfinished"):
            engine.run(raw, out, workers=1, report=True, progress=False)
    assert (out / ".dangjian-switch.json").exists()
    again = engine.run(raw, out, workers=1, report=True, progress=False)
    assert "up to date" in again.text() and leftovers(out) == []
    ref = tmp_path / "ref"
    engine.run(raw, ref, workers=1, report=True, progress=False)
    assert outputs(out) == outputs(ref)


def test_cli_prints_one_line_and_exits_1(tmp_path, monkeypatch, previous):
    from typer.testing import CliRunner

    from pipeline.cli import app
    from pipeline.run import tables

    raw, old = previous
    out = _fresh(tmp_path, old)
    before = outputs(out)

    def full_disk(out_dir, frames, parquet=True):
        raise OSError(errno.ENOSPC, "No space left on device", str(out_dir / "documents.csv"))

    monkeypatch.setattr(tables, "write_tables", full_disk)
    result = CliRunner().invoke(app, ["run", str(raw), "--out", str(out), "--workers", "1"])
    assert result.exit_code == 1
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("Error: [E010]") and "Traceback" not in result.output, result.output
    _check_untouched(out, old, before)


# ------------------------------------------------------------------ the real thing
def _can_unshare() -> bool:
    if not shutil.which("unshare") or os.geteuid() != 0:
        return False
    probe = subprocess.run(
        ["unshare", "-m", "--propagation", "private", "sh", "-c", "mount -t tmpfs -o size=64k tmpfs /mnt && umount /mnt"], capture_output=True
    )
    return probe.returncode == 0


SCRIPT = r"""
set -u
mount -t tmpfs -o size={size} tmpfs {mnt}
cp -a {old} {mnt}/out || exit 3
{remount}
cd {root}
{python} -c "from pipeline.cli import app; app()" run {raw} --out {mnt}/out --workers 1 > {mnt}.stdout 2> {mnt}.stderr
echo $? > {mnt}.rc
python3 - <<'EOF' > {mnt}.state
import hashlib, os, json
out = "{mnt}/out"
state = {{}}
for root, dirs, files in os.walk(out):
    for n in files + dirs:
        p = os.path.join(root, n)
        rel = os.path.relpath(p, out)
        state[rel] = hashlib.sha256(open(p, "rb").read()).hexdigest() if os.path.isfile(p) else "dir"
print(json.dumps(state))
EOF
"""


def _in_namespace(tmp_path: Path, old: Path, raw: Path, size: str, readonly: bool) -> tuple[int, str, dict]:
    import json

    mnt = tmp_path / f"mnt-{size}-{int(readonly)}"
    mnt.mkdir()
    script = SCRIPT.format(
        size=size, mnt=mnt, old=old, raw=raw, root=ROOT, python=sys.executable, remount=f"mount -o remount,ro {mnt}" if readonly else ""
    )
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    done = subprocess.run(["unshare", "-m", "--propagation", "private", "bash", "-c", script], env=env, timeout=300, capture_output=True, text=True)
    assert done.returncode == 0, f"the previous outputs do not fit in {size}: {done.stderr}"
    rc = int(Path(f"{mnt}.rc").read_text())
    return rc, Path(f"{mnt}.stderr").read_text(), json.loads(Path(f"{mnt}.state").read_text())


def _expected_state(old: Path) -> dict:
    state = {}
    for root, dirs, files in os.walk(old):
        for n in files + dirs:
            p = Path(root) / n
            rel = p.relative_to(old).as_posix()
            if rel.startswith(".cache"):
                continue
            state[rel] = __import__("hashlib").sha256(p.read_bytes()).hexdigest() if p.is_file() else "dir"
    return state


@pytest.mark.skipif(not _can_unshare(), reason="needs root and unshare -m (a private tmpfs)")
def test_a_really_full_disk_and_a_read_only_folder(tmp_path, previous):
    """On a real tmpfs too small for the new outputs (several sizes, so the disk fills at
    different writes, pyarrow's and matplotlib's included) and on a read-only remount."""
    raw, old = previous
    used = sum(-(-p.stat().st_size // 4096) * 4096 for p in old.rglob("*")) + 64 * 1024  # tmpfs charges whole pages
    want = _expected_state(old)
    for size, readonly in [(f"{(used + extra) // 1024}k", False) for extra in (60_000, 250_000, 600_000, 1_000_000)] + [("8m", True)]:
        rc, err, state = _in_namespace(tmp_path, old, raw, size, readonly)
        got = {k: v for k, v in state.items() if not k.startswith(".cache")}
        if rc == 0:  # the outputs fitted: fine, but then they are the new complete set
            assert ".dangjian-switch.json" not in state and not any(".staging-" in k or k.endswith(".tmp") for k in state)
            continue
        assert rc == 1, err
        lines = [line for line in err.splitlines() if line.strip()]
        assert len(lines) == 1 and lines[0].startswith("Error: [E010]"), err
        assert ("[EROFS]" if readonly else "[ENOSPC]") in err
        assert got == want, f"{size}: the previous outputs changed"


def _can_drop_privileges() -> bool:
    if os.geteuid() != 0 or not shutil.which("setpriv"):
        return False
    probe = subprocess.run(
        [
            "setpriv",
            "--reuid",
            "65534",
            "--regid",
            "65534",
            "--clear-groups",
            sys.executable,
            "-c",
            f"import sys; sys.path.insert(0, {str(ROOT)!r}); import pipeline.run",
        ],
        capture_output=True,
        cwd="/",
    )
    return probe.returncode == 0


@pytest.mark.skipif(not _can_drop_privileges(), reason="needs root, setpriv, and a checkout an unprivileged user can read")
def test_a_folder_the_user_may_not_write(tmp_path, previous):
    import tempfile

    raw, old = previous
    base = Path(tempfile.mkdtemp(prefix="dangjian-eacces-"))  # pytest's folders are private to root
    try:
        os.chmod(base, 0o755)
        shutil.copytree(raw, base / "raw")
        out = _fresh(base, old)
        before = outputs(out)
        env = dict(os.environ, PYTHONPATH=str(ROOT), HOME=str(base))
        proc = subprocess.run(
            [
                "setpriv",
                "--reuid",
                "65534",
                "--regid",
                "65534",
                "--clear-groups",
                sys.executable,
                "-c",
                "from pipeline.cli import app; app()",
                "run",
                str(base / "raw"),
                "--out",
                str(out),
                "--workers",
                "1",
            ],
            capture_output=True,
            text=True,
            env=env,
            cwd="/",
            timeout=300,
        )
        assert proc.returncode == 1, proc.stdout + proc.stderr
        lines = [line for line in proc.stderr.splitlines() if line.strip()]
        assert len(lines) == 1 and "[E010]" in lines[0] and "[EACCES]" in lines[0], proc.stderr
        assert outputs(out) == before and leftovers(out) == []
    finally:
        shutil.rmtree(base, ignore_errors=True)
