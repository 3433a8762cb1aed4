from __future__ import annotations

import codecs
import gzip

import pytest

from extractors.decoding import GzipInflater, decode_body, decode_text, gunzip
from extractors.errors import BinaryInput, EmptyInput, GunzipFailed, UndecodableInput


def test_utf8_is_decoded_as_is() -> None:
    assert decode_text("Kyiv – “Ukraine” €150bn 🤦🏻‍♂️\n".encode()) == "Kyiv – “Ukraine” €150bn 🤦🏻‍♂️\n"


def test_utf8_bom_is_stripped() -> None:
    assert decode_text(codecs.BOM_UTF8 + b"Headline\n") == "Headline\n"


def test_crlf_and_cr_line_endings_become_lf() -> None:
    assert decode_text(b"one\r\ntwo\rthree\n") == "one\ntwo\nthree\n"


def test_cp1252_is_detected_when_utf8_fails() -> None:
    text = "Le café – “quoted” est très bon.\r\nSecond line costs £5."
    assert decode_text(text.encode("cp1252")) == "Le café – “quoted” est très bon.\nSecond line costs £5."


def test_short_cp1252_text_decodes_to_the_same_characters() -> None:
    assert decode_text("café – “quoted”".encode("cp1252")) == "café – “quoted”"


def test_utf16_with_bom_is_text_not_binary() -> None:
    assert decode_text("Kyiv\r\nKraków".encode("utf-16")) == "Kyiv\nKraków"


def test_empty_file_is_rejected_as_empty() -> None:
    with pytest.raises(EmptyInput, match=r"file is empty \(0 bytes\)") as rejected:
        decode_text(b"")
    assert rejected.value.reason == "empty"


@pytest.mark.parametrize("data", [b"  \n\t\r\n", codecs.BOM_UTF8 + b"\n\n"])
def test_whitespace_only_file_is_rejected_as_empty(data: bytes) -> None:
    with pytest.raises(EmptyInput, match="only whitespace"):
        decode_text(data)


@pytest.mark.parametrize(
    ("data", "kind"),
    [
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "PNG"),
        (b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n", "PDF"),
        (b"PK\x03\x04\x14\x00\x00\x00", "zip"),
        (b"\x1f\x8b\x08\x00\x00\x00\x00\x00", "gzip"),
    ],
)
def test_known_binary_signatures_are_rejected(data: bytes, kind: str) -> None:
    with pytest.raises(BinaryInput, match=f"starts with a {kind} signature") as rejected:
        decode_text(data)
    assert rejected.value.reason == "binary"


def test_nul_bytes_mean_binary() -> None:
    with pytest.raises(BinaryInput, match=r"NUL bytes \(first at byte 5\)"):
        decode_text(b"hello\x00world")


def test_high_share_of_control_bytes_means_binary() -> None:
    with pytest.raises(BinaryInput, match=r"30% control bytes"):
        decode_text(b"\x01\x02\x03abcdefg")


def test_a_few_control_bytes_in_long_text_are_tolerated() -> None:
    text = "A long enough line of ordinary article text. " * 5 + "\x0b"
    assert decode_text(text.encode("utf-8")) == text


def test_bytes_no_encoding_makes_sense_of_are_undecodable() -> None:
    with pytest.raises(UndecodableInput, match="not UTF-8") as rejected:
        decode_text(bytes(range(0x80, 0x100)) * 3)
    assert rejected.value.reason == "undecodable"


# --- fetched bodies share the BOM table and the legacy guess ------------------------------------


def test_a_body_with_a_utf16_bom_is_decoded_whatever_the_header_says() -> None:
    assert decode_body("Kraków".encode("utf-16"), "text/html; charset=iso-8859-1") == "Kraków"


def test_an_undeclared_cp1252_body_is_guessed_like_a_text_file() -> None:
    data = "Le café – “quoted” est très bon.".encode("cp1252")
    assert decode_body(data, "text/html") == decode_text(data)


# --- the one size-limited gunzip --------------------------------------------------------------


def test_gunzip_unpacks_up_to_the_limit() -> None:
    assert gunzip(gzip.compress(b"a" * 1000), 1000) == b"a" * 1000


@pytest.mark.parametrize(
    ("data", "problem"),
    [
        (gzip.compress(b"a" * 1001), "too_large"),
        (gzip.compress(b"a" * 1000)[:-4], "truncated"),
        (b"", "truncated"),
        (b"\x1f\x8b\x08\x00 not deflate", "corrupt"),
        (b"not gzip at all", "corrupt"),
    ],
)
def test_gunzip_says_which_problem_stopped_it(data: bytes, problem: str) -> None:
    with pytest.raises(GunzipFailed) as failed:
        gunzip(data, 1000)
    assert failed.value.problem == problem


def test_gunzip_unpacks_every_member_like_gzip_d() -> None:
    members = gzip.compress(b"first member, ") + gzip.compress(b"second member")  # `cat a.gz b.gz`
    assert gunzip(members, 1000) == b"first member, second member"
    # NUL padding between members is skipped and trailing garbage ignored, as `gzip -d` does.
    assert gunzip(members + b"\0" * 10 + gzip.compress(b"!") + b"trailing garbage", 1000) == (
        b"first member, second member!"
    )


@pytest.mark.parametrize(
    ("data", "problem"),
    [
        (gzip.compress(b"a" * 10) + gzip.compress(b"\0" * 10 * 2**20, compresslevel=9), "too_large"),
        (gzip.compress(b"a" * 10) + gzip.compress(b"b" * 10)[:-4], "truncated"),
        (gzip.compress(b"a" * 10) + b"\x1f\x8b\x08\x00 not deflate", "corrupt"),
    ],
)
def test_gunzip_says_which_problem_stopped_it_in_a_later_member(data: bytes, problem: str) -> None:
    with pytest.raises(GunzipFailed) as failed:
        gunzip(data, 1000)
    assert failed.value.problem == problem


def test_gzip_inflater_fed_a_byte_at_a_time_reads_every_member() -> None:
    # A network body arrives in pieces: a member may end, and the next begin, anywhere.
    members = gzip.compress(b"<p>one</p>") + b"\0" + gzip.compress(b"<p>two</p>")
    inflater = GzipInflater()
    out = b"".join(inflater.feed(members[i : i + 1], 1000) for i in range(len(members)))
    assert out == b"<p>one</p><p>two</p>" and inflater.complete


def test_gzip_inflater_is_incomplete_inside_a_later_member() -> None:
    inflater = GzipInflater()
    assert inflater.feed(gzip.compress(b"one") + gzip.compress(b"two")[:5], 1000) == b"one"
    assert not inflater.complete


def test_gzip_inflater_never_returns_more_than_asked() -> None:
    members = gzip.compress(b"a" * 100) + gzip.compress(b"b" * 100)
    assert GzipInflater().feed(members, 150) == b"a" * 100 + b"b" * 50
