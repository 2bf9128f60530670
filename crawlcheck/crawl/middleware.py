"""A downloader middleware that keeps a crawl away from content reserved from AI use.

For other people's Scrapy crawlers (dataset builders); enabled by
:class:`crawlcheck.crawl.addon.CrawlcheckAddon` and documented in docs/scrapy-addon.md.
Built like Scrapy's ``RobotsTxtMiddleware``: each origin's site-level files (robots.txt,
/ai.txt, /.well-known/tdmrep.json, and the RSL licences robots.txt names) are fetched once
through ``crawler.engine.download_async`` while the origin's first request waits, and
later requests wait for that same fetch. With ``CRAWLCHECK_SNAPSHOT`` the site-level files come from an origin snapshot
instead (no site-file requests; an origin it lacks or holds only a stale capture of is
``unknown``). Every request then gets a per-URL decision
(:func:`crawlcheck.decide.decide_url`, contract "Per URL"); after download, a 2xx
response is decided again with its own headers and meta. Whatever is not in
``CRAWLCHECK_KEEP`` (by default: everything but ``allowed``, so ``unknown`` fails closed)
is dropped with ``IgnoreRequest``. An http(s) URL that cannot be read (crawlcheck.urls) is
``unknown``, never passed undecided.

Scrapy's HttpCompressionMiddleware returns as much of a gzip body as decodes, even when
the stream was cut short; :class:`ReceivedBodyMiddleware` (enabled by the add-on next to
the downloader) keeps each body as received, so that crawlcheck decodes it itself and a
body that does not decode to its end is unreadable (crawlcheck.crawl.content).
"""

from __future__ import annotations

import logging
from dataclasses import replace
from typing import TYPE_CHECKING
from urllib.parse import urljoin, urlsplit

from scrapy import signals
from scrapy.exceptions import IgnoreRequest, NotConfigured
from scrapy.http import Request
from scrapy.http.request import NO_CALLBACK
from scrapy.utils.defer import deferred_from_coro, maybe_deferred_to_future
from twisted.internet.defer import Deferred, DeferredList

from crawlcheck.agent_names import resolve_agent
from crawlcheck.clock import now
from crawlcheck.crawl.adapters import fetched_from_response, header_text
from crawlcheck.crawl.failures import BLOCKED_ADDRESS, failure_code
from crawlcheck.crawl.guard import env_proxy_applies, request_refusal
from crawlcheck.crawl.middleware_media import MEDIA_META, is_media_response, read_media_response
from crawlcheck.crawl.middleware_settings import MiddlewareOptions, options_from_settings
from crawlcheck.crawl.options import MAX_LICENSES, CrawlOptions
from crawlcheck.crawl.redirects import next_hop
from crawlcheck.crawl.signals import crawlcheck_decision
from crawlcheck.decide import Plan, decide_unknown, decide_url, plan_for, site_signals
from crawlcheck.decide.checker import MALFORMED
from crawlcheck.media.signals import MediaSignals
from crawlcheck.model import SITE_FILES, Fetched, Problem, SiteFetches, UrlDecision
from crawlcheck.parsers.page import PageSignals, parse_page
from crawlcheck.parsers.robots import FETCH_BYTES as ROBOTS_FETCH_BYTES
from crawlcheck.parsers.robots import parse_robots
from crawlcheck.ruleset import Ruleset, load_ruleset
from crawlcheck.snapshot.reader import Snapshot
from crawlcheck.urls import malformed_reason, origin_of, without_fragment

if TYPE_CHECKING:
    from collections.abc import Coroutine
    from typing import Any, Self

    from scrapy.crawler import Crawler
    from scrapy.http import Response

__all__ = ["INTERNAL_META", "SKIP_META", "CrawlcheckMiddleware", "ReceivedBodyMiddleware"]

logger = logging.getLogger(__name__)

#: ``request.meta`` key marking the middleware's own site-file requests: they pass through
#: every crawlcheck check untouched and are not counted as the user's requests.
INTERNAL_META = "crawlcheck_internal"
#: ``request.meta`` key with which a user exempts one request (like ``dont_obey_robotstxt``).
SKIP_META = "dont_crawlcheck"
#: ``request.meta`` / ``response.meta`` key holding the :class:`UrlDecision`.
DECISION_META = "crawlcheck"
#: ``request.meta`` key: (URL, body, Content-Encoding values) of the last response as
#: received, before Scrapy's compression middleware decoded it (ReceivedBodyMiddleware).
RECEIVED_META = "crawlcheck_received"
#: Body bytes read of ai.txt, tdmrep.json, licences and pages (as crawlcheck's own crawl).
FILE_MAX_BYTES = CrawlOptions().max_bytes
#: The site files fetched besides robots.txt: those that can reserve (llms.txt never does).
_SITE_FILES = tuple(f for f in SITE_FILES if f.field in ("ai_txt", "tdmrep"))


class CrawlcheckMiddleware:
    """Drop requests and responses that a site reserves from the configured purpose."""

    #: Priority of the site-file requests: ahead of the crawl's own (as RobotsTxtMiddleware).
    DOWNLOAD_PRIORITY: int = 1000

    def __init__(
        self, options: MiddlewareOptions, crawler: Crawler, ruleset: Ruleset | None = None
    ) -> None:
        self.crawler = crawler
        self.ruleset = ruleset if ruleset is not None else load_ruleset(options.rules)
        # "MyCrawler/1.0 (+https://…)" is matched in robots.txt as MyCrawler (RFC 9309
        # §2.2.1, as Google's parser reads it); a value without a token stops the crawl.
        choice = resolve_agent(options.agent, self.ruleset, option=options.agent_setting)
        # The crawler's own ROBOTSTXT_USER_AGENT is rarely catalogued: say so quietly.
        level = logging.WARNING if options.agent_setting == "CRAWLCHECK_AGENT" else logging.INFO
        for note in choice.notes:
            logger.log(level, "crawlcheck: %s", note)
        self.options = replace(options, agent=choice.token)
        self._crawler_names = tuple(agent.token for agent in self.ruleset.agents)
        self._plans: dict[str, Plan | Problem] = {}
        """Each origin's decision plan (its parsed site files), or why it has none (not in
        the snapshot), for the crawl's lifetime."""
        self._waiting: dict[str, list[Deferred[Plan | Problem]]] = {}
        self.snapshot: Snapshot | None = None
        """The origin snapshot site files come from (None: fetched through the crawl)."""
        if options.snapshot is not None:
            self.snapshot = Snapshot(options.snapshot, max_age=options.snapshot_max_age)
            # Lookups run in the reactor thread: copy remote shards before the crawl starts.
            self.snapshot.open_shards()

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        """Return the middleware the ``CRAWLCHECK_*`` settings ask for.

        Raises ``NotConfigured`` when ``CRAWLCHECK_ENABLED`` is false, and
        :class:`~crawlcheck.errors.UsageError` naming the setting for an unusable value.
        """
        if not crawler.settings.getbool("CRAWLCHECK_ENABLED", True):
            raise NotConfigured("CRAWLCHECK_ENABLED is False")
        middleware = cls(options_from_settings(crawler.settings), crawler)
        crawler.signals.connect(middleware.close, signal=signals.engine_stopped)
        return middleware

    def close(self) -> None:
        """Close the snapshot, if one is open."""
        if self.snapshot is not None:
            self.snapshot.close()

    # -- the two hooks

    async def process_request(self, request: Request) -> None:
        """Decide *request* from its origin's site-level files; drop it unless kept."""
        if self._exempt(request):
            return
        origin = origin_of(request.url)
        if origin is None:
            if request.url[:6].lower().startswith(("http:", "https:")):
                # A URL crawlcheck cannot read is never passed undecided: the fetcher (or a
                # proxy on the way) may read it as another host or path.
                decision = self._malformed(request.url, malformed_reason(request.url) or "")
                await self._settle(request, None, decision, "request")
            return  # data:, file:, ftp:… are not ours to judge
        plan = await self._plan(origin, request)
        await self._settle(request, None, self._decide(request.url, plan), "request")

    async def process_response(self, request: Request, response: Response) -> Response:
        """Decide a 2xx *response* again with its own headers and meta; drop it unless kept.

        An error page states nothing about the content (crawlcheck.parsers.page), so any
        other status keeps the decision made before the download.
        """
        if (
            not self.options.check_responses
            or not isinstance(request.meta.get(DECISION_META), UrlDecision)
            or not 200 <= response.status < 300
        ):
            return response
        origin = origin_of(response.url)
        if origin is None:
            return response
        plan = await self._plan(origin, request)
        received = _as_received(request, response)
        page = parse_page(fetched_from_response(received, cap=FILE_MAX_BYTES), self._crawler_names)
        media = await self._media(request, response, origin)
        await self._settle(
            request, response, self._decide(response.url, plan, page, media), "response"
        )
        return response

    def _decide(
        self,
        url: str,
        plan: Plan | Problem,
        page: PageSignals | None = None,
        media: MediaSignals | None = None,
    ) -> UrlDecision:
        """Return the decision for *url*: ``unknown`` when its origin has no plan."""
        if isinstance(plan, Plan):
            return decide_url(url, plan, page, media)
        return decide_unknown(url, self.options.purpose, self.options.agent, plan)

    async def _media(
        self, request: Request, response: Response, origin: str
    ) -> MediaSignals | None:
        """Return what an image or document response embeds (None: not one, or not asked).

        The result is in ``response.meta["crawlcheck_media"]``; each media decision is
        counted in ``crawlcheck/media/<decision>`` once :meth:`_settle` has made it.
        """
        if not self.options.media or not is_media_response(response):
            return None
        result, media = await read_media_response(
            response,
            self.ruleset,
            lambda url, cap: self._fetch_file(url, cap, request, origin),
        )
        request.meta[MEDIA_META] = result
        stats = self.crawler.stats
        if stats is not None:
            stats.inc_value("crawlcheck/media/read")
            stats.inc_value(f"crawlcheck/media/type/{result.media_type or 'unreadable'}")
        return media

    # -- decisions

    def _exempt(self, request: Request) -> bool:
        """Return True for a request to let pass untouched (internal, exempted, robots.txt)."""
        meta = request.meta
        if meta.get(INTERNAL_META) or meta.get(SKIP_META):
            return True
        first = (meta.get("redirect_urls") or [request.url])[0]
        # A protocol file, not content: RobotsTxtMiddleware's (or a sitemap spider's) own
        # fetch, and every redirect hop of it, must never be blocked by a decision that
        # depends on robots.txt (Scrapy would then read "no robots.txt").
        return _is_robots_txt(request.url) or _is_robots_txt(first)

    def _malformed(self, url: str, reason: str) -> UrlDecision:
        """Return the ``unknown`` decision of an http(s) URL crawlcheck cannot read."""
        problem = Problem(code=MALFORMED, message=reason, source=url[:200], level="error")
        return decide_unknown(url, self.options.purpose, self.options.agent, problem)

    async def _settle(
        self, request: Request, response: Response | None, decision: UrlDecision, stage: str
    ) -> None:
        """Record *decision* (meta, stats, signal); raise IgnoreRequest unless it is kept."""
        request.meta[DECISION_META] = decision
        stats = self.crawler.stats
        media = stage == "response" and MEDIA_META in request.meta
        if stats is not None:
            stats.inc_value(f"crawlcheck/{stage}/{decision.decision}")
            if media:
                stats.inc_value(f"crawlcheck/media/{decision.decision}")
        await self.crawler.signals.send_catch_log_async(
            signal=crawlcheck_decision,
            request=request,
            response=response,
            decision=decision,
            stage=stage,
        )
        if decision.decision in self.options.keep:
            return
        if stats is not None:
            stats.inc_value(f"crawlcheck/{stage}/dropped")
            if media:
                stats.inc_value("crawlcheck/media/dropped")
        logger.debug(
            "Dropped by crawlcheck (%(stage)s): %(url)s is %(decision)s for %(purpose)s",
            {
                "stage": stage,
                "url": decision.url,
                "decision": decision.decision,
                "purpose": decision.purpose,
            },
            extra={"spider": self.crawler.spider},
        )
        raise IgnoreRequest(f"crawlcheck: {decision.decision} for {decision.purpose}")

    # -- site-level files, once per origin

    async def _plan(self, origin: str, request: Request) -> Plan | Problem:
        """Return *origin*'s decision plan, fetching its site files on its first request."""
        plan = self._plans.get(origin)
        if plan is not None:
            return plan
        if self.snapshot is not None:
            return self._snapshot_plan(origin)
        waiting = self._waiting.get(origin)
        if waiting is not None:
            # One Deferred per waiter: converting a Deferred to a Future consumes its
            # result, so a Deferred shared by several waiters gives the second one None.
            pending: Deferred[Plan | Problem] = Deferred()
            waiting.append(pending)
            return await maybe_deferred_to_future(pending)
        self._waiting[origin] = []
        try:
            fetches = await self._fetch_site(origin, request)
        except Exception:  # a bug must not hang every request of the origin
            logger.exception("crawlcheck: reading the site files of %s failed", origin)
            # Nothing fetched: robots.txt "not fetched" is unreachable, so all is unknown.
            fetches = SiteFetches(site=origin, origin=origin)
        site = site_signals(fetches, self.ruleset)
        plan = plan_for(
            site, purpose=self.options.purpose, agent=self.options.agent, ruleset=self.ruleset
        )
        self._plans[origin] = plan
        stats = self.crawler.stats
        if stats is not None:
            stats.inc_value("crawlcheck/origin/fetched")
            stats.inc_value(f"crawlcheck/origin/robots/{site.robots_outcome.access}")
            if not site.robots_reachable:
                stats.inc_value("crawlcheck/origin/unreachable")
        for pending in self._waiting.pop(origin):
            pending.callback(plan)
        return plan

    def _snapshot_plan(self, origin: str) -> Plan | Problem:
        """Return *origin*'s plan from the snapshot, or the problem why it has none."""
        assert self.snapshot is not None
        lookup = self.snapshot.lookup(origin)
        stats = self.crawler.stats
        found: Plan | Problem
        if lookup.fetches is None:
            assert lookup.problem is not None
            found = lookup.problem
            if stats is not None:
                stats.inc_value(f"crawlcheck/origin/{lookup.problem.code}")
        else:
            site = site_signals(lookup.fetches, self.ruleset)
            found = plan_for(
                site, purpose=self.options.purpose, agent=self.options.agent, ruleset=self.ruleset
            )
            if stats is not None:
                stats.inc_value("crawlcheck/origin/snapshot")
        self._plans[origin] = found
        return found

    async def _fetch_site(self, origin: str, trigger: Request) -> SiteFetches:
        """Fetch robots.txt, then ai.txt, tdmrep.json and robots.txt's licences together."""
        started = now()
        robots = await self._fetch_file(f"{origin}/robots.txt", ROBOTS_FETCH_BYTES, trigger, origin)
        licences = _licence_urls(robots)
        urls = [*(f"{origin}{f.path}" for f in _SITE_FILES), *licences]
        docs = await self._gather(
            [self._fetch_file(url, FILE_MAX_BYTES, trigger, origin) for url in urls]
        )
        files = {f.field: doc for f, doc in zip(_SITE_FILES, docs, strict=False)}
        return SiteFetches(
            site=origin,
            origin=origin,
            robots=robots,
            ai_txt=files["ai_txt"],
            tdmrep=files["tdmrep"],
            licenses=tuple(docs[len(_SITE_FILES) :]),
            started_at=started,
            finished_at=now(),
        )

    async def _gather(self, coros: list[Coroutine[Any, Any, Fetched]]) -> list[Fetched]:
        """Run *coros* concurrently under any reactor; return their results in order."""
        results = await maybe_deferred_to_future(
            DeferredList([deferred_from_coro(coro) for coro in coros], consumeErrors=True)
        )
        return [value for _, value in results]

    async def _fetch_file(self, url: str, cap: int, trigger: Request, origin: str) -> Fetched:
        """Fetch *url*, following up to five redirects itself so each hop is recorded.

        RFC 9309 §2.3.1.2: follow at least five consecutive redirects; past that (or on a
        loop) the chain did not end, which crawlcheck.access reads as unavailable. A hop
        that the address rule refuses for *origin* (crawlcheck.crawl.guard) is not sent.
        A failure is a value (``Fetched.error``), never an exception.
        """
        redirects: list[tuple[int, str]] = []
        visited = [url]
        target = url
        stats = self.crawler.stats
        while True:
            request = Request(
                target,
                callback=NO_CALLBACK,
                priority=self.DOWNLOAD_PRIORITY,
                dont_filter=True,
                meta=_internal_meta(trigger),
            )
            refusal = await self._refusal(request, origin)
            if refusal is not None:
                # A licence or a redirect hop on a non-public address (SSRF): not fetched.
                logger.warning("crawlcheck: not fetched: %s: %s", target, refusal)
                if stats is not None:
                    stats.inc_value("crawlcheck/site_file/blocked_address")
                return Fetched(
                    url=url,
                    final_url=target,
                    redirects=tuple(redirects),
                    error=BLOCKED_ADDRESS,
                    fetched_at=now(),
                )
            if stats is not None:
                stats.inc_value("crawlcheck/site_file/request_count")
            try:
                response = await self.crawler.engine.download_async(request)
            except Exception as exc:
                code = failure_code(exc)
                if stats is not None:
                    stats.inc_value(f"crawlcheck/site_file/error/{code}")
                return Fetched(
                    url=url,
                    final_url=target,
                    redirects=tuple(redirects),
                    error=code,
                    fetched_at=now(),
                )
            if stats is not None:
                stats.inc_value(f"crawlcheck/site_file/status/{response.status}")
            location = response.headers.get(b"Location")
            hop, error = next_hop(
                response.url,
                response.status,
                None if location is None else header_text(location),
                redirects,
                visited,
            )
            if hop is not None:
                target = hop
                continue
            return fetched_from_response(
                _as_received(request, response),
                cap=cap,
                url=url,
                redirects=tuple(redirects),
                error=error,
            )

    async def _refusal(self, request: Request, origin: str) -> str | None:
        """Return why the site-file request *request* for *origin* must not be sent."""
        if self.options.allow_private_addresses:
            return None
        proxied = bool(request.meta.get("proxy")) or env_proxy_applies(self.crawler, request.url)
        return await request_refusal(request.url, origin, proxied=proxied)


class ReceivedBodyMiddleware:
    """Keep each response's body and Content-Encoding as received, for crawlcheck to decode.

    Enabled by the add-on just before the downloader (:data:`RECEIVED_ORDER`), so it sees
    a response before Scrapy's HttpCompressionMiddleware (590) decodes it, which keeps
    whatever part of a cut gzip stream decodes (``scrapy.utils.gz.gunzip``). Nothing is
    changed: the spider still gets Scrapy's response; only crawlcheck reads the original.
    """

    def process_response(self, request: Request, response: Response) -> Response:
        """Remember *response*'s encoded body (None when it has no Content-Encoding)."""
        encodings = response.headers.getlist(b"Content-Encoding")
        request.meta[RECEIVED_META] = (
            (response.url, response.body, encodings) if encodings else None
        )
        return response


def _as_received(request: Request, response: Response) -> Response:
    """Return *response* with its body and Content-Encoding as they were received."""
    received = request.meta.get(RECEIVED_META)
    if not received or received[0] != response.url or received[1] is response.body:
        return response
    _, body, encodings = received
    headers = response.headers.copy()
    headers.setlist(b"Content-Encoding", encodings)
    return response.replace(body=body, headers=headers)


def _internal_meta(trigger: Request) -> dict[str, Any]:
    """Return the meta of a site-file request made on behalf of *trigger*."""
    meta: dict[str, Any] = {
        INTERNAL_META: True,
        # Protocol files are read whatever robots.txt says (as robots.txt itself is).
        "dont_obey_robotstxt": True,
        # Redirects are followed (and recorded) by _fetch_file; errors are answers.
        "dont_redirect": True,
        "handle_httpstatus_all": True,
        "allow_offsite": True,
        "dont_merge_cookies": True,
    }
    if trigger.meta.get("proxy"):
        meta["proxy"] = trigger.meta["proxy"]  # the same route as the user's own request
    return meta


def _is_robots_txt(url: object) -> bool:
    """Return True when *url* is an origin's /robots.txt (any query)."""
    try:
        return isinstance(url, str) and urlsplit(url).path == "/robots.txt"
    except ValueError:
        return False


def _licence_urls(robots: Fetched) -> list[str]:
    """Return the RSL licences robots.txt names (``License:`` lines), at most three."""
    if not robots.ok:
        return []
    rules = parse_robots(robots.body, robots.final_url or robots.url, robots.content_type)
    urls: list[str] = []
    for record in rules.licenses:
        url = without_fragment(urljoin(robots.url, record.value.strip()))
        if origin_of(url) is not None and url not in urls:
            urls.append(url)
    return urls[:MAX_LICENSES]
