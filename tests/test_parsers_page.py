"""Tests for crawlcheck.parsers.page: every page-level signal of one response."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from crawlcheck.model import Fetched, Signal
from crawlcheck.parsers.page import PageSignals, parse_page

DATA = Path(__file__).parent / "data"
URL = "https://example.com/post/1"
HTML = ("Content-Type", "text/html; charset=utf-8")


def page(*headers: tuple[str, str], body: bytes = b"", final_url: str = "") -> PageSignals:
    """Return the signals of a 200 response with *headers* and *body*."""
    return parse_page(Fetched(url=URL, status=200, headers=headers, body=body, final_url=final_url))


def keys(signals: PageSignals) -> list[tuple[str, str, str, tuple[str, ...]]]:
    return [(o.signal.value, o.key, o.value, o.agents) for o in signals.observations]


def test_healsdata_opt_out_kit() -> None:
    """The kit's headers.txt and meta-tags.html together reserve for every crawler."""
    headers = tuple(
        (name.strip(), value.strip())
        for line in (DATA / "directives" / "xrt-healsdata.headers").read_text().splitlines()
        for name, _, value in [line.partition(":")]
    )
    body = (DATA / "html" / "healsdata-meta-tags.html").read_bytes()
    signals = page(HTML, *headers, body=body)
    assert keys(signals) == [
        ("x-robots-tag", "noimageai", "", ("*",)),
        ("x-robots-tag", "noai", "", ("*",)),
        ("meta-robots", "nofollow", "", ("CCBot",)),
        ("meta-robots", "noai", "", ("*",)),
        ("meta-robots", "noimageai", "", ("*",)),
    ]
    assert signals.tdm_header is not None
    assert signals.tdm_header.reservation == 1
    assert signals.tdm_meta is not None
    assert signals.tdm_meta.reservation == 1
    assert signals.tdm_header.signal is Signal.TDM_HEADER
    assert signals.tdm_meta.signal is Signal.TDM_META
    assert signals.html is not None
    assert signals.problems == ()


@pytest.mark.parametrize(
    ("doc", "code"),
    [
        (Fetched(url=URL, status=None, error="timeout"), "page.fetch-failed"),
        (Fetched(url=URL, status=None), "page.fetch-failed"),
        (Fetched(url=URL, status=404, headers=(("X-Robots-Tag", "noai"),)), "page.http-error"),
        (
            Fetched(url=URL, status=503, headers=(HTML,), body=b"<meta name=robots content=noai>"),
            "page.http-error",
        ),
    ],
)
def test_failed_responses_carry_no_signals(doc: Fetched, code: str) -> None:
    signals = parse_page(doc)
    assert signals.observations == ()
    assert signals.html is None
    assert signals.tdm_header is None
    assert signals.license_links == ()
    assert [p.code for p in signals.problems] == [code]
    assert signals.status == doc.status


def test_non_html_response_reads_only_headers() -> None:
    # standards.md §6 edge 4: an image carries its own X-Robots-Tag; page meta does not
    # travel with it.
    signals = page(
        ("Content-Type", "image/png"),
        ("X-Robots-Tag", "noimageai"),
        body=b"<meta name=robots content=noai>",
    )
    assert keys(signals) == [("x-robots-tag", "noimageai", "", ("*",))]
    assert signals.html is None
    assert signals.links == ()


def test_html_without_content_type_is_sniffed() -> None:
    signals = page(body=b"<!DOCTYPE html><meta name=robots content=noai>")
    assert keys(signals) == [("meta-robots", "noai", "", ("*",))]
    assert page(body=b"noai").html is None


def test_order_and_every_header_signal() -> None:
    signals = page(
        HTML,
        ("Content-Usage", "train-ai=n"),
        ("Content-Signal", "ai-train=no"),
        ("X-Robots-Tag", "GPTBot: noai"),
        body=b'<meta name="gptbot" content="noimageai">',
    )
    assert keys(signals) == [
        ("x-robots-tag", "noai", "", ("GPTBot",)),
        ("meta-robots", "noimageai", "", ("GPTBot",)),
        ("content-usage", "train-ai", "n", ("*",)),
        ("content-signal", "ai-train", "no", ("*",)),
    ]
    assert all(o.scope == "page" for o in signals.observations)


def test_crawler_names_reach_meta_robots() -> None:
    doc = Fetched(
        url=URL, status=200, headers=(HTML,), body=b'<meta name="examplebot" content="noai">'
    )
    assert parse_page(doc).observations == ()
    (obs,) = parse_page(doc, crawler_names=("ExampleBot",)).observations
    assert obs.agents == ("ExampleBot",)


def test_links_are_same_origin_anchors_of_the_final_url() -> None:
    body = (
        b'<a href="/a">a</a><a href="https://www.example.com/b">b</a>'
        b'<a href="http://www.example.com/c">c</a><a href="https://WWW.example.com:443/d">d</a>'
        b'<link rel="license" type="application/rsl+xml" href="/license.xml">'
    )
    signals = page(HTML, body=body, final_url="https://www.example.com/post/1")
    assert signals.links == (
        "https://www.example.com/a",
        "https://www.example.com/b",
        "https://WWW.example.com:443/d",
    )
    assert [link.url for link in signals.license_links] == ["https://www.example.com/license.xml"]


def test_license_link_header_on_a_non_html_response() -> None:
    signals = page(
        ("Content-Type", "application/pdf"),
        ("Link", '</rsl.xml>; rel="license"; type="application/rsl+xml"'),
    )
    assert [link.url for link in signals.license_links] == ["https://example.com/rsl.xml"]


# --- Content-Usage header (draft-ietf-aipref-attach-05 §3, vocab-07 serialisation) --------
# The parser is crawlcheck.parsers.aipref; these are its golden cases as a page sees them.


@pytest.mark.parametrize(
    ("values", "expected", "problems"),
    [
        (("train-ai=n",), [("train-ai", "n")], []),
        (("train-ai=n, search=y",), [("train-ai", "n"), ("search", "y")], []),
        # Two field lines combine into one Dictionary (RFC 9651 §4.2).
        (("train-ai=n", "search=y"), [("train-ai", "n"), ("search", "y")], []),
        # Duplicate keys: the last wins (RFC 9651 §3.2).
        (("train-ai=y, train-ai=n",), [("train-ai", "n")], []),
        # Parameters are ignored.
        (("train-ai=n;reason=x",), [("train-ai", "n")], []),
        # §7.5 edge 1: only the Tokens y and n mean anything.
        (("train-ai=no",), [], ["content-usage.ignored-keys"]),
        (('train-ai="n"',), [], ["content-usage.ignored-keys"]),
        (("train-ai=?0",), [], ["content-usage.ignored-keys"]),
        # Old draft labels are unknown keys (§7.5 edge 3).
        (("train-genai=n, search=y",), [("search", "y")], ["content-usage.ignored-keys"]),
        # §7.5 edge 2: SF strictness, the whole field fails.
        (("Train-AI=n",), [], ["content-usage.invalid"]),
        (("train-ai = n",), [], ["content-usage.invalid"]),
        (("train-ai=n;",), [], ["content-usage.invalid"]),
        (("",), [], []),
    ],
)
def test_content_usage_header(
    values: tuple[str, ...], expected: list[tuple[str, str]], problems: list[str]
) -> None:
    signals = page(*(("Content-Usage", v) for v in values))
    assert [(o.key, o.value) for o in signals.observations] == expected
    assert all(o.signal is Signal.CONTENT_USAGE and o.scope == "page" for o in signals.observations)
    assert [p.code for p in signals.problems] == problems


header_names = st.sampled_from(
    [
        "X-Robots-Tag",
        "Content-Usage",
        "Content-Signal",
        "Link",
        "tdm-reservation",
        "tdm-policy",
        "Content-Type",
    ]
)


@settings(max_examples=200, deadline=None)
@given(
    headers=st.lists(st.tuples(header_names, st.text(max_size=50)), max_size=6),
    body=st.binary(max_size=1500),
    status=st.one_of(st.none(), st.integers(100, 599)),
)
def test_arbitrary_responses_never_raise(
    headers: list[tuple[str, str]], body: bytes, status: int | None
) -> None:
    signals = parse_page(Fetched(url=URL, status=status, headers=tuple(headers), body=body))
    ok = status is not None and 200 <= status < 300
    assert signals.read is ok
    if not ok:
        assert signals.observations == ()
        assert signals.problems


def test_a_page_cut_at_the_cap_is_not_read() -> None:
    """A body cut at the size cap may hide a reservation past the cut: unknown, not read."""
    head = b"<html><head><style>" + b"p{}" * 1000
    doc = Fetched(
        url="https://e.com/big",
        status=200,
        headers=(("Content-Type", "text/html"),),
        body=head,
        truncated=True,
    )
    page = parse_page(doc)
    assert not page.read
    assert [(p.code, p.level) for p in page.problems] == [("page.too-large", "error")]
    whole = parse_page(Fetched(url=doc.url, status=200, headers=doc.headers, body=head))
    assert whole.read
