"""Tests for crawlcheck.decide: the per-URL decision behind check, filter and the add-on.

Site files and pages are literal bytes parsed by the real parsers; the ruleset is the
shipped one. Every expected decision is checked against the reasons (findings) emitted.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field

import pytest

from crawlcheck.decide import (
    Plan,
    SiteSignals,
    decide_many,
    decide_unknown,
    decide_url,
    plan_for,
    shared_decisions,
    site_signals,
)
from crawlcheck.decide.checker import read_targets
from crawlcheck.model import Effect, Fetched, Problem, SiteFetches, UrlDecision
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
    plan = plan_for(site, purpose=row.purpose, agent=row.agent, ruleset=ruleset)
    result = decide_url(ORIGIN + row.path, plan, row.page)
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
    result = decide_url(ORIGIN + "/x", plan_for(site, ruleset=ruleset))
    assert result.decision == "reserved"
    assert [r.effect for r in result.reasons] == [Effect.RESERVE, Effect.PERMIT]
    assert [r.signal for r in result.reasons] == ["tdmrep.json", "content-signal"]


USAGE = (
    "User-Agent: *\nAllow: /\nDisallow: /never/\nContent-Usage: train-ai=n\n"
    "Content-Usage: /ai-ok/ train-ai=y\nContent-Usage: /ai-ok/ train-ai=n, search=y\n"
    "Content-Usage: /s/ search=n\n\nUser-Agent: ExampleBot\nAllow: /\nContent-Usage: train-ai=y\n"
)


@pytest.mark.parametrize(
    ("agent", "path", "train_ai", "search"),
    [
        # draft-ietf-aipref-attach-05 §4: the longest matching rule of the agent's groups…
        ("CCBot", "/", "n", None),
        ("CCBot", "/x", "n", None),
        # …rules with identical paths combine restrictively (vocab "Combining")…
        ("CCBot", "/ai-ok/", "n", "y"),
        ("CCBot", "/ai-ok/x", "n", "y"),
        # …the longest rule wins whole: /s/ says nothing of train-ai, so nothing applies…
        ("CCBot", "/s/x", None, "n"),
        # …and only where the path is crawlable (robots.txt reserves /never/ itself).
        ("CCBot", "/never/x", None, None),
        # An agent's own group replaces the * group's rules.
        ("ExampleBot", "/never/x", "y", None),
    ],
)
def test_content_usage_longest_match_restrictive_and_crawlable_only(
    ruleset: Ruleset, agent: str, path: str, train_ai: str | None, search: str | None
) -> None:
    site = signals(ruleset, USAGE)
    for purpose, expected in (("ai-train", train_ai), ("search", search)):
        result = decide_url(
            ORIGIN + path, plan_for(site, purpose=purpose, agent=agent, ruleset=ruleset)
        )
        usage = [r for r in result.reasons if r.signal == "content-usage"]
        got = {Effect.RESERVE: "n", Effect.PERMIT: "y"}[usage[0].effect] if usage else None
        assert got == expected, (path, purpose, result.reasons)


def test_disallow_finding_is_built_once_per_plan(ruleset: Ruleset) -> None:
    site = signals(ruleset, "User-agent: *\nDisallow: /x\n")
    plan = plan_for(site, ruleset=ruleset)
    first = decide_url(ORIGIN + "/x/1", plan).reasons[0]
    second = decide_url(ORIGIN + "/x/2", plan).reasons[0]
    assert first is second
    assert first.agents == tuple(a.token for a in ruleset.agents_for("ai-train") if a.token)


@pytest.mark.parametrize(
    "path",
    [
        "/private",
        "/public/../private",
        "/./private",
        "/public/./../private/x",
        "/%70rivate",
        "/%70%72ivate/x?y",
        "/public/%2e%2e/private",
        "/a/b/../../private",
        "/public\\..\\private",  # WHATWG (browsers, Scrapy's w3lib) send /public/../private
        "/public\\../private/x",
    ],
)
def test_every_form_of_the_url_a_client_sends_is_decided(ruleset: Ruleset, path: str) -> None:
    """RFC 3986 §5.2.4 dot segments and RFC 9309 §2.2.2 unreserved escapes: most restrictive."""
    site = signals(ruleset, "User-agent: GPTBot\nDisallow: /private\n")
    for agent in ("GPTBot", None):
        check(site, Row(path, "reserved", agent=agent, reason="Disallow: /private"), ruleset)
    check(site, Row("/public/x/../y", "allowed", agent="GPTBot"), ruleset)


@pytest.mark.parametrize("path", ["/privé/x", "/priv%c3%a9/x", "/priv%C3%A9/x", "/PRIV\u00c9"])
def test_non_ascii_paths_are_decided_as_clients_send_them(ruleset: Ruleset, path: str) -> None:
    """RFC 9309 §2.2.2: non-ASCII octets are percent-encoded (UTF-8) before comparison;
    escapes compare case-insensitively (RFC 3986 §6.2.2.1); letters themselves do not."""
    site = signals(ruleset, "User-agent: GPTBot\nDisallow: /privé\n")
    expected = "allowed" if path.startswith("/PRIV") else "reserved"
    check(site, Row(path, expected, agent="GPTBot"), ruleset)


def test_an_allow_on_the_raw_form_does_not_hide_a_disallow_on_the_decoded_one(
    ruleset: Ruleset,
) -> None:
    site = signals(ruleset, "User-agent: *\nAllow: /%70rivate\nDisallow: /private\n")
    check(site, Row("/%70rivate", "reserved", agent="GPTBot"), ruleset)
    check(site, Row("/private", "reserved", agent="GPTBot"), ruleset)


@pytest.mark.parametrize(
    ("files", "purposes"),
    [
        ({"ai_txt": doc("/ai.txt", status=503)}, {"ai-train"}),
        ({"ai_txt": doc("/ai.txt", error="connection")}, {"ai-train"}),
        ({"ai_txt": doc("/ai.txt", "User-agent: *\nDisallow: /private", status=200)}, set()),
        ({"tdmrep": doc("/.well-known/tdmrep.json", status=500)}, {"tdm", "ai-train"}),
        ({"tdmrep": doc("/.well-known/tdmrep.json", "[{", status=200)}, {"tdm", "ai-train"}),
        (
            {"licenses": (doc("/license.xml", error="timeout"),)},
            {"tdm", "ai-train", "ai-input", "search"},
        ),
    ],
)
def test_a_site_file_that_could_not_be_read_makes_its_purposes_unknown(
    ruleset: Ruleset, files: dict[str, object], purposes: set[str]
) -> None:
    base = {
        "robots": doc("/robots.txt", "User-agent: *\nAllow: /\n"),
        "ai_txt": doc("/ai.txt", status=404),
        "tdmrep": doc("/.well-known/tdmrep.json", status=404),
    }
    site = site_signals(
        SiteFetches(site="example.com", origin=ORIGIN, **{**base, **files}),  # type: ignore[arg-type]
        ruleset,
    )
    for purpose in ("tdm", "ai-train", "ai-input", "search"):
        expected = "unknown" if purpose in purposes else "allowed"
        check(site, Row("/x", expected, purpose=purpose), ruleset)
        check(site, Row("/x", expected, purpose=purpose, agent="GPTBot"), ruleset)


def test_an_unreadable_file_does_not_hide_a_reservation_another_signal_makes(
    ruleset: Ruleset,
) -> None:
    site = site_signals(
        SiteFetches(
            site="example.com",
            origin=ORIGIN,
            robots=doc("/robots.txt", "User-agent: GPTBot\nDisallow: /\n"),
            ai_txt=doc("/ai.txt", status=502),
        ),
        ruleset,
    )
    result = check(site, Row("/x", "reserved"), ruleset)
    assert "ai-txt.unreadable" in {p.code for p in result.problems}


def test_a_page_that_could_not_be_decoded_is_not_read(ruleset: Ruleset) -> None:
    undecodable = parse_page(doc("/a", "garbage", headers=HTML, error="content-encoding"))
    assert not undecodable.read
    site = signals(ruleset, "User-agent: *\nAllow: /\n")
    check(site, Row("/a", "unknown", page=undecodable, reason="content-encoding"), ruleset)


def test_contradictory_page_tdm_values_are_unknown_for_tdm_only(ruleset: Ruleset) -> None:
    both = html_page("/a", headers=(("tdm-reservation", "1"), ("tdm-reservation", "0")))
    site = signals(ruleset, "User-agent: *\nAllow: /\n")
    check(site, Row("/a", "unknown", purpose="tdm", page=both), ruleset)
    check(site, Row("/a", "unknown", purpose="ai-train", page=both), ruleset)
    check(site, Row("/a", "allowed", purpose="search", page=both), ruleset)


def test_a_star_group_disallow_keeps_the_url_out_named_as_a_crawl_rule(ruleset: Ruleset) -> None:
    """Issue 8: `check` names `*` + Disallow: /admin/ as audit does: robots.txt forbids the
    fetch (the URL stays excluded), not an AI reservation."""
    plan = plan_for(signals(ruleset, "User-agent: *\nDisallow: /admin/\n"), ruleset=ruleset)
    decision = decide_url(ORIGIN + "/admin/x", plan)
    assert decision.decision == "reserved"
    (reason,) = decision.reasons
    assert reason.key == "fetch-disallowed"
    assert reason.evidence.startswith("line 2: Disallow: /admin/ (group: line 1: User-agent: *)")
    assert "robots.txt forbids every crawler without a group of its own" in reason.evidence
    own = plan_for(signals(ruleset, "User-agent: GPTBot\nDisallow: /\n"), ruleset=ruleset)
    assert decide_url(ORIGIN + "/x", own).reasons[0].key == "disallow"


def test_a_content_usage_value_that_is_not_y_or_n_makes_urls_unknown(ruleset: Ruleset) -> None:
    site = signals(ruleset, "User-agent: *\nContent-Usage: /blog/ train-ai=no\n")
    decision = decide_url(ORIGIN + "/x", plan_for(site, ruleset=ruleset))
    assert decision.decision == "unknown"
    assert decision.problems[0].code == "robots.content-usage-value"
    search = decide_url(ORIGIN + "/x", plan_for(site, purpose="search", ruleset=ruleset))
    assert search.decision == "allowed"


_MANY_SIGNALS_ROBOTS = (
    "User-agent: GPTBot\nDisallow: /private/\nAllow: /private/open\nDisallow: /*.pdf$\n"
    "Content-Usage: /articles/ train-ai=n\n\n"
    "User-agent: CCBot\nDisallow: /\n\n"
    "User-agent: *\nDisallow: /admin\nContent-Usage: train-ai=y\nContent-Usage: /news/ train-ai=n\n"
)


@pytest.mark.parametrize("agent", [None, "GPTBot", "CCBot", "Google-Extended"])
@pytest.mark.parametrize("purpose", ["ai-train", "tdm", "search"])
def test_decisions_shared_within_a_plan_are_those_made_afresh(
    ruleset: Ruleset, agent: str | None, purpose: str
) -> None:
    """A plan reuses a decision for URLs its files read alike; each equals a fresh plan's."""
    site = signals(
        ruleset,
        _MANY_SIGNALS_ROBOTS,
        ai_txt="User-agent: *\nDisallow: /images/\n",
        tdmrep='[{"location": "/books/*", "tdm-reservation": 1}]',
    )
    shared = plan_for(site, purpose=purpose, agent=agent, ruleset=ruleset)
    paths = [
        f"/{section}/{name}"
        for section in ("", "private", "articles", "news", "images", "books", "admin")
        for name in ("", "a", "open", "x.pdf", "x.pdf?y", "b/c")
    ]
    for path in paths * 2:  # the second time, from what the plan kept
        fresh = plan_for(site, purpose=purpose, agent=agent, ruleset=ruleset)
        assert decide_url(ORIGIN + path, shared) == decide_url(ORIGIN + path, fresh), path
    assert shared.decided  # the plan did share decisions
    assert len(shared.decided) < len(paths)


_UNIFORM_CASES = [
    # (robots.txt, agent, every URL decided alike?)
    ("User-agent: GPTBot\nDisallow: /\n", "GPTBot", True),
    ("User-agent: GPTBot\nDisallow: /\n", None, True),
    ("User-agent: *\nDisallow:\n", "GPTBot", True),
    ("User-agent: *\nDisallow: /\nContent-Signal: ai-train=no\n", None, True),
    ("User-agent: *\nContent-Signal: ai-train=yes\n", "GPTBot", True),
    (None, "GPTBot", True),  # robots.txt absent
    (doc("/robots.txt", status=503), "GPTBot", True),  # unreachable: unknown everywhere
    ("User-agent: *\nDisallow: /private/\n", "GPTBot", False),
    ("User-agent: GPTBot\nDisallow: /\nAllow: /public/\n", "GPTBot", False),
    ("User-agent: *\nContent-Usage: /news/ train-ai=n\n", "GPTBot", False),
    ("User-agent: GPTBot\nDisallow: /*.pdf$\n", None, False),
]


@pytest.mark.parametrize(("robots", "agent", "uniform"), _UNIFORM_CASES)
def test_a_uniform_plan_shares_the_decision_each_url_gets_afresh(
    ruleset: Ruleset, robots: Fetched | str | None, agent: str | None, uniform: bool
) -> None:
    """A plan that reads no path decides once; every URL's decision is what it gets alone."""
    site = signals(ruleset, robots)
    shared = plan_for(site, agent=agent, ruleset=ruleset)
    assert shared.uniform is uniform
    paths = ["/", "/private/x", "/public/a", "/news/1", "/a.pdf", "/%70rivate/", "/x/../news/"]
    for path in paths * 2:
        fresh = plan_for(site, agent=agent, ruleset=ruleset)
        assert decide_url(ORIGIN + path, shared) == decide_url(ORIGIN + path, fresh), path
    if uniform:
        assert list(shared.decided) == [()]


def test_for_url_is_the_same_decision_for_another_url(ruleset: Ruleset) -> None:
    site = signals(ruleset, "User-agent: GPTBot\nDisallow: /\n")
    decision = decide_unknown(
        ORIGIN + "/a", "ai-train", "GPTBot", Problem(code="x.y", message="why", source="s")
    )
    decision = dataclasses.replace(
        decision, reasons=decide_url(ORIGIN + "/a", plan_for(site, ruleset=ruleset)).reasons
    )
    other = decision.for_url(ORIGIN + "/b")
    assert other == dataclasses.replace(decision, url=ORIGIN + "/b")
    with pytest.raises(dataclasses.FrozenInstanceError):
        other.url = "x"  # type: ignore[misc]


def test_a_window_decided_an_origin_at_a_time_is_decided_url_by_url(ruleset: Ruleset) -> None:
    """shared_decisions groups a window by origin; each URL gets what it gets alone."""
    sites = {
        "https://uniform.test": signals(ruleset, "User-agent: GPTBot\nDisallow: /\n"),
        "https://rules.test": signals(ruleset, "User-agent: *\nDisallow: /private/\n"),
        "https://many.test": signals(
            ruleset,
            _MANY_SIGNALS_ROBOTS,
            ai_txt="User-agent: *\nDisallow: /images/\n",
            tdmrep='[{"location": "/books/*", "tdm-reservation": 1}]',
        ),
    }
    plans: dict[str, Plan | Problem] = {
        origin: plan_for(site, agent="GPTBot", ruleset=ruleset) for origin, site in sites.items()
    }
    plans["https://gone.test"] = Problem(code="snapshot.missing", message="no capture", source="")
    paths = ["/", "/private/a", "/images/x.jpg", "/books/1", "/%70rivate/", "/a/../private/b"]
    values: list[object] = [
        origin + path
        for path in paths
        for origin in plans  # origins interleaved
    ] + ["not a url", 42]
    texts, origins, read_paths, malformed = read_targets(values)
    assert read_paths.count(None) == 4 * 2 + 2  # the encoded and dotted forms, the malformed
    found = shared_decisions(texts, origins, plans, read_paths)
    assert found == shared_decisions(texts, origins, plans)  # with or without the paths read
    for index, shared in enumerate(found):
        plan = plans.get(origins[index] or "")
        if not isinstance(plan, Plan):
            assert shared is None
            continue
        assert shared is not None
        fresh = plan_for(plan.site, agent="GPTBot", ruleset=ruleset)
        assert shared.for_url(texts[index]) == decide_url(texts[index], fresh), texts[index]
    decided = list(decide_many(texts, found, origins, plans, malformed, "ai-train", "GPTBot"))
    assert [d.url for d in decided] == texts
    assert [d.decision for d in decided[-2:]] == ["unknown", "unknown"]
    assert decided[3].problems[0].code == "snapshot.missing"
