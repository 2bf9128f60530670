"""One parse of an HTML page: its meta tags, ``<link>`` elements and outgoing links.

Every page-level parser (meta robots, TDMRep meta, RSL ``<link rel=license>``, page
sampling) reads the same :class:`HtmlDocument`, so a page is parsed once. The parse uses
lxml's HTML parser (libxml2) and never raises: the encoding is the first that decodes
cleanly of, in the order of HTML §13.2.3.1, the byte-order mark, the Content-Type
``charset``, ``<meta charset>`` (found by bs4's ``EncodingDetector``), then UTF-8 and
Windows-1252. The parser's start-tag events are read as it meets them, keeping only the
elements read and building no tree; the evidence of an element is written as BeautifulSoup
writes it (``str(tag)``), which is what crawlcheck's reports have always shown.
"""

from __future__ import annotations

import codecs
import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import NamedTuple
from urllib.parse import urldefrag, urljoin, urlsplit

from bs4.dammit import EncodingDetector
from lxml import etree  # type: ignore[import-untyped,unused-ignore]

from crawlcheck.model import Problem
from crawlcheck.parsers.text import charset_of

#: Evidence keeps at most this many characters of an element.
MAX_ELEMENT_TEXT = 300

#: The only elements read, each to the list that reads it (``<source>`` with ``<img>``).
_READ_TAGS = {
    "base": "base",
    "meta": "meta",
    "link": "link",
    "a": "a",
    "img": "img",
    "source": "img",
}
#: Attributes that BeautifulSoup reads as space-separated lists and so writes with their
#: whitespace collapsed (its HTML tree builder's ``DEFAULT_CDATA_LIST_ATTRIBUTES``, for the
#: two elements whose text is evidence).
_LIST_ATTRIBUTES = {
    "meta": frozenset({"class", "accesskey", "dropzone"}),
    "link": frozenset({"class", "accesskey", "dropzone", "rel", "rev"}),
}
_NON_WHITESPACE = re.compile(r"\S+")
_XML_SPECIAL = re.compile("[&<>]")
_XML_ENTITY = {"&": "&amp;", "<": "&lt;", ">": "&gt;"}


class _Element(NamedTuple):
    """One element read: its (lower-case) name and its attributes, in document order."""

    name: str
    attributes: dict[str, str]

    def get(self, attribute: str) -> str | None:
        """Return the value of *attribute*, or None when the element has none."""
        return self.attributes.get(attribute)


@dataclass(frozen=True, slots=True, kw_only=True)
class MetaTag:
    """One ``<meta>`` element with a ``name`` or ``http-equiv`` attribute."""

    name: str
    """The ``name`` (else ``http-equiv``) value, stripped and lower-cased."""
    content: str
    text: str
    """The element as serialised, truncated to about 300 characters."""


@dataclass(frozen=True, slots=True, kw_only=True)
class LinkTag:
    """One ``<link>`` element."""

    rel: tuple[str, ...]
    """Link relation types, lower-cased."""
    href: str
    """Absolute URL: resolved against ``<base href>`` or the page URL."""
    type: str
    text: str


@dataclass(frozen=True, slots=True, kw_only=True)
class HtmlDocument:
    """What crawlcheck reads from one HTML page."""

    source: str
    metas: tuple[MetaTag, ...]
    links: tuple[LinkTag, ...]
    anchors: tuple[str, ...]
    """Absolute http(s) targets of ``<a href>``, fragments dropped, first occurrence order."""
    problems: tuple[Problem, ...]
    media: tuple[tuple[str, str], ...] = ()
    """(absolute http(s) URL, how) of the images and documents the page shows or links, in
    document order: ``og:image`` (``<meta property=og:image>``, ``twitter:image``), ``img``
    (``<img src>``), ``srcset`` (each ``<img srcset>`` / ``<source srcset>`` candidate) and
    ``link`` (an ``<a href>`` whose path ends in ``.pdf`` or ``.epub``)."""

    def meta_pairs(self) -> tuple[tuple[str, str], ...]:
        """Return ``(name, content)`` of every meta tag (the input of ``tdm_from_meta``)."""
        return tuple((meta.name, meta.content) for meta in self.metas)


def parse_html(body: bytes, url: str, content_type_header: str | None = None) -> HtmlDocument:
    """Return the meta tags, links and anchors of an HTML *body*; never raises.

    >>> doc = parse_html(b'<meta name="Robots" content="noai"><a href="/x#y">x</a>',
    ...                  "https://example.com/")
    >>> doc.metas[0].name, doc.metas[0].content, doc.anchors
    ('robots', 'noai', ('https://example.com/x',))
    """
    problems: list[Problem] = []
    text = _decode(body, charset_of(content_type_header), url, problems)
    try:
        elements = _read_elements(text)
    except Exception as exc:  # lxml rejects a few pathological inputs; a page is data
        problems.append(
            Problem(
                code="html.unparseable",
                message=f"the page could not be parsed as HTML ({type(exc).__name__})",
                source=url,
                level="error",
            )
        )
        return HtmlDocument(source=url, metas=(), links=(), anchors=(), problems=tuple(problems))
    found: dict[str, list[_Element]] = {name: [] for name in _READ_TAGS.values()}
    for element in elements:
        found[_READ_TAGS[element.name]].append(element)
    base = _base_url(found["base"], url)
    anchors = tuple(dict.fromkeys(_anchors(found["a"], base)))
    return HtmlDocument(
        source=url,
        metas=tuple(_metas(found["meta"])),
        links=tuple(_links(found["link"], base)),
        anchors=anchors,
        problems=tuple(problems),
        media=tuple(dict.fromkeys(_media(found, base, anchors))),
    )


def _read_elements(text: str) -> list[_Element]:
    """Return the elements read (``_READ_TAGS``), in document order."""
    # A leading U+FEFF would be taken for text (lxml bug 1948551, which bs4 works around).
    text = text.removeprefix("\ufeff")
    # The parser's events, not a tree: libxml2 leaves elements after </html> out of the
    # tree it builds, yet a browser reads them into <body> (HTML §13.2.6.4, the "after
    # after body" insertion mode), and it stops building a tree past 2,048 levels of
    # nesting (256 without huge_tree), silently: a <meta name=robots> there still counts.
    parser = etree.HTMLParser(target=_ElementReader())
    parser.feed(text)
    found: list[_Element] = parser.close()
    return found


class _ElementReader:
    """lxml parser target: keeps the elements read as the parser meets them, builds nothing."""

    def __init__(self) -> None:
        self.found: list[_Element] = []

    def start(self, tag: str, attrib: dict[str, str]) -> None:
        """Keep *tag* if it is read (lxml gives HTML names in lower case)."""
        if tag in _READ_TAGS:
            self.found.append(_Element(tag, dict(attrib)))

    def close(self) -> list[_Element]:
        """Return the elements kept, in document order (what ``parser.close()`` returns)."""
        return self.found


def _decode(body: bytes, charset: str | None, url: str, problems: list[Problem]) -> str:
    known: list[str] = []
    if charset:
        try:
            known.append(codecs.lookup(charset).name)
        except LookupError:
            problems.append(
                Problem(
                    code="html.unknown-charset",
                    message=f"Content-Type declares an unknown charset '{charset}'; guessed instead",
                    source=url,
                    level="info",
                )
            )
    # Candidates (HTML §13.2.3.1): the BOM, the Content-Type charset, <meta charset>, then
    # UTF-8 and the spec's usual fallback Windows-1252. No statistical guessing: it would
    # depend on whether chardet happens to be installed. Decoding here rather than in
    # UnicodeDammit also keeps its "replaced characters" log line off the user's stderr.
    data, sniffed = EncodingDetector.strip_byte_order_mark(body)
    declared = EncodingDetector.find_declared_encoding(data, is_html=True)
    if declared and declared.startswith("utf-16"):
        declared = "utf-8"  # HTML §13.2.3.2: a <meta> can only be read in an ASCII superset
    candidates = list(
        dict.fromkeys(e for e in (sniffed, *known, declared, "utf-8", "windows-1252") if e)
    )
    for encoding in candidates:
        try:
            return data.decode(encoding)
        # "undefined" raises a bare UnicodeError; a name with a NUL in it, ValueError.
        except (UnicodeError, LookupError, ValueError):
            continue
    problems.append(
        Problem(
            code="html.undecodable",
            message="no encoding decodes the page cleanly; undecodable bytes were replaced",
            source=url,
            level="info",
        )
    )
    for encoding in candidates:
        try:
            return data.decode(encoding, errors="replace")
        except (UnicodeError, LookupError, ValueError):
            continue
    return data.decode("utf-8", errors="replace")


def _attr(tag: _Element, name: str) -> str:
    """Return attribute *name* of *tag*, or "" when it has none."""
    return tag.attributes.get(name, "")


def _element_text(tag: _Element) -> str:
    """Return *tag* written as BeautifulSoup's ``str(tag)`` writes an empty element."""
    # Sorted attributes, ``&<>`` escaped, list attributes' whitespace collapsed, double
    # quotes unless the value holds one (then single, or &quot; when it holds both).
    lists = _LIST_ATTRIBUTES.get(tag.name, frozenset())
    parts = ["<", tag.name]
    for key, value in sorted(tag.attributes.items()):
        if key in lists:
            value = " ".join(_NON_WHITESPACE.findall(value))
        value = _XML_SPECIAL.sub(lambda match: _XML_ENTITY[match.group()], value)
        quote = '"'
        if '"' in value:
            if "'" in value:
                value = value.replace('"', "&quot;")
            else:
                quote = "'"
        parts += (" ", key, "=", quote, value, quote)
    parts.append("/>")
    text = "".join(parts)
    return text if len(text) <= MAX_ELEMENT_TEXT else text[: MAX_ELEMENT_TEXT - 1] + "…"


def _resolve(base: str, href: str) -> str | None:
    try:
        return urljoin(base, href.strip())
    except ValueError:  # e.g. an unbalanced IPv6 bracket
        return None


def _base_url(bases: list[_Element], url: str) -> str:
    # HTML §4.2.3: only the first <base> with an href counts.
    for tag in bases:
        if tag.get("href") is not None:
            return _resolve(url, _attr(tag, "href")) or url
    return url


def _metas(metas: list[_Element]) -> Iterable[MetaTag]:
    for tag in metas:
        name = (_attr(tag, "name") or _attr(tag, "http-equiv")).strip().lower()
        if name:
            yield MetaTag(name=name, content=_attr(tag, "content"), text=_element_text(tag))


def _links(links: list[_Element], base: str) -> Iterable[LinkTag]:
    for tag in links:
        if tag.get("href") is None:
            continue
        href = _resolve(base, _attr(tag, "href"))
        if href is None:
            continue
        yield LinkTag(
            rel=tuple(_attr(tag, "rel").lower().split()),
            href=href,
            type=_attr(tag, "type").strip(),
            text=_element_text(tag),
        )


def _anchors(anchors: list[_Element], base: str) -> Iterable[str]:
    for tag in anchors:
        if tag.get("href") is None:
            continue
        href = _resolve(base, _attr(tag, "href"))
        if href is None:
            continue
        href = urldefrag(href).url
        try:
            scheme = urlsplit(href).scheme.lower()
        except ValueError:
            continue
        if scheme in ("http", "https"):
            yield href


#: ``<meta>`` properties and names that name a page's image (Open Graph, Twitter cards).
_IMAGE_METAS = frozenset({"og:image", "og:image:url", "og:image:secure_url", "twitter:image"})
#: Link targets read as documents (by the path's extension: a page links them by name).
_DOCUMENT_SUFFIXES = (".pdf", ".epub")


def _media(
    found: dict[str, list[_Element]], base: str, anchors: tuple[str, ...]
) -> Iterable[tuple[str, str]]:
    """Yield (URL, how) of the images and documents a page shows or links."""
    for tag in found["meta"]:
        name = (_attr(tag, "property") or _attr(tag, "name")).strip().lower()
        if name in _IMAGE_METAS:
            yield from _http(base, _attr(tag, "content"), "og:image")
    for tag in found["img"]:  # <img> and <source>, in document order
        if tag.name == "img":
            yield from _http(base, _attr(tag, "src"), "img")
        # HTML §4.8.4.2.1: comma-separated candidates, each a URL and an optional descriptor.
        for candidate in _attr(tag, "srcset").split(","):
            parts = candidate.split()
            if parts:
                yield from _http(base, parts[0], "srcset")
    for href in anchors:
        try:
            path = urlsplit(href).path.lower()
        except ValueError:
            continue
        if path.endswith(_DOCUMENT_SUFFIXES):
            yield href, "link"


def _http(base: str, value: str, how: str) -> Iterable[tuple[str, str]]:
    """Yield (absolute http(s) URL without fragment, how) for a URL attribute, if usable."""
    if not value.strip() or value.strip().lower().startswith("data:"):
        return
    href = _resolve(base, value)
    if href is None:
        return
    href = urldefrag(href).url
    try:
        scheme = urlsplit(href).scheme.lower()
    except ValueError:
        return
    if scheme in ("http", "https"):
        yield href, how
