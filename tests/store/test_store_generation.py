"""pipeline.store.generation: staging, the switch-over, recovery, sweeping and the readers' check."""

from __future__ import annotations

import json
import os
import warnings
from pathlib import Path

import pytest

from pipeline.errors import MixedOutputs
from pipeline.store import generation
from pipeline.store.filehash import FileHashes


def _stage(out: Path, files: dict[str, bytes]) -> generation.Staging:
    st = generation.Staging(out)
    for rel, data in files.items():
        (st.path / rel).parent.mkdir(parents=True, exist_ok=True)
        (st.path / rel).write_bytes(data)
    return st


def _files(out: Path) -> dict[str, bytes]:
    return {
        p.relative_to(out).as_posix(): p.read_bytes()
        for p in out.rglob("*")
        if p.is_file() and not any(part.startswith(".") for part in p.relative_to(out).parts)
    }


def test_publish_switches_every_file_and_writes_the_manifest_last(tmp_path):
    first = {"a.csv": b"1", "b.parquet": b"2", "figures/x.png": b"3", "report.html": b"4"}
    manifest = _stage(tmp_path, first).publish({"key": "k1"})
    assert _files(tmp_path) == first
    assert generation.read_generation(tmp_path) == manifest
    assert list(manifest["files"]) == ["a.csv", "b.parquet", "figures/x.png", "report.html"]  # the fixed order
    assert manifest["files"]["a.csv"]["size"] == 1 and manifest["key"] == "k1"
    second = {"a.csv": b"11", "figures/y.png": b"5"}
    _stage(tmp_path, second).publish({})
    assert _files(tmp_path) == second  # files of the previous generation only are removed
    assert not list(tmp_path.glob(".staging-*")) and not generation.pending(tmp_path)


def test_files_not_of_a_generation_are_left_alone(tmp_path):
    (tmp_path / "notes.txt").write_text("mine")
    _stage(tmp_path, {"a.csv": b"1"}).publish({})
    _stage(tmp_path, {"b.csv": b"2"}).publish({})
    assert _files(tmp_path) == {"b.csv": b"2", "notes.txt": b"mine"}


def test_discard_before_the_commit_point(tmp_path):
    _stage(tmp_path, {"a.csv": b"1"}).publish({})
    st = _stage(tmp_path, {"a.csv": b"new"})
    st.discard()
    assert _files(tmp_path) == {"a.csv": b"1"} and not list(tmp_path.glob(".staging-*"))


def _interrupted(tmp_path: Path, monkeypatch, moved: int) -> dict:
    """A switch-over stopped after ``moved`` renames (the journal's included)."""
    _stage(tmp_path, {"a.csv": b"old-a", "b.csv": b"old-b", "gone.csv": b"old"}).publish({})
    st = _stage(tmp_path, {"a.csv": b"new-a", "b.csv": b"new-b", "c.csv": b"new-c"})
    real, n = os.replace, {"k": 0}

    def replace(src, dst):
        if ".staging-" in str(src) and ".staging-" not in str(dst):
            if n["k"] == moved:
                raise KeyboardInterrupt
            n["k"] += 1
        real(src, dst)

    monkeypatch.setattr(os, "replace", replace)
    with pytest.raises(KeyboardInterrupt):
        st.publish({})
    monkeypatch.setattr(os, "replace", real)
    return json.loads((tmp_path / generation.JOURNAL).read_text())


@pytest.mark.parametrize("moved", [1, 2, 3, 4])
def test_recover_completes_an_interrupted_switch_over(tmp_path, monkeypatch, moved):
    _interrupted(tmp_path, monkeypatch, moved)
    with pytest.raises(MixedOutputs):
        generation.check_readable(tmp_path, wait=0.1)
    assert generation.recover(tmp_path) == "completed"
    assert _files(tmp_path) == {"a.csv": b"new-a", "b.csv": b"new-b", "c.csv": b"new-c"}
    assert not generation.pending(tmp_path) and not list(tmp_path.glob(".staging-*"))
    assert generation.check_readable(tmp_path, ["a.csv"]) is not None


def test_recover_rolls_back_when_the_staged_files_are_lost(tmp_path, monkeypatch):
    journal = _interrupted(tmp_path, monkeypatch, 2)
    (tmp_path / journal["staging"] / "c.csv").unlink()
    assert generation.recover(tmp_path) == "rolled back"
    assert _files(tmp_path) == {"a.csv": b"old-a", "b.csv": b"old-b", "gone.csv": b"old"}
    assert not generation.pending(tmp_path)


def test_a_journal_we_did_not_write_is_dropped(tmp_path):
    (tmp_path / generation.JOURNAL).write_text('{"staging": "../../etc"}')
    assert generation.recover(tmp_path) == "rolled back" and not generation.pending(tmp_path)


def test_sweep_removes_our_leftovers_only(tmp_path):
    ours = [".staging-x/a.csv", ".a.csv.abcdefgh.tmp", "figures/.b.png.12345678.tmp", ".cache/tmp/k.tmp", ".cache/.filehashes.json.abcd_fgh.tmp"]
    theirs = ["a.tmp", ".a.csv.tmp", "sub/.a.csv.abcdefgh.tmp", ".cache/ingest/ab/.x.tmp"]
    for rel in ours + theirs:
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_text("x")
    assert generation.sweep(tmp_path) == len(ours)
    assert all((tmp_path / rel).exists() for rel in theirs)
    assert not any((tmp_path / rel).exists() for rel in ours)


def test_sweep_keeps_the_staging_folder_of_a_pending_switch_over(tmp_path, monkeypatch):
    journal = _interrupted(tmp_path, monkeypatch, 1)
    generation.sweep(tmp_path)
    assert (tmp_path / journal["staging"]).is_dir()
    assert generation.recover(tmp_path) == "completed"


def test_readers_warn_about_edited_files(tmp_path):
    _stage(tmp_path, {"a.csv": b"1234"}).publish({})
    (tmp_path / "a.csv").write_bytes(b"12345")
    with pytest.warns(UserWarning, match="a.csv"):
        generation.check_readable(tmp_path, ["a.csv", "b.csv"])
    (tmp_path / "a.csv").write_bytes(b"1234")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        generation.check_readable(tmp_path, ["a.csv", "b.csv"])


def test_verify_uses_content_not_size(tmp_path):
    manifest = _stage(tmp_path, {"a.csv": b"1234"}).publish({})
    assert generation.verify(tmp_path, manifest) == []
    (tmp_path / "a.csv").write_bytes(b"1235")
    assert generation.verify(tmp_path, manifest) == ["a.csv"]
    (tmp_path / "a.csv").unlink()
    assert generation.verify(tmp_path, manifest, FileHashes(None)) == ["a.csv"]
