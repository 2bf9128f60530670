"""Tests for crawlcheck.evaluate: site verdicts, agent states, findings, fetches, problems.

Every case is built from literal bytes and headers (real parsers, real ruleset, no
server): one row per line of the contract's verdict table and per edge case of
standards.md §2.8 (robots.txt), §5.6 (TDMRep first match), §6 (noai scoping), §8
(Content-Signal scoping). Each expected verdict is checked against the reasons emitted.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from crawlcheck.evaluate import evaluate_site
from crawlcheck.model import PURPOSES, Effect, Fetched, SiteFetches, SiteReport
from crawlcheck.ruleset import Ruleset, load_ruleset

ORIGIN = "https://example.com"
HTML = (("Content-Type", "text/html; charset=utf-8"),)
LICENSE_XML = (("Content-Type", "application/rsl+xml"),)


@pytest.fixture(scope="module")
def ruleset() -> Ruleset:
    return load_ruleset()


def doc(
    path: str,
    body: bytes | str = b"",
    status: int | None = 200,
    headers: tuple[tuple[str, str], ...] = (),
    **extra: Any,
) -> Fetched:
    """Return a fetch of *path* on the test origin."""
    data = body.encode() if isinstance(body, str) else body
    url = path if "://" in path else ORIGIN + path
    return Fetched(url=url, status=status, body=data, headers=headers, final_url=url, **extra)


def page(path: str = "/", head: str = "", headers: tuple[tuple[str, str], ...] = ()) -> Fetched:
    """Return an HTML page with *head* inside ``<head>``."""
    body = f"<!doctype html><html><head>{head}</head><body><p>x</p></body></html>"
    return doc(path, body, headers=HTML + headers)


def site(
    robots: bytes | str | Fetched | None = b"",
    *,
    ai_txt: bytes | str | None = None,
    tdmrep: bytes | str | None = None,
    llms: bytes | str | None = None,
    pages: tuple[Fetched, ...] | None = None,
    licenses: tuple[Fetched, ...] = (),
    skipped: tuple[tuple[str, str], ...] = (),
) -> SiteFetches:
    """Return the fetches of one site; absent files are 404s, the home page a plain page."""
    robots_doc = robots if isinstance(robots, Fetched) else doc("/robots.txt", robots or b"")
    if robots is None:
        robots_doc = doc("/robots.txt", status=404)

    def optional(path: str, body: bytes | str | None) -> Fetched:
        return doc(path, status=404) if body is None else doc(path, body)

    return SiteFetches(
        site="example.com",
        origin=ORIGIN,
        robots=robots_doc,
        ai_txt=optional("/ai.txt", ai_txt),
        tdmrep=optional("/.well-known/tdmrep.json", tdmrep),
        llms_txt=optional("/llms.txt", llms),
        pages=(page(),) if pages is None else pages,
        licenses=licenses,
        skipped=skipped,
    )


def rsl(url: str, body: str) -> Fetched:
    xml = f'<rsl xmlns="https://rslstandard.org/rsl">{body}</rsl>'
    return doc(url, xml, headers=LICENSE_XML)


@dataclass(frozen=True)
class Case:
    id: str
    fetches: SiteFetches
    verdicts: dict[str, str]
    """Expected verdicts (purposes not listed are not checked)."""
    reasons: dict[str, str] = field(default_factory=dict)
    """A text each purpose's reasons must contain."""
    agents: dict[str, str] = field(default_factory=dict)
    """Expected robots state per agent token."""
    problems: tuple[str, ...] = ()
    """Problem codes that must be reported."""


STAR_DISALLOW = "User-agent: *\nDisallow: /\n"
CLOUDFLARE = (
    "User-Agent: *\nContent-signal: search=yes, ai-train=no\nAllow: /\n\n"
    "User-agent: GPTBot\nDisallow: /\n\nUser-agent: CCBot\nDisallow: /\n"
)

CASES = [
    # Contract row "reserved": robots.txt disallows / for every catalogued agent.
    Case(
        "star-disallow-all",
        site(STAR_DISALLOW),
        {"ai-train": "reserved", "ai-input": "reserved", "search": "reserved"},
        {"ai-train": "disallows / for every catalogued ai-train agent"},
        {"GPTBot": "disallowed", "Googlebot": "disallowed"},
    ),
    # §2.8-1 group replacement: GPTBot's own group has only an allow.
    Case(
        "group-replacement",
        site(STAR_DISALLOW + "\nUser-agent: GPTBot\nAllow: /private\n"),
        {"ai-train": "partial"},
        {"ai-train": "for 70 of 71 catalogued ai-train agents"},
        {"GPTBot": "allowed", "CCBot": "disallowed"},
    ),
    # §2.8-2 merged groups + allow tie => allowed.
    Case(
        "merged-groups-allow-tie",
        site("User-agent: ClaudeBot\nDisallow: /\n\nUser-agent: ClaudeBot\nAllow: /\n"),
        {"ai-train": "not-reserved"},
        {"ai-train": "keeps none of the 71 catalogued ai-train agents out"},
        {"ClaudeBot": "allowed"},
    ),
    # §2.8-3 blank lines do not end a group: both agents are disallowed.
    Case(
        "blank-line-one-group",
        site("User-agent: GPTBot\n\nUser-agent: CCBot\nDisallow: /\n"),
        {"ai-train": "partial", "search": "not-reserved"},
        {"ai-train": "for 2 of 71"},
        {"GPTBot": "disallowed", "CCBot": "disallowed"},
    ),
    # Agent-specific path rules: partial (some paths, own group).
    Case(
        "own-group-paths",
        site("User-agent: GPTBot\nDisallow: /private/\n"),
        {"ai-train": "partial"},
        {"ai-train": "disallows some paths for 1 catalogued ai-train agent(s) in their own group"},
        {"GPTBot": "restricted"},
    ),
    # Contract row "not-reserved": generic * path rules are not an AI reservation.
    Case(
        "generic-star-paths",
        site("User-agent: *\nDisallow: /admin\n"),
        {"ai-train": "not-reserved", "search": "not-reserved"},
        {"ai-train": "not an AI reservation"},
        {"GPTBot": "restricted"},
    ),
    # §2.8-4: 5xx => unreachable; every verdict unknown, every agent unreachable.
    Case(
        "robots-503",
        site(doc("/robots.txt", "<h1>down</h1>", status=503)),
        dict.fromkeys(PURPOSES, "unknown"),
        dict.fromkeys(PURPOSES, "HTTP 503"),
        {"GPTBot": "unreachable", "Googlebot": "unreachable"},
        ("robots.unreachable",),
    ),
    Case(
        "robots-timeout",
        site(doc("/robots.txt", status=None, error="timeout")),
        {"ai-train": "unknown"},
        {"ai-train": "unreachable (timeout)"},
        {"GPTBot": "unreachable"},
        ("robots.unreachable",),
    ),
    Case(
        # RFC 9309 §2.3.1.2 MAY + Google ("treated as 404"): unavailable, no rules.
        "robots-too-many-redirects",
        site(doc("/robots.txt", status=None, error="too-many-redirects")),
        {"ai-train": "not-reserved"},
        {"ai-train": "redirects did not end (too-many-redirects)"},
        {"GPTBot": "allowed"},
        ("robots.redirect-failed",),
    ),
    # 4xx => no rules, everything allowed.
    Case(
        "robots-404",
        site(None),
        dict.fromkeys(PURPOSES, "not-reserved"),
        {"ai-train": "HTTP 404 (unavailable): no rules apply"},
        {"GPTBot": "allowed"},
    ),
    Case(
        "robots-403",
        site(doc("/robots.txt", "forbidden", status=403)),
        {"ai-train": "not-reserved"},
        {"ai-train": "HTTP 403"},
        {"GPTBot": "allowed"},
        ("robots.access-denied",),
    ),
    Case(
        "robots-429",
        site(doc("/robots.txt", status=429)),
        {"ai-train": "not-reserved"},
        {"ai-train": "HTTP 429"},
        {"GPTBot": "allowed"},
        ("robots.rate-limited",),
    ),
    # §2.8-4 soft 404: an HTML page served with 200 parses to no rules.
    Case(
        "robots-html-200",
        site(
            doc("/robots.txt", "<!doctype html><html><body>Not found</body></html>", headers=HTML)
        ),
        {"ai-train": "not-reserved"},
        {"ai-train": "keeps none"},
        {"GPTBot": "allowed"},
        ("robots.html-served",),
    ),
    # §2.8-6 redirected robots.txt: rules apply to the origin first asked; chain recorded.
    Case(
        "robots-redirected",
        site(
            Fetched(
                url=ORIGIN + "/robots.txt",
                status=200,
                body=b"User-agent: GPTBot\nDisallow: /\n",
                final_url="https://www.example.org/robots.txt",
                redirects=((301, "https://www.example.org/robots.txt"),),
            )
        ),
        {"ai-train": "partial"},
        {"ai-train": "GPTBot"},
        {"GPTBot": "disallowed"},
        ("robots.redirected",),
    ),
    # Cloudflare managed file: Content-Signal ai-train=no in * => reserved.
    Case(
        "content-signal-star",
        site(CLOUDFLARE),
        {"ai-train": "reserved", "search": "not-reserved", "ai-input": "not-reserved"},
        {"ai-train": "content-signal ai-train=no", "search": "explicit permissions"},
        {"GPTBot": "disallowed", "ClaudeBot": "allowed"},
    ),
    # Content-Signal in one agent's group only => partial.
    Case(
        "content-signal-agent-group",
        site("User-agent: GPTBot\nContent-Signal: ai-train=no\nAllow: /\n"),
        {"ai-train": "partial"},
        {"ai-train": "applies only to GPTBot"},
        {"GPTBot": "allowed"},
    ),
    # Content-Usage (aipref attach-05 §4) in the * group.
    Case(
        "content-usage-star",
        site("User-agent: *\nAllow: /\nContent-Usage: train-ai=n\n"),
        {"ai-train": "reserved", "search": "not-reserved"},
        {"ai-train": "content-usage train-ai=n"},
    ),
    Case(
        "content-usage-path",
        site("User-agent: *\nAllow: /\nContent-Usage: /private/ train-ai=n\n"),
        {"ai-train": "partial"},
        {"ai-train": "only paths /private/"},
    ),
    # ai.txt: User-agent: * Disallow: / => reserved for ai-train (ai.txt speaks to it only).
    Case(
        "ai-txt-all",
        site(ai_txt="User-Agent: *\nDisallow: /\n"),
        {"ai-train": "reserved", "ai-input": "not-reserved"},
        {"ai-train": "ai.txt disallows everything for every crawler (line 2: Disallow: /)"},
    ),
    Case(
        "ai-txt-media",
        site(ai_txt="User-Agent: *\nDisallow: *.jpg\nDisallow: *.png\n"),
        {"ai-train": "partial"},
        {"ai-train": "media types *.jpg, *.png"},
    ),
    # TDMRep: first matching rule is 1 for every path => reserved (tdm and ai-train).
    Case(
        "tdmrep-all",
        site(tdmrep='[{"location": "/", "tdm-reservation": 1}]'),
        {"tdm": "reserved", "ai-train": "reserved", "search": "not-reserved"},
        {"tdm": "first matching rule is always 1"},
    ),
    # §5.6-1 first match: "/" first reserves /open/ too.
    Case(
        "tdmrep-first-match-reserves-all",
        site(
            tdmrep='[{"location": "/", "tdm-reservation": 1},'
            ' {"location": "/open/", "tdm-reservation": 0}]'
        ),
        {"tdm": "reserved"},
        {"tdm": "rule 1"},
    ),
    Case(
        "tdmrep-first-match-opens-path",
        site(
            tdmrep='[{"location": "/open/", "tdm-reservation": 0},'
            ' {"location": "/", "tdm-reservation": 1}]'
        ),
        {"tdm": "partial"},
        {"tdm": "reserves only some paths: /"},
    ),
    # TDMRep layering: a page header 0 supersedes the file there => partial.
    Case(
        "tdmrep-all-header-lifts",
        site(
            tdmrep='[{"location": "/", "tdm-reservation": 1}]',
            pages=(page(headers=(("tdm-reservation", "0"),)),),
        ),
        {"tdm": "partial"},
        {"tdm": "supersedes the file"},
    ),
    Case(
        "tdm-header-every-page",
        site(pages=(page(headers=(("tdm-reservation", "1"),)),)),
        {"tdm": "reserved", "ai-train": "reserved"},
        {
            "tdm": "every sampled page read (1 page, the only one read: pages not sampled may differ)"
        },
    ),
    # §5.6-3: a meta 0 overrides a header 1 on the same page.
    Case(
        "tdm-meta-overrides-header",
        site(
            pages=(
                page(
                    head='<meta name="tdm-reservation" content="0">',
                    headers=(("tdm-reservation", "1"),),
                ),
            )
        ),
        {"tdm": "not-reserved"},
        {"tdm": "explicit permissions: tdm-meta"},
    ),
    # Page-level reservations: every sampled page vs some pages.
    Case(
        "noai-every-page",
        site(
            pages=(
                page("/", '<meta name="robots" content="noai">'),
                page("/a", headers=(("X-Robots-Tag", "noai"),)),
            )
        ),
        # Contract vocabulary: noai speaks to ai-train (not to ai-input).
        {"ai-train": "reserved", "ai-input": "not-reserved", "search": "not-reserved"},
        {"ai-train": "every sampled page read (2 pages, a sample"},
    ),
    Case(
        "noai-some-pages",
        site(pages=(page("/", '<meta name="robots" content="noai">'), page("/a"))),
        {"ai-train": "partial"},
        {"ai-train": "1 of 2 sampled pages read"},
    ),
    # noimageai reserves images only => partial even on every page.
    Case(
        "noimageai",
        site(pages=(page("/", '<meta name="robots" content="noimageai">'),)),
        {"ai-train": "partial", "ai-input": "not-reserved"},
        {"ai-train": "images only"},
    ),
    # §6-1: an agent-scoped directive => partial.
    Case(
        "x-robots-tag-agent-scoped",
        site(pages=(page(headers=(("X-Robots-Tag", "googlebot: noai"),)),)),
        {"ai-train": "partial", "ai-input": "not-reserved"},
        {"ai-train": "reserves only Googlebot"},
    ),
    # Content-Usage / Content-Signal response headers on every page.
    Case(
        "content-usage-header",
        site(pages=(page(headers=(("Content-Usage", "train-ai=n"),)),)),
        {"ai-train": "reserved", "search": "not-reserved"},
        {"ai-train": "header Content-Usage: train-ai=n"},
    ),
    # Contract row "unknown": every page fetch failed.
    Case(
        "every-page-failed",
        site(pages=(doc("/", status=None, error="timeout"), doc("/a", status=500))),
        dict.fromkeys(PURPOSES, "unknown"),
        {"ai-train": "no sampled page could be read (2 failed, 0 skipped)"},
        problems=("crawl.no-page-read", "page.fetch-failed", "page.http-error"),
    ),
    Case(
        "every-page-skipped",
        site(pages=(), skipped=((ORIGIN + "/", "disallowed for crawlcheck by robots.txt"),)),
        {"ai-train": "unknown"},
        {"ai-train": "0 failed, 1 skipped"},
        problems=("crawl.page-skipped",),
    ),
    # Precedence: a complete reservation stands although pages or robots.txt failed.
    Case(
        "complete-wins-over-failed-pages",
        site(STAR_DISALLOW, pages=(doc("/", status=None, error="dns"),)),
        {"ai-train": "reserved"},
        {"ai-train": "reserved even so: no sampled page could be read"},
    ),
    Case(
        "complete-wins-over-unreachable-robots",
        site(
            doc("/robots.txt", status=500),
            tdmrep='[{"location": "/", "tdm-reservation": 1}]',
        ),
        {"tdm": "reserved", "ai-train": "reserved", "search": "unknown"},
        {"ai-train": "reserved even so: robots.txt unreachable (HTTP 500"},
        {"GPTBot": "unreachable"},
    ),
    Case(
        "partial-under-unreachable-robots",
        site(doc("/robots.txt", status=502), ai_txt="User-Agent: *\nDisallow: *.jpg\n"),
        {"ai-train": "unknown"},
        {"ai-train": "also found: ai.txt reserves ai-train for media types *.jpg"},
    ),
    # RSL licences: prohibits for every path => reserved; for one path => partial.
    Case(
        "rsl-all",
        site(
            "User-agent: *\nAllow: /\nLicense: https://example.com/license.xml\n",
            licenses=(
                rsl(
                    "/license.xml",
                    '<content url="/"><license><prohibits type="usage">ai-train</prohibits>'
                    "</license></content>",
                ),
            ),
        ),
        {"ai-train": "reserved", "search": "not-reserved"},
        {"ai-train": "does not license ai-train anywhere"},
    ),
    Case(
        "rsl-path",
        site(
            licenses=(
                rsl(
                    "/license.xml",
                    '<content url="/premium/"><license><prohibits type="usage">ai-all'
                    "</prohibits></license></content>",
                ),
            ),
        ),
        {"ai-train": "partial", "ai-input": "partial", "search": "not-reserved"},
        {"ai-train": "/premium/"},
    ),
    Case(
        "rsl-permits-whitelist",
        site(
            licenses=(
                rsl(
                    "/license.xml",
                    '<content url="/"><license><permits type="usage">search</permits>'
                    "</license></content>",
                ),
            ),
        ),
        {"ai-train": "reserved", "search": "not-reserved"},
        {"ai-train": "permits only search"},
    ),
    # llms.txt is never a reservation.
    Case(
        "llms-txt-only",
        site(llms="# Example\n\n> Do not use for training.\n"),
        dict.fromkeys(PURPOSES, "not-reserved"),
        {"ai-train": "no signal reserves ai-train"},
    ),
]


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_verdicts_follow_the_contract_table(case: Case, ruleset: Ruleset) -> None:
    report = evaluate_site(case.fetches, ruleset)
    assert [v.purpose for v in report.verdicts] == list(PURPOSES)
    for purpose, expected in case.verdicts.items():
        verdict = next(v for v in report.verdicts if v.purpose == purpose)
        assert verdict.verdict == expected, (purpose, verdict.reasons)
        assert verdict.reasons, purpose
    for purpose, text in case.reasons.items():
        reasons = next(v.reasons for v in report.verdicts if v.purpose == purpose)
        assert any(text in reason for reason in reasons), (purpose, reasons)
    states = {a.token: a.robots for a in report.agents}
    for token, expected in case.agents.items():
        assert states[token] == expected, token
    codes = {p.code for p in report.problems}
    for code in case.problems:
        assert code in codes, (code, codes)


def _report(fetches: SiteFetches, ruleset: Ruleset) -> SiteReport:
    return evaluate_site(fetches, ruleset)


def test_every_catalogued_agent_is_reported_with_purposes_and_evidence(ruleset: Ruleset) -> None:
    report = _report(site("User-agent: *\nDisallow: /\n\nUser-agent: GPTBot\nAllow: /\n"), ruleset)
    assert [a.token for a in report.agents] == [a.token for a in ruleset.agents]
    by_token = {a.token: a for a in report.agents}
    assert by_token["GPTBot"].robots == "allowed"
    assert by_token["GPTBot"].purposes == ("ai-train",)
    assert by_token["GPTBot"].operator == "OpenAI"
    assert "its own group (line 4: User-agent: GPTBot)" in by_token["GPTBot"].evidence
    assert by_token["CCBot"].evidence == (
        "line 2: Disallow: / (the * group: line 1: User-agent: *)"
    )


def test_unreachable_agents_say_why(ruleset: Ruleset) -> None:
    report = _report(site(doc("/robots.txt", status=503)), ruleset)
    assert {a.robots for a in report.agents} == {"unreachable"}
    assert "assume complete disallow" in report.agents[0].evidence


def test_robots_findings_per_agent_carry_purposes_scope_and_group(ruleset: Ruleset) -> None:
    report = _report(
        site("User-agent: GPTBot\nDisallow: /\n\nUser-agent: Google-Extended\nDisallow: /x/\n"),
        ruleset,
    )
    robots = [f for f in report.findings if f.signal == "robots.txt"]
    # In catalogue order (sorted by token, case-insensitively).
    assert [(f.agents, f.scope, f.effect) for f in robots] == [
        (("Google-Extended",), "/x/", Effect.RESERVE),
        (("GPTBot",), "/", Effect.RESERVE),
    ]
    gpt = robots[1]
    assert gpt.purposes == ruleset.agent("GPTBot").purposes  # type: ignore[union-attr]
    assert gpt.line == 2
    assert gpt.evidence == "line 2: Disallow: / (its own group: line 1: User-agent: GPTBot)"
    assert gpt.source == ORIGIN + "/robots.txt"


def test_generic_star_rules_make_no_robots_reservation(ruleset: Ruleset) -> None:
    report = _report(site("User-agent: *\nDisallow: /admin\n"), ruleset)
    robots = [f for f in report.findings if f.signal == "robots.txt"]
    # The * group is reported as read (info), never as a reservation.
    assert [(f.effect, f.agents, f.scope) for f in robots] == [(Effect.INFO, ("*",), "/admin")]
    assert robots[0].evidence == "line 1: User-agent: * — line 2: Disallow: /admin"


def test_findings_cover_every_file_and_page(ruleset: Ruleset) -> None:
    fetches = site(
        CLOUDFLARE + "License: https://example.com/license.xml\n",
        ai_txt="User-Agent: *\nDisallow: *.jpg\n",
        tdmrep='[{"location": "/", "tdm-reservation": 1, "tdm-policy": "https://example.com/p"}]',
        llms="# Example\n",
        pages=(
            page(
                head='<meta name="robots" content="noimageai">',
                headers=(("X-Robots-Tag", "noai"), ("tdm-reservation", "1")),
            ),
        ),
        licenses=(
            rsl(
                "/license.xml",
                '<content url="/"><license><prohibits type="usage">ai-train</prohibits>'
                "</license></content>",
            ),
        ),
    )
    report = _report(fetches, ruleset)
    signals = {f.signal for f in report.findings}
    assert signals >= {
        "robots.txt",
        "content-signal",
        "rsl",
        "ai.txt",
        "tdmrep.json",
        "llms.txt",
        "x-robots-tag",
        "meta-robots",
        "tdm-header",
    }
    llms = next(f for f in report.findings if f.signal == "llms.txt")
    assert llms.effect is Effect.INFO
    for finding in report.findings:
        assert finding.evidence, finding
        assert finding.source, finding


def test_superseded_tdm_layer_is_reported_as_info(ruleset: Ruleset) -> None:
    fetches = site(
        pages=(
            page(
                head='<meta name="tdm-reservation" content="0">',
                headers=(("tdm-reservation", "1"),),
            ),
        )
    )
    report = _report(fetches, ruleset)
    header = next(f for f in report.findings if f.signal == "tdm-header")
    meta = next(f for f in report.findings if f.signal == "tdm-meta")
    assert header.effect is Effect.INFO
    assert header.scope == "page (superseded by tdm-meta)"
    assert meta.effect is Effect.PERMIT


def test_conflicting_permission_is_a_problem_not_a_cancellation(ruleset: Ruleset) -> None:
    fetches = site(
        "User-agent: *\nContent-Signal: ai-train=yes\nAllow: /\n",
        tdmrep='[{"location": "/", "tdm-reservation": 1}]',
    )
    report = _report(fetches, ruleset)
    assert report.verdict("ai-train") == "reserved"
    conflict = next(p for p in report.problems if p.code == "evaluate.conflict")
    assert conflict.message.startswith("ai-train: content-signal line 2")
    assert "tdmrep.json reserves it" in conflict.message


def test_fetch_records_one_per_fetch(ruleset: Ruleset) -> None:
    fetches = site(
        "User-agent: *\nAllow: /\n",
        pages=(page(), doc("/gone", status=None, error="connection")),
        licenses=(rsl("/license.xml", '<content url="/"><license/></content>'),),
    )
    report = _report(fetches, ruleset)
    kinds = [r.kind for r in report.fetches]
    assert kinds == [
        "robots.txt",
        "ai.txt",
        "tdmrep.json",
        "llms.txt",
        "page",
        "page",
        "license",
    ]
    robots = report.fetches[0]
    assert robots.sha256 == hashlib.sha256(b"User-agent: *\nAllow: /\n").hexdigest()
    assert robots.size == len(b"User-agent: *\nAllow: /\n")
    assert robots.status == 200
    failed = report.fetches[5]
    assert (failed.status, failed.sha256, failed.error) == (None, None, "connection")


def test_redirect_chain_is_recorded(ruleset: Ruleset) -> None:
    robots = Fetched(
        url="http://example.com/robots.txt",
        status=200,
        body=b"User-agent: GPTBot\nDisallow: /\n",
        final_url="https://www.example.com/robots.txt",
        redirects=(
            (301, "https://example.com/robots.txt"),
            (302, "https://www.example.com/robots.txt"),
        ),
    )
    report = _report(site(robots), ruleset)
    record = report.fetches[0]
    assert record.redirects == robots.redirects
    assert record.final_url == "https://www.example.com/robots.txt"
    problem = next(p for p in report.problems if p.code == "robots.redirected")
    assert "2 time(s) to another origin" in problem.message
    assert "RFC 9309 §2.3.1.2" in problem.message


def test_parser_and_crawl_problems_are_collected(ruleset: Ruleset) -> None:
    fetches = site(
        "User-agent: *\nDisallow: /x\nCrawl-delay: 5\n",
        ai_txt=None,
        tdmrep="{not json",
        pages=(page(),),
        skipped=((ORIGIN + "/b", "disallowed for crawlcheck by robots.txt"),),
    )
    report = _report(fetches, ruleset)
    codes = [p.code for p in report.problems]
    assert "tdmrep.invalid-json" in codes
    assert "robots.unsupported-directive" in codes
    assert "crawl.page-skipped" in codes
    assert len(codes) == len({(p.code, p.source, p.line, p.message) for p in report.problems})


def test_linked_licence_not_fetched_is_reported(ruleset: Ruleset) -> None:
    report = _report(site("License: https://example.com/l.xml\nUser-agent: *\nAllow: /\n"), ruleset)
    problem = next(p for p in report.problems if p.code == "rsl.not-fetched")
    assert "https://example.com/l.xml" in problem.message


def test_report_keeps_site_origin_and_times(ruleset: Ruleset) -> None:
    fetches = SiteFetches(
        site="Example.com",
        origin=ORIGIN,
        robots=doc("/robots.txt", status=404),
        started_at="2026-01-01T00:00:00Z",
        finished_at="2026-01-01T00:00:05Z",
    )
    report = _report(fetches, ruleset)
    assert (report.site, report.origin) == ("Example.com", ORIGIN)
    assert (report.started_at, report.finished_at) == (
        "2026-01-01T00:00:00Z",
        "2026-01-01T00:00:05Z",
    )
    # No page was attempted (and none skipped): page signals do not make it unknown.
    assert report.verdict("ai-train") == "not-reserved"


_LINES = st.sampled_from(
    [
        "User-agent: *",
        "User-agent: GPTBot",
        "User-agent: Googlebot",
        "Disallow: /",
        "Disallow: /a",
        "Allow: /",
        "Content-Signal: ai-train=no",
        "Content-Signal: search=yes, ai-train=yes",
        "Content-Usage: train-ai=n",
        "Content-Usage: /a train-ai=y",
        "License: https://example.com/l.xml",
        "",
        "<html>",
    ]
)
_STATUS = st.sampled_from([200, 301, 403, 404, 429, 500, 503, None])


@settings(max_examples=60, deadline=None)
@given(
    robots=st.lists(_LINES, max_size=12),
    robots_status=_STATUS,
    page_status=_STATUS,
    header=st.sampled_from(["noai", "googlebot: noai", "noimageai", "", "x: y: z"]),
    tdm=st.sampled_from([None, "[]", '[{"location": "/", "tdm-reservation": 1}]', "{", "[1]"]),
)
def test_evaluate_never_raises(
    robots: list[str],
    robots_status: int | None,
    page_status: int | None,
    header: str,
    tdm: str | None,
) -> None:
    ruleset = load_ruleset()
    body = "\n".join(robots)
    error = "timeout" if robots_status is None else None
    fetches = site(
        doc("/robots.txt", body, status=robots_status, error=error),
        tdmrep=tdm,
        pages=(
            doc(
                "/",
                "<html><body>x</body></html>",
                status=page_status,
                headers=(*HTML, ("X-Robots-Tag", header)),
                error="dns" if page_status is None else None,
            ),
        ),
    )
    report = evaluate_site(fetches, ruleset)
    assert [v.purpose for v in report.verdicts] == list(PURPOSES)
    for verdict in report.verdicts:
        assert verdict.verdict in ("reserved", "partial", "not-reserved", "unknown")
        assert verdict.reasons
    if robots_status is not None and 300 <= robots_status < 400:
        # A redirect that does not end is "unavailable" (RFC 9309 §2.3.1.2): no rules.
        assert {a.robots for a in report.agents} == {"allowed"}
    if robots_status is None or robots_status >= 500:
        assert {a.robots for a in report.agents} == {"unreachable"}
        assert all(v.verdict in ("reserved", "unknown") for v in report.verdicts)


def test_one_files_own_scopes_are_not_a_conflict(ruleset: Ruleset) -> None:
    """Issue 8: tdmrep.json reserving /img/ and not / is one file's scopes, not two signals."""
    fetches = site(
        "User-agent: *\nAllow: /\n",
        tdmrep='[{"location": "/img/*", "tdm-reservation": 1}, {"location": "/*", "tdm-reservation": 0}]',
    )
    report = _report(fetches, ruleset)
    assert report.verdict("tdm") == "partial"
    assert not [p for p in report.problems if p.code == "evaluate.conflict"]


@pytest.mark.parametrize("value", ["no", '"n"', "?0", "N"])
def test_a_content_usage_value_that_is_not_y_or_n_is_unknown_and_says_the_fix(
    ruleset: Ruleset, value: str
) -> None:
    """aipref vocab: only the Token y/n is a preference; a statement that does not read is
    doubt about training, not silence, so ai-train is unknown (fail closed)."""
    fetches = site(f"User-agent: *\nContent-Usage: train-ai={value}\nAllow: /\n")
    report = _report(fetches, ruleset)
    assert report.verdict("ai-train") == "unknown"
    assert report.verdict("search") == "not-reserved"
    (problem,) = [p for p in report.problems if p.code == "robots.content-usage-value"]
    assert problem.level == "error"
    assert problem.line == 2
    assert "write train-ai=n to disallow it" in problem.message
    reasons = next(v.reasons for v in report.verdicts if v.purpose == "ai-train")
    assert problem.message in reasons


def test_not_reserved_reasons_say_which_files_were_read_or_absent(ruleset: Ruleset) -> None:
    report = _report(site("User-agent: *\nAllow: /\n", tdmrep="[]"), ruleset)
    (reason, *_) = next(v.reasons for v in report.verdicts if v.purpose == "tdm")
    assert "no ai.txt (HTTP 404)" in reason
    assert "tdmrep.json read" in reason
    html = _report(site("User-agent: *\nAllow: /\n", tdmrep="<!doctype html><p>x"), ruleset)
    (reason, *_) = next(v.reasons for v in html.verdicts if v.purpose == "tdm")
    assert "tdmrep.json answered but is not one (see problems)" in reason


def test_the_star_groups_path_rules_are_named_as_robots_forbidding_the_fetch(
    ruleset: Ruleset,
) -> None:
    report = _report(site("User-agent: *\nDisallow: /admin/\n"), ruleset)
    assert report.verdict("ai-train") == "not-reserved"
    reasons = next(v.reasons for v in report.verdicts if v.purpose == "ai-train")
    assert any(
        r.startswith("robots.txt forbids every crawler to fetch some paths (the * group: line 2")
        and "not an AI reservation" in r
        for r in reasons
    )
