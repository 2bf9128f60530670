"""Captures indexed by URL as histories; a site as it stood at a time, for the evaluator.

:func:`select_capture` is the one time rule (docs/archives.md, "Time"): the latest capture
at or before the time asked about, no older than the freshness window; none is ``None``,
which the site view turns into a failed fetch (``no-capture``), so nothing is ever
``allowed`` for want of a capture. :meth:`CaptureIndex.site_at` builds the
:class:`~crawlcheck.model.SiteFetches` that ``evaluate_site`` takes, following redirects
stored as records exactly as the crawl follows live ones (RFC 9309 §2.3.1.2).
"""

from __future__ import annotations

import bisect
import datetime
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from urllib.parse import urljoin

from crawlcheck.archive.captures import (
    NO_CAPTURE,
    REVISIT_UNRESOLVED,
    Capture,
    FetchNote,
    is_site_file,
    normalise_url,
    parse_warc_date,
    rfc3339,
)
from crawlcheck.archive.reader import ArchiveItem, read_archive, read_record
from crawlcheck.crawl.discover import page_html, page_links, worth_fetching_licence
from crawlcheck.crawl.failures import OFFSITE_REDIRECT
from crawlcheck.crawl.redirects import REDIRECT_STATUSES, next_hop
from crawlcheck.errors import UsageError
from crawlcheck.model import SITE_FILES, ArchiveRecord, Fetched, Problem, SiteFetches
from crawlcheck.parsers.robots import parse_robots
from crawlcheck.urls import origin_of, without_fragment

__all__ = [
    "DEFAULT_WINDOW",
    "HOP_WINDOW",
    "ArchiveSite",
    "CaptureIndex",
    "Resolved",
    "parse_time",
    "parse_window",
    "select_capture",
]

#: Default freshness window: a capture older than this (before the time asked about) is
#: too old to say what the site said then. RFC 9309 §2.3.1.4 names 30 days as the
#: "reasonably long period" a crawler may go on without a fresh robots.txt, Google keeps
#: a cached robots.txt no longer than that, and crawls such as Common Crawl's capture a
#: site about once a month. ``--window 1d`` is RFC 9309 §2.4's 24-hour cache rule.
DEFAULT_WINDOW = datetime.timedelta(days=30)
#: A redirect's target is the capture nearest in time to the redirect's own capture,
#: within this (RFC 9309 §2.4: a fetched robots.txt stays current for 24 hours).
HOP_WINDOW = datetime.timedelta(hours=24)
#: Pages besides the home page and licence documents per site, as the crawl's defaults.
DEFAULT_PAGES = 5
MAX_LICENSES = 3
_HTML_TYPES = ("text/html", "application/xhtml+xml")


def parse_window(text: str) -> datetime.timedelta:
    """Return a ``--window`` value (``30d``, ``24h``, ``90m``, ``3600s``); UsageError if bad.

    >>> parse_window("30d"), parse_window("24h")
    (datetime.timedelta(days=30), datetime.timedelta(days=1))
    """
    units = {"d": "days", "h": "hours", "m": "minutes", "s": "seconds"}
    value, unit = text.strip()[:-1], text.strip()[-1:].lower()
    if unit not in units or not value.isdigit() or int(value) == 0:
        raise UsageError(f"--window {text!r}: give a positive number with d, h, m or s (e.g. 30d)")
    return datetime.timedelta(**{units[unit]: int(value)})


def parse_time(text: str) -> datetime.datetime:
    """Return an ``--at`` value (RFC 3339 / ISO 8601, or a date; UTC if no zone); UsageError.

    >>> parse_time("2023-06-15")
    datetime.datetime(2023, 6, 15, 0, 0, tzinfo=datetime.timezone.utc)
    """
    stamp = parse_warc_date(text)
    if stamp is None:
        raise UsageError(f"--at {text!r}: not a date or time (e.g. 2023-06-15T00:00:00Z)")
    return stamp


def select_capture(
    history: Sequence[Capture], at: datetime.datetime, window: datetime.timedelta
) -> Capture | None:
    """Return the latest capture at or before *at* and no older than *window*, else None.

    *history* is sorted by time (ties: archive order, the later one wins). A capture
    that could not be read (5xx, incomplete, revisit unresolved) is still the latest
    word: it is returned, never skipped for an older, readable one.
    """
    times = [capture.at for capture in history]
    position = bisect.bisect_right(times, at)
    if position == 0:
        return None
    latest = history[position - 1]
    return latest if at - latest.at <= window else None


def nearest_capture(
    history: Sequence[Capture], at: datetime.datetime, window: datetime.timedelta
) -> Capture | None:
    """Return the capture nearest to *at* within *window* either side (ties: the later)."""
    near = [c for c in history if abs(c.at - at) <= window]
    return min(near, key=lambda c: (abs(c.at - at), -c.at.timestamp()), default=None)


@dataclass(frozen=True, slots=True, kw_only=True)
class Resolved:
    """One fetch as the archive answers it: the crawl's Fetched, and the captures behind it."""

    fetched: Fetched
    chain: tuple[Capture, ...] = ()
    """The captures that decided, first request to final response (redirects between)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class ArchiveSite:
    """A site at one time from archives: the evaluator's input and the records behind it."""

    fetches: SiteFetches
    at: datetime.datetime
    decided_by: tuple[tuple[str, tuple[ArchiveRecord, ...]], ...]
    """Per fetched URL, the records that decided it (empty: no capture in the window)."""
    problems: tuple[Problem, ...] = ()


class CaptureIndex:
    """Every capture of some archive files, by URL, oldest first; revisits resolved.

    Site-level files keep their bodies (capped: 500 KiB robots.txt, 1 MiB others); page
    bodies are read again from the archive when a site view needs them, so memory grows
    with the number of records, not with their size.
    """

    def __init__(self) -> None:
        self._history: dict[str, list[Capture]] = {}
        self._urls: dict[str, list[str]] = {}
        """Origin → its URLs with a capture, in the order first seen."""
        self._notes: dict[str, FetchNote] = {}
        self._by_id: dict[str, Capture] = {}
        self._by_digest: dict[str, list[Capture]] = {}
        self._described: set[str] = set()
        self.problems: list[Problem] = []
        self._finished = False

    @classmethod
    def build(cls, paths: Iterable[str], *, pages: bool = True) -> CaptureIndex:
        """Return the index of every capture in the archive files *paths*, in order.

        ``pages=False`` indexes the site-level files only (robots.txt, ai.txt,
        tdmrep.json, llms.txt), skipping every other record unread: what a snapshot of
        site files needs, at close to the speed of bare iteration.
        """
        index = cls()
        wanted = None if pages else is_site_file
        for path in paths:
            for item in read_archive(path, wanted):
                index.add(item)
        index.finish()
        return index

    def add(self, item: ArchiveItem) -> None:
        """Take one item of :func:`~crawlcheck.archive.reader.read_archive`."""
        if isinstance(item, Problem):
            self.problems.append(item)
            return
        if isinstance(item, FetchNote):
            self._notes[item.refers_to] = item
            return
        self.problems.extend(item.problems)
        record = item.fetched.record
        if record is not None and record.record_type == "metadata" and record.refers_to:
            pass  # a WAT capture: kept unless the record it describes is in the archive
        elif record is not None and record.record_id:
            self._by_id[record.record_id] = item
        if item.payload_digest and not item.revisit:
            self._by_digest.setdefault(item.payload_digest, []).append(item)
        if not is_site_file(item.url) and item.fetched.body:
            item = replace(item, fetched=replace(item.fetched, body=b""))
        history = self._history.get(item.url)
        if history is None:
            history = self._history[item.url] = []
            origin = origin_of(item.url)
            if origin is not None:
                self._urls.setdefault(origin, []).append(item.url)
        history.append(item)
        self._finished = False

    def finish(self) -> None:
        """Sort every history by time, resolve revisits, drop WATs of archived responses."""
        for url, history in self._history.items():
            history.sort(key=lambda capture: capture.at)
            kept = []
            for capture in history:
                record = capture.fetched.record
                if _described_id(record) in self._by_id:
                    continue  # the WARC record a WAT describes is here: read that instead
                if capture.revisit and is_site_file(url):
                    capture = self._resolve_revisit(capture, load=True)
                kept.append(capture)
            self._history[url] = kept
        self._finished = True

    def origins(self) -> list[str]:
        """Return every origin with a capture, sorted."""
        return sorted(self._urls)

    def site_origins(self) -> list[str]:
        """Return the origins to audit when none are named, sorted.

        Every origin with a capture, except those whose every capture crawlcheck's own
        evidence archive marks as a licence document (a licence another site pointed to
        is evidence for that site, not a site audited).
        """
        return [
            origin
            for origin in sorted(self._urls)
            if not all(
                self._note_kind(capture) == "license"
                for url in self._urls[origin]
                for capture in self._history[url]
            )
        ]

    def _note_kind(self, capture: Capture) -> str:
        note = self._notes.get(_record_id(capture.fetched.record))
        return note.kind if note is not None else ""

    def history(self, url: str) -> tuple[Capture, ...]:
        """Return every capture of *url*, oldest first."""
        key = normalise_url(url)
        return tuple(self._history.get(key, ())) if key is not None else ()

    def visits(
        self, origin: str, span: datetime.timedelta = datetime.timedelta(minutes=10)
    ) -> list[datetime.datetime]:
        """Return the end of each visit to *origin*'s site-level files, oldest first.

        A visit is a run of captures of *different* site files, each within *span* of the
        visit's first (a crawler fetches robots.txt, ai.txt… seconds apart). A second
        capture of a file already in the visit starts a new one, so every capture is the
        latest of its file at the end of some visit: a snapshot row per visit loses none.
        """
        captures = sorted(
            (capture.at, url)
            for url in self._urls.get(origin, ())
            if is_site_file(url)
            for capture in self._history[url]
        )
        ends: list[datetime.datetime] = []
        visit: list[datetime.datetime] = []
        seen: set[str] = set()
        for at, url in captures:
            if visit and (url in seen or at - visit[0] > span):
                ends.append(visit[-1])
                visit, seen = [], set()
            visit.append(at)
            seen.add(url)
        if visit:
            ends.append(visit[-1])
        return ends

    def licence_urls(self) -> set[str]:
        """Return every licence URL a captured robots.txt points to (``License:`` records)."""
        found: set[str] = set()
        for url, history in self._history.items():
            if not url.endswith("/robots.txt") or not is_site_file(url):
                continue
            for capture in history:
                doc = capture.fetched
                # A License record needs the word: most robots.txt files need no parse.
                if not doc.ok or doc.error is not None or b"license" not in doc.body.lower():
                    continue
                rules = parse_robots(doc.body, doc.url, doc.content_type)
                for record in rules.licenses:
                    target = normalise_url(urljoin(doc.url, record.value.strip()))
                    if target is not None:
                        found.add(without_fragment(target))
        return found

    def latest(self, origin: str) -> datetime.datetime | None:
        """Return the time of the origin's most recent capture, or None."""
        histories = (self._history[url] for url in self._urls.get(origin, ()))
        return max((h[-1].at for h in histories if h), default=None)

    def resolve(
        self,
        url: str,
        at: datetime.datetime,
        window: datetime.timedelta = DEFAULT_WINDOW,
        *,
        page: bool = False,
        first: Capture | None = None,
    ) -> Resolved:
        """Return *url* as a crawl at *at* would have fetched it, from the captures.

        Redirects stored as records are followed as the crawl follows live ones (RFC
        9309 §2.3.1.2): at most 5 hops, no loops, http(s) targets only, pages stay on
        their origin; each hop's target is its capture nearest to the hop's own. *first*
        starts from a given capture of *url* instead of the one the time selects.
        """
        key = normalise_url(url) or url
        if first is None:
            first = select_capture(self._history.get(key, ()), at, window)
        if first is None:
            return Resolved(fetched=Fetched(url=key, final_url=key, error=NO_CAPTURE))
        chain = [self._full(first)]
        hops: list[tuple[int, str]] = []
        visited = [key]
        error: str | None = None
        while True:
            current = chain[-1]
            # The crawl's own rule for a hop (statuses, 5 hops, loops, http(s) targets).
            target, error = next_hop(
                current.url,
                current.fetched.status or 0,
                current.fetched.header("Location"),
                hops,
                visited,
            )
            if target is not None and page and origin_of(target) != origin_of(key):
                error = OFFSITE_REDIRECT  # pages stay on their origin, as the crawl's do
            if target is None or error is not None:
                break
            target_key = normalise_url(target) or target
            following = nearest_capture(self._history.get(target_key, ()), current.at, HOP_WINDOW)
            if following is None:
                missing = Fetched(
                    url=key,
                    final_url=target,
                    redirects=tuple(hops),
                    error=NO_CAPTURE,
                    fetched_at=current.fetched.fetched_at,
                )
                return Resolved(fetched=missing, chain=tuple(chain))
            chain.append(self._full(following))
        final = chain[-1].fetched
        fetched = replace(
            final,
            url=key,
            final_url=chain[-1].url,
            redirects=tuple(hops),
            error=error or final.error,
        )
        return Resolved(fetched=fetched, chain=tuple(chain))

    def site_at(
        self,
        origin: str,
        at: datetime.datetime | None = None,
        window: datetime.timedelta = DEFAULT_WINDOW,
        *,
        pages: int = DEFAULT_PAGES,
        site: str | None = None,
        site_files_only: bool = False,
    ) -> ArchiveSite:
        """Return *origin* as it stood at *at* (default: its latest capture), for evaluation.

        Site files without a capture in the window are failed fetches (``no-capture``):
        robots.txt is then unreachable and the verdicts ``unknown``. Pages are the home
        page and up to *pages* others: those crawlcheck's own archive marks as sampled,
        else the origin's HTML captures in URL order; with none, the home page is listed
        as skipped, so page-level signals count as unknown. *site_files_only* reads no
        page at all (a snapshot's view: site-level files and robots.txt's licences).
        """
        if not self._finished:
            self.finish()
        when = at or self.latest(origin) or datetime.datetime.now(datetime.UTC)
        decided: list[tuple[str, tuple[ArchiveRecord, ...]]] = []
        files: dict[str, Fetched] = {}
        for site_file in SITE_FILES:
            resolved = self.resolve(origin + site_file.path, when, window)
            files[site_file.field] = resolved.fetched
            decided.append((origin + site_file.path, _records(resolved)))
        page_docs: list[Fetched] = []
        skipped: list[tuple[str, str]] = []
        wanted = [] if site_files_only else self._page_urls(origin, when, window, pages)
        for url, noted in wanted:
            resolved = self.resolve(url, when, window, page=True, first=noted)
            if resolved.fetched.error == NO_CAPTURE and not resolved.chain:
                skipped.append((url, "no archived capture within the freshness window"))
                continue
            page_docs.append(resolved.fetched)
            decided.append((url, _records(resolved)))
        licences = self._licences(origin, files["robots"], page_docs, when, window)
        decided.extend((doc.url, _own_record(doc)) for doc in licences)
        problems = [p for doc in (*files.values(), *page_docs) for p in _fetch_problems(doc)]
        stamp = rfc3339(when)
        fetches = SiteFetches(
            site=site or origin,
            origin=origin,
            robots=files["robots"],
            ai_txt=files["ai_txt"],
            tdmrep=files["tdmrep"],
            llms_txt=files["llms_txt"],
            pages=tuple(page_docs),
            licenses=tuple(licences),
            skipped=tuple(skipped),
            started_at=stamp,
            finished_at=stamp,
        )
        return ArchiveSite(
            fetches=fetches, at=when, decided_by=tuple(decided), problems=tuple(problems)
        )

    # -- internals

    def _full(self, capture: Capture) -> Capture:
        """Return *capture* with its body (read again if dropped) and revisit resolved."""
        if capture.revisit:
            return self._resolve_revisit(capture, load=True)
        if capture.fetched.body or is_site_file(capture.url) or capture.fetched.record is None:
            return capture
        again = read_record(capture.fetched.record)
        if not isinstance(again, Capture):
            return capture
        return self._resolve_revisit(again, load=True) if again.revisit else again

    def _resolve_revisit(self, capture: Capture, *, load: bool) -> Capture:
        """Return a revisit with its original's payload (WARC 1.1 §6.7), or as it is."""
        original = self._by_id.get(capture.revisit_of) if capture.revisit_of else None
        if original is None and capture.payload_digest:
            same = self._by_digest.get(capture.payload_digest, [])
            before = [c for c in same if c.url == capture.url and c.at <= capture.at]
            candidates = before or [c for c in same if c.url == capture.url] or same
            original = candidates[-1] if candidates else None
        record = capture.fetched.record
        if original is None or original.revisit or record is None:
            return capture  # body unknown: fetched.error stays revisit-unresolved
        if load and not original.fetched.body and not is_site_file(original.url):
            original = self._full(original)
        source = original.fetched
        # A 304 (server-not-modified profile) says the original is still what is served.
        use_original_head = capture.fetched.status in (None, 304)
        fetched = replace(
            capture.fetched,
            status=source.status if use_original_head else capture.fetched.status,
            headers=source.headers if use_original_head else capture.fetched.headers,
            body=source.body,
            truncated=source.truncated,
            error=source.error,
            record=replace(record, refers_to=_record_id(source.record)),
        )
        return replace(capture, fetched=fetched, revisit=False)

    def _page_urls(
        self, origin: str, at: datetime.datetime, window: datetime.timedelta, limit: int
    ) -> list[tuple[str, Capture | None]]:
        """Return the pages to read: (URL, the capture crawlcheck's own archive noted, if any)."""
        home = origin + "/"
        noted: list[tuple[int, str, Capture]] = []
        home_note: Capture | None = None
        html: list[str] = []
        for url in self._urls.get(origin, ()):
            history = self._history[url]
            if is_site_file(url):
                continue
            chosen = select_capture(history, at, window)
            if chosen is None:
                continue
            # crawlcheck's own archives say which fetches were sampled pages, and in what
            # order; a later capture of the same URL (a redirect's target) has no note.
            notes = [
                (self._notes[_record_id(c.fetched.record)], c)
                for c in history
                if at - window <= c.at <= at and _record_id(c.fetched.record) in self._notes
            ]
            pages = [(note, c) for note, c in notes if note.kind == "page"]
            if pages and url == home:
                home_note = pages[-1][1]
            elif pages:
                noted.append((pages[-1][0].order, url, pages[-1][1]))
            elif not notes and url != home and _looks_html(chosen.fetched):
                html.append(url)
        others: list[tuple[str, Capture | None]]
        if noted or self._notes:
            others = [(url, c) for _, url, c in sorted(noted, key=lambda n: (n[0], n[1]))]
        else:
            targets = {
                hop
                for url in self._urls.get(origin, ())
                for c in self._history[url]
                for hop in _location(c)
            }
            others = [(url, None) for url in sorted(html) if url not in targets]
        return [(home, home_note), *others[:limit]]

    def _licences(
        self,
        origin: str,
        robots: Fetched,
        pages: list[Fetched],
        at: datetime.datetime,
        window: datetime.timedelta,
    ) -> list[Fetched]:
        wanted: list[str] = []
        if robots.ok and robots.error is None and b"license" in robots.body.lower():
            rules = parse_robots(robots.body, robots.final_url or robots.url, robots.content_type)
            wanted += [urljoin(robots.url, r.value.strip()) for r in rules.licenses]
        for page in pages:
            wanted += [
                u
                for u, rsl in page_links(page, page_html(page))[1]
                if worth_fetching_licence(u, rsl, origin)
            ]
        found: list[Fetched] = []
        for url in dict.fromkeys(without_fragment(u) for u in wanted):
            if len(found) >= MAX_LICENSES:
                break
            # A licence without a capture is a failed fetch (no-capture), as a licence the
            # crawl could not fetch: what it says is unknown, never absent.
            found.append(self.resolve(url, at, window).fetched)
        return found


def _records(resolved: Resolved) -> tuple[ArchiveRecord, ...]:
    return tuple(c.fetched.record for c in resolved.chain if c.fetched.record is not None)


def _own_record(doc: Fetched) -> tuple[ArchiveRecord, ...]:
    return (doc.record,) if doc.record is not None else ()


def _record_id(record: ArchiveRecord | None) -> str:
    return record.record_id if record is not None else ""


def _described_id(record: ArchiveRecord | None) -> str:
    """Return the WARC-Record-ID a WAT capture describes ('' for anything else)."""
    if record is None or record.record_type != "metadata" or not record.refers_to:
        return ""
    return record.refers_to.split(" ", 1)[0]


def _looks_html(doc: Fetched) -> bool:
    return doc.content_type in _HTML_TYPES or (
        doc.record is not None and doc.record.record_type == "metadata" and doc.status is not None
    )


def _location(capture: Capture) -> list[str]:
    location = capture.fetched.header("Location")
    if capture.fetched.status not in REDIRECT_STATUSES or location is None:
        return []
    target = normalise_url(urljoin(capture.url, location.strip()))
    return [target] if target else []


def _fetch_problems(doc: Fetched) -> list[Problem]:
    if doc.error != REVISIT_UNRESOLVED:
        return []
    where = f" ({doc.record.describe()})" if doc.record is not None else ""
    return [
        Problem(
            code="archive.revisit-unresolved",
            message="a revisit record whose original payload is not in the archives read: "
            f"body unknown{where}",
            source=doc.url,
            level="error",
        )
    ]
