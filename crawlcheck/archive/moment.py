"""Decisions at a moment: a snapshot row's files aged by the window, and the captures named.

``check --at``, ``filter --at`` / ``--at-column`` and ``UrlChecker(at=…)`` decide from the
snapshot row in force at the moment (the newest at or before it), then apply the freshness
window to each site file on its own (:func:`age_out`): a file captured longer than the
window before the moment is a failed fetch (``no-capture``), so what it says is unknown —
never a permission (docs/archives.md, "Time"). :class:`CaptureCitation` then names, in
every decision's reasons, the capture (archive record, or snapshot fetch time) of each site
file that decided.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field, replace

from crawlcheck.archive.captures import NO_CAPTURE, parse_warc_date
from crawlcheck.archive.evidence import cite_evidence, records_by_url
from crawlcheck.model import (
    SITE_FILES,
    ArchiveRecord,
    Effect,
    Fetched,
    Finding,
    Problem,
    Signal,
    SiteFetches,
    UrlDecision,
)

__all__ = [
    "CAPTURE_KEY",
    "OUTSIDE_WINDOW",
    "CaptureCitation",
    "age_out",
    "capture_findings",
    "moment_of",
    "outside_window",
]

#: ``key`` of the info findings that name the capture each site file was read from.
CAPTURE_KEY = "capture"
#: Problem code of a row whose time column holds no date (``--at-column``): unknown.
UNREADABLE_TIME = "time.unreadable"
#: Problem code of a site file whose latest capture is older than the freshness window.
OUTSIDE_WINDOW = "archive.outside-window"
_SIGNALS = {
    "robots": Signal.ROBOTS,
    "ai_txt": Signal.AI_TXT,
    "tdmrep": Signal.TDMREP_FILE,
    "llms_txt": Signal.LLMS_TXT,
}


def moment_of(value: object, column: str = "") -> datetime.datetime | Problem:
    """Return a table cell as a UTC moment (``--at-column``), or the problem why it is none.

    Accepted: a timezone-aware or naive (UTC) ``datetime``, a ``date`` (its midnight UTC),
    or text as ``--at`` takes it (RFC 3339 / ISO 8601, a date, WARC's 14 digits).

    >>> moment_of("2023-06-15").isoformat(), moment_of("soon", "t").code
    ('2023-06-15T00:00:00+00:00', 'time.unreadable')
    """
    found: datetime.datetime | None = None
    if isinstance(value, datetime.datetime):
        found = value if value.tzinfo is not None else value.replace(tzinfo=datetime.UTC)
    elif isinstance(value, datetime.date):
        found = datetime.datetime(value.year, value.month, value.day, tzinfo=datetime.UTC)
    elif isinstance(value, str):
        found = parse_warc_date(value)
    if found is not None:
        return found.astimezone(datetime.UTC)
    shown = "missing (null)" if value is None else repr(value)[:80]
    where = f"column {column!r}: " if column else ""
    return Problem(
        code=UNREADABLE_TIME,
        message=f"{where}{shown} is not a date or time: no moment to decide at",
        source=column,
        level="error",
    )


def _too_old(doc: Fetched, at: datetime.datetime, window: datetime.timedelta) -> bool:
    """Return True when *doc* was captured after *at* or more than *window* before it."""
    if doc.error == NO_CAPTURE or not doc.fetched_at:
        return False
    when = parse_warc_date(doc.fetched_at)
    return when is None or when > at or at - when > window


def _absent(doc: Fetched) -> Fetched:
    return Fetched(url=doc.url, final_url=doc.url, error=NO_CAPTURE)


def age_out(
    fetches: SiteFetches, at: datetime.datetime, window: datetime.timedelta
) -> tuple[SiteFetches, tuple[bool, ...]]:
    """Return *fetches* with every file captured outside (*at* - *window*, *at*] made absent.

    An absent file is a failed fetch (``no-capture``): robots.txt is then unreachable and
    the purposes a file speaks to unknown. Also returns which files were aged out, in
    ``SITE_FILES`` order then licences (a key for sharing plans between moments).
    """
    changes: dict[str, Fetched] = {}
    aged: list[bool] = []
    for site_file in SITE_FILES:
        doc = getattr(fetches, site_file.field)
        old = doc is not None and _too_old(doc, at, window)
        aged.append(old)
        if old:
            assert doc is not None
            changes[site_file.field] = _absent(doc)
    licences = []
    for doc in fetches.licenses:
        old = _too_old(doc, at, window)
        aged.append(old)
        licences.append(_absent(doc) if old else doc)
    if not any(aged):
        return fetches, tuple(aged)
    return replace(fetches, licenses=tuple(licences), **changes), tuple(aged)  # type: ignore[arg-type]


def outside_window(
    fetches: SiteFetches, aged: tuple[bool, ...], window: datetime.timedelta
) -> tuple[Problem, ...]:
    """Return one problem per file :func:`age_out` made absent, naming the capture left out."""
    docs = [getattr(fetches, f.field) for f in SITE_FILES] + list(fetches.licenses)
    found: list[Problem] = []
    for doc, old in zip(docs, aged, strict=True):
        if not old or doc is None:
            continue
        where = doc.record.describe() if doc.record is not None else f"fetched {doc.fetched_at}"
        found.append(
            Problem(
                code=OUTSIDE_WINDOW,
                message=f"the latest capture of {doc.url} before the time asked ({where}) "
                f"is older than the freshness window of {_days(window)}: what it says then "
                "is unknown",
                source=doc.url,
                level="warning",
            )
        )
    return tuple(found)


def _days(window: datetime.timedelta) -> str:
    seconds = int(window.total_seconds())
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds % size == 0:
            return f"{seconds // size}{unit}"
    return f"{seconds}s"


def capture_findings(fetches: SiteFetches) -> tuple[Finding, ...]:
    """Return one ``info`` finding per captured site file naming the capture that decided.

    The evidence is the archive record (``WARC-Record-ID``, file, offset, ``WARC-Date``)
    when the file came from an archive, else the time the snapshot fetched it.
    """
    found: list[Finding] = []
    for site_file in SITE_FILES:
        doc = getattr(fetches, site_file.field)
        if doc is None or doc.error == NO_CAPTURE:
            continue
        where = doc.record.describe() if doc.record is not None else f"fetched at {doc.fetched_at}"
        found.append(
            Finding(
                signal=_SIGNALS.get(site_file.field, Signal.ROBOTS),
                source=doc.url,
                effect=Effect.INFO,
                purposes=(),
                agents=("*",),
                scope="site",
                evidence=f"capture in force: {where}"
                + (f", status {doc.status}" if doc.status is not None else f", {doc.error}"),
                key=CAPTURE_KEY,
                value=doc.record.record_id if doc.record is not None else doc.fetched_at,
            )
        )
    return tuple(found)


@dataclass(slots=True)
class CaptureCitation:
    """Name the captures behind a decision: cite each reason's record, add the captures.

    Owned by the plan of one snapshot row (an explicit cache): each reason is cited once
    and the same cited finding reused, so decisions that share findings still share them.
    """

    records: dict[str, ArchiveRecord]
    captures: tuple[Finding, ...]
    notes: tuple[Problem, ...] = ()
    """Files left out for age (:func:`outside_window`): said on every decision."""
    _cited: dict[int, tuple[Finding, Finding]] = field(default_factory=dict)

    @classmethod
    def of(cls, fetches: SiteFetches, notes: tuple[Problem, ...] = ()) -> CaptureCitation:
        """Return the citation of a snapshot row's files (after :func:`age_out`)."""
        return cls(records=records_by_url(fetches), captures=capture_findings(fetches), notes=notes)

    def __call__(self, decision: UrlDecision) -> UrlDecision:
        """Return *decision* with its reasons cited and the captures that decided added."""
        reasons = tuple(self._cite(reason) for reason in decision.reasons)
        return replace(
            decision,
            reasons=(*reasons, *self.captures),
            problems=(*decision.problems, *self.notes),
        )

    def _cite(self, finding: Finding) -> Finding:
        held = self._cited.get(id(finding))
        if held is not None and held[0] is finding:
            return held[1]
        record = self.records.get(finding.source)
        cited = (
            finding
            if record is None
            else replace(finding, evidence=cite_evidence(finding.evidence, record))
        )
        self._cited[id(finding)] = (finding, cited)
        return cited
