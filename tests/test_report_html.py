"""HTML report: golden file, self-containment, and site text that stays text."""

from __future__ import annotations

import re

import lxml.html
from hypothesis import given
from hypothesis import strategies as st
from test_report_samples import JS_URL, META, SAMPLES, SCRIPT, assert_golden

from crawlcheck.model import PURPOSES
from crawlcheck.report import render
from crawlcheck.report._html import link, text

CSP = "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'"


def _page() -> str:
    return render("html", SAMPLES, META)


def _tree() -> lxml.html.HtmlElement:
    return lxml.html.document_fromstring(_page())


def test_golden() -> None:
    assert_golden("sample.html", _page())


def test_strict_content_security_policy_comes_first() -> None:
    head = _page().split("<title>", 1)[0]
    assert '<meta charset="utf-8">' in head
    assert f'<meta http-equiv="Content-Security-Policy" content="{CSP}">' in head


def test_self_contained_no_script_no_external_resources() -> None:
    page = _page().lower()
    for needle in (
        "<script",
        "<img",
        "<iframe",
        "<object",
        "<embed",
        "<link",
        "<base",
        "<form",
        "url(",
        "@import",
    ):
        assert needle not in page, needle
    loading = {"src", "srcset", "href", "data", "poster", "background", "action", "formaction"}
    for element in _tree().iter():
        if isinstance(element.tag, str) and element.tag != "a":
            assert not loading & set(element.attrib), element.tag


def test_no_event_handlers_and_only_safe_links() -> None:
    tree = _tree()
    for element in tree.iter():
        if isinstance(element.tag, str):
            assert not [a for a in element.attrib if a.lower().startswith("on")]
    hrefs = [a.get("href") for a in tree.iter("a")]
    assert hrefs
    assert all(re.match(r"(https?://|#site-\d+$)", h) for h in hrefs), hrefs
    assert not [h for h in hrefs if "javascript" in h.lower()]


def test_hostile_text_is_shown_as_text() -> None:
    tree = _tree()
    content = tree.text_content()
    assert SCRIPT in content
    assert "<img src=x onerror=alert(1)>" in content
    assert f"{SAMPLES[3].site}" in content
    assert JS_URL in content  # shown, never linked
    assert tree.xpath("//script") == []
    assert tree.xpath("//img") == []


def test_bidi_override_is_made_visible() -> None:
    page = _page()
    assert "\u202e" not in page
    assert '<span class="ctl">U+202E</span>' in page


def test_title_has_no_markup() -> None:
    title = _tree().find(".//title")
    assert title is not None
    assert title.text is not None
    assert title.text.startswith("crawlcheck report — news.example")


def test_summary_table_shows_every_site_and_verdict() -> None:
    rows = _tree().xpath('//table[@class="summary"]/tbody/tr')
    assert len(rows) == len(SAMPLES)
    for row, report in zip(rows, SAMPLES, strict=True):
        cells = row.xpath('td[contains(@class, "verdict")]')
        assert [c.text_content() for c in cells] == [report.verdict(p) for p in PURPOSES]
        assert [c.get("class") for c in cells] == [
            f"verdict v-{report.verdict(p)}" for p in PURPOSES
        ]


def test_every_site_has_a_section_with_its_tables() -> None:
    sections = _tree().xpath('//section[@class="site"]')
    assert len(sections) == len(SAMPLES)
    for section, report in zip(sections, SAMPLES, strict=True):
        assert section.xpath("h2")[0].text_content() == report.site
        # One row per agent with a group of its own, one folded row per kind of the others.
        own = [a for a in report.agents if a.group == "own"]
        kinds = {(a.robots, a.evidence) for a in report.agents if a.group != "own"}
        rows = section.xpath('.//table[@class="agents"]/tbody/tr')
        assert len(rows) == len(own) + len(kinds)
        assert len(section.xpath('.//table[@class="agents"]//details')) == len(kinds)
        assert len(section.xpath('.//table[@class="fetches"]/tbody/tr')) == len(report.fetches)
        assert len(section.xpath('.//table[@class="findings"]/tbody/tr')) == len(report.findings)
        assert len(section.xpath('.//table[@class="problems"]/tbody/tr')) == len(report.problems)


def test_no_sites() -> None:
    assert "No sites were audited." in render("html", (), META)


_PLAIN = st.text(st.characters(exclude_categories=("Cc", "Cf", "Cs", "Co", "Cn")))


@given(_PLAIN)
def test_text_round_trips_through_an_html_parser(value: str) -> None:
    fragment = lxml.html.fragment_fromstring(f"<div>{text(value)}</div>")
    assert fragment.text_content() == value
    assert len(fragment) == 0  # no element came out of the value


@given(st.text())
def test_text_never_opens_an_element_of_its_own(value: str) -> None:
    out = text(value)
    assert re.sub(r'<span class="ctl">U\+[0-9A-F]{4}</span>', "", out).count("<") == 0


@given(st.text())
def test_link_only_links_http_urls(value: str) -> None:
    out = link(value)
    if out.startswith("<a "):
        assert re.match(
            r'<a href="https?://[^"<>\s]*" rel="noopener noreferrer nofollow">', out, re.I
        )
    else:
        assert out == f"<bdi>{text(value)}</bdi>"


def test_link_refuses_script_urls_and_escapes_quotes() -> None:
    assert "<a " not in link("javascript:alert(1)")
    assert "<a " not in link(" https://x.example")
    assert "<a " not in link("JaVaScRiPt:alert(1)")
    out = link('https://x.example/"onmouseover="alert(1)')
    assert 'href="https://x.example/&quot;onmouseover=&quot;alert(1)"' in out
