"""Decide URLs in bulk: origins, then cached site-level files, then one pure decision each.

:func:`check_urls` reads any iterable of URLs a window at a time: it finds the window's
origins, takes their site-level files from the per-origin cache (:mod:`crawlcheck.cache`)
or fetches the missing ones in one concurrent crawl, optionally fetches the pages
themselves, and yields one :class:`~crawlcheck.model.UrlDecision` per URL in input order.
Memory depends on the window and on the number of origins, never on the number of URLs.
:func:`check_url` is the one-URL form used by ``crawlcheck check``; it reads the page too.

With ``snapshot=`` the site-level files come from an origin snapshot
(:mod:`crawlcheck.snapshot`) instead: no network, no cache, and an origin the snapshot
lacks (or holds only an old capture of) is ``unknown`` with the snapshot's problem.
"""

from __future__ import annotations

import bisect
import contextlib
import gc
import os
import tempfile
import time
from collections import OrderedDict
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from enum import Enum
from itertools import islice, repeat
from pathlib import Path
from typing import Final, NamedTuple, TypedDict, Unpack, cast

from crawlcheck.cache import OriginCache, default_cache_path
from crawlcheck.clock import format_time
from crawlcheck.crawl.options import CrawlOptions
from crawlcheck.crawl.runner import crawl_sites, fetch_resources
from crawlcheck.decide import (
    Plan,
    decide_many,
    decide_unknown,
    decide_url,
    plan_for,
    shared_decisions,
    site_signals,
)
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
)
from crawlcheck.parsers.page import PageSignals, parse_page
from crawlcheck.ruleset import Ruleset, load_ruleset
from crawlcheck.snapshot.reader import MISSING as SNAPSHOT_MISSING
from crawlcheck.snapshot.reader import Capture as SnapshotCapture
from crawlcheck.snapshot.reader import Snapshot
from crawlcheck.urls import malformed_reason, origin_of, origins_and_paths

__all__ = [
    "DEFAULT",
    "MALFORMED",
    "CacheChoice",
    "CheckerOptions",
    "CheckerStats",
    "SnapshotChoice",
    "UrlChecker",
    "check_url",
    "check_urls",
    "collector_paused",
    "read_target",
    "read_targets",
]

#: URLs of the first window when only site-level files are fetched (output starts early).
SITE_WINDOW = 10_000
#: The largest window of site-level decisions (UrlChecker.window_sizes): the more of an
#: origin's URLs a window holds, the more are decided together (``shared_decisions``).
LARGEST_SITE_WINDOW = 100_000
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
#: What ``snapshot=`` accepts: a snapshot's path or URL (opened with the default maximum
#: age), or a :class:`~crawlcheck.snapshot.Snapshot` opened by the caller.
SnapshotChoice = str | os.PathLike[str] | Snapshot


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
    snapshot: SnapshotChoice | None
    """Decide from this origin snapshot, with no network (docs/snapshots.md)."""
    at: datetime | None
    """Decide as of this moment (timezone-aware) from the snapshot's captures: the newest
    at or before it, each file no older than ``freshness`` (docs/archives.md, "Time")."""
    freshness: timedelta | None
    """The freshness window of ``at`` (``--window``; default: 30 days)."""


class _Target(NamedTuple):
    """An input value read as a URL (a named tuple: one is built per URL)."""

    url: str
    origin: str | None
    problem: Problem | None


def read_target(value: object) -> tuple[str, str | None, Problem | None]:
    """Return (URL text, origin, None) for a usable URL, else (text, None, why not).

    The one reading of an input value for per-URL decisions: a ``str``; bytes decoded as
    UTF-8 (``not UTF-8`` otherwise, shown with ``\\xNN`` escapes); a pyarrow scalar as its
    Python value (iterating a pyarrow column yields scalars); anything else is malformed.

    >>> read_target(b"https://example.com/a")
    ('https://example.com/a', 'https://example.com', None)
    >>> read_target("ftp://example.com/")[2].message
    "not an http(s) URL: scheme 'ftp'"
    """
    if not isinstance(value, str):
        if isinstance(value, bytes | bytearray | memoryview):
            raw = bytes(value)
            try:
                value = raw.decode("utf-8")
            except UnicodeDecodeError:
                text = raw.decode("utf-8", "backslashreplace")
                problem = Problem(code=MALFORMED, message="not UTF-8", source=text[:200])
                return text, None, replace(problem, level="error")
        elif type(value).__module__.startswith("pyarrow") and hasattr(value, "as_py"):
            return read_target(value.as_py())
    # origin_of is None exactly when malformed_reason names a reason: one reading per URL.
    origin = origin_of(value) if isinstance(value, str) else None
    if origin is None:
        if value is None:  # a missing value in a table column
            problem = Problem(code=MALFORMED, message="missing (null)", source="", level="error")
            return "", None, problem
        reason = malformed_reason(value) or "not a URL"
        problem = Problem(code=MALFORMED, message=reason, source=str(value)[:200], level="error")
        return str(value), None, problem
    assert isinstance(value, str)
    return value, origin, None


def read_targets(
    values: list[object],
) -> tuple[list[str], list[str | None], list[str | None], dict[int, Problem]]:
    """Return :func:`read_target` of each value as (texts, origins, paths, problems by position).

    A window of URLs read at once: strings are the usual input and are read in one pass
    (:func:`crawlcheck.urls.origins_and_paths`, which also gives a plain URL's path);
    anything else, and every malformed string, is read in full afterwards.
    """
    origins, paths = origins_and_paths(values)
    if None not in origins:
        return cast(list[str], values), origins, paths, {}
    texts: list[str] = [""] * len(values)
    problems: dict[int, Problem] = {}
    for index, value in enumerate(values):
        if origins[index] is not None:
            texts[index] = cast(str, value)
            continue
        texts[index], origins[index], problem = read_target(value)
        if problem is not None:
            problems[index] = problem
    return texts, origins, paths, problems


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
        self.fetches_urls = self.pages or self.media
        """Whether each URL itself is fetched (its page, or what an image embeds)."""
        self.options = settings.get("options") or CrawlOptions()
        self.ruleset = settings.get("ruleset") or load_ruleset()
        self._crawler_names = tuple(a.token for a in self.ruleset.agents)
        self._memory: OrderedDict[str, Plan | Problem] = OrderedDict()
        """Each origin's decision plan (its parsed site files), or why it has none (a
        snapshot without a usable capture of it), least recently used first."""
        self._memory_origins = max(1, memory_origins)
        self._window_origins = 0
        """The origins (or origins and moments) the last window asked plans for."""
        self._started = time.time()
        max_age = settings.get("max_age")
        if max_age is not None and not max_age >= 0:
            raise UsageError(f"max_age must be a number of seconds >= 0, not {max_age}")
        self.max_age = max_age
        self.stats = CheckerStats()
        self._on_fetch = settings.get("on_fetch")
        self._tempdir: tempfile.TemporaryDirectory[str] | None = None
        snapshot = settings.get("snapshot")
        self._own_snapshot = snapshot is not None and not isinstance(snapshot, Snapshot)
        self.snapshot: Snapshot | None = None
        """The origin snapshot decisions come from (None: fetched, through the cache)."""
        if snapshot is not None:
            if self.pages or self.media:
                flag = "--pages" if self.pages else "--media"
                raise UsageError(
                    f"{flag} fetches every URL; a snapshot holds site-level files only"
                )
            self.snapshot = snapshot if isinstance(snapshot, Snapshot) else Snapshot(snapshot)
        self.at = settings.get("at")
        self.freshness = settings.get("freshness") or _default_window()
        """With ``at`` (or per-row times, :meth:`plans_at`): the freshness window."""
        if self.at is not None and self.at.tzinfo is None:
            raise UsageError("at must be a timezone-aware datetime (e.g. with tzinfo=UTC)")
        if self.at is not None and self.snapshot is None:
            raise UsageError("--at decides from archived captures: give --snapshot")
        self._histories: OrderedDict[str, tuple[list[float], tuple[SnapshotCapture, ...]]] = (
            OrderedDict()
        )
        """With times: each origin's captures, oldest first (least recently used first)."""
        self._timed: OrderedDict[tuple[object, ...], Plan] = OrderedDict()
        """With times: the plan of each (origin, capture, files aged out)."""
        cache = settings.get("cache", DEFAULT) if snapshot is None else None
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
        """Close the cache and snapshot (unless the caller passed them in); remove temp files."""
        if self._own_cache:
            self.cache.close()
        if self._own_snapshot and self.snapshot is not None:
            self.snapshot.close()
        if self._tempdir is not None:
            self._tempdir.cleanup()
            self._tempdir = None

    def __enter__(self) -> UrlChecker:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def check(self, urls: Iterable[object], window: int | None = None) -> Iterator[UrlDecision]:
        """Yield the decision for each of *urls*, in input order, a window at a time."""
        for batch in self._batches(urls, window):
            if self.fetches_urls:
                yield from self._decide_window(batch)
            else:
                # Each decision is made as it is taken: one the caller has let go of is freed
                # at once, so a window's decisions never reach the garbage collector's old
                # generation (whose full collections walk every parsed site file).
                yield from self._site_decisions(batch)

    def windows(
        self, urls: Iterable[object], window: int | None = None
    ) -> Iterator[list[UrlDecision]]:
        """Yield the decisions of *urls* one window (a list, in input order) at a time."""
        for batch in self._batches(urls, window):
            yield self._decide_window(batch)

    def window_sizes(self) -> Iterator[int]:
        """Yield the size of each next window of URLs; ask when the window before is decided.

        :data:`PAGE_WINDOW` when every URL is fetched. Else the first window holds
        :data:`SITE_WINDOW` URLs (output starts early) and the next ones double, up to
        :data:`LARGEST_SITE_WINDOW`, while the window before met at most half as many
        origins as the checker keeps in memory; past that they halve again. Every plan of
        a window is alive while it is decided: the origins a window meets, not its URLs,
        bound memory.
        """
        if self.fetches_urls:
            yield from repeat(PAGE_WINDOW)
        size = SITE_WINDOW
        while True:
            yield size
            if self._window_origins * 2 <= self._memory_origins:
                size = min(LARGEST_SITE_WINDOW, size * 2)
            else:
                size = max(SITE_WINDOW, size // 2)

    def _batches(self, urls: Iterable[object], window: int | None) -> Iterator[list[object]]:
        """Yield *urls* a window at a time: *window* URLs each, else :meth:`window_sizes`."""
        sizes = repeat(window) if window else self.window_sizes()
        iterator = iter(urls)
        while batch := list(islice(iterator, next(sizes))):
            yield batch

    def _decide_window(self, urls: list[object]) -> list[UrlDecision]:
        if not self.fetches_urls:
            decisions = self._site_decisions(urls)  # the window read, its plans found
            with collector_paused():
                return list(decisions)
        with collector_paused():
            texts, origins, _, malformed = read_targets(urls)
        wanted = list(filter(None, dict.fromkeys(origins)))  # each origin once, in order
        targets = [
            _Target(url, origin, malformed.get(index))
            for index, (url, origin) in enumerate(zip(texts, origins, strict=True))
        ]
        # The page fetch obeys robots.txt on its own, so both crawls run side by side.
        with ThreadPoolExecutor(max_workers=1, thread_name_prefix="crawlcheck-pages") as pool:
            pending = pool.submit(self._fetch_pages, targets)
            try:
                plans = self.plans(wanted)
            finally:
                pages, media = pending.result()
        return [
            (
                decide_url(t.url, plan, pages.get(t.url), media.get(t.url))
                if isinstance(plan := plans[t.origin], Plan)
                else self._unknown(t.url, plan)
            )
            if t.origin is not None
            else self._unknown(t.url, t.problem)
            for t in targets
        ]

    def _site_decisions(self, urls: list[object]) -> Iterator[UrlDecision]:
        """Read a window and find its plans; return its decisions, each made when taken."""
        with collector_paused():
            texts, origins, paths, malformed = read_targets(urls)
        plans = self.plans(list(filter(None, dict.fromkeys(origins))))
        with collector_paused():
            found = shared_decisions(texts, origins, plans, paths)
        return decide_many(texts, found, origins, plans, malformed, self.purpose, self.agent)

    def _unknown(self, url: str, problem: Problem | None) -> UrlDecision:
        """Return ``unknown`` for *url*, because of *problem* (fail closed)."""
        return decide_unknown(url, self.purpose, self.agent, problem)

    # -- site-level files: memory, then cache, then one crawl for the rest

    def plans(self, origins: list[str]) -> dict[str, Plan | Problem]:
        """Return each origin's decision plan, or the problem why it has none.

        From memory, else the snapshot (no network) or the cache, else one crawl of the
        origins still missing. For callers that decide many URLs per origin themselves
        (the batch API in
        :mod:`crawlcheck.tables`): ``decide_url(url, plan)``, or ``decide_unknown`` for a problem.
        """
        self._window_origins = len(origins)
        if self.at is not None:
            at = self.at
            timed = self.plans_at([(origin, at) for origin in origins])
            return {origin: timed[(origin, at)] for origin in origins}
        found: dict[str, Plan | Problem] = {}
        missing: list[str] = []
        for origin in origins:
            plan = self._memory.get(origin)
            if plan is None:
                missing.append(origin)
            else:
                self._memory.move_to_end(origin)
                found[origin] = plan
        if missing and self.snapshot is not None:
            for origin, lookup in self.snapshot.lookup_many(missing).items():
                if lookup.fetches is None:
                    assert lookup.problem is not None
                    found[origin] = self._remember(origin, lookup.problem)
                else:
                    found[origin] = self._remember(origin, self._plan(lookup.fetches))
        elif missing:
            # Rows this run stored are used even when already expired (max-age=0):
            # each origin is fetched once per run (and once per cache lifetime).
            cached = self._fresh_enough(self.cache.get_many(missing, stored_since=self._started))
            fetched = self._fetch_sites([o for o in missing if o not in cached])
            for origin in missing:
                fetches = cached.get(origin) or fetched[origin]
                found[origin] = self._remember(origin, self._plan(fetches))
        return found

    def plans_at(
        self, questions: Iterable[tuple[str, datetime]]
    ) -> dict[tuple[str, datetime], Plan | Problem]:
        """Return the plan of each (origin, moment) from the snapshot's captures, or why none.

        The capture in force is the snapshot's newest at or before the moment; each of its
        files captured more than ``freshness`` before the moment counts as absent (unknown,
        never allowed: :func:`crawlcheck.archive.moment.age_out`). Every decision of the
        plan names the captures that decided. Needs a snapshot.
        """
        from crawlcheck.archive.moment import CaptureCitation, age_out, outside_window

        questions = list(questions)
        self._window_origins = len(questions)
        if self.snapshot is None:
            raise UsageError("decisions at a time need a snapshot (--snapshot)")
        found: dict[tuple[str, datetime], Plan | Problem] = {}
        for origin, at in questions:
            if (origin, at) in found:
                continue
            times, captures = self._history(origin)
            position = bisect.bisect_right(times, at.timestamp())
            if position == 0:
                found[(origin, at)] = Problem(
                    code=SNAPSHOT_MISSING,
                    message=f"the snapshot holds no capture of {origin} taken at or before "
                    f"{format_time(at.timestamp())}",
                    source=self.snapshot.location,
                    level="error",
                )
                continue
            capture = captures[position - 1]
            fetches, aged = age_out(capture.fetches, at, self.freshness)
            key = (origin, capture.fetched_at, aged)
            plan = self._timed.get(key)
            if plan is None:
                plan = self._plan(fetches)
                notes = outside_window(capture.fetches, aged, self.freshness)
                plan.annotate = CaptureCitation.of(fetches, notes)
                self._timed[key] = plan
                if len(self._timed) > self._memory_origins:
                    self._timed.popitem(last=False)
            else:
                self._timed.move_to_end(key)
            found[(origin, at)] = plan
        return found

    def _history(self, origin: str) -> tuple[list[float], tuple[SnapshotCapture, ...]]:
        held = self._histories.get(origin)
        if held is not None:
            self._histories.move_to_end(origin)
            return held
        assert self.snapshot is not None
        captures = self.snapshot.captures(origin)
        held = self._histories[origin] = ([c.fetched_at for c in captures], captures)
        if len(self._histories) > self._memory_origins:
            self._histories.popitem(last=False)
        return held

    def _plan(self, fetches: SiteFetches) -> Plan:
        site = site_signals(fetches, self.ruleset)
        return plan_for(site, purpose=self.purpose, agent=self.agent, ruleset=self.ruleset)

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

    def _remember(self, origin: str, plan: Plan | Problem) -> Plan | Problem:
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


def _default_window() -> timedelta:
    from crawlcheck.archive.index import DEFAULT_WINDOW

    return DEFAULT_WINDOW


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
def collector_paused() -> Iterator[None]:
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
    what it embeds counts too (``media``, on by default; docs/media.md). With
    ``snapshot=`` neither the page nor the media is fetched (no network): site-level files only.
    """
    offline = settings.get("snapshot") is not None
    settings.setdefault("pages", not offline)
    settings.setdefault("media", not offline)
    with UrlChecker(agent, purpose, **settings) as checker:
        return next(checker.check([url], 1))
