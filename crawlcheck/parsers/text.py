"""Shared helpers for reading text that websites serve: decoding, lines, HTML sniffing."""

from __future__ import annotations

import codecs
import re

_UTF8_BOM = codecs.BOM_UTF8
_HTML_START = re.compile(rb"^\s*<(?:!doctype\s+html|html|head|body|!--|meta|title|script)\b", re.I)


def decode_text(body: bytes, charset: str | None = None) -> tuple[str, bool]:
    """Return (*text*, *had_bom*): *body* decoded, never raising.

    UTF-8 is the default (RFC 9309 §2.3 requires it for robots.txt); a declared *charset*
    is honoured when Python knows it; undecodable bytes become U+FFFD.
    """
    had_bom = body.startswith(_UTF8_BOM)
    if had_bom:
        body = body[len(_UTF8_BOM) :]
    encoding = "utf-8"
    if charset and not had_bom:
        try:
            encoding = codecs.lookup(charset).name
        except LookupError:
            encoding = "utf-8"
    return body.decode(encoding, errors="replace"), had_bom


def looks_like_html(body: bytes, content_type: str = "") -> bool:
    """Return True when *body* is an HTML page rather than a plain-text file."""
    if content_type in ("text/html", "application/xhtml+xml"):
        return True
    return bool(_HTML_START.match(body[:512].lstrip(_UTF8_BOM)))


def charset_of(content_type_header: str | None) -> str | None:
    """Return the ``charset`` parameter of a Content-Type header value, if any."""
    if not content_type_header:
        return None
    for part in content_type_header.split(";")[1:]:
        name, _, value = part.partition("=")
        if name.strip().lower() == "charset":
            return value.strip().strip("\"'") or None
    return None
