"""Cache keys hash whole packages: a module added to a package a cache kind depends on changes
that kind's fingerprint, with no list of files to keep up to date."""

from __future__ import annotations

import ast
import re
import shutil
from pathlib import Path

import pytest

from pipeline import run as engine
from pipeline.config import Settings
from pipeline.run import fingerprints
from pipeline.run.fingerprints import (
    ANALYSIS_CODE,
    INGEST_CODE,
    PIPELINE_DIR,
    analysis_fingerprint,
    code_hash,
    ingest_fingerprint,
    source_files,
)


@pytest.fixture
def tree(tmp_path, monkeypatch) -> Path:
    """A copy of the pipeline package that the fingerprints read instead of the real one."""
    copy = tmp_path / "pipeline"
    shutil.copytree(PIPELINE_DIR, copy, ignore=shutil.ignore_patterns("__pycache__"))
    monkeypatch.setattr(fingerprints, "PIPELINE_DIR", copy)
    return copy


def _fps() -> tuple[str, str, str]:
    s = Settings()
    return ingest_fingerprint(s), analysis_fingerprint(s, "model"), code_hash()


def test_a_new_ingest_module_changes_the_ingest_fingerprint(tree):
    before = _fps()
    assert _fps() == before  # stable
    (tree / "ingest" / "brand_new.py").write_text("X = 1\n", encoding="utf-8")
    after = _fps()
    assert after[0] != before[0]
    assert after[1] != before[1]  # the analysis is of the ingested paragraphs
    assert after[2] != before[2]  # and the run key's code hash covers everything


def test_a_new_analysis_module_changes_only_the_analysis_fingerprint(tree):
    for folder in ("terms", "classify", "run"):
        before = _fps()
        (tree / folder / "brand_new.py").write_text("X = 1\n", encoding="utf-8")
        after = _fps()
        assert after[0] == before[0], folder
        assert after[1] != before[1], folder
        assert after[2] != before[2], folder


def test_nested_renamed_and_non_code_files(tree):
    base = code_hash(INGEST_CODE)
    (tree / "ingest" / "sub").mkdir()
    (tree / "ingest" / "sub" / "deep.py").write_text("Y = 2\n", encoding="utf-8")
    nested = code_hash(INGEST_CODE)
    assert nested != base
    (tree / "ingest" / "sub" / "deep.py").rename(tree / "ingest" / "sub" / "other.py")
    assert code_hash(INGEST_CODE) != nested  # the relative path counts, not only the bytes
    (tree / "ingest" / "sub" / "other.py").unlink()
    (tree / "ingest" / "notes.txt").write_text("not code", encoding="utf-8")
    (tree / "ingest" / "__pycache__").mkdir()
    (tree / "ingest" / "__pycache__" / "core.cpython-311.py").write_text("junk", encoding="utf-8")
    assert code_hash(INGEST_CODE) == base
    (tree / "text.py").write_text((tree / "text.py").read_text(encoding="utf-8") + "\n# edited\n", encoding="utf-8")
    assert code_hash(INGEST_CODE) != base  # single-module packages are hashed too


def test_a_package_turned_into_a_folder_is_still_hashed(tree):
    before = code_hash(ANALYSIS_CODE)
    (tree / "segment").mkdir()
    (tree / "segment.py").rename(tree / "segment" / "__init__.py")
    after = code_hash(ANALYSIS_CODE)
    assert after != before
    assert "segment/__init__.py" in [p.relative_to(tree).as_posix() for p in source_files(ANALYSIS_CODE)]


def test_a_missing_package_is_an_error(tree):
    shutil.rmtree(tree / "ingest")
    with pytest.raises(LookupError, match="ingest"):
        ingest_fingerprint(Settings())


def test_the_real_tree_is_hashed():
    rel = {p.relative_to(PIPELINE_DIR).as_posix() for p in source_files(INGEST_CODE)}
    assert {"text.py", "config.py", "ingest/__init__.py"} <= rel
    assert all(r.startswith("ingest/") or r in ("text.py", "simplify.py", "errors.py", "config.py") for r in rel)
    rel = {p.relative_to(PIPELINE_DIR).as_posix() for p in source_files(ANALYSIS_CODE)}
    assert {"segment.py", "lexicon.py", "taxonomy.py", "text.py", "automaton.py", "run/analysis.py", "run/resources.py"} <= rel
    assert any(r.startswith("terms/") for r in rel) and any(r.startswith("classify/") for r in rel)
    assert not any(r.startswith(("ingest/", "report/", "store/")) for r in rel)
    assert {p.relative_to(PIPELINE_DIR).as_posix() for p in source_files()} >= rel


def _pipeline_imports(path: Path) -> set[str]:
    """The top-level pipeline modules/packages a file imports (module or function level)."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            parts = node.module.split(".")
            if parts[0] == "pipeline":
                found |= {parts[1]} if len(parts) > 1 else {a.name for a in node.names}
        elif isinstance(node, ast.Import):
            found |= {a.name.split(".")[1] for a in node.names if a.name.startswith("pipeline.")}
    return found


def test_the_ingest_code_imports_only_what_its_key_hashes():
    """If the ingest code starts to use another pipeline module, INGEST_CODE must name it."""
    used = set().union(*(_pipeline_imports(p) for p in source_files(INGEST_CODE)))
    assert used <= set(INGEST_CODE), sorted(used - set(INGEST_CODE))


def test_other_paragraphs_of_the_same_text_are_analysed_anew(tmp_path, sample_dir):
    """The doc_id hashes only the text: a warm re-run that splits it into other paragraphs
    (another max_paragraph_chars) must not reuse the old analysis, and equals a cold run."""
    warm, cold = tmp_path / "warm", tmp_path / "cold"
    engine.run(sample_dir, warm, workers=1, report=False, progress=False)
    short = Settings(max_paragraph_chars=60)
    again = engine.run(sample_dir, warm, short, workers=1, report=False, progress=False)
    assert again.cached == 0
    engine.run(sample_dir, cold, short, workers=1, report=False, progress=False)
    for name in sorted(p.name for p in cold.glob("*.csv")):
        assert (warm / name).read_bytes() == (cold / name).read_bytes(), name


def _opencc_copy(tmp_path: Path) -> Path:
    """A copy of the installed OpenCC's dist-info and config folder, as a package folder the view's fingerprint reads."""
    from pipeline.terms import simplify

    real = simplify._package_dir()
    if real is None:
        pytest.skip("opencc is not installed")
    pkg = tmp_path / "site" / "opencc"
    shutil.copytree(real / "clib" / "share" / "opencc", pkg / "clib" / "share" / "opencc")
    for info in real.parent.glob("opencc-*.dist-info"):
        shutil.copytree(info, tmp_path / "site" / info.name)
    return pkg


def test_an_opencc_upgrade_changes_the_analysis_fingerprint_and_the_run_key(tmp_path, monkeypatch):
    """The simplified view comes from the installed OpenCC (outside the package): its version and
    the bytes of the t2s config and dictionaries are part of the ingest and analysis fingerprints
    and the run key (ingest's rules read the view too)."""
    from pipeline.run.fingerprints import static_key
    from pipeline.terms import simplify

    s = Settings()

    def keys():
        return ingest_fingerprint(s), analysis_fingerprint(s, "model"), static_key(s, "opts", False)

    before = keys()
    pkg = _opencc_copy(tmp_path)
    monkeypatch.setattr(simplify, "_package_dir", lambda: pkg)
    assert keys() == before  # the same version and bytes elsewhere: the same keys
    for info in (tmp_path / "site").glob("opencc-*.dist-info"):
        meta = info / "METADATA"
        meta.write_text(re.sub(r"(?m)^Version:.*$", "Version: 99.0.0", meta.read_text(encoding="utf-8")), encoding="utf-8")
    upgraded = keys()
    assert upgraded[0] != before[0] and upgraded[1] != before[1] and upgraded[2] != before[2]
    table = pkg / "clib" / "share" / "opencc" / "TSCharacters.ocd2"
    table.write_bytes(table.read_bytes() + b"\0")  # a patched dictionary, same version
    patched = keys()
    assert patched[0] not in (before[0], upgraded[0]) and patched[1] not in (before[1], upgraded[1]) and patched[2] not in (before[2], upgraded[2])
    (pkg / "clib" / "share" / "opencc" / f"{simplify.CONFIG}.json").write_text("{}", encoding="utf-8")
    assert keys()[1] != patched[1]  # the config file's bytes count


def test_a_run_after_an_opencc_upgrade_is_analysed_anew(tmp_path, sample_dir, monkeypatch):
    from pipeline.terms import simplify

    raw, out = tmp_path / "raw", tmp_path / "out"
    shutil.copytree(sample_dir, raw)
    n = engine.run(raw, out, workers=1, report=False, progress=False).counts["ok"]
    seed = sorted(raw.glob("*.txt"))[0]
    (raw / "extra.txt").write_text(seed.read_text(encoding="utf-8") + "\n全面从严治党永远在路上。\n", encoding="utf-8")
    assert engine.run(raw, out, workers=1, report=False, progress=False).cached == 2 * n  # the old files: ingest and analysis cached
    real = simplify._version
    monkeypatch.setattr(simplify, "_version", lambda package: real(package) + ".post1")
    again = engine.run(raw, out, workers=1, report=False, progress=False)
    assert again.cached == 0  # ingest reads the view too: every file is ingested and analysed anew
