"""Finding 4: silent loss with status ok.

(a) an HTML page with an inline base64 image over ~10 MB lost every paragraph after it
    (libxml2's attribute limit); (b) a GBK page declaring iso-8859-1 / windows-1252 became
    mojibake, logged ok; (c) garbage text (a PDF CID font without ToUnicode, mojibake) was
    accepted. Garbage is now measured (pipeline/ingest/readable.py) and logged ``unreadable``;
    the threshold is checked against every file of the shared corpus (no false alarm) and the
    broken samples built here (all caught)."""

from __future__ import annotations

import base64
import os
import random
from pathlib import Path

import pytest

from pipeline import text as T
from pipeline.ingest import ingest_file, iter_documents

ROOT = Path(__file__).resolve().parents[2]
SAMPLE = ROOT / "data" / "raw" / "sample"
SEEDS = sorted(SAMPLE.glob("*.txt"))
ZEN = (  # English prose: a committee's annual summary
    "Annual report of the committee.\n\nThe committee met four times this year and approved the budget for the coming year. "
    "Members reviewed the training programme, visited two partner schools and agreed to publish the minutes of every meeting. "
    "Attendance was high, and the treasurer reported that spending stayed within the limits set in January.\n"
    "Next year the committee will focus on volunteer recruitment, better record keeping and a clearer schedule of events.\n"
) * 3


def _chinese() -> str:
    return "\n".join(p.read_text(encoding="utf-8") for p in SEEDS)


def broken_samples() -> dict[str, str]:
    """Garbage as it arrives: real Chinese through wrong codecs, random CJK, private use,
    glyph numbers of a CID font read as code points, random letters."""
    rnd = random.Random(7)
    text = _chinese()
    u, g = text.encode("utf-8"), text.encode("gb18030")
    b = text.encode("big5", "replace")
    samples = {
        "utf8-as-gbk": u.decode("gbk", "replace"),
        "utf8-as-big5": u.decode("big5", "replace"),
        "gbk-as-big5": g.decode("big5", "replace"),
        "big5-as-gbk": b.decode("gbk", "replace"),
        "utf8-as-latin1": u.decode("latin-1"),
        "utf8-as-cp1252": u.decode("cp1252", "replace"),
        "gbk-as-latin1": g.decode("latin-1"),
        "gbk-as-cp1252": g.decode("cp1252", "replace"),
        "gbk-as-shift_jis": g.decode("shift_jis", "replace"),
        "utf8-as-shift_jis": u.decode("shift_jis", "replace"),
        "gbk-as-euc_kr": g.decode("euc_kr", "replace"),
        "utf8-as-koi8_r": u.decode("koi8_r"),
        "random-cjk": "".join(chr(rnd.randint(0x4E00, 0x9FFF)) for _ in range(3000)),
        "random-cjk-ext-a": "".join(chr(rnd.randint(0x3400, 0x4DBF)) for _ in range(3000)),
        "pua": "".join(chr(rnd.randint(0xE000, 0xF8FF)) for _ in range(3000)),
        "cid-glyphs-low": "".join(chr(rnd.randint(3, 600)) for _ in range(3000)),
        "cid-glyphs-mid": "".join(chr(rnd.randint(600, 8000)) for _ in range(3000)),
        "cid-glyphs-high": "".join(chr(rnd.randint(1000, 30000)) for _ in range(3000)),
        "random-letters": "".join(rnd.choice("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ     ") for _ in range(3000)),
    }
    # as lines, like a decoded file
    return {k: "\n".join(v[i : i + 200] for i in range(0, len(v), 200)) for k, v in samples.items()}


@pytest.mark.parametrize("name", sorted(broken_samples()))
def test_garbage_is_unreadable_not_counted(tmp_path, name):
    (tmp_path / f"{name}.txt").write_text(broken_samples()[name], encoding="utf-8", errors="surrogatepass")
    row, doc = ingest_file(tmp_path / f"{name}.txt", tmp_path)
    assert doc is None and row.status == "unreadable", row
    assert "not plausibly Chinese or English" in row.reason


def test_real_text_of_every_kind_is_plausible(tmp_path):
    mixed = (
        "加强党的政治建设，推进 GDP 稳定增长，落实 CPC Central Committee 的部署。全面从严治党，参见 https://www.gov.cn/zhengce/xxgk.shtml 。\n" * 20
    )
    cases = {"english.txt": ZEN, "mixed.txt": mixed, "seed.txt": SEEDS[0].read_text(encoding="utf-8")}
    for name, body in cases.items():
        (tmp_path / name).write_text(body, encoding="utf-8")
        row, doc = ingest_file(tmp_path / name, tmp_path)
        assert row.status == "ok", (name, row)


def test_threshold_separates_real_text_from_garbage():
    """The measured gap: real text (the seeds, English prose) far above THRESHOLD, every broken
    sample far below it."""
    from pipeline.ingest.readable import THRESHOLD, measure

    real = [measure([T.normalize(p.read_text(encoding="utf-8"))]).score for p in SEEDS] + [measure([ZEN]).score]
    bad = {k: measure([T.normalize(v)]).score for k, v in broken_samples().items()}
    assert min(real) >= THRESHOLD + 0.1, real
    assert max(bad.values()) <= THRESHOLD - 0.2, bad


@pytest.mark.shared
def test_no_false_alarm_on_any_corpus_file(corpus_dir):
    """Every file of ../shared/corpus: its raw text and its ingested paragraphs are plausible
    (skips when ../shared is absent)."""
    from pipeline.ingest.readable import THRESHOLD, measure

    files = sorted(p for p in corpus_dir.rglob("*") if p.is_file() and p.suffix in (".txt", ".md", ".tsv"))
    assert len(files) > 350
    low = []
    for p in files:
        r = measure([T.normalize(p.read_text(encoding="utf-8"))])
        if not r.plausible or r.score < THRESHOLD + 0.1:
            low.append((p.name, round(r.score, 3)))
    assert not low, low
    rows = list(iter_documents(corpus_dir))
    flagged = [r for r, _ in rows if "plausibly" in r.reason]
    assert not flagged, flagged[:3]


# --------------------------------------------------------------------------- (c) PDF CID fonts
def _cid_pdf(cids: list[list[int]], to_unicode: dict[int, str] | None = None) -> bytes:
    """A PDF whose text is drawn with a Type0 / Identity-H CID font: glyph numbers only. With
    ``to_unicode`` it carries a ToUnicode CMap (readable); without, extractors see numbers."""
    objs = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << /Font << /F1 5 0 R >> >> /Contents 4 0 R >>",
    ]
    content = b"BT /F1 12 Tf 50 800 Td 14 TL\n" + b"".join(b"<" + "".join(f"{c:04X}" for c in line).encode() + b"> Tj T*\n" for line in cids) + b"ET"
    objs.append(b"<< /Length %d >>\nstream\n" % len(content) + content + b"\nendstream")
    tu = b" /ToUnicode 7 0 R" if to_unicode else b""
    objs.append(b"<< /Type /Font /Subtype /Type0 /BaseFont /ABCDEF+SimSun /Encoding /Identity-H /DescendantFonts [6 0 R]" + tu + b" >>")
    objs.append(
        b"<< /Type /Font /Subtype /CIDFontType2 /BaseFont /ABCDEF+SimSun /CIDSystemInfo << /Registry (Adobe) /Ordering (Identity) /Supplement 0 >> /DW 1000 >>"
    )
    if to_unicode:
        pairs = b"".join(b"<%04X> <%s>\n" % (cid, ch.encode("utf-16-be").hex().upper().encode()) for cid, ch in to_unicode.items())
        cmap = (
            b"/CIDInit /ProcSet findresource begin 12 dict begin begincmap /CMapName /Adobe-Identity-UCS def /CMapType 2 def\n"
            b"1 begincodespacerange <0000> <FFFF> endcodespacerange\n%d beginbfchar\n"
            % len(to_unicode)
            + pairs
            + b"endbfchar endcmap CMapName currentdict /CMap defineresource pop end end"
        )
        objs.append(b"<< /Length %d >>\nstream\n" % len(cmap) + cmap + b"\nendstream")
    out = b"%PDF-1.4\n"
    offsets = []
    for i, obj in enumerate(objs, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % i + obj + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objs) + 1) + b"".join(b"%010d 00000 n \n" % o for o in offsets)
    return out + b"trailer << /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objs) + 1, xref)


@pytest.mark.parametrize("glyphs", [(3, 600), (600, 8000), (1000, 30000)])
def test_pdf_cid_font_without_tounicode_is_unreadable(tmp_path, glyphs):
    rnd = random.Random(glyphs[0])
    lines = [[rnd.randint(*glyphs) for _ in range(30)] for _ in range(20)]
    (tmp_path / "cid.pdf").write_bytes(_cid_pdf(lines))
    row, doc = ingest_file(tmp_path / "cid.pdf", tmp_path)
    assert doc is None and row.status == "unreadable" and "plausibly" in row.reason, row


def test_pdf_cid_font_with_tounicode_reads(tmp_path):
    text = "加强党的政治建设，坚决做到两个维护，严格落实三会一课制度。全面从严治党永远在路上。"
    chars = sorted(set(text))
    cid_of = {ch: 100 + i for i, ch in enumerate(chars)}
    lines = [[cid_of[ch] for ch in text] for _ in range(5)]
    (tmp_path / "ok.pdf").write_bytes(_cid_pdf(lines, {cid: ch for ch, cid in cid_of.items()}))
    row, doc = ingest_file(tmp_path / "ok.pdf", tmp_path)
    assert row.status == "ok", row
    assert "两个维护" in doc.paragraphs[0].text


# --------------------------------------------------------------------------- (b) declared charsets
PAGE_TEXT = [
    "关于加强党的政治建设的通知",
    "各党支部：坚决做到两个维护，严格落实三会一课制度，全面从严治党永远在路上。",
    "持续整治四风问题，驰而不息纠治形式主义、官僚主义。",
]


def _page(charset: str) -> str:
    body = "".join(f"<p>{t}</p>" for t in PAGE_TEXT)
    return f'<html><head><meta http-equiv="Content-Type" content="text/html; charset={charset}"><title>通知</title></head><body>{body}</body></html>'


@pytest.mark.parametrize("declared", ["iso-8859-1", "windows-1252", "latin1", "ISO-8859-15", "cp1251", "koi8-r", "us-ascii"])
@pytest.mark.parametrize("actual", ["gbk", "utf-8"])
def test_declared_single_byte_charset_is_overruled(tmp_path, declared, actual):
    data = _page(declared).encode(actual)
    (tmp_path / "page.html").write_bytes(data)
    row, doc = ingest_file(tmp_path / "page.html", tmp_path)
    assert row.status == "ok", row
    assert [p.text for p in doc.paragraphs] == PAGE_TEXT[1:]
    try:
        data.decode(declared)
    except UnicodeDecodeError:
        return  # the declared codec cannot even decode the bytes (ascii; cp1252 on some UTF-8): never believed
    else:
        assert "overruled" in doc.encoding and any("overruled" in f for f in doc.flags), (doc.encoding, doc.flags)


def test_genuine_latin1_page_keeps_its_charset(tmp_path):
    page = (
        '<html><head><meta charset="iso-8859-1"></head><body><p>'
        + ("Le comité a approuvé le budget de l'année; réunion à Genève. " * 5)
        + "</p></body></html>"
    )
    (tmp_path / "fr.html").write_bytes(page.encode("latin-1"))
    row, doc = ingest_file(tmp_path / "fr.html", tmp_path)
    assert row.status == "ok" and "overruled" not in doc.encoding and "comité" in doc.paragraphs[0].text, row


# --------------------------------------------------------------------------- (a) huge inline data
@pytest.mark.parametrize("where", ["img", "style", "srcset", "title-attribute", "link-href"])
def test_text_after_a_huge_inline_image_is_kept(tmp_path, where):
    payload = base64.b64encode(os.urandom(8_000_000)).decode()  # 10.7 MB of base64
    element = {
        "img": f'<img src="data:image/png;base64,{payload}">',
        "style": f"<div style=\"background:url('data:image/png;base64,{payload}')\">图</div>",
        "srcset": f'<img srcset="data:image/jpeg;base64,{payload} 2x">',
        "title-attribute": f'<span title="{payload}">图</span>',  # not a data URI: the parse is retried
        "link-href": f'<a href="data:application/pdf;base64,{payload}">下载附件</a>',
    }[where]
    paras = [f"第{i}段：加强党的政治建设，坚决做到两个维护，严格落实三会一课制度。" for i in range(1, 6)]
    page = f'<html><head><meta charset="utf-8"></head><body><p>{paras[0]}</p>{element}' + "".join(f"<p>{p}</p>" for p in paras[1:]) + "</body></html>"
    (tmp_path / "page.html").write_text(page, encoding="utf-8")
    row, doc = ingest_file(tmp_path / "page.html", tmp_path)
    assert row.status == "ok", row
    texts = [p.text for p in doc.paragraphs]
    for p in paras:
        assert p in texts, (where, texts)
    assert not any("lost text" in f for f in doc.flags)


def test_common_count_numpy_path_equals_the_regex_on_real_text():
    """readable.count_common counts long texts with numpy (20x faster); it must give the
    regex's count on real text, traditional and astral characters included."""
    from pipeline.ingest import readable
    from pipeline.simplify import simplified

    text = "\n".join(p.read_text(encoding="utf-8") for p in SEEDS) + "\n堅決做到「兩個維護」𠀀𪚥"
    assert len(text) > 4 * readable._NUMPY_FROM
    rng = random.Random(7)
    for _ in range(60):
        a = rng.randrange(len(text))
        piece = text[a : a + rng.randrange(1, 30_000)] + "國𠀀"
        for t in (piece, simplified(piece)):
            assert readable.count_common(t) == len(t) - len(readable._common_re().sub("", t))
