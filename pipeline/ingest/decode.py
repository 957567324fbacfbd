"""Bytes -> str for any common Chinese encoding (BOM, UTF-8, GB18030/GBK, Big5, or what
charset-normalizer finds); undecodable bytes are replaced and flagged, never raised."""

from __future__ import annotations

import re

from pipeline import text as T


class Decoded:
    def __init__(self, text: str, encoding: str, flags: list[str] | None = None, lines_hint: list[tuple[str, str]] | None = None):
        self.text = text
        self.encoding = encoding
        self.flags = flags or []
        self.lines_hint = lines_hint  # (kind, text) pairs from structured formats (docx tables)


def looks_binary(data: bytes) -> bool:
    head = data[:8192]
    if not head:
        return False
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        return False
    if b"\x00" in head:
        return True
    ctrl = len(head) - len(head.translate(None, _CTRL_BYTES))
    return ctrl / len(head) > 0.1


_CTRL_BYTES = bytes(b for b in range(32) if b < 9 or 13 < b < 32)


def _codec_share(text: str, codec: str) -> float:
    """Share of the Han characters that ``codec`` can encode. Real simplified Chinese is ~1.0
    for gb2312, real traditional Chinese ~1.0 for big5; bytes decoded with the wrong codec
    produce rare characters and score low."""
    han = re.findall(rf"[{T.HAN}]", text[:20000])
    if not han:
        return 1.0
    ok = 0
    for ch in han:
        try:
            ch.encode(codec)
            ok += 1
        except UnicodeEncodeError:
            pass
    return ok / len(han)


def decode_bytes(data: bytes, declared: str | None = None) -> Decoded:
    """Bytes -> str for any common Chinese encoding. Strict decodings are preferred; when none
    fits, decode GB18030 with replacement and flag how many bytes were bad."""
    if data.startswith(b"\xef\xbb\xbf"):
        return _strict_or_replace(data[3:], "utf-8", "utf-8-sig")
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return _strict_or_replace(data, "utf-16", "utf-16")
    candidates = []
    if declared:
        candidates.append(_canonical_codec(declared))
    candidates += ["utf-8", "gb18030", "big5"]
    seen = set()
    decoded: dict[str, str] = {}
    for enc in candidates:
        if enc in seen or enc is None:
            continue
        seen.add(enc)
        try:
            decoded[enc] = data.decode(enc)
        except (UnicodeDecodeError, LookupError):
            continue
        if enc in ("utf-8",) or (declared and enc == _canonical_codec(declared) and enc != "gb18030"):
            return Decoded(decoded[enc], enc)
    if "gb18030" in decoded and "big5" in decoded:
        gb_q, b5_q = _codec_share(decoded["gb18030"], "gb2312"), _codec_share(decoded["big5"], "big5")
        if gb_q >= 0.97 or gb_q >= b5_q:
            return Decoded(decoded["gb18030"], "gb18030")
        return Decoded(decoded["big5"], "big5")
    if "gb18030" in decoded:
        return Decoded(decoded["gb18030"], "gb18030")
    if "big5" in decoded:
        return Decoded(decoded["big5"], "big5")
    # nothing strict: ask charset-normalizer, then fall back to replacement
    try:
        from charset_normalizer import from_bytes

        best = from_bytes(data[:200000]).best()
    except Exception:
        best = None
    if best is not None and best.encoding not in ("utf_8", "gb18030", "big5"):
        try:
            text = data.decode(best.encoding)
            if T.han_count(text) or not re.search(rb"[\x80-\xff]", data):
                return Decoded(text, best.encoding)
        except (UnicodeDecodeError, LookupError):
            pass
    utf8_bad = _count_bad(data, "utf-8")
    gb_bad = _count_bad(data, "gb18030")
    enc = "utf-8" if utf8_bad <= gb_bad else "gb18030"
    return _strict_or_replace(data, enc, enc)


def _count_bad(data: bytes, enc: str) -> int:
    return data.decode(enc, errors="replace").count("\ufffd")


def _strict_or_replace(data: bytes, codec: str, label: str) -> Decoded:
    try:
        return Decoded(data.decode(codec), label)
    except UnicodeDecodeError:
        text = data.decode(codec, errors="replace")
        bad = text.count("\ufffd")
        return Decoded(text, label, [f"decoded as {label} with {bad} invalid byte sequence(s) replaced by U+FFFD"])


def _canonical_codec(name: str) -> str | None:
    import codecs

    name = name.strip().strip("\"'").lower()
    if name in ("gb2312", "gbk", "gb18030", "x-gbk", "cp936", "euc-cn"):
        return "gb18030"
    if name in ("big5", "big5-hkscs", "cp950", "x-x-big5"):
        return "big5"
    try:
        return codecs.lookup(name).name
    except LookupError:
        return None
