"""Finding 6: a password-protected .docx is an OLE2 / CFB container holding the streams
``EncryptionInfo`` and ``EncryptedPackage`` (not a zip); it was logged "corrupt .docx". It
gets its own reason; a CFB without them (a legacy .doc renamed .docx) says so."""

from __future__ import annotations

import os
import struct
from pathlib import Path

from pipeline.ingest import ingest_file

END, FREE, FATSECT, NOSTREAM = 0xFFFFFFFE, 0xFFFFFFFF, 0xFFFFFFFD, 0xFFFFFFFF


def _entry(name: str, kind: int, child: int = NOSTREAM, right: int = NOSTREAM, start: int = END, size: int = 0) -> bytes:
    raw = name.encode("utf-16-le") + b"\x00\x00"
    return (
        raw.ljust(64, b"\x00")
        + struct.pack("<HBB", len(raw), kind, 1)
        + struct.pack("<III", NOSTREAM, right, child)
        + b"\x00" * 16
        + b"\x00" * 4
        + b"\x00" * 16
        + struct.pack("<IQ", start, size)
    )


def cfb(streams: dict[str, bytes]) -> bytes:
    """A minimal, valid Compound File Binary (version 3, 512-byte sectors) holding ``streams``
    (each padded to >= 4096 bytes, so no mini stream is needed)."""
    sector = 512
    data = {name: body.ljust(4096, b"\x00") for name, body in streams.items()}
    fat = [FATSECT, END]  # sector 0: the FAT, sector 1: the directory
    starts = {}
    for name, body in data.items():
        n = -(-len(body) // sector)
        starts[name] = len(fat)
        fat += [len(fat) + i + 1 for i in range(n - 1)] + [END]
    names = list(data)
    entries = _entry("Root Entry", 5, child=1 if names else NOSTREAM)
    for i, name in enumerate(names, start=1):
        entries += _entry(name, 2, right=i + 1 if i < len(names) else NOSTREAM, start=starts[name], size=len(streams[name]))
    entries = entries.ljust(sector, b"\x00")
    header = (
        b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
        + b"\x00" * 16
        + struct.pack("<HHHHH", 0x3E, 3, 0xFFFE, 9, 6)
        + b"\x00" * 6
        + struct.pack("<IIIIIIIII", 0, 1, 1, 0, 4096, END, 0, END, 0)
        + struct.pack("<I", 0)
        + struct.pack("<I", FREE) * 108
    )
    fat_sector = struct.pack(f"<{sector // 4}I", *(fat + [FREE] * (sector // 4 - len(fat))))
    return header + fat_sector + entries + b"".join(body.ljust(-(-len(body) // sector) * sector, b"\x00") for body in data.values())


def test_encrypted_docx_has_its_own_reason(tmp_path):
    info = struct.pack("<HHI", 4, 4, 0x40) + b"<?xml version='1.0'?><encryption/>"
    (tmp_path / "secret.docx").write_bytes(cfb({"EncryptionInfo": info, "EncryptedPackage": struct.pack("<Q", 5000) + os.urandom(5000)}))
    row, doc = ingest_file(tmp_path / "secret.docx", tmp_path)
    assert doc is None and row.status == "unreadable"
    assert "encrypted .docx (password required)" in row.reason and "corrupt" not in row.reason


def test_renamed_legacy_doc_is_not_called_encrypted(tmp_path):
    (tmp_path / "old.docx").write_bytes(cfb({"WordDocument": os.urandom(6000)}))
    row, _ = ingest_file(tmp_path / "old.docx", tmp_path)
    assert row.status == "unreadable" and "legacy Word .doc" in row.reason and "encrypted" not in row.reason


def test_cfb_builder_is_a_real_compound_file():
    """The container the tests build is what Office writes (checked with olefile when present)."""
    import pytest

    olefile = pytest.importorskip("olefile")
    data = cfb({"EncryptionInfo": b"x" * 10, "EncryptedPackage": b"y" * 5000})
    ole = olefile.OleFileIO(data)
    assert ole.exists("EncryptedPackage") and ole.openstream("EncryptedPackage").read(5000) == b"y" * 5000


def test_real_zip_docx_still_reads(tmp_path):
    import docx

    d = docx.Document()
    d.add_paragraph("全年坚决做到两个维护，严格落实三会一课制度。")
    d.save(tmp_path / "ok.docx")
    row, doc = ingest_file(Path(tmp_path / "ok.docx"), tmp_path)
    assert row.status == "ok"
