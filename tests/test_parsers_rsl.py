"""Tests for crawlcheck.parsers.rsl: licence discovery, licence XML, hostile XML."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from crawlcheck.model import Fetched, Signal
from crawlcheck.parsers.html import parse_html
from crawlcheck.parsers.rsl import MEDIA_TYPE, RslLicense, license_links, parse_rsl

DATA = Path(__file__).parent / "data" / "rsl"
CASES = sorted(DATA.glob("*.xml"))
LICENSE_URL = "https://example.com/license.xml"


def fetched(body: bytes, content_type: str = MEDIA_TYPE, **kwargs: Any) -> Fetched:
    """Return a 200 response serving *body* as the licence document."""
    headers = (("Content-Type", content_type),) if content_type else ()
    return Fetched(url=LICENSE_URL, status=200, headers=headers, body=body, **kwargs)


def summary(lic: RslLicense, queries: list[str]) -> dict[str, Any]:
    """Return the comparable content of a parsed licence (what the golden files record)."""
    chosen = {url: lic.terms_for(url) for url in queries}
    return {
        "usable": lic.usable,
        "contents": [
            {
                "url": c.url,
                "server": c.server,
                "permits": sorted(c.permits),
                "prohibits": sorted(c.prohibits),
                "payment": list(c.payment),
                "line": c.evidence.line,
            }
            for c in lic.contents
        ],
        "problems": [[p.code, p.line] for p in lic.problems],
        "observations": [[o.key, o.value, o.scope, o.evidence.line] for o in lic.observations()],
        "terms_for": {url: None if c is None else c.url for url, c in chosen.items()},
    }


@pytest.mark.parametrize("case", CASES, ids=lambda p: p.stem)
def test_golden(case: Path) -> None:
    expected = json.loads(case.with_suffix(".expected.json").read_text("utf-8"))
    content_type = expected.pop("input", {}).get("content_type", MEDIA_TYPE)
    lic = parse_rsl(fetched(case.read_bytes(), content_type))
    assert summary(lic, list(expected["terms_for"])) == expected
    assert lic.source == LICENSE_URL


def test_every_golden_file_has_an_expectation() -> None:
    expected = {p.name.removesuffix(".expected.json") for p in DATA.glob("*.expected.json")}
    assert expected == {p.stem for p in CASES}


def test_observations_carry_signal_scope_and_evidence() -> None:
    lic = parse_rsl(fetched((DATA / "basic.xml").read_bytes()))
    obs = {(o.key, o.value): o for o in lic.observations()}
    prohibit = obs[("prohibits", "ai-train")]
    assert prohibit.signal is Signal.RSL
    assert prohibit.scope == "/"
    assert prohibit.evidence.describe() == 'line 6: <prohibits type="usage">ai-train</prohibits>'
    assert obs[("server", "https://rsl.example.org/api")].evidence.line == 3


# --- hostile XML: nothing expanded, nothing read, nothing fetched, quickly -------------


def test_billion_laughs_is_refused_quickly() -> None:
    started = time.monotonic()
    lic = parse_rsl(fetched((DATA / "hostile-billion-laughs.xml").read_bytes()))
    assert time.monotonic() - started < 1.0
    assert not lic.usable
    assert [p.code for p in lic.problems] == ["rsl.unsafe-xml"]


def test_external_entity_does_not_read_a_local_file(tmp_path: Path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("ai-train TOP-SECRET")
    body = (
        f'<?xml version="1.0"?><!DOCTYPE rsl [<!ENTITY s SYSTEM "{secret.as_uri()}">]>'
        '<rsl xmlns="https://rslstandard.org/rsl"><content url="/"><license>'
        '<permits type="usage">&s;</permits></license></content></rsl>'
    ).encode()
    lic = parse_rsl(fetched(body))
    assert not lic.usable
    assert "TOP-SECRET" not in repr(lic)


def test_external_dtd_is_not_loaded(tmp_path: Path) -> None:
    dtd = tmp_path / "evil.dtd"
    dtd.write_text('<!ENTITY s "TOP-SECRET">')
    body = (
        f'<?xml version="1.0" standalone="no"?><!DOCTYPE rsl SYSTEM "{dtd.as_uri()}">'
        '<rsl xmlns="https://rslstandard.org/rsl"><content url="/"><license>'
        '<permits type="usage">search &s;</permits></license></content></rsl>'
    ).encode()
    lic = parse_rsl(fetched(body))
    # expat never loads the external subset, so &s; stays undefined.
    assert [p.code for p in lic.problems] == ["rsl.invalid-xml"]
    assert "TOP-SECRET" not in repr(lic)


def test_oversized_document_is_not_parsed() -> None:
    body = b"<rsl>" + b" " * (2 * 1024 * 1024) + b"</rsl>"
    lic = parse_rsl(fetched(body))
    assert not lic.usable
    assert [p.code for p in lic.problems] == ["rsl.too-large"]


def test_failed_fetch_is_an_unusable_licence() -> None:
    lic = parse_rsl(Fetched(url=LICENSE_URL, status=None, error="timeout"))
    assert not lic.usable
    assert lic.problems[0].code == "rsl.fetch-failed"
    assert "timeout" in lic.problems[0].message
    assert parse_rsl(Fetched(url=LICENSE_URL, status=404)).problems[0].code == "rsl.fetch-failed"


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=2000))
def test_arbitrary_bytes_never_raise(body: bytes) -> None:
    lic = parse_rsl(fetched(body))
    assert lic.usable == bool(lic.contents)
    assert lic.usable or lic.problems  # nothing usable is always explained


elements = st.sampled_from(
    ["rsl", "content", "license", "permits", "prohibits", "payment", "x:rsl", "!-- c --"]
)
attributes = st.sampled_from(['url="/"', 'url="*"', 'type="usage"', 'server="s"', 'url=""', ""])


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(elements, attributes, st.text(max_size=20), st.booleans()), max_size=10))
def test_arbitrary_rsl_like_markup_never_raises(parts: list[tuple[str, str, str, bool]]) -> None:
    body = '<rsl xmlns="https://rslstandard.org/rsl">'
    for name, attribute, text, close in parts:
        body += f"<{name} {attribute}>{text}" + (f"</{name}>" if close else "")
    lic = parse_rsl(fetched(body.encode("utf-8", "surrogatepass") + b"</rsl>"))
    lic.observations()
    lic.terms_for("https://example.com/a")


# --- discovery ---------------------------------------------------------------------


def test_link_headers_are_parsed_properly() -> None:
    doc = Fetched(
        url="https://example.com/a/b",
        final_url="https://www.example.com/a/c",
        status=200,
        headers=(
            (
                "Link",
                '<https://cdn.example.com/x,y.css>; rel="preload", </l.xml>; '
                'rel="alternate LICENSE"; type="application/rsl+xml; charset=utf-8"',
            ),
            ("link", '<rel.xml>; title="a;b,c"; rel=license'),
            (
                "Link",
                '<https://creativecommons.org/licenses/by/4.0/>; rel="license"; type="text/html"',
            ),
            ("Link", '</l.xml>; rel="license"; type="application/rsl+xml"'),
            ("Link", "garbage, <broken"),
        ),
    )
    links = license_links(doc, None)
    assert [(link.url, link.type) for link in links] == [
        ("https://www.example.com/l.xml", MEDIA_TYPE),
        ("https://www.example.com/a/rel.xml", ""),
    ]
    assert links[0].declared_rsl
    assert not links[1].declared_rsl
    assert links[0].evidence.where == "header Link"
    assert links[0].evidence.source == "https://example.com/a/b"


def test_first_rel_parameter_wins() -> None:
    # RFC 8288 §3.3: occurrences of rel after the first are ignored.
    doc = Fetched(
        url="https://e.com/", status=200, headers=(("Link", "</l>; rel=next; rel=license"),)
    )
    assert license_links(doc, None) == ()


def test_html_link_elements_follow_headers() -> None:
    html = parse_html(
        b'<link rel="license" type="application/rsl+xml" href="/rsl.xml">'
        b'<link rel="license" href="/untyped.xml">'
        b'<link rel="license" type="text/html" href="https://creativecommons.org/">'
        b'<link rel="stylesheet" href="/l.xml">',
        "https://example.com/p",
    )
    doc = Fetched(
        url="https://example.com/p",
        status=200,
        headers=(("Link", '</rsl.xml>; rel="license"; type="application/rsl+xml"'),),
    )
    links = license_links(doc, html)
    assert [(link.url, link.type, link.evidence.where) for link in links] == [
        ("https://example.com/rsl.xml", MEDIA_TYPE, "header Link"),
        ("https://example.com/untyped.xml", "", "<link rel=license>"),
    ]


@settings(max_examples=300, deadline=None)
@given(st.lists(st.text(max_size=80), max_size=3))
def test_arbitrary_link_headers_never_raise(values: list[str]) -> None:
    doc = Fetched(url="https://e.com/", status=200, headers=tuple(("Link", v) for v in values))
    for link in license_links(doc, None):
        assert link.type in ("", MEDIA_TYPE)
