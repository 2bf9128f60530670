"""Decide URLs in bulk: origins, then cached site-level files, then one pure decision each.

:func:`check_urls` reads any iterable of URLs a window at a time: it finds the window's
origins, takes their site-level files from the per-origin cache (:mod:`crawlcheck.cache`)
or fetches the missing ones in one concurrent crawl, optionally fetches the pages
themselves, and yields one :class:`~crawlcheck.model.UrlDecision` per URL in input order.
Memory depends on the window and on the number of origins, never on the number of URLs.
:func:`check_url` is the one-URL form used by ``crawlcheck check``; it reads the page too.
"""

from __future__ import annotations

import contextlib
import gc
import os
import tempfile
import time
from collections import OrderedDict
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from datetime import datetime
from enum import Enum
from itertools import islice
from pathlib import Path
from typing import Final, TypedDict, Unpack

from crawlcheck.cache import OriginCache, default_cache_path
from crawlcheck.crawl.options import CrawlOptions
from crawlcheck.crawl.runner import crawl_sites, fetch_resources
from crawlcheck.decide import Plan, decide_url, plan_for, site_signals
from crawlcheck.errors import UsageError
from crawlcheck.media.signals import MediaSignals, media_signals
from crawlcheck.model import (
    PURPOSES,
    Fetched,
    MediaFetch,
    Problem,
    Purpose,
    SiteFetches,
    UrlDecision,
    UrlVerdict,
)
from crawlcheck.parsers.page import PageSignals, parse_page
from crawlcheck.ruleset import Ruleset, load_ruleset
from crawlcheck.urls import malformed_reason, origin_of

__all__ = [
    "DEFAULT",
    "MALFORMED",
    "CacheChoice",
    "CheckerOptions",
    "CheckerStats",
    "UrlChecker",
    "check_url",
    "check_urls",
]

#: URLs read per window when only site-level files are fetched.
SITE_WINDOW = 10_000
#: URLs read per window when every page is fetched too (pages are held until decided).
PAGE_WINDOW = 500
#: Origins whose parsed site signals stay in memory (least recently used are dropped).
MEMORY_ORIGINS = 20_000
#: Problem code of an input that is not an absolute http(s) URL.
MALFORMED = "url.malformed"


class _Default(Enum):
    TOKEN = "default"


#: ``cache=DEFAULT``: the user's cache file (``$CRAWLCHECK_CACHE`` or the XDG cache dir).
DEFAULT: Final = _Default.TOKEN
#: What ``cache=`` accepts: DEFAULT, None (no cache kept after the run), a path or a cache.
CacheChoice = _Default | None | str | os.PathLike[str] | OriginCache


@dataclass(slots=True)
class CheckerStats:
    """What a checker has done so far: for progress lines, summaries and cache ages."""

    origins_fetched: int = 0
    """Origins whose site-level files were fetched in this run."""
    origins_cached: int = 0
    """Origins whose site-level files came from the cache."""
    pages_fetched: int = 0
    """URLs fetched (with ``pages=True`` or ``media=True``), whatever their answer."""
    oldest_cached: float | None = None
    """When the oldest site-level files taken from the cache were fetched (epoch seconds)."""


class CheckerOptions(TypedDict, total=False):
    """The keyword options of :class:`UrlChecker`, :func:`check_url` and :func:`check_urls`."""

    max_age: float | None
    """Use cached site-level files only when fetched at most this many seconds ago (0:
    fetch every origin anew); None: as long as the cache keeps them (docs/check-and-filter.md)."""
    on_fetch: Callable[[CheckerStats], None] | None
    """Called after each origin or page fetched (to redraw a progress line)."""

    pages: bool
    """Also fetch every URL and read its own headers and meta."""
    media: bool
    """Also read what every URL embeds when it is an image or document (docs/media.md)."""
    cache: CacheChoice
    options: CrawlOptions | None
    """How to crawl (timeout, concurrency, proxy…)."""
    ruleset: Ruleset | None
    """The rules in use (``load_ruleset([...])`` with extra files)."""


@dataclass(frozen=True, slots=True)
class _Target:
    url: str
    origin: str | None
    problem: Problem | None


class UrlChecker:
    """Decide URLs for one purpose and agent, fetching each origin's files once per run.

    Use it as a context manager, or call :meth:`close`; the module functions do both.
    """

    def __init__(
        self,
        agent: str | None = None,
        purpose: str = "ai-train",
        *,
        memory_origins: int = MEMORY_ORIGINS,
        **settings: Unpack[CheckerOptions],
    ) -> None:
        if purpose not in PURPOSES:
            raise UsageError(f"unknown purpose {purpose!r}; expected one of {', '.join(PURPOSES)}")
        self.agent = agent.strip() if agent and agent.strip() else None
        self.purpose = Purpose(purpose)
        self.pages = settings.get("pages", False)
        self.media = settings.get("media", False)
        self.options = settings.get("options") or CrawlOptions()
        self.ruleset = settings.get("ruleset") or load_ruleset()
        self._crawler_names = tuple(a.token for a in self.ruleset.agents)
        self._memory: OrderedDict[str, Plan] = OrderedDict()
        """Each origin's decision plan (its parsed site files), least recently used first."""
        self._memory_origins = max(1, memory_origins)
        self._started = time.time()
        max_age = settings.get("max_age")
        if max_age is not None and not max_age >= 0:
            raise UsageError(f"max_age must be a number of seconds >= 0, not {max_age}")
        self.max_age = max_age
        self.stats = CheckerStats()
        self._on_fetch = settings.get("on_fetch")
        self._tempdir: tempfile.TemporaryDirectory[str] | None = None
        cache = settings.get("cache", DEFAULT)
        self._own_cache = not isinstance(cache, OriginCache)
        self.cache = self._open_cache(cache)

    def _open_cache(self, cache: CacheChoice) -> OriginCache:
        if isinstance(cache, OriginCache):
            return cache
        if cache is None:
            # No cache kept: a throw-away file still gives "once per run" without holding
            # every origin's files in memory.
            self._tempdir = tempfile.TemporaryDirectory(prefix="crawlcheck-")
            return OriginCache(Path(self._tempdir.name) / "run.sqlite3")
        if cache is DEFAULT:
            return OriginCache(default_cache_path())
        return OriginCache(cache)

    def close(self) -> None:
        """Close the cache (unless the caller passed it in) and remove temporary files."""
        if self._own_cache:
            self.cache.close()
        if self._tempdir is not None:
            self._tempdir.cleanup()
            self._tempdir = None

    def __enter__(self) -> UrlChecker:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def check(self, urls: Iterable[object], window: int | None = None) -> Iterator[UrlDecision]:
        """Yield the decision for each of *urls*, in input order, a window at a time."""
        for decisions in self.windows(urls, window):
            yield from decisions

    def windows(
        self, urls: Iterable[object], window: int | None = None
    ) -> Iterator[list[UrlDecision]]:
        """Yield the decisions of *urls* one window (a list, in input order) at a time."""
        size = window or (PAGE_WINDOW if self.pages or self.media else SITE_WINDOW)
        iterator = iter(urls)
        while batch := list(islice(iterator, size)):
            yield self._decide_window(batch)

    def _decide_window(self, urls: list[object]) -> list[UrlDecision]:
        with _collector_paused():
            targets = [self._target(url) for url in urls]
        origins = list(dict.fromkeys(t.origin for t in targets if t.origin is not None))
        if not self.pages and not self.media:
            plans = self._plans(origins)
            with _collector_paused():
                # The hot loop of `filter`: names bound once, one call per URL.
                decide = decide_url
                return [
                    decide(t.url, plans[t.origin]) if t.origin is not None else self._malformed(t)
                    for t in targets
                ]
        # The page fetch obeys robots.txt on its own, so both crawls run side by side.
        with ThreadPoolExecutor(max_workers=1, thread_name_prefix="crawlcheck-pages") as pool:
            pending = pool.submit(self._fetch_pages, targets)
            try:
                plans = self._plans(origins)
            finally:
                pages, media = pending.result()
        return [
            decide_url(t.url, plans[t.origin], pages.get(t.url), media.get(t.url))
            if t.origin is not None
            else self._malformed(t)
            for t in targets
        ]

    def _target(self, url: object) -> _Target:
        if isinstance(url, bytes | bytearray | memoryview):
            raw = bytes(url)
            try:
                url = raw.decode("utf-8")
            except UnicodeDecodeError:
                text = raw.decode("utf-8", "backslashreplace")
                problem = Problem(code=MALFORMED, message="not UTF-8", source=text[:200])
                return _Target(text, None, replace(problem, level="error"))
        reason = malformed_reason(url)
        if reason is not None:
            problem = Problem(code=MALFORMED, message=reason, source=str(url)[:200], level="error")
            return _Target(str(url), None, problem)
        assert isinstance(url, str)
        return _Target(url, origin_of(url), None)

    def _malformed(self, target: _Target) -> UrlDecision:
        return UrlDecision(
            url=target.url,
            purpose=self.purpose,
            agent=self.agent,
            decision=UrlVerdict.UNKNOWN,
            problems=(target.problem,) if target.problem else (),
        )

    # -- site-level files: memory, then cache, then one crawl for the rest

    def _plans(self, origins: list[str]) -> dict[str, Plan]:
        found: dict[str, Plan] = {}
        missing: list[str] = []
        for origin in origins:
            plan = self._memory.get(origin)
            if plan is None:
                missing.append(origin)
            else:
                self._memory.move_to_end(origin)
                found[origin] = plan
        if missing:
            # Rows this run stored are used even when already expired (max-age=0):
            # each origin is fetched once per run (and once per cache lifetime).
            cached = self._fresh_enough(self.cache.get_many(missing, stored_since=self._started))
            fetched = self._fetch_sites([o for o in missing if o not in cached])
            for origin in missing:
                site = site_signals(cached.get(origin) or fetched[origin], self.ruleset)
                found[origin] = self._remember(
                    origin,
                    plan_for(site, purpose=self.purpose, agent=self.agent, ruleset=self.ruleset),
                )
        return found

    def _fresh_enough(self, cached: dict[str, SiteFetches]) -> dict[str, SiteFetches]:
        """Return the cached copies *max_age* allows, and count them."""
        if self.max_age is not None:
            # Copies this run fetched (and stored) always count: once per run.
            cutoff = min(self._started, time.time() - self.max_age)
            cached = {o: s for o, s in cached.items() if fetched_time(s) >= cutoff}
        self.stats.origins_cached += len(cached)
        for site in cached.values():
            when = fetched_time(site)
            if self.stats.oldest_cached is None or when < self.stats.oldest_cached:
                self.stats.oldest_cached = when
        return cached

    def _fetched(self) -> None:
        if self._on_fetch is not None:
            self._on_fetch(self.stats)

    def _fetch_sites(self, origins: list[str]) -> dict[str, SiteFetches]:
        if not origins:
            return {}
        options = replace(self.options, fetch_pages=False)
        results: dict[str, SiteFetches] = {}
        batch: list[SiteFetches] = []
        for fetches in crawl_sites(origins, options):
            results[fetches.site] = fetches
            self.stats.origins_fetched += 1
            self._fetched()
            batch.append(fetches)
            if len(batch) >= 100:
                self.cache.put_many(batch)
                batch.clear()
        self.cache.put_many(batch)
        for origin in origins:
            if origin not in results:  # the runner promises one result per site
                results[origin] = SiteFetches(site=origin, origin=origin)
        return results

    def _remember(self, origin: str, plan: Plan) -> Plan:
        self._memory[origin] = plan
        if len(self._memory) > self._memory_origins:
            self._memory.popitem(last=False)
        return plan

    # -- pages (only with pages=True): robots.txt is obeyed by the runner for crawlcheck

    def _fetch_pages(
        self, targets: list[_Target]
    ) -> tuple[dict[str, PageSignals], dict[str, MediaSignals]]:
        """Return the pages' own signals (``pages``) and what media URLs embed (``media``)."""
        urls = list(dict.fromkeys(t.url for t in targets if t.origin is not None))
        pages: dict[str, PageSignals] = {}
        media: dict[str, MediaSignals] = {}
        for result in fetch_resources(urls, self._fetch_options()):
            doc = result.fetched if isinstance(result, MediaFetch) else result
            url = result.url
            if self.pages:
                fetched = doc or Fetched(url=url, error="not-fetched")
                pages[url] = _slim(parse_page(fetched, self._crawler_names))
            if isinstance(result, MediaFetch):
                media[url] = media_signals(result.result, url)
            elif self.media and not self.pages:
                # Read as media from the first byte, yet no read came back: refused by
                # robots.txt, or not a requestable URL. Unknown, never allowed.
                media[url] = media_signals(None, url, not_read=result.error or "not fetched")
            self.stats.pages_fetched += 1
            self._fetched()
        for url in urls:
            if self.pages and url not in pages:
                pages[url] = parse_page(Fetched(url=url, error="not-fetched"))
            if self.media and not self.pages and url not in media:
                media[url] = media_signals(None, url)
        return pages, media

    def _fetch_options(self) -> CrawlOptions:
        """Return the crawl options of the URL fetches (media: sniffed, or read as such)."""
        mode = ("sniff" if self.pages else "ranges") if self.media else ""
        shipped = set(load_ruleset().files)
        extra = tuple(name for name in self.ruleset.files if name not in shipped)
        return replace(self.options, fetch_pages=True, media=mode, rules=extra)


def fetched_time(site: SiteFetches) -> float:
    """Return when *site*'s files were fetched (epoch seconds; 0.0 when no time reads)."""
    for _, doc in site.site_files():
        if doc is not None and doc.fetched_at:
            try:
                return datetime.fromisoformat(doc.fetched_at).timestamp()
            except ValueError:
                return 0.0
    return 0.0


def _slim(page: PageSignals) -> PageSignals:
    """Return *page* without its parsed HTML and links, which decisions do not need."""
    return replace(page, html=None, links=())


@contextlib.contextmanager
def _collector_paused() -> Iterator[None]:
    """Pause Python's cyclic garbage collector for a loop of decisions, then restore it.

    Deciding allocates only short-lived, acyclic objects, yet each full collection walks
    every long-lived parsed site file: a third of the time of one-agent filtering went
    there (bench/filter_bench.py). Only this loop runs paused; the caller's setting stands.
    """
    enabled = gc.isenabled()
    if enabled:
        gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def check_urls(
    urls: Iterable[object],
    agent: str | None = None,
    purpose: str = "ai-train",
    *,
    window: int | None = None,
    **settings: Unpack[CheckerOptions],
) -> Iterator[UrlDecision]:
    """Yield a decision for each of *urls* (any iterable), streaming, in input order.

    Site-level files are fetched once per origin and cached; with *pages* every URL is
    fetched too and its own headers and meta are read. A malformed URL yields an
    ``unknown`` decision with a ``url.malformed`` problem; it never raises.
    """
    with UrlChecker(agent, purpose, **settings) as checker:
        yield from checker.check(urls, window)


def check_url(
    url: object,
    agent: str | None = None,
    purpose: str = "ai-train",
    **settings: Unpack[CheckerOptions],
) -> UrlDecision:
    """Return the decision for *url*: its site-level files and (by default) the page itself.

    When the response is an image or document (its Content-Type, else its first bytes),
    what it embeds counts too (``media``, on by default; docs/media.md).
    """
    settings.setdefault("pages", True)
    settings.setdefault("media", True)
    with UrlChecker(agent, purpose, **settings) as checker:
        return next(checker.check([url], 1))
