"""RSL licence discovery: ``rel="license"`` links from ``Link`` headers and HTML ``<link>``.

:func:`license_links` parses RFC 8288 ``Link`` headers itself (commas and semicolons
inside ``<…>`` or quoted strings do not split) and reads the ``<link>`` elements of an
already parsed page. Re-exported by :mod:`crawlcheck.parsers.rsl`.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urljoin

from crawlcheck.model import Evidence, Fetched
from crawlcheck.parsers.html import HtmlDocument

#: The media type of an RSL licence document.
MEDIA_TYPE = "application/rsl+xml"


@dataclass(frozen=True, slots=True, kw_only=True)
class LicenseLink:
    """A pointer from a response to a licence document."""

    url: str
    type: str
    """``application/rsl+xml``, or ``""`` when the link has ``rel=license`` and no type."""
    evidence: Evidence

    @property
    def declared_rsl(self) -> bool:
        """Return True when the link declares the RSL media type."""
        return self.type == MEDIA_TYPE


def license_links(doc: Fetched, html: HtmlDocument | None) -> tuple[LicenseLink, ...]:
    """Return the licence links of a response: ``Link`` headers first, then ``<link>``.

    Only ``rel="license"`` links typed ``application/rsl+xml`` or untyped are kept
    (untyped ones have ``type == ""``); duplicates by URL are dropped.
    """
    base = doc.final_url or doc.url
    found: list[LicenseLink] = []
    for header in doc.header_values("Link"):
        for raw, target, params in _parse_link_header(header):
            link_type = _media_type(params.get("type", ""))
            if "license" not in params.get("rel", "").lower().split():
                continue
            url = _resolve(base, target)
            if url is not None and link_type in (MEDIA_TYPE, ""):
                evidence = Evidence(source=doc.url, text=raw, where="header Link")
                found.append(LicenseLink(url=url, type=link_type, evidence=evidence))
    if html is not None:
        for link in html.links:
            link_type = _media_type(link.type)
            if "license" in link.rel and link_type in (MEDIA_TYPE, ""):
                evidence = Evidence(source=html.source, text=link.text, where="<link rel=license>")
                found.append(LicenseLink(url=link.href, type=link_type, evidence=evidence))
    unique: dict[str, LicenseLink] = {}
    for found_link in found:
        unique.setdefault(found_link.url, found_link)
    return tuple(unique.values())


def _resolve(base: str, target: str) -> str | None:
    try:
        return urljoin(base, target.strip())
    except ValueError:
        return None


def _media_type(value: str) -> str:
    return value.split(";", 1)[0].strip().lower()


def _parse_link_header(value: str) -> list[tuple[str, str, dict[str, str]]]:
    """Return (raw link, target, params) for each link-value of an RFC 8288 ``Link`` header.

    Commas inside ``<…>`` or quoted strings do not separate links; parameter names are
    lower-cased; only the first occurrence of a parameter counts (RFC 8288 §3.3, §3.4).
    """
    links: list[tuple[str, str, dict[str, str]]] = []
    for raw in _split_outside(value, ","):
        raw = raw.strip()
        if not raw.startswith("<") or ">" not in raw:
            continue
        end = raw.index(">")
        target = raw[1:end]
        params: dict[str, str] = {}
        for param in _split_outside(raw[end + 1 :], ";"):
            name, _, val = param.partition("=")
            name = name.strip().lower().rstrip("*")
            if name:
                params.setdefault(name, _unquote(val.strip()))
        links.append((raw, target, params))
    return links


def _split_outside(text: str, sep: str) -> list[str]:
    """Split *text* on *sep* outside ``<…>`` and double-quoted strings."""
    parts: list[str] = []
    current: list[str] = []
    in_quotes = in_angle = escaped = False
    for ch in text:
        if escaped:
            escaped = False
        elif in_quotes:
            if ch == "\\":
                escaped = True
            elif ch == '"':
                in_quotes = False
        elif in_angle:
            in_angle = ch != ">"
        elif ch == '"':
            in_quotes = True
        elif ch == "<":
            in_angle = True
        elif ch == sep:
            parts.append("".join(current))
            current = []
            continue
        current.append(ch)
    parts.append("".join(current))
    return parts


def _unquote(value: str) -> str:
    if len(value) >= 2 and value[0] == value[-1] == '"':
        inner = value[1:-1]
        out: list[str] = []
        escaped = False
        for ch in inner:
            if escaped or ch != "\\":
                out.append(ch)
                escaped = False
            else:
                escaped = True
        return "".join(out)
    return value
