"""Hostile inputs in one batch with the good sample reports: nothing lost, nothing crashes.

Every case is built at test time (nothing large is committed). The batch runs through the real
CLI in a subprocess so peak memory can be measured; see docs/reliability.md for the table.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import threading
import time
import zipfile
from pathlib import Path

import pandas as pd
import pytest

ROOT = Path(__file__).resolve().parents[2]
SAMPLE = ROOT / "data" / "raw" / "sample"
DANGJIAN = [sys.executable, "-m", "pipeline.cli"]
BATCH_TIME_LIMIT = 240  # seconds for the whole hostile batch (the 30 MB line dominates)
MEMORY_LIMIT = 3 * 2**30


def _zip_bomb(path: Path, inflated: int = 1 << 30) -> None:
    """A .docx whose document.xml inflates to ``inflated`` bytes (1 GiB) from ~1 MB."""
    chunk = b"<w:t>" + b"0" * (1 << 20) + b"</w:t>"
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=9) as zf:
        zf.writestr("[Content_Types].xml", '<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"/>')
        with zf.open("word/document.xml", "w", force_zip64=True) as fh:
            written = 0
            while written < inflated:
                fh.write(chunk)
                written += len(chunk)


def _pdfs(folder: Path) -> None:
    from pypdf import PdfWriter

    w = PdfWriter()
    w.add_blank_page(width=200, height=200)
    w.encrypt("secret")
    with open(folder / "encrypted.pdf", "wb") as fh:
        w.write(fh)
    w = PdfWriter()
    w.add_blank_page(width=200, height=200)
    with open(folder / "scanned.pdf", "wb") as fh:
        w.write(fh)
    (folder / "malformed.pdf").write_bytes(b"%PDF-1.7\n1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj\ntrailer <<>>\n%%EOF garbage \x00\x01")


def build_hostile(raw: Path) -> dict[str, str]:
    """Write the hostile cases into ``raw``; return {relative path: expected status}."""
    expect: dict[str, str] = {}
    good = raw / "good"
    shutil.copytree(SAMPLE, good)
    for p in good.iterdir():
        expect[f"good/{p.name}"] = "ok"
    bad = raw / "bad"
    bad.mkdir()
    _zip_bomb(bad / "bomb.docx")
    expect["bad/bomb.docx"] = "unreadable"
    seed = (SAMPLE / "003_bd08b3d372a54d52.txt").read_text(encoding="utf-8").replace("\n", "")
    with open(bad / "one_line_30mb.txt", "w", encoding="utf-8") as fh:
        while fh.tell() < 30_000_000:
            fh.write(seed)
    expect["bad/one_line_30mb.txt"] = "ok"
    _pdfs(bad)
    expect.update({"bad/encrypted.pdf": "unreadable", "bad/scanned.pdf": "unreadable", "bad/malformed.pdf": "unreadable"})
    (bad / "nested.html").write_text(
        "<html><body>" + "<div>" * 30000 + "加强党的政治建设,坚决做到两个维护。" + "</div>" * 30000 + "</body></html>", encoding="utf-8"
    )
    expect["bad/nested.html"] = "any"
    mostly_gbk = (
        "加强党的政治建设,坚决做到两个维护,严格落实三会一课制度。\n".encode("gbk") * 20 + b"\x81\xff\xfe" + "全面从严治党永远在路上。\n".encode("gbk")
    )
    (bad / "mostly_gbk.txt").write_bytes(mostly_gbk)
    expect["bad/mostly_gbk.txt"] = "ok"
    (bad / "english.txt").write_text("Annual report of the committee.\n\nThe committee met four times and approved the budget.\n", encoding="utf-8")
    expect["bad/english.txt"] = "ok"
    (bad / "injection.txt").write_text(
        '=HYPERLINK("http://evil.example","点击")\n\n+SUM(1,2)坚决做到两个维护,严格落实一岗双责。\n\n'
        "-2+3 全面从严治党,落实三会一课制度。\n\n@cmd 加强作风建设,整治四风问题。\n",
        encoding="utf-8",
    )
    expect["bad/injection.txt"] = "ok"
    (bad / "empty.txt").write_bytes(b"")
    expect["bad/empty.txt"] = "empty"
    (bad / "binary.txt").write_bytes(os.urandom(4096))
    expect["bad/binary.txt"] = "unreadable"
    names = raw / "names"
    names.mkdir()
    body = (SAMPLE / "002_6e530d1dddefc870.txt").read_text(encoding="utf-8")
    for i, name in enumerate(["with space.txt", "中文 名字.txt", "quote'\"s.txt", "new\nline.txt"]):
        (names / name).write_text(body + f"\n第{i}份副本,用于测试文件名。\n", encoding="utf-8")
        expect[f"names/{name}".replace("\n", "\\n")] = "ok"
    loop = raw / "loop"
    loop.mkdir()
    (loop / "self").symlink_to(loop, target_is_directory=True)
    (loop / "gone.txt").symlink_to(raw / "does-not-exist.txt")
    expect["loop/gone.txt"] = "unreadable"
    deep = raw / "deep"
    for i in range(120):
        deep = deep / f"d{i}"
    deep.mkdir(parents=True)
    (deep / "deep.txt").write_text("深层目录中的文件:加强党的建设。", encoding="utf-8")
    locked_dir = raw / "locked_dir"
    locked_dir.mkdir()
    (locked_dir / "x.txt").write_text("加强党的建设", encoding="utf-8")
    locked_file = raw / "locked.txt"
    locked_file.write_text("加强党的建设", encoding="utf-8")
    return expect


def _rss_tree(pid: int) -> int:
    import psutil

    try:
        proc = psutil.Process(pid)
        return sum(p.memory_info().rss for p in [proc] + proc.children(recursive=True))
    except psutil.Error:
        return 0


@pytest.fixture(scope="module")
def hostile_run(tmp_path_factory):
    raw = tmp_path_factory.mktemp("raw")
    out = tmp_path_factory.mktemp("out")
    expect = build_hostile(raw)
    (raw / "locked.txt").chmod(0)
    (raw / "locked_dir").chmod(0)
    peak = 0
    try:
        t0 = time.monotonic()
        proc = subprocess.Popen(
            DANGJIAN + ["run", str(raw), "--out", str(out), "--no-report"], cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
        )
        done = threading.Event()
        output: list[str] = []
        reader = threading.Thread(target=lambda: (output.append(proc.stdout.read()), done.set()), daemon=True)
        reader.start()
        while not done.wait(0.1):
            peak = max(peak, _rss_tree(proc.pid))
            if time.monotonic() - t0 > BATCH_TIME_LIMIT:
                proc.kill()
                pytest.fail(f"hostile batch took over {BATCH_TIME_LIMIT}s")
        proc.wait()
        elapsed = time.monotonic() - t0
    finally:
        (raw / "locked.txt").chmod(0o644)
        (raw / "locked_dir").chmod(0o755)
    log = pd.read_csv(out / "ingest_log.csv", encoding="utf-8-sig", dtype=str, keep_default_na=False)
    return {
        "raw": raw,
        "out": out,
        "expect": expect,
        "code": proc.returncode,
        "output": "".join(output),
        "peak": peak,
        "log": log,
        "elapsed": elapsed,
    }


def test_batch_exit_zero_and_bounded(hostile_run):
    assert hostile_run["code"] == 0, hostile_run["output"][-3000:]
    assert hostile_run["peak"] < MEMORY_LIMIT, f"peak RSS {hostile_run['peak'] / 2**20:.0f} MiB"


def test_every_case_logged_with_reason(hostile_run):
    log = hostile_run["log"].set_index("path")
    for path, status in hostile_run["expect"].items():
        assert path in log.index, f"{path!r} missing from ingest_log.csv"
        row = log.loc[path]
        if status != "any":
            assert row["status"] == status, (path, row["status"], row["reason"])
        assert row["reason"].strip() and "\n" not in row["reason"]
    reasons = dict(zip(log.index, log["reason"]))
    assert "zip bomb" in reasons["bad/bomb.docx"]
    assert "encrypted" in reasons["bad/encrypted.pdf"]
    assert "no text layer" in reasons["bad/scanned.pdf"]
    assert "replaced" in reasons["bad/mostly_gbk.txt"]
    assert "no Chinese text" in reasons["bad/english.txt"]
    assert any("symlink loop" in r or "already visited" in r for r in log["reason"])
    if os.geteuid() != 0:
        assert log.loc["locked.txt", "status"] == "unreadable"


def test_sample_fully_processed(hostile_run, sample_dir):
    from pipeline.ingest import ingest_file

    docs = pd.read_csv(hostile_run["out"] / "documents.csv", encoding="utf-8-sig", dtype=str, keep_default_na=False)
    paras = pd.read_csv(hostile_run["out"] / "paragraphs.csv", encoding="utf-8-sig", dtype=str, keep_default_na=False)
    for name in sorted(p.name for p in sample_dir.glob("*.txt")):
        _, doc = ingest_file(sample_dir / name, sample_dir)
        row = docs[docs["path"] == f"good/{name}"]
        assert len(row) == 1, name
        got = paras[paras["doc_id"] == row["doc_id"].iloc[0]]
        assert len(got) == len(doc.paragraphs)
        assert got["label"].ne("").all()


def test_long_line_processed(hostile_run):
    docs = pd.read_csv(hostile_run["out"] / "documents.csv", encoding="utf-8-sig", dtype=str, keep_default_na=False)
    big = docs[docs["path"] == "bad/one_line_30mb.txt"]
    assert len(big) == 1 and int(big["n_chars"].iloc[0]) > 9_000_000
    counts = pd.read_csv(hostile_run["out"] / "term_counts.csv", encoding="utf-8-sig", dtype=str, keep_default_na=False)
    mine = counts[counts["doc_id"] == big["doc_id"].iloc[0]].set_index("term")
    assert int(mine.loc["两个维护", "count"]) > 1000


def test_csv_formula_injection_escaped(hostile_run):
    out = hostile_run["out"]
    raw_csv = (out / "documents.csv").read_text(encoding="utf-8-sig")
    assert "'=HYPERLINK" in raw_csv
    docs = pd.read_csv(out / "documents.csv", encoding="utf-8-sig", dtype=str, keep_default_na=False)
    for col in docs.columns:
        assert not docs[col].str.match(r"^[=+\-@]").any(), col
    paras = pd.read_csv(out / "paragraphs.csv", encoding="utf-8-sig", dtype=str, keep_default_na=False)
    assert not paras["text"].str.match(r"^[=+\-@]").any()
    assert paras["text"].str.startswith("'+SUM(1,2)").any()
    assert paras["text"].str.startswith("'-2+3").any()
    assert paras["text"].str.startswith("'@cmd").any()
    # Parquet keeps the original text
    pq = pd.read_parquet(out / "paragraphs.parquet")
    assert pq["text"].str.startswith("+SUM(1,2)").any()
    dq = pd.read_parquet(out / "documents.parquet")
    assert dq["title"].str.startswith("=HYPERLINK").any()


def test_file_disappearing_mid_run(tmp_path, monkeypatch):
    """A file listed by discovery but deleted before it is read costs one log line.

    The run stage finds files through ``from pipeline.ingest import discover``, which the package
    resolves from ``pipeline.ingest.walk`` on every access; so the patch goes there."""
    from pipeline import run as engine
    from pipeline.ingest import walk

    raw = tmp_path / "raw"
    shutil.copytree(SAMPLE, raw)
    ghost = raw / "ghost.txt"
    real = walk.discover

    def discover_then_delete(folder, settings, out_dir=None):
        files, sheets, log = real(folder, settings, out_dir)
        return files + [ghost], sheets, log

    monkeypatch.setattr(walk, "discover", discover_then_delete)
    summary = engine.ingest_only(raw, tmp_path / "out", progress=False)
    log = pd.read_csv(tmp_path / "out" / "ingest_log.csv", encoding="utf-8-sig", dtype=str, keep_default_na=False)
    row = log[log["path"] == "ghost.txt"].iloc[0]
    assert row["status"] == "unreadable" and "disappeared" in row["reason"]
    assert summary.n_documents == 5
