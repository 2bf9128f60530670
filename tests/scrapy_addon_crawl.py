"""Run a third-party-style Scrapy crawl with crawlcheck's add-on; print what it saw as JSON.

Used by tests/test_crawl_addon.py in a subprocess (Twisted's reactor cannot be restarted
in one process). Argument: a JSON object with ``urls``, optional ``proxy`` (set as
``request.meta["proxy"]``; without it, ``http_proxy`` from the environment is used),
``dont_filter`` (every URL is requested, even those Scrapy deems duplicates) and
``settings`` (merged over the project-like settings below). Output, one JSON object:
``items`` (what the spider's callback saw), ``dropped`` (URLs that reached the errback
with IgnoreRequest), ``events`` (crawlcheck_decision signals), ``invalid`` (URLs Scrapy
refused to make a request of) and ``stats``. Items and events carry ``input``: the URL as
given, before Scrapy normalised it.
"""

from __future__ import annotations

import json
import sys
from collections.abc import AsyncIterator
from typing import Any

import scrapy
from scrapy.crawler import CrawlerProcess
from scrapy.exceptions import IgnoreRequest
from scrapy.http import Request, Response
from twisted.python.failure import Failure

from crawlcheck.crawl.signals import crawlcheck_decision
from crawlcheck.model import UrlDecision


class DatasetSpider(scrapy.Spider):
    """A dataset builder's spider: fetch a list of pages, keep their text."""

    name = "dataset"

    def __init__(
        self, urls: list[str], proxy: str | None = None, dont_filter: bool = False, **kwargs: Any
    ) -> None:
        super().__init__(**kwargs)
        self.urls = urls
        self.proxy = proxy
        self.dont_filter = dont_filter
        self.items: list[dict[str, Any]] = []
        self.dropped: list[str] = []
        self.events: list[dict[str, Any]] = []
        self.invalid: list[str] = []

    @classmethod
    def from_crawler(cls, crawler: Any, *args: Any, **kwargs: Any) -> DatasetSpider:
        spider: DatasetSpider = super().from_crawler(crawler, *args, **kwargs)
        crawler.signals.connect(spider.on_decision, signal=crawlcheck_decision)
        return spider

    async def start(self) -> AsyncIterator[Request]:
        for url in self.urls:
            meta = {"proxy": self.proxy} if self.proxy else {}
            meta["input"] = url
            try:
                request = Request(
                    url,
                    meta=meta,
                    callback=self.parse,
                    errback=self.failed,
                    dont_filter=self.dont_filter,
                )
            except ValueError:  # not a URL Scrapy can request: nothing is fetched
                self.invalid.append(url)
                continue
            yield request

    def parse(self, response: Response) -> None:
        decision: UrlDecision | None = response.meta.get("crawlcheck")
        self.items.append(
            {
                "url": response.url,
                "input": response.meta.get("input"),
                "status": response.status,
                "decision": decision.decision if decision else None,
                "signals": sorted({r.signal for r in decision.reasons}) if decision else [],
            }
        )

    def failed(self, failure: Failure) -> None:
        if failure.check(IgnoreRequest):
            self.dropped.append(failure.request.url)  # type: ignore[attr-defined]

    def on_decision(
        self, request: Request, response: Response | None, decision: UrlDecision, stage: str
    ) -> None:
        self.events.append(
            {
                "url": request.url,
                "input": request.meta.get("input"),
                "stage": stage,
                "decision": decision.decision,
                "has_response": response is not None,
            }
        )


def main(argv: list[str]) -> int:
    config = json.loads(argv[1])
    settings: dict[str, Any] = {
        "ADDONS": {"crawlcheck.crawl.addon.CrawlcheckAddon": 0},
        "ROBOTSTXT_OBEY": True,
        "LOG_LEVEL": "WARNING",
        "TELNETCONSOLE_ENABLED": False,
        "DOWNLOAD_TIMEOUT": 5,
        "RETRY_TIMES": 1,
        "REQUEST_FINGERPRINTER_IMPLEMENTATION": "2.7",
    }
    settings.update(config.get("settings", {}))
    process = CrawlerProcess(settings)
    crawler = process.create_crawler(DatasetSpider)
    process.crawl(
        crawler,
        urls=config["urls"],
        proxy=config.get("proxy"),
        dont_filter=bool(config.get("dont_filter", False)),
    )
    process.start()
    spider = crawler.spider
    stats = crawler.stats.get_stats() if crawler.stats else {}
    json.dump(
        {
            "items": spider.items,
            "dropped": spider.dropped,
            "events": spider.events,
            "invalid": spider.invalid,
            "stats": {k: v for k, v in stats.items() if isinstance(v, int | float | str)},
        },
        sys.stdout,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
