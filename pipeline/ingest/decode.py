"""Bytes -> str for any common Chinese encoding (BOM, UTF-8, GB18030/GBK, Big5, or what
charset-normalizer finds); undecodable bytes are replaced and flagged, never raised."""

from __future__ import annotations

import codecs
import re
from collections.abc import Iterator

from pipeline import text as T
from pipeline.ingest.files import BytesFile
from pipeline.ingest.lines import Lines


class Decoded:
    """Decoded text: ``text`` (in memory), or (kind, text) ``lines_hint`` from a structured
    format, or ``lines`` already streamed into compact :class:`Lines` (large text files,
    .docx); :meth:`to_lines` gives the normalised lines whichever it holds."""

    def __init__(
        self, text: str, encoding: str, flags: list[str] | None = None, lines_hint: list[tuple[str, str]] | None = None, lines: Lines | None = None
    ):
        self.text = text
        self.encoding = encoding
        self.flags = flags or []
        self.lines_hint = lines_hint  # (kind, text) pairs from structured formats (docx tables)
        self.lines = lines

    def to_lines(self) -> Lines:
        if self.lines is not None:
            return self.lines
        if self.lines_hint is not None:
            return Lines.from_hints(self.lines_hint)
        return Lines.from_text(self.text)

    @property
    def has_text(self) -> bool:
        """The decoded text holds something besides whitespace."""
        if self.lines is not None:
            return self.lines.has_text
        return bool(self.text.strip())


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
    src = BytesFile(data)
    plan = choose_codec(src, declared)
    text = "".join(iter_text(src, plan))
    return Decoded(text, plan.label, plan.flags(text.count("\ufffd")))


class Plan:
    """How to decode a source: ``codec`` from byte ``skip`` on, strictly or with replacement
    (then flagged with the number of U+FFFD in the result)."""

    def __init__(self, codec: str, label: str, skip: int = 0, strict: bool = True):
        self.codec, self.label, self.skip, self.strict = codec, label, skip, strict

    def flags(self, bad: int) -> list[str]:
        """The flag of a decoding with replacement that left ``bad`` U+FFFD characters."""
        if self.strict:
            return []
        return [f"decoded as {self.label} with {bad} invalid byte sequence(s) replaced by U+FFFD"]


def iter_text(src, plan: Plan) -> Iterator[str]:
    """The decoded text of ``src`` (a :class:`pipeline.ingest.files.RegularFile`), piece by
    piece: an incremental decoder over its chunks (equal to decoding the bytes at once)."""
    decoder = codecs.getincrementaldecoder(plan.codec)("strict" if plan.strict else "replace")
    for chunk in src.chunks(plan.skip):
        piece = decoder.decode(chunk)
        if piece:
            yield piece
    piece = decoder.decode(b"", final=True)
    if piece:
        yield piece


def _strict_prefix(src, codec: str, skip: int = 0, want_han: bool = False) -> tuple[str, bool] | None:
    """(the first 20,000 characters, whether any Han character occurs) when the whole source
    decodes strictly with ``codec``, else None. Stops at the first error."""
    try:
        decoder = codecs.getincrementaldecoder(codec)("strict")
    except LookupError:
        return None
    prefix: list[str] = []
    n = 0
    han = False
    try:
        for chunk in src.chunks(skip):
            piece = decoder.decode(chunk)
            if n < 20000:
                prefix.append(piece[: 20000 - n])
                n += len(prefix[-1])
            if want_han and not han:
                han = T.has_han(piece)
        piece = decoder.decode(b"", final=True)
    except (UnicodeDecodeError, LookupError):
        return None
    if n < 20000:
        prefix.append(piece[: 20000 - n])
    han = han or (want_han and T.has_han(piece))
    return "".join(prefix), han


def _bad_count(src, codec: str) -> int:
    return sum(piece.count("\ufffd") for piece in iter_text(src, Plan(codec, codec, strict=False)))


def choose_codec(src, declared: str | None = None) -> Plan:
    """The decoding of :func:`decode_bytes`, chosen by passes over ``src`` (each stops at its
    first error), never holding more than a chunk and 20,000 characters."""
    head = src.head(4)
    if head.startswith(b"\xef\xbb\xbf"):
        return Plan("utf-8", "utf-8-sig", 3, _strict_prefix(src, "utf-8", 3) is not None)
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        return Plan("utf-16", "utf-16", 0, _strict_prefix(src, "utf-16") is not None)
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
        found = _strict_prefix(src, enc)
        if found is None:
            continue
        decoded[enc] = found[0]
        if enc in ("utf-8",) or (declared and enc == _canonical_codec(declared) and enc != "gb18030"):
            return Plan(enc, enc)
    if "gb18030" in decoded and "big5" in decoded:
        gb_q, b5_q = _codec_share(decoded["gb18030"], "gb2312"), _codec_share(decoded["big5"], "big5")
        if gb_q >= 0.97 or gb_q >= b5_q:
            return Plan("gb18030", "gb18030")
        return Plan("big5", "big5")
    if "gb18030" in decoded:
        return Plan("gb18030", "gb18030")
    if "big5" in decoded:
        return Plan("big5", "big5")
    # nothing strict: ask charset-normalizer, then fall back to replacement
    try:
        from charset_normalizer import from_bytes

        best = from_bytes(src.head(200000)).best()
    except Exception:
        best = None
    if best is not None and best.encoding not in ("utf_8", "gb18030", "big5"):
        found = _strict_prefix(src, best.encoding, want_han=True)
        if found is not None and (found[1] or not any(re.search(rb"[\x80-\xff]", chunk) for chunk in src.chunks())):
            return Plan(best.encoding, best.encoding)
    enc = "utf-8" if _bad_count(src, "utf-8") <= _bad_count(src, "gb18030") else "gb18030"
    return Plan(enc, enc, strict=False)


def _canonical_codec(name: str) -> str | None:
    name = name.strip().strip("\"'").lower()
    if name in ("gb2312", "gbk", "gb18030", "x-gbk", "cp936", "euc-cn"):
        return "gb18030"
    if name in ("big5", "big5-hkscs", "cp950", "x-x-big5"):
        return "big5"
    try:
        return codecs.lookup(name).name
    except LookupError:
        return None
