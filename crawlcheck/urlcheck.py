"""Decide URLs in bulk: origins, then cached site-level files, then one pure decision each.

:func:`check_urls` reads any iterable of URLs a window at a time: it finds the window's
origins, takes their site-level files from the per-origin cache (:mod:`crawlcheck.cache`)
or fetches the missing ones in one concurrent crawl, optionally fetches the pages
themselves, and yields one :class:`~crawlcheck.model.UrlDecision` per URL in input order.
Memory depends on the window and on the number of origins, never on the number of URLs.
:func:`check_url` is the one-URL form used by ``crawlcheck check``; it reads the page too.
"""

from __future__ import annotations

import os
import re
import tempfile
import time
from collections import OrderedDict
from collections.abc import Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from enum import Enum
from functools import lru_cache
from itertools import islice
from pathlib import Path
from typing import Any, Final
from urllib.parse import urlsplit

from crawlcheck.cache import OriginCache, default_cache_path
from crawlcheck.crawl.runner import CrawlOptions, crawl_sites, fetch_urls
from crawlcheck.decide import SiteSignals, decide_url, site_signals
from crawlcheck.errors import UsageError
from crawlcheck.model import PURPOSES, Fetched, Finding, Problem, SiteFetches, UrlDecision
from crawlcheck.parsers.page import PageSignals, parse_page
from crawlcheck.ruleset import Ruleset, load_ruleset

__all__ = [
    "DEFAULT",
    "MAX_URL_LENGTH",
    "CacheChoice",
    "UrlChecker",
    "check_url",
    "check_urls",
    "decision_to_json",
    "origin_of",
]

#: Longer URLs are malformed input (browsers and crawlers commonly stop near 8 KiB).
MAX_URL_LENGTH = 8192
#: URLs read per window when only site-level files are fetched.
SITE_WINDOW = 10_000
#: URLs read per window when every page is fetched too (pages are held until decided).
PAGE_WINDOW = 500
#: Origins whose parsed site signals stay in memory (least recently used are dropped).
MEMORY_ORIGINS = 20_000
#: Problem code of an input that is not an absolute http(s) URL.
MALFORMED = "url.malformed"
_DEFAULT_PORTS = {"http": 80, "https": 443}
_BAD_CHAR = re.compile(r"[\x00-\x20\x7f]")
_SIMPLE_ORIGIN = re.compile(
    r"(https?)://([A-Za-z0-9](?:[A-Za-z0-9.-]{0,251}[A-Za-z0-9])?)(?::([0-9]{1,5}))?(?=[/?#]|\Z)",
    re.IGNORECASE,
)


class _Default(Enum):
    TOKEN = "default"


#: ``cache=DEFAULT``: the user's cache file (``$CRAWLCHECK_CACHE`` or the XDG cache dir).
DEFAULT: Final = _Default.TOKEN
#: What ``cache=`` accepts: DEFAULT, None (no cache kept after the run), a path or a cache.
CacheChoice = _Default | None | str | os.PathLike[str] | OriginCache


def origin_of(url: object) -> str | Problem:
    """Return ``scheme://host[:port]`` of *url*, or the problem that makes it malformed.

    >>> origin_of("HTTPS://Example.COM:443/a?b")
    'https://example.com'
    >>> origin_of("ftp://example.com/").message
    "not an http(s) URL: scheme 'ftp'"
    """
    reason = _malformed(url)
    if isinstance(reason, str):
        return Problem(code=MALFORMED, message=reason, source=str(url)[:200], level="error")
    return reason[0]


def _malformed(url: object) -> str | tuple[str]:
    if not isinstance(url, str):
        return f"not a string: {type(url).__name__}"
    if not url:
        return "empty"
    if len(url) > MAX_URL_LENGTH:
        return f"longer than {MAX_URL_LENGTH} characters"
    if _BAD_CHAR.search(url):
        return "contains whitespace or control characters"
    # What follows depends only on the scheme and authority, which millions of URLs share.
    end = url.find("/", 8)
    found = _head_origin(url if end < 0 else url[:end])
    return found if found is not None else _parsed_origin(url)


@lru_cache(maxsize=65536)
def _head_origin(head: str) -> str | tuple[str] | None:
    """Return the origin of a common ``scheme://host[:port]`` head; None for anything else."""
    simple = _SIMPLE_ORIGIN.match(head)
    if simple is None:
        return None
    scheme, host, digits = simple.group(1).lower(), simple.group(2).lower(), simple.group(3)
    number = None if digits is None else int(digits)
    if number is None or number == _DEFAULT_PORTS[scheme]:
        return (f"{scheme}://{host}",)
    if 0 < number < 65536:
        return (f"{scheme}://{host}:{number}",)
    return f"invalid port {digits}"


def _parsed_origin(url: str) -> str | tuple[str]:
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        return f"cannot be parsed: {exc}"
    scheme = parts.scheme.lower()
    if scheme not in _DEFAULT_PORTS:
        return f"not an http(s) URL: scheme {scheme!r}" if scheme else "not an absolute URL"
    host = parts.hostname or ""
    if not host:
        return "no host"
    if not host.isascii():
        try:
            host = host.encode("idna").decode("ascii")
        except UnicodeError:
            return f"invalid host name {host!r}"
    if ":" in host:
        host = f"[{host}]"
    if port == 0:
        return "invalid port 0"
    if port is not None and port != _DEFAULT_PORTS[scheme]:
        host = f"{host}:{port}"
    return (f"{scheme}://{host}",)


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
        pages: bool = False,
        cache: CacheChoice = DEFAULT,
        options: CrawlOptions | None = None,
        ruleset: Ruleset | None = None,
        memory_origins: int = MEMORY_ORIGINS,
    ) -> None:
        if purpose not in PURPOSES:
            raise UsageError(f"unknown purpose {purpose!r}; expected one of {', '.join(PURPOSES)}")
        self.agent = agent.strip() if agent and agent.strip() else None
        self.purpose = purpose
        self.pages = pages
        self.options = options or CrawlOptions()
        self.ruleset = ruleset or load_ruleset()
        self._crawler_names = tuple(a.token for a in self.ruleset.agents)
        self._memory: OrderedDict[str, SiteSignals] = OrderedDict()
        self._memory_origins = max(1, memory_origins)
        self._started = time.time()
        self._tempdir: tempfile.TemporaryDirectory[str] | None = None
        self._own_cache = not isinstance(cache, OriginCache)
        self.cache = self._open_cache(cache)
        self.fetched_origins = 0
        """How many origins this checker fetched (cache misses)."""

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

    def check(
        self, urls: Iterable[str | bytes], window: int | None = None
    ) -> Iterator[UrlDecision]:
        """Yield the decision for each of *urls*, in input order, a window at a time."""
        for decisions in self.windows(urls, window):
            yield from decisions

    def windows(
        self, urls: Iterable[str | bytes], window: int | None = None
    ) -> Iterator[list[UrlDecision]]:
        """Yield the decisions of *urls* one window (a list, in input order) at a time."""
        size = window or (PAGE_WINDOW if self.pages else SITE_WINDOW)
        iterator = iter(urls)
        while batch := list(islice(iterator, size)):
            yield self._decide_window(batch)

    def _decide_window(self, urls: list[str | bytes]) -> list[UrlDecision]:
        targets = [self._target(url) for url in urls]
        origins = list(dict.fromkeys(t.origin for t in targets if t.origin is not None))
        if not self.pages:
            sites = self._site_signals(origins)
            # The hot loop of `filter`: names bound once, one call per URL.
            decide, purpose, agent, ruleset = decide_url, self.purpose, self.agent, self.ruleset
            return [
                decide(t.url, site=sites[t.origin], purpose=purpose, agent=agent, ruleset=ruleset)
                if t.origin is not None
                else self._decide(t, sites, {})
                for t in targets
            ]
        # The page fetch obeys robots.txt on its own, so both crawls run side by side.
        with ThreadPoolExecutor(max_workers=1, thread_name_prefix="crawlcheck-pages") as pool:
            pending = pool.submit(self._fetch_pages, targets)
            try:
                sites = self._site_signals(origins)
            finally:
                pages = pending.result()
        return [self._decide(target, sites, pages) for target in targets]

    def _target(self, url: object) -> _Target:
        if isinstance(url, bytes | bytearray | memoryview):
            raw = bytes(url)
            try:
                url = raw.decode("utf-8")
            except UnicodeDecodeError:
                text = raw.decode("utf-8", "backslashreplace")
                problem = Problem(code=MALFORMED, message="not UTF-8", source=text[:200])
                return _Target(text, None, replace(problem, level="error"))
        found = origin_of(url)
        if isinstance(found, Problem):
            return _Target(str(url), None, found)
        return _Target(str(url), found, None)

    def _decide(
        self, target: _Target, sites: dict[str, SiteSignals], pages: dict[str, PageSignals]
    ) -> UrlDecision:
        if target.origin is None:
            problems = (target.problem,) if target.problem else ()
            return UrlDecision(
                url=target.url,
                purpose=self.purpose,
                agent=self.agent,
                decision="unknown",
                problems=problems,
            )
        return decide_url(
            target.url,
            site=sites[target.origin],
            page=pages.get(target.url) if self.pages else None,
            purpose=self.purpose,
            agent=self.agent,
            ruleset=self.ruleset,
        )

    # -- site-level files: memory, then cache, then one crawl for the rest

    def _site_signals(self, origins: list[str]) -> dict[str, SiteSignals]:
        found: dict[str, SiteSignals] = {}
        missing: list[str] = []
        for origin in origins:
            signals = self._memory.get(origin)
            if signals is None:
                missing.append(origin)
            else:
                self._memory.move_to_end(origin)
                found[origin] = signals
        if missing:
            # Rows this run stored are used even when already expired (max-age=0):
            # each origin is fetched once per run (and once per cache lifetime).
            cached = self.cache.get_many(missing, stored_since=self._started)
            fetched = self._fetch_sites([o for o in missing if o not in cached])
            for origin in missing:
                fetches = cached.get(origin) or fetched[origin]
                found[origin] = self._remember(origin, site_signals(fetches, self.ruleset))
        return found

    def _fetch_sites(self, origins: list[str]) -> dict[str, SiteFetches]:
        if not origins:
            return {}
        options = replace(self.options, fetch_pages=False)
        results: dict[str, SiteFetches] = {}
        batch: list[SiteFetches] = []
        for fetches in crawl_sites(origins, options):
            results[fetches.site] = fetches
            batch.append(fetches)
            if len(batch) >= 100:
                self.cache.put_many(batch)
                batch.clear()
        self.cache.put_many(batch)
        self.fetched_origins += len(results)
        for origin in origins:
            if origin not in results:  # the runner promises one result per site
                results[origin] = SiteFetches(site=origin, origin=origin)
        return results

    def _remember(self, origin: str, signals: SiteSignals) -> SiteSignals:
        self._memory[origin] = signals
        if len(self._memory) > self._memory_origins:
            self._memory.popitem(last=False)
        return signals

    # -- pages (only with pages=True): robots.txt is obeyed by the runner for crawlcheck

    def _fetch_pages(self, targets: list[_Target]) -> dict[str, PageSignals]:
        urls = list(dict.fromkeys(t.url for t in targets if t.origin is not None))
        pages: dict[str, PageSignals] = {}
        for doc in fetch_urls(urls, replace(self.options, fetch_pages=True)):
            pages[doc.url] = _slim(parse_page(doc, self._crawler_names))
        for url in urls:
            if url not in pages:
                pages[url] = parse_page(Fetched(url=url, error="not-fetched"))
        return pages


def _slim(page: PageSignals) -> PageSignals:
    """Return *page* without its parsed HTML and links, which decisions do not need."""
    return replace(page, html=None, links=())


def finding_to_json(finding: Finding) -> dict[str, Any]:
    """Return one reason as the JSON object ``check --format json`` and ``filter`` write."""
    return {
        "signal": finding.signal,
        "effect": finding.effect.value,
        "purposes": list(finding.purposes),
        "agents": list(finding.agents),
        "scope": finding.scope,
        "evidence": finding.evidence,
        "source": finding.source,
    }


def problem_to_json(problem: Problem) -> dict[str, Any]:
    """Return one problem as a JSON object."""
    data: dict[str, Any] = {
        "code": problem.code,
        "level": problem.level,
        "message": problem.message,
        "source": problem.source,
    }
    if problem.line is not None:
        data["line"] = problem.line
    return data


def decision_to_json(decision: UrlDecision) -> dict[str, Any]:
    """Return *decision* as a JSON object: url, decision, reasons, then the context."""
    return {
        "url": decision.url,
        "decision": decision.decision,
        "reasons": [finding_to_json(f) for f in decision.reasons],
        "purpose": decision.purpose,
        "agent": decision.agent,
        "problems": [problem_to_json(p) for p in decision.problems],
    }


def check_urls(
    urls: Iterable[str | bytes],
    agent: str | None = None,
    purpose: str = "ai-train",
    *,
    pages: bool = False,
    cache: CacheChoice = DEFAULT,
    options: CrawlOptions | None = None,
    ruleset: Ruleset | None = None,
    window: int | None = None,
) -> Iterator[UrlDecision]:
    """Yield a decision for each of *urls* (any iterable), streaming, in input order.

    Site-level files are fetched once per origin and cached; with *pages* every URL is
    fetched too and its own headers and meta are read. A malformed URL yields an
    ``unknown`` decision with a ``url.malformed`` problem; it never raises.
    """
    with UrlChecker(
        agent, purpose, pages=pages, cache=cache, options=options, ruleset=ruleset
    ) as checker:
        yield from checker.check(urls, window)


def check_url(
    url: str,
    agent: str | None = None,
    purpose: str = "ai-train",
    *,
    pages: bool = True,
    cache: CacheChoice = DEFAULT,
    options: CrawlOptions | None = None,
    ruleset: Ruleset | None = None,
) -> UrlDecision:
    """Return the decision for *url*: its site-level files and (by default) the page itself."""
    with UrlChecker(
        agent, purpose, pages=pages, cache=cache, options=options, ruleset=ruleset
    ) as checker:
        return next(checker.check([url], 1))
