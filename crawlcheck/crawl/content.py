"""Undo a response's Content-Encoding within a byte cap, and know when it did not decode.

Pure functions (no Scrapy). A body is either decoded to its end, cut at the cap (a known
prefix), or not decodable: an unknown coding, a stream that ends before its end marker, or
bytes after the end. Only the first two are content; the third is an error, so a gzip
robots.txt cut in half is unreachable, never "empty" (RFC 9110 §8.4: every coding listed
was applied, in order).
"""

from __future__ import annotations

import zlib
from collections.abc import Iterable

#: Fetched.error code of a body whose Content-Encoding could not be undone.
CONTENT_ENCODING = "content-encoding"
_GZIP_MAGIC = b"\x1f\x8b"


def content_codings(values: Iterable[str]) -> list[str]:
    """Return the codings of every Content-Encoding field value, in the order applied.

    RFC 9110 §8.4: the field is a comma-separated list, and may be repeated.

    >>> content_codings(["gzip, gzip", "identity"])
    ['gzip', 'gzip', 'identity']
    """
    return [part.strip().lower() for value in values for part in value.split(",") if part.strip()]


def decode_body(
    body: bytes, encodings: Iterable[str], cap: int, *, partial: bool = False
) -> tuple[bytes, bool, str | None]:
    """Return (*content*, *cut*, *error*): *body* with its Content-Encoding undone.

    At most *cap* bytes come out (*cut* says more were there), so a small compressed body
    cannot expand into gigabytes. *partial* says the download itself was stopped at the cap:
    a stream that ends early is then a cut prefix, not an error. A coding that cannot be
    undone, or a stream that is incomplete or has bytes after its end, leaves the body as
    received, with *error* set.
    """
    content = body
    for coding in reversed(content_codings(encodings)):
        if coding == "identity":
            continue
        if coding in ("gzip", "x-gzip"):
            decoded = _gunzip(content, cap, partial)
        elif coding == "deflate":
            decoded = _inflate(content, cap, partial)
        elif coding == "br":
            decoded = _unbrotli(content, cap, partial)
        else:
            decoded = None  # zstd, compress, …: not asked for (Accept-Encoding) and not read
        if decoded is None:
            return body[:cap], len(body) > cap, CONTENT_ENCODING
        content = decoded
    return content[:cap], len(content) > cap, None


def _gunzip(data: bytes, cap: int, partial: bool) -> bytes | None:
    """Return gzip *data* (every member, RFC 1952 §2.2) inflated up to *cap* + 1 bytes."""
    out = bytearray()
    rest = data
    while True:
        inflater = zlib.decompressobj(16 + zlib.MAX_WBITS)
        try:
            out += inflater.decompress(rest, cap + 1 - len(out))
        except zlib.error:
            return None
        if len(out) > cap:
            return bytes(out)  # cut at the cap: what follows is never decoded
        if not inflater.eof:
            return bytes(out) if partial else None
        rest = inflater.unused_data
        if not rest:
            return bytes(out)
        if not rest.startswith(_GZIP_MAGIC):
            return None  # bytes after the last member: not a gzip stream


def _inflate(data: bytes, cap: int, partial: bool) -> bytes | None:
    """Return zlib (RFC 9110 "deflate") or raw-deflate *data* inflated up to *cap* + 1 bytes."""
    for bits in (zlib.MAX_WBITS, -zlib.MAX_WBITS):  # some servers send raw deflate
        inflater = zlib.decompressobj(bits)
        try:
            out = inflater.decompress(data, cap + 1)
        except zlib.error:
            continue
        if len(out) > cap:
            return out
        if inflater.eof:
            return out if not inflater.unused_data else None
        return out if partial else None
    return None


def _unbrotli(data: bytes, cap: int, partial: bool) -> bytes | None:
    """Return brotli *data* decoded up to *cap* + 1 bytes; None if brotli is not installed."""
    try:
        import brotli  # type: ignore[import-untyped,import-not-found,unused-ignore]  # optional
    except ImportError:
        return None
    try:
        decoder = brotli.Decompressor()
        out: bytes = decoder.process(data, output_buffer_limit=cap + 1)
        finished = bool(decoder.is_finished())
    except (brotli.error, TypeError, AttributeError):
        return None
    if len(out) > cap or finished or partial:
        return out
    return None
