"""The audit of what web archives show: each site as its captures had it, with no network.

``crawlcheck audit --from-warc FILE…`` hands over to :func:`archive_audit`. The files are
indexed once (:class:`~crawlcheck.archive.index.CaptureIndex`), then each site is built as
it stood at the time asked (default: its latest capture) by
:meth:`~crawlcheck.archive.index.CaptureIndex.site_at`, evaluated by the same evaluator as
a network audit, and every finding and agent line cites the archive record it was read
from (:func:`~crawlcheck.archive.evidence.cite_records`). Fail closed: a site file without
a capture in the freshness window is a failed fetch (``no-capture``), so a site whose
robots.txt was never captured is ``unknown``, never ``not-reserved`` (docs/archives.md).
"""

from __future__ import annotations

import datetime
from collections.abc import Callable, Generator, Sequence
from dataclasses import dataclass, replace

from crawlcheck.archive.evidence import cite_records
from crawlcheck.archive.index import DEFAULT_PAGES, DEFAULT_WINDOW, CaptureIndex
from crawlcheck.evaluate import evaluate_site
from crawlcheck.model import Problem, SiteReport
from crawlcheck.ruleset import Ruleset
from crawlcheck.site_audit import AuditTarget, audit_targets

__all__ = ["ArchiveAudit", "archive_audit", "archive_targets"]

#: Problem code of a site the archives hold no capture of at all.
NO_CAPTURES = "archive.no-captures"


@dataclass(frozen=True, slots=True, kw_only=True)
class ArchiveAudit:
    """How to audit archives: when, how old a capture may be, how many pages."""

    at: datetime.datetime | None = None
    """The moment to audit (None: each site's latest capture)."""
    window: datetime.timedelta = DEFAULT_WINDOW
    """The freshness window: captures older than this before *at* do not count."""
    pages: int = DEFAULT_PAGES
    """Pages besides the home page read per site."""


def archive_targets(index: CaptureIndex, given: Sequence[AuditTarget]) -> list[AuditTarget]:
    """Return the sites to audit: those given, else every origin the archives hold."""
    return list(given) if given else audit_targets(index.site_origins())


def archive_audit(
    index: CaptureIndex,
    targets: Sequence[AuditTarget],
    ruleset: Ruleset,
    how: ArchiveAudit = ArchiveAudit(),
    *,
    on_finished: Callable[[SiteReport], None] | None = None,
) -> Generator[SiteReport, None, None]:
    """Yield the report of each target as the archives show it, in input order."""
    held = set(index.origins())
    # A capture's own problems (truncated, incomplete…) name its file and offset: each site
    # report carries those of the records that decided it.
    by_place: dict[str, list[Problem]] = {}
    for problem in index.problems:
        by_place.setdefault(problem.source, []).append(problem)
    for target in targets:
        view = index.site_at(target.origin, how.at, how.window, pages=how.pages, site=target.site)
        report = evaluate_site(view.fetches, ruleset)
        report = cite_records(report, view.fetches)
        problems = list(view.problems)
        places = {
            f"{record.file} offset {record.offset}"
            for _, records in view.decided_by
            for record in records
        }
        problems += [p for place in sorted(places) for p in by_place.get(place, ())]
        if target.origin not in held:
            problems.append(
                Problem(
                    code=NO_CAPTURES,
                    message=f"the archives read hold no capture of {target.origin}: "
                    "every signal is unknown",
                    source=target.origin,
                    level="error",
                )
            )
        report = replace(report, problems=(*report.problems, *problems), inputs=target.inputs)
        if on_finished is not None:
            on_finished(report)
        yield report
