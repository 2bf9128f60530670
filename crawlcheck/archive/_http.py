"""The HTTP message inside an archive record: head, de-chunking, decoding, completeness.

The WARC libraries frame records; what a record's block says is read here, so that every
way a stored response can be incomplete is *reported* (libraries quietly return what they
have): a chunked stream that stops before its last chunk, a body shorter than its
Content-Length, a Content-Encoding that cannot be undone. The caller turns
``incomplete`` into a failed capture: a cut robots.txt must never read as a whole one.
"""

from __future__ import annotations

import functools
import io
from dataclasses import dataclass
from typing import Any

from crawlcheck.crawl.content import decode_body
from crawlcheck.crawl.failures import INCOMPLETE

#: Bytes of HTTP head read at most before the body (larger heads are invalid here).
HEAD_MAX = 64 * 1024
#: Error code of a record whose block is not an HTTP response.
INVALID_HTTP = "invalid-http"
#: Statuses that have no body (RFC 9110 §6.4.1).
_NO_BODY = frozenset({204, 304})


@dataclass(frozen=True, slots=True)
class Head:
    """An HTTP response head as stored: status and headers in order."""

    status: int | None
    headers: tuple[tuple[str, str], ...]


@dataclass(frozen=True, slots=True)
class Body:
    """A response body as the parsers get it: decoded, cut at the cap, with its defects."""

    data: bytes
    truncated: bool
    """Cut at the size limit (more was stored), or stored incomplete (then ``error`` says so)."""
    error: str | None
    notes: tuple[str, ...] = ()


def split_head(block: bytes) -> tuple[Head, bytes] | None:
    """Return the head of an HTTP response *block* and the payload after it; None if no head.

    Heads end at the first empty line (CRLF or bare LF, as servers and archivers write
    them); header values are UTF-8 when valid, else ISO-8859-1 (RFC 9110 §5.5).

    >>> head, rest = split_head(b"HTTP/1.1 404 Not Found\\nX-A: 1\\n\\nnope")
    >>> head.status, head.headers, rest
    (404, (('X-A', '1'),), b'nope')
    """
    crlf, lf = block.find(b"\r\n\r\n", 0, HEAD_MAX), block.find(b"\n\n", 0, HEAD_MAX)
    found = [(i, width) for i, width in ((crlf, 4), (lf, 2)) if i >= 0]
    if not found:
        return None
    end, width = min(found)
    try:
        parsed = _parser().parse(io.BytesIO(block[: end + width]))
    except (EOFError, ValueError):
        return None
    protocol = str(parsed.protocol).upper()
    code = str(parsed.statusline).split(" ", 1)[0]
    status = (
        int(code) if protocol.startswith("HTTP/") and len(code) == 3 and code.isdigit() else None
    )
    headers = tuple((str(name), str(value)) for name, value in parsed.headers)
    return Head(status=status, headers=headers), block[end + width :]


@functools.cache
def _parser() -> Any:
    """Return warcio's lenient head parser (made once; warcio is imported lazily)."""
    from warcio.statusandheaders import StatusAndHeadersParser

    return StatusAndHeadersParser([], verify=False)


def read_body(head: Head, payload: bytes, stored_whole: bool, cap: int) -> Body:
    """Return *payload* decoded as *head* says, cut at *cap* bytes.

    *stored_whole* is False when the reader stopped before the end of the record (its own
    limit): then a stream that stops early was cut by us (``truncated``), not by the site.
    """
    notes: list[str] = []
    if head.status in _NO_BODY:
        return Body(data=b"", truncated=False, error=None)
    codings = [c.strip().lower() for v in _values(head, "transfer-encoding") for c in v.split(",")]
    if codings and codings[-1] == "chunked":
        dechunked, ended = _dechunk(payload)
        if dechunked is None:
            # Archivers often store the body de-chunked and keep the header (warcio does
            # the same check): the payload is not chunked, read it as it is.
            notes.append("Transfer-Encoding: chunked, but the stored body is not chunked")
        else:
            payload = dechunked
            if not ended and stored_whole:
                return Body(
                    data=payload[:cap], truncated=True, error=INCOMPLETE, notes=tuple(notes)
                )
            if not ended:
                stored_whole = False
    else:
        declared = _content_length(head)
        if declared is not None and len(payload) < declared and stored_whole:
            return Body(
                data=payload[:cap],
                truncated=True,
                error=INCOMPLETE,
                notes=(f"Content-Length {declared}, only {len(payload)} bytes stored",),
            )
    encodings = _values(head, "content-encoding")
    # A stream we stopped reading ourselves is a cut prefix, not a broken one.
    data, cut, error = decode_body(payload, encodings, cap, partial=not stored_whole)
    if error is not None:
        notes.append(f"Content-Encoding {', '.join(encodings)} could not be undone")
    return Body(data=data, truncated=cut or not stored_whole, error=error, notes=tuple(notes))


def _values(head: Head, name: str) -> tuple[str, ...]:
    return tuple(value for key, value in head.headers if key.lower() == name)


def _content_length(head: Head) -> int | None:
    values = _values(head, "content-length")
    if len(values) != 1 or not values[0].strip().isdigit():
        return None
    return int(values[0].strip())


def _dechunk(payload: bytes) -> tuple[bytes | None, bool]:
    """Return (the de-chunked data, whether the last chunk was seen); (None, False) if not chunked.

    >>> _dechunk(b"3\\r\\nabc\\r\\n0\\r\\n\\r\\n"), _dechunk(b"3\\r\\nab"), _dechunk(b"hello")
    ((b'abc', True), (b'ab', False), (None, False))
    """
    out = bytearray()
    pos = 0
    first = True
    while True:
        eol = payload.find(b"\n", pos, pos + 1024)
        if eol < 0:
            return (None, False) if first else (bytes(out), False)
        size_text = payload[pos:eol].split(b";", 1)[0].strip()
        try:
            size = int(size_text, 16)
        except ValueError:
            return (None, False) if first else (bytes(out), False)
        first = False
        start = eol + 1
        if size == 0:
            return bytes(out), True
        out += payload[start : start + size]
        if start + size > len(payload):
            return bytes(out), False
        pos = start + size
        # The CRLF after the chunk data (a bare LF is tolerated).
        if payload.startswith(b"\r\n", pos):
            pos += 2
        elif payload.startswith(b"\n", pos):
            pos += 1
