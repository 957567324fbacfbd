"""Finding 5: bounded cost. A 40 MB .docx of tiny paragraphs (under the zip-bomb limits)
peaked at 7.7 GiB, a 200 MB text file at 1.6-6.4 GiB, and a 438 KB metadata.xlsx of 3 million
rows took 178 s to set up. Now text is decoded incrementally, the .docx body is streamed with
iterparse, assembly holds compact lines, and sheets are refused by size, rows and cells
before a parser sees them. Peak memory is measured in a subprocess (ru_maxrss); the full-size
cases are marked slow; docs/reliability.md has the numbers."""

from __future__ import annotations

import io
import os
import random
import subprocess
import sys
import textwrap
import time
import zipfile
from pathlib import Path

import pytest

from pipeline.ingest import read_sheets

ROOT = Path(__file__).resolve().parents[2]
SAMPLE = ROOT / "data" / "raw" / "sample"
MiB = 1 << 20
COMMON = "的一是了我不人在他有这个上们来到时大地为子中你说生国年着就那和要她出也得里后自以会家可下而过天去能对小多然于心学么之都好看起发当没成只如事把还用第样道想作种开美总从无情己面最女但现前些所同日手又行意动方期它头经长儿回位分爱老因很给名法间斯知世"


# --------------------------------------------------------------------------- builders
def tiny_paragraph_docx(path: Path, paragraphs: int) -> None:
    """A valid .docx whose body is ``paragraphs`` paragraphs of 1-4 random characters (random,
    so the zip stays within the zip-bomb ratio: ~40 MB for 7.7 million paragraphs)."""
    import docx

    buf = io.BytesIO()
    docx.Document().save(buf)
    template = zipfile.ZipFile(io.BytesIO(buf.getvalue()))
    rnd = random.Random(1)
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=6) as zf:
        for item in template.infolist():
            if item.filename != "word/document.xml":
                zf.writestr(item, template.read(item))
        with zf.open("word/document.xml", "w", force_zip64=True) as fh:
            fh.write(
                b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:body>'
            )
            left = paragraphs
            while left > 0:
                n = min(left, 10000)
                fh.write("".join(f"<w:p><w:r><w:t>{''.join(rnd.choices(COMMON, k=rnd.randint(1, 4)))}</w:t></w:r></w:p>" for _ in range(n)).encode())
                left -= n
            fh.write(b"<w:sectPr/></w:body></w:document>")


def big_text(path: Path, size: int) -> None:
    """The seed reports over and over (each copy numbered) up to ``size`` bytes."""
    seed = "\n".join(p.read_text(encoding="utf-8") for p in sorted(SAMPLE.glob("*.txt"))).encode()
    with open(path, "wb") as fh:
        i = 0
        while fh.tell() < size:
            fh.write(seed + f"\n第{i}遍。\n".encode())
            i += 1


def xlsx(path: Path, rows: int, *, dimension: bool) -> None:
    """A metadata.xlsx of ``rows`` identical rows (file, year): tiny on disk, huge inflated."""
    ns = 'xmlns="http://schemas.openxmlformats.org/package/2006/relationships"'
    parts = {
        "[Content_Types].xml": '<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/><Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/></Types>',
        "_rels/.rels": f'<?xml version="1.0" encoding="UTF-8"?><Relationships {ns}><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>',
        "xl/workbook.xml": '<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets><sheet name="Sheet1" sheetId="1" r:id="rId1"/></sheets></workbook>',
        "xl/_rels/workbook.xml.rels": f'<?xml version="1.0" encoding="UTF-8"?><Relationships {ns}><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/></Relationships>',
    }
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as zf:
        for name, body in parts.items():
            zf.writestr(name, body)
        with zf.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as fh:
            fh.write(b'<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">')
            if dimension:
                fh.write(b'<dimension ref="A1:B%d"/>' % rows)
            fh.write(b'<sheetData><row><c t="inlineStr"><is><t>file</t></is></c><c t="inlineStr"><is><t>year</t></is></c></row>')
            row = b'<row><c t="inlineStr"><is><t>a.txt</t></is></c><c><v>2020</v></c></row>'
            left = rows - 1
            while left > 0:
                n = min(left, 10000)
                fh.write(row * n)
                left -= n
            fh.write(b"</sheetData></worksheet>")


def peak_rss(path: Path) -> tuple[int, str]:
    """(peak RSS in bytes, log row) of ingest_file on ``path`` in a fresh interpreter: its own
    high-water mark (VmHWM; ru_maxrss would carry the forking pytest process's peak over exec)."""
    script = textwrap.dedent(f"""
        from pathlib import Path
        from pipeline.ingest import ingest_file
        row, doc = ingest_file(Path({str(path)!r}), Path({str(path.parent)!r}))
        hwm = next(line for line in open("/proc/self/status") if line.startswith("VmHWM:"))
        print(int(hwm.split()[1]) * 1024, row.status, "|", row.reason)
    """)
    proc = subprocess.run(
        [sys.executable, "-c", script], cwd=path.parent, env={"PYTHONPATH": str(ROOT), **os.environ}, capture_output=True, text=True, timeout=3600
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    peak, rest = proc.stdout.strip().split(" ", 1)
    return int(peak), rest


# --------------------------------------------------------------------------- metadata sheets
@pytest.mark.parametrize("dimension", [True, False])
def test_three_million_row_sheet_refused_within_seconds(tmp_path, dimension):
    xlsx(tmp_path / "metadata.xlsx", 3_000_000, dimension=dimension)
    assert (tmp_path / "metadata.xlsx").stat().st_size < 3 * MiB
    t0 = time.monotonic()
    _, log = read_sheets([tmp_path / "metadata.xlsx"], tmp_path)
    assert time.monotonic() - t0 < 20
    assert log[0].status == "unreadable" and "refused" in log[0].reason, log


@pytest.mark.parametrize("dimension", [True, False])
def test_sheet_over_the_row_limit_refused_before_parsing(tmp_path, dimension):
    """250,000 rows inflate to 18 MB (under the size limit): the declared dimension, or the
    row tags counted on the bytes, refuse it without openpyxl."""
    xlsx(tmp_path / "metadata.xlsx", 250_000, dimension=dimension)
    t0 = time.monotonic()
    _, log = read_sheets([tmp_path / "metadata.xlsx"], tmp_path)
    assert time.monotonic() - t0 < 20
    assert log[0].status == "unreadable" and "250,000 rows" in log[0].reason, log


def test_csv_sheet_limits(tmp_path, monkeypatch):
    from pipeline.ingest import sheets

    (tmp_path / "metadata.csv").write_text("file,year\n" + "a.txt,2020\n" * 250_000, encoding="utf-8")
    _, log = read_sheets([tmp_path / "metadata.csv"], tmp_path)
    assert log[0].status == "unreadable" and "rows" in log[0].reason
    monkeypatch.setattr(sheets, "MAX_SHEET_BYTES", 1000)
    (tmp_path / "metadata.csv").write_text("file,year\n" + "a.txt,2020\n" * 200, encoding="utf-8")
    _, log = read_sheets([tmp_path / "metadata.csv"], tmp_path)
    assert log[0].status == "unreadable" and "MB" in log[0].reason
    monkeypatch.setattr(sheets, "MAX_SHEET_BYTES", 64 * MiB)
    monkeypatch.setattr(sheets, "MAX_SHEET_CELLS", 100)
    (tmp_path / "metadata.csv").write_text("file,year,title\n" + "a.txt,2020,x\n" * 40, encoding="utf-8")
    _, log = read_sheets([tmp_path / "metadata.csv"], tmp_path)
    assert log[0].status == "unreadable" and "cells" in log[0].reason


def test_normal_xlsx_sheet_still_applies(tmp_path):
    import openpyxl

    from pipeline.ingest import iter_documents

    (tmp_path / "r.txt").write_text((SAMPLE / "000_0251f9872aab0630.txt").read_text(encoding="utf-8"), encoding="utf-8")
    wb = openpyxl.Workbook()
    wb.active.append(["file", "year", "title"])
    wb.active.append(["r.txt", 2018, "我的标题"])
    wb.save(tmp_path / "metadata.xlsx")
    rows = list(iter_documents(tmp_path))
    doc = next(d for _, d in rows if d)
    assert (doc.year, doc.year_source, doc.title) == (2018, "sheet", "我的标题")


# --------------------------------------------------------------------------- memory
def test_docx_of_tiny_paragraphs_memory_does_not_follow_the_document(tmp_path):
    """150,000 tiny paragraphs: a python-docx tree of them took ~300 MiB; streamed, the whole
    process stays near its import footprint."""
    tiny_paragraph_docx(tmp_path / "tiny.docx", 150_000)
    peak, row = peak_rss(tmp_path / "tiny.docx")
    assert row.startswith("ok"), row
    assert peak < 100 * MiB, f"peak {peak / MiB:.0f} MiB"


@pytest.mark.slow
def test_200_mb_text_file_peak(tmp_path):
    big_text(tmp_path / "big.txt", 200_000_000)
    peak, row = peak_rss(tmp_path / "big.txt")
    assert row.startswith("ok"), row
    assert peak < 1024 * MiB, f"peak {peak / MiB:.0f} MiB"


@pytest.mark.slow
def test_40_mb_docx_of_tiny_paragraphs_peak(tmp_path):
    tiny_paragraph_docx(tmp_path / "tiny.docx", 7_680_000)
    size = (tmp_path / "tiny.docx").stat().st_size
    assert size > 35_000_000
    peak, row = peak_rss(tmp_path / "tiny.docx")
    assert row.startswith("ok"), row
    assert peak < 1024 * MiB, f"peak {peak / MiB:.0f} MiB"
