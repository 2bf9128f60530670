"""The crawlcheck spider: carries out the jobs' orders, politely, and yields each result.

What to fetch is decided by :mod:`crawlcheck.crawl.jobs` (pure); this spider turns orders
into requests, follows redirects itself so every hop is recorded (RFC 9309 §2.3.1.2),
cuts bodies at the order's cap with ``StopDownload(fail=False)``, turns failures into
error codes, and yields each finished site (or URL) as an item as soon as it is complete:
``{"kind": "site"|"url", "data": …}`` in :mod:`crawlcheck.codec`'s JSON, so Scrapy's item
pipelines and feed exports see them (``scrapy crawl crawlcheck -a targets=… -O out.jsonl``).
"""

from __future__ import annotations

import logging
import time
from collections.abc import AsyncIterator, Iterable
from dataclasses import dataclass, field
from typing import Any

import scrapy
from scrapy import signals
from scrapy.crawler import Crawler
from scrapy.exceptions import DontCloseSpider, StopDownload
from scrapy.http import Headers, Request, Response
from scrapy.utils.defer import maybe_deferred_to_future
from twisted.internet.defer import Deferred
from twisted.python.failure import Failure

from crawlcheck.clock import now
from crawlcheck.codec import fetched_to_json, media_fetch_to_json, site_to_json
from crawlcheck.crawl.adapters import fetched_from_response, header_text
from crawlcheck.crawl.failures import (
    BLOCKED_ADDRESS,
    INVALID_URL,
    OFFSITE_REDIRECT,
    OTHER,
    ROBOTS_DISALLOWED,
    failure_code,
)
from crawlcheck.crawl.guard import SITE_META
from crawlcheck.crawl.jobs import (
    REASON_DISALLOWED,
    REASON_OFFSITE,
    Job,
    Kind,
    Order,
    OriginJob,
    SiteJob,
)
from crawlcheck.crawl.options import CrawlOptions
from crawlcheck.crawl.redirects import next_hop
from crawlcheck.model import Fetched, MediaFetch, SiteFetches
from crawlcheck.urls import origin_of

from .media import MediaFlights, MediaState

logger = logging.getLogger(__name__)

#: Requests of sites already under way go before the robots.txt of new sites, so sites
#: finish (and are reported) early and few are open at once.
_FOLLOW_UP_PRIORITY = 10
#: A request that only hands over results produced outside a callback (see on_idle).
_FLUSH_URL = "data:,"
#: Targets under way at once, per request allowed in flight (``concurrency``): enough to
#: keep every download slot busy while some sites wait on slow hosts, few enough that
#: each site's follow-up requests are not queued behind thousands of robots.txt requests
#: (see :meth:`SiteSpider.start`).
OPEN_TARGETS_PER_REQUEST = 2

Item = dict[str, Any]
Output = list[Request | Item]


@dataclass(slots=True)
class _Flight:
    """One order in flight: its job, the hops so far, timing and bytes received."""

    job: Job
    order: Order
    redirects: list[tuple[int, str]] = field(default_factory=list)
    visited: list[str] = field(default_factory=list)
    started: float | None = None
    """When the first hop reached the downloader (monotonic)."""
    sent: float | None = None
    """When the first hop was sent: its headers' arrival less Scrapy's download latency."""
    received: int = 0
    media: MediaState | None = None
    """The image or document read of a media order (spiders/media.py)."""


class SiteSpider(MediaFlights, scrapy.Spider):
    """Audit sites (``mode="sites"``) or fetch single pages (``mode="urls"``)."""

    name = "crawlcheck"

    def __init__(
        self,
        *,
        targets: Iterable[str] | str = (),
        options: CrawlOptions | None = None,
        mode: str = "sites",
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        # From the command line (``-a targets=a.example,b.example``) targets are one string.
        self.targets = targets.split(",") if isinstance(targets, str) else list(targets)
        self.options = options or CrawlOptions()
        self.mode = mode
        self.open_sites: set[SiteJob] = set()
        self.origins: dict[str, OriginJob] = {}
        self.pending: list[Item] = []
        """Results not yet handed to Scrapy (produced by a signal handler)."""
        self.window = max(1, OPEN_TARGETS_PER_REQUEST * self.options.concurrency)
        """Targets begun but not yet finished, at most (see :meth:`start`)."""
        self.begun = 0
        self.finished = 0
        self._room: Deferred[None] | None = None

    @classmethod
    def from_crawler(cls, crawler: Crawler, *args: Any, **kwargs: Any) -> SiteSpider:
        """Create the spider and connect the signals it needs."""
        spider: SiteSpider = super().from_crawler(crawler, *args, **kwargs)
        crawler.signals.connect(
            spider.on_reached_downloader, signal=signals.request_reached_downloader
        )
        crawler.signals.connect(spider.on_headers, signal=signals.headers_received)
        crawler.signals.connect(spider.on_bytes, signal=signals.bytes_received)
        crawler.signals.connect(spider.on_dropped, signal=signals.request_dropped)
        crawler.signals.connect(spider.on_idle, signal=signals.spider_idle)
        crawler.signals.connect(spider.on_scheduler_empty, signal=signals.scheduler_empty)
        return spider

    async def start(self) -> AsyncIterator[Request | Item]:
        """Yield the first requests of each target in input order, a window at a time.

        Scrapy reads ``start()`` eagerly, so yielding every robots.txt at once queues one
        download slot per site: the scheduler then serves all sites in turn, each site's
        follow-up requests wait behind every other site's robots.txt, and sites finish
        together at the end instead of one by one (and every one is held in memory). So a
        new target begins only while fewer than :attr:`window` are under way.
        """
        for target in self.targets:
            while self.begun - self.finished >= self.window:
                self._room = Deferred()
                await maybe_deferred_to_future(self._room)
            self.begun += 1
            for output in self.begin(target):
                yield output

    def begin(self, target: str) -> Output:
        """Return the first requests for *target* (a site, or a URL in ``urls`` mode)."""
        if self.mode == "urls":
            return self._begin_url(target)
        job = SiteJob(target, self.options)
        self.open_sites.add(job)
        orders = job.begin()
        self._flush(job)
        return [*self._requests(job, orders), *self._drain()]

    def _begin_url(self, url: str) -> Output:
        origin = origin_of(url)
        if origin is None:
            self._emit(Fetched(url=url, error=INVALID_URL, fetched_at=now()))
            return self._drain()
        job = self.origins.get(origin)
        if job is None:
            job = self.origins[origin] = OriginJob(origin, self.options)
            orders = job.begin() + job.add(url)
        else:
            orders = job.add(url)
        self._flush(job)
        return [*self._requests(job, orders), *self._drain()]

    # -- signals

    def on_reached_downloader(self, request: Request, spider: scrapy.Spider) -> None:
        """Start the clock of a fetch when its first hop reaches the downloader."""
        flight = request.meta.get("crawlcheck")
        if isinstance(flight, _Flight) and flight.started is None:
            flight.started = time.monotonic()

    def on_headers(
        self, headers: Headers, body_length: int, request: Request, spider: scrapy.Spider
    ) -> None:
        """Reset the byte count: a retry starts a new body."""
        flight = request.meta.get("crawlcheck")
        if isinstance(flight, _Flight):
            flight.received = 0
            latency = request.meta.get("download_latency")
            if flight.sent is None and isinstance(latency, float):
                flight.sent = time.monotonic() - latency
            if flight.media is not None:
                self.media_headers(flight, headers)

    def on_bytes(self, data: bytes, request: Request, spider: scrapy.Spider) -> None:
        """Stop a download once it passes its order's cap; the part read is kept."""
        flight = request.meta.get("crawlcheck")
        if isinstance(flight, _Flight):
            flight.received += len(data)
            if flight.media is not None and self.media_bytes(flight, data):
                return  # a media read stops itself (StopDownload) when it has enough
            if flight.received > flight.order.cap:
                raise StopDownload(fail=False)

    def on_dropped(self, request: Request, spider: scrapy.Spider) -> None:
        """Report a request the scheduler dropped as failed, so its site still finishes."""
        flight = request.meta.get("crawlcheck")
        if isinstance(flight, _Flight):
            if flight.media is not None and flight.media.mode == "media":
                state = flight.media
                for request_ in self._media_next(flight, state.read.on_failure(OTHER)):
                    self.crawler.engine.crawl(request_)
                return
            for request_ in self._deliver(flight, self._failed(flight, request.url, OTHER)):
                self.crawler.engine.crawl(request_)

    def on_idle(self, spider: scrapy.Spider) -> None:
        """Close any site still open when nothing is left to do (a bug, but never a hang),
        then hand over what signal handlers produced before the spider may close."""
        if self._recover():
            raise DontCloseSpider

    def on_scheduler_empty(self) -> None:
        """Do :meth:`on_idle`'s recovery while :meth:`start` waits for room.

        Scrapy never calls a spider idle before its ``start()`` is exhausted, so a window
        full of sites that wait for nothing (a bug) would otherwise hang the crawl.
        """
        engine = self.crawler.engine
        scraper = engine.scraper.slot
        if self._room is None or engine.downloader.active or (scraper and not scraper.is_idle()):
            return
        self._recover()

    def _recover(self) -> bool:
        """Close what nothing is left to finish; return True when results were handed over."""
        for job in list(self.open_sites):
            logger.error("site %s ended with %d fetches unaccounted for", job.site, job.pending)
            self._close(job)
        for origin in self.origins.values():
            for url in origin.waiting:
                self._emit(Fetched(url=url, error=OTHER, fetched_at=now()))
            origin.waiting.clear()
        if not self.pending:
            return False
        # Items can only come out of a callback: one data: request carries them out.
        self.crawler.engine.crawl(
            Request(_FLUSH_URL, callback=self.on_flush, dont_filter=True, priority=100)
        )
        return True

    # -- callbacks

    def on_flush(self, response: Response) -> Output:
        """Hand over the results produced outside callbacks (see :meth:`on_idle`)."""
        return self._drain()

    def on_response(self, response: Response) -> Output:
        """Follow a redirect hop, or deliver the response."""
        flight: _Flight = response.meta["crawlcheck"]
        if flight.media is not None:
            handled = self.media_response(flight, response)
            if handled is not None:
                return handled
        location = response.headers.get(b"Location")
        target, error = next_hop(
            response.url,
            response.status,
            None if location is None else header_text(location),
            flight.redirects,
            flight.visited,
        )
        job = flight.job
        if target is not None and flight.order.page:
            # Pages stay on the audited origin and obey its robots.txt at every hop.
            if origin_of(target) != job.origin:
                error = OFFSITE_REDIRECT
                job.skip(target, REASON_OFFSITE)
            elif not job.allows(target):
                error = ROBOTS_DISALLOWED
                job.skip(target, job.refusal(target) or REASON_DISALLOWED)
        if target is not None and error is None:
            return [self._request(flight, target)]
        return [*self._deliver(flight, self._fetched(flight, response, error)), *self._drain()]

    def on_failure(self, failure: Failure) -> Output:
        """Deliver a download failure as a value with its error code."""
        request: Request = failure.request  # type: ignore[attr-defined]
        flight: _Flight = request.meta["crawlcheck"]
        if flight.media is not None and flight.media.mode == "media":
            return self.media_failure(flight, failure)
        code = failure_code(failure.value or Exception())
        if code == BLOCKED_ADDRESS:
            flight.job.blocked(request.url, getattr(failure.value, "why", str(failure.value)))
        return [*self._deliver(flight, self._failed(flight, request.url, code)), *self._drain()]

    # -- internals

    def _emit(self, result: SiteFetches | Fetched | MediaFetch) -> None:
        """Queue one finished result as an item (the codec's JSON, see the module doc)."""
        self.finished += 1
        room, self._room = self._room, None
        if room is not None:
            room.callback(None)
        if isinstance(result, SiteFetches):
            self.pending.append({"kind": "site", "data": site_to_json(result)})
        elif isinstance(result, MediaFetch):
            self.pending.append({"kind": "media", "data": media_fetch_to_json(result)})
        else:
            self.pending.append({"kind": "url", "data": fetched_to_json(result)})

    def _drain(self) -> Output:
        items: Output = [*self.pending]
        self.pending.clear()
        return items

    def _deliver(self, flight: _Flight, doc: Fetched) -> list[Request]:
        job = flight.job
        if isinstance(job, SiteJob) and job not in self.open_sites:
            return []  # closed early after an internal error
        try:
            orders = job.on_fetched(flight.order, doc)
        except Exception:  # a bug must not hang or kill the other sites
            logger.exception("internal error on %s", doc.url)
            self._close_after_error(job)
            return []
        self._flush(job)
        return [*self._requests(job, orders), *self.media_resume(job, flight.order)]

    def _close_after_error(self, job: Job) -> None:
        """Close *job*'s site after an internal error, so that it still reports."""
        if isinstance(job, SiteJob):
            self._close(job)

    def _flush(self, job: Job) -> None:
        for result in job.outbox:
            if isinstance(result, SiteFetches) and isinstance(job, SiteJob):
                self.open_sites.discard(job)
            self._emit(result)
        job.outbox.clear()

    def _close(self, job: SiteJob) -> None:
        self.open_sites.discard(job)
        job.outbox.clear()
        self._emit(job.result())

    def _requests(self, job: Job, orders: list[Order]) -> list[Request]:
        requests: list[Request] = []
        for order in orders:
            media = self.media_state(order)
            flight = _Flight(job=job, order=order, visited=[order.url], media=media)
            try:
                if media is not None:
                    requests.append(self.media_request(flight, order.url))
                else:
                    requests.append(self._request(flight, order.url))
            except ValueError:  # a URL the site wrote that cannot be requested
                if media is not None and media.mode == "media":
                    requests.extend(self.media_invalid(flight))
                    continue
                requests.extend(self._deliver(flight, self._failed(flight, order.url, INVALID_URL)))
        return requests

    def _request(self, flight: _Flight, url: str) -> Request:
        meta: dict[str, Any] = {
            "crawlcheck": flight,
            SITE_META: flight.job.origin,  # the address guard's exemption (crawl.guard)
            "dont_redirect": True,
            "handle_httpstatus_all": True,
            "dont_merge_cookies": True,
        }
        if self.options.proxy:
            meta["proxy"] = self.options.proxy
        priority = (
            0 if flight.order.kind is Kind.ROBOTS and not flight.redirects else _FOLLOW_UP_PRIORITY
        )
        return Request(
            url,
            callback=self.on_response,
            errback=self.on_failure,
            dont_filter=True,
            priority=priority,
            meta=meta,
        )

    def _fetched(self, flight: _Flight, response: Response, error: str | None) -> Fetched:
        return fetched_from_response(
            response,
            cap=flight.order.cap,
            url=flight.order.url,
            redirects=tuple(flight.redirects),
            error=error,
            elapsed_ms=_elapsed(flight),
        )

    def _failed(self, flight: _Flight, url: str, code: str) -> Fetched:
        return Fetched(
            url=flight.order.url,
            final_url=url,
            redirects=tuple(flight.redirects),
            error=code,
            fetched_at=now(),
            elapsed_ms=_elapsed(flight),
        )


def _elapsed(flight: _Flight) -> float | None:
    """Return milliseconds since the first hop was sent (else reached the downloader)."""
    start = flight.sent if flight.sent is not None else flight.started
    if start is None:
        return None
    return round((time.monotonic() - start) * 1000, 1)
