"""crawlcheck.crawl.download: a crawl through a proxy reuses its connections to it."""

from __future__ import annotations

from typing import Any

from webfixture import FixtureWeb, parse_site

from crawlcheck.crawl.options import CrawlOptions
from crawlcheck.crawl.runner import crawl_sites


def page(*links: str) -> dict[str, Any]:
    anchors = "".join(f'<a href="{link}">x</a>' for link in links)
    return {"body": f"<html><body>{anchors}</body></html>", "content_type": "text/html"}


def test_a_crawl_through_a_proxy_keeps_one_connection_per_request_in_flight() -> None:
    # Scrapy alone keeps CONCURRENT_REQUESTS_PER_DOMAIN (2) idle connections per pool key,
    # and every request through one proxy shares a key: with 8 requests in flight, most
    # requests then open a connection of their own (26 connections here without the handler).
    specs = [
        {
            "host": f"s{i}.test",
            "resources": {
                "/robots.txt": {"body": "User-agent: *\nAllow: /\n"},
                "/": page(*(f"/p{n}" for n in range(5))),
                "*": page(),
            },
        }
        for i in range(12)
    ]
    with FixtureWeb([parse_site(spec) for spec in specs]) as web:
        options = CrawlOptions(proxy=web.proxy_url, timeout=10, retries=0, concurrency=8)
        results = list(crawl_sites([f"http://{spec['host']}" for spec in specs], options))
        log = web.requests
    assert len(results) == 12
    assert all(len(result.pages) == 6 for result in results)
    assert all(record.via_proxy for record in log)
    assert len(log) >= 12 * 7  # robots.txt, the home page, 5 pages, the site files
    assert len({record.client for record in log}) <= options.concurrency
