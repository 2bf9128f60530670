"""Tests for crawlcheck.parsers.html: golden pages, encodings, and never raising."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from crawlcheck.parsers.html import MAX_ELEMENT_TEXT, HtmlDocument, parse_html

DATA = Path(__file__).parent / "data" / "html"
CASES = sorted(p for p in DATA.iterdir() if p.suffix in (".html", ".xhtml"))


def summary(doc: HtmlDocument) -> dict[str, Any]:
    """Return the comparable content of *doc* (what the golden files record)."""
    return {
        "metas": [[meta.name, meta.content] for meta in doc.metas],
        "links": [[list(link.rel), link.href, link.type] for link in doc.links],
        "anchors": list(doc.anchors),
        "problems": [problem.code for problem in doc.problems],
    }


@pytest.mark.parametrize("case", CASES, ids=lambda p: p.stem)
def test_golden(case: Path) -> None:
    expected = json.loads(case.with_suffix(".expected.json").read_text("utf-8"))
    given_input = expected.pop("input")
    doc = parse_html(case.read_bytes(), given_input["url"], given_input["content_type"])
    assert summary(doc) == expected
    assert doc.source == given_input["url"]


def test_every_golden_page_has_an_expectation() -> None:
    expected = {p.name.removesuffix(".expected.json") for p in DATA.glob("*.expected.json")}
    assert expected == {p.stem for p in CASES}


def test_element_text_is_the_element_and_truncated() -> None:
    long_content = "x" * 1000
    doc = parse_html(f'<meta name="robots" content="{long_content}">'.encode(), "https://e.com/")
    (meta,) = doc.metas
    assert meta.content == long_content
    assert meta.text.startswith("<meta")
    assert len(meta.text) == MAX_ELEMENT_TEXT


def test_header_charset_wins_over_meta_charset() -> None:
    # HTML §13.2.3.1: the transport layer's encoding comes before <meta charset>.
    body = '<meta charset="utf-8"><meta name="d" content="é">'.encode("iso-8859-1")
    doc = parse_html(body, "https://e.com/", "text/html; charset=ISO-8859-1")
    assert doc.metas[0].content == "é"


def test_byte_order_mark_wins_over_the_header() -> None:
    body = '\ufeff<meta name="d" content="é">'.encode()
    doc = parse_html(body, "https://e.com/", "text/html; charset=iso-8859-1")
    assert doc.metas[0].content == "é"


def test_undecodable_bytes_are_replaced_and_reported() -> None:
    # 0x81 is undefined in Windows-1252 and invalid in UTF-8: nothing decodes it cleanly.
    doc = parse_html(b'<meta name="d" content="\x81">', "https://e.com/")
    assert doc.metas[0].content == "\ufffd"
    assert [p.code for p in doc.problems] == ["html.undecodable"]


def test_relative_urls_resolve_against_the_page_without_base() -> None:
    doc = parse_html(
        b'<link rel="license" href="../l.xml"><a href="?q=1">q</a>', "https://e.com/a/b"
    )
    assert doc.links[0].href == "https://e.com/l.xml"
    assert doc.anchors == ("https://e.com/a/b?q=1",)


@settings(max_examples=200, deadline=None)
@given(body=st.binary(max_size=2000), content_type=st.one_of(st.none(), st.text(max_size=40)))
def test_arbitrary_bytes_never_raise(body: bytes, content_type: str | None) -> None:
    doc = parse_html(body, "https://e.com/p", content_type)
    assert all(problem.source == "https://e.com/p" for problem in doc.problems)
    assert all(anchor.startswith(("http://", "https://")) for anchor in doc.anchors)


tags = st.sampled_from(["meta", "link", "a", "base", "html", "head", "body", "p", "!--", "?xml"])
attrs = st.sampled_from(["name", "content", "href", "rel", "type", "http-equiv", "charset"])
values = st.text(alphabet=st.characters(codec="utf-8"), max_size=30)


@settings(max_examples=200, deadline=None)
@given(
    st.lists(
        st.tuples(tags, st.lists(st.tuples(attrs, values), max_size=4), st.booleans()), max_size=15
    )
)
def test_arbitrary_markup_never_raises(
    elements: list[tuple[str, list[tuple[str, str]], bool]],
) -> None:
    parts = []
    for tag, attributes, close in elements:
        rendered = " ".join(f'{name}="{value}"' for name, value in attributes)
        parts.append(f"<{tag} {rendered}>" + (f"</{tag}>" if close else ""))
    doc = parse_html("".join(parts).encode("utf-8", "surrogatepass"), "https://e.com/")
    assert all(meta.name == meta.name.lower() for meta in doc.metas)
    assert all(a.startswith(("http://", "https://")) and "#" not in a for a in doc.anchors)
