"""crawlcheck.parsers.html reads the elements BeautifulSoup read, and writes them as it did.

The parser reads lxml's events directly; BeautifulSoup over the same lxml parser is the
reference (it was the reading before, and its ``str(tag)`` the evidence text reports show):
the same elements, in the same order, with the same attributes and the same text, on real
archived pages, the golden pages and generated hostile markup. One deliberate difference:
bs4 writes a ``<meta>``'s charset as the output encoding, crawlcheck as the page wrote it.
"""

from __future__ import annotations

import warnings
from pathlib import Path

import bs4
import pytest
from bs4 import BeautifulSoup
from bs4.builder import HTMLTreeBuilder
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from crawlcheck.archive.captures import Capture
from crawlcheck.archive.reader import read_archive
from crawlcheck.parsers import html
from crawlcheck.parsers.html import MAX_ELEMENT_TEXT, parse_html

READ = ["base", "meta", "link", "a", "img", "source"]
#: The attributes bs4 splits at whitespace into lists (per element; "*" for every one).
SPLIT = HTMLTreeBuilder.DEFAULT_CDATA_LIST_ATTRIBUTES
Reading = list[tuple[str, dict[str, str], str | None]]


def reference(text: str) -> Reading:
    """Return (name, attributes, evidence text of a meta or link) as BeautifulSoup reads them."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", bs4.MarkupResemblesLocatorWarning)
        warnings.simplefilter("ignore", bs4.XMLParsedAsHTMLWarning)
        soup = BeautifulSoup(text, "lxml", parse_only=bs4.filter.SoupStrainer(READ))
    found: Reading = []
    for tag in soup.find_all(READ):
        assert isinstance(tag, bs4.Tag)
        attributes = {
            str(key): value if isinstance(value, str) else " ".join(value)
            for key, value in tag.attrs.items()
        }
        written = None
        if tag.name in ("meta", "link"):
            written = str(tag)
            if len(written) > MAX_ELEMENT_TEXT:
                written = written[: MAX_ELEMENT_TEXT - 1] + "…"
        found.append((tag.name, attributes, written))
    return found


def ours(text: str) -> Reading:
    """Return the same reading from crawlcheck's parser."""
    reading: Reading = []
    for element in html._read_elements(text):
        lists = SPLIT["*"] | SPLIT.get(element.name, set())
        attributes = {
            key: " ".join(value.split()) if key in lists else value
            for key, value in element.attributes.items()
        }
        written = html._element_text(element) if element.name in ("meta", "link") else None
        reading.append((element.name, attributes, written))
    return reading


def assert_same_reading(text: str) -> None:
    expected, actual = reference(text), ours(text)
    assert [(n, a) for n, a, _ in actual] == [(n, a) for n, a, _ in expected]
    for (name, attributes, written), (_, _, reference_text) in zip(actual, expected, strict=True):
        declares_charset = "charset" in attributes or (
            attributes.get("http-equiv", "").lower() == "content-type" and "content" in attributes
        )
        if name == "meta" and declares_charset:
            continue  # bs4 rewrites the charset it writes (tested below)
        assert written == reference_text


def archived_pages(warc_dir: Path) -> list[str]:
    """Return every archived response that looks like markup, decoded as crawlcheck does."""
    pages = []
    for path in sorted(warc_dir.glob("*.warc*")):
        if ".wat" in path.name:
            continue
        for item in read_archive(str(path)):
            if isinstance(item, Capture) and b"<" in item.fetched.body[:2000]:
                pages.append(html._decode(item.fetched.body, None, item.fetched.url, []))
    return pages


def test_real_archived_pages_read_as_beautifulsoup_read_them(shared_data: Path) -> None:
    pages = archived_pages(shared_data / "media" / "warc")
    assert len(pages) >= 10  # the samples hold real pages (Common Crawl, IANA, …)
    for text in pages:
        assert_same_reading(text)


def test_golden_pages_read_as_beautifulsoup_read_them() -> None:
    for page in sorted((Path(__file__).parent / "data" / "html").glob("*.*html")):
        assert_same_reading(html._decode(page.read_bytes(), None, str(page), []))


NAMES = ["name", "content", "rel", "href", "class", "property", "http-equiv", "srcset", "src"]
NAMES += ["xml:lang", "xmlns:og", "og:x", "accesskey", "rev", "NAME", "data-a", 'a"b', "c'd"]
PIECES = [*"ab &;<>\"'=/ \t\n\x0c\xa0\u2003\xe9\x00\r#", "&amp;", "&quot;", "&#0;", "noai"]
PIECES += ["&#x110000;", "https://x/", "//h/p.pdf", "a.jpg 2x, b.jpg", "data:x", "\U0001f600"]
TAGS = [*READ, "html", "head", "body", "p", "svg", "math", "script", "style", "template"]
TAGS += ["noscript", "title", "textarea", "table", "td", "select", "iframe", "frameset"]
TAGS += ["plaintext", "object", "/html", "/body", "/head", "/a", "/meta", "!doctype html", "!--"]
value = st.lists(st.sampled_from(PIECES), max_size=10).map("".join)


@st.composite
def attribute(draw: st.DrawFn) -> str:
    name = draw(st.sampled_from(NAMES))
    quote = draw(st.sampled_from(['"', "'", "", None]))
    if quote is None:
        return f" {name}"
    text = draw(value)
    return f" {name}={quote}{text if quote else text.replace(' ', '')}{quote}"


@st.composite
def markup(draw: st.DrawFn) -> str:
    parts = []
    for _ in range(draw(st.integers(0, 20))):
        kind = draw(st.integers(0, 5))
        if kind <= 3:
            attributes = "".join(draw(st.lists(attribute(), max_size=4)))
            end = draw(st.sampled_from([">", "/>", " >", ""]))
            parts.append(f"<{draw(st.sampled_from(TAGS))}{attributes}{end}")
        elif kind == 4:
            parts.append(draw(value))
        else:
            parts.append(draw(st.sampled_from(["-->", "</", "<", "&", "\ufeff", "</html>"])))
    return "".join(parts)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(markup())
def test_hostile_markup_reads_as_beautifulsoup_read_it(text: str) -> None:
    assert_same_reading(text)


@pytest.mark.parametrize(
    "page",
    [
        b"<html><body><p>x</p></body></html><meta name=robots content=noai>",
        b"<p>a\x00b</p><meta name=robots content=noai>",
        b"<meta>\x00<meta name=robots content=noai>",
        b"<div>" * 3000 + b"<meta name=robots content=noai>",
    ],
    ids=[
        "after the end of html",
        "after a NUL in text",
        "after a NUL after an element",
        "3,000 elements deep (past the depth libxml2 builds a tree to)",
    ],
)
def test_a_meta_robots_anywhere_in_the_page_is_read(page: bytes) -> None:
    doc = parse_html(page, "https://e.test/")
    assert ("robots", "noai") in doc.meta_pairs()


def test_evidence_keeps_the_charset_the_page_wrote() -> None:
    doc = parse_html(
        b'<meta name=x charset="latin-1" content="y">'
        b'<meta http-equiv=Content-Type content="text/html; charset=Shift_JIS">',
        "https://e.test/",
    )
    assert [meta.text for meta in doc.metas] == [
        '<meta charset="latin-1" content="y" name="x"/>',
        '<meta content="text/html; charset=Shift_JIS" http-equiv="Content-Type"/>',
    ]
