"""Bytes -> text, for every input: the one place newsmon decodes and unpacks.

`decode_text` turns a local text dump into one str with "\\n" line endings, or a clear
rejection; `decode_body` turns a fetched page or feed into text, never failing; `gunzip`
unpacks a gzip file under a size limit, for local `.gz` inputs and `.xml.gz` sitemaps alike,
with `GzipInflater`, which the fetcher also uses for gzip and deflate Content-Encodings.
The text decoders share one byte-order-mark table and one legacy-encoding guess (charset-normalizer).
"""

from __future__ import annotations

import codecs
import re
import zlib

import charset_normalizer

from extractors.errors import BinaryInput, EmptyInput, GunzipFailed, UndecodableInput

__all__ = ["GzipInflater", "decode_body", "decode_text", "gunzip"]

# Signatures of the binary formats people most often drop into an inbox by mistake.
_MAGIC_NUMBERS: dict[bytes, str] = {
    b"%PDF-": "PDF",
    b"\x89PNG\r\n\x1a\n": "PNG",
    b"\xff\xd8\xff": "JPEG",
    b"GIF87a": "GIF",
    b"GIF89a": "GIF",
    b"PK\x03\x04": "zip",
    b"PK\x05\x06": "zip",
    b"\x1f\x8b": "gzip",
}

# Byte-order marks and the codec that decodes (and strips) each.
_BOMS = ((codecs.BOM_UTF8, "utf-8-sig"), (codecs.BOM_UTF16_LE, "utf-16"), (codecs.BOM_UTF16_BE, "utf-16"))

# C0 control bytes that do not occur in text; tab, LF, VT, FF and CR do.
_CONTROL_BYTES = frozenset(range(0x20)) - {0x09, 0x0A, 0x0B, 0x0C, 0x0D} | {0x7F}
_MAX_CONTROL_SHARE = 0.10

# Browsers fall back to windows-1252 for undeclared Western pages; charset-normalizer, on a
# short text, often ties it with cp1250/cp1257 and picks one of those (so "Café" becomes
# "Cafķ"). Among the equally clean candidates we prefer the web's default.
_PREFERRED_LEGACY = "cp1252"

_CHARSET_PARAM = re.compile(r"""charset\s*=\s*["']?([^"';\s]+)""", re.IGNORECASE)
_META_CHARSET = re.compile(rb"""<meta[^>]+?charset\s*=\s*["']?\s*([A-Za-z0-9_.:-]+)""", re.IGNORECASE)
_XML_ENCODING = re.compile(rb"""^\s*<\?xml[^>]*?encoding\s*=\s*["']([A-Za-z0-9_.:-]+)""")
# As browsers do (WHATWG Encoding): these labels mean windows-1252, which also covers the
# "smart quotes" that pages labelled latin-1 are full of.
_BROWSER_CHARSETS = dict.fromkeys(("iso-8859-1", "latin1", "latin-1", "us-ascii", "ascii"), "cp1252")
_SNIFF_BYTES = 4096  # <meta charset> belongs in the first 1024 bytes; allow some slack


# --- local text dumps: decoded or rejected -------------------------------------------------


def decode_text(data: bytes) -> str:
    """Decode a text file's bytes: UTF-8 (BOM optional), UTF-16 with BOM, else a legacy
    encoding guessed by charset-normalizer. Line endings come back as "\\n".

    Raises EmptyInput, BinaryInput or UndecodableInput.
    """
    if not data:
        raise EmptyInput("file is empty (0 bytes)")
    # UTF-16 text is full of NUL bytes, so its BOM must be recognised before the binary checks.
    if _bom_charset(data) == "utf-16":
        text = _decode_utf16(data)
    else:
        _reject_binary(data)
        text = _decode_utf8_or_legacy(data)
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    if not text or text.isspace():  # not text.strip(): that copies the whole text
        raise EmptyInput(f"file holds no text, only whitespace ({len(data)} bytes)")
    return text


def _reject_binary(data: bytes) -> None:
    for magic, kind in _MAGIC_NUMBERS.items():
        if data.startswith(magic):
            raise BinaryInput(f"file looks binary: it starts with a {kind} signature")
    if b"\x00" in data:
        raise BinaryInput(f"file looks binary: it contains NUL bytes (first at byte {data.index(0)})")
    control_share = sum(byte in _CONTROL_BYTES for byte in data) / len(data)
    if control_share > _MAX_CONTROL_SHARE:
        raise BinaryInput(f"file looks binary: {control_share:.0%} control bytes")


def _decode_utf16(data: bytes) -> str:
    try:
        return data.decode("utf-16")
    except UnicodeDecodeError as error:
        raise UndecodableInput(
            f"file starts with a UTF-16 byte-order mark but is not valid UTF-16 ({error.reason} at byte {error.start})"
        ) from error


def _decode_utf8_or_legacy(data: bytes) -> str:
    try:
        return data.decode("utf-8-sig")  # also strips a UTF-8 BOM
    except UnicodeDecodeError:
        return _decode_legacy(data)


def _decode_legacy(data: bytes) -> str:
    """Not UTF-8: most likely a single-byte encoding such as cp1252 or latin-1."""
    text = _guess_decode(data)
    if text is None:
        raise UndecodableInput(
            f"file is not UTF-8 and no known encoding decodes its {len(data)} bytes to plausible text"
        )
    return text


# --- fetched pages and feeds: always some text -----------------------------------------------


def decode_body(body: bytes, content_type: str | None) -> str:
    """Bytes of a page or feed as text: a BOM, else the Content-Type charset, else a
    <meta charset> or <?xml encoding?> declaration, else charset-normalizer's detection.

    A declared charset is used only if it really decodes the bytes, so a wrong header falls
    through to the next clue. Bytes that no encoding explains come back with U+FFFD
    replacement characters rather than failing: the rest of the page is still readable.
    """
    for label in (_bom_charset(body), _header_charset(content_type), _declared_charset(body)):
        text = _decode_as(body, label)
        if text is not None:
            return text
    guessed = _guess_decode(body)
    return guessed if guessed is not None else body.decode("utf-8", errors="replace")


def _header_charset(content_type: str | None) -> str | None:
    match = _CHARSET_PARAM.search(content_type or "")
    return match[1] if match else None


def _declared_charset(body: bytes) -> str | None:
    head = body[:_SNIFF_BYTES]
    match = _XML_ENCODING.match(head) or _META_CHARSET.search(head)
    return match[1].decode("ascii") if match else None


def _decode_as(body: bytes, label: str | None) -> str | None:
    """`body` decoded with the charset `label`, or None if the label is unknown or wrong."""
    if not label:
        return None
    charset = _BROWSER_CHARSETS.get(label.lower(), label)
    try:
        return body.decode(charset)
    except (LookupError, UnicodeDecodeError):
        return None


# --- shared by both ------------------------------------------------------------------------


def _bom_charset(data: bytes) -> str | None:
    return next((charset for bom, charset in _BOMS if data.startswith(bom)), None)


def _guess_decode(data: bytes) -> str | None:
    """Bytes that are not valid UTF-8 and declare nothing usable, decoded with the most
    plausible encoding, or None when nothing fits."""
    results = charset_normalizer.from_bytes(data)
    best = results.best()
    if best is None:
        return None
    for match in results:
        if match.encoding == _PREFERRED_LEGACY and match.chaos <= best.chaos:
            return str(match)
    return str(best)


# --- gzip files ------------------------------------------------------------------------------


def gunzip(data: bytes, limit: int) -> bytes:
    """The content of a gzip file, every member of it, never unpacking more than `limit` + 1
    bytes (so a gzip bomb stops there). Raises GunzipFailed: "corrupt", "too_large" (over
    `limit`) or "truncated" (no end marker: an empty or cut-off file)."""
    inflater = GzipInflater()
    try:
        # Input that would unpack past limit + 1 bytes stays unconsumed.
        out = inflater.feed(data, limit + 1)
    except zlib.error as error:
        raise GunzipFailed("corrupt", str(error)) from error
    if len(out) > limit:
        raise GunzipFailed("too_large")
    if not inflater.complete:
        raise GunzipFailed("truncated")
    return out


_GZIP_MAGIC = b"\x1f\x8b"


class GzipInflater:
    """Inflates a gzip stream fed in pieces, every member of it: `cat a.gz b.gz` unpacks to both,
    as `gzip -d` does. Like `gzip -d`, it skips NUL padding between members and ignores what
    follows the last member when that is not another gzip member ("trailing garbage").
    With `zlib_too`, the first stream may instead be zlib-wrapped deflate (HTTP's "deflate").

    `feed` never returns more than `max_out` bytes: input that would unpack past that is
    dropped, so a caller that gets `max_out` bytes back has passed its limit and must stop.
    Raises zlib.error on corrupt data.
    """

    def __init__(self, *, zlib_too: bool = False):
        # 16: a gzip header and trailer required; 32: a gzip or zlib header, detected.
        self._member: zlib._Decompress | None = zlib.decompressobj(wbits=zlib.MAX_WBITS | (32 if zlib_too else 16))
        self._after_member = b""  # bytes after a member, too few yet to tell whether another one starts
        self._members_read = 0
        self._trailing_garbage = False

    @property
    def complete(self) -> bool:
        """At least one member was read to its end marker, and no later one was left half-read."""
        return self._members_read > 0 and self._member is None

    def feed(self, data: bytes, max_out: int) -> bytes:
        out = bytearray()
        while data and len(out) < max_out and not self._trailing_garbage:
            if self._member is None:
                data = (self._after_member + data).lstrip(b"\0")
                self._after_member = b""
                if len(data) < len(_GZIP_MAGIC):
                    self._after_member = data  # the next piece says whether a member starts here
                    break
                if not data.startswith(_GZIP_MAGIC):
                    self._trailing_garbage = True
                    break
                self._member = zlib.decompressobj(wbits=16 | zlib.MAX_WBITS)
            out += self._member.decompress(data, max_out - len(out))
            if not self._member.eof:
                break  # all of `data` read, or max_out reached
            self._members_read += 1
            data = self._member.unused_data
            self._member = None
        return bytes(out)
