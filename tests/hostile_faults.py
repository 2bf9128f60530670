"""The ways a hostile server can fail to deliver a file, as fixture-web resources.

Each fault of :data:`FAULTS` turns the body a file really has (and its content type) into a
resource mapping of the fixture web (tests/webfixture.py, docs/fixture-web.md): a 5xx, a hang,
a drop, a reset halfway, a short body, a chunked body cut, HTTP/0.9, gzip cut or garbage,
zstd, ``gzip, gzip``, 8 MB of headers, a slow drip. tests/hostile_cases.py applies them to
robots.txt, ai.txt, tdmrep.json and pages.
"""

from __future__ import annotations

import gzip
from collections.abc import Callable
from typing import Any

ALLOW_ALL = "User-agent: *\nAllow: /\n"
#: The first part of a file that reserves everything at its end: on its own it reserves
#: nothing (another group), so a reader that uses what arrived of it says ``allowed``.
ALLOW_PREFIX = "User-agent: ExampleBot\nAllow: /\n"
DISALLOW_ALL = "User-agent: *\nDisallow: /\n"
AI_TXT_RESERVE = "User-agent: *\nDisallow: /\n"
TDMREP_RESERVE = '[{"location": "/", "tdm-reservation": 1}]\n'
TDMREP_OPEN = '[{"location": "/", "tdm-reservation": 0}]\n'


def text(body: str | bytes) -> bytes:
    """Return *body* as bytes."""
    return body.encode() if isinstance(body, str) else body


def padded(prefix: str, suffix: str, size: int) -> bytes:
    """Return *prefix*, comment lines, then *suffix*, *size* bytes in all."""
    filler = size - len(prefix) - len(suffix)
    line = "# " + "x" * 76 + "\n"
    whole, rest = divmod(filler, len(line))
    pad = line * whole + ("#" * (rest - 1) + "\n" if rest else "")
    return (prefix + pad + suffix).encode()


def zstd_compress(data: bytes) -> bytes:
    """Return *data* as a zstd frame (Python 3.14's compression.zstd, else backports.zstd)."""
    try:
        from compression import zstd  # type: ignore[import-not-found,unused-ignore]
    except ImportError:  # Python < 3.14: the backport Scrapy itself depends on
        from backports import zstd  # type: ignore[import-not-found,no-redef,unused-ignore]
    compressed: bytes = zstd.compress(data)
    return compressed


# -- the ways a file can fail to arrive ------------------------------------------------------

#: A fault turns (path, real body, content type) into a resource mapping.
Fault = Callable[[bytes, str], dict[str, Any]]


def hexed(body: bytes) -> str:
    return body.hex()


def _status(code: int) -> Fault:
    return lambda body, ctype: {"status": code, "body_hex": hexed(DISALLOW_ALL.encode())}


def _raw_chunked_cut(body: bytes, ctype: str) -> dict[str, Any]:
    head = f"HTTP/1.1 200 OK\r\nContent-Type: {ctype}\r\nTransfer-Encoding: chunked\r\n\r\n"
    half = body[: max(1, len(body) // 2)]
    # One whole chunk, then the start of another that never ends (no 0-size last chunk).
    raw = head.encode() + f"{len(half):x}\r\n".encode() + half + b"\r\n400\r\n" + b"# more"
    return {"raw_hex": hexed(raw)}


def _http09(body: bytes, ctype: str) -> dict[str, Any]:
    # HTTP/0.9: the body alone, no status line, no headers (RFC 9112 dropped it).
    return {"raw_hex": hexed(body)}


def _gzip_cut(body: bytes, ctype: str) -> dict[str, Any]:
    packed = gzip.compress(body, mtime=0)
    return {
        "body_hex": hexed(packed[: len(packed) // 2]),
        "headers": {"Content-Encoding": "gzip"},
        "content_type": ctype,
    }


def _gzip_garbage(body: bytes, ctype: str) -> dict[str, Any]:
    return {
        "body_hex": hexed(b"\x1f\x8b" + bytes(range(7, 240))),
        "headers": {"Content-Encoding": "gzip"},
        "content_type": ctype,
    }


def _zstd(body: bytes, ctype: str) -> dict[str, Any]:
    return {
        "body_hex": hexed(zstd_compress(body)),
        "headers": {"Content-Encoding": "zstd"},
        "content_type": ctype,
    }


def gzip_gzip(body: bytes, ctype: str) -> dict[str, Any]:
    # RFC 9110 §8.4: "gzip, gzip" is legal: both codings were applied, in order.
    return {
        "body_hex": hexed(gzip.compress(gzip.compress(body, mtime=0), mtime=0)),
        "headers": {"Content-Encoding": "gzip, gzip"},
        "content_type": ctype,
    }


def _huge_headers(body: bytes, ctype: str) -> dict[str, Any]:
    return {"body_hex": hexed(body), "content_type": ctype, "header_bytes": 8 * 1024 * 1024}


#: Each fault with the body the file really has when it arrives whole. ``reserving`` faults
#: deliver (when decoded) a file that reserves everything; the others carry an allow-all
#: prefix, so that a reader using what arrived says ``allowed``.
FAULTS: dict[str, tuple[Fault, bool]] = {
    "http-500": (_status(500), False),
    "http-503": (_status(503), False),
    "hang": (lambda body, ctype: {"body_hex": hexed(body), "hang": True}, False),
    "drop": (lambda body, ctype: {"body_hex": hexed(body), "drop": True}, False),
    "reset-mid-body": (
        lambda body, ctype: {"body_hex": hexed(body), "reset": True, "content_type": ctype},
        False,
    ),
    "short-body": (
        lambda body, ctype: {"body_hex": hexed(body), "truncate": True, "content_type": ctype},
        False,
    ),
    "chunked-cut": (_raw_chunked_cut, False),
    "http-0.9": (_http09, False),
    "gzip-cut-in-half": (_gzip_cut, False),
    "gzip-garbage": (_gzip_garbage, False),
    "zstd": (_zstd, True),
    "gzip-gzip": (gzip_gzip, True),
    "8mb-headers": (_huge_headers, False),
    "slow-drip": (
        lambda body, ctype: {"body_hex": hexed(body), "drip": 1.0, "content_type": ctype},
        False,
    ),
}


def partial_then_reserve(reserve: str) -> bytes:
    """Return a file whose first part reserves nothing and whose end reserves everything."""
    return padded(ALLOW_PREFIX, reserve, 6000)
