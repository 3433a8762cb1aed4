"""Bytes of a text dump -> one str with "\\n" line endings, or a clear rejection."""
from __future__ import annotations

import codecs

from extractors.charset import guess_decode
from extractors.errors import BinaryInput, EmptyInput, UndecodableInput

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

# UTF-16 text is full of NUL bytes, so its BOM must be recognised before the binary checks.
_UTF16_BOMS = (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)

# C0 control bytes that do not occur in text; tab, LF, VT, FF and CR do.
_CONTROL_BYTES = frozenset(range(0x20)) - {0x09, 0x0A, 0x0B, 0x0C, 0x0D} | {0x7F}
_MAX_CONTROL_SHARE = 0.10


def decode_text(data: bytes) -> str:
    """Decode a text file's bytes: UTF-8 (BOM optional), UTF-16 with BOM, else a legacy
    encoding guessed by charset-normalizer. Line endings come back as "\\n".

    Raises EmptyInput, BinaryInput or UndecodableInput.
    """
    if not data:
        raise EmptyInput("file is empty (0 bytes)")
    if data.startswith(_UTF16_BOMS):
        text = _decode_utf16(data)
    else:
        _reject_binary(data)
        text = _decode_utf8_or_legacy(data)
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    if not text.strip():
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
    text = guess_decode(data)
    if text is None:
        raise UndecodableInput(
            f"file is not UTF-8 and no known encoding decodes its {len(data)} bytes to plausible text"
        )
    return text
