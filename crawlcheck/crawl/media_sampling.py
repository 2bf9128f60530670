"""Which images and documents a site audit samples, and whose robots.txt lets it fetch them.

Pure (no Scrapy), owned by :class:`crawlcheck.crawl.jobs.SiteJob`: the sampled pages are
handed in as they arrive; once every page is in, :meth:`MediaSampler.begin` chooses up to
``CrawlOptions.media_sample`` files (docs/media.md, "Audit") and returns the orders to
fetch them, each after its own host's robots.txt (RFC 9309 applies to every URL a crawler
fetches, so a CDN's robots.txt counts for the images it serves).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace

from crawlcheck.access import RobotsAccess, robots_access
from crawlcheck.crawl.failures import OFFSITE_REDIRECT, ROBOTS_DISALLOWED
from crawlcheck.crawl.options import ROBOTS_TOKEN
from crawlcheck.model import Fetched, MediaFetch
from crawlcheck.parsers.html import HtmlDocument
from crawlcheck.parsers.robots import RobotsTxt, parse_robots
from crawlcheck.urls import origin_of

__all__ = ["MediaCandidate", "MediaSampler", "page_media"]

#: Candidates kept per page (a gallery page may show thousands).
MAX_PER_PAGE = 200
#: Preference of the ways a page names a file: a page's own image first, srcset variants last.
_RANK = {"og:image": 0, "img": 1, "link": 2, "srcset": 3}

REASON_MEDIA_DISALLOWED = "disallowed for crawlcheck by the robots.txt of its host"
REASON_MEDIA_UNREACHABLE = (
    "the robots.txt of its host is unreachable: complete disallow assumed (RFC 9309 §2.3.1.4)"
)


@dataclass(frozen=True, slots=True)
class MediaCandidate:
    """An image or document a page shows or links."""

    url: str
    how: str
    found_on: str


def page_media(page: Fetched, html: HtmlDocument | None) -> list[MediaCandidate]:
    """Return the images and documents *page* shows or links, best candidates first.

    *html* is the page parsed as HTML (:func:`crawlcheck.crawl.discover.page_html`).
    """
    if html is None:
        return []
    found = [MediaCandidate(url, how, page.url) for url, how in html.media[:MAX_PER_PAGE]]
    return sorted(found, key=lambda c: _RANK.get(c.how, 9))  # stable: document order kept


class MediaSampler:
    """The media sample of one site audit: candidates, per-host robots.txt, results."""

    def __init__(self, origin: str, limit: int) -> None:
        self.origin = origin
        self.limit = max(0, limit)
        self.pages: dict[int, list[MediaCandidate]] = {}
        self.chosen: list[MediaCandidate] = []
        self.results: dict[str, MediaFetch] = {}
        self.robots: dict[str, tuple[RobotsAccess, RobotsTxt | None]] = {}
        self.waiting: dict[str, list[MediaCandidate]] = {}
        self.begun = False

    def add_page(self, index: int, page: Fetched, html: HtmlDocument | None) -> None:
        """Take a sampled page (index -1: the home page) and note what it shows or links."""
        if self.limit:
            self.pages[index] = page_media(page, html)

    def choose(self) -> list[MediaCandidate]:
        """Return up to :attr:`limit` candidates: one per page in turn, home page first.

        When some page links a document (PDF, EPUB) and none was chosen, the last image
        chosen makes room for the first such document: the sample covers both kinds.
        """
        queues = [list(self.pages[index]) for index in sorted(self.pages)]
        seen: set[str] = set()
        chosen: list[MediaCandidate] = []
        while len(chosen) < self.limit and any(queues):
            for queue in queues:
                while queue and queue[0].url in seen:
                    queue.pop(0)
                if queue and len(chosen) < self.limit:
                    candidate = queue.pop(0)
                    seen.add(candidate.url)
                    chosen.append(candidate)
        if chosen and not any(c.how == "link" for c in chosen):
            documents = [
                c for index in sorted(self.pages) for c in self.pages[index] if c.how == "link"
            ]
            if documents:
                chosen[-1] = documents[0]
        return chosen

    def begin(self, allows_own: Callable[[str], str | None]) -> list[tuple[str, MediaCandidate]]:
        """Choose the sample; return what to do first: ``("robots", c)`` or ``("media", c)``.

        *allows_own* gives the audited origin's refusal reason for a URL (None: allowed).
        A candidate whose host's robots.txt is not known yet waits for it (one fetch per
        host); one that robots.txt refuses is recorded as skipped.
        """
        self.begun = True
        self.chosen = self.choose()
        steps: list[tuple[str, MediaCandidate]] = []
        for candidate in self.chosen:
            origin = origin_of(candidate.url)
            if origin is None:
                self._skip(candidate, "not an http(s) URL")
            elif origin == self.origin:
                reason = allows_own(candidate.url)
                if reason is None:
                    steps.append(("media", candidate))
                else:
                    self._skip(candidate, reason)
            elif origin in self.waiting:
                self.waiting[origin].append(candidate)
            else:
                self.waiting[origin] = [candidate]
                steps.append(("robots", candidate))
        return steps

    def on_robots(self, origin: str, doc: Fetched) -> list[MediaCandidate]:
        """Take a media host's robots.txt; return the candidates it lets crawlcheck fetch."""
        access = robots_access(doc)
        rules = (
            parse_robots(doc.body, doc.url, doc.content_type)
            if access is RobotsAccess.PARSED
            else None
        )
        self.robots[origin] = (access, rules)
        allowed: list[MediaCandidate] = []
        for candidate in self.waiting.pop(origin, []):
            reason = self.refusal(candidate.url)
            if reason is None:
                allowed.append(candidate)
            else:
                self._skip(candidate, reason)
        return allowed

    def refusal(self, url: str) -> str | None:
        """Return why *url* on a media host may not be fetched (None: allowed)."""
        state = self.robots.get(origin_of(url) or "")
        if state is None:
            return "the robots.txt of its host was not fetched"
        access, rules = state
        if access is RobotsAccess.UNREACHABLE:
            return REASON_MEDIA_UNREACHABLE
        if rules is not None and not rules.allows(ROBOTS_TOKEN, url):
            return REASON_MEDIA_DISALLOWED
        return None

    def hop_error(self, url: str, allows_own: Callable[[str], str | None]) -> str | None:
        """Return the error code that ends a media redirect to *url*, or None to follow it.

        A hop stays on a host whose robots.txt is known (the audited origin, or a media
        host already asked) and must be allowed there; any other hop is not followed.
        """
        origin = origin_of(url)
        if origin == self.origin:
            return None if allows_own(url) is None else ROBOTS_DISALLOWED
        if origin not in self.robots:
            return OFFSITE_REDIRECT
        return None if self.refusal(url) is None else ROBOTS_DISALLOWED

    def on_media(self, candidate: MediaCandidate, media: MediaFetch) -> None:
        """Record the read of *candidate*."""
        self.results[candidate.url] = replace(media, found_on=candidate.found_on, how=candidate.how)

    def sampled(self) -> tuple[MediaFetch, ...]:
        """Return every chosen file's outcome, in the order chosen."""
        return tuple(
            self.results.get(c.url)
            or MediaFetch(url=c.url, found_on=c.found_on, how=c.how, skipped="not fetched")
            for c in self.chosen
        )

    def _skip(self, candidate: MediaCandidate, reason: str) -> None:
        self.results[candidate.url] = MediaFetch(
            url=candidate.url, found_on=candidate.found_on, how=candidate.how, skipped=reason
        )
