"""Tests for crawlcheck.decide: the per-URL decision behind check, filter and the add-on.

Site files and pages are literal bytes parsed by the real parsers; the ruleset is the
shipped one. Every expected decision is checked against the reasons (findings) emitted.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pytest

from crawlcheck.decide import SiteSignals, decide_url, site_signals
from crawlcheck.model import Effect, Fetched, SiteFetches, UrlDecision
from crawlcheck.parsers.page import PageSignals, parse_page
from crawlcheck.ruleset import Ruleset, load_ruleset

ORIGIN = "https://example.com"
HTML = (("Content-Type", "text/html"),)


@pytest.fixture(scope="module")
def ruleset() -> Ruleset:
    return load_ruleset()


def doc(
    path: str,
    body: str = "",
    status: int | None = 200,
    headers: tuple[tuple[str, str], ...] = (),
    error: str | None = None,
) -> Fetched:
    url = ORIGIN + path
    return Fetched(
        url=url, status=status, body=body.encode(), headers=headers, final_url=url, error=error
    )


def signals(
    ruleset: Ruleset,
    robots: Fetched | str | None = "",
    *,
    ai_txt: str | None = None,
    tdmrep: str | None = None,
    licenses: tuple[Fetched, ...] = (),
) -> SiteSignals:
    """Return the site-level signals of a site whose absent files are 404s."""
    if isinstance(robots, Fetched):
        robots_doc = robots
    elif robots is None:
        robots_doc = doc("/robots.txt", status=404)
    else:
        robots_doc = doc("/robots.txt", robots)
    fetches = SiteFetches(
        site="example.com",
        origin=ORIGIN,
        robots=robots_doc,
        ai_txt=doc("/ai.txt", status=404) if ai_txt is None else doc("/ai.txt", ai_txt),
        tdmrep=doc("/.well-known/tdmrep.json", status=404)
        if tdmrep is None
        else doc("/.well-known/tdmrep.json", tdmrep),
        licenses=licenses,
    )
    return site_signals(fetches, ruleset)


def html_page(path: str, head: str = "", headers: tuple[tuple[str, str], ...] = ()) -> PageSignals:
    body = f"<html><head>{head}</head><body>x</body></html>"
    return parse_page(doc(path, body, headers=HTML + headers))


@dataclass(frozen=True)
class Row:
    path: str
    decision: str
    agent: str | None = None
    purpose: str = "ai-train"
    reason: str = ""
    """Text one reason's evidence (or, for unknown, one problem's message) must contain."""
    page: PageSignals | None = field(default=None, compare=False)


def check(site: SiteSignals, row: Row, ruleset: Ruleset) -> UrlDecision:
    """Decide *row* and assert the decision and that its reasons explain it."""
    result = decide_url(
        ORIGIN + row.path,
        site=site,
        page=row.page,
        purpose=row.purpose,
        agent=row.agent,
        ruleset=ruleset,
    )
    assert result.decision == row.decision, (row, result.reasons, result.problems)
    reserving = [r for r in result.reasons if r.effect is Effect.RESERVE]
    if row.decision == "reserved":
        assert reserving, row
        assert all(row.purpose in r.purposes for r in reserving)
    else:
        assert not reserving, row
    if row.decision == "unknown":
        assert result.problems, row
    if row.reason:
        texts = [r.evidence for r in result.reasons] + [p.message for p in result.problems]
        assert any(row.reason in text for text in texts), (row.reason, texts)
    return result


TABLES: dict[str, tuple[dict[str, object], list[Row]]] = {
    # Contract "Defaults": without an agent, reserved when any catalogued agent is kept out.
    "agent-vs-any-agent": (
        {"robots": "User-agent: GPTBot\nDisallow: /private/\n"},
        [
            Row("/private/a", "reserved", reason="line 2: Disallow: /private/"),
            Row("/private/a", "reserved", agent="GPTBot"),
            Row("/private/a", "allowed", agent="CCBot"),
            Row("/public", "allowed"),
            # GPTBot is not a search agent: without an agent, search is not kept out.
            Row("/private/a", "allowed", purpose="search"),
            # With an agent, its robots.txt group decides whatever the purpose.
            Row("/private/a", "reserved", agent="GPTBot", purpose="search"),
        ],
    ),
    # Generic * rules keep every catalogued agent without its own group out of /admin.
    "generic-star-path": (
        {"robots": "User-agent: *\nDisallow: /admin\n"},
        [
            Row("/admin/x", "reserved", reason="(group: line 1: User-agent: *)"),
            Row("/x", "allowed"),
            Row("/admin/x", "allowed", purpose="tdm"),  # no catalogued tdm agent
        ],
    ),
    # §2.8-1 group replacement.
    "group-replacement": (
        {"robots": "User-agent: *\nDisallow: /\n\nUser-agent: GPTBot\nAllow: /private\n"},
        [
            Row("/x", "allowed", agent="GPTBot"),
            Row("/x", "reserved", agent="CCBot"),
            Row("/x", "reserved"),
        ],
    ),
    # §2.8-2 merged groups, allow wins the tie.
    "merged-groups-tie": (
        {"robots": "User-agent: ClaudeBot\nDisallow: /\n\nUser-agent: ClaudeBot\nAllow: /\n"},
        [Row("/x", "allowed", agent="ClaudeBot"), Row("/x", "allowed")],
    ),
    # §2.8-3 blank lines do not end a group.
    "blank-lines": (
        {"robots": "User-agent: GPTBot\n\nUser-agent: CCBot\nDisallow: /\n"},
        [Row("/x", "reserved", agent="GPTBot"), Row("/x", "reserved", agent="CCBot")],
    ),
    # §2.8-5 wildcards and $.
    "wildcards": (
        {"robots": "User-agent: GPTBot\nDisallow: /*.pdf\nDisallow: /docs/*.doc$\n"},
        [
            Row("/a.pdf?x=1", "reserved", agent="GPTBot"),
            Row("/a.pdfx", "reserved", agent="GPTBot"),
            Row("/docs/a.doc", "reserved", agent="GPTBot"),
            Row("/docs/a.doc?x=1", "allowed", agent="GPTBot"),
        ],
    ),
    # 4xx: no rules.
    "robots-404": ({"robots": None}, [Row("/x", "allowed"), Row("/x", "allowed", agent="GPTBot")]),
    # §2.8-4 5xx: unknown (fail closed), unless another signal reserves the URL.
    "robots-503": (
        {
            "robots": doc("/robots.txt", "<h1>busy</h1>", status=503),
            "tdmrep": '[{"location": "/reserved/", "tdm-reservation": 1}]',
        },
        [
            Row("/x", "unknown", reason="HTTP 503"),
            Row("/x", "unknown", agent="GPTBot"),
            Row("/reserved/x", "reserved", reason='"tdm-reservation": 1'),
        ],
    ),
    # aipref attach-05 §4 example: Content-Usage only where crawlable, longest match.
    "content-usage": (
        {
            "robots": "User-Agent: *\nAllow: /\nDisallow: /never/\nContent-Usage: train-ai=n\n"
            "Content-Usage: /ai-ok/ train-ai=y\n\nUser-Agent: GPTBot\nAllow: /\n"
            "Content-Usage: train-ai=y\n"
        },
        [
            Row("/test", "reserved", agent="CCBot", reason="line 4: Content-Usage: train-ai=n"),
            Row("/ai-ok/test", "allowed", agent="CCBot"),
            Row("/never/test", "reserved", agent="CCBot", reason="Disallow: /never/"),
            # GPTBot has its own group: the * group's preference does not apply to it.
            Row("/test", "allowed", agent="GPTBot"),
            Row("/test", "reserved"),
            Row("/test", "allowed", purpose="search", agent="CCBot"),
        ],
    ),
    # Content-Signal: the * group's record is read site-wide; an agent group's only there.
    "content-signal": (
        {
            "robots": "User-agent: *\nContent-Signal: ai-train=no, search=yes\nAllow: /\n\n"
            "User-agent: GPTBot\nAllow: /\n\nUser-agent: CCBot\nContent-Signal: ai-input=no\n"
            "Allow: /\n"
        },
        [
            Row("/x", "reserved", agent="GPTBot", reason="Content-Signal: ai-train=no"),
            Row("/x", "reserved"),
            Row("/x", "allowed", purpose="search"),
            Row("/x", "reserved", purpose="ai-input", agent="CCBot", reason="ai-input=no"),
            Row("/x", "allowed", purpose="ai-input", agent="GPTBot"),
        ],
    ),
    # ai.txt: extension globs and per-bot groups.
    "ai-txt": (
        {"ai_txt": "User-Agent: *\nDisallow: *.jpg\n\nUser-Agent: GPTBot\nDisallow: /\n"},
        [
            Row("/img/a.jpg", "reserved", reason="line 2: Disallow: *.jpg"),
            Row("/a.html", "reserved"),  # GPTBot, a catalogued ai-train agent, has Disallow: /
            Row("/a.html", "allowed", agent="CCBot"),
            Row("/a.jpg", "reserved", agent="CCBot"),
            Row("/a.html", "reserved", agent="GPTBot"),
            Row("/a.jpg", "allowed", purpose="ai-input"),  # ai.txt speaks to ai-train only
        ],
    ),
    # §5.6-1 tdmrep.json first match, not longest match.
    "tdmrep-first-match": (
        {
            "tdmrep": '[{"location": "/", "tdm-reservation": 1},'
            ' {"location": "/open/", "tdm-reservation": 0}]'
        },
        [
            Row("/open/x", "reserved", purpose="tdm"),
            Row("/x", "reserved", purpose="ai-train"),
            Row("/x", "allowed", purpose="search"),
        ],
    ),
    "tdmrep-open-first": (
        {
            "tdmrep": '[{"location": "/open/", "tdm-reservation": 0},'
            ' {"location": "/", "tdm-reservation": 1}]'
        },
        [
            Row("/open/x", "allowed", purpose="tdm"),
            Row("/x", "reserved", purpose="tdm"),
            # TDMRep layering: the page's header supersedes the file, its meta the header.
            Row(
                "/x",
                "allowed",
                purpose="tdm",
                page=html_page("/x", headers=(("tdm-reservation", "0"),)),
            ),
            Row(
                "/open/x",
                "reserved",
                purpose="tdm",
                reason="header tdm-reservation: 1",
                page=html_page("/open/x", headers=(("tdm-reservation", "1"),)),
            ),
            Row(
                "/open/x",
                "allowed",
                purpose="tdm",
                page=html_page(
                    "/open/x",
                    '<meta name="tdm-reservation" content="0">',
                    (("tdm-reservation", "1"),),
                ),
            ),
        ],
    ),
    # RSL terms_for: the licence's <content> scope.
    "rsl": (
        {
            "licenses": (
                doc(
                    "/license.xml",
                    '<rsl xmlns="https://rslstandard.org/rsl"><content url="/premium/">'
                    '<license><prohibits type="usage">ai-train</prohibits></license>'
                    '</content><content url="/free/"><license><permits type="usage">'
                    "search</permits></license></content></rsl>",
                ),
            )
        },
        [
            Row("/premium/a", "reserved", reason="<prohibits"),
            Row("/premium/a", "allowed", purpose="search"),
            Row("/free/a", "reserved", reason="permits only search"),
            Row("/free/a", "allowed", purpose="search"),
            Row("/other", "allowed"),
        ],
    ),
}


@pytest.mark.parametrize("table", list(TABLES), ids=list(TABLES))
def test_url_decisions(table: str, ruleset: Ruleset) -> None:
    files, rows = TABLES[table]
    site = signals(ruleset, **files)  # type: ignore[arg-type]
    for row in rows:
        check(site, row, ruleset)


PAGE_ROWS = [
    # Page-level directives: agent-independent ones apply to every agent.
    Row("/a", "reserved", page=html_page("/a", '<meta name="robots" content="noai">')),
    Row("/a", "reserved", agent="CCBot", page=html_page("/a", headers=(("X-Robots-Tag", "NoAI"),))),
    Row(
        "/a",
        "allowed",
        purpose="search",
        page=html_page("/a", '<meta name="robots" content="noai">'),
    ),
    Row("/a", "reserved", page=html_page("/a", headers=(("Content-Usage", "train-ai=n"),))),
    Row("/a", "reserved", page=html_page("/a", headers=(("Content-Signal", "ai-train=no"),))),
    Row("/a", "reserved", page=html_page("/a", '<meta name="robots" content="noimageai">')),
    # §6-1 agent-scoped directives apply only to that agent…
    Row(
        "/a",
        "reserved",
        agent="Googlebot",
        page=html_page("/a", headers=(("X-Robots-Tag", "googlebot: noai"),)),
    ),
    Row(
        "/a",
        "allowed",
        agent="GPTBot",
        reason="scoped to Googlebot",
        page=html_page("/a", headers=(("X-Robots-Tag", "googlebot: noai"),)),
    ),
    # …and, without an agent, only when they name a catalogued agent of the purpose.
    Row("/a", "allowed", page=html_page("/a", headers=(("X-Robots-Tag", "googlebot: noai"),))),
    Row("/a", "reserved", page=html_page("/a", headers=(("X-Robots-Tag", "GPTBot: noai"),))),
    Row("/a", "reserved", page=html_page("/a", '<meta name="gptbot" content="noai">')),
    # A failed page fetch: unknown (fail closed).
    Row(
        "/a", "unknown", reason="timeout", page=parse_page(doc("/a", status=None, error="timeout"))
    ),
    Row("/a", "unknown", reason="HTTP status 404", page=parse_page(doc("/a", "nope", status=404))),
    Row("/a", "allowed", page=html_page("/a")),
]


@pytest.mark.parametrize("row", PAGE_ROWS, ids=[str(i) for i in range(len(PAGE_ROWS))])
def test_page_signals(row: Row, ruleset: Ruleset) -> None:
    check(signals(ruleset, "User-agent: *\nAllow: /\n"), row, ruleset)


def test_failed_page_is_reserved_when_the_site_reserves_it(ruleset: Ruleset) -> None:
    site = signals(ruleset, "User-agent: GPTBot\nDisallow: /\n")
    failed = parse_page(doc("/a", status=None, error="timeout"))
    result = check(site, Row("/a", "reserved", page=failed), ruleset)
    assert [p.code for p in result.problems] == ["page.fetch-failed"]


def test_reasons_put_reservations_first(ruleset: Ruleset) -> None:
    site = signals(
        ruleset,
        "User-agent: *\nContent-Signal: ai-train=yes\nAllow: /\n",
        tdmrep='[{"location": "/", "tdm-reservation": 1}]',
    )
    result = decide_url(ORIGIN + "/x", site=site, purpose="ai-train", ruleset=ruleset)
    assert result.decision == "reserved"
    assert [r.effect for r in result.reasons] == [Effect.RESERVE, Effect.PERMIT]
    assert [r.signal for r in result.reasons] == ["tdmrep.json", "content-signal"]


def test_usage_agrees_with_the_robots_parser(ruleset: Ruleset) -> None:
    """The compiled Content-Usage rules give what RobotsTxt.content_usage gives."""
    text = (
        "User-Agent: *\nAllow: /\nDisallow: /never/\nContent-Usage: train-ai=n\n"
        "Content-Usage: /ai-ok/ train-ai=y\nContent-Usage: /ai-ok/ train-ai=n, search=y\n"
        "Content-Usage: /s/ search=n\n"
    )
    site = signals(ruleset, text)
    assert site.robots is not None
    for path in ("/", "/x", "/ai-ok/", "/ai-ok/x", "/never/x", "/s/x"):
        for purpose, category in (("ai-train", "train-ai"), ("search", "search")):
            expected = (site.robots.content_usage("CCBot", ORIGIN + path) or {}).get(category)
            result = decide_url(
                ORIGIN + path, site=site, purpose=purpose, agent="CCBot", ruleset=ruleset
            )
            usage = [r for r in result.reasons if r.signal == "content-usage"]
            got = {Effect.RESERVE: "n", Effect.PERMIT: "y"}[usage[0].effect] if usage else None
            assert got == expected, (path, purpose)


def test_plans_are_cached_per_purpose_and_agent(ruleset: Ruleset) -> None:
    site = signals(ruleset, "User-agent: *\nDisallow: /x\n")
    decide_url(ORIGIN + "/x", site=site, ruleset=ruleset)
    decide_url(ORIGIN + "/y", site=site, ruleset=ruleset)
    decide_url(ORIGIN + "/y", site=site, agent="GPTBot", ruleset=ruleset)
    assert set(site._cache) == {("ai-train", None), ("ai-train", "GPTBot")}


def test_disallow_finding_is_reused_across_urls(ruleset: Ruleset) -> None:
    site = signals(ruleset, "User-agent: *\nDisallow: /x\n")
    first = decide_url(ORIGIN + "/x/1", site=site, ruleset=ruleset).reasons[0]
    second = decide_url(ORIGIN + "/x/2", site=site, ruleset=ruleset).reasons[0]
    assert first is second
    assert first.agents == tuple(a.token for a in ruleset.agents_for("ai-train") if a.token)
