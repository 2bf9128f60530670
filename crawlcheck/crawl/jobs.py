"""What to fetch next, per site or per origin: the crawl's plan as a pure state machine.

A job hands out :class:`Order` values (what to fetch, with which limits) and is told what
each fetch returned; it never does I/O, so the spider (``crawlcheck.spiders.site``) only
turns orders into requests and responses into :class:`Fetched`. Order of a site audit
(docs/crawl.md): robots.txt alone first; then the site files, robots.txt's licences, the
home page and the sitemap; then the sampled pages; licences pages point to as they come.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from urllib.parse import urljoin

from crawlcheck.access import RobotsAccess, robots_access
from crawlcheck.clock import now
from crawlcheck.crawl.discover import (
    page_html,
    page_links,
    same_origin_urls,
    sitemap_entries,
    worth_fetching_licence,
)
from crawlcheck.crawl.failures import (
    CONNECTION,
    INVALID_URL,
    OFFSITE_REDIRECT,
    PROXY,
    ROBOTS_DISALLOWED,
    ROBOTS_UNREACHABLE,
    TLS,
)
from crawlcheck.crawl.media_sampling import MediaCandidate, MediaSampler
from crawlcheck.crawl.options import MAX_LICENSES, ROBOTS_TOKEN, CrawlOptions
from crawlcheck.model import SITE_FILES, Fetched, MediaFetch, SiteFetches
from crawlcheck.parsers.robots import FETCH_BYTES as ROBOTS_FETCH_BYTES
from crawlcheck.parsers.robots import RobotsTxt, parse_robots
from crawlcheck.urls import origin_of, site_origin, without_fragment

#: Sampling candidates looked at per site, and skipped pages recorded per site, at most.
MAX_CANDIDATES = 1000
MAX_SKIPPED = 25

REASON_DISALLOWED = "disallowed for crawlcheck by robots.txt"
REASON_UNREACHABLE = "robots.txt unreachable: complete disallow assumed (RFC 9309 §2.3.1.4)"
REASON_OFFSITE = "redirect to another origin, not followed"


class Kind(StrEnum):
    """What a fetch is for."""

    ROBOTS = "robots"
    SITE_FILE = "site-file"
    HOME = "home"
    PAGE = "page"
    SITEMAP = "sitemap"
    LICENSE = "license"
    URL = "url"
    MEDIA = "media"
    """An image or document, read with range requests (crawlcheck.crawl.media_reads)."""
    MEDIA_ROBOTS = "media-robots"
    """The robots.txt of a host serving a sampled image or document."""


@dataclass(slots=True, kw_only=True)
class Order:
    """One fetch to make: where, how much to keep, and which redirects to follow."""

    kind: Kind
    url: str
    cap: int
    """Body bytes to keep."""
    page: bool = False
    """A page (not a protocol file): robots.txt applies, redirects stay on the origin."""
    slot: str = ""
    """Which field the result fills (``ai_txt``…), or the page's sampling position."""
    index: int = 0
    media: str = ""
    """``ranges``: read as an image or document from the start; ``sniff``: fetched as a
    page, read as one when the response is an image or document; ``""``: neither."""
    candidate: MediaCandidate | None = None
    """The sampled image or document a MEDIA or MEDIA_ROBOTS order is for (site audits)."""


class Job:
    """Common part of the two jobs: robots.txt state, pending fetches, finished results."""

    def __init__(self, origin: str | None, options: CrawlOptions) -> None:
        self.origin = origin
        self.options = options
        self.rules: RobotsTxt | None = None
        self.access: RobotsAccess | None = None
        self.pending = 0
        self.outbox: list[SiteFetches | Fetched | MediaFetch] = []

    def allows(self, url: str) -> bool:
        """Return True when crawlcheck may fetch page *url* under this origin's robots.txt."""
        if self.access is RobotsAccess.UNREACHABLE or self.access is None:
            return False
        return self.rules is None or self.rules.allows(ROBOTS_TOKEN, url)

    def refusal(self, url: str) -> str | None:
        """Return why page *url* may not be fetched (a skip reason), or None."""
        if self.access is RobotsAccess.UNREACHABLE:
            return REASON_UNREACHABLE
        return None if self.allows(url) else REASON_DISALLOWED

    def skip(self, url: str, reason: str) -> None:
        """Record that page *url* was not fetched, and why."""

    def blocked(self, url: str, reason: str) -> None:
        """Record that *url* (any fetch, or a hop of one) was refused by the address guard."""

    def on_fetched(self, order: Order, doc: Fetched) -> list[Order]:
        """Take the result of *order*; return the fetches it makes necessary."""
        raise NotImplementedError

    def on_media(self, order: Order, media: MediaFetch) -> list[Order]:
        """Take the read of the image or document of *order*; return what it makes necessary."""
        raise NotImplementedError

    def media_hop_error(self, url: str) -> str | None:
        """Return the error that ends a media read's redirect to *url* (None: follow it).

        Hops stay on the origin, obeying its robots.txt, as pages do.
        """
        if origin_of(url) != self.origin:
            return OFFSITE_REDIRECT
        return None if self.allows(url) else ROBOTS_DISALLOWED

    def _robots_order(self) -> Order:
        return Order(kind=Kind.ROBOTS, url=f"{self.origin}/robots.txt", cap=ROBOTS_FETCH_BYTES)

    def _read_robots(self, robots: Fetched) -> None:
        self.access = robots_access(robots)
        if self.access is RobotsAccess.PARSED:
            self.rules = parse_robots(robots.body, robots.url, robots.content_type)

    def _issue(self, orders: list[Order]) -> list[Order]:
        self.pending += len(orders)
        return orders


@dataclass(slots=True)
class _Sample:
    """Where page sampling stands for one site."""

    waiting: int = 0
    """Home page and sitemap fetches still outstanding."""
    sitemap_urls: list[str] = field(default_factory=list)
    home_links: list[str] = field(default_factory=list)
    child_sitemap_done: bool = False


class SiteJob(Job):
    """Everything to fetch for one site audit; :meth:`result` is its :class:`SiteFetches`."""

    def __init__(self, site: str, options: CrawlOptions) -> None:
        super().__init__(site_origin(site), options)
        self.site = site
        self.started_at = now()
        self.robots: Fetched | None = None
        self.files: dict[str, Fetched] = {}
        self.pages: dict[int, Fetched] = {}
        self.licenses: list[Fetched] = []
        self.licence_urls: set[str] = set()
        self.skipped: list[tuple[str, str]] = []
        self.refused: list[tuple[str, str]] = []
        self.sample = _Sample()
        self.fell_back = False
        self.media = MediaSampler(self.origin or "", options.media_sample)
        self.page_work = 0
        """Home page, sitemap and page fetches outstanding: media are chosen once all are in."""

    @property
    def home(self) -> str:
        """Return the home page URL."""
        return f"{self.origin}/"

    def begin(self) -> list[Order]:
        """Return the first fetch (robots.txt alone), or none for an unusable site."""
        if self.origin is None:
            self.robots = Fetched(url=self.site, error=INVALID_URL, fetched_at=now())
            self._finish()
            return []
        return self._issue([self._robots_order()])

    def skip(self, url: str, reason: str) -> None:
        """Record that page *url* was not fetched, and why (at most MAX_SKIPPED)."""
        if len(self.skipped) < MAX_SKIPPED and all(url != done for done, _ in self.skipped):
            self.skipped.append((url, reason))

    def blocked(self, url: str, reason: str) -> None:
        """Record a fetch the address guard refused, always (a site makes few such fetches:
        its site files, up to three licences, two sitemaps, and their redirect hops)."""
        if (url, reason) not in self.refused:
            self.refused.append((url, reason))

    def on_fetched(self, order: Order, doc: Fetched) -> list[Order]:
        """Take the result of *order*; return the fetches it makes necessary."""
        self.pending -= 1
        handler = {
            Kind.ROBOTS: self._on_robots,
            Kind.SITE_FILE: self._on_site_file,
            Kind.HOME: self._on_home,
            Kind.PAGE: self._on_page,
            Kind.SITEMAP: self._on_sitemap,
            Kind.LICENSE: self._on_license,
            Kind.MEDIA_ROBOTS: self._on_media_robots,
        }[order.kind]
        orders = self._issue(self._with_media(order, handler(order, doc)))
        if self.pending == 0:
            self._finish()
        return orders

    def on_media(self, order: Order, media: MediaFetch) -> list[Order]:
        """Take the read of a sampled image or document."""
        self.pending -= 1
        if order.candidate is not None:
            self.media.on_media(order.candidate, media)
        if self.pending == 0:
            self._finish()
        return []

    def media_hop_error(self, url: str) -> str | None:
        """Return the error that ends a sampled file's redirect to *url* (None: follow it)."""
        return self.media.hop_error(url, self.refusal)

    def result(self) -> SiteFetches:
        """Return what was fetched so far, as the evaluator's input."""
        home = [self.pages[-1]] if -1 in self.pages else []
        sampled = [self.pages[i] for i in sorted(self.pages) if i >= 0]
        return SiteFetches(
            site=self.site,
            origin=self.origin or "",
            robots=self.robots,
            ai_txt=self.files.get("ai_txt"),
            tdmrep=self.files.get("tdmrep"),
            llms_txt=self.files.get("llms_txt"),
            pages=(*home, *sampled),
            licenses=tuple(self.licenses),
            skipped=tuple(self.skipped),
            blocked=tuple(self.refused),
            started_at=self.started_at,
            finished_at=now(),
            media=self.media.sampled(),
        )

    def _finish(self) -> None:
        self.outbox.append(self.result())

    def _falls_back_to_http(self, doc: Fetched) -> bool:
        return (
            not self.fell_back
            and "://" not in self.site
            and self.origin is not None
            and self.origin.startswith("https://")
            and doc.status is None
            and doc.error in (CONNECTION, TLS, PROXY)
        )

    # -- handlers

    def _on_robots(self, order: Order, doc: Fetched) -> list[Order]:
        if self._falls_back_to_http(doc):
            # A bare host is tried over https first; a host that cannot speak it at all
            # (refused, TLS failure, a proxy without CONNECT) is audited over http, and
            # the report's origin says so.
            assert self.origin is not None
            self.skip(f"{self.origin}/robots.txt", f"https failed ({doc.error}): audited over http")
            self.origin = "http://" + self.origin.removeprefix("https://")
            self.fell_back = True
            return [self._robots_order()]
        self.robots = doc
        self._read_robots(doc)
        cap = self.options.max_bytes
        orders: list[Order] = []
        if self.options.fetch_site_files:
            for site_file in SITE_FILES:
                if site_file.field == "robots":
                    continue  # in already: the other files come after it
                orders.append(
                    Order(
                        kind=Kind.SITE_FILE,
                        url=f"{self.origin}{site_file.path}",
                        cap=cap,
                        slot=site_file.field,
                    )
                )
        if self.rules is not None:
            for record in self.rules.licenses:
                orders.extend(self._licence(urljoin(doc.url, record.value.strip()), True))
        if not self.options.fetch_pages:
            return orders
        reason = self.refusal(self.home)
        if reason is None:
            orders.append(Order(kind=Kind.HOME, url=self.home, cap=cap, page=True, index=-1))
            self.sample.waiting += 1
        else:
            self.skip(self.home, reason)
        if self.options.pages > 0 and self.access is not RobotsAccess.UNREACHABLE:
            sitemap = self._sitemap_order()
            if sitemap is not None:
                orders.append(sitemap)
                self.sample.waiting += 1
        return orders

    def _sitemap_order(self) -> Order | None:
        declared = [record.value.strip() for record in self.rules.sitemaps] if self.rules else []
        for url in declared:
            if origin_of(url) is not None:
                # The site invites crawlers to its declared sitemaps (RFC 9309 §2.2.4).
                return Order(
                    kind=Kind.SITEMAP, url=without_fragment(url), cap=self.options.max_bytes
                )
        fallback = f"{self.origin}/sitemap.xml"
        if not self.allows(fallback):
            return None
        return Order(kind=Kind.SITEMAP, url=fallback, cap=self.options.max_bytes, page=True)

    def _on_site_file(self, order: Order, doc: Fetched) -> list[Order]:
        self.files[order.slot] = doc
        return []

    def _on_license(self, order: Order, doc: Fetched) -> list[Order]:
        self.licenses.append(doc)
        return []

    def _on_home(self, order: Order, doc: Fetched) -> list[Order]:
        self.pages[-1] = doc
        html = page_html(doc)  # parsed once: links here, media below
        self.media.add_page(-1, doc, html)
        anchors, licences = page_links(doc, html)
        base = doc.final_url or doc.url
        self.sample.home_links = [
            url
            for url in same_origin_urls(anchors, self.origin or "", base)
            if url not in (self.home, base)
        ]
        return [*self._page_licences(licences), *self._sampled()]

    def _on_page(self, order: Order, doc: Fetched) -> list[Order]:
        self.pages[order.index] = doc
        html = page_html(doc)
        self.media.add_page(order.index, doc, html)
        return self._page_licences(page_links(doc, html)[1])

    def _on_sitemap(self, order: Order, doc: Fetched) -> list[Order]:
        if doc.ok:
            kind, entries = sitemap_entries(doc.body, self.options.max_bytes)
            if kind == "sitemapindex" and entries and not self.sample.child_sitemap_done:
                # One level of sitemap index is followed: its first sitemap.
                self.sample.child_sitemap_done = True
                child = without_fragment(entries[0])
                if origin_of(child) is not None:
                    return [Order(kind=Kind.SITEMAP, url=child, cap=self.options.max_bytes)]
            elif kind == "urlset":
                self.sample.sitemap_urls = [
                    url
                    for url in same_origin_urls(entries[:MAX_CANDIDATES], self.origin or "")
                    if url != self.home
                ]
        return self._sampled()

    # -- media sample (crawlcheck.crawl.media_sampling)

    def _with_media(self, order: Order, orders: list[Order]) -> list[Order]:
        """Return *orders*, plus the media sample's once every page is in."""
        paging = (Kind.HOME, Kind.PAGE, Kind.SITEMAP)
        self.page_work += sum(o.kind in paging for o in orders) - (order.kind in paging)
        if self.page_work or self.media.begun or order.kind is Kind.MEDIA_ROBOTS:
            return orders
        if self.robots is None or not self.media.limit:
            return orders
        extra: list[Order] = []
        for step, candidate in self.media.begin(self.refusal):
            if step == "media":
                extra.append(self._media_order(candidate))
            else:
                origin = origin_of(candidate.url)
                extra.append(
                    Order(
                        kind=Kind.MEDIA_ROBOTS,
                        url=f"{origin}/robots.txt",
                        cap=ROBOTS_FETCH_BYTES,
                        candidate=candidate,
                    )
                )
        return [*orders, *extra]

    def _media_order(self, candidate: MediaCandidate) -> Order:
        return Order(
            kind=Kind.MEDIA,
            url=candidate.url,
            cap=self.options.media_budget,
            page=True,
            media="ranges",
            candidate=candidate,
        )

    def _on_media_robots(self, order: Order, doc: Fetched) -> list[Order]:
        origin = origin_of(order.url) or ""
        return [self._media_order(c) for c in self.media.on_robots(origin, doc)]

    # -- helpers

    def _sampled(self) -> list[Order]:
        """Return the sampled pages once the home page and the sitemap are both in."""
        self.sample.waiting -= 1
        if self.sample.waiting > 0:
            return []
        candidates = self.sample.sitemap_urls or self.sample.home_links
        orders: list[Order] = []
        for url in candidates[:MAX_CANDIDATES]:
            if len(orders) >= self.options.pages:
                break
            reason = self.refusal(url)
            if reason is not None:
                self.skip(url, reason)
                continue
            orders.append(
                Order(
                    kind=Kind.PAGE,
                    url=url,
                    cap=self.options.max_bytes,
                    page=True,
                    index=len(orders),
                )
            )
        return orders

    def _page_licences(self, licences: list[tuple[str, bool]]) -> list[Order]:
        orders: list[Order] = []
        for url, declared in licences:
            if worth_fetching_licence(url, declared, self.origin or ""):
                orders.extend(self._licence(url, declared))
        return orders

    def _licence(self, url: str, declared: bool) -> list[Order]:
        url = without_fragment(url)
        if origin_of(url) is None or url in self.licence_urls:
            return []
        if len(self.licence_urls) >= MAX_LICENSES:
            return []
        self.licence_urls.add(url)
        return [Order(kind=Kind.LICENSE, url=url, cap=self.options.max_bytes)]


class OriginJob(Job):
    """Per-URL fetches of one origin: robots.txt once, then each URL it allows."""

    def __init__(self, origin: str, options: CrawlOptions) -> None:
        super().__init__(origin, options)
        self.waiting: list[str] = []

    def begin(self) -> list[Order]:
        """Return the robots.txt fetch that every URL of this origin waits for."""
        return self._issue([self._robots_order()])

    def add(self, url: str) -> list[Order]:
        """Queue page *url*; return its fetch if robots.txt is already known."""
        if self.access is None:
            self.waiting.append(url)
            return []
        return self._issue(self._decide(url))

    def on_fetched(self, order: Order, doc: Fetched) -> list[Order]:
        """Take the result of *order*; return the fetches it makes necessary."""
        self.pending -= 1
        if order.kind is not Kind.ROBOTS:
            self.outbox.append(doc)
            return []
        self._read_robots(doc)
        waiting, self.waiting = self.waiting, []
        return self._issue([order for url in waiting for order in self._decide(url)])

    def on_media(self, order: Order, media: MediaFetch) -> list[Order]:
        """Take the read of an image or document (``CrawlOptions.media``)."""
        self.pending -= 1
        self.outbox.append(media)
        return []

    def _decide(self, url: str) -> list[Order]:
        reason = self.refusal(url)
        if reason is None and self.options.media == "ranges":
            cap = self.options.media_budget
            return [Order(kind=Kind.MEDIA, url=url, cap=cap, page=True, media="ranges")]
        if reason is None:
            return [
                Order(
                    kind=Kind.URL,
                    url=url,
                    cap=self.options.max_bytes,
                    page=True,
                    media=self.options.media,
                )
            ]
        error = ROBOTS_UNREACHABLE if self.access is RobotsAccess.UNREACHABLE else ROBOTS_DISALLOWED
        self.outbox.append(Fetched(url=url, error=error, fetched_at=now()))
        return []
