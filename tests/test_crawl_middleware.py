"""Tests for crawlcheck.crawl.middleware and middleware_settings, without a network.

As Scrapy tests its RobotsTxtMiddleware: a MagicMock crawler with real Settings, a real
stats collector and signal manager, and ``engine.download_async`` answering from a dict
of canned responses. The coroutines run under ``asyncio.run`` (a running loop is what
Scrapy's Deferred helpers look for), so no reactor is installed in the test process.
Real crawls are in tests/test_crawl_addon.py.
"""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from typing import Any
from unittest.mock import AsyncMock, MagicMock

import pytest
from scrapy.exceptions import IgnoreRequest, NotConfigured
from scrapy.http import HtmlResponse, Request, Response
from scrapy.settings import Settings
from scrapy.signalmanager import SignalManager
from scrapy.statscollectors import StatsCollector

from crawlcheck.crawl.middleware import INTERNAL_META, CrawlcheckMiddleware
from crawlcheck.crawl.middleware_settings import MiddlewareOptions, options_from_settings
from crawlcheck.crawl.signals import crawlcheck_decision
from crawlcheck.errors import UsageError

SITE = "http://e.test"
Page = tuple[int, bytes] | tuple[int, bytes, dict[str, str]] | Exception


def run(coro: Coroutine[Any, Any, Any]) -> Any:
    return asyncio.run(coro)


class Web:
    """Canned answers for ``engine.download_async``; records every request made."""

    def __init__(self, pages: dict[str, Page], delay: float = 0.0) -> None:
        self.pages = pages
        self.delay = delay
        self.requests: list[Request] = []

    async def download(self, request: Request) -> Response:
        self.requests.append(request)
        if self.delay:
            await asyncio.sleep(self.delay)
        page = self.pages.get(request.url, (404, b""))
        if isinstance(page, Exception):
            raise page
        status, body, *rest = page
        headers = rest[0] if rest else {"Content-Type": "text/plain"}
        return Response(request.url, status=status, body=body, headers=headers, request=request)

    def urls(self) -> list[str]:
        return [request.url for request in self.requests]


def middleware(
    web: Web, settings: dict[str, Any] | None = None
) -> tuple[CrawlcheckMiddleware, MagicMock, list[dict[str, Any]]]:
    crawler = MagicMock()
    crawler.settings = Settings(settings or {})
    crawler.stats = StatsCollector(crawler)
    crawler.signals = SignalManager()
    crawler.engine.download_async = AsyncMock(side_effect=web.download)
    events: list[dict[str, Any]] = []

    def on_decision(**kwargs: Any) -> None:
        kwargs.pop("signal")
        kwargs.pop("sender")
        events.append(kwargs)

    crawler.signals.connect(on_decision, signal=crawlcheck_decision, weak=False)
    return CrawlcheckMiddleware.from_crawler(crawler), crawler, events


def stats(crawler: MagicMock) -> dict[str, Any]:
    return {k: v for k, v in crawler.stats.get_stats().items() if k.startswith("crawlcheck/")}


GPTBOT_OUT = b"User-agent: GPTBot\nDisallow: /\n\nUser-agent: *\nDisallow: /private/\n"


# -- settings ---------------------------------------------------------------------------------


def test_defaults() -> None:
    assert options_from_settings(Settings()) == MiddlewareOptions(
        purpose="ai-train", agent=None, keep=frozenset({"allowed"}), rules=(), check_responses=True
    )


def test_the_agent_defaults_to_the_crawlers_robots_token_and_star_means_any() -> None:
    assert options_from_settings(Settings({"ROBOTSTXT_USER_AGENT": "MyBot"})).agent == "MyBot"
    both = Settings({"ROBOTSTXT_USER_AGENT": "MyBot", "CRAWLCHECK_AGENT": "CCBot"})
    assert options_from_settings(both).agent == "CCBot"
    star = Settings({"ROBOTSTXT_USER_AGENT": "MyBot", "CRAWLCHECK_AGENT": "*"})
    assert options_from_settings(star).agent is None


def test_a_full_user_agent_string_is_read_as_its_product_token(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Issue 7.5: Scrapy's ROBOTSTXT_USER_AGENT "MyCrawler/1.0 (+…)" decides as MyCrawler."""
    ua = "MyCrawler/1.0 (+https://example.org/bot)"
    mw, _, _ = middleware(Web({}), {"ROBOTSTXT_USER_AGENT": ua})
    assert mw.options.agent == "MyCrawler"
    mw, _, _ = middleware(Web({}), {"CRAWLCHECK_AGENT": "GPTBot/1.2"})
    assert mw.options.agent == "GPTBot"
    with caplog.at_level("WARNING", logger="crawlcheck"):
        mw, _, _ = middleware(Web({}), {"CRAWLCHECK_AGENT": "GTPBot"})
    assert mw.options.agent == "GTPBot"
    assert "did you mean GPTBot" in caplog.text


def test_an_agent_without_a_product_token_stops_the_crawl() -> None:
    with pytest.raises(UsageError, match=r"ROBOTSTXT_USER_AGENT: '123' has no product token"):
        middleware(Web({}), {"ROBOTSTXT_USER_AGENT": "123"})


def test_keep_accepts_a_list_or_a_comma_separated_string() -> None:
    keep = options_from_settings(Settings({"CRAWLCHECK_KEEP": "allowed, unknown"})).keep
    assert keep == {"allowed", "unknown"}


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        ({"CRAWLCHECK_PURPOSE": "ai-training"}, "CRAWLCHECK_PURPOSE: unknown purpose"),
        ({"CRAWLCHECK_KEEP": ["allowed", "maybe"]}, "CRAWLCHECK_KEEP: unknown decision 'maybe'"),
        ({"CRAWLCHECK_AGENT": 7}, "CRAWLCHECK_AGENT: expected a crawler token"),
        ({"CRAWLCHECK_RULES": [3]}, "CRAWLCHECK_RULES: expected strings"),
    ],
)
def test_a_bad_setting_is_a_usage_error_naming_it(settings: dict[str, Any], message: str) -> None:
    with pytest.raises(UsageError, match=message):
        middleware(Web({}), settings)


def test_a_missing_rules_file_is_an_error_at_start_up(tmp_path: Any) -> None:
    with pytest.raises(ValueError, match=r"missing\.yaml"):
        middleware(Web({}), {"CRAWLCHECK_RULES": [str(tmp_path / "missing.yaml")]})


def test_disabled_is_not_configured() -> None:
    with pytest.raises(NotConfigured):
        middleware(Web({}), {"CRAWLCHECK_ENABLED": False})


# -- before download ---------------------------------------------------------------------------


def test_a_reserved_request_is_dropped_with_its_decision_in_meta() -> None:
    web = Web({f"{SITE}/robots.txt": (200, GPTBOT_OUT)})
    mw, crawler, events = middleware(web)
    request = Request(f"{SITE}/article")
    with pytest.raises(IgnoreRequest, match="reserved for ai-train"):
        run(mw.process_request(request))
    decision = request.meta["crawlcheck"]
    assert (decision.url, decision.decision, decision.agent) == (request.url, "reserved", None)
    assert [r.signal for r in decision.reasons] == ["robots.txt"]
    assert "GPTBot" in decision.reasons[0].agents
    assert events == [
        {"request": request, "response": None, "decision": decision, "stage": "request"}
    ]
    assert stats(crawler) == {
        "crawlcheck/site_file/request_count": 3,
        "crawlcheck/site_file/status/200": 1,
        "crawlcheck/site_file/status/404": 2,
        "crawlcheck/origin/fetched": 1,
        "crawlcheck/origin/robots/parsed": 1,
        "crawlcheck/request/reserved": 1,
        "crawlcheck/request/dropped": 1,
    }


def test_an_agent_is_decided_by_its_own_group() -> None:
    web = Web({f"{SITE}/robots.txt": (200, GPTBOT_OUT)})
    mw, _, _ = middleware(web, {"CRAWLCHECK_AGENT": "ClaudeBot"})
    request = Request(f"{SITE}/article")
    assert run(mw.process_request(request)) is None
    assert request.meta["crawlcheck"].decision == "allowed"
    with pytest.raises(IgnoreRequest):
        run(mw.process_request(Request(f"{SITE}/private/x")))


def test_agent_independent_signals_reserve_for_any_agent() -> None:
    tdmrep = b'[{"location": "/", "tdm-reservation": 1}]'
    web = Web(
        {f"{SITE}/.well-known/tdmrep.json": (200, tdmrep, {"Content-Type": "application/json"})}
    )
    mw, _, _ = middleware(web, {"CRAWLCHECK_AGENT": "ClaudeBot"})
    request = Request(f"{SITE}/")
    with pytest.raises(IgnoreRequest):
        run(mw.process_request(request))
    assert [r.signal for r in request.meta["crawlcheck"].reasons] == ["tdmrep.json"]


@pytest.mark.parametrize(
    "robots", [(503, b"User-agent: *\nAllow: /\n"), ConnectionRefusedError("refused")]
)
def test_unreachable_robots_txt_fails_closed(robots: Page) -> None:
    mw, crawler, _ = middleware(Web({f"{SITE}/robots.txt": robots}))
    request = Request(f"{SITE}/")
    with pytest.raises(IgnoreRequest, match="unknown"):
        run(mw.process_request(request))
    decision = request.meta["crawlcheck"]
    assert decision.decision == "unknown"
    assert [p.code for p in decision.problems] == ["robots.unreachable"]
    assert stats(crawler)["crawlcheck/origin/unreachable"] == 1


def test_unknown_passes_when_kept() -> None:
    mw, _, _ = middleware(
        Web({f"{SITE}/robots.txt": (500, b"")}), {"CRAWLCHECK_KEEP": "allowed,unknown"}
    )
    request = Request(f"{SITE}/")
    assert run(mw.process_request(request)) is None
    assert request.meta["crawlcheck"].decision == "unknown"


def test_404_robots_txt_means_no_rules() -> None:
    mw, _, _ = middleware(Web({}))
    request = Request(f"{SITE}/")
    assert run(mw.process_request(request)) is None
    assert request.meta["crawlcheck"].decision == "allowed"


def test_concurrent_requests_to_a_new_origin_share_one_fetch() -> None:
    # Three or more waiters: converting one shared Deferred to Futures would hand the
    # third waiter None (a mistake RobotsTxtMiddleware makes in Scrapy 2.19).
    web = Web({f"{SITE}/robots.txt": (200, GPTBOT_OUT)}, delay=0.01)
    mw, crawler, _ = middleware(web, {"CRAWLCHECK_AGENT": "GPTBot"})
    requests = [Request(f"{SITE}/page{n}") for n in range(5)]

    async def all_of_them() -> list[BaseException | None]:
        return await asyncio.gather(
            *(mw.process_request(r) for r in requests), return_exceptions=True
        )

    results = run(all_of_them())
    assert all(isinstance(result, IgnoreRequest) for result in results)
    assert {r.meta["crawlcheck"].decision for r in requests} == {"reserved"}
    assert web.urls().count(f"{SITE}/robots.txt") == 1
    assert stats(crawler)["crawlcheck/origin/fetched"] == 1


def test_site_files_are_fetched_once_per_origin_with_the_requests_proxy() -> None:
    web = Web({})
    mw, _, _ = middleware(web)
    for path in ("/a", "/b", "/c"):
        run(mw.process_request(Request(f"{SITE}{path}", meta={"proxy": "http://proxy.test:3128"})))
    run(mw.process_request(Request("https://e.test/a")))  # another origin (scheme)
    assert web.urls() == [
        f"{SITE}/robots.txt",
        f"{SITE}/ai.txt",
        f"{SITE}/.well-known/tdmrep.json",
        "https://e.test/robots.txt",
        "https://e.test/ai.txt",
        "https://e.test/.well-known/tdmrep.json",
    ]
    first = web.requests[0]
    assert first.meta[INTERNAL_META] is True
    assert first.meta["dont_obey_robotstxt"]
    assert first.meta["dont_redirect"]
    assert first.meta["proxy"] == "http://proxy.test:3128"
    assert first.priority == CrawlcheckMiddleware.DOWNLOAD_PRIORITY
    assert "proxy" not in web.requests[3].meta


def test_redirects_are_followed_up_to_five_hops() -> None:
    pages: dict[str, Page] = {
        f"{SITE}/robots.txt": (301, b"", {"Location": "/r1"}),
        **{f"{SITE}/r{n}": (302, b"", {"Location": f"/r{n + 1}"}) for n in range(1, 5)},
        f"{SITE}/r5": (200, GPTBOT_OUT),
    }
    mw, _, _ = middleware(Web(pages))
    request = Request(f"{SITE}/x")
    with pytest.raises(IgnoreRequest):
        run(mw.process_request(request))
    # Five hops: the rules of the file at the end apply to the initial origin.
    assert request.meta["crawlcheck"].decision == "reserved"


def test_more_than_five_redirects_or_a_loop_means_no_rules() -> None:
    pages: dict[str, Page] = {
        f"{SITE}/robots.txt": (301, b"", {"Location": "/r1"}),
        **{f"{SITE}/r{n}": (301, b"", {"Location": f"/r{n + 1}"}) for n in range(1, 6)},
        f"{SITE}/r6": (200, GPTBOT_OUT),
        "http://loop.test/robots.txt": (302, b"", {"Location": "/again"}),
        "http://loop.test/again": (302, b"", {"Location": "/robots.txt"}),
    }
    web = Web(pages)
    mw, _, _ = middleware(web)
    for url in (f"{SITE}/x", "http://loop.test/x"):
        request = Request(url)
        assert run(mw.process_request(request)) is None
        assert request.meta["crawlcheck"].decision == "allowed"
    assert f"{SITE}/r6" not in web.urls()
    assert web.urls().count("http://loop.test/robots.txt") == 1


@pytest.mark.parametrize(
    "request_",
    [
        Request(f"{SITE}/robots.txt"),
        Request(f"{SITE}/elsewhere", meta={"redirect_urls": [f"{SITE}/robots.txt"]}),
        Request(f"{SITE}/x", meta={INTERNAL_META: True}),
        Request(f"{SITE}/x", meta={"dont_crawlcheck": True}),
        Request("data:,hello"),
    ],
    ids=["robots.txt", "robots.txt-redirect", "internal", "dont_crawlcheck", "data"],
)
def test_requests_that_are_not_ours_pass_untouched(request_: Request) -> None:
    web = Web({})
    mw, crawler, events = middleware(web)
    assert run(mw.process_request(request_)) is None
    assert "crawlcheck" not in request_.meta
    assert (web.requests, events, stats(crawler)) == ([], [], {})


# -- after download ----------------------------------------------------------------------------


def _page(
    url: str, body: bytes, status: int = 200, headers: dict[str, str] | None = None
) -> HtmlResponse:
    return HtmlResponse(
        url, status=status, body=body, headers=headers or {"Content-Type": "text/html"}
    )


NOAI_PAGE = b'<html><head><meta name="robots" content="noai"></head><body>x</body></html>'


def test_a_page_that_reserves_itself_is_dropped_after_download() -> None:
    mw, crawler, events = middleware(Web({}))
    request = Request(f"{SITE}/post")
    run(mw.process_request(request))
    response = _page(request.url, NOAI_PAGE)
    with pytest.raises(IgnoreRequest, match="reserved"):
        run(mw.process_response(request, response))
    decision = request.meta["crawlcheck"]
    assert decision.decision == "reserved"
    assert [r.signal for r in decision.reasons] == ["meta-robots"]
    assert [e["stage"] for e in events] == ["request", "response"]
    assert events[1]["response"] is response
    assert stats(crawler)["crawlcheck/response/dropped"] == 1


def test_headers_reserve_too() -> None:
    mw, _, _ = middleware(Web({}))
    request = Request(f"{SITE}/img.png")
    run(mw.process_request(request))
    response = Response(request.url, body=b"\x89PNG", headers={"X-Robots-Tag": "noimageai"})
    with pytest.raises(IgnoreRequest):
        run(mw.process_response(request, response))


def test_an_allowed_page_is_returned_with_its_decision() -> None:
    mw, crawler, _ = middleware(Web({}))
    request = Request(f"{SITE}/post")
    run(mw.process_request(request))
    response = _page(request.url, b"<html><body>plain</body></html>")
    response.request = request
    assert run(mw.process_response(request, response)) is response
    assert response.meta["crawlcheck"].decision == "allowed"
    assert stats(crawler)["crawlcheck/response/allowed"] == 1


def test_error_pages_and_unchecked_requests_pass_untouched() -> None:
    mw, crawler, events = middleware(Web({}))
    request = Request(f"{SITE}/gone")
    run(mw.process_request(request))
    before = request.meta["crawlcheck"]
    # An error page states nothing about the content, even with a noai meta.
    assert run(mw.process_response(request, _page(request.url, NOAI_PAGE, 404))) is not None
    assert request.meta["crawlcheck"] is before
    # A request crawlcheck never decided (robots.txt, dont_crawlcheck…) is not decided now.
    other = Request(f"{SITE}/robots.txt")
    assert run(mw.process_response(other, _page(other.url, NOAI_PAGE))) is not None
    assert len(events) == 1
    assert "crawlcheck/response/reserved" not in stats(crawler)


def test_responses_go_unchecked_when_asked() -> None:
    mw, _, events = middleware(Web({}), {"CRAWLCHECK_CHECK_RESPONSES": False})
    request = Request(f"{SITE}/post")
    run(mw.process_request(request))
    response = _page(request.url, NOAI_PAGE)
    assert run(mw.process_response(request, response)) is response
    assert [e["stage"] for e in events] == ["request"]


def test_a_page_is_decided_for_the_configured_purpose() -> None:
    # noai speaks to ai-train only (contract table): for search the page is allowed.
    mw, _, _ = middleware(Web({}), {"CRAWLCHECK_PURPOSE": "search"})
    request = Request(f"{SITE}/post")
    run(mw.process_request(request))
    response = _page(request.url, NOAI_PAGE)
    assert run(mw.process_response(request, response)) is response
    assert request.meta["crawlcheck"].purpose == "search"
