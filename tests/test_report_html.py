"""HTML report: golden file, strict CSP, self-containment, and site text that stays text.

What the browser makes of the page (layout at 390 and 1400 px, filtering, details built
from the data blocks, hostile text) is tested in tests/test_report_html_chromium.py.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
from dataclasses import replace

import lxml.html
from hypothesis import given
from hypothesis import strategies as st
from test_report_samples import JS_URL, META, SAMPLES, SCRIPT, assert_golden, blanket_site

from crawlcheck.model import PURPOSES
from crawlcheck.report import VERDICTS, render
from crawlcheck.report._html import script_json, text
from crawlcheck.report.digest import site_counts
from crawlcheck.report.document import HIDDEN
from crawlcheck.report.html_report import _resource

PAGE = render("html", SAMPLES, META)
TREE = lxml.html.document_fromstring(PAGE)


def _sha256(source: str) -> str:
    return "'sha256-" + base64.b64encode(hashlib.sha256(source.encode()).digest()).decode() + "'"


def _data(tree: lxml.html.HtmlElement, number: int) -> dict[str, object]:
    (block,) = tree.xpath(f'//script[@id="d-{number}"]')
    data: dict[str, object] = json.loads(block.text)
    return data


def test_golden() -> None:
    assert_golden("sample.html", PAGE)


def test_csp_admits_exactly_the_page_script_and_style_by_hash() -> None:
    head = PAGE.split("<title>", 1)[0]
    assert '<meta charset="utf-8">' in head
    (csp,) = TREE.xpath('//meta[@http-equiv="Content-Security-Policy"]/@content')
    directives = dict(d.strip().split(" ", 1) for d in csp.split(";"))
    (script,) = [s for s in TREE.xpath("//script") if s.get("type") is None]
    (style,) = TREE.xpath("//style")
    assert directives == {
        "default-src": "'none'",
        "script-src": _sha256(script.text),
        "style-src": _sha256(style.text),
        "base-uri": "'none'",
        "form-action": "'none'",
        "require-trusted-types-for": "'script'",
        "trusted-types": "'none'",
    }
    assert "unsafe" not in csp
    # The hashed text is the file's text: the script is the package's report.js.
    assert script.text == _resource("report.js")
    assert style.text.startswith(_resource("report.css"))


def test_every_other_script_is_a_json_data_block() -> None:
    scripts = TREE.xpath("//script")
    data = [s for s in scripts if s.get("type") == "application/json"]
    assert len(data) == len(scripts) - 1
    assert {s.get("id") for s in data} == {"catalogue"} | {
        f"d-{n}" for n in range(1, len(SAMPLES) + 1)
    }


def test_self_contained_no_style_attributes_no_loads() -> None:
    lower = PAGE.lower()
    for needle in ("<img", "<iframe", "<object", "<embed", "<link", "<base", "<form", "@import"):
        assert needle not in lower, needle
    assert "url(" not in _resource("report.css")
    loading = {"src", "srcset", "href", "data", "poster", "background", "action", "formaction"}
    for element in TREE.iter():
        if isinstance(element.tag, str):
            assert "style" not in element.attrib, element.tag  # the CSP blocks them
            assert not [a for a in element.attrib if a.lower().startswith("on")]
            if element.tag != "a":
                assert not loading & set(element.attrib), element.tag
    assert all(re.match(r"https?://", a.get("href", "")) for a in TREE.iter("a"))


def test_data_blocks_cannot_end_their_element() -> None:
    blocks = re.findall(r'<script type="application/json"[^>]*>(.*?)</script>', PAGE, re.S)
    assert len(blocks) == len(SAMPLES) + 1
    for block in blocks:
        assert "<" not in block
        assert ">" not in block
        assert "\u2028" not in block
        assert "\u2029" not in block


def test_hostile_text_round_trips_through_the_data_blocks() -> None:
    hostile = SAMPLES[3]
    data = _data(TREE, 4)
    assert data["v"] == [[v.purpose, v.verdict, list(v.reasons)] for v in hostile.verdicts]
    findings = data["f"]
    assert isinstance(findings, list)
    evidence = [row[9] for row in findings]
    assert f"Disallow: /{SCRIPT}" in evidence
    assert any("<img src=x onerror=alert(1)>" in e for e in evidence)
    assert [row[7] for row in findings].count(JS_URL) == 1  # a source, kept as text
    problems = data["p"]
    assert isinstance(problems, list)
    assert [p[2] for p in problems] == [p.message for p in hostile.problems]


def test_hostile_text_in_the_page_is_text() -> None:
    content = TREE.text_content()
    assert SAMPLES[3].site in content
    assert len(TREE.xpath("//script")) == len(SAMPLES) + 2
    assert TREE.xpath("//img | //iframe | //object | //svg") == []


def test_bidi_override_is_made_visible() -> None:
    page = render("html", (replace(SAMPLES[4], site="\u202eevil.example"),), META)
    html_part = re.sub(r"<script.*?</script>", "", page, flags=re.S)
    assert "\u202e" not in html_part
    assert '<bdi class="name"><span class="ctl">U+202E</span>evil.example</bdi>' in page
    assert "<title>crawlcheck report — U+202Eevil.example</title>" in page


def test_title_has_no_markup() -> None:
    title = TREE.find(".//title")
    assert title is not None
    assert title.text is not None
    assert title.text.startswith("crawlcheck report — news.example")


def test_one_row_per_site_with_its_verdicts_and_counts() -> None:
    rows = TREE.xpath('//div[@id="site-list"]/details[@class="site"]')
    assert [r.get("id") for r in rows] == [f"site-{n}" for n in range(1, len(SAMPLES) + 1)]
    for row, report in zip(rows, SAMPLES, strict=True):
        badges = row.xpath('summary/span[@class="c-v"]/span[contains(@class, "badge")]')
        assert [b.text_content() for b in badges] == [report.verdict(p) for p in PURPOSES]
        assert [b.get("class") for b in badges] == [
            f"badge v-{report.verdict(p)}" for p in PURPOSES
        ]
        labels = row.xpath('summary/span[@class="c-v"]/span[@class="lbl"]')
        assert [label.text_content().strip() for label in labels] == list(PURPOSES)
        assert row.get("data-v") == "".join(
            str(VERDICTS.index(report.verdict(p))) for p in PURPOSES
        )
        counts = site_counts(report)
        assert row.get("data-r") == str(counts.reservations)
        assert row.get("data-e") == str(counts.problems["error"])
        assert row.xpath(
            'string(summary/bdi[@class="name"] | summary/span/bdi[@class="name"])'
        ) == (report.site)


def test_rows_count_problems_by_level_not_info_notes() -> None:
    rows = TREE.xpath('//div[@id="site-list"]/details')
    problems = [r.xpath('string(summary/span[@class="c-p"])') for r in rows]
    assert problems == [
        "problems none",
        "problems none",  # one info note only
        "problems 2 errors",
        "problems 1 warning",
        "problems none",
    ]


def test_verdict_chart_writes_every_number_and_word_beside_its_bar() -> None:
    buttons = TREE.xpath('//button[@class="count"]')
    assert len(buttons) == len(PURPOSES) * len(VERDICTS)
    said = {(b.get("data-purpose"), b.get("data-verdict")): b.text_content() for b in buttons}
    assert said[("0", "reserved")] == "reserved 1 (20%)"
    assert said[("1", "partial")] == "partial 2 (40%)"
    assert said[("3", "partial")] == "partial 0 (0%)"
    # Bar segments carry a pattern class per verdict and a length rule of integers only.
    segments = TREE.xpath('//div[@class="bar"]/span')
    style = TREE.xpath("string(//style)")
    for segment in segments:
        length = segment.get("class").split()[-1]
        assert re.search(rf"\.{length}\{{flex-grow:\d+\}}", style)


def test_operator_chart_counts_sites_that_keep_operators_out() -> None:
    caption = TREE.xpath('string(//figcaption[@id="chart-operators"])')
    assert "of the 4 sites whose robots.txt was read" in caption  # the 503 site is left out
    rows = TREE.xpath('//figure[@aria-labelledby="chart-operators"]/div[@class="chart-row"]')
    said = {r.xpath("string(div[1])"): r.xpath("string(div[3])") for r in rows}
    # GPTBot disallowed or restricted by name on 3 sites, its siblings allowed: partly.
    assert said["OpenAI"] == "3 keep some of its 3 agents out"
    assert said["Perplexity"] == "1 disallows its agent (by name)"
    assert said["Anthropic"] == "1 disallows its agent (by name) · 1 restricts it"


def test_a_line_reaching_165_agents_is_one_finding_row() -> None:
    tree = lxml.html.document_fromstring(render("html", (blanket_site(165),), META))
    findings = _data(tree, 1)["f"]
    assert isinstance(findings, list)
    assert len(findings) == 2
    effect, signal, key, _, purposes, agents, _, _, line, evidence, size = findings[0]
    assert (effect, signal, key, line, size) == ("reserve", "robots.txt", "disallow", 2, 165)
    assert purposes == ["ai-train", "ai-input", "search"]
    assert evidence == "Disallow: / (the * group: line 1: User-agent: *)"
    catalogue = json.loads(tree.xpath('//script[@id="catalogue"]')[0].text)
    assert [catalogue[i][0] for i in agents] == [f"Agent{n:03d}" for n in range(165)]
    # The agents table folds the 165 agents that share a state and line into one row.
    assert _data(tree, 1)["a"] == [
        [
            "disallowed",
            "line 2: Disallow: / (the * group: line 1: User-agent: *)",
            "*",
            list(range(165)),
        ]
    ]


def test_no_sites() -> None:
    page = render("html", (), META)
    assert "No sites were audited." in page
    assert 'id="site-list"' not in page


def test_report_js_hides_the_same_characters_as_the_python_views() -> None:
    inner = HIDDEN.pattern[1:-1]
    js_class = "".join(c if c == "-" else f"\\u{ord(c):04x}" for c in inner)
    assert f"/[{js_class}]/gu" in _resource("report.js")


def test_report_js_never_parses_html_from_strings() -> None:
    js = _resource("report.js")
    for sink in ("innerHTML", "outerHTML", "insertAdjacentHTML", "document.write", "eval("):
        assert sink not in js


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
def test_script_json_is_inert_and_round_trips(value: str) -> None:
    out = script_json({"x": value})
    assert not re.search(r"[<>&\u2028\u2029]", out)
    assert json.loads(out) == {"x": value}
