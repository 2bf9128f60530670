"""The audit as a library call: crawl each site, evaluate it, hand back its report.

``crawlcheck.audit(["example.com"])`` is the contract's Python API; the ``audit`` and
``demo`` commands are thin layers over :func:`iter_audit`.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable, Generator, Iterable, Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from crawlcheck.errors import UsageError
from crawlcheck.evaluate import evaluate_site
from crawlcheck.model import SiteReport
from crawlcheck.report import ReportMeta
from crawlcheck.ruleset import Ruleset, load_ruleset
from crawlcheck.urls import site_origin

if TYPE_CHECKING:
    from crawlcheck.crawl.options import CrawlOptions

__all__ = ["AuditTarget", "audit", "audit_targets", "iter_audit", "report_meta"]


@dataclass(frozen=True, slots=True)
class AuditTarget:
    """One site to audit: its origin, and every input that named it."""

    site: str
    """The first input that named it (the report's ``site``)."""
    origin: str
    inputs: tuple[str, ...]


def audit_targets(
    sites: Iterable[str], *, locations: Iterable[str] | None = None
) -> list[AuditTarget]:
    """Return the sites to audit in input order, one per origin; UsageError names a bad one.

    Blank lines and ``#`` comments are skipped; the same origin given several ways
    (``http://x``, ``http://X/``, ``http://x:80/y``) is audited once. *locations*, one
    per site (``sites.txt:12``), prefix the error that names a bad site.
    """
    by_origin: dict[str, list[str]] = {}
    where = iter(locations) if locations is not None else None
    for site in sites:
        location = next(where, "") if where is not None else ""
        text = site.strip()
        if not text or text.startswith("#"):
            continue
        origin = site_origin(text)
        if origin is None:
            prefix = f"{location}: " if location else ""
            raise UsageError(f"{prefix}not a host or an http(s) origin URL: {text!r}")
        by_origin.setdefault(origin, []).append(text)
    return [AuditTarget(names[0], origin, tuple(names)) for origin, names in by_origin.items()]


def iter_audit(
    targets: Sequence[AuditTarget],
    options: CrawlOptions | None = None,
    ruleset: Ruleset | None = None,
    *,
    on_finished: Callable[[SiteReport], None] | None = None,
) -> Generator[SiteReport, None, None]:
    """Yield one report per target in input order, each once it and every one before it is done.

    Only the reports of sites that finished before an earlier one are held, so memory is
    bounded by the sites in flight, not by the number of sites. *on_finished* is called
    with each report as soon as its site finishes, in completion order (progress, and the
    ``audit`` checkpoint that keeps finished sites when a run is interrupted).
    """
    from crawlcheck.crawl.runner import crawl_sites

    ruleset = ruleset or load_ruleset()
    position = {target.site: index for index, target in enumerate(targets)}
    waiting: dict[int, SiteReport] = {}
    next_index = 0
    for fetches in crawl_sites([t.site for t in targets], options):
        index = position[fetches.site]
        report = replace(evaluate_site(fetches, ruleset), inputs=targets[index].inputs)
        if on_finished is not None:
            on_finished(report)
        waiting[index] = report
        while next_index in waiting:
            yield waiting.pop(next_index)
            next_index += 1


def audit(
    sites: Sequence[str] | str,
    options: CrawlOptions | None = None,
    *,
    ruleset: Ruleset | None = None,
) -> list[SiteReport]:
    """Return the site reports for *sites* (bare hosts or origin URLs), in input order.

    >>> from crawlcheck.crawl.options import CrawlOptions
    >>> reports = audit(["example.com"], CrawlOptions(pages=2))  # doctest: +SKIP
    """
    names = [sites] if isinstance(sites, str) else list(sites)
    return list(iter_audit(audit_targets(names), options, ruleset))


def report_meta(ruleset: Ruleset, command: str | None = None) -> ReportMeta:
    """Return the report header for a run with *ruleset*."""
    stamp = datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds")
    return ReportMeta(
        generated_at=stamp.replace("+00:00", "Z"),
        catalogue_source=ruleset.catalogue_source,
        catalogue_date=ruleset.catalogue_date,
        catalogue_count=len(ruleset.agents),
        command=command,
    )
