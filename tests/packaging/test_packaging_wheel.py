"""The package works installed as a wheel, away from the checkout: a fresh virtualenv holding only
the built wheel (its dependencies are taken from the test environment's site-packages, without its
editable install of the checkout) runs `dangjian run` from an unrelated folder and writes every
table; in a workspace made by `dangjian init`, `dangjian lexicon add` changes what the next run counts."""

from __future__ import annotations

import csv
import os
import subprocess
import sys
import sysconfig
import venv
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SAMPLE = ROOT / "data" / "raw" / "sample"
TABLES = (
    "documents",
    "paragraphs",
    "ingest_log",
    "term_counts",
    "term_trends",
    "candidates",
    "keyword_frequencies",
    "keywords_by_year",
    "category_shares",
)

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def installed(tmp_path_factory) -> dict:
    base = tmp_path_factory.mktemp("wheel")
    dist = base / "dist"
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "--no-build-isolation", str(ROOT), "-w", str(dist)],
        check=True,
        cwd=base,
        capture_output=True,
    )
    (wheel,) = dist.glob("dangjian-*.whl")
    env_dir = base / "venv"
    venv.EnvBuilder(with_pip=False).create(env_dir)
    py = env_dir / "bin" / "python"
    site = Path(
        subprocess.run(
            [str(py), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"], check=True, capture_output=True, text=True
        ).stdout.strip()
    )
    # the wheel, unpacked as pip would (pip's own copy comes from the test environment)
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--no-compile", "--target", str(site), str(wheel)],
        check=True,
        capture_output=True,
    )
    # dependencies: the test environment's site-packages as a plain path entry (its .pth files,
    # among them the editable install of the checkout, are not processed from there)
    (site / "zz_test_deps.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTHON", "DANGJIAN_"))}
    env["XDG_CACHE_HOME"] = str(base / "cache")
    script = [str(py), "-c", "import sys; from pipeline.cli import app; sys.argv[0] = 'dangjian'; app()"]
    return {"base": base, "site": site, "env": env, "cli": script, "py": py}


def _run(installed, *args, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run([*installed["cli"], *args], cwd=cwd, env=installed["env"], capture_output=True, text=True, timeout=600)


def test_the_wheel_imports_from_site_packages_not_the_checkout(installed, tmp_path):
    out = subprocess.run(
        [str(installed["py"]), "-c", "import pipeline, pipeline.config as c; print(pipeline.__file__); print(c.IN_CHECKOUT)"],
        cwd=tmp_path,
        env=installed["env"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    assert out[0].startswith(str(installed["site"])) and out[1] == "False"
    assert (installed["site"] / "pipeline" / "resources" / "lexicons" / "formulations.csv").is_file()
    assert (installed["site"] / "pipeline" / "resources" / "labels" / "paragraphs.csv").is_file()


def test_an_installed_wheel_runs_from_an_unrelated_folder(installed, tmp_path):
    raw = tmp_path / "reports"
    raw.mkdir()
    for p in SAMPLE.glob("*.txt"):
        (raw / p.name).write_bytes(p.read_bytes())
    elsewhere = tmp_path / "somewhere"
    elsewhere.mkdir()
    res = _run(installed, "run", str(raw), "--out", str(tmp_path / "out"), cwd=elsewhere)
    assert res.returncode == 0, res.stdout + res.stderr
    for name in TABLES:
        assert (tmp_path / "out" / f"{name}.csv").is_file(), name
    assert (tmp_path / "out" / "report.html").is_file()
    # models went to the per-user cache, never into site-packages
    assert list((installed["base"] / "cache" / "dangjian" / "models").glob("classifier-four.*"))
    assert not list(installed["site"].rglob("*.skops"))


def _counted(out: Path, term: str) -> int:
    with open(out / "term_counts.csv", encoding="utf-8-sig", newline="") as fh:
        return sum(int(r["count"]) for r in csv.DictReader(fh) if r["term"] == term)


def test_lexicon_add_in_a_workspace_changes_what_the_next_run_counts(installed, tmp_path):
    ws = tmp_path / "ws"
    assert _run(installed, "init", str(ws), cwd=tmp_path).returncode == 0
    for p in SAMPLE.glob("*.txt"):
        (ws / "raw" / p.name).write_bytes(p.read_bytes())
    text = "\n".join(p.read_text(encoding="utf-8") for p in SAMPLE.glob("*.txt"))
    term = "党员干部"  # in the sample, not in the lexicon, overlapping no lexicon term
    assert term in text
    sub = ws / "raw"  # any folder inside the workspace finds its dangjian.toml
    before = _run(installed, "run", ".", "--out", str(ws / "out1"), cwd=sub)
    assert before.returncode == 0, before.stderr
    assert _counted(ws / "out1", term) == 0
    added = _run(installed, "lexicon", "add", term, "--category", "组织", cwd=sub)
    assert added.returncode == 0, added.stderr
    assert not (sub / "lexicons").exists()  # written to the workspace's lexicon, not the current folder
    after = _run(installed, "run", ".", "--out", str(ws / "out2"), cwd=sub)
    assert after.returncode == 0, after.stderr
    assert _counted(ws / "out2", term) == text.count(term)
