"""Tests for crawlcheck.spiders.site, driven with real Scrapy requests and responses.

No reactor and no network: each test feeds the spider's callbacks the responses a server
would send and checks the requests it makes next and the results it reports.
"""

from __future__ import annotations

from typing import Any

import pytest
from crawlcheck.spiders.site import SiteSpider
from scrapy.exceptions import DownloadTimeoutError, StopDownload
from scrapy.http import Request, Response, TextResponse
from twisted.python.failure import Failure

from crawlcheck.codec import fetched_from_json, site_from_json
from crawlcheck.crawl.options import CrawlOptions
from crawlcheck.model import Fetched, SiteFetches

ROBOTS = "http://e.test/robots.txt"


def spider(**options: object) -> tuple[SiteSpider, list[SiteFetches | Fetched]]:
    crawl_options = CrawlOptions(**options)  # type: ignore[arg-type]
    site = SiteSpider(targets=[], options=crawl_options)
    RESULTS[id(site)] = []
    return site, RESULTS[id(site)]


RESULTS: dict[int, list[SiteFetches | Fetched]] = {}


def take(site: SiteSpider, outputs: list[Request | dict[str, Any]]) -> list[Request]:
    """Return the requests among a callback's *outputs*; keep its items as results."""
    requests: list[Request] = []
    for output in outputs:
        if isinstance(output, Request):
            requests.append(output)
            continue
        # Items are the codec's JSON (what Scrapy's pipelines and feed exports see).
        data = output["data"]
        result = site_from_json(data) if output["kind"] == "site" else fetched_from_json(data)
        RESULTS[id(site)].append(result)
    return requests


def respond(
    request: Request, status: int = 200, body: bytes = b"", headers: dict[str, object] | None = None
) -> Response:
    return TextResponse(
        request.url,
        status=status,
        body=body,
        headers=headers or {},
        request=request,
        encoding="utf-8",
    )


def answer(site: SiteSpider, requests: list[Request], pages: dict[str, tuple[int, bytes]]) -> None:
    """Answer every request (and the ones they lead to) from *pages*; 404 otherwise."""
    queue = list(requests)
    while queue:
        request = queue.pop(0)
        status, body = pages.get(request.url, (404, b""))
        headers = {"Content-Type": "text/html"} if body.startswith(b"<") else {}
        queue.extend(take(site, site.on_response(respond(request, status, body, headers))))


def test_robots_txt_is_requested_alone_first_with_redirects_left_to_the_spider() -> None:
    site, results = spider(proxy="http://proxy.test:3128")
    [request] = take(site, site.begin("http://e.test"))
    assert request.url == ROBOTS
    assert results == []
    assert request.meta["dont_redirect"]
    assert request.meta["handle_httpstatus_all"]
    assert request.meta["proxy"] == "http://proxy.test:3128"
    assert request.dont_filter
    assert request.priority == 0


def test_after_robots_the_site_files_home_and_sitemap_follow() -> None:
    site, _ = spider()
    [robots] = take(site, site.begin("http://e.test"))
    follow = take(
        site, site.on_response(respond(robots, body=b"User-agent: *\nDisallow: /private/\n"))
    )
    assert [r.url for r in follow] == [
        "http://e.test/ai.txt",
        "http://e.test/.well-known/tdmrep.json",
        "http://e.test/llms.txt",
        "http://e.test/",
        "http://e.test/sitemap.xml",
    ]
    assert {r.priority for r in follow} == {10}


def test_a_whole_site_is_reported_once_with_redirect_hops_recorded() -> None:
    site, results = spider(pages=2)
    start = take(site, site.begin("e.test"))  # a bare host is audited over https
    assert start[0].url == "https://e.test/robots.txt"
    first = take(
        site,
        site.on_response(
            respond(start[0], 301, headers={"Location": "https://cdn.test/robots.txt"})
        ),
    )
    assert [r.url for r in first] == ["https://cdn.test/robots.txt"]
    pages = {
        "https://cdn.test/robots.txt": (200, b"User-agent: crawlcheck\nDisallow: /no/\n"),
        "https://e.test/": (
            200,
            b'<a href="/no/1">x</a><a href="/a">a</a><a href="/b">b</a><a href="/c">c</a>',
        ),
        "https://e.test/a": (200, b"<p>a</p>"),
        "https://e.test/b": (200, b"<p>b</p>"),
    }
    answer(site, first, pages)
    [result] = results
    assert isinstance(result, SiteFetches)
    assert result.site == "e.test"
    assert result.origin == "https://e.test"
    robots = result.robots
    assert robots is not None
    assert robots.url == "https://e.test/robots.txt"
    assert robots.redirects == ((301, "https://cdn.test/robots.txt"),)
    assert robots.final_url == "https://cdn.test/robots.txt"
    assert robots.status == 200
    assert [p.url for p in result.pages] == [
        "https://e.test/",
        "https://e.test/a",
        "https://e.test/b",
    ]
    assert result.skipped == (("https://e.test/no/1", "disallowed for crawlcheck by robots.txt"),)
    assert result.ai_txt is not None
    assert result.ai_txt.status == 404


def test_a_body_is_cut_at_the_cap_and_marked_truncated() -> None:
    site, _ = spider(max_bytes=10)
    [robots] = take(site, site.begin("http://e.test"))
    site.on_headers(headers=None, body_length=0, request=robots, spider=site)  # type: ignore[arg-type]
    site.on_bytes(b"x" * 400_000, robots, site)
    with pytest.raises(StopDownload) as stopped:
        site.on_bytes(b"x" * 200_000, robots, site)
    assert stopped.value.fail is False
    # robots.txt keeps 500 KiB whatever max_bytes says; the response arrives flagged.
    response = respond(robots, body=b"User-agent: *\n" + b"x" * 600_000)
    response.flags.append("download_stopped")
    follow = take(site, site.on_response(response))
    ai = next(r for r in follow if r.url.endswith("/ai.txt"))
    take(site, site.on_response(respond(ai, body=b"0123456789abcdef")))
    assert site.open_sites
    job = next(iter(site.open_sites))
    assert job.robots is not None
    assert len(job.robots.body) == 512_001  # the read limit and one byte (FETCH_BYTES)
    assert job.robots.truncated
    assert job.files["ai_txt"].body == b"0123456789"
    assert job.files["ai_txt"].truncated


def test_a_failure_becomes_an_error_code_and_unreachable_robots_skips_pages() -> None:
    site, results = spider()
    [robots] = take(site, site.begin("http://e.test"))
    failure = Failure(DownloadTimeoutError("took too long"))
    failure.request = robots  # type: ignore[attr-defined]
    follow = take(site, site.on_failure(failure))
    assert [r.url.rsplit("/", 1)[1] for r in follow] == ["ai.txt", "tdmrep.json", "llms.txt"]
    answer(site, follow, {})
    [result] = results
    assert isinstance(result, SiteFetches)
    assert result.robots is not None
    assert (result.robots.status, result.robots.error) == (None, "timeout")
    assert result.pages == ()
    assert result.skipped[0][0] == "http://e.test/"


def test_headers_keep_every_value_and_redirect_loops_stop() -> None:
    site, _ = spider()
    [robots] = take(site, site.begin("http://e.test"))
    hop = take(site, site.on_response(respond(robots, 302, headers={"Location": "/r"})))
    [back] = hop
    follow = take(
        site,
        site.on_response(respond(back, 302, headers={"Location": ROBOTS, "Link": ["<a>", "<b>"]})),
    )
    job = next(iter(site.open_sites))
    assert job.robots is not None
    assert job.robots.error == "redirect-loop"
    assert job.robots.header_values("Link") == ("<a>", "<b>")
    assert job.robots.redirects == ((302, "http://e.test/r"), (302, ROBOTS))
    assert any(r.url == "http://e.test/" for r in follow)  # unavailable: no rules


def test_urls_mode_waits_for_robots_per_origin() -> None:
    site = SiteSpider(targets=[], mode="urls")
    results = RESULTS[id(site)] = []
    [robots] = take(site, site.begin("http://e.test/a"))
    assert take(site, site.begin("http://e.test/no")) == []
    assert take(site, site.begin("bad url")) == []
    follow = take(site, site.on_response(respond(robots, body=b"User-agent: *\nDisallow: /no\n")))
    assert [r.url for r in follow] == ["http://e.test/a"]
    take(site, site.on_response(respond(follow[0], body=b"<p>a</p>")))
    errors = {doc.url: doc.error for doc in results if isinstance(doc, Fetched)}
    assert errors == {
        "bad url": "invalid-url",
        "http://e.test/no": "robots-disallowed",
        "http://e.test/a": None,
    }
