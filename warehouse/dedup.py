"""Deduplication keys, computed without the database.

- Exact: `content_hash` over the NFKC-normalised, whitespace-folded title and text.
  A re-headlined copy therefore gets its own hash and is caught as a near-duplicate.
- Near-duplicate: a MinHash signature over 5-word shingles and its LSH band buckets.
  The decision against the warehouse (which articles share a bucket, and which of
  them is similar enough) is warehouse/near_duplicates.py.
- Comments: `comment_id` hashes the article, the parent's id and the normalised
  text, so the same comment under the same parent is one row, in any snapshot.

Parameters and their reasoning: docs/deduplication.md.
"""

from __future__ import annotations

import hashlib
import re
import struct
import unicodedata
from collections import deque
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

__all__ = [
    "LSH_BANDS",
    "LSH_ROWS",
    "NUM_PERM",
    "SHINGLE_WORDS",
    "ArticleFingerprint",
    "article_content_hash",
    "article_id_for",
    "comment_content_hash",
    "comment_id_for",
    "fingerprint_article",
    "lsh_buckets",
    "minhash_signature",
    "normalize_text",
    "sha256_hex",
    "shingles",
]

SHINGLE_WORDS = 5
NUM_PERM = 128
LSH_BANDS = 32
LSH_ROWS = NUM_PERM // LSH_BANDS  # 4 rows per band: a pair at Jaccard 0.7 becomes a candidate with p > 0.999
MINHASH_SEED = 1
# The stored signatures are datasketch 2.0's MinHash(num_perm=128, seed=1, scheme="affine32") of
# the shingles, computed here with numpy alone: importing datasketch imports scipy (0.65 s in every
# process). tests/warehouse/test_minhash.py holds the two equal.
_ROW_INDEX = struct.Struct("<I")

_WHITESPACE = re.compile(r"\s+")
# Text is normalised this many characters at a time (a 64k-character part's word list is a few MB).
NORMALIZE_CHUNK_CHARS = 1 << 16
_WORD = re.compile(r"\w+")


def normalize_text(text: str) -> str:
    """NFKC (so look-alike letters and compatibility forms compare equal), whitespace folded."""
    return "".join(_normalized_pieces(text))


def _normalized_pieces(text: str, chunk_chars: int = NORMALIZE_CHUNK_CHARS) -> Iterator[str]:
    """`normalize_text(text)` in pieces, each from about `chunk_chars` of `text`, a piece never
    ending or starting inside a word. On a 40 MB text, folding the whitespace in one go costs
    re.sub's list of every word and gap (some 100 bytes a word: over 10× the text).

    `text` is cut only after whitespace: a whitespace character is a starter that nothing
    composes with, so NFKC of the parts is NFKC of the whole, and the parts' texts, stripped,
    are the whole's with one space between them.
    """
    started = False
    for chunk in _chunks_after_whitespace(text, chunk_chars):
        core = _WHITESPACE.sub(" ", unicodedata.normalize("NFKC", chunk)).strip()
        if core:
            if started:
                yield " "
            yield core
            started = True


def _chunks_after_whitespace(text: str, chunk_chars: int) -> Iterator[str]:
    """`text` cut into parts of at least `chunk_chars` characters (but the last), each cut at
    the end of a run of whitespace."""
    start = 0
    while len(text) - start > chunk_chars and (run := _WHITESPACE.search(text, start + chunk_chars)):
        yield text[start : run.end()]
        start = run.end()
    yield text[start:]


def sha256_hex(*parts: str) -> str:
    return _sha256_hex_of_pieces(*((part,) for part in parts))


def _sha256_hex_of_pieces(*parts: Iterable[str]) -> str:
    """sha256_hex of the parts, each given as the pieces it is made of."""
    digest = hashlib.sha256()
    for pieces in parts:
        for piece in pieces:
            digest.update(piece.encode("utf-8"))
        digest.update(b"\x1f")  # unit separator: ("ab", "c") and ("a", "bc") must differ
    return digest.hexdigest()


def article_content_hash(title: str | None, text: str) -> str:
    return _sha256_hex_of_pieces(_normalized_pieces(title or ""), _normalized_pieces(text))


def article_id_for(url: str | None, content_hash: str) -> str:
    """Stable id: from the canonical URL when there is one, else from the content."""
    return sha256_hex("url", url)[:16] if url else content_hash[:16]


def comment_content_hash(text: str) -> str:
    return sha256_hex(normalize_text(text).casefold())


def comment_id_for(
    article_id: str, parent_id: str | None, content_hash: str, page_comment_id: str | None = None
) -> str:
    """From the page's own comment id when it has one (stable even if the text is edited)."""
    if page_comment_id:
        return sha256_hex(article_id, "page-id", page_comment_id)[:16]
    return sha256_hex(article_id, parent_id or "", content_hash)[:16]


def shingles(text: str, chunk_size: int = 8192) -> Iterator[list[bytes]]:
    """The 5-word shingles of `text`, in chunks of `chunk_size`, as they are found: a 40 MB text
    has millions of them, and neither they nor its words are ever held all at once. A shingle
    may repeat across chunks; MinHash does not count repeats. A text of five words or fewer is
    one shingle of all of them."""
    window: deque[str] = deque(maxlen=SHINGLE_WORDS)
    chunk: list[bytes] = []
    whole = True  # the window has not been full yet
    words = (match.group() for piece in _normalized_pieces(text) for match in _WORD.finditer(piece.casefold()))
    for word in words:  # no word spans two pieces (see _normalized_pieces)
        window.append(word)
        if len(window) < SHINGLE_WORDS:
            continue
        whole = False
        chunk.append(" ".join(window).encode())
        if len(chunk) == chunk_size:
            yield chunk
            chunk = []
    if whole and window:
        chunk.append(" ".join(window).encode())
    if chunk:
        yield chunk


@lru_cache(maxsize=1)
def _permutations() -> tuple[np.ndarray, np.ndarray]:
    """affine32: h -> a*h + b mod 2^32 with `a` odd (a bijection), drawn as datasketch draws them."""
    random = np.random.RandomState(MINHASH_SEED)
    a = random.randint(0, 1 << 31, NUM_PERM, dtype=np.uint32) * np.uint32(2) + np.uint32(1)
    b = random.randint(0, 1 << 32, NUM_PERM, dtype=np.uint32)
    return a, b


def _premixed_hashes(chunk: list[bytes]) -> np.ndarray:
    """The first 4 bytes of each shingle's SHA-1 (little-endian), through MurmurHash3's fmix32."""
    h = np.fromiter((_ROW_INDEX.unpack_from(hashlib.sha1(s).digest())[0] for s in chunk), np.uint32, len(chunk))
    h ^= h >> np.uint32(16)
    h *= np.uint32(0x85EBCA6B)
    h ^= h >> np.uint32(13)
    h *= np.uint32(0xC2B2AE35)
    h ^= h >> np.uint32(16)
    return h


def minhash_signature(text: str) -> np.ndarray:
    a, b = _permutations()
    signature = np.full(NUM_PERM, np.iinfo(np.uint32).max, dtype=np.uint32)
    for chunk in shingles(text):  # NUM_PERM × chunk hashes at a time: bounded
        permuted = _premixed_hashes(chunk)[:, None] * a + b  # uint32 arithmetic wraps: mod 2^32
        np.minimum(signature, permuted.min(axis=0), out=signature)
    return signature


def lsh_buckets(signature: np.ndarray) -> list[tuple[int, int]]:
    """(band, bucket) pairs: a bucket is a 64-bit hash of one band's rows."""
    rows = signature.reshape(LSH_BANDS, LSH_ROWS)
    return [
        (band, int.from_bytes(hashlib.blake2b(rows[band].tobytes(), digest_size=8).digest(), "little"))
        for band in range(LSH_BANDS)
    ]


@dataclass(frozen=True)
class ArticleFingerprint:
    content_hash: str
    article_id: str
    signature: np.ndarray
    buckets: list[tuple[int, int]]


def fingerprint_article(url: str | None, title: str | None, text: str) -> ArticleFingerprint:
    content_hash = article_content_hash(title, text)
    signature = minhash_signature(text)
    return ArticleFingerprint(
        content_hash=content_hash,
        article_id=article_id_for(url, content_hash),
        signature=signature,
        buckets=lsh_buckets(signature),
    )
