"""The audit as a library call: crawl each site, evaluate it, hand back its report.

``crawlcheck.audit(["example.com"])`` is the contract's Python API; the ``audit`` and
``demo`` commands are thin layers over :func:`iter_audit`.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from crawlcheck.errors import UsageError
from crawlcheck.evaluate import evaluate_site
from crawlcheck.model import SiteReport
from crawlcheck.report import ReportMeta
from crawlcheck.ruleset import Ruleset, load_ruleset

if TYPE_CHECKING:
    from crawlcheck.crawl.runner import CrawlOptions


@dataclass(frozen=True, slots=True, kw_only=True)
class AuditOptions:
    """What to audit and how (the CLI flags of ``audit``)."""

    concurrency: int = 64
    timeout: float = 15.0
    pages: int = 5
    proxy: str | None = None
    """Proxy URL; None honours ``http_proxy``/``https_proxy``/``no_proxy``."""
    rules: tuple[str, ...] = field(default=())
    """Extra rules files layered over the shipped ones."""

    def crawl_options(self) -> CrawlOptions:
        """Return the crawl settings these options stand for."""
        from crawlcheck.crawl.runner import CrawlOptions

        return CrawlOptions(
            concurrency=self.concurrency, timeout=self.timeout, pages=self.pages, proxy=self.proxy
        )


def check_sites(sites: Iterable[str]) -> list[str]:
    """Return the sites stripped, or raise UsageError naming the first unusable one."""
    from crawlcheck.urls import site_origin

    cleaned = []
    for site in sites:
        text = site.strip()
        if not text or text.startswith("#"):
            continue
        if site_origin(text) is None:
            raise UsageError(f"not a host or an http(s) origin URL: {text!r}")
        cleaned.append(text)
    return cleaned


def iter_audit(
    sites: Iterable[str], options: AuditOptions | None = None, ruleset: Ruleset | None = None
) -> Iterator[SiteReport]:
    """Yield one report per site, each as soon as its crawl finishes (completion order)."""
    from crawlcheck.crawl.runner import crawl_sites

    options = options or AuditOptions()
    ruleset = ruleset or load_ruleset(options.rules)
    for fetches in crawl_sites(check_sites(sites), options.crawl_options()):
        yield evaluate_site(fetches, ruleset)


def audit(sites: Sequence[str] | str, **options: object) -> list[SiteReport]:
    """Return the site reports for *sites* (bare hosts or origin URLs), in input order.

    Keyword options are those of :class:`AuditOptions` (``pages``, ``timeout``, ``proxy``…).
    """
    names = [sites] if isinstance(sites, str) else list(sites)
    try:
        audit_options = AuditOptions(**options)  # type: ignore[arg-type]
    except TypeError as exc:
        raise UsageError(str(exc)) from exc
    reports = list(iter_audit(names, audit_options))
    order = {name.strip(): index for index, name in enumerate(names)}
    return sorted(reports, key=lambda report: order.get(report.site, len(order)))


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
