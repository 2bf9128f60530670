"""Classify fetch outcomes, and the other pure helpers of the crawl (no Scrapy here).

What a robots.txt fetch means (RFC 9309 §2.3.1) is :mod:`crawlcheck.access`, shared with
the evaluator so that the crawl and the report never disagree.
"""

from __future__ import annotations

import datetime
import zlib

#: RFC 9309 §2.3.1.2: crawlers SHOULD follow at least five consecutive redirects.
MAX_REDIRECTS = 5

# Machine codes of Fetched.error (docs/crawl.md, "Errors").
TIMEOUT = "timeout"
DNS = "dns"
CONNECTION = "connection"
INCOMPLETE = "incomplete"
TLS = "tls"
PROXY = "proxy"
TOO_MANY_REDIRECTS = "too-many-redirects"
REDIRECT_LOOP = "redirect-loop"
REDIRECT_INVALID = "redirect-invalid"
OFFSITE_REDIRECT = "offsite-redirect"
CONTENT_ENCODING = "content-encoding"
ROBOTS_DISALLOWED = "robots-disallowed"
ROBOTS_UNREACHABLE = "robots-unreachable"
INVALID_URL = "invalid-url"
OTHER = "error"


def without_fragment(url: str) -> str:
    """Return *url* without its ``#fragment``."""
    return url.split("#", 1)[0]


def now() -> str:
    """Return the current UTC time in RFC 3339 form, to the millisecond."""
    stamp = datetime.datetime.now(datetime.UTC)
    return stamp.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def decode_body(body: bytes, encodings: list[str], cap: int) -> tuple[bytes, bool, str | None]:
    """Return (*content*, *cut*, *error*): *body* with its Content-Encoding undone.

    At most *cap* bytes come out (*cut* says more were there), so a small compressed body
    cannot expand into gigabytes. A truncated stream decodes as far as it goes. An
    encoding that cannot be undone leaves the body as received, with *error* set.
    """
    content = body
    for encoding in reversed([e.strip().lower() for e in encodings if e.strip()]):
        if encoding == "identity":
            continue
        if encoding in ("gzip", "x-gzip", "deflate"):
            decoded = _inflate(content, encoding, cap)
        elif encoding == "br":
            decoded = _unbrotli(content, cap)
        else:
            decoded = None
        if decoded is None:
            return body[:cap], len(body) > cap, CONTENT_ENCODING
        content = decoded
    return content[:cap], len(content) > cap, None


def _inflate(data: bytes, encoding: str, cap: int) -> bytes | None:
    """Return gzip/zlib/raw-deflate *data* inflated up to *cap* + 1 bytes, or None."""
    # 32 + 15: zlib or gzip header, detected; deflate is also sent raw by some servers.
    window_bits = (32 + 15, -15) if encoding == "deflate" else (16 + 15,)
    for bits in window_bits:
        inflater = zlib.decompressobj(bits)
        try:
            return inflater.decompress(data, cap + 1)
        except zlib.error:
            continue
    return None


def _unbrotli(data: bytes, cap: int) -> bytes | None:
    """Return brotli *data* decoded up to *cap* + 1 bytes, or None if brotli is missing."""
    try:
        import brotli  # type: ignore[import-untyped,import-not-found,unused-ignore]  # optional
    except ImportError:
        return None
    try:
        decoder = brotli.Decompressor()
        out: bytes = decoder.process(data, output_buffer_limit=cap + 1)
    except (brotli.error, TypeError):
        return None
    return out


#: Exception class names (anywhere in the MRO) and the error code each means.
_FAILURE_NAMES: tuple[tuple[frozenset[str], str], ...] = (
    (frozenset({"TunnelError"}), PROXY),
    (frozenset({"CannotResolveHostError", "DNSLookupError", "NoResolverError"}), DNS),
    (
        frozenset({"DownloadTimeoutError", "TimeoutError", "TCPTimedOutError", "UserTimeoutError"}),
        TIMEOUT,
    ),
    (frozenset({"ResponseDataLossError", "_DataLoss", "PotentialDataLoss"}), INCOMPLETE),
    (frozenset({"SSLError", "CertificateError", "VerifyError"}), TLS),
    (
        frozenset(
            {
                "DownloadConnectionRefusedError",
                "ConnectionRefusedError",
                "ConnectError",
                "ConnectionLost",
                "ConnectionDone",
                "ConnectionAborted",
                "ResponseNeverReceived",
                "ResponseFailed",
                "DownloadFailedError",
                "ConnectionResetError",
            }
        ),
        CONNECTION,
    ),
)


def failure_code(exc: BaseException) -> str:
    """Return the error code of a download exception (by class name, so no Twisted import).

    The exception's causes (``__cause__``, Twisted's ``reasons``) are searched first, so a
    generic wrapper such as ``DownloadFailedError`` reports the TLS or data-loss failure
    inside it.
    """
    chain = list(_causes(exc, depth=4))
    for names, code in _FAILURE_NAMES:
        for item in chain:
            if names & {cls.__name__ for cls in type(item).__mro__}:
                return code
            if code == TLS and type(item).__module__.startswith("OpenSSL"):
                return TLS
    return OTHER


def _causes(exc: BaseException, depth: int) -> list[BaseException]:
    """Return *exc*'s causes, innermost first, then *exc* itself."""
    found: list[BaseException] = []
    if depth > 0:
        inner: list[object] = [exc.__cause__, *(getattr(exc, "reasons", None) or ())]
        for item in inner:
            value = getattr(item, "value", item)  # a Twisted Failure wraps its exception
            if isinstance(value, BaseException):
                found.extend(_causes(value, depth - 1))
    found.append(exc)
    return found
