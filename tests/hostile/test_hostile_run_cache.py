"""Finding 5: the cache never corrupts an output. A flipped bit in a blob, a blob whose payload
does not match its hash, a blob of another version or of the wrong shape: each is recomputed,
counted in the summary, and the tables equal a cold run's. The unchanged-run shortcut checks
content: an input edited with its size and mtime kept, a truncated or edited output, a missing
figure: each makes the run redo its work; a truly unchanged run reads no file it has hashed."""

from __future__ import annotations

import hashlib
import os
import shutil
from pathlib import Path

import pytest
from test_hostile_run_helpers import leftovers, make_raw, outputs

from pipeline import run as engine
from pipeline.run.blobs import analysis_check, valid_ingest
from pipeline.run.cache import MAGIC, SCHEMA_VERSION, Cache
from pipeline.store import filehash


def _csvs(out: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(out.glob("*.csv"))}


@pytest.fixture(scope="module")
def cold(tmp_path_factory):
    base = tmp_path_factory.mktemp("cache-cold")
    raw = make_raw(base)
    out = base / "cold"
    engine.run(raw, out, workers=1, report=False, progress=False)
    return raw, out


def _blobs(out: Path, kind: str) -> list[Path]:
    return sorted((out / engine.CACHE_DIR / kind).glob("*/*.json.zst"))


def _payload(blob: Path):
    import orjson
    import zstandard

    data = blob.read_bytes()
    return orjson.loads(zstandard.ZstdDecompressor().decompress(data[len(MAGIC) + 33 :]))


def _write_blob(blob: Path, value, *, header_of=None) -> None:
    """``value`` as a well-formed blob (valid zstd frame and checksum); with ``header_of`` the
    header (payload hash) of another value: a payload that does not match its hash."""
    import orjson
    import zstandard

    payload = orjson.dumps(value)
    digest = hashlib.sha256(orjson.dumps(header_of) if header_of is not None else payload).digest()
    blob.write_bytes(MAGIC + bytes([SCHEMA_VERSION]) + digest + zstandard.ZstdCompressor(write_checksum=True).compress(payload))


def _rerun(raw: Path, out: Path):
    (out / engine.MANIFEST).unlink()  # no unchanged-run shortcut: every document goes through the cache
    return engine.run(raw, out, workers=1, report=False, progress=False)


def test_a_payload_that_does_not_match_its_hash_is_recomputed(tmp_path, cold):
    """The corruption of the finding: 使 became 佂 in a paragraph. The old cache (no checksum)
    served it into paragraphs.csv; now the payload hash catches it."""
    raw, ref = cold
    out = tmp_path / "out"
    shutil.copytree(ref, out)
    for blob in _blobs(out, "ingest"):
        value = _payload(blob)
        text = "\n".join(p["text"] for p in value.get("paragraphs") or [])
        if "使" in text:
            bad = {**value, "paragraphs": [{**p, "text": p["text"].replace("使", "佂")} for p in value["paragraphs"]]}
            _write_blob(blob, bad, header_of=value)
            break
    else:
        pytest.fail("no paragraph with 使 in the sample")
    again = _rerun(raw, out)
    assert again.recomputed == 1 and "1 cache blobs recomputed" in again.text()
    assert "佂" not in (out / "paragraphs.csv").read_text(encoding="utf-8-sig")
    assert _csvs(out) == _csvs(ref)


def test_every_flipped_bit_of_a_blob_is_caught(tmp_path):
    """zstd's content checksum and the payload hash: no single-bit flip anywhere in a blob
    decodes to another value (the old blobs decoded many of them into other text)."""
    cache = Cache(tmp_path / "c")
    value = {"log": {"path": "a.txt", "status": "ok", "reason": "", "doc_id": "d1"}, "doc": None}
    value["paragraphs"] = [{"text": "坚持党的全面领导，使全面从严治党向纵深发展。" * 3}]
    cache.put("ingest", "ab" * 32, value)
    blob = next((tmp_path / "c" / "ingest").rglob("*.json.zst"))
    good = blob.read_bytes()
    assert cache.get("ingest", "ab" * 32) == value
    served = 0
    for i in range(len(good)):
        for bit in range(8):
            blob.write_bytes(good[:i] + bytes([good[i] ^ (1 << bit)]) + good[i + 1 :])
            got = cache.get("ingest", "ab" * 32)
            assert got is None or got == value, (i, bit)  # never another value
            served += got is not None  # a flip in a field the decoder does not need (zstd's frame header)
    assert cache.rejected == 8 * len(good) - served and served < 16
    assert list((tmp_path / "c").rglob("*.tmp")) == []


@pytest.mark.parametrize(
    "case", ["ingest-list", "ingest-no-text", "ingest-year-text", "analysis-short", "analysis-counts", "old-version", "old-format"]
)
def test_a_valid_blob_of_the_wrong_shape_is_recomputed_not_a_crash(tmp_path, cold, case):
    """A blob that decodes but is not of the run's shape used to crash every later run until
    .cache was deleted; now it is recomputed (and the new blob replaces it)."""
    raw, ref = cold
    out = tmp_path / "out"
    shutil.copytree(ref, out)
    ingest, analysis = _blobs(out, "ingest"), _blobs(out, "analysis")
    doc_blob = next(b for b in ingest if _payload(b).get("doc"))
    value = _payload(doc_blob)
    ana_blob = analysis[0]
    ana = _payload(ana_blob)
    if case == "ingest-list":
        _write_blob(doc_blob, [value])
    elif case == "ingest-no-text":
        _write_blob(doc_blob, {**value, "paragraphs": [{k: v for k, v in p.items() if k != "text"} for p in value["paragraphs"]]})
    elif case == "ingest-year-text":
        _write_blob(doc_blob, {**value, "doc": {**value["doc"], "year": "二〇二〇"}})
    elif case == "analysis-short":
        _write_blob(ana_blob, {**ana, "labels": ana["labels"][:-1]})
    elif case == "analysis-counts":
        _write_blob(ana_blob, {**ana, "term_hits": {t: str(n) for t, n in ana["term_hits"].items()} or {"两个维护": "3"}})
    elif case == "old-version":
        data = bytearray(doc_blob.read_bytes())
        data[len(MAGIC)] = SCHEMA_VERSION - 1
        doc_blob.write_bytes(bytes(data))
    else:  # a blob of the layout before checksums: a bare zstd frame of the JSON
        import orjson
        import zstandard

        doc_blob.write_bytes(zstandard.ZstdCompressor(level=1).compress(orjson.dumps(value)))
    again = _rerun(raw, out)
    assert again.recomputed == 1, again.text()
    assert _csvs(out) == _csvs(ref)
    third = _rerun(raw, out)  # the recomputed blob replaced the bad one
    assert third.recomputed == 0 and third.cached == 10


def test_shape_checks_accept_what_the_run_writes(cold):
    raw, ref = cold
    for blob in _blobs(ref, "ingest"):
        assert valid_ingest(_payload(blob)), blob
    for blob in _blobs(ref, "analysis"):
        value = _payload(blob)
        cols = [k for k in value["labels"][0] if k.startswith("p_")]
        assert analysis_check(len(value["labels"]), cols)(value)
        assert not analysis_check(len(value["labels"]) + 1, cols)(value)


# ------------------------------------------------------------------ the unchanged-run shortcut
def _same_size_edit(path: Path, old: str, new: str) -> None:
    """Replace text keeping the byte size and restoring atime/mtime (``touch -r``-style)."""
    st = path.stat()
    data = path.read_bytes()
    a, b = old.encode(), new.encode()
    assert len(a) == len(b) and a in data
    path.write_bytes(data.replace(a, b, 1))
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns))
    assert path.stat().st_size == st.st_size and path.stat().st_mtime_ns == st.st_mtime_ns


def test_an_input_edit_that_keeps_size_and_mtime_is_seen(tmp_path):
    raw = make_raw(tmp_path)
    out = tmp_path / "out"
    engine.run(raw, out, workers=1, report=False, progress=False)
    report = next(p for p in sorted(raw.rglob("*.txt")) if "两个维护" in p.read_text(encoding="utf-8"))
    _same_size_edit(report, "两个维护", "两个确立")
    again = engine.run(raw, out, workers=1, report=False, progress=False)
    assert "up to date" not in again.text()
    cold = tmp_path / "cold"
    engine.run(raw, cold, workers=1, report=False, progress=False)
    assert _csvs(out) == _csvs(cold)


@pytest.mark.parametrize("damage", ["truncate", "same-size-edit", "delete-figure", "delete-parquet"])
def test_a_damaged_output_is_not_reported_up_to_date(tmp_path, damage):
    raw = make_raw(tmp_path)
    out = tmp_path / "out"
    engine.run(raw, out, workers=1, report=True, progress=False)
    good = outputs(out)
    paras = out / "paragraphs.csv"
    if damage == "truncate":
        st = paras.stat()
        with open(paras, "r+b") as fh:
            fh.truncate(st.st_size // 2)
        os.utime(paras, ns=(st.st_atime_ns, st.st_mtime_ns))
    elif damage == "same-size-edit":
        _same_size_edit(paras, "党", "兑")
    elif damage == "delete-figure":
        next((out / "figures").glob("*.png")).unlink()
    else:
        (out / "documents.parquet").unlink()
    again = engine.run(raw, out, workers=1, report=True, progress=False)
    assert "up to date" not in again.text()
    assert outputs(out) == good and leftovers(out) == []
    assert "up to date" in engine.run(raw, out, workers=1, report=True, progress=False).text()


def test_an_unchanged_run_reads_no_file_it_has_hashed(tmp_path, monkeypatch):
    """The content check is cheap: files whose inode, size, mtime and ctime are unchanged are
    not read again (their hashes are cached in .cache/filehashes.json)."""
    monkeypatch.setattr(filehash, "RACY_NS", 0)  # files this young are otherwise hashed again (racy-git rule)
    raw = make_raw(tmp_path)
    out = tmp_path / "out"
    engine.run(raw, out, workers=1, report=True, progress=False)
    assert "up to date" in engine.run(raw, out, workers=1, report=True, progress=False).text()  # fills the cache
    reads = []
    real = filehash.sha256_file
    monkeypatch.setattr(filehash, "sha256_file", lambda path, limit=None: reads.append(str(path)) or real(path, limit))
    assert "up to date" in engine.run(raw, out, workers=1, report=True, progress=False).text()
    assert reads == []
