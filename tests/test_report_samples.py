"""Sample site reports shared by the report tests, and checks that they cover the vocabulary.

The samples are built from the model dataclasses directly (no crawl, no evaluator): a
reserved site, a partial one, an unknown one whose robots.txt answered 503, one with
hostile content in every text field, and an open one. Other report tests import
``SAMPLES`` and ``META`` from here.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

from golden import check_snapshot

from crawlcheck.model import (
    PURPOSES,
    AgentReport,
    Effect,
    FetchRecord,
    Finding,
    Problem,
    SiteReport,
    Verdict,
)
from crawlcheck.report import AGENT_STATES, VERDICTS, ReportMeta

META = ReportMeta(
    crawlcheck_version="0.1.0",
    generated_at="2026-11-30T09:15:02Z",
    catalogue_source="https://github.com/ai-robots-txt/ai.robots.txt robots.json @ 738c80d (MIT licence)",
    catalogue_date="2026-08-22",
    catalogue_count=172,
    command="crawlcheck audit -i sites.txt --format html -o report.html",
)

# (token, operator, purposes) of the catalogue excerpt the samples report on; deliberately
# not sorted, since renderers sort agents by token.
_CATALOGUE = (
    ("GPTBot", "OpenAI", ("ai-train",)),
    ("ClaudeBot", "Anthropic", ("ai-train",)),
    ("CCBot", "Common Crawl", ("ai-train", "tdm")),
    ("Google-Extended", "Google", ("ai-input", "ai-train")),
    ("OAI-SearchBot", "OpenAI", ("ai-input",)),
    ("PerplexityBot", "Perplexity", ("ai-input",)),
    ("Bytespider", "ByteDance", ("ai-train",)),
    ("ChatGPT-User", "OpenAI", ("ai-input",)),
)


def _sha(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def _verdicts(**by_purpose: tuple[str, tuple[str, ...]]) -> tuple[Verdict, ...]:
    return tuple(
        Verdict(
            purpose=p,
            verdict=by_purpose[p.replace("-", "_")][0],
            reasons=by_purpose[p.replace("-", "_")][1],
        )
        for p in PURPOSES
    )


def _agents(
    states: dict[str, tuple[str, str]], default: tuple[str, str]
) -> tuple[AgentReport, ...]:
    return tuple(
        AgentReport(
            token=token,
            robots=states.get(token, default)[0],
            purposes=purposes,
            operator=operator,
            evidence=states.get(token, default)[1],
            # Agents the sample names have a group of their own; the rest fall to '*'.
            group="own" if token in states else "*",
        )
        for token, operator, purposes in _CATALOGUE
    )


def _fetch(url: str, kind: str, status: int | None, body: str = "", **extra: object) -> FetchRecord:
    return FetchRecord(
        url=url,
        kind=kind,
        status=status,
        final_url=str(extra.pop("final_url", url)),
        sha256=None if status is None else _sha(body),
        fetched_at=str(extra.pop("fetched_at", "2026-11-30T09:14:03Z")),
        error=extra.pop("error", None),  # type: ignore[arg-type]
        content_type=str(extra.pop("content_type", "text/plain")),
        size=len(body.encode()),
        **extra,  # type: ignore[arg-type]
    )


def _reserved_site() -> SiteReport:
    o = "https://news.example"
    robots = f"{o}/robots.txt"
    findings = (
        Finding(
            signal="robots.txt",
            source=robots,
            effect=Effect.RESERVE,
            purposes=("ai-train",),
            agents=("GPTBot", "ClaudeBot", "CCBot", "Google-Extended", "Bytespider"),
            scope="/",
            evidence="line 4: Disallow: /",
            line=4,
            key="disallow",
            value="/",
        ),
        Finding(
            signal="content-signal",
            source=robots,
            effect=Effect.RESERVE,
            purposes=("ai-train",),
            agents=("*",),
            scope="/",
            evidence="line 12: Content-Signal: search=yes, ai-train=no",
            line=12,
            key="ai-train",
            value="no",
        ),
        Finding(
            signal="content-signal",
            source=robots,
            effect=Effect.PERMIT,
            purposes=("search",),
            agents=("*",),
            scope="/",
            evidence="line 12: Content-Signal: search=yes, ai-train=no",
            line=12,
            key="search",
            value="yes",
        ),
        Finding(
            signal="tdmrep.json",
            source=f"{o}/.well-known/tdmrep.json",
            effect=Effect.RESERVE,
            purposes=("tdm", "ai-train"),
            agents=("*",),
            scope="/*",
            evidence='line 2: {"location": "/*", "tdm-reservation": 1, "tdm-policy": '
            '"https://news.example/tdm-policy.json"}',
            line=2,
            key="tdm-reservation",
            value="1",
        ),
        Finding(
            signal="robots.txt",
            source=robots,
            effect=Effect.RESERVE,
            purposes=("ai-input",),
            agents=("PerplexityBot",),
            scope="/",
            evidence="line 8: Disallow: /",
            line=8,
            key="disallow",
            value="/",
        ),
        Finding(
            signal="llms.txt",
            source=f"{o}/llms.txt",
            effect=Effect.INFO,
            purposes=(),
            agents=("*",),
            scope="/",
            evidence="llms.txt present (2.1 KiB, 34 links)",
            key="present",
            value="yes",
        ),
    )
    return SiteReport(
        site="news.example",
        origin=o,
        verdicts=_verdicts(
            tdm=("reserved", ("tdmrep.json: rule for /* has tdm-reservation 1 (line 2)",)),
            ai_train=(
                "reserved",
                (
                    "tdmrep.json reserves TDM for every path, which covers AI training",
                    "robots.txt line 12: Content-Signal ai-train=no in the * group",
                    "robots.txt disallows / for every catalogued ai-train agent",
                ),
            ),
            ai_input=(
                "partial",
                (
                    "robots.txt disallows / for PerplexityBot only (line 8)",
                    "OAI-SearchBot, ChatGPT-User and Google-Extended are allowed",
                ),
            ),
            search=("not-reserved", ("robots.txt line 12: Content-Signal search=yes",)),
        ),
        agents=_agents(
            {
                "GPTBot": ("disallowed", "line 4: Disallow: / (group: line 1 User-agent: GPTBot)"),
                "ClaudeBot": (
                    "disallowed",
                    "line 4: Disallow: / (group: line 2 User-agent: ClaudeBot)",
                ),
                "CCBot": ("disallowed", "line 4: Disallow: / (group: line 3 User-agent: CCBot)"),
                "Google-Extended": (
                    "disallowed",
                    "line 4: Disallow: / (group: line 1 User-agent: Google-Extended)",
                ),
                "Bytespider": (
                    "disallowed",
                    "line 4: Disallow: / (group: line 3 User-agent: Bytespider)",
                ),
                "PerplexityBot": (
                    "disallowed",
                    "line 8: Disallow: / (group: line 7 User-agent: PerplexityBot)",
                ),
            },
            ("allowed", "no rule applies (group: line 10 User-agent: *)"),
        ),
        findings=findings,
        fetches=(
            _fetch(robots, "robots.txt", 200, "User-agent: GPTBot\n...", elapsed_ms=41.7),
            _fetch(
                f"{o}/ai.txt",
                "ai.txt",
                404,
                "<h1>Not found</h1>",
                content_type="text/html",
                elapsed_ms=18.2,
            ),
            _fetch(
                f"{o}/.well-known/tdmrep.json",
                "tdmrep.json",
                200,
                '[{"location": "/*"}]',
                content_type="application/json",
                elapsed_ms=22.0,
            ),
            _fetch(f"{o}/llms.txt", "llms.txt", 200, "# News\n" * 300, elapsed_ms=30.4),
            _fetch(
                "http://news.example/",
                "page",
                200,
                "<html>home</html>" * 2000,
                final_url=f"{o}/",
                content_type="text/html",
                redirects=((301, f"{o}/"),),
                elapsed_ms=212.9,
            ),
            _fetch(
                f"{o}/world/2026/11/29/summit",
                "page",
                200,
                "<html>story</html>" * 900,
                content_type="text/html",
                elapsed_ms=187.0,
            ),
        ),
        problems=(),
        started_at="2026-11-30T09:14:02Z",
        finished_at="2026-11-30T09:14:05Z",
    )


def _partial_site() -> SiteReport:
    o = "https://shop.example.org"
    robots = f"{o}/robots.txt"
    return SiteReport(
        site="https://shop.example.org",
        origin=o,
        verdicts=_verdicts(
            tdm=("not-reserved", ("no TDMRep file, header or meta; no RSL licence",)),
            ai_train=(
                "partial",
                (
                    "robots.txt restricts GPTBot from /products/ (line 3)",
                    "X-Robots-Tag: noai on 1 of 3 sampled pages",
                ),
            ),
            ai_input=("not-reserved", ("no signal reserves ai-input",)),
            search=("not-reserved", ("Disallow: /cart is a generic path rule, not a reservation",)),
        ),
        agents=_agents(
            {
                "GPTBot": (
                    "restricted",
                    "line 3: Disallow: /products/ (group: line 2 User-agent: GPTBot)",
                )
            },
            ("allowed", "no rule applies (group: line 6 User-agent: *)"),
        ),
        findings=(
            Finding(
                signal="robots.txt",
                source=robots,
                effect=Effect.RESERVE,
                purposes=("ai-train",),
                agents=("GPTBot",),
                scope="/products/",
                evidence="line 3: Disallow: /products/",
                line=3,
                key="disallow",
                value="/products/",
            ),
            Finding(
                signal="x-robots-tag",
                source=f"{o}/products/kettle-2000",
                effect=Effect.RESERVE,
                purposes=("ai-train",),
                agents=("*",),
                scope="page",
                evidence="header X-Robots-Tag: noai, noimageai",
                key="noai",
            ),
            Finding(
                signal="robots.txt",
                source=robots,
                effect=Effect.INFO,
                purposes=("search",),
                agents=("*",),
                scope="/cart",
                evidence="line 7: Disallow: /cart",
                line=7,
                key="disallow",
                value="/cart",
            ),
        ),
        fetches=(
            _fetch(robots, "robots.txt", 200, "User-agent: *\nDisallow: /cart\n", elapsed_ms=35.0),
            _fetch(f"{o}/ai.txt", "ai.txt", 404, "", elapsed_ms=12.0),
            _fetch(f"{o}/.well-known/tdmrep.json", "tdmrep.json", 404, "", elapsed_ms=11.5),
            _fetch(f"{o}/llms.txt", "llms.txt", 404, "", elapsed_ms=10.9),
            _fetch(
                f"{o}/",
                "page",
                200,
                "<html>shop</html>" * 1500,
                content_type="text/html",
                elapsed_ms=301.4,
            ),
            _fetch(
                f"{o}/products/kettle-2000",
                "page",
                200,
                "<html>kettle</html>" * 700,
                content_type="text/html",
                elapsed_ms=250.0,
            ),
            _fetch(
                f"{o}/about",
                "page",
                200,
                "<html>about</html>" * 100,
                content_type="text/html",
                elapsed_ms=99.0,
            ),
            _fetch(
                f"{o}/sitemap.xml",
                "sitemap",
                200,
                "<urlset/>" * 300,
                content_type="application/xml",
                elapsed_ms=45.3,
                truncated=True,
            ),
        ),
        problems=(
            Problem(
                code="sitemap.truncated",
                message="sitemap.xml was cut at 10 MiB; later URLs were not considered",
                source=f"{o}/sitemap.xml",
                level="info",
            ),
        ),
        skipped=((f"{o}/cart", "disallowed for crawlcheck by robots.txt line 7"),),
        started_at="2026-11-30T09:14:02Z",
        finished_at="2026-11-30T09:14:06Z",
    )


def _unknown_site() -> SiteReport:
    o = "https://down.example.net"
    reason = "robots.txt answered 503 Service Unavailable: RFC 9309 §2.3.1.4 says assume complete disallow"
    return SiteReport(
        site="down.example.net",
        origin=o,
        verdicts=_verdicts(
            tdm=("unknown", (reason, "every page fetch failed (timeout)")),
            ai_train=("unknown", (reason,)),
            ai_input=("unknown", (reason,)),
            search=("unknown", (reason,)),
        ),
        agents=_agents({}, ("unreachable", "robots.txt status 503")),
        findings=(),
        fetches=(
            _fetch(
                f"{o}/robots.txt",
                "robots.txt",
                503,
                "<html>maintenance</html>",
                content_type="text/html",
                elapsed_ms=1520.0,
            ),
            _fetch(
                f"{o}/ai.txt",
                "ai.txt",
                503,
                "<html>maintenance</html>",
                content_type="text/html",
                elapsed_ms=1490.2,
            ),
            _fetch(
                f"{o}/.well-known/tdmrep.json",
                "tdmrep.json",
                None,
                error="timeout",
                fetched_at="",
                content_type="",
                elapsed_ms=None,
            ),
            _fetch(
                f"{o}/llms.txt", "llms.txt", None, error="timeout", fetched_at="", content_type=""
            ),
        ),
        problems=(
            Problem(
                code="robots.unreachable",
                message="robots.txt answered 503; every agent is treated as disallowed",
                source=f"{o}/robots.txt",
                level="error",
            ),
            Problem(
                code="tdmrep.unreachable",
                message="timeout after 30 s",
                source=f"{o}/.well-known/tdmrep.json",
                level="error",
            ),
        ),
        skipped=(
            (f"{o}/", "robots.txt unreachable: crawlcheck does not fetch pages it may not crawl"),
        ),
        started_at="2026-11-30T09:14:02Z",
        finished_at="2026-11-30T09:14:33Z",
    )


#: Text a hostile website might serve; every renderer must show it as inert text.
SCRIPT = "<script>alert(1)</script>"
JS_URL = "javascript:alert(document.domain)"
RTL = "\u202eلا تستخدم هذا المحتوى للتدريب — אין להשתמש"  # noqa: RUF001
LONG = "Disallow: /" + "a-very-long-path-segment/" * 40 + "end"


def _hostile_site() -> SiteReport:
    o = "https://hostile.example"
    robots = f"{o}/robots.txt"
    return SiteReport(
        site=f"{o}/?q=\"><script>alert('site')</script>",
        origin=o,
        verdicts=_verdicts(
            tdm=("not-reserved", ('tdm-meta "0" on the home page: "</td><td>x"',)),
            ai_train=("partial", (f"<meta name=robots content=noai> on 1 page: {SCRIPT}",)),
            ai_input=(
                "not-reserved",
                (
                    '=HYPERLINK("http://evil.example","click")',
                    "see [click](javascript:alert(1)) and ![img](https://evil.example/x.png)",
                ),
            ),
            search=(
                "not-reserved",
                ("| pipes | in | reasons |", "line\u2028separator\x85NEL\nnewline\r\nCRLF"),
            ),
        ),
        agents=_agents(
            {
                "GPTBot": ("restricted", f"line 2: Disallow: /{SCRIPT}"),
                "ClaudeBot": (
                    "restricted",
                    "line 5: Disallow: /ünïcødé/日本語/ (group: line 4 User-agent: ClaudeBot)",
                ),
                "CCBot": ("allowed", "+cmd|' /C calc'!A0"),
                "Bytespider": ("allowed", "-2+3+cmd|' /C calc'!A0"),
                "PerplexityBot": ("allowed", "@SUM(1+1)*cmd|' /C calc'!A0"),
            },
            ("allowed", "no rule applies"),
        ),
        findings=(
            Finding(
                signal="robots.txt",
                source=robots,
                effect=Effect.RESERVE,
                purposes=("ai-train",),
                agents=("GPTBot",),
                scope=f"/{SCRIPT}",
                evidence=f"line 2: Disallow: /{SCRIPT}",
                line=2,
                key="disallow",
                value=f"/{SCRIPT}",
            ),
            Finding(
                signal="meta-robots",
                source=JS_URL,
                effect=Effect.RESERVE,
                purposes=("ai-train",),
                agents=("*",),
                scope="page",
                evidence='<meta name="robots" content="noai" data-x="\'&quot;</td></tr></table><img src=x onerror=alert(1)>">',
                key="noai",
            ),
            Finding(
                signal="robots.txt",
                source=robots,
                effect=Effect.RESERVE,
                purposes=("ai-train",),
                agents=("ClaudeBot",),
                scope="/ünïcødé/日本語/",
                evidence=f"line 6: {LONG}",
                line=6,
                key="disallow",
                value=LONG[len("Disallow: ") :],
            ),
            Finding(
                signal="tdm-meta",
                source=f"{o}/",
                effect=Effect.PERMIT,
                purposes=("tdm",),
                agents=("*",),
                scope="page",
                evidence=f'<meta name="tdm-reservation" content="0"> {RTL}',
                key="tdm-reservation",
                value="0",
            ),
            Finding(
                signal="content-usage",
                source=robots,
                effect=Effect.INFO,
                purposes=("ai-train",),
                agents=("*",),
                scope="/",
                evidence="line 9: Content-Usage: train-ai=`y` | [x](javascript:alert(1)) *bold* _it_ ~~s~~ $x$ \\",
                line=9,
                key="train-ai",
                value="`y`",
            ),
        ),
        fetches=(
            _fetch(
                robots,
                "robots.txt",
                200,
                SCRIPT,
                final_url=f"{o}/robots.txt?<b>",
                elapsed_ms=50.0,
                redirects=((302, f"{o}/robots.txt?<b>"),),
            ),
            _fetch(
                f"{o}/",
                "page",
                200,
                "<html>" + SCRIPT,
                content_type="text/html",
                redirects=((302, JS_URL), (301, f'{o}/"onmouseover="alert(1)')),
                final_url=f"{o}/",
                elapsed_ms=120.0,
            ),
            _fetch(
                f"{o}/evil\n<img src=x>",
                "page",
                None,
                error="<b>connection</b> reset\u202e",
                fetched_at="",
                content_type="",
            ),
        ),
        problems=(
            Problem(
                code="robots.html-served",
                message=f"robots.txt looks like HTML: {SCRIPT}",
                source=robots,
                line=1,
                level="warning",
            ),
            Problem(
                code="html.bad-meta",
                message='attribute with quote: content="a"b" & \'c\'',
                source=JS_URL,
                level="info",
            ),
        ),
        skipped=((JS_URL, f"not same-origin: {SCRIPT}"),),
        started_at="2026-11-30T09:14:02Z",
        finished_at="2026-11-30T09:14:04Z",
    )


def _open_site() -> SiteReport:
    o = "http://localhost:8080"
    return SiteReport(
        site="localhost:8080",
        origin=o,
        verdicts=_verdicts(
            tdm=("not-reserved", ("every signal was read; none reserves tdm",)),
            ai_train=("not-reserved", ("every signal was read; none reserves ai-train",)),
            ai_input=("not-reserved", ("every signal was read; none reserves ai-input",)),
            search=("not-reserved", ("every signal was read; none reserves search",)),
        ),
        agents=_agents({}, ("allowed", "robots.txt 404: no rules (RFC 9309 §2.3.1.3)")),
        findings=(),
        fetches=(
            _fetch(f"{o}/robots.txt", "robots.txt", 404, "", elapsed_ms=2.1),
            _fetch(
                f"{o}/", "page", 200, "<html>hi</html>", content_type="text/html", elapsed_ms=3.3
            ),
        ),
        problems=(),
    )


def blanket_site(agents: int = 165) -> SiteReport:
    """Return a site whose ``User-agent: *`` + ``Disallow: /`` reaches *agents* agents.

    The evaluator reports such a line once per catalogued agent it reaches (one finding
    each, all with the same evidence); views group them (crawlcheck.report.digest).
    """
    o = "https://walled.example"
    robots = f"{o}/robots.txt"
    evidence = "line 2: Disallow: / (the * group: line 1: User-agent: *)"
    cycle = (("ai-train",), ("ai-input",), ("ai-input", "search"), ("ai-train", "ai-input"))
    catalogue = [
        (f"Agent{n:03d}", f"Operator {n % 40}", cycle[n % len(cycle)]) for n in range(agents)
    ]
    findings = [
        Finding(
            signal="robots.txt",
            source=robots,
            effect=Effect.RESERVE,
            purposes=purposes,
            agents=(token,),
            scope="/",
            evidence=evidence,
            line=2,
            key="disallow",
            value="/",
        )
        for token, _, purposes in catalogue
    ]
    findings.append(
        Finding(
            signal="robots.txt",
            source=robots,
            effect=Effect.INFO,
            purposes=(),
            agents=("*",),
            scope="/",
            evidence="line 1: User-agent: * — line 2: Disallow: /",
            line=1,
            key="group",
            value="*",
        )
    )
    reason = f"robots.txt disallows / for every catalogued agent ({agents}): line 2"
    return SiteReport(
        site="walled.example",
        origin=o,
        verdicts=_verdicts(
            tdm=("not-reserved", ("no TDMRep file, header or meta",)),
            ai_train=("reserved", (reason,)),
            ai_input=("reserved", (reason,)),
            search=("reserved", (reason,)),
        ),
        agents=tuple(
            AgentReport(
                token=token,
                robots="disallowed",
                purposes=purposes,
                operator=operator,
                evidence=evidence,
                group="*",
            )
            for token, operator, purposes in catalogue
        ),
        findings=tuple(findings),
        fetches=(_fetch(robots, "robots.txt", 200, "User-agent: *\nDisallow: /\n"),),
        problems=(),
    )


#: Golden outputs; ``CRAWLCHECK_UPDATE_GOLDEN=1 pytest tests/test_report_*.py`` rewrites them.
GOLDEN_DIR = Path(__file__).parent / "data" / "reports"
UPDATE_GOLDEN = os.environ.get("CRAWLCHECK_UPDATE_GOLDEN") == "1"


def assert_golden(name: str, actual: str) -> None:
    """Assert *actual* equals the golden file *name* byte for byte (see tests/golden.py)."""
    check_snapshot(GOLDEN_DIR / name, actual)


SAMPLES: tuple[SiteReport, ...] = (
    _reserved_site(),
    _partial_site(),
    _unknown_site(),
    _hostile_site(),
    _open_site(),
)


def test_samples_cover_every_verdict_agent_state_and_effect() -> None:
    verdicts = {v.verdict for r in SAMPLES for v in r.verdicts}
    states = {a.robots for r in SAMPLES for a in r.agents}
    effects = {f.effect for r in SAMPLES for f in r.findings}
    assert verdicts == set(VERDICTS)
    assert states == set(AGENT_STATES)
    assert effects == set(Effect)


def test_samples_answer_every_purpose_in_order() -> None:
    for report in SAMPLES:
        assert tuple(v.purpose for v in report.verdicts) == PURPOSES
