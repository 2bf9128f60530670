"""Find what else to fetch in what a site served: sitemap entries, page links, licences.

Pure functions over bytes (lxml for sitemaps, :mod:`crawlcheck.parsers.html` and
:mod:`crawlcheck.parsers.rsl` for pages, so the crawl and the evaluator read a page the
same way). Nothing here fetches; a damaged document yields nothing, never an exception.
"""

from __future__ import annotations

import io
import zlib
from collections.abc import Iterable
from urllib.parse import urljoin, urlsplit

from lxml import etree  # type: ignore[import-untyped,unused-ignore]

from crawlcheck.model import Fetched
from crawlcheck.parsers.html import HtmlDocument, parse_html
from crawlcheck.parsers.rsl import license_links
from crawlcheck.parsers.text import looks_like_html
from crawlcheck.urls import origin_of, same_origin, without_fragment

#: Sitemap entries read from one document (sitemaps.org allows 50,000).
MAX_SITEMAP_ENTRIES = 50_000
_GZIP_MAGIC = b"\x1f\x8b"


def sitemap_entries(body: bytes, cap: int) -> tuple[str, list[str]]:
    """Return (*kind*, *locations*) of a sitemap: kind ``urlset``, ``sitemapindex`` or ``""``.

    A gzip file (``sitemap.xml.gz``) is inflated up to *cap* bytes; a truncated or broken
    XML file yields the entries before the damage. Entities are never resolved.
    """
    if body.startswith(_GZIP_MAGIC):
        try:
            body = zlib.decompressobj(16 + 15).decompress(body, cap)
        except zlib.error:
            return "", []
    parser_events = ("start", "end")
    kind = ""
    found: list[str] = []
    try:
        for event, element in etree.iterparse(
            io.BytesIO(body),
            events=parser_events,
            recover=True,
            resolve_entities=False,
            no_network=True,
            remove_comments=True,
            huge_tree=False,
        ):
            name = _local_name(element.tag)
            if event == "start":
                if not kind:
                    kind = name if name in ("urlset", "sitemapindex") else "?"
                continue
            if name == "loc" and element.text:
                found.append(element.text.strip())
                if len(found) >= MAX_SITEMAP_ENTRIES:
                    break
            elif name in ("url", "sitemap"):
                element.clear()
    except (etree.LxmlError, ValueError):
        pass
    return ("" if kind == "?" else kind), found


def same_origin_urls(urls: Iterable[str], origin: str, base: str = "") -> list[str]:
    """Return the http(s) *urls* of *origin*, made absolute, fragments dropped, de-duplicated."""
    kept: dict[str, None] = {}
    for raw in urls:
        url = without_fragment(urljoin(base, raw.strip()) if base else raw.strip())
        if same_origin(url, origin):
            kept.setdefault(url, None)
    return list(kept)


def page_html(page: Fetched) -> HtmlDocument | None:
    """Return *page* parsed as HTML (once: links and media are read from it), or None."""
    if page.ok and looks_like_html(page.body, page.content_type):
        return parse_html(page.body, page.final_url or page.url, page.header("Content-Type"))
    return None


def page_links(
    page: Fetched, html: HtmlDocument | None
) -> tuple[list[str], list[tuple[str, bool]]]:
    """Return (*anchors*, *licences*) of a page: its ``<a href>`` targets, and its licence
    links (``Link`` header and ``<link rel=license>``) as (url, declared as RSL).

    *html* is the page as :func:`page_html` parsed it.
    """
    anchors = list(html.anchors) if html is not None else []
    licences = [(link.url, link.declared_rsl) for link in license_links(page, html)]
    return anchors, licences


def worth_fetching_licence(url: str, declared_rsl: bool, origin: str) -> bool:
    """Return True for a licence link that may be an RSL document.

    Typed ``application/rsl+xml`` links always are; an untyped ``rel=license`` link is
    fetched only when it is on the site itself or names an ``.xml`` file, so the many
    pages linking a Creative Commons deed do not send every audit to creativecommons.org.
    """
    if origin_of(url) is None:
        return False
    if declared_rsl:
        return True
    return same_origin(url, origin) or urlsplit(url).path.lower().endswith(".xml")


def _local_name(tag: object) -> str:
    text = tag if isinstance(tag, str) else ""
    return text.rsplit("}", 1)[-1].lower()
