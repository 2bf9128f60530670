"""RSL licence discovery: ``rel="license"`` links from ``Link`` headers and HTML ``<link>``.

:func:`license_links` parses RFC 8288 ``Link`` headers itself (commas and semicolons
inside ``<…>`` or quoted strings do not split) and reads the ``<link>`` elements of an
already parsed page. Re-exported by :mod:`crawlcheck.parsers.rsl`.
"""

from __future__ import annotations

from dataclasses import dataclass

from crawlcheck.model import Evidence, Fetched
from crawlcheck.parsers.html import HtmlDocument
from crawlcheck.parsers.links import parse_link_header

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
        for value in parse_link_header(header, base):
            value_type = _media_type(value.param("type"))
            if "license" in value.rels and value_type in (MEDIA_TYPE, ""):
                evidence = Evidence(source=doc.url, text=value.raw, where="header Link")
                found.append(LicenseLink(url=value.url, type=value_type, evidence=evidence))
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


def _media_type(value: str) -> str:
    return value.split(";", 1)[0].strip().lower()
