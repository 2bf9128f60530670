"""The spider's media reads: images and documents fetched with bounded range requests.

A mixin of :class:`~crawlcheck.spiders.site.SiteSpider`, which calls it from small hooks
(its signal handlers and callbacks hand a media flight over here). What to ask for next is
decided by the pure :class:`~crawlcheck.crawl.media_reads.MediaRead`; this module turns its
asks into requests, feeds it the responses, stops streamed downloads when it has enough
(``StopDownload``), and delivers the finished :class:`~crawlcheck.model.MediaFetch` to the
job. The planner, and the C2PA SDK behind it, run here, in the crawl's worker process.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from scrapy.exceptions import StopDownload
from scrapy.http import Headers, Request, Response
from twisted.python.failure import Failure

from crawlcheck.crawl.adapters import header_pairs, header_text
from crawlcheck.crawl.failures import INVALID_URL, OFFSITE_REDIRECT, failure_code
from crawlcheck.crawl.jobs import Job, Kind, Order, OriginJob
from crawlcheck.crawl.media_reads import Ask, MediaRead, sniff_media
from crawlcheck.crawl.options import CrawlOptions
from crawlcheck.crawl.redirects import REDIRECT_STATUSES, next_hop
from crawlcheck.model import MediaFetch
from crawlcheck.ruleset import Ruleset, load_ruleset
from crawlcheck.urls import origin_of

if TYPE_CHECKING:
    from .site import Output, _Flight

__all__ = ["MediaFlights", "MediaState"]


@dataclass(slots=True)
class MediaState:
    """One media flight's read, and the body of the response under way."""

    read: MediaRead
    mode: str
    """``media`` (read as an image or document), ``sniff`` (a page fetch not decided yet),
    ``page`` (a page fetch whose response is no image or document: handled as a page)."""
    headers: tuple[tuple[str, str], ...] = ()
    body: bytearray = field(default_factory=bytearray)
    redirects: list[tuple[int, str]] = field(default_factory=list)
    visited: list[str] = field(default_factory=list)


class MediaFlights:
    """Media reads for :class:`SiteSpider` (see the module docstring)."""

    if TYPE_CHECKING:
        options: CrawlOptions
        origins: dict[str, OriginJob]

        def _request(self, flight: _Flight, url: str) -> Request: ...
        def _drain(self) -> Output: ...
        def _flush(self, job: Job) -> None: ...
        def _requests(self, job: Job, orders: list[Order]) -> list[Request]: ...
        def _close_after_error(self, job: Job) -> None: ...

    _media_ruleset: Ruleset | None = None
    _parked: dict[str, list[tuple[_Flight, str]]] | None = None
    """Media reads redirected to an origin whose robots.txt is under way (``urls`` mode)."""

    def media_ruleset(self) -> Ruleset:
        """Return the rules media findings are classified with (loaded once)."""
        if self._media_ruleset is None:
            self._media_ruleset = load_ruleset(list(self.options.rules))
        return self._media_ruleset

    def media_state(self, order: Order) -> MediaState | None:
        """Return the media state a new flight of *order* needs, or None (not a media read)."""
        if not order.media:
            return None
        read = MediaRead(
            order.url,
            ruleset=self.media_ruleset(),
            budget=self.options.media_budget,
            trust_anchors=self.options.c2pa_trust,
        )
        if order.media == "sniff":
            read.start(ranged=False)
            return MediaState(read=read, mode="sniff", visited=[order.url])
        read.start()
        return MediaState(read=read, mode="media", visited=[order.url])

    def media_request(self, flight: _Flight, url: str) -> Request:
        """Return the request for the current ask of *flight*'s read, at *url*."""
        state = flight.media
        assert state is not None
        request = self._request(flight, url)
        ask = state.read.current
        if ask is not None and ask.headers:
            for name, value in ask.headers:
                request.headers[name] = value
        return request

    # -- signal hooks

    def media_headers(self, flight: _Flight, headers: Headers) -> None:
        """Start a new body; decide a page fetch's mode from its Content-Type."""
        state = flight.media
        assert state is not None
        state.headers = header_pairs(headers)[0]
        state.body = bytearray()
        if state.mode == "page":
            state.mode = "sniff"  # a redirect hop of a page fetch: its target may be media
        if state.mode == "sniff":
            content_type = _content_type(state.headers)
            decided = sniff_media(content_type, b"")
            if decided is not None:
                state.mode = "media" if decided else "page"

    def media_bytes(self, flight: _Flight, data: bytes) -> bool:
        """Take body bytes of a media flight; return False when it is handled as a page.

        Raises StopDownload once the read has enough (the bytes so far are kept).
        """
        state = flight.media
        assert state is not None
        if state.mode == "page":
            return False
        state.body += data
        if state.mode == "sniff":
            decided = sniff_media(_content_type(state.headers), bytes(state.body[:64]))
            if decided is None:
                return True
            state.mode = "media" if decided else "page"
            if not decided:
                return False
        if state.read.enough(state.body, state.headers):
            raise StopDownload(fail=False)
        return True

    # -- callbacks

    def media_response(self, flight: _Flight, response: Response) -> Output | None:
        """Handle a response of a media flight; None when it is handled as a page."""
        state = flight.media
        assert state is not None
        sniffing = flight.order.media == "sniff" and not state.read.reads
        if sniffing and response.status in REDIRECT_STATUSES:
            state.mode = "page"  # a page fetch's hop follows the page rules (crawl.md)
        if state.mode == "sniff":
            # Too short to have been decided while streaming: decide on the whole body.
            decided = sniff_media(_content_type(state.headers), response.body[:64])
            state.mode = "media" if decided else "page"
        if state.mode == "page":
            return None
        ask = state.read.current
        assert ask is not None
        location = response.headers.get(b"Location")
        target, error = next_hop(
            response.url,
            response.status,
            None if location is None else header_text(location),
            state.redirects,
            state.visited,
        )
        if target is not None and not ask.manifest:
            error = flight.job.media_hop_error(target)
            if error == OFFSITE_REDIRECT and isinstance(flight.job, OriginJob):
                return [*self._media_offsite(flight, target), *self._drain()]
        if target is not None and error is None:
            return [self.media_request(flight, target)]
        if error is not None:
            after = state.read.on_failure(error, final_url=target or response.url)
            return [*self._media_next(flight, after), *self._drain()]
        headers = state.headers or header_pairs(response.headers)[0]
        after = state.read.on_response(
            status=response.status,
            headers=headers,
            body=response.body,
            final_url=response.url,
            stopped="download_stopped" in response.flags,
            redirects=tuple(state.redirects),
        )
        return [*self._media_next(flight, after), *self._drain()]

    def _media_offsite(self, flight: _Flight, target: str) -> list[Request]:
        """Follow a media redirect to another origin once that origin's robots.txt allows it.

        ``http://`` → ``https://`` and CDN redirects are common in image URL lists; the
        target's robots.txt is fetched first (once per origin), as for any URL of it.
        """
        origin = origin_of(target) or ""
        parked = self._parked if self._parked is not None else {}
        self._parked = parked
        job = self.origins.get(origin)
        if job is None:
            job = self.origins[origin] = OriginJob(origin, self.options)
            parked[origin] = [(flight, target)]
            return self._requests(job, job.begin())
        if job.access is None:  # its robots.txt is under way
            parked.setdefault(origin, []).append((flight, target))
            return []
        return self._media_hop(flight, job, target)

    def _media_hop(self, flight: _Flight, job: Job, target: str) -> list[Request]:
        error = job.media_hop_error(target)
        if error is None:
            return [self.media_request(flight, target)]
        assert flight.media is not None
        return self._media_next(flight, flight.media.read.on_failure(error, final_url=target))

    def media_resume(self, job: Job, order: Order) -> list[Request]:
        """Return the requests of media reads that waited for *job*'s robots.txt."""
        if order.kind is not Kind.ROBOTS or not self._parked:
            return []
        waiting = self._parked.pop(job.origin or "", [])
        return [
            request
            for flight, target in waiting
            for request in self._media_hop(flight, job, target)
        ]

    def media_failure(self, flight: _Flight, failure: Failure) -> Output:
        """Handle a failed request of a media flight (a stream cut short keeps its bytes)."""
        state = flight.media
        assert state is not None
        request: Request = failure.request  # type: ignore[attr-defined]
        code = failure_code(failure.value or Exception())
        after = state.read.on_failure(code, bytes(state.body), final_url=request.url)
        return [*self._media_next(flight, after), *self._drain()]

    def media_invalid(self, flight: _Flight) -> list[Request]:
        """Handle a media order whose URL cannot be requested."""
        state = flight.media
        assert state is not None
        return self._media_next(flight, state.read.on_failure(INVALID_URL))

    def _media_next(self, flight: _Flight, ask: Ask | None) -> list[Request]:
        """Make the next request of the read, or deliver it to its job when it is done."""
        state = flight.media
        assert state is not None
        state.body = bytearray()
        state.headers = ()
        if ask is not None:
            state.redirects.clear()
            state.visited[:] = [ask.url]
            return [self.media_request(flight, ask.url)]
        return self._deliver_media(flight, state.read.outcome())

    def _deliver_media(self, flight: _Flight, media: MediaFetch) -> list[Request]:
        job = flight.job
        try:
            orders = job.on_media(flight.order, media)
        except Exception:  # a bug must not hang or kill the other sites
            self._close_after_error(job)
            return []
        self._flush(job)
        return self._requests(job, orders)


def _content_type(headers: tuple[tuple[str, str], ...]) -> str:
    value = next((v for k, v in headers if k.lower() == "content-type"), "")
    return value.split(";", 1)[0].strip().lower()
