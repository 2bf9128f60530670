"""Turn a Scrapy :class:`~scrapy.http.Response` into a :class:`~crawlcheck.model.Fetched`.

The one conversion point, shared by crawlcheck's own spider (``crawlcheck.spiders.site``)
and the reusable downloader middleware (:mod:`crawlcheck.crawl.middleware`), so both hand
the parsers the same headers, the same decoded body and the same limits.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from crawlcheck.clock import now
from crawlcheck.crawl.content import decode_body
from crawlcheck.crawl.failures import HEADERS_TOO_LARGE
from crawlcheck.model import Fetched

if TYPE_CHECKING:
    from scrapy.http import Headers, Response

__all__ = ["MAX_HEADER_BYTES", "fetched_from_response", "header_pairs", "header_text"]

#: Response header bytes (names and values) kept per response. A response with more is an
#: error: a reservation (X-Robots-Tag, tdm-reservation…) may be in the part not kept.
MAX_HEADER_BYTES = 64 * 1024


def header_text(value: bytes) -> str:
    """Return a header value as text: UTF-8 if it is, else ISO-8859-1 (RFC 9110 §5.5).

    >>> header_text(b"caf\\xc3\\xa9"), header_text(b"caf\\xe9")
    ('café', 'café')
    """
    try:
        return value.decode("utf-8")
    except UnicodeDecodeError:
        return value.decode("latin-1")


def header_pairs(headers: Headers) -> tuple[tuple[tuple[str, str], ...], bool]:
    """Return (every header as (name, value), whether some were left out at the cap).

    Names are as Scrapy keeps them (title case); at most :data:`MAX_HEADER_BYTES` are kept.
    """
    pairs: list[tuple[str, str]] = []
    size = 0
    for name, values in headers.items():
        for value in values:
            size += len(name) + len(value) + 4
            if size > MAX_HEADER_BYTES:
                return tuple(pairs), True
            pairs.append((header_text(name), header_text(value)))
    return tuple(pairs), False


def fetched_from_response(
    response: Response,
    *,
    cap: int,
    url: str | None = None,
    redirects: tuple[tuple[int, str], ...] = (),
    error: str | None = None,
    elapsed_ms: float | None = None,
) -> Fetched:
    """Return *response* as a :class:`Fetched`, its body decoded and cut at *cap* bytes.

    *url* is the URL first requested (the response's own URL when None); *redirects* the
    hops that led to the response. A Content-Encoding still on the body (Scrapy's
    compression middleware off) is undone here, within the same cap; one that cannot be
    undone sets ``error``, unless *error* already names a failure.
    """
    encodings = [header_text(value) for value in response.headers.getlist(b"Content-Encoding")]
    stopped = "download_stopped" in response.flags
    body, cut, decode_error = decode_body(response.body, encodings, cap, partial=stopped)
    headers, too_many = header_pairs(response.headers)
    return Fetched(
        url=url or response.url,
        status=response.status,
        headers=headers,
        body=body,
        final_url=response.url,
        redirects=redirects,
        error=error or decode_error or (HEADERS_TOO_LARGE if too_many else None),
        fetched_at=now(),
        elapsed_ms=elapsed_ms,
        truncated=cut or stopped,
    )
